// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/watcher.hpp"

#include <pwd.h>

#include <chrono>
#include <exception>

namespace aif::site {

ConfigWatcher::ConfigWatcher(std::string site_conf, std::string slurm_conf, Log log)
    : site_conf_(std::move(site_conf)), slurm_conf_(std::move(slurm_conf)), log_(std::move(log)) {}

ConfigWatcher::~ConfigWatcher() { stop(); }

std::shared_ptr<const Loaded> ConfigWatcher::current() const {
    std::lock_guard<std::mutex> lock(current_mutex_);
    return current_;
}

std::shared_ptr<const Loaded> ConfigWatcher::load() const {
    auto l = std::make_shared<Loaded>();
    l->snap = load_snapshot(site_conf_, slurm_conf_);
    for (const auto& name : l->snap->config.exempt_users) {
        struct passwd pw {}, *res = nullptr;
        char buf[4096];
        if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &res) == 0 && res)
            l->exempt_uids.emplace_back(pw.pw_uid, name);
        else
            log_(Level::error, "aifactory: " + site_conf_ + ": ExemptUsers: no user '" + name + "'");
    }
    for (const auto& note : l->snap->notes) log_(Level::error, "aifactory: " + note);
    log_(Level::info, "aifactory: loaded " + site_conf_ + ": " + std::to_string(l->snap->config.partitions.size()) +
                          " partitions checked, " + std::to_string(l->snap->models.entries().size()) + " models, " +
                          std::to_string(l->snap->hardware.partitions().size()) + " catalogue partitions");
    return l;
}

void ConfigWatcher::reload(const char* why) {
    try {
        auto l = load();
        std::lock_guard<std::mutex> lock(current_mutex_);
        current_ = std::move(l);
    } catch (const std::exception& e) {
        log_(Level::error, std::string("aifactory: ") + why + ": " + e.what() + "; " +
                               (current() ? "keeping the previous configuration"
                                          : "LLM jobs pass through unchecked until it is fixed"));
    }
}

std::vector<std::string> ConfigWatcher::watched_files() const {
    auto l = current();
    if (l) return l->snap->files;
    return {site_conf_};
}

void ConfigWatcher::start() {
    reload("loading configuration");
    // Stamped here, not when the thread gets to run: an edit made before then must count.
    std::string stamp;
    try {
        stamp = files_stamp(watched_files());
    } catch (...) {
    }
    std::lock_guard<std::mutex> lock(stop_mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this, stamp] { watch(stamp); });
}

void ConfigWatcher::stop() {
    {
        std::lock_guard<std::mutex> lock(stop_mutex_);
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

// Polls the files' stamps (mtime, size) every reload_interval_s; reloads when one changed.
void ConfigWatcher::watch(std::string stamp) {
    std::unique_lock<std::mutex> lock(stop_mutex_);
    while (!stopping_) {
        auto l = current();
        const int interval = l ? l->snap->config.reload_interval_s : 10;
        stop_cv_.wait_for(lock, std::chrono::seconds(interval), [this] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        try {
            const std::string now = files_stamp(watched_files());
            if (now != stamp) {
                stamp = now;
                reload("reloading changed configuration");
            }
        } catch (const std::exception& e) {
            log_(Level::error, std::string("aifactory: watching the configuration: ") + e.what());
        } catch (...) {
        }
        lock.lock();
    }
}

}  // namespace aif::site

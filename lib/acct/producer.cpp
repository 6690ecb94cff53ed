// SPDX-License-Identifier: GPL-2.0-or-later
#include "acct/producer.hpp"

#include <sys/time.h>
#include <unistd.h>

#include <ctime>

namespace aif::acct {

Producer::Producer(ProducerConfig cfg, Outbox::Logger log, std::size_t queue_limit)
    : cfg_(std::move(cfg)), log_(log), outbox_(cfg_.outbox, cfg_.limits, log), queue_limit_(queue_limit) {
    outbox_.ensure_layout();
}

Producer::~Producer() {
    flush(std::chrono::milliseconds(2000));
    {
        std::lock_guard<std::mutex> g(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Producer::log(const std::string& m) noexcept {
    try {
        if (log_) log_(m);
    } catch (...) {
    }
}

std::optional<std::string> Producer::user_pseudonym(std::string_view name) const {
    if (cfg_.user_key.empty() || name.empty()) return std::nullopt;
    return record::pseudonym(cfg_.user_key, name);
}

std::string Producer::decision_component() {
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    std::uint64_t n;
    {
        std::lock_guard<std::mutex> g(mu_);
        n = decisions_++;
    }
    return "decision/" + std::to_string(static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec) + "." +
           std::to_string(getpid()) + "." + std::to_string(n);
}

std::optional<record::Built> Producer::prepare(record::Record& r) noexcept {
    try {
        r.site = cfg_.site;
        r.site_namespace = cfg_.site_namespace;
        if (r.cluster.empty()) r.cluster = cfg_.cluster;
        return record::build(r, std::time(nullptr));
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> g(mu_);
        if (!logged_build_) log(std::string("aifactory accounting: record not built: ") + e.what());
        logged_build_ = true;
    } catch (...) {
    }
    return std::nullopt;
}

std::string Producer::write(record::Record r) noexcept {
    auto b = prepare(r);
    if (!b) return {};
    return outbox_.write(b->id, b->json) == WriteResult::Ok ? b->id : std::string();
}

std::string Producer::enqueue(record::Record r) noexcept {
    auto b = prepare(r);
    if (!b) return {};
    try {
        std::unique_lock<std::mutex> g(mu_);
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        if (queue_.size() >= queue_limit_) {
            ++dropped_;
            if (!logged_drop_) log("aifactory accounting: write queue full, records are dropped (is the disk stuck?)");
            logged_drop_ = true;
            return {};
        }
        std::string id = b->id;
        queue_.push_back(std::move(*b));
        g.unlock();
        cv_.notify_one();
        return id;
    } catch (...) {
        return {};
    }
}

bool Producer::flush(std::chrono::milliseconds max_wait) noexcept {
    try {
        std::unique_lock<std::mutex> g(mu_);
        return idle_cv_.wait_for(g, max_wait, [this] { return queue_.empty() && !busy_; });
    } catch (...) {
        return false;
    }
}

void Producer::run() {
    std::unique_lock<std::mutex> g(mu_);
    for (;;) {
        cv_.wait(g, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty() && stop_) return;
        std::deque<record::Built> batch;
        batch.swap(queue_);
        busy_ = true;
        g.unlock();
        std::vector<std::pair<std::string, std::string>> records;
        records.reserve(batch.size());
        for (auto& b : batch) records.emplace_back(std::move(b.id), std::move(b.json));
        outbox_.write_many(records);
        g.lock();
        busy_ = false;
        if (queue_.empty()) idle_cv_.notify_all();
    }
}

}  // namespace aif::acct

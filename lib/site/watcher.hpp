// SPDX-License-Identifier: GPL-2.0-or-later
// The configuration job_submit decides with, kept current: loaded once at start, then reloaded
// by a thread of its own when aifactory.conf or a catalogue changes (scontrol reconfigure does
// not call into an unchanged job_submit plugin). Readers take the current value without waiting:
// one shared_ptr copy under a mutex. No Slurm dependency: messages go to a log callback.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "site/decide.hpp"
#include "site/snapshot.hpp"

namespace aif::site {

// What job_submit() reads: the snapshot plus exempt users resolved to uids at load time (a
// passwd lookup may hit the network, so never inside job_submit()).
struct Loaded {
    std::shared_ptr<const Snapshot> snap;
    std::vector<std::pair<std::uint32_t, std::string>> exempt_uids;
    mutable DecisionCache cache;  // answers for this snapshot only
};

class ConfigWatcher {
public:
    enum class Level { info, error };
    using Log = std::function<void(Level, const std::string&)>;

    ConfigWatcher(std::string site_conf, std::string slurm_conf, Log log);
    ~ConfigWatcher();  // stops the thread
    ConfigWatcher(const ConfigWatcher&) = delete;
    ConfigWatcher& operator=(const ConfigWatcher&) = delete;

    // Loads the configuration, then watches it. A failed load is logged; the previous
    // configuration (or none: jobs pass through) stays.
    void start();
    void stop();
    std::shared_ptr<const Loaded> current() const;
    void reload(const char* why);
    const std::string& site_conf() const { return site_conf_; }

private:
    std::shared_ptr<const Loaded> load() const;
    std::vector<std::string> watched_files() const;
    void watch(std::string stamp);  // `stamp`: the files as start() loaded them

    std::string site_conf_, slurm_conf_;
    Log log_;
    mutable std::mutex current_mutex_;  // guards only the pointer copy
    std::shared_ptr<const Loaded> current_;
    std::thread thread_;
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
};

}  // namespace aif::site

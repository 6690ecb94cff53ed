// SPDX-License-Identifier: GPL-2.0-or-later
// Producer API for the Slurm plugins: fill a Record, hand it over, carry on.
//   write()   builds and stores it now (slurmstepd, job epilog: a few ms at most, one fsync pair)
//   enqueue() builds it now and stores it from a background thread (slurmctld's job_submit,
//             where no disk I/O may happen): bounded queue, never waits on disk
// Neither throws nor fails a job: problems are counted and logged once per process.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "acct/config.hpp"
#include "acct/outbox.hpp"
#include "record/record.hpp"

namespace aif::acct {

class Producer {
public:
    Producer(ProducerConfig cfg, Outbox::Logger log, std::size_t queue_limit = 10000);
    ~Producer();  // flushes the queue for up to 2 s, then stops the writer
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    const ProducerConfig& config() const { return cfg_; }
    Outbox& outbox() { return outbox_; }

    // Site, cluster and namespace come from the configuration (cluster only if the record has none).
    // Return the record id, or "" when the record was not stored (reason logged once).
    std::string write(record::Record r) noexcept;
    std::string enqueue(record::Record r) noexcept;
    // Waits until the queue is empty or `max_wait` passes. Returns true if empty.
    bool flush(std::chrono::milliseconds max_wait) noexcept;

    // "u-…" pseudonym of a user name, or nullopt when no key is configured.
    std::optional<std::string> user_pseudonym(std::string_view user_name) const;
    // A unique component for a submit decision (the job has no id yet): "decision/<µs>.<pid>.<n>".
    std::string decision_component();

    std::uint64_t dropped_queue_full() const { return dropped_; }

private:
    std::optional<record::Built> prepare(record::Record& r) noexcept;
    void run();
    void log(const std::string& m) noexcept;

    ProducerConfig cfg_;
    Outbox::Logger log_;
    Outbox outbox_;
    std::size_t queue_limit_;
    std::mutex mu_;
    std::condition_variable cv_, idle_cv_;
    std::deque<record::Built> queue_;
    bool busy_ = false, stop_ = false;
    std::uint64_t dropped_ = 0;
    bool logged_drop_ = false, logged_build_ = false;
    std::uint64_t decisions_ = 0;
    std::thread thread_;
};

}  // namespace aif::acct

// SPDX-License-Identifier: GPL-2.0-or-later
// The durable outbox: one file per record, maildir style.
//   tmp/         a record being written (O_EXCL, fsync'd, then renamed)
//   new/         complete records waiting for the sender, named <time µs>-<record id>.rec
//   sent/        acknowledged by the endpoint (pruned after a retention period)
//   dead/        refused by the endpoint (400/413/422) or locally; <name>.reason says why
//   quarantine/  torn or corrupt files; <name>.reason says why
// A record file is "AIFR1 <length> <crc32 hex>\n" + the JSON + "\n". A crash at any point leaves
// either a complete file in new/ or a stray file in tmp/, which recover_tmp() settles.
// Producers never throw and never wait on anything but their own small write + fsyncs.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aif::acct {

struct OutboxLimits {
    std::uint64_t max_records = 200000;                   // new/ + dead/ + quarantine/
    std::uint64_t max_bytes = 1024ull * 1024 * 1024;      // ditto, in bytes
    int high_water_percent = 80;                          // alarm when either passes this share
    std::uint64_t min_free_bytes = 64ull * 1024 * 1024;   // leave this much on the filesystem
};

enum class WriteResult { Ok, Full, NoSpace, ReadOnly, IoError, Invalid };
const char* result_name(WriteResult r);

struct Usage {
    std::uint64_t records = 0, bytes = 0;
};

class Outbox {
public:
    using Logger = std::function<void(const std::string&)>;
    explicit Outbox(std::string dir, OutboxLimits limits = {}, Logger log = {});

    const std::string& dir() const { return dir_; }
    const OutboxLimits& limits() const { return limits_; }

    // Creates the sub-directories (mode 0750). Returns false and logs once on failure.
    bool ensure_layout() noexcept;

    // Producer side. Never throws. On any failure: counts it, logs the first of each kind
    // once per process, returns the reason; the caller carries on.
    WriteResult write(const std::string& record_id, const std::string& json) noexcept;
    // Several records with one directory fsync (group commit): results in the same order.
    std::vector<WriteResult> write_many(const std::vector<std::pair<std::string, std::string>>& records) noexcept;

    struct Counters {
        std::uint64_t written = 0, full = 0, no_space = 0, read_only = 0, io_error = 0, invalid = 0;
    };
    Counters counters() const;

    // Sender / operator side (may throw std::system_error on I/O failures).
    struct Entry {
        std::string name, id;
        std::uint64_t size = 0;
        std::int64_t mtime = 0;
    };
    std::vector<Entry> list(const std::string& sub) const;  // sorted by name (oldest first)
    Usage usage() const;                                     // new/ + dead/ + quarantine/
    // Reads and verifies new/<name>. On a bad frame or checksum: quarantines, sets *why, nullopt.
    std::optional<std::string> load(const std::string& sub, const std::string& name, std::string* why = nullptr);
    bool ack(const std::string& name);                                  // new/ → sent/
    bool dead_letter(const std::string& name, const std::string& reason);  // new/ → dead/
    bool quarantine(const std::string& sub, const std::string& name, const std::string& reason);
    bool requeue(const std::string& sub, const std::string& name);       // dead|quarantine → new
    std::string reason_of(const std::string& sub, const std::string& name) const;
    // tmp/ files older than `age_s` were left by a crashed writer: a complete one moves to new/,
    // a torn one to quarantine/. Returns {recovered, quarantined}.
    std::pair<int, int> recover_tmp(int age_s);
    std::size_t prune_sent(std::int64_t older_than_s);
    // Writes usage to <dir>/usage so producers can check the bound without listing new/.
    void publish_usage(const Usage& u) const;
    bool above_high_water(const Usage& u) const;

    // Frame helpers, exposed for tests and the CLI.
    static std::string frame(const std::string& json);
    static std::optional<std::string> unframe(const std::string& file, std::string* why);

private:
    bool over_bound(std::uint64_t add_bytes, WriteResult* why) noexcept;
    WriteResult stage(const std::string& id, const std::string& json, std::string* tmp, std::string* dst) noexcept;
    WriteResult failed(int err) noexcept;
    void log_once(WriteResult r, const std::string& msg) noexcept;
    bool move(const std::string& from_sub, const std::string& to_sub, const std::string& name);

    std::string dir_;
    OutboxLimits limits_;
    Logger log_;
    std::atomic<std::uint64_t> written_{0}, full_{0}, no_space_{0}, read_only_{0}, io_error_{0}, invalid_{0};
    std::atomic<unsigned> logged_mask_{0};
    std::atomic<std::uint64_t> seq_{0};
    std::atomic<bool> high_water_logged_{false};
};

}  // namespace aif::acct

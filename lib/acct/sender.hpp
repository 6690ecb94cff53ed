// SPDX-License-Identifier: GPL-2.0-or-later
// The sender: drains the outbox to the federation endpoint over HTTPS (libcurl).
// Wire format: POST <url>, Content-Type: application/json, Authorization: Bearer <token>,
// body {"records":[<record>,...]}. Outcome per response (docs/accounting.md):
//   2xx, 409 (already have it)        → acked: new/ → sent/
//   429, 408, 5xx, network, TLS, 3xx  → retry later: exponential backoff with jitter, Retry-After
//   400, 413, 422                     → batch split until the poison record is alone → dead/;
//                                       after max_dead_in_a_row dead letters without an ack in
//                                       between, hold the queue and retry with backoff instead
//   401                               → pause, keep everything, retry when the token file changes
//                                       or after auth_retry seconds
//   403 (token good, not allowed)     → retry later, like a 5xx
// Proxies: only `proxy` from the configuration; http_proxy/https_proxy in the environment are ignored.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "acct/config.hpp"
#include "acct/outbox.hpp"

namespace aif::acct {

struct SenderConfig {
    std::string outbox = kDefaultOutbox;
    std::string url, ca_file, token_file;
    std::string proxy;  // e.g. http://proxy:3128; empty: direct (environment variables ignored)
    int max_dead_in_a_row = 10;
    int batch_records = 200;
    std::size_t batch_bytes = 1024 * 1024;
    long connect_timeout_s = 10, request_timeout_s = 60, low_speed_bytes = 100, low_speed_time_s = 20;
    double backoff_min_s = 1, backoff_max_s = 600;
    int auth_retry_s = 900;
    int retention_days = 7;
    double poll_s = 1.0;
    int alarm_interval_s = 300;
    int tmp_grace_s = 60;  // a tmp/ file this old was left by a crashed producer
    OutboxLimits limits;
};
// Throws InputError naming the key for bad values, a non-https URL, or a URL with credentials.
SenderConfig load_sender_config(const std::string& path);
SenderConfig parse_sender_config(const KeyValues& kv, const std::string& origin);
const std::vector<std::string>& sender_config_keys();

enum class Outcome { Ack, Retry, Poison, Auth };
Outcome classify(long http_status);  // http_status 0 = no response (network/TLS/timeout)
// Retry-After: delta-seconds or an HTTP-date; nullopt if absent or unparseable. Capped at 1 day.
std::optional<double> parse_retry_after(const std::string& value, std::int64_t now);
std::string one_line(std::string s);  // newlines/tabs to spaces, at most 200 characters
// Exponential backoff with jitter: uniform in [cap/2, cap], cap = min(max, min * 2^(failures-1)).
double backoff_delay(int failures, double min_s, double max_s, std::mt19937_64& rng);

struct SenderStats {
    std::uint64_t requests = 0, acked = 0, dead = 0, quarantined = 0, failures = 0;
};

class Sender {
public:
    using Logger = std::function<void(const std::string&)>;
    // Throws InputError if the token file is missing, empty or not root-only.
    Sender(SenderConfig cfg, Logger log);
    ~Sender();
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    // Runs until `stop` is set. With `once`, returns when new/ is empty (0) or at the first
    // failure (1) instead of waiting.
    int run(const std::atomic<bool>& stop, bool once);
    const SenderStats& stats() const { return stats_; }

private:
    struct Item {
        std::string name, id, json;
    };
    struct Response {
        long status = 0;
        std::string error, body, retry_after;
    };
    Response post(const std::vector<const Item*>& items, const std::atomic<bool>& stop);
    // Sends items, splitting on a poison response. Returns the outcome that stopped it (Ack = all done).
    Outcome deliver(std::vector<const Item*> items, const std::atomic<bool>& stop, Response* last);
    void housekeeping(bool force);
    bool reload_token_if_changed();
    void write_status(const std::string& state, const std::string& detail, double next_in_s);
    bool sleep_for(double s, const std::atomic<bool>& stop, bool wake_on_token_change);
    void log(const std::string& m);

    SenderConfig cfg_;
    Logger log_;
    Outbox outbox_;
    void* curl_ = nullptr;
    std::string token_;
    std::string token_sig_;  // inode/size/mtime of the token file when read
    std::mt19937_64 rng_;
    SenderStats stats_;
    int failures_ = 0;
    int dead_in_a_row_ = 0;  // dead letters since the last ack
    std::int64_t last_housekeeping_ = 0, last_alarm_ = 0, last_prune_ = 0, status_written_ = 0;
    std::string status_key_;
    bool ack_failed_ = false;
    std::string ack_error_;
};

}  // namespace aif::acct

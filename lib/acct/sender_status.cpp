// SPDX-License-Identifier: GPL-2.0-or-later
// The sender's status file, housekeeping and sleeping: the parts of the loop that touch no network.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

#include "acct/sender.hpp"
#include "common/files.hpp"
#include "common/json.hpp"

namespace aif::acct {
namespace {

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

void Sender::write_status(const std::string& state, const std::string& detail, double next_in_s) {
    // An idle sender polls often: rewrite the file only on a change or every 30 s.
    std::int64_t now = now_s();
    std::string key = state + "\n" + detail;
    if (key == status_key_ && now - status_written_ < 30) return;
    status_key_ = key;
    status_written_ = now;
    json::Ptr o(json_object());
    json_object_set_new(o.get(), "state", json_string(state.c_str()));
    json_object_set_new(o.get(), "detail", json_string(one_line(detail).c_str()));
    json_object_set_new(o.get(), "updated", json_integer(now_s()));
    json_object_set_new(o.get(), "pid", json_integer(getpid()));
    json_object_set_new(o.get(), "consecutive_failures", json_integer(failures_));
    if (next_in_s > 0) json_object_set_new(o.get(), "next_attempt", json_integer(now_s() + std::llround(next_in_s)));
    json_object_set_new(o.get(), "requests", json_integer(static_cast<json_int_t>(stats_.requests)));
    json_object_set_new(o.get(), "acked", json_integer(static_cast<json_int_t>(stats_.acked)));
    json_object_set_new(o.get(), "dead_lettered", json_integer(static_cast<json_int_t>(stats_.dead)));
    std::string text = json::dump(o.get()) + "\n";
    write_file_atomic(cfg_.outbox + "/sender.status", text, 0640);  // never through a link planted at the temporary name
}

void Sender::housekeeping(bool force) {
    std::int64_t now = now_s();
    if (!force && now - last_housekeeping_ < std::min(30, cfg_.tmp_grace_s)) return;
    last_housekeeping_ = now;
    auto [recovered, quarantined] = outbox_.recover_tmp(cfg_.tmp_grace_s);
    if (recovered) log("recovered " + std::to_string(recovered) + " complete record(s) left in tmp/ by a crash");
    if (quarantined) log("quarantined " + std::to_string(quarantined) + " torn record(s) from tmp/");
    if (force || now - last_prune_ >= 600) {  // sent/ can be large: list it every 10 min
        last_prune_ = now;
        outbox_.prune_sent(static_cast<std::int64_t>(cfg_.retention_days) * 86400);
    }
    Usage u = outbox_.usage();
    outbox_.publish_usage(u);
    if (outbox_.above_high_water(u) && now - last_alarm_ >= cfg_.alarm_interval_s) {
        last_alarm_ = now;
        log("ALARM: outbox above " + std::to_string(cfg_.limits.high_water_percent) + "% of its bound: " +
            std::to_string(u.records) + " of " + std::to_string(cfg_.limits.max_records) + " records, " +
            std::to_string(u.bytes / (1024 * 1024)) + " of " + std::to_string(cfg_.limits.max_bytes / (1024 * 1024)) +
            " MiB; producers drop new records when it is full");
    }
}

bool Sender::sleep_for(double s, const std::atomic<bool>& stop, bool wake_on_token_change) {
    auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(s);
    while (std::chrono::steady_clock::now() < until) {
        if (stop) return false;
        if (wake_on_token_change && reload_token_if_changed()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

}  // namespace aif::acct

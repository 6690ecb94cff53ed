// SPDX-License-Identifier: GPL-2.0-or-later
// Sender loop. No lock is ever held across network I/O; every transfer has connect, total and
// low-speed deadlines; SIGTERM aborts a transfer through the progress callback.
#include "acct/sender.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <thread>

#include "record/record.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::acct {
namespace {

std::int64_t now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string file_signature(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "missing";
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
           "." + std::to_string(st.st_mtim.tv_nsec);
}

std::size_t on_body(char* p, std::size_t size, std::size_t n, void* user) {
    auto* s = static_cast<std::string*>(user);
    std::size_t len = size * n;
    if (s->size() < 4096) s->append(p, std::min(len, 4096 - s->size()));
    return len;
}

std::size_t on_header(char* p, std::size_t size, std::size_t n, void* user) {
    std::size_t len = size * n;
    std::string_view h(p, len);
    if (h.size() > 12 && lower(h.substr(0, 12)) == "retry-after:")
        *static_cast<std::string*>(user) = std::string(trim(h.substr(12)));
    return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;  // non-zero aborts
}

}  // namespace

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (s.size() > 200) s = s.substr(0, 200) + "...";
    return std::string(trim(s));
}

const std::vector<std::string>& sender_config_keys() {
    static const std::vector<std::string> k{
        "outbox", "url", "ca_file", "token_file", "batch_records", "batch_kb", "connect_timeout",
        "request_timeout", "low_speed_bytes", "low_speed_time", "backoff_min", "backoff_max", "auth_retry",
        "retention_days", "poll_interval", "alarm_interval", "max_records", "max_mb", "high_water_percent",
        "min_free_mb", "tmp_grace", "max_dead_in_a_row", "proxy"};
    return k;
}

SenderConfig parse_sender_config(const KeyValues& kv, const std::string& origin) {
    SenderConfig c;
    auto get = [&](const char* k) -> const std::string* {
        auto it = kv.find(k);
        return it == kv.end() ? nullptr : &it->second;
    };
    auto num = [&](const char* k, long long lo, long long hi, auto& dst) {
        if (auto v = get(k)) dst = static_cast<std::decay_t<decltype(dst)>>(parse_int(*v, origin + ": " + k, lo, hi));
    };
    if (auto v = get("outbox")) c.outbox = *v;
    if (auto v = get("url")) c.url = *v;
    if (c.url.empty()) throw InputError(origin + ": 'url' is required (https://host/path of the endpoint)");
    if (lower(c.url).rfind("https://", 0) != 0)
        throw InputError(origin + ": url: must start with https:// (plain HTTP would expose the token)");
    {
        std::string authority = c.url.substr(8, c.url.find('/', 8) == std::string::npos ? std::string::npos
                                                                                          : c.url.find('/', 8) - 8);
        if (authority.find('@') != std::string::npos)
            throw InputError(origin + ": url: must not contain credentials; put the token in token_file");
        if (authority.empty()) throw InputError(origin + ": url: no host name");
    }
    if (auto v = get("ca_file")) c.ca_file = *v;
    if (auto v = get("proxy")) c.proxy = *v;
    num("max_dead_in_a_row", 1, 1000000, c.max_dead_in_a_row);
    if (auto v = get("token_file")) c.token_file = *v;
    if (c.token_file.empty()) throw InputError(origin + ": 'token_file' is required (root-only file with the token)");
    num("batch_records", 1, 10000, c.batch_records);
    if (auto v = get("batch_kb")) c.batch_bytes = parse_int(*v, origin + ": batch_kb", 64, 1024 * 1024) * 1024;
    num("connect_timeout", 1, 600, c.connect_timeout_s);
    num("request_timeout", 1, 3600, c.request_timeout_s);
    num("low_speed_bytes", 1, 1 << 30, c.low_speed_bytes);
    num("low_speed_time", 1, 3600, c.low_speed_time_s);
    if (auto v = get("backoff_min")) c.backoff_min_s = parse_double(*v, origin + ": backoff_min", 0.01, 3600);
    if (auto v = get("backoff_max")) c.backoff_max_s = parse_double(*v, origin + ": backoff_max", 0.01, 86400);
    if (c.backoff_max_s < c.backoff_min_s) throw InputError(origin + ": backoff_max must be >= backoff_min");
    num("auth_retry", 1, 86400 * 7, c.auth_retry_s);
    num("retention_days", 0, 3650, c.retention_days);
    if (auto v = get("poll_interval")) c.poll_s = parse_double(*v, origin + ": poll_interval", 0.01, 3600);
    num("alarm_interval", 1, 86400, c.alarm_interval_s);
    num("tmp_grace", 1, 86400, c.tmp_grace_s);
    num("max_records", 1, 100000000, c.limits.max_records);
    if (auto v = get("max_mb")) c.limits.max_bytes = parse_int(*v, origin + ": max_mb", 1, 100000000) * 1024ull * 1024;
    num("high_water_percent", 1, 100, c.limits.high_water_percent);
    if (auto v = get("min_free_mb"))
        c.limits.min_free_bytes = parse_int(*v, origin + ": min_free_mb", 0, 100000000) * 1024ull * 1024;
    return c;
}

SenderConfig load_sender_config(const std::string& path) {
    return parse_sender_config(read_key_values(path, sender_config_keys()), path);
}

Outcome classify(long s) {
    if (s >= 200 && s < 300) return Outcome::Ack;
    if (s == 409) return Outcome::Ack;  // the endpoint already has this record
    if (s == 400 || s == 413 || s == 422) return Outcome::Poison;
    if (s == 401) return Outcome::Auth;
    return Outcome::Retry;  // 0 (no response), 3xx, 403, 408, 429, 5xx, other 4xx: keep the data
}

std::optional<double> parse_retry_after(const std::string& v, std::int64_t now) {
    std::string_view t = trim(v);
    if (t.empty()) return std::nullopt;
    if (std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (t.size() > 9) return 86400.0;
        return std::min(86400.0, static_cast<double>(std::stoll(std::string(t))));
    }
    std::tm tm{};
    const char* end = strptime(std::string(t).c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end) return std::nullopt;
    std::int64_t when = static_cast<std::int64_t>(timegm(&tm));
    return std::clamp(static_cast<double>(when - now), 0.0, 86400.0);
}

double backoff_delay(int failures, double min_s, double max_s, std::mt19937_64& rng) {
    double cap = std::min(max_s, min_s * std::pow(2.0, std::clamp(failures - 1, 0, 40)));
    std::uniform_real_distribution<double> d(cap / 2, cap);
    return d(rng);
}

Sender::Sender(SenderConfig cfg, Logger log)
    : cfg_(std::move(cfg)), log_(std::move(log)), outbox_(cfg_.outbox, cfg_.limits, log_),
      rng_(std::random_device{}()) {
    token_sig_ = file_signature(cfg_.token_file);
    token_ = read_secret_file(cfg_.token_file, "token_file");
    if (!cfg_.ca_file.empty() && ::access(cfg_.ca_file.c_str(), R_OK) != 0)
        throw InputError("ca_file " + cfg_.ca_file + ": cannot read it");
    if (!outbox_.ensure_layout()) throw InputError("outbox " + cfg_.outbox + ": cannot create its directories");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ = curl_easy_init();
    if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

Sender::~Sender() {
    if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
    curl_global_cleanup();
}

void Sender::log(const std::string& m) {
    if (log_) log_(m);
}

bool Sender::reload_token_if_changed() {
    std::string sig = file_signature(cfg_.token_file);
    if (sig == token_sig_) return false;
    token_sig_ = sig;
    try {
        std::string t = read_secret_file(cfg_.token_file, "token_file");
        bool changed = t != token_;
        token_ = std::move(t);
        if (changed) log("token file changed; using the new token");
        return changed;
    } catch (const InputError& e) {
        log(std::string("ignoring the changed token file: ") + e.what());
        return false;
    }
}

Sender::Response Sender::post(const std::vector<const Item*>& items, const std::atomic<bool>& stop) {
    CURL* h = static_cast<CURL*>(curl_);
    std::string body = "{\"records\":[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) body += ',';
        body += items[i]->json;
    }
    body += "]}";
    Response r;
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::string auth = "Authorization: Bearer " + token_;
    struct curl_slist* hdr = nullptr;
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, auth.c_str());
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_reset(h);  // keeps the connection cache: keep-alive survives
    curl_easy_setopt(h, CURLOPT_URL, cfg_.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
#endif
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!cfg_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, cfg_.ca_file.c_str());
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect never carries the token anywhere
    // Only the configured proxy: "" makes libcurl ignore http(s)_proxy/all_proxy in the environment.
    curl_easy_setopt(h, CURLOPT_PROXY, cfg_.proxy.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cfg_.connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg_.request_timeout_s);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, cfg_.low_speed_bytes);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, cfg_.low_speed_time_s);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.retry_after);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &stop);
    CURLcode rc = curl_easy_perform(h);
    ++stats_.requests;
    curl_slist_free_all(hdr);
    std::fill(auth.begin(), auth.end(), '\0');
    if (rc != CURLE_OK) {
        r.status = 0;
        r.error = std::string(curl_easy_strerror(rc)) + (errbuf[0] ? std::string(": ") + errbuf : std::string());
        if (rc == CURLE_UNSUPPORTED_PROTOCOL) r.error += " (only https is allowed)";
        return r;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    if (r.status >= 300 && r.status < 400) {
        char* loc = nullptr;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
        r.error = "redirect to " + std::string(loc ? loc : "?") +
                  " not followed (set url to the final address)";
    } else if (classify(r.status) != Outcome::Ack) {
        r.error = "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + one_line(r.body));
    }
    return r;
}

Outcome Sender::deliver(std::vector<const Item*> items, const std::atomic<bool>& stop, Response* last) {
    // Work list of slices; a poison response splits its slice in two until one record is left.
    std::vector<std::vector<const Item*>> work{std::move(items)};
    while (!work.empty()) {
        if (stop) return Outcome::Retry;
        auto slice = std::move(work.back());
        work.pop_back();
        Response r = post(slice, stop);
        *last = r;
        Outcome o = classify(r.status);
        if (o == Outcome::Ack) {
            dead_in_a_row_ = 0;
            for (const Item* it : slice) {
                if (outbox_.ack(it->name)) {
                    ++stats_.acked;
                } else if (::access((cfg_.outbox + "/new/" + it->name).c_str(), F_OK) == 0) {
                    ack_failed_ = true;  // still in new/: it would be re-sent at once, forever
                    ack_error_ = std::string("cannot move acked records to sent/: ") + std::strerror(errno);
                }
            }
            continue;
        }
        if (o == Outcome::Poison) {
            // Many refusals in a row are the endpoint's or a proxy's fault, not the records':
            // hold the queue (backoff) instead of dead-lettering all of it. An ack resets it.
            if (dead_in_a_row_ >= cfg_.max_dead_in_a_row) {
                last->error = std::to_string(dead_in_a_row_) + " records refused in a row, holding the rest (is a proxy "
                              "or the endpoint misconfigured?); last: " + r.error;
                return Outcome::Retry;
            }
            if (slice.size() == 1) {
                ++dead_in_a_row_;
                outbox_.dead_letter(slice[0]->name, r.error);
                ++stats_.dead;
                log("dead-lettered record " + slice[0]->id + ": " + r.error);
                continue;
            }
            std::size_t half = slice.size() / 2;
            work.emplace_back(slice.begin() + static_cast<long>(half), slice.end());
            work.emplace_back(slice.begin(), slice.begin() + static_cast<long>(half));
            continue;
        }
        return o;
    }
    return Outcome::Ack;
}

int Sender::run(const std::atomic<bool>& stop, bool once) {
    // One sender per outbox: a second one would only send duplicates.
    std::string lock_path = cfg_.outbox + "/sender.lock";
    int lock_fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (lock_fd < 0 && errno != ELOOP) lock_fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);  // read-only disk
    if (lock_fd < 0) {
        log("cannot open " + lock_path + " (" + std::strerror(errno) + "); running without the lock");
    } else if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        log("another sender is already draining " + cfg_.outbox + " (lock " + lock_path + "); exiting");
        ::close(lock_fd);
        return 1;
    }
    struct LockGuard {
        int fd;
        ~LockGuard() {
            if (fd >= 0) ::close(fd);
        }
    } guard{lock_fd};
    log("started: " + cfg_.outbox + " -> " + cfg_.url);
    housekeeping(true);
    std::vector<Outbox::Entry> pending;
    std::size_t pos = 0;
    write_status("running", "", 0);
    while (!stop) {
        housekeeping(false);
        reload_token_if_changed();
        if (pos >= pending.size()) {
            pending = outbox_.list("new");
            pos = 0;
            if (pending.empty()) {
                write_status("idle", "", 0);
                if (once) return 0;
                sleep_for(cfg_.poll_s, stop, false);
                continue;
            }
        }
        // Assemble a batch; corrupt files go to quarantine/, unusable records to dead/.
        std::vector<Item> batch;
        std::size_t bytes = 0;
        while (pos < pending.size() && batch.size() < static_cast<std::size_t>(cfg_.batch_records)) {
            const auto& e = pending[pos];
            if (!batch.empty() && bytes + e.size > cfg_.batch_bytes) break;
            ++pos;
            std::string why;
            auto body = outbox_.load("new", e.name, &why);
            if (!body) {
                if (::access((cfg_.outbox + "/new/" + e.name).c_str(), F_OK) != 0 &&
                    ::access((cfg_.outbox + "/quarantine/" + e.name).c_str(), F_OK) == 0) {
                    ++stats_.quarantined;
                    log("quarantined " + e.name + ": " + why);
                }
                continue;
            }
            try {
                std::string id = record::validate(*body);
                if (body->size() > record::kMaxRecordBytes) throw InputError("record larger than the size limit");
                batch.push_back({e.name, id, std::move(*body)});
                bytes += batch.back().json.size();
            } catch (const std::exception& ex) {
                outbox_.dead_letter(e.name, std::string("not sent: ") + ex.what());
                ++stats_.dead;
                log("dead-lettered " + e.name + ": " + ex.what());
            }
        }
        if (batch.empty()) continue;
        std::vector<const Item*> ptrs;
        for (const auto& it : batch) ptrs.push_back(&it);
        Response last;
        Outcome o = deliver(ptrs, stop, &last);
        if (o == Outcome::Ack && ack_failed_) {
            // Delivered, but the outbox cannot record it (read-only or broken disk): pace the
            // re-sends like failures instead of hammering the endpoint with duplicates.
            ack_failed_ = false;
            last.error = ack_error_;
            o = Outcome::Retry;
        } else if (o == Outcome::Ack) {
            if (failures_) log("endpoint reachable again; delivering");
            failures_ = 0;
            continue;
        }
        if (stop) break;
        pending.clear();  // re-list after the pause: operators may have requeued or removed files
        ++failures_;
        ++stats_.failures;
        if (o == Outcome::Auth) {  // 401 only: a 403 or a refused record is no reason to stop everything
            log("endpoint refused the token (" + last.error + "); pausing, records kept; retry when " +
                cfg_.token_file + " changes or in " + std::to_string(cfg_.auth_retry_s) + " s");
            write_status("paused_auth", last.error, cfg_.auth_retry_s);
            if (once) return 1;
            sleep_for(cfg_.auth_retry_s, stop, true);
            continue;
        }
        double delay = backoff_delay(failures_, cfg_.backoff_min_s, cfg_.backoff_max_s, rng_);
        if (auto ra = parse_retry_after(last.retry_after, now_s())) delay = std::max(delay, *ra);
        log("delivery failed (" + last.error + "); retry " + std::to_string(failures_) + " in " +
            fmt_fixed(delay, 1) + " s");
        write_status("backoff", last.error, delay);
        if (once) return 1;
        sleep_for(delay, stop, false);
    }
    write_status("stopped", "", 0);
    log("stopped");
    return 0;
}

}  // namespace aif::acct

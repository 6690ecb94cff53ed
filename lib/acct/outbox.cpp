// SPDX-License-Identifier: GPL-2.0-or-later
// Outbox file handling. Durability order for a write: data → fsync(file) → rename into new/ →
// fsync(new/). Only after the last step does write() report Ok.
#include "acct/outbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "record/hash.hpp"
#include "record/record.hpp"
#include "common/files.hpp"

namespace aif::acct {
namespace {

const char* const kSubdirs[] = {"tmp", "new", "sent", "dead", "quarantine"};
constexpr const char* kMagic = "AIFR1";

std::int64_t now_us() {
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    return static_cast<std::int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
}

bool fsync_dir(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return false;
    int rc = ::fsync(fd);
    ::close(fd);
    return rc == 0;
}

// Spool files are never links: one planted there must not make us read or replace another file.
std::optional<std::string> read_file(const std::string& path) { return try_read_file(path, kNoSizeLimit, false); }

// "<µs>-<uuid>.rec" or "<µs>-<uuid>.<pid>.<seq>.tmp" → uuid (empty if the name is foreign).
std::string id_of(const std::string& name) {
    auto dash = name.find('-');
    if (dash == std::string::npos || name.size() < dash + 37) return {};
    std::string id = name.substr(dash + 1, 36);
    return record::is_uuid(id) ? id : std::string();
}

bool ends_with(const std::string& s, const char* suffix) {
    std::size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

const char* result_name(WriteResult r) {
    switch (r) {
        case WriteResult::Ok: return "ok";
        case WriteResult::Full: return "outbox full";
        case WriteResult::NoSpace: return "no space left on device";
        case WriteResult::ReadOnly: return "read-only filesystem";
        case WriteResult::IoError: return "I/O error";
        case WriteResult::Invalid: return "invalid record";
    }
    return "?";
}

Outbox::Outbox(std::string dir, OutboxLimits limits, Logger log)
    : dir_(std::move(dir)), limits_(limits), log_(std::move(log)) {}

void Outbox::log_once(WriteResult r, const std::string& msg) noexcept {
    unsigned bit = 1u << static_cast<unsigned>(r);
    if (logged_mask_.fetch_or(bit) & bit) return;
    try {
        if (log_) log_("aifactory outbox " + dir_ + ": " + msg + " (counting further failures silently)");
    } catch (...) {
    }
}

bool Outbox::ensure_layout() noexcept {
    ::mkdir(dir_.c_str(), 0750);
    for (const char* s : kSubdirs) {
        std::string p = dir_ + "/" + s;
        if (::mkdir(p.c_str(), 0750) != 0 && errno != EEXIST) {
            log_once(WriteResult::IoError, "cannot create " + p + ": " + std::strerror(errno));
            return false;
        }
        // A symlink in place of a sub-directory would move records (and the root sender's
        // writes) wherever it points.
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            log_once(WriteResult::IoError, p + " is not a directory (a symlink?); refusing to use the outbox");
            return false;
        }
    }
    return true;
}

Outbox::Counters Outbox::counters() const {
    Counters c;
    c.written = written_;
    c.full = full_;
    c.no_space = no_space_;
    c.read_only = read_only_;
    c.io_error = io_error_;
    c.invalid = invalid_;
    return c;
}

std::string Outbox::frame(const std::string& json) {
    char head[64];
    std::snprintf(head, sizeof head, "%s %zu %08x\n", kMagic, json.size(), record::crc32(json));
    return head + json + "\n";
}

std::optional<std::string> Outbox::unframe(const std::string& file, std::string* why) {
    auto fail = [&](std::string w) -> std::optional<std::string> {
        if (why) *why = std::move(w);
        return std::nullopt;
    };
    if (file.empty()) return fail("empty file (torn write)");
    auto nl = file.find('\n');
    if (nl == std::string::npos || nl > 40) return fail("no header line");
    char magic[8] = {0};
    std::size_t len = 0;
    unsigned crc = 0;
    if (std::sscanf(file.c_str(), "%7s %zu %8x", magic, &len, &crc) != 3 || std::strcmp(magic, kMagic) != 0)
        return fail("bad header");
    if (file.size() != nl + 1 + len + 1 || file.back() != '\n')
        return fail("length mismatch: header says " + std::to_string(len) + " bytes, file has " +
                    std::to_string(file.size() > nl + 2 ? file.size() - nl - 2 : 0) + " (torn write)");
    std::string body = file.substr(nl + 1, len);
    if (record::crc32(body) != crc) return fail("checksum mismatch (corrupt data)");
    return body;
}

bool Outbox::over_bound(std::uint64_t add, WriteResult* why) noexcept {
    struct statvfs vfs {};
    if (::statvfs(dir_.c_str(), &vfs) == 0) {
        std::uint64_t avail = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
        if (avail < limits_.min_free_bytes + add) {
            *why = WriteResult::NoSpace;
            return true;
        }
    }
    // Usage hint published by the sender; if it is stale (sender down), count new/ ourselves.
    Usage u;
    bool fresh = false;
    std::string hint = dir_ + "/usage";
    struct stat st {};
    if (::stat(hint.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime < 120) {
        if (auto t = read_file(hint)) {
            unsigned long long r = 0, b = 0;
            fresh = std::sscanf(t->c_str(), "%llu %llu", &r, &b) == 2;
            u.records = r;
            u.bytes = b;
        }
    }
    if (!fresh) {
        DIR* d = ::opendir((dir_ + "/new").c_str());
        if (d) {
            while (auto* e = ::readdir(d))
                if (e->d_name[0] != '.') ++u.records;
            ::closedir(d);
        }
        u.bytes = u.records * 2048;  // estimate; the sender publishes exact figures
        publish_usage(u);
    }
    if (above_high_water(u) && !high_water_logged_.exchange(true)) {
        try {
            if (log_)
                log_("aifactory outbox " + dir_ + ": above " + std::to_string(limits_.high_water_percent) +
                     "% of its bound (" + std::to_string(u.records) + " records); is the sender running?");
        } catch (...) {
        }
    }
    if (u.records + 1 > limits_.max_records || u.bytes + add > limits_.max_bytes) {
        *why = WriteResult::Full;
        return true;
    }
    return false;
}

WriteResult Outbox::failed(int err) noexcept {
    WriteResult r = (err == ENOSPC || err == EDQUOT) ? WriteResult::NoSpace
                    : err == EROFS                  ? WriteResult::ReadOnly
                                                    : WriteResult::IoError;
    (r == WriteResult::NoSpace ? no_space_ : r == WriteResult::ReadOnly ? read_only_ : io_error_)++;
    log_once(r, std::string("cannot write a record: ") + std::strerror(err));
    return r;
}

// Checks the record and the bound, then writes and fsyncs it in tmp/. Sets *tmp and *dst.
WriteResult Outbox::stage(const std::string& record_id, const std::string& json, std::string* tmp,
                          std::string* dst) noexcept {
    try {
        if (!record::is_uuid(record_id) || json.empty() || json.size() > record::kMaxRecordBytes) {
            ++invalid_;
            log_once(WriteResult::Invalid, "refused an invalid record (bad id or size)");
            return WriteResult::Invalid;
        }
        std::string data = frame(json);
        WriteResult why = WriteResult::Ok;
        if (over_bound(data.size(), &why)) {
            (why == WriteResult::Full ? full_ : no_space_)++;
            log_once(why, why == WriteResult::Full ? "bound reached, new records are dropped"
                                                   : "filesystem almost full, new records are dropped");
            return why;
        }
        std::string base = std::to_string(now_us()) + "-" + record_id;
        *tmp = dir_ + "/tmp/" + base + "." + std::to_string(getpid()) + "." + std::to_string(seq_++) + ".tmp";
        *dst = dir_ + "/new/" + base + ".rec";
        int fd = ::open(tmp->c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0) return failed(errno);
        int err = 0;
        if (!write_all(fd, data.data(), data.size()) || ::fsync(fd) != 0) err = errno ? errno : EIO;
        if (::close(fd) != 0 && !err) err = errno;
        if (err) {
            ::unlink(tmp->c_str());
            return failed(err);
        }
        return WriteResult::Ok;
    } catch (...) {
        return failed(EIO);
    }
}

WriteResult Outbox::write(const std::string& record_id, const std::string& json) noexcept {
    return write_many({{record_id, json}}).front();
}

std::vector<WriteResult> Outbox::write_many(const std::vector<std::pair<std::string, std::string>>& records) noexcept {
    std::vector<WriteResult> results(records.size(), WriteResult::IoError);
    try {
        std::vector<std::pair<std::string, std::string>> staged(records.size());
        bool any = false;
        for (std::size_t i = 0; i < records.size(); ++i) {
            results[i] = stage(records[i].first, records[i].second, &staged[i].first, &staged[i].second);
            if (results[i] != WriteResult::Ok) continue;
            if (::rename(staged[i].first.c_str(), staged[i].second.c_str()) != 0) {
                int err = errno;
                ::unlink(staged[i].first.c_str());
                results[i] = failed(err);
                continue;
            }
            any = true;
        }
        // Group commit: one directory fsync makes every rename above durable.
        if (any && !fsync_dir(dir_ + "/new")) {
            int err = errno ? errno : EIO;
            for (auto& r : results)
                if (r == WriteResult::Ok) r = failed(err);
            return results;
        }
        for (auto r : results) written_ += r == WriteResult::Ok;
    } catch (...) {
    }
    return results;
}

std::vector<Outbox::Entry> Outbox::list(const std::string& sub) const {
    std::vector<Entry> out;
    std::string path = dir_ + "/" + sub;
    DIR* d = ::opendir(path.c_str());
    if (!d) return out;
    int dfd = dirfd(d);
    while (auto* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name[0] == '.' || ends_with(name, ".reason")) continue;
        Entry en;
        en.name = name;
        en.id = id_of(name);
        struct stat st {};
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (!S_ISREG(st.st_mode)) continue;
            en.size = static_cast<std::uint64_t>(st.st_size);
            en.mtime = st.st_mtime;
        }
        out.push_back(std::move(en));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return out;
}

Usage Outbox::usage() const {
    Usage u;
    for (const char* s : {"new", "dead", "quarantine"})
        for (const auto& e : list(s)) {
            ++u.records;
            u.bytes += e.size;
        }
    return u;
}

bool Outbox::above_high_water(const Usage& u) const {
    return u.records * 100 >= limits_.max_records * static_cast<std::uint64_t>(limits_.high_water_percent) ||
           u.bytes * 100 >= limits_.max_bytes * static_cast<std::uint64_t>(limits_.high_water_percent);
}

void Outbox::publish_usage(const Usage& u) const {
    write_file_atomic(dir_ + "/usage", std::to_string(u.records) + " " + std::to_string(u.bytes) + "\n", 0640);
}

std::optional<std::string> Outbox::load(const std::string& sub, const std::string& name, std::string* why) {
    std::string w;
    auto file = read_file(dir_ + "/" + sub + "/" + name);
    if (!file) {
        if (why) *why = std::string("cannot read: ") + std::strerror(errno);
        return std::nullopt;
    }
    auto body = unframe(*file, &w);
    if (!body) {
        if (sub == "new") quarantine(sub, name, w);
        if (why) *why = w;
    }
    return body;
}

bool Outbox::move(const std::string& from, const std::string& to, const std::string& name) {
    std::string a = dir_ + "/" + from + "/" + name, b = dir_ + "/" + to + "/" + name;
    if (::rename(a.c_str(), b.c_str()) != 0) return false;
    if (to == "sent") {
        ::utimensat(AT_FDCWD, b.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);  // retention counts from the ack
        // No fsync: if a crash undoes this rename, the record is simply sent again (same id).
        return true;
    }
    fsync_dir(dir_ + "/" + to);
    return true;
}

bool Outbox::ack(const std::string& name) { return move("new", "sent", name); }

bool Outbox::dead_letter(const std::string& name, const std::string& reason) {
    write_file_atomic(dir_ + "/dead/" + name + ".reason", reason + "\n", 0640);
    return move("new", "dead", name);
}

bool Outbox::quarantine(const std::string& sub, const std::string& name, const std::string& reason) {
    write_file_atomic(dir_ + "/quarantine/" + name + ".reason", "from " + sub + "/: " + reason + "\n", 0640);
    return move(sub, "quarantine", name);
}

bool Outbox::requeue(const std::string& sub, const std::string& name) {
    std::string target = name;
    if (!ends_with(target, ".rec")) target = target.substr(0, target.find('.')) + ".rec";
    std::string a = dir_ + "/" + sub + "/" + name, b = dir_ + "/new/" + target;
    if (::rename(a.c_str(), b.c_str()) != 0) return false;
    ::unlink((dir_ + "/" + sub + "/" + name + ".reason").c_str());
    fsync_dir(dir_ + "/new");
    return true;
}

std::string Outbox::reason_of(const std::string& sub, const std::string& name) const {
    auto t = read_file(dir_ + "/" + sub + "/" + name + ".reason");
    if (!t) return {};
    while (!t->empty() && t->back() == '\n') t->pop_back();
    return *t;
}

std::pair<int, int> Outbox::recover_tmp(int age_s) {
    int recovered = 0, quarantined = 0;
    std::int64_t now = std::time(nullptr);
    for (const auto& e : list("tmp")) {
        if (age_s > 0 && now - e.mtime < age_s) continue;
        std::string why;
        auto file = read_file(dir_ + "/tmp/" + e.name);
        if (file && unframe(*file, &why)) {
            std::string base = e.name.substr(0, e.name.find('.'));
            if (::rename((dir_ + "/tmp/" + e.name).c_str(), (dir_ + "/new/" + base + ".rec").c_str()) == 0) {
                fsync_dir(dir_ + "/new");
                ++recovered;
            }
        } else if (quarantine("tmp", e.name, file ? why : "unreadable")) {
            ++quarantined;
        }
    }
    return {recovered, quarantined};
}

std::size_t Outbox::prune_sent(std::int64_t older_than_s) {
    std::size_t n = 0;
    std::int64_t now = std::time(nullptr);
    for (const auto& e : list("sent"))
        if ((older_than_s <= 0 || now - e.mtime >= older_than_s) && ::unlink((dir_ + "/sent/" + e.name).c_str()) == 0) ++n;
    return n;
}

}  // namespace aif::acct

// SPDX-License-Identifier: GPL-2.0-or-later
#include "acct/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"

namespace aif::acct {

KeyValues parse_key_values(const std::string& text, const std::string& origin,
                           const std::vector<std::string>& known) {
    KeyValues kv;
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        std::string_view l = trim(line);
        if (l.empty() || l[0] == '#') continue;
        auto eq = l.find('=');
        std::string where = origin + ":" + std::to_string(n);
        if (eq == std::string_view::npos) throw InputError(where + ": expected 'key = value'");
        std::string key(trim(l.substr(0, eq)));
        std::string value(trim(l.substr(eq + 1)));
        bool ok = false;
        for (const auto& k : known) ok = ok || k == key;
        if (!ok) {
            auto near = closest(key, known, 1);
            throw InputError(where + ": unknown key '" + key + "'" +
                             (near.empty() ? std::string() : " (did you mean '" + near[0] + "'?)"));
        }
        if (kv.count(key)) throw InputError(where + ": '" + key + "' is set twice");
        kv[key] = value;
    }
    return kv;
}

KeyValues read_key_values(const std::string& path, const std::vector<std::string>& known) {
    return parse_key_values(read_file(path), path, known);
}

std::string read_secret_file(const std::string& path, const char* what, bool group_may_read) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw InputError(std::string(what) + " " + path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw InputError(std::string(what) + " " + path + ": not a regular file");
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        ::close(fd);
        throw InputError(std::string(what) + " " + path + ": must be owned by root (chown root " + path + ")");
    }
    if (st.st_mode & (group_may_read ? 037 : 077)) {
        ::close(fd);
        throw InputError(std::string(what) + " " + path + ": readable by others; run: chmod " + (group_may_read ? "640 " : "600 ") + path);
    }
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (n < 0) throw InputError(std::string(what) + " " + path + ": read failed");
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (s.empty()) throw InputError(std::string(what) + " " + path + ": file is empty");
    return s;
}

ProducerConfig parse_producer_config(const KeyValues& kv, const std::string& origin) {
    ProducerConfig c;
    auto get = [&](const char* k) -> const std::string* {
        auto it = kv.find(k);
        return it == kv.end() ? nullptr : &it->second;
    };
    if (auto v = get("site")) c.site = *v;
    if (c.site.empty()) throw InputError(origin + ": 'site' is required (the site name the federation knows)");
    if (auto v = get("cluster")) c.cluster = *v;
    auto ns = get("site_namespace");
    if (!ns) throw InputError(origin + ": 'site_namespace' is required (a UUID; generate one with uuidgen)");
    try {
        c.site_namespace = record::parse_uuid(*ns);
    } catch (const InputError& e) {
        throw InputError(origin + ": site_namespace: " + e.what());
    }
    if (auto v = get("user_key_file")) c.user_key = read_secret_file(*v, "user_key_file");
    if (auto v = get("prediction_key_file"))
        c.prediction_key = read_secret_file(*v, "prediction_key_file", true);
    else if (::access(kDefaultPredictionKey, F_OK) == 0)
        c.prediction_key = read_secret_file(kDefaultPredictionKey, "prediction_key_file", true);
    if (auto v = get("outbox")) c.outbox = *v;
    if (auto v = get("max_records")) c.limits.max_records = parse_int(*v, "max_records", 1, 100000000);
    if (auto v = get("max_mb")) c.limits.max_bytes = parse_int(*v, "max_mb", 1, 100000000) * 1024ull * 1024;
    if (auto v = get("high_water_percent"))
        c.limits.high_water_percent = static_cast<int>(parse_int(*v, "high_water_percent", 1, 100));
    if (auto v = get("min_free_mb")) c.limits.min_free_bytes = parse_int(*v, "min_free_mb", 0, 100000000) * 1024ull * 1024;
    return c;
}

ProducerConfig load_producer_config(const std::string& path) {
    static const std::vector<std::string> keys{"site", "cluster", "site_namespace", "user_key_file", "prediction_key_file", "outbox",
                                               "max_records", "max_mb", "high_water_percent", "min_free_mb"};
    return parse_producer_config(read_key_values(path, keys), path);
}

}  // namespace aif::acct

// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/site_config.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "common/enum_names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"

namespace aif::site {

namespace {
const EnumName<Policy> kPolicyNames[] = {{Policy::Enforce, "enforce"}, {Policy::Warn, "warn"}, {Policy::Off, "off"}};
}  // namespace

const char* name(Policy p) { return name_of(kPolicyNames, p); }

Policy parse_policy(std::string_view s, std::string_view what) {
    if (const auto* e = find_enum(kPolicyNames, s)) return e->value;
    throw InputError(std::string(what) + ": '" + printable(s) + "' is not enforce, warn or off");
}

const PartitionRule* SiteConfig::find(std::string_view slurm_partition) const {
    for (const auto& p : partitions)
        if (p.slurm_name == slurm_partition) return &p;
    return nullptr;
}

static bool listed(const std::vector<std::string>& list, std::string_view v) {
    if (v.empty()) return false;
    for (const auto& x : list)
        if (x == v) return true;
    return false;
}

bool SiteConfig::exempt(std::string_view account, std::string_view user,
                        std::string_view qos) const {
    return listed(exempt_accounts, account) || listed(exempt_users, user) || listed(exempt_qos, qos);
}

namespace {

// One line split into Key=Value words (Slurm style: whitespace separates, values may be quoted).
struct Word {
    std::string key, value;
};

std::vector<Word> words_of(std::string_view line, const std::string& where) {
    std::vector<Word> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size()) break;
        const std::size_t start = i;
        while (i < line.size() && line[i] != '=' && line[i] != ' ' && line[i] != '\t') ++i;
        std::string key(line.substr(start, i - start));
        if (i >= line.size() || line[i] != '=')
            throw InputError(where + ": '" + printable(key) + "' is not Key=Value");
        ++i;
        std::string value;
        if (i < line.size() && line[i] == '"') {
            const std::size_t close = line.find('"', i + 1);
            if (close == std::string_view::npos) throw InputError(where + ": unterminated quote");
            value = std::string(line.substr(i + 1, close - i - 1));
            i = close + 1;
        } else {
            const std::size_t vs = i;
            while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
            value = std::string(line.substr(vs, i - vs));
        }
        if (value.empty()) throw InputError(where + ": " + printable(key) + "= has no value");
        out.push_back({key, value});
    }
    return out;
}

// "5%" or "0.05" → 0.05.
// "torchtitan@2024.12,megatron@core_r0.12": each a versioned profile, one per family.
std::vector<const calc::FrameworkProfile*> parse_pins(std::string_view v, const std::string& what) {
    std::vector<const calc::FrameworkProfile*> pins;
    for (const std::string& item : split(v, ',')) {
        if (item.find('@') == std::string::npos)
            throw InputError(what + ": '" + printable(item, 40) + "' names no version (example: torchtitan@2024.12)");
        const calc::FrameworkProfile& p = calc::parse_profile(item, what);
        for (const auto* q : pins)
            if (std::string_view(q->family) == p.family)
                throw InputError(what + ": " + p.family + " is pinned twice");
        pins.push_back(&p);
    }
    return pins;
}

double parse_headroom(std::string_view v, const std::string& what) {
    std::string s(trim(v));
    if (!s.empty() && s.back() == '%') {
        s.pop_back();
        return parse_double(s, what, 0, 90) / 100.0;
    }
    return parse_double(s, what, 0, 0.9);
}

std::string resolve(std::string_view dir, const std::string& path) {
    if (path.empty() || path[0] == '/') return path;
    return std::string(dir) + "/" + path;
}

bool key_is(const std::string& key, const char* name) { return lower(key) == lower(name); }

}  // namespace

SiteConfig parse_site_config(std::string_view text, std::string_view origin, std::string_view dir) {
    SiteConfig cfg;
    // Partition lines may come before the global keys they default from: resolve afterwards.
    struct Pending {
        PartitionRule rule;
        bool policy_set = false, headroom_set = false, warn_set = false, detect_set = false;
    };
    std::vector<Pending> pending;
    std::istringstream in{std::string(text)};
    std::string raw;
    int lineno = 0;
    while (std::getline(in, raw)) {
        ++lineno;
        const std::string where = std::string(origin) + ":" + std::to_string(lineno);
        std::string_view line = raw;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        const auto words = words_of(line, where);
        if (key_is(words[0].key, "PartitionName")) {
            Pending p;
            p.rule.slurm_name = words[0].value;
            p.rule.origin = where;
            for (std::size_t i = 1; i < words.size(); ++i) {
                const auto& [k, v] = words[i];
                const std::string what = where + ": " + k;
                if (key_is(k, "System")) p.rule.system = v;
                else if (key_is(k, "Policy")) p.rule.policy = parse_policy(v, what), p.policy_set = true;
                else if (key_is(k, "Headroom")) p.rule.headroom = parse_headroom(v, what), p.headroom_set = true;
                else if (key_is(k, "AllowUserWarn"))
                    p.rule.allow_user_warn = parse_bool(v, what), p.warn_set = true;
                else if (key_is(k, "Detect")) p.rule.detect = parse_policy(v, what), p.detect_set = true;
                else
                    throw InputError(where + ": unknown partition key '" + k +
                                     "' (known: System, Policy, Headroom, AllowUserWarn, Detect)");
            }
            if (p.rule.system.empty())
                throw InputError(where + ": PartitionName=" + p.rule.slurm_name + " needs System=");
            for (const auto& q : pending)
                if (q.rule.slurm_name == p.rule.slurm_name)
                    throw InputError(where + ": partition " + p.rule.slurm_name +
                                     " already described at " + q.rule.origin);
            pending.push_back(std::move(p));
            continue;
        }
        for (const auto& [k, v] : words) {
            const std::string what = where + ": " + k;
            if (key_is(k, "DefaultPolicy")) cfg.default_policy = parse_policy(v, what);
            else if (key_is(k, "DefaultHeadroom")) cfg.default_headroom = parse_headroom(v, what);
            else if (key_is(k, "AllowUserWarn")) cfg.allow_user_warn = parse_bool(v, what);
            else if (key_is(k, "Detect")) cfg.default_detect = parse_policy(v, what);
            else if (key_is(k, "ExemptAccounts")) cfg.exempt_accounts = split(v, ',');
            else if (key_is(k, "ExemptUsers")) cfg.exempt_users = split(v, ',');
            else if (key_is(k, "ExemptQOS")) cfg.exempt_qos = split(v, ',');
            else if (key_is(k, "HardwareCatalogue"))
                for (const auto& f : split(v, ',')) cfg.hardware_files.push_back(resolve(dir, f));
            else if (key_is(k, "ModelCatalogue"))
                for (const auto& f : split(v, ',')) cfg.model_files.push_back(resolve(dir, f));
            else if (key_is(k, "SiteModel")) cfg.site_model_file = resolve(dir, v);
            else if (key_is(k, "DefaultPartition")) cfg.default_partition = v;
            else if (key_is(k, "ReloadInterval"))
                cfg.reload_interval_s = static_cast<int>(parse_int(v, what, 1, 3600));
            else if (key_is(k, "MinProgress")) cfg.min_progress_min = parse_minutes(v, what);
            else if (key_is(k, "Frameworks")) cfg.framework_pins = parse_pins(v, what);
            else
                throw InputError(where + ": unknown key '" + k +
                                 "' (known: PartitionName, DefaultPolicy, DefaultHeadroom, "
                                 "AllowUserWarn, ExemptAccounts, ExemptUsers, ExemptQOS, "
                                 "HardwareCatalogue, ModelCatalogue, DefaultPartition, "
                                 "ReloadInterval, MinProgress, Detect, Frameworks)");
        }
    }
    for (auto& p : pending) {
        if (!p.policy_set) p.rule.policy = cfg.default_policy;
        if (!p.headroom_set) p.rule.headroom = cfg.default_headroom;
        if (!p.warn_set) p.rule.allow_user_warn = cfg.allow_user_warn;
        if (!p.detect_set) p.rule.detect = cfg.default_detect;
        cfg.partitions.push_back(std::move(p.rule));
    }
    return cfg;
}

SiteConfig load_site_config(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    return parse_site_config(read_file(path), path, dir.empty() ? "/" : dir);
}

long parse_minutes(std::string_view text, std::string_view what) {
    const std::string s = lower(trim(text));
    if (s == "unlimited" || s == "infinite") return 0;
    const auto bad = [&]() -> InputError {
        return InputError(std::string(what) + ": '" + printable(text) +
                          "' is not a time (minutes, [D-]HH:MM:SS, or 30min, 2h, 1d)");
    };
    constexpr long long kMax = 1000LL * 365 * 24 * 60;  // minutes in 1000 years
    for (const auto& [suffix, minutes] : {std::pair<const char*, long long>{"min", 1}, {"h", 60}, {"d", 1440}}) {
        const std::string_view sv = s, suf = suffix;
        if (sv.size() > suf.size() && sv.substr(sv.size() - suf.size()) == suf &&
            std::isdigit(static_cast<unsigned char>(sv[sv.size() - suf.size() - 1])))
            return static_cast<long>(parse_int(sv.substr(0, sv.size() - suf.size()), what, 0, kMax / minutes) * minutes);
    }
    // Slurm: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S".
    long long days = 0;
    std::string_view rest = s;
    const bool has_days = rest.find('-') != std::string_view::npos;
    if (has_days) {
        const auto dash = rest.find('-');
        days = parse_int(rest.substr(0, dash), what, 0, 1000 * 365);
        rest = rest.substr(dash + 1);
    }
    const std::vector<std::string> parts = [&] {
        std::vector<std::string> p;
        std::size_t start = 0;
        for (std::size_t i = 0; i <= rest.size(); ++i)
            if (i == rest.size() || rest[i] == ':') p.emplace_back(rest.substr(start, i - start)), start = i + 1;
        return p;
    }();
    if (parts.empty() || parts.size() > 3) throw bad();
    long long v[3] = {0, 0, 0};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].empty() || parts[i].find_first_not_of("0123456789") != std::string::npos) throw bad();
        v[i] = parse_int(parts[i], what, 0, kMax);
    }
    long long h = 0, m = 0, sec = 0;
    if (has_days) h = v[0], m = v[1], sec = v[2];  // D-H, D-H:M, D-H:M:S
    else if (parts.size() == 3) h = v[0], m = v[1], sec = v[2];
    else m = v[0], sec = v[1];
    const long long total = days * 1440 + h * 60 + m + (sec + 59) / 60;
    if (total > kMax) throw bad();
    return static_cast<long>(total);
}

namespace {

// Calls fn(words) for each PartitionName= line of slurm.conf, words as lower-case key → value.
template <class Fn>
void for_each_partition_line(std::string_view text, Fn&& fn) {
    std::istringstream in{std::string(text)};
    std::string raw;
    while (std::getline(in, raw)) {
        std::string_view line = raw;
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (lower(line.substr(0, 14)) != "partitionname=") continue;
        std::map<std::string, std::string> words;
        std::istringstream ws{std::string(line)};
        for (std::string w; ws >> w;)
            if (const auto eq = w.find('='); eq != std::string::npos) words[lower(w.substr(0, eq))] = w.substr(eq + 1);
        fn(words);
    }
}

}  // namespace

std::vector<PartitionTimes> partition_times_of_slurm_conf(std::string_view text) {
    std::vector<PartitionTimes> out;
    PartitionTimes defaults;
    for_each_partition_line(text, [&](const std::map<std::string, std::string>& words) {
        PartitionTimes p = defaults;
        for (const auto& [k, v] : words) {
            try {
                if (k == "partitionname") p.name = v;
                else if (k == "defaulttime") p.default_min = parse_minutes(v, k);
                else if (k == "maxtime") p.max_min = parse_minutes(v, k);
            } catch (const InputError&) {
            }
        }
        if (p.name == "DEFAULT") defaults = p;
        else out.push_back(std::move(p));
    });
    return out;
}

std::string default_partition_of_slurm_conf(std::string_view text) {
    std::string found;
    for_each_partition_line(text, [&](const std::map<std::string, std::string>& words) {
        const auto name = words.find("partitionname"), is_default = words.find("default");
        if (found.empty() && name != words.end() && name->second != "DEFAULT" && is_default != words.end() &&
            lower(is_default->second) == "yes")
            found = name->second;
    });
    return found;
}

}  // namespace aif::site

// SPDX-License-Identifier: GPL-2.0-or-later
// Schema rules: kinds, times (strftime/timegm), UUIDs (libuuid), pseudonyms (HMAC).
#include "record/schema.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <uuid/uuid.h>

#include "common/error.hpp"
#include "record/hash.hpp"

namespace aif::record {

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::SubmitDecision: return "submit_decision";
        case Kind::StepEnd: return "step_end";
        case Kind::JobEnd: return "job_end";
    }
    return "unknown";
}

std::optional<Kind> parse_kind(std::string_view name) {
    for (Kind k : {Kind::SubmitDecision, Kind::StepEnd, Kind::JobEnd})
        if (name == kind_name(k)) return k;
    return std::nullopt;
}

int schema_version(std::string_view name) { return name == kSchema ? 2 : name == kSchemaV1 ? 1 : 0; }

bool is_decision(std::string_view t) { return t == "accepted" || t == "warned" || t == "rejected"; }

std::string rfc3339_utc(std::int64_t epoch) {
    std::time_t t = static_cast<std::time_t>(epoch);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::optional<std::int64_t> parse_rfc3339_utc(std::string_view t) {
    // YYYY-MM-DDTHH:MM:SSZ
    if (t.size() < 20 || t.back() != 'Z') return std::nullopt;
    auto digits = [&](std::size_t pos, std::size_t n, int& out) {
        out = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, s;
    if (!digits(0, 4, y) || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
        (t[10] != 'T' && t[10] != 't') || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi) || t[16] != ':' ||
        !digits(17, 2, s))
        return std::nullopt;
    if (t.size() != 20) return std::nullopt;  // the schema's form: seconds, no fraction
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return static_cast<std::int64_t>(timegm(&tm));
}

Uuid parse_uuid(std::string_view t) {
    Uuid u{};
    if (uuid_parse_range(t.data(), t.data() + t.size(), u.data()) != 0)
        throw InputError("'" + std::string(t) + "' is not a UUID (8-4-4-4-12 hex digits)");
    return u;
}

bool is_uuid(std::string_view text) {
    Uuid u{};
    return uuid_parse_range(text.data(), text.data() + text.size(), u.data()) == 0;
}

bool is_uuid_v5(std::string_view text) {
    Uuid u{};
    if (uuid_parse_range(text.data(), text.data() + text.size(), u.data()) != 0) return false;
    return format_uuid(u) == text && uuid_type(u.data()) == UUID_TYPE_DCE_SHA1 && uuid_variant(u.data()) == UUID_VARIANT_DCE;
}

std::string format_uuid(const Uuid& u) {
    char text[UUID_STR_LEN];
    uuid_unparse_lower(u.data(), text);
    return text;
}

std::string uuid_v5(const Uuid& ns, std::string_view name) {
    Uuid u{};
    uuid_generate_sha1(u.data(), ns.data(), name.data(), name.size());
    return format_uuid(u);
}

std::string pseudonym(std::string_view key, std::string_view user_name) {
    auto mac = hmac_sha256(key, user_name);
    return "u-" + to_hex(mac.data(), 16);
}

bool is_pseudonym(std::string_view t) {
    auto lower_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    return t.size() == 34 && t.substr(0, 2) == "u-" && std::all_of(t.begin() + 2, t.end(), lower_hex);
}

bool is_site_name(std::string_view t) {
    return std::all_of(t.begin(), t.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    });
}

}  // namespace aif::record

// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/json.hpp"

#include <cmath>
#include <cstdlib>

#include "common/error.hpp"
#include "common/files.hpp"

namespace aif::json {

static std::string located(std::string_view origin, const json_error_t& e) {
    return std::string(origin) + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) +
           ": " + e.text;
}

Ptr parse(std::string_view text, std::string_view origin) {
    json_error_t err;
    json_t* j = json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &err);
    if (!j) throw InputError(located(origin, err));
    return Ptr(j);
}

Ptr load_file(const std::string& path) {
    return parse(read_file(path), path);  // says "No such file" or "is a directory" itself
}

static const json_t* member(const json_t* obj, const char* key) {
    if (!json_is_object(obj)) return nullptr;
    const json_t* v = json_object_get(obj, key);
    return (v && !json_is_null(v)) ? v : nullptr;
}

static InputError wrong_type(std::string_view where, const char* key, const char* want) {
    return InputError(std::string(where) + ": key '" + key + "' must be " + want);
}

std::optional<double> number(const json_t* obj, const char* key, std::string_view where) {
    const json_t* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!json_is_number(v)) throw wrong_type(where, key, "a number");
    double d = json_number_value(v);
    if (!std::isfinite(d)) throw wrong_type(where, key, "a finite number");
    return d;
}

std::optional<long long> integer(const json_t* obj, const char* key, std::string_view where) {
    const json_t* v = member(obj, key);
    if (!v) return std::nullopt;
    if (json_is_integer(v)) return static_cast<long long>(json_integer_value(v));
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<long long>(d);
    }
    throw wrong_type(where, key, "a whole number");
}

std::optional<std::string> string(const json_t* obj, const char* key, std::string_view where) {
    const json_t* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!json_is_string(v)) throw wrong_type(where, key, "a string");
    return std::string(json_string_value(v), json_string_length(v));
}

std::optional<bool> boolean(const json_t* obj, const char* key, std::string_view where) {
    const json_t* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!json_is_boolean(v)) throw wrong_type(where, key, "true or false");
    return json_is_true(v);
}

double require_number(const json_t* obj, const char* key, std::string_view where) {
    auto v = number(obj, key, where);
    if (!v) throw InputError(std::string(where) + ": missing key '" + key + "'");
    return *v;
}

long long require_integer(const json_t* obj, const char* key, std::string_view where) {
    auto v = integer(obj, key, where);
    if (!v) throw InputError(std::string(where) + ": missing key '" + key + "'");
    return *v;
}

std::string require_string(const json_t* obj, const char* key, std::string_view where) {
    auto v = string(obj, key, where);
    if (!v) throw InputError(std::string(where) + ": missing key '" + key + "'");
    return *v;
}

std::string dump(const json_t* j, bool pretty) {
    char* s = json_dumps(j, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_REAL_PRECISION(10));
    if (!s) return "null";
    std::string out(s);
    std::free(s);
    return out;
}

}  // namespace aif::json

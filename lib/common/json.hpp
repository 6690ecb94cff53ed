// SPDX-License-Identifier: GPL-2.0-or-later
// Thin RAII and typed-access helpers over jansson; errors name the file and the key.
#pragma once
#include <jansson.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aif::json {

struct Decref {
    void operator()(json_t* j) const { json_decref(j); }
};
using Ptr = std::unique_ptr<json_t, Decref>;

// Parse text or a file; throws InputError "<origin>:<line>:<col>: <reason>".
Ptr parse(std::string_view text, std::string_view origin);
Ptr load_file(const std::string& path);

// Typed access to an object member. `where` names the object in messages (e.g. "config.json").
std::optional<double> number(const json_t* obj, const char* key, std::string_view where);
std::optional<long long> integer(const json_t* obj, const char* key, std::string_view where);
std::optional<std::string> string(const json_t* obj, const char* key, std::string_view where);
std::optional<bool> boolean(const json_t* obj, const char* key, std::string_view where);
double require_number(const json_t* obj, const char* key, std::string_view where);
long long require_integer(const json_t* obj, const char* key, std::string_view where);
std::string require_string(const json_t* obj, const char* key, std::string_view where);

// Serialise compactly (sorted keys) for output.
std::string dump(const json_t* j, bool pretty = false);

}  // namespace aif::json

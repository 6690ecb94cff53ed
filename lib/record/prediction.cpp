// SPDX-License-Identifier: GPL-2.0-or-later
// Prediction: wire encoding (fixed key order and precision, byte for byte what job_submit has
// always signed), strict decoding, and the record's JSON object.
#include "record/prediction.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "common/error.hpp"
#include "common/text.hpp"
#include "record/schema.hpp"

namespace aif::record {
namespace {

constexpr const char* kMemPrefix = "mem_";
constexpr const char* kMemSuffix = "_gib";
constexpr const char* kDecisionIdKey = "decision_id";
constexpr const char* kRunKey = "run";

std::optional<double> parse_number(std::string_view text) {
    std::string v(trim(text));
    if (v.empty() || v.find_first_of("xXnN") != std::string::npos) return std::nullopt;  // hex, inf, nan
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(v.c_str(), &end);
    if (!end || *end != '\0' || errno != 0 || !std::isfinite(d)) return std::nullopt;
    return d;
}

// "mem_weights_gib" → "weights"; "" when not a component key.
std::string component_of(std::string_view key) {
    const std::size_t p = std::string_view(kMemPrefix).size(), s = std::string_view(kMemSuffix).size();
    if (key.size() <= p + s || key.substr(0, p) != kMemPrefix || key.substr(key.size() - s) != kMemSuffix) return {};
    return std::string(key.substr(p, key.size() - p - s));
}

// Sets one field from its text. Returns false for a key the type does not know.
// `strict`: a known key with a value that does not parse throws; else it is left empty.
bool set_field(Prediction& p, const std::string& key, std::string_view value, bool strict) {
    auto number = [&](std::optional<double>& out) {
        out = parse_number(value);
        if (!out && strict) throw InputError("prediction: " + key + "='" + std::string(value) + "' is not a number");
        return true;
    };
    if (key == "verdict") p.verdict = value;
    else if (key == "dominant") p.dominant = value;
    else if (key == "layout") p.layout = value;
    else if (key == kDecisionIdKey) {
        if (is_uuid_v5(value)) p.decision_id = value;
        else if (strict) throw InputError("prediction: decision_id='" + std::string(value) + "' is not a record id");
    }
    else if (key == "gib_per_gpu") return number(p.gib_per_gpu);
    else if (key == "capacity_gib") return number(p.capacity_gib);
    else if (key == "gib_lo") return number(p.gib_lo);
    else if (key == "gib_hi") return number(p.gib_hi);
    else if (key == "tokens_per_s") return number(p.tokens_per_s);
    else if (key == "train_hours") return number(p.train_hours);
    else if (key == "gpu_hours") return number(p.gpu_hours);
    else if (key == "flops_per_token") return number(p.flops_per_token);
    else if (key == "tokens") return number(p.tokens);
    else if (key == "tdp_w") return number(p.tdp_w);
    else if (key == kRunKey) {
        if (is_run_name(value)) p.run = value;
        else if (strict) throw InputError("prediction: run='" + printable(value, 70) + "' is not a run name");
    }
    else if (key == "gpus") {
        auto n = parse_number(value);
        if (n && *n >= 0 && *n <= 1e8 && *n == std::floor(*n)) p.gpus = static_cast<int>(*n);
        else if (strict) throw InputError("prediction: gpus='" + std::string(value) + "' is not a GPU count");
    } else if (key == kSignatureKey) p.sig = value;
    else if (std::string c = component_of(key); !c.empty()) {
        auto n = parse_number(value);
        if (n) p.components.emplace_back(c, *n);
        else if (strict) throw InputError("prediction: " + key + "='" + std::string(value) + "' is not a number");
    } else
        return false;
    return true;
}

void put_number(json_t* o, const char* key, const std::optional<double>& v, bool integral) {
    if (!v) return;
    json_t* j = integral && *v == std::floor(*v) && std::fabs(*v) < 9e15 ? json_integer(static_cast<json_int_t>(*v))
                                                                          : json_real(*v);
    if (j) json_object_set_new(o, key, j);
}
void put_text(json_t* o, const char* key, const std::string& v) {
    if (!v.empty()) json_object_set_new(o, key, json_string(v.c_str()));
}

}  // namespace

std::string Prediction::encode() const {
    std::string s;
    auto add = [&](const std::string& key, const std::string& value) { s += (s.empty() ? "" : ";") + key + "=" + value; };
    auto num = [&](const char* key, const std::optional<double>& v, int decimals) {
        if (v) add(key, fmt_fixed(*v, decimals));
    };
    if (!verdict.empty()) add("verdict", verdict);
    num("gib_per_gpu", gib_per_gpu, 2);
    num("capacity_gib", capacity_gib, 2);
    num("gib_lo", gib_lo, 2);
    num("gib_hi", gib_hi, 2);
    if (!dominant.empty()) add("dominant", dominant);
    if (gpus) add("gpus", std::to_string(*gpus));
    if (!layout.empty()) add("layout", layout);
    num("tokens_per_s", tokens_per_s, 0);
    for (const auto& [name, gib] : components) add(kMemPrefix + name + kMemSuffix, fmt_fixed(gib, 2));
    num("train_hours", train_hours, 2);
    num("gpu_hours", gpu_hours, 1);
    num("flops_per_token", flops_per_token, 0);
    num("tokens", tokens, 0);
    num("tdp_w", tdp_w, 0);
    if (!run.empty()) add(kRunKey, run);
    if (!decision_id.empty()) add(kDecisionIdKey, decision_id);
    for (const auto& [key, value] : extra) add(key, value);
    return s;
}

Prediction Prediction::decode(std::string_view text) {
    Prediction p;
    for (const auto& item : split(text, ';')) {
        if (trim(item).empty()) continue;
        auto eq = item.find('=');
        if (eq == std::string::npos) throw InputError("prediction: '" + std::string(item) + "' is not key=value");
        std::string key(trim(item.substr(0, eq)));
        if (key.empty()) throw InputError("prediction: '" + std::string(item) + "' has no key");
        std::string value(trim(item.substr(eq + 1)));
        if (!set_field(p, key, value, true)) p.extra.emplace_back(key, value);
    }
    return p;
}

json::Ptr Prediction::to_json() const {
    json::Ptr o(json_object());
    if (!o) throw std::runtime_error("out of memory building a prediction");
    json_t* j = o.get();
    put_text(j, "verdict", verdict);
    put_number(j, "gib_per_gpu", gib_per_gpu, false);
    put_number(j, "capacity_gib", capacity_gib, false);
    put_number(j, "gib_lo", gib_lo, false);
    put_number(j, "gib_hi", gib_hi, false);
    put_text(j, "dominant", dominant);
    if (gpus) json_object_set_new(j, "gpus", json_integer(*gpus));
    put_text(j, "layout", layout);
    put_number(j, "tokens_per_s", tokens_per_s, true);
    for (const auto& [name, gib] : components)
        json_object_set_new(j, (kMemPrefix + name + kMemSuffix).c_str(), json_real(gib));
    put_number(j, "train_hours", train_hours, false);
    put_number(j, "gpu_hours", gpu_hours, false);
    put_number(j, "flops_per_token", flops_per_token, true);
    put_number(j, "tokens", tokens, true);
    put_number(j, "tdp_w", tdp_w, true);
    put_text(j, kRunKey, run);
    put_text(j, kDecisionIdKey, decision_id);
    for (const auto& [key, value] : extra)
        if (json_t* v = kv_value_json(value)) json_object_set_new(j, key.c_str(), v);
    return o;
}

Prediction Prediction::from_json(const json_t* obj) {
    Prediction p;
    if (!json_is_object(obj)) return p;
    auto text_of = [](const json_t* v) -> std::optional<std::string> {
        if (json_is_string(v)) return std::string(json_string_value(v), json_string_length(v));
        if (json_is_integer(v)) return std::to_string(json_integer_value(v));
        if (json_is_real(v)) return fmt_fixed(json_real_value(v), 15);
        return std::nullopt;
    };
    const char* key;
    json_t* value;
    // Older producers split a ';'-separated prediction on ',' only, so it may arrive as one
    // string ("verdict":"fits;gib_per_gpu=41.3;..."): its first item is the member's value,
    // the rest are more key=value items. A member of its own wins over one found inside a string.
    std::vector<std::pair<std::string, std::string>> inner;
    json_object_foreach(const_cast<json_t*>(obj), key, value) {
        if (std::string_view(key) == "components" && json_is_object(value)) {
            const char* name;
            json_t* gib;
            json_object_foreach(value, name, gib) if (json_is_number(gib)) p.components.emplace_back(name, json_number_value(gib));
            continue;
        }
        auto text = text_of(value);
        if (!text) continue;
        auto items = split(*text, ';');
        if (!set_field(p, key, items.empty() ? "" : items.front(), false)) p.extra.emplace_back(key, *text);
        for (std::size_t i = 1; i < items.size(); ++i)
            if (auto eq = items[i].find('='); eq != std::string::npos)
                inner.emplace_back(std::string(trim(items[i].substr(0, eq))), std::string(trim(items[i].substr(eq + 1))));
    }
    for (const auto& [k, v] : inner) {
        if (json_object_get(obj, k.c_str())) continue;
        Prediction one;
        if (!set_field(one, k, v, false)) continue;
        if (k == "verdict" && p.verdict.empty()) p.verdict = one.verdict;
        else if (k == "dominant" && p.dominant.empty()) p.dominant = one.dominant;
        else if (k == "layout" && p.layout.empty()) p.layout = one.layout;
        else if (k == "gib_per_gpu" && !p.gib_per_gpu) p.gib_per_gpu = one.gib_per_gpu;
        else if (k == "capacity_gib" && !p.capacity_gib) p.capacity_gib = one.capacity_gib;
        else if (k == "gib_lo" && !p.gib_lo) p.gib_lo = one.gib_lo;
        else if (k == "gib_hi" && !p.gib_hi) p.gib_hi = one.gib_hi;
        else if (k == "tokens_per_s" && !p.tokens_per_s) p.tokens_per_s = one.tokens_per_s;
        else if (k == "train_hours" && !p.train_hours) p.train_hours = one.train_hours;
        else if (k == "gpu_hours" && !p.gpu_hours) p.gpu_hours = one.gpu_hours;
        else if (k == "gpus" && !p.gpus) p.gpus = one.gpus;
        else if (k == kDecisionIdKey && p.decision_id.empty()) p.decision_id = one.decision_id;
        else if (k == kRunKey && p.run.empty()) p.run = one.run;
        else if (k == "flops_per_token" && !p.flops_per_token) p.flops_per_token = one.flops_per_token;
        else if (k == "tokens" && !p.tokens) p.tokens = one.tokens;
        else if (k == "tdp_w" && !p.tdp_w) p.tdp_w = one.tdp_w;
        else if (!one.components.empty()) p.components.push_back(one.components.front());
    }
    return p;
}

bool is_run_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxRunBytes) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    return true;
}

std::string run_name_problem(std::string_view name) {
    if (name.empty()) return "is empty";
    if (name.size() > kMaxRunBytes) return "is " + std::to_string(name.size()) + " bytes (at most " + std::to_string(kMaxRunBytes) + ")";
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
            return "has '" + printable(std::string_view(&c, 1)) + "': use letters, digits, '.', '_' and '-'";
    return {};
}

std::string default_run_name(std::string_view account, std::string_view model) {
    std::string s = std::string(account.empty() ? "noaccount" : account) + "." + std::string(model.empty() ? "model" : model);
    for (char& c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
    if (s.size() > kMaxRunBytes) s.resize(kMaxRunBytes);
    return s;
}

std::pair<std::string, std::string> split_signature(const std::string& text) {
    const std::string field = std::string(";") + kSignatureKey + "=";
    const auto at = text.rfind(field);
    if (at == std::string::npos) return {text, ""};
    return {text.substr(0, at), text.substr(at + field.size())};
}

json_t* kv_value_json(std::string_view value) {
    auto d = parse_number(value);
    if (!d) return json_stringn(value.data(), value.size());
    if (*d == static_cast<double>(static_cast<long long>(*d)) && value.find_first_of(".eE") == std::string_view::npos)
        return json_integer(static_cast<json_int_t>(*d));
    return json_real(*d);
}

json::Ptr kv_object(std::string_view kv) {
    if (trim(kv).empty()) return json::Ptr();
    json::Ptr o(json_object());
    for (const auto& item : split(kv, ';')) {
        auto eq = item.find('=');
        std::string key(trim(item.substr(0, eq)));
        if (key.empty()) continue;
        std::string value = eq == std::string::npos ? "" : std::string(trim(item.substr(eq + 1)));
        if (json_t* v = kv_value_json(value)) json_object_set_new(o.get(), key.c_str(), v);
    }
    return o;
}

}  // namespace aif::record

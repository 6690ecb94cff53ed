// SPDX-License-Identifier: GPL-2.0-or-later
#include "detect/reading.hpp"

#include <cctype>

#include "common/text.hpp"

namespace aif::detect {

namespace {

// "model.micro_batch_size=1", "+trainer.devices=8", "max_seq_len=2048": the key, or "".
std::string_view override_key(std::string_view w) {
    while (!w.empty() && w[0] == '+') w.remove_prefix(1);
    const std::size_t eq = w.find('=');
    if (eq == 0 || eq == std::string_view::npos || !std::isalpha(static_cast<unsigned char>(w[0]))) return {};
    for (char c : w.substr(0, eq))
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return {};
    return w.substr(0, eq);
}

}  // namespace

Args parse_args(const std::vector<Word>& words, std::size_t from) {
    Args out;
    for (std::size_t i = from; i < words.size(); ++i) {
        const std::string& w = words[i].text;
        Option o;
        o.line = words[i].line;
        if (w.size() < 3 || w.compare(0, 2, "--") != 0) {
            const std::string_view key = override_key(w);
            if (key.empty()) {
                out.positionals.push_back(words[i]);
                continue;
            }
            o.name = std::string(key);
            o.value = {w.substr(w.find('=') + 1), words[i].line, {}};
            out.options.push_back(std::move(o));
            continue;
        }
        const std::size_t eq = w.find('=');
        if (eq != std::string::npos) {
            o.name = w.substr(0, eq);
            o.value = {w.substr(eq + 1), words[i].line, {}};
        } else {
            o.name = w;
            if (i + 1 < words.size() && words[i + 1].text.compare(0, 2, "--") != 0 &&
                override_key(words[i + 1].text).empty())
                o.value = words[++i];
        }
        out.options.push_back(std::move(o));
    }
    return out;
}

void add_hints(std::vector<Option>& opts, const Hints* hints, std::string_view kind, std::string_view prefix,
               const std::string& file) {
    if (hints == nullptr) return;
    std::vector<Option> front;
    const std::string head = std::string(kind) + ":";
    for (const auto& [k, v] : hints->values)
        if (k.compare(0, head.size(), head) == 0)
            front.push_back({std::string(prefix) + k.substr(head.size()), {v, 0, {}}, 0, file});
    opts.insert(opts.begin(), front.begin(), front.end());
}

const ConfigFile* config_of(const Detection& d, std::string_view kind) {
    for (const ConfigFile& c : d.configs)
        if (c.kind == kind) return &c;
    return nullptr;
}

std::string catalogue_name(std::string_view id) {
    if (id.empty() || id[0] == '/' || id[0] == '.' || id[0] == '~' || id.size() > 128) return "";
    if (const std::size_t slash = id.rfind('/'); slash != std::string_view::npos) id.remove_prefix(slash + 1);
    std::string n = lower(id);
    for (char c : n)
        if (c <= ' ' || c >= 127) return "";
    if (n.rfind("meta-", 0) == 0) n.erase(0, 5);
    if (n.size() > 3 && n.compare(n.size() - 3, 3, "-hf") == 0) n.resize(n.size() - 3);
    return n.find_first_not_of("-_.") == std::string::npos ? "" : n;
}

bool Hints::read(std::string_view kind) const {
    for (const auto& k : kinds)
        if (k == kind) return true;
    return false;
}

const std::string* Hints::get(std::string_view kind_key) const {
    for (const auto& [k, v] : values)
        if (k == kind_key) return &v;
    return nullptr;
}

const Option* Reading::find(std::string_view name) const {
    for (auto it = opts_.rbegin(); it != opts_.rend(); ++it)
        if (it->name == name) return &*it;
    return nullptr;
}

int Reading::line_of(std::string_view name) const {
    const Option* o = find(name);
    return o ? o->line : 0;
}

void Reading::used(const Option& o) {
    for (const Source& s : d_.read)
        if (s.option == o.name) return;
    std::string v = o.value.text;
    for (char& c : v)
        if (c == kUnknown) c = '?';
    d_.read.push_back({printable(o.name, 60), printable(v, 60), o.value.text.empty() ? o.line : o.value.line});
}

const std::string* Reading::text(std::string_view name, std::string_view key) {
    const Option* o = find(name);
    if (o == nullptr) return nullptr;
    used(*o);
    if (o->value.unknown() || o->value.text.empty()) {
        miss(std::string(key) + ": " + std::string(name) + " (line " + std::to_string(o->line) +
             (o->value.text.empty() ? ") has no value" : ") takes its value from outside the script"));
        return nullptr;
    }
    return &o->value.text;
}

long Reading::number(std::string_view name, std::string_view key, long lo, long hi) {
    const Option* o = find(name);
    if (o == nullptr) return 0;
    const std::string* v = text(name, key);
    if (v == nullptr) return -1;
    long n = 0;
    // Python's int() takes digit groups: --train-samples 220_000_000 (BigScience).
    std::string digits;
    bool ok = !v->empty() && v->size() <= 20 && v->front() != '_' && v->back() != '_';
    for (char c : *v) {
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
        else ok = ok && c == '_';
    }
    ok = ok && !digits.empty() && digits.size() <= 15 && v->find("__") == std::string::npos;
    if (ok) n = std::stol(digits);
    if (!ok || n < lo || n > hi) {
        miss(std::string(key) + ": " + std::string(name) + " '" + printable(*v, 20) + "' (line " +
             std::to_string(o->line) + ") is not a whole number from " + std::to_string(lo) + " to " +
             std::to_string(hi));
        return -1;
    }
    return n;
}

bool Reading::flag(std::string_view name) {
    const Option* o = find(name);
    if (o == nullptr) return false;
    used(*o);
    const std::string v = lower(o->value.text);
    return !(v == "false" || v == "0" || v == "no");
}

void Reading::set_from(std::string key, std::string value, std::string_view name) {
    const Option* o = find(name);
    std::string from(name);
    if (o != nullptr && !o->file.empty()) {  // "ds_config.json: zero_optimization.stage"
        std::string_view key = o->name;
        if (key.substr(0, 3) == "ds:") key.remove_prefix(3);
        else if (key.substr(0, 2) == "--") key.remove_prefix(2);
        from = printable(o->file, 40) + ": " + std::string(key);
    }
    set(std::move(key), std::move(value), o != nullptr ? o->line : 0, std::move(from));
}

void Reading::absent(std::string key, std::string value, std::string_view what, std::string_view source) {
    if (unread != nullptr)
        return miss(key + ": " + std::string(what) + " is not on the command line; " + printable(unread->path, 60) +
                    " may set it (not read)");
    if (value.empty()) return miss(key + ": " + std::string(what) + " is not given");
    set(std::move(key), std::move(value), 0, std::string(source));
}

void Reading::set(std::string key, std::string value, int line, std::string from) {
    for (Value& v : d_.values)
        if (v.key == key) {
            v = {std::move(key), std::move(value), line, std::move(from)};
            return;
        }
    d_.values.push_back({std::move(key), std::move(value), line, std::move(from)});
}

}  // namespace aif::detect

// SPDX-License-Identifier: GPL-2.0-or-later
#include "detect/reading.hpp"

#include <cctype>

#include "common/text.hpp"

namespace aif::detect {

std::vector<Option> parse_options(const std::vector<Word>& words, std::size_t from) {
    std::vector<Option> out;
    for (std::size_t i = from; i < words.size(); ++i) {
        const std::string& w = words[i].text;
        if (w.size() < 3 || w.compare(0, 2, "--") != 0) continue;  // a positional word
        Option o;
        o.line = words[i].line;
        const std::size_t eq = w.find('=');
        if (eq != std::string::npos) {
            o.name = w.substr(0, eq);
            o.value = {w.substr(eq + 1), words[i].line, {}};
        } else {
            o.name = w;
            if (i + 1 < words.size() && words[i + 1].text.compare(0, 2, "--") != 0) o.value = words[++i];
        }
        out.push_back(std::move(o));
    }
    return out;
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
    bool ok = !v->empty() && v->size() <= 10;
    for (char c : *v) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (ok) n = std::stol(*v);
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

void Reading::set(std::string key, std::string value, int line, std::string from) {
    for (Value& v : d_.values)
        if (v.key == key) {
            v = {std::move(key), std::move(value), line, std::move(from)};
            return;
        }
    d_.values.push_back({std::move(key), std::move(value), line, std::move(from)});
}

}  // namespace aif::detect

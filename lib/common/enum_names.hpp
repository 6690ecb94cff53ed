// SPDX-License-Identifier: GPL-2.0-or-later
// One table per enum gives both directions: the name printed for a value (its first entry) and
// the words accepted when parsing (every entry, so aliases sit next to the canonical name).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif {

template <class E>
struct EnumName {
    E value;
    const char* name;
};

template <class E, std::size_t N>
constexpr const char* name_of(const EnumName<E> (&table)[N], E value, const char* unknown = "?") {
    for (const auto& e : table)
        if (e.value == value) return e.name;
    return unknown;
}

// Canonical names only, joined by `sep`: "closest, spread, none".
template <class E, std::size_t N>
std::string enum_names(const EnumName<E> (&table)[N], const char* sep) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (name_of(table, table[i].value) != table[i].name) continue;  // an alias
        out += (out.empty() ? "" : sep) + std::string(table[i].name);
    }
    return out;
}

// The entry named `text` (case-insensitive, surrounding blanks ignored), or nullptr.
template <class E, std::size_t N>
const EnumName<E>* find_enum(const EnumName<E> (&table)[N], std::string_view text) {
    const std::string word = lower(trim(text));
    for (const auto& e : table)
        if (word == e.name) return &e;
    return nullptr;
}

// As find_enum; throws InputError "<what>: '<text>' is not one of a|b|c" when nothing matches.
template <class E, std::size_t N>
E parse_enum(std::string_view text, std::string_view what, const EnumName<E> (&table)[N]) {
    if (const auto* e = find_enum(table, text)) return e->value;
    throw InputError(std::string(what) + ": '" + printable(trim(text)) + "' is not one of " + enum_names(table, "|"));
}

}  // namespace aif

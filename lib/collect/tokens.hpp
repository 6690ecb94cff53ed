// SPDX-License-Identifier: GPL-2.0-or-later
// Per-site bearer tokens. The tokens file is root-only (owner root or the collector's user, no
// group/other permission bits); one line per token: "<site> <token>". Site "*" is a federation
// operator token: it reads every site and may not submit records. '#' starts a comment.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aif::collect {

struct Principal {
    std::string site;  // "*" for a federation operator
    bool all_sites() const { return site == "*"; }
    bool may_read(std::string_view s) const { return all_sites() || s == site; }
};

class Tokens {
public:
    // Throws InputError for a missing, unsafe or malformed file (the message never holds a token).
    static Tokens load(const std::string& path);
    static Tokens from_text(std::string_view text, const std::string& origin);
    // Constant-time in the token's content: every configured token is compared in full.
    std::optional<Principal> find(std::string_view token) const;
    std::size_t size() const { return entries_.size(); }

private:
    struct Entry {
        std::string site, token;
    };
    std::vector<Entry> entries_;
};

// Constant-time equality of two byte strings (time depends only on the lengths).
bool equal_ct(std::string_view a, std::string_view b);

}  // namespace aif::collect

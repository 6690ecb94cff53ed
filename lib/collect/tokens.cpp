// SPDX-License-Identifier: GPL-2.0-or-later
// Token file parsing and constant-time lookup.
#include "collect/tokens.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
#include "record/hash.hpp"

namespace aif::collect {

// The schema library's comparison (nettle's memeql_sec): time independent of where they differ.
bool equal_ct(std::string_view a, std::string_view b) { return record::constant_time_equal(a, b); }

Tokens Tokens::load(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw InputError("tokens file " + path + ": cannot read it");
    if (!S_ISREG(st.st_mode)) throw InputError("tokens file " + path + ": not a regular file");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        throw InputError("tokens file " + path + ": must be owned by root or by this user");
    if (st.st_mode & 077) throw InputError("tokens file " + path + ": readable by others; run: chmod 600 " + path);
    std::ifstream in(path);
    if (!in) throw InputError("tokens file " + path + ": cannot read it");
    std::stringstream ss;
    ss << in.rdbuf();
    return from_text(ss.str(), "tokens file " + path);
}

Tokens Tokens::from_text(std::string_view text, const std::string& origin) {
    Tokens t;
    std::size_t line_no = 0, pos = 0;
    while (pos <= text.size()) {
        std::size_t nl = text.find('\n', pos);
        std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        std::size_t sp = line.find_first_of(" \t");
        std::string where = origin + ":" + std::to_string(line_no);
        if (sp == std::string_view::npos) throw InputError(where + ": expected '<site> <token>'");
        std::string site(line.substr(0, sp));
        std::string token(trim(line.substr(sp)));
        for (char c : site)
            if (site != "*" && !(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
                throw InputError(where + ": site '" + site + "' may only contain letters, digits, '-', '_', '.'");
        if (token.size() < 16) throw InputError(where + ": token for " + site + " is shorter than 16 characters");
        for (char c : token)
            if (std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c)))
                throw InputError(where + ": token for " + site + " has spaces or control characters");
        for (const auto& e : t.entries_)
            if (e.token == token) throw InputError(where + ": token for " + site + " is already used by " + e.site);
        t.entries_.push_back({site, token});
    }
    if (t.entries_.empty()) throw InputError(origin + ": no tokens");
    return t;
}

std::optional<Principal> Tokens::find(std::string_view token) const {
    std::optional<Principal> hit;
    for (const auto& e : entries_)  // no early exit: the time does not reveal which entry matched
        if (equal_ct(e.token, token)) hit = Principal{e.site};
    return hit;
}

}  // namespace aif::collect

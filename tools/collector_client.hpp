// SPDX-License-Identifier: GPL-2.0-or-later
// A read-only HTTPS client of the collector's API, for `aifactory report` and `calibrate`.
#pragma once
#include <string>

namespace aif::cli {

// The first line of a token file, trimmed; InputError naming --token-file when unreadable or empty.
std::string read_token(const std::string& path);

struct Fetched {
    long status = 0;      // HTTP status, 0 when no answer
    std::string body, error;  // error: curl's reason when no answer
};

// GET `url` (https only) with "Authorization: Bearer <token>"; `ca`: CA file ("" system default).
// 5 s to connect, 20 s in all, 64 MiB body at most.
Fetched fetch(const std::string& url, const std::string& token, const std::string& ca);

}  // namespace aif::cli

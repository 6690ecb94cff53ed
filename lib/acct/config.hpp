// SPDX-License-Identifier: GPL-2.0-or-later
// `key = value` configuration files of the accounting pipeline (producer and sender).
// Keys are matched exactly (no substrings, no case folding); an unknown key is an error that
// suggests the closest known one, so a typo never silently changes behaviour.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "acct/outbox.hpp"
#include "record/record.hpp"

namespace aif::acct {

using KeyValues = std::map<std::string, std::string>;
// Throws InputError "<path>:<line>: ..." for syntax errors, duplicates and unknown keys.
KeyValues read_key_values(const std::string& path, const std::vector<std::string>& known_keys);
KeyValues parse_key_values(const std::string& text, const std::string& origin,
                           const std::vector<std::string>& known_keys);

inline constexpr const char* kDefaultProducerConfig = "/etc/aifactory/acct.conf";
inline constexpr const char* kDefaultSenderConfig = "/etc/aifactory/sender.conf";
inline constexpr const char* kDefaultPredictionKey = "/etc/aifactory/prediction.key";
inline constexpr const char* kDefaultOutbox = "/var/spool/aifactory/outbox";

// What producers (plugins) need: who we are, where the outbox is, its bounds.
struct ProducerConfig {
    std::string site, cluster;  // cluster may be left empty and filled from Slurm
    record::Uuid site_namespace{};
    std::string user_key;        // HMAC key bytes; empty → records carry no user
    // Signs predictions in job_submit, verifies them on the nodes; empty → every prediction is
    // recorded as user-declared. Readable by root and SlurmUser only (mode 0600 or 0640).
    std::string prediction_key;
    std::string outbox = kDefaultOutbox;
    OutboxLimits limits;
};
ProducerConfig load_producer_config(const std::string& path);
ProducerConfig parse_producer_config(const KeyValues& kv, const std::string& origin);

// Reads a secret file (token, HMAC key). It must be a regular file owned by root or by us,
// with no group/other permissions; otherwise InputError says what to fix. Trailing newlines
// are stripped. The content is never put in a message.
// `group_may_read`: mode 0640 is accepted too (a root:SlurmUser file both daemons read).
std::string read_secret_file(const std::string& path, const char* what, bool group_may_read = false);

}  // namespace aif::acct

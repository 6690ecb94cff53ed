// SPDX-License-Identifier: GPL-2.0-or-later
// Validation of incoming accounting records (schema aifactory.acct/2 and /1, see lib/record/schema.hpp and
// docs/record-schema.json) and their reduction to the indexed columns the store keeps.
// As the schema says, a field it does not name is refused (record_version, for versioned
// enrichment, is the one extension); every field must have the documented type and range.
// The error names the field.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <jansson.h>

#include "record/schema.hpp"

namespace aif::collect {

// One stored record: the canonical body plus what the queries filter and sum on.
struct Row {
    std::string site, cluster, record_id, kind, component, created, body;
    std::int64_t version = 1;  // record_version, 1 when absent; with `created` it orders versions
    std::optional<std::int64_t> job_id;
    std::string step_id, node, account, user, verdict, decision, reason, state;
    std::int64_t event_time = 0;  // epoch s: end_time, else submit_time, else created
    std::optional<double> gpu_seconds, pred_gib_per_gpu, obs_gpu_peak_bytes;
    std::string partition;
    std::optional<double> gpu_energy_j, node_energy_j, gpu_util_pct;  // observed (schema 2)
};

// Throws InputError "record <id or #n>: <field>: <reason>".
Row check_record(std::string_view json_text);

// RFC 3339 UTC in the schema's form ("2026-08-20T08:00:07Z") → epoch seconds; nullopt if malformed.
// The schema's own time format (lib/record/schema.hpp), under the names the collector uses.
inline std::optional<std::int64_t> parse_time(std::string_view text) { return record::parse_rfc3339_utc(text); }
inline std::string format_time(std::int64_t epoch) { return record::rfc3339_utc(epoch); }

}  // namespace aif::collect

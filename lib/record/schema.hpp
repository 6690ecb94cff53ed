// SPDX-License-Identifier: GPL-2.0-or-later
// The rules of the record schema aifactory.acct/2 (docs/record-schema.json) that producers
// (lib/acct) and the collector (lib/collect) must agree on to the character: the schema name,
// the size limits, the record kinds and decisions, the time format and the id rules.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aif::record {

// Producers write kSchema; the collector and validate() also take records of kSchemaV1, which
// has the same fields less those schema 2 added (record.hpp marks them "v2").
inline constexpr const char* kSchema = "aifactory.acct/2";
inline constexpr const char* kSchemaV1 = "aifactory.acct/1";
// 2 for kSchema, 1 for kSchemaV1, 0 for anything else.
int schema_version(std::string_view name);

// Size limits. No record is larger than kMaxRecordBytes: producers cap fields to stay under it
// (and refuse it if still larger), the collector refuses a larger one before parsing it.
inline constexpr std::size_t kMaxRecordBytes = 64 * 1024;
// Field caps that keep every record under kMaxRecordBytes: a text field (and each value of a
// key/value object) is cut at kMaxTextBytes, an object keeps its keys up to kMaxObjectBytes.
// A cut or dropped field is named in the record's `truncated` list; the record itself is kept.
inline constexpr std::size_t kMaxTextBytes = 1024;
inline constexpr std::size_t kMaxReasonBytes = 2048;
inline constexpr std::size_t kMaxObjectBytes = 8 * 1024;

// observed.gpu_timeline (v2): the step's GPU memory and utilisation over time, summarised on the
// node into at most kMaxGpuTimelinePoints points (neighbouring samples merged). Columns of equal
// length: t_s (seconds after the step's first sample, not decreasing), gpu_mem_max_bytes (max over
// the step's GPUs, integer or null) and gpu_util_mean_pct (mean over them, 0..100 or null).
inline constexpr std::size_t kMaxGpuTimelinePoints = 64;
struct GpuTimelinePoint {
    double t_s = 0;
    std::optional<std::uint64_t> mem_max_bytes;
    std::optional<double> util_mean_pct;
};

// Record kinds and submit decisions.
enum class Kind { SubmitDecision, StepEnd, JobEnd };
const char* kind_name(Kind k);                       // "submit_decision", "step_end", "job_end"
std::optional<Kind> parse_kind(std::string_view name);
bool is_decision(std::string_view text);             // accepted | warned | rejected

// Times: RFC 3339 UTC, whole seconds ("2026-08-20T08:00:07Z").
std::string rfc3339_utc(std::int64_t epoch_seconds);
std::optional<std::int64_t> parse_rfc3339_utc(std::string_view text);  // nullopt if not that form

// Ids. A record id is a UUIDv5 (RFC 4122 §4.3) under the site's namespace.
using Uuid = std::array<std::uint8_t, 16>;
Uuid parse_uuid(std::string_view text);  // throws InputError
std::string format_uuid(const Uuid& u);
std::string uuid_v5(const Uuid& ns, std::string_view name);
bool is_uuid(std::string_view text);
bool is_uuid_v5(std::string_view text);  // canonical lowercase, version 5, RFC 4122 variant

// Keyed pseudonym of a user name: "u-" + 32 hex digits of HMAC-SHA-256(site key, name).
// Stable for one key, unlinkable without it; rotating the key changes every pseudonym.
std::string pseudonym(std::string_view key, std::string_view user_name);
bool is_pseudonym(std::string_view text);  // "u-" and 32 lowercase hex digits
// Site and cluster names: letters, digits, '-', '_' and '.'.
bool is_site_name(std::string_view text);

}  // namespace aif::record

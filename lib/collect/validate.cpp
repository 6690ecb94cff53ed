// SPDX-License-Identifier: GPL-2.0-or-later
// Record validation: every rule here is one a producer following lib/record/record.cpp meets;
// the shared ones (limits, kinds, times, ids) come from lib/record/schema.hpp.
#include "collect/validate.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <ctime>

#include "common/error.hpp"
#include "common/json.hpp"
#include "record/prediction.hpp"
#include "record/schema.hpp"

namespace aif::collect {
namespace {

// Top-level fields of aifactory.acct/1 (docs/record-schema.json: additionalProperties false),
// plus record_version, the collector's extension for versioned enrichment. Schema 2 adds kFieldsV2.
const char* const kFields[] = {
    "schema", "record_id", "kind", "component", "site", "cluster", "created", "job_id", "array_job_id",
    "array_task_id", "het_job_id", "het_job_offset", "step_id", "node", "partition", "account", "user",
    "submit_time", "start_time", "end_time", "nodes", "gpus", "tasks", "cpus", "gpu_model", "gpu_seconds",
    "cpu_seconds", "state", "exit_code", "exit_signal", "decision", "reason", "training", "prediction", "verdict",
    "binding", "observed", "record_version", "prediction_origin", "truncated"};
const char* const kFieldsV2[] = {"elapsed_s", "mem_alloc_bytes", "time_limit_s", "run", "tokens_reported"};

// Members of `observed`: what a node measured for the step. Schema 2 adds the GPU sampler's.
const char* const kObservedV1[] = {"max_rss_bytes", "gpu_mem_peak_bytes"};
const char* const kObservedV2[] = {"gpu_util_mean_pct", "gpu_util_p95_pct", "gpu_energy_j", "gpu_energy_basis",
                                   "gpu_samples", "gpu_sample_interval_s", "node_energy_j", "gpu_timeline"};

template <std::size_t N>
bool listed(const char* const (&names)[N], const char* key) {
    for (const char* f : names)
        if (std::strcmp(f, key) == 0) return true;
    return false;
}

// 1e15 s is 30 million years: larger is never a measurement and would swamp any aggregate.
constexpr double kMaxSeconds = 1e15;

std::string fmt_g(double d) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", d);
    return b;
}

struct Ctx {
    const json_t* doc;
    std::string who;
    [[noreturn]] void fail(const char* field, const std::string& why) const {
        throw InputError(who + ": " + field + ": " + why);
    }
    const json_t* get(const char* k) const { return json_object_get(doc, k); }
    std::string text(const char* k, bool required, std::size_t max = 256) const {
        const json_t* v = get(k);
        if (!v) {
            if (required) fail(k, "is required");
            return {};
        }
        if (!json_is_string(v)) fail(k, "must be a string");
        std::string s(json_string_value(v), json_string_length(v));
        if (required && s.empty()) fail(k, "must not be empty");
        if (s.size() > max) fail(k, "longer than " + std::to_string(max) + " bytes");
        if (s.find('\0') != std::string::npos) fail(k, "contains a NUL byte");
        return s;
    }
    std::optional<std::int64_t> integer(const char* k, std::int64_t lo, std::int64_t hi) const {
        const json_t* v = get(k);
        if (!v) return std::nullopt;
        if (!json_is_integer(v)) fail(k, "must be an integer");
        json_int_t n = json_integer_value(v);
        if (n < lo || n > hi) fail(k, std::to_string(n) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")");
        return n;
    }
    std::optional<double> seconds(const char* k) const {
        const json_t* v = get(k);
        if (!v) return std::nullopt;
        if (!json_is_number(v)) fail(k, "must be a number");
        double d = json_number_value(v);
        if (!(d >= 0)) fail(k, "must be >= 0");
        if (d > kMaxSeconds) fail(k, fmt_g(d) + " is over the limit of " + fmt_g(kMaxSeconds) + " s");
        return d;
    }
    std::optional<std::int64_t> time(const char* k, bool required) const {
        std::string s = text(k, required, 40);
        if (s.empty()) return std::nullopt;
        auto t = parse_time(s);
        if (!t) fail(k, "'" + s + "' is not an RFC 3339 UTC time (2026-08-20T08:00:07Z)");
        return t;
    }
    void object(const char* k) const {
        const json_t* v = get(k);
        if (v && !json_is_object(v)) fail(k, "must be a JSON object");
    }
};

// observed.gpu_timeline: three columns of one length, at most kMaxGpuTimelinePoints
// (record/schema.hpp): t_s not decreasing, memory an integer >= 0 or null, utilisation 0..100 or null.
void check_timeline(const Ctx& o) {
    const json_t* tl = o.get("gpu_timeline");
    if (!tl) return;
    const char* k = "gpu_timeline";
    if (!json_is_object(tl) || json_object_size(tl) != 3) o.fail(k, "must be an object of t_s, gpu_mem_max_bytes and gpu_util_mean_pct");
    const json_t *t = json_object_get(tl, "t_s"), *mem = json_object_get(tl, "gpu_mem_max_bytes"),
                 *util = json_object_get(tl, "gpu_util_mean_pct");
    if (!json_is_array(t) || !json_is_array(mem) || !json_is_array(util))
        o.fail(k, "must be an object of t_s, gpu_mem_max_bytes and gpu_util_mean_pct lists");
    const std::size_t n = json_array_size(t);
    if (n == 0 || n > record::kMaxGpuTimelinePoints)
        o.fail(k, "must have 1 to " + std::to_string(record::kMaxGpuTimelinePoints) + " points");
    if (json_array_size(mem) != n || json_array_size(util) != n) o.fail(k, "lists must have the same length");
    double last = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const json_t *ti = json_array_get(t, i), *mi = json_array_get(mem, i), *ui = json_array_get(util, i);
        const double tv = json_is_number(ti) ? json_number_value(ti) : -1;
        if (!(tv >= last) || tv > kMaxSeconds) o.fail(k, "t_s must be numbers >= 0 that do not decrease");
        last = tv;
        if (!json_is_null(mi) && !(json_is_integer(mi) && json_integer_value(mi) >= 0))
            o.fail(k, "gpu_mem_max_bytes must be integers >= 0 or null");
        if (!json_is_null(ui) && !(json_is_number(ui) && json_number_value(ui) >= 0 && json_number_value(ui) <= 100))
            o.fail(k, "gpu_util_mean_pct must be numbers within 0..100 or null");
    }
}

}  // namespace

Row check_record(std::string_view json_text) {
    if (json_text.size() > record::kMaxRecordBytes)
        throw InputError("record: " + std::to_string(json_text.size()) + " bytes is over the " +
                         std::to_string(record::kMaxRecordBytes) + "-byte limit");
    json::Ptr doc = json::parse(json_text, "record");
    if (!json_is_object(doc.get())) throw InputError("record: not a JSON object");
    Ctx c{doc.get(), "record"};
    Row r;
    r.record_id = c.text("record_id", true, 64);
    if (!record::is_uuid_v5(r.record_id)) c.fail("record_id", "'" + r.record_id + "' is not a lowercase UUIDv5");
    c.who = "record " + r.record_id;
    std::string schema = c.text("schema", true, 64);
    const int version = record::schema_version(schema);
    if (version == 0)
        c.fail("schema", "'" + schema + "' is not " + record::kSchema + " or " + record::kSchemaV1);
    const char* key;
    json_t* value;
    json_object_foreach(doc.get(), key, value) {
        if (!listed(kFields, key) && !(version >= 2 && listed(kFieldsV2, key)))
            c.fail(key, "is not a field of schema " + schema);
    }
    r.kind = c.text("kind", true, 32);
    const auto kind = record::parse_kind(r.kind);
    if (!kind)
        c.fail("kind", "'" + r.kind + "' is not submit_decision, step_end or job_end");
    r.component = c.text("component", true, 512);
    r.site = c.text("site", true, 64);
    r.cluster = c.text("cluster", true, 64);
    for (const std::string* s : {&r.site, &r.cluster})
        if (!record::is_site_name(*s))
            c.fail(s == &r.site ? "site" : "cluster", "may only contain letters, digits, '-', '_' and '.'");
    r.created = c.text("created", true, 40);
    auto created = c.time("created", true);
    r.version = c.integer("record_version", 1, 1000000).value_or(1);
    r.job_id = c.integer("job_id", 0, 0xFFFFFFFFLL);
    if (kind != record::Kind::SubmitDecision && !r.job_id) c.fail("job_id", "is required for " + r.kind);
    for (const char* k : {"array_job_id", "array_task_id", "het_job_id", "het_job_offset"}) c.integer(k, 0, 0xFFFFFFFFLL);
    auto gpus = c.integer("gpus", 0, 100000000);
    for (const char* k : {"nodes", "tasks", "cpus"}) c.integer(k, 1, 100000000);
    c.integer("exit_code", -1000000, 1000000);
    c.integer("exit_signal", 1, 1000);
    r.step_id = c.text("step_id", false, 64);
    r.node = c.text("node", false, 256);
    r.account = c.text("account", false, 256);
    r.user = c.text("user", false, 64);
    if (!r.user.empty() && !record::is_pseudonym(r.user))
        c.fail("user", "must be a pseudonym (u- and 32 hex digits), never a user name");
    r.partition = c.text("partition", false, 256);
    c.text("gpu_model", false, 256);
    r.state = c.text("state", false, 64);
    r.decision = c.text("decision", false, 32);
    r.reason = c.text("reason", false, 4096);
    if (kind == record::Kind::SubmitDecision && !record::is_decision(r.decision))
        c.fail("decision", "must be accepted, warned or rejected");
    if (kind != record::Kind::SubmitDecision) {
        if (r.node.empty()) c.fail("node", "is required for " + r.kind);
        if (!c.get("end_time")) c.fail("end_time", "is required for " + r.kind);
    }
    auto submit = c.time("submit_time", false);
    auto start = c.time("start_time", false);
    auto end = c.time("end_time", false);
    if (start && end && *end < *start) c.fail("end_time", "is before start_time");
    r.gpu_seconds = c.seconds("gpu_seconds");
    // A GPU cannot be used for longer than it was held. The producer writes gpus × elapsed
    // exactly; 1 % and one second per GPU cover rounding.
    if (r.gpu_seconds && !(gpus && start && end))
        c.fail("gpu_seconds", "needs gpus, start_time and end_time (it cannot exceed gpus x elapsed)");
    if (r.gpu_seconds) {
        double held = static_cast<double>(*gpus) * static_cast<double>(*end - *start);
        if (*r.gpu_seconds > held * 1.01 + static_cast<double>(*gpus))
            c.fail("gpu_seconds", fmt_g(*r.gpu_seconds) + " is more than gpus x (end_time - start_time) = " +
                                      std::to_string(*gpus) + " x " + std::to_string(*end - *start) + " s = " +
                                      fmt_g(held));
    }
    c.seconds("cpu_seconds");
    c.seconds("elapsed_s");
    c.integer("mem_alloc_bytes", 0, INT64_MAX);
    c.integer("time_limit_s", 1, 0xFFFFFFFFLL * 60);
    c.integer("tokens_reported", 0, 1000000000000000000LL);
    if (const std::string run = c.text("run", false, record::kMaxRunBytes); c.get("run") && !record::is_run_name(run))
        c.fail("run", "must be 1-64 of letters, digits, '.', '_' and '-'");
    for (const char* k : {"training", "prediction", "binding", "observed"}) c.object(k);
    r.verdict = c.text("verdict", false, 64);
    const json_t* pred = c.get("prediction");
    const std::string origin = c.text("prediction_origin", false, 32);
    if (!origin.empty() && origin != "job_submit" && origin != "user-declared")
        c.fail("prediction_origin", "must be job_submit or user-declared");
    if (const json_t* cut = c.get("truncated")) {
        if (!json_is_array(cut) || json_array_size(cut) > 64) c.fail("truncated", "must be a list of field names");
        for (std::size_t i = 0; i < json_array_size(cut); ++i)
            if (!json_is_string(json_array_get(cut, i))) c.fail("truncated", "must be a list of field names");
    }
    const record::Prediction prediction = record::Prediction::from_json(pred);
    // A user-declared prediction's verdict is the user's claim, not the calculator's.
    if (r.verdict.empty() && origin != "user-declared") r.verdict = prediction.verdict;
    if (r.verdict.size() > 64) c.fail("prediction.verdict", "longer than 64 bytes");
    r.pred_gib_per_gpu = prediction.gib_per_gpu;
    if (const json_t* obs = c.get("observed")) {
        Ctx o{obs, c.who + ": observed"};
        json_object_foreach(const_cast<json_t*>(obs), key, value) {
            if (!listed(kObservedV1, key) && !(version >= 2 && listed(kObservedV2, key)))
                o.fail(key, "is not a field of observed in schema " + schema);
        }
        o.integer("max_rss_bytes", 0, INT64_MAX);
        // seconds(): a finite number >= 0 and under 1e15, whatever its unit.
        for (const char* k : {"gpu_util_mean_pct", "gpu_util_p95_pct"})
            if (auto pct = o.seconds(k); pct && *pct > 100) o.fail(k, fmt_g(*pct) + " is over 100 %");
        r.gpu_util_pct = o.seconds("gpu_util_mean_pct");
        r.gpu_energy_j = o.seconds("gpu_energy_j");
        r.node_energy_j = o.seconds("node_energy_j");
        o.seconds("gpu_sample_interval_s");
        o.integer("gpu_samples", 0, INT64_MAX);
        o.text("gpu_energy_basis", false, 32);
        check_timeline(o);
        if (auto p = o.integer("gpu_mem_peak_bytes", 0, INT64_MAX)) r.obs_gpu_peak_bytes = static_cast<double>(*p);
    }
    r.event_time = end ? *end : submit ? *submit : *created;
    // Stored in the producer's canonical form: compact, sorted keys.
    char* text = json_dumps(doc.get(), JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (!text) throw std::runtime_error("cannot serialise record " + r.record_id);
    r.body = text;
    std::free(text);
    return r;
}

}  // namespace aif::collect

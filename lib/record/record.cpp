// SPDX-License-Identifier: GPL-2.0-or-later
// Record building: canonical JSON through jansson, ids through UUIDv5, user pseudonyms via HMAC.
#include "record/record.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "record/prediction.hpp"

namespace aif::record {
namespace {

void set_new(json_t* obj, const char* key, json_t* value) {
    if (!value) throw std::runtime_error(std::string("out of memory building record field ") + key);
    json_object_set_new(obj, key, value);
}

// Names of the fields build() cut or left out, in the order met.
using Truncated = std::vector<std::string>;

bool valid_utf8(std::string_view s);

// At most `max` bytes of `s`, not splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    return s.substr(0, n);
}

// A text field, cut at `max` bytes; one that is not UTF-8 is left out. Either is noted.
void put_text(json_t* o, const char* k, const std::optional<std::string>& v, Truncated& t,
              std::size_t max = kMaxTextBytes) {
    if (!v) return;
    if (!valid_utf8(*v)) {
        t.push_back(k);
        return;
    }
    std::string_view text = cut_utf8(*v, max);
    if (text.size() < v->size()) t.push_back(k);
    set_new(o, k, json_stringn(text.data(), text.size()));
}
void put(json_t* o, const char* k, const std::optional<std::string>& v) {
    if (v) set_new(o, k, json_string(v->c_str()));
}
template <typename T>
void put_int(json_t* o, const char* k, const std::optional<T>& v) {
    if (v) set_new(o, k, json_integer(static_cast<json_int_t>(*v)));
}
void put_time(json_t* o, const char* k, const std::optional<std::int64_t>& v) {
    if (v) set_new(o, k, json_string(rfc3339_utc(*v).c_str()));
}
void put_seconds(json_t* o, const char* k, const std::optional<double>& v, const char* field) {
    if (!v) return;
    if (!(*v >= 0) || *v > 1e15) throw InputError(std::string("record: ") + field + " must be >= 0");
    set_new(o, k, json_real(static_cast<double>(static_cast<long long>(*v * 1000 + 0.5)) / 1000.0));
}
// A key/value object: string values cut at kMaxTextBytes, keys kept (in sorted order) while the
// object stays under kMaxObjectBytes. Either is noted.
void put_object(json_t* o, const char* k, json_t* v, Truncated& t) {
    if (!v) return;
    if (!json_is_object(v)) throw InputError(std::string("record: ") + k + " must be a JSON object");
    json::Ptr copy(json_object());
    if (!copy) throw std::runtime_error("out of memory building a record");
    std::vector<std::string> keys;
    const char* key;
    json_t* value;
    json_object_foreach(v, key, value) keys.emplace_back(key);
    std::sort(keys.begin(), keys.end());
    std::size_t bytes = 2;
    bool cut = false;
    for (const auto& name : keys) {
        json_t* item = json_object_get(v, name.c_str());
        json::Ptr kept(json_deep_copy(item));
        if (json_is_string(item) && json_string_length(item) > kMaxTextBytes) {
            std::string_view sv = cut_utf8(std::string_view(json_string_value(item), json_string_length(item)), kMaxTextBytes);
            kept.reset(json_stringn(sv.data(), sv.size()));
            cut = true;
        }
        if (!kept) throw std::runtime_error("out of memory building a record");
        const std::size_t need = name.size() + 4 + (json_is_string(kept.get()) ? json_string_length(kept.get()) + 2 : 24);
        if (name.size() > kMaxTextBytes || bytes + need > kMaxObjectBytes) {
            cut = true;
            continue;
        }
        bytes += need;
        json_object_set_new(copy.get(), name.c_str(), kept.release());
    }
    if (cut) t.push_back(k);
    set_new(o, k, copy.release());
}
// Percentages in [0, 100]; energies and intervals >= 0 (put_seconds' rounding and bounds).
void put_percent(json_t* o, const char* k, const std::optional<double>& v) {
    if (v && !(*v >= 0 && *v <= 100)) throw InputError(std::string("record: ") + k + " must be within 0..100");
    put_seconds(o, k, v, k);
}
// {"t_s": [...], "gpu_mem_max_bytes": [...], "gpu_util_mean_pct": [...]}, null where not read.
void put_timeline(json_t* obs, const std::vector<GpuTimelinePoint>& points) {
    if (points.empty()) return;
    if (points.size() > kMaxGpuTimelinePoints)
        throw InputError("record: gpu_timeline has more than " + std::to_string(kMaxGpuTimelinePoints) + " points");
    json_t* tl = json_object();
    set_new(obs, "gpu_timeline", tl);
    json_t *t = json_array(), *mem = json_array(), *util = json_array();
    set_new(tl, "t_s", t);
    set_new(tl, "gpu_mem_max_bytes", mem);
    set_new(tl, "gpu_util_mean_pct", util);
    double last = 0;
    for (const auto& p : points) {
        if (!(p.t_s >= last) || p.t_s > 1e15) throw InputError("record: gpu_timeline t_s must be >= 0 and not decrease");
        last = p.t_s;
        if (p.util_mean_pct && !(*p.util_mean_pct >= 0 && *p.util_mean_pct <= 100))
            throw InputError("record: gpu_timeline utilisation must be within 0..100");
        json_array_append_new(t, json_real(std::round(p.t_s * 1000) / 1000));
        json_array_append_new(mem, p.mem_max_bytes ? json_integer(static_cast<json_int_t>(*p.mem_max_bytes)) : json_null());
        json_array_append_new(util, p.util_mean_pct ? json_real(std::round(*p.util_mean_pct * 10) / 10) : json_null());
    }
}
void put_observed(json_t* j, const Record& r) {
    if (!r.max_rss_bytes && !r.gpu_mem_peak_bytes && !r.gpu_util_mean_pct && !r.gpu_util_p95_pct && !r.gpu_energy_j &&
        !r.gpu_samples && !r.gpu_sample_interval_s && !r.node_energy_j && r.gpu_timeline.empty())
        return;
    if (r.gpu_energy_basis && *r.gpu_energy_basis != "counter" && *r.gpu_energy_basis != "power")
        throw InputError("record: gpu_energy_basis must be counter or power");
    if (r.gpu_energy_j && !r.gpu_energy_basis) throw InputError("record: gpu_energy_j needs gpu_energy_basis");
    json_t* obs = json_object();
    set_new(j, "observed", obs);
    put_int(obs, "max_rss_bytes", r.max_rss_bytes);
    put_int(obs, "gpu_mem_peak_bytes", r.gpu_mem_peak_bytes);
    put_percent(obs, "gpu_util_mean_pct", r.gpu_util_mean_pct);
    put_percent(obs, "gpu_util_p95_pct", r.gpu_util_p95_pct);
    put_seconds(obs, "gpu_energy_j", r.gpu_energy_j, "gpu_energy_j");
    if (r.gpu_energy_j) put(obs, "gpu_energy_basis", r.gpu_energy_basis);
    put_int(obs, "gpu_samples", r.gpu_samples);
    put_seconds(obs, "gpu_sample_interval_s", r.gpu_sample_interval_s, "gpu_sample_interval_s");
    put_seconds(obs, "node_energy_j", r.node_energy_j, "node_energy_j");
    put_timeline(obs, r.gpu_timeline);
}
void require_text(const std::string& v, const char* field) {
    if (v.empty()) throw InputError(std::string("record: ") + field + " is required");
}
bool valid_utf8(std::string_view s) {
    json_t* j = json_stringn(s.data(), s.size());  // jansson refuses invalid UTF-8
    if (!j) return false;
    json_decref(j);
    return true;
}

// Canonical text of the record, with the sorted, de-duplicated `truncated` list when not empty.
std::string serialise(json_t* j, Truncated names) {
    if (!names.empty()) {
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        json_t* list = json_array();
        set_new(j, "truncated", list);
        for (const auto& n : names) json_array_append_new(list, json_string(n.c_str()));
    }
    char* text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (!text) throw std::runtime_error("cannot serialise record");
    std::string out = text;
    free(text);
    return out;
}

}  // namespace

std::string record_id(const Record& r) {
    std::string name = r.cluster + "/" + (r.job_id ? std::to_string(*r.job_id) : "-") + "/" +
                       (r.submit_time ? std::to_string(*r.submit_time) : "-") + "/" + r.component;
    return uuid_v5(r.site_namespace, name);
}

Built build(const Record& r, std::int64_t created) {
    require_text(r.site, "site");
    require_text(r.cluster, "cluster");
    require_text(r.component, "component");
    if (r.kind != Kind::SubmitDecision && !r.job_id) throw InputError("record: job_id is required");
    if (r.kind == Kind::SubmitDecision) {
        if (!r.decision || !is_decision(*r.decision))
            throw InputError("record: decision must be accepted, warned or rejected");
    }
    if (r.user && !is_pseudonym(*r.user))
        throw InputError("record: user must be a pseudonym from pseudonym(), not a user name");
    for (const auto* s : {&r.node, &r.step_id})
        if (*s && !valid_utf8(**s)) throw InputError("record: a text field is not valid UTF-8");

    json::Ptr o(json_object());
    if (!o) throw std::runtime_error("out of memory building a record");
    Built b;
    b.id = record_id(r);
    json_t* j = o.get();
    Truncated truncated;
    set_new(j, "schema", json_string(kSchema));
    set_new(j, "record_id", json_string(b.id.c_str()));
    set_new(j, "kind", json_string(kind_name(r.kind)));
    set_new(j, "component", json_string(r.component.c_str()));
    set_new(j, "site", json_string(r.site.c_str()));
    set_new(j, "cluster", json_string(r.cluster.c_str()));
    set_new(j, "created", json_string(rfc3339_utc(created).c_str()));
    put_int(j, "job_id", r.job_id);
    put_int(j, "array_job_id", r.array_job_id);
    put_int(j, "array_task_id", r.array_task_id);
    put_int(j, "het_job_id", r.het_job_id);
    put_int(j, "het_job_offset", r.het_job_offset);
    put(j, "step_id", r.step_id);
    put(j, "node", r.node);
    put_text(j, "partition", r.partition, truncated);
    put_text(j, "account", r.account, truncated);
    put(j, "user", r.user);
    put_time(j, "submit_time", r.submit_time);
    put_time(j, "start_time", r.start_time);
    put_time(j, "end_time", r.end_time);
    put_int(j, "nodes", r.nodes);
    put_int(j, "gpus", r.gpus);
    put_int(j, "tasks", r.tasks);
    put_int(j, "cpus", r.cpus);
    put_text(j, "gpu_model", r.gpu_model, truncated);
    put_seconds(j, "gpu_seconds", r.gpu_seconds, "gpu_seconds");
    put_seconds(j, "cpu_seconds", r.cpu_seconds, "cpu_seconds");
    put_seconds(j, "elapsed_s", r.elapsed_s, "elapsed_s");
    put_int(j, "mem_alloc_bytes", r.mem_alloc_bytes);
    if (r.time_limit_s && *r.time_limit_s <= 0) throw InputError("record: time_limit_s must be > 0 (leave it out for none)");
    put_int(j, "time_limit_s", r.time_limit_s);
    put_text(j, "state", r.state, truncated);
    put_int(j, "exit_code", r.exit_code);
    put_int(j, "exit_signal", r.exit_signal);
    put(j, "decision", r.decision);
    put_text(j, "reason", r.reason, truncated, kMaxReasonBytes);
    put_object(j, "training", r.training, truncated);
    put_object(j, "prediction", r.prediction, truncated);
    put_text(j, "verdict", r.verdict, truncated);
    put(j, "prediction_origin", r.prediction_origin);
    if (r.run && !is_run_name(*r.run)) throw InputError("record: run is not a run name");
    put(j, "run", r.run);
    put_int(j, "tokens_reported", r.tokens_reported);
    put_object(j, "binding", r.binding, truncated);
    put_observed(j, r);
    // Still too big (many capped fields at once): leave out the optional parts, largest first
    // in what they may hold, until it fits. The usage fields are never dropped.
    b.json = serialise(j, truncated);
    for (const char* optional : {"binding", "training", "reason", "prediction"}) {
        if (b.json.size() <= kMaxRecordBytes) break;
        if (json_object_del(j, optional) == 0) {
            truncated.push_back(optional);
            b.json = serialise(j, truncated);
        }
    }
    if (b.json.size() > kMaxRecordBytes)
        throw InputError("record: " + std::to_string(b.json.size()) + " bytes is over the " +
                         std::to_string(kMaxRecordBytes) + "-byte limit");
    return b;
}

std::string validate(std::string_view text) {
    json::Ptr doc = json::parse(text, "record");
    if (!json_is_object(doc.get())) throw InputError("record: not a JSON object");
    std::string schema = json::require_string(doc.get(), "schema", "record");
    if (schema_version(schema) == 0) throw InputError("record: unknown schema '" + schema + "'");
    std::string id = json::require_string(doc.get(), "record_id", "record");
    if (!is_uuid(id)) throw InputError("record: record_id is not a UUID");
    json::require_string(doc.get(), "kind", "record");
    return id;
}

}  // namespace aif::record

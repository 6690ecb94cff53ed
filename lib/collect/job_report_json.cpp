// SPDX-License-Identifier: GPL-2.0-or-later
// The job report's JSON form (the /v1/jobs API) and its reader. Keys, order and number types are
// the API's contract: tests/integration/collector_*.sh compare them with Slurm and the HTML page.
#include <algorithm>
#include <cstring>

#include "collect/job_report.hpp"

namespace aif::collect {
namespace {

void set(json_t* o, const char* k, json_t* v) {
    if (v) json_object_set_new(o, k, v);
}
void set_str(json_t* o, const char* k, const std::optional<std::string>& v) {
    if (v) set(o, k, json_stringn(v->data(), v->size()));
}
void set_int(json_t* o, const char* k, const std::optional<long long>& v) {
    if (v) set(o, k, json_integer(*v));
}
void set_num(json_t* o, const char* k, const std::optional<Number>& v) {
    if (v) set(o, k, v->integer ? json_integer(static_cast<json_int_t>(v->value)) : json_real(v->value));
}
void set_real(json_t* o, const char* k, const std::optional<double>& v) {
    if (v) set(o, k, json_real(*v));
}
void set_copy(json_t* o, const char* k, const json::Ptr& v) {
    if (v) set(o, k, json_deep_copy(v.get()));
}

// The prediction's typed fields, for the report's readers (numbers as JSON reals), then "raw".
json_t* prediction_json(const record::Prediction& p, const json::Ptr& raw) {
    json_t* out = json_object();
    auto text = [&](const char* k, const std::string& v) {
        if (!v.empty()) set(out, k, json_string(v.c_str()));
    };
    set_real(out, "gib_per_gpu", p.gib_per_gpu);
    set_real(out, "capacity_gib", p.capacity_gib);
    set_real(out, "gib_lo", p.gib_lo);
    set_real(out, "gib_hi", p.gib_hi);
    if (p.gpus) set(out, "gpus", json_real(*p.gpus));
    set_real(out, "tokens_per_s", p.tokens_per_s);
    set_real(out, "train_hours", p.train_hours);
    set_real(out, "gpu_hours", p.gpu_hours);
    set_real(out, "flops_per_token", p.flops_per_token);
    set_real(out, "tokens", p.tokens);
    set_real(out, "tdp_w", p.tdp_w);
    text("run", p.run);
    text("verdict", p.verdict);
    text("dominant", p.dominant);
    text("layout", p.layout);
    text("decision_id", p.decision_id);
    if (!p.components.empty()) {
        json_t* comps = json_object();
        for (const auto& [name, gib] : p.components) set(comps, name.c_str(), json_real(gib));
        set(out, "components", comps);
    }
    set_copy(out, "raw", raw);
    return out;
}

json_t* step_json(const JobStep& s) {
    json_t* o = json_object();
    set_str(o, "step_id", s.step_id);
    set_str(o, "node", s.node);
    set_str(o, "start_time", s.start_time);
    set_str(o, "end_time", s.end_time);
    set_int(o, "gpus", s.gpus);
    set_int(o, "tasks", s.tasks);
    set_int(o, "cpus", s.cpus);
    set_num(o, "cpu_seconds", s.cpu_seconds);
    set_num(o, "gpu_seconds", s.gpu_seconds);
    set_int(o, "exit_code", s.exit_code);
    set_int(o, "exit_signal", s.exit_signal);
    set_str(o, "state", s.state);
    set_real(o, "elapsed_s", s.elapsed_s);
    set_int(o, "max_rss_bytes", s.max_rss_bytes);
    set_int(o, "gpu_mem_peak_bytes", s.gpu_mem_peak_bytes);
    set_int(o, "mem_alloc_bytes", s.mem_alloc_bytes);
    set_real(o, "gpu_util_mean_pct", s.gpu_util_mean_pct);
    set_real(o, "gpu_energy_j", s.gpu_energy_j);
    set_int(o, "tokens_reported", s.tokens_reported);
    set_real(o, "node_energy_j", s.node_energy_j);
    if (!s.gpu_timeline.empty()) set(o, "gpu_timeline", gpu_timeline_json(s.gpu_timeline));
    return o;
}

// The usage figures: every key is present, null where the records do not give it ("n/a").
json_t* usage_json(const JobUsage& u) {
    json_t* o = json_object();
    auto real = [&](const char* k, const std::optional<double>& v) { set(o, k, v ? json_real(*v) : json_null()); };
    auto integer = [&](const char* k, const std::optional<long long>& v) { set(o, k, v ? json_integer(*v) : json_null()); };
    integer("gpus_allocated", u.gpus_allocated);
    real("charged_elapsed_s", u.charged_elapsed_s);
    real("gpu_hours_charged", u.gpu_hours_charged);
    integer("queue_wait_s", u.queue_wait_s);
    integer("time_limit_s", u.time_limit_s);
    real("cpu_efficiency_pct", u.cpu_efficiency_pct);
    real("mem_efficiency_pct", u.mem_efficiency_pct);
    real("gpu_util_mean_pct", u.gpu_util_mean_pct);
    real("gpu_energy_kwh", u.gpu_energy_kwh);
    real("node_energy_kwh", u.node_energy_kwh);
    real("gpu_mem_measured_over_predicted", u.gpu_mem_measured_over_predicted);
    set(o, "gpu_mem_vs_band", u.gpu_mem_vs_band ? json_string(u.gpu_mem_vs_band->c_str()) : json_null());
    return o;
}

JobUsage read_usage(const json_t* o) {
    JobUsage u;
    auto real = [&](const char* k) {
        const json_t* v = json_object_get(o, k);
        return json_is_number(v) ? std::optional<double>(json_number_value(v)) : std::nullopt;
    };
    auto integer = [&](const char* k) {
        const json_t* v = json_object_get(o, k);
        return json_is_integer(v) ? std::optional<long long>(json_integer_value(v)) : std::nullopt;
    };
    u.gpus_allocated = integer("gpus_allocated");
    u.charged_elapsed_s = real("charged_elapsed_s");
    u.gpu_hours_charged = real("gpu_hours_charged");
    u.queue_wait_s = integer("queue_wait_s");
    u.time_limit_s = integer("time_limit_s");
    u.cpu_efficiency_pct = real("cpu_efficiency_pct");
    u.mem_efficiency_pct = real("mem_efficiency_pct");
    u.gpu_util_mean_pct = real("gpu_util_mean_pct");
    u.gpu_energy_kwh = real("gpu_energy_kwh");
    u.node_energy_kwh = real("node_energy_kwh");
    u.gpu_mem_measured_over_predicted = real("gpu_mem_measured_over_predicted");
    if (const json_t* b = json_object_get(o, "gpu_mem_vs_band"); json_is_string(b)) u.gpu_mem_vs_band = json_string_value(b);
    return u;
}

std::optional<std::string> get_str(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}
std::optional<long long> get_int(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_integer(v)) return std::nullopt;
    return json_integer_value(v);
}
std::optional<double> get_real(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_number(v)) return std::nullopt;
    return json_number_value(v);
}
std::optional<Number> get_num(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_number(v)) return std::nullopt;
    return Number{json_number_value(v), json_is_integer(v)};
}
json::Ptr get_object(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    return json::Ptr(json_is_object(v) ? json_deep_copy(v) : nullptr);
}

JobStep read_step(const json_t* o) {
    JobStep s;
    s.step_id = get_str(o, "step_id");
    s.node = get_str(o, "node");
    s.start_time = get_str(o, "start_time");
    s.end_time = get_str(o, "end_time");
    s.gpus = get_int(o, "gpus");
    s.tasks = get_int(o, "tasks");
    s.cpus = get_int(o, "cpus");
    s.cpu_seconds = get_num(o, "cpu_seconds");
    s.gpu_seconds = get_num(o, "gpu_seconds");
    s.exit_code = get_int(o, "exit_code");
    s.exit_signal = get_int(o, "exit_signal");
    s.state = get_str(o, "state");
    s.elapsed_s = get_real(o, "elapsed_s");
    s.max_rss_bytes = get_int(o, "max_rss_bytes");
    s.gpu_mem_peak_bytes = get_int(o, "gpu_mem_peak_bytes");
    s.mem_alloc_bytes = get_int(o, "mem_alloc_bytes");
    s.gpu_util_mean_pct = get_real(o, "gpu_util_mean_pct");
    s.gpu_energy_j = get_real(o, "gpu_energy_j");
    s.tokens_reported = get_int(o, "tokens_reported");
    s.node_energy_j = get_real(o, "node_energy_j");
    s.gpu_timeline = gpu_timeline_from_json(json_object_get(o, "gpu_timeline"));
    return s;
}

}  // namespace

std::vector<record::GpuTimelinePoint> gpu_timeline_from_json(const json_t* tl) {
    std::vector<record::GpuTimelinePoint> out;
    const json_t *t = json_object_get(tl, "t_s"), *mem = json_object_get(tl, "gpu_mem_max_bytes"),
                 *util = json_object_get(tl, "gpu_util_mean_pct");
    const std::size_t n = std::min({json_array_size(t), json_array_size(mem), json_array_size(util),
                                    record::kMaxGpuTimelinePoints});
    for (std::size_t i = 0; i < n; ++i) {
        const json_t *ti = json_array_get(t, i), *mi = json_array_get(mem, i), *ui = json_array_get(util, i);
        if (!json_is_number(ti)) break;
        record::GpuTimelinePoint p;
        p.t_s = json_number_value(ti);
        if (json_is_integer(mi) && json_integer_value(mi) >= 0) p.mem_max_bytes = static_cast<std::uint64_t>(json_integer_value(mi));
        if (json_is_number(ui)) p.util_mean_pct = json_number_value(ui);
        out.push_back(p);
    }
    return out;
}

json_t* gpu_timeline_json(const std::vector<record::GpuTimelinePoint>& points) {
    json_t *o = json_object(), *t = json_array(), *mem = json_array(), *util = json_array();
    for (const auto& p : points) {
        json_array_append_new(t, json_real(p.t_s));
        json_array_append_new(mem, p.mem_max_bytes ? json_integer(static_cast<json_int_t>(*p.mem_max_bytes)) : json_null());
        json_array_append_new(util, p.util_mean_pct ? json_real(*p.util_mean_pct) : json_null());
    }
    set(o, "t_s", t);
    set(o, "gpu_mem_max_bytes", mem);
    set(o, "gpu_util_mean_pct", util);
    return o;
}

json::Ptr to_json(const JobReport& r) {
    json::Ptr rep(json_object());
    json_t* o = rep.get();
    set(o, "site", json_string(r.site.c_str()));
    set(o, "cluster", json_string(r.cluster.c_str()));
    set(o, "job_id", json_integer(r.job_id));
    set(o, "records", json_integer(r.records));
    json_t* steps = json_array();
    for (const auto& s : r.steps) json_array_append_new(steps, step_json(s));
    set(o, "steps", steps);
    for (const auto& k : r.header_order) {
        if (k == "account") set_str(o, "account", r.account);
        else if (k == "user") set_str(o, "user", r.user);
        else if (k == "partition") set_str(o, "partition", r.partition);
        else if (k == "gpu_model") set_str(o, "gpu_model", r.gpu_model);
        else if (k == "training") set_copy(o, "training", r.training);
        else if (k == "binding") set_copy(o, "binding", r.binding);
        else if (k == "nodes") set_int(o, "nodes", r.nodes);
        else if (k == "prediction" && r.prediction) set(o, "prediction", prediction_json(*r.prediction, r.prediction_raw));
    }
    if (const auto& s = r.submission) {
        json_t* sub = json_object();
        set_str(sub, "decision", s->decision);
        set_str(sub, "reason", s->reason);
        set_str(sub, "submit_time", s->submit_time);
        set_str(sub, "created", s->created);
        set_str(sub, "verdict", s->verdict);
        set_str(sub, "record_id", s->record_id);
        set_int(sub, "time_limit_s", s->time_limit_s);
        set(o, "submission", sub);
    }
    set(o, "gpu_seconds", json_real(r.gpu_seconds));
    set(o, "gpu_hours", json_real(r.gpu_hours));
    set(o, "usage", usage_json(r.usage));
    json_t* nodes = json_array();
    for (const auto& n : r.node_list) json_array_append_new(nodes, json_string(n.c_str()));
    set(o, "node_list", nodes);
    if (r.gpu_mem_peak_gib || r.max_rss_gib) {
        json_t* obs = json_object();
        set_real(obs, "gpu_mem_peak_gib", r.gpu_mem_peak_gib);
        set_real(obs, "max_rss_gib", r.max_rss_gib);
        set(o, "observed", obs);
    }
    json_t* out = json_object();
    if (!r.outcome.state.empty()) set(out, "state", json_string(r.outcome.state.c_str()));
    set_int(out, "exit_code", r.outcome.exit_code);
    set_str(out, "start_time", r.outcome.start_time);
    set_str(out, "end_time", r.outcome.end_time);
    set_int(out, "elapsed_s", r.outcome.elapsed_s);
    set(o, "outcome", out);
    if (!r.source.empty()) set(o, "source", json_string(r.source.c_str()));
    return rep;
}

JobReport job_report_from_json(const json_t* o) {
    JobReport r;
    r.site = get_str(o, "site").value_or("");
    r.cluster = get_str(o, "cluster").value_or("");
    r.job_id = get_int(o, "job_id").value_or(0);
    r.records = get_int(o, "records").value_or(0);
    r.source = get_str(o, "source").value_or("");
    const json_t* steps = json_object_get(o, "steps");
    for (std::size_t i = 0; i < json_array_size(steps); ++i) r.steps.push_back(read_step(json_array_get(steps, i)));
    r.account = get_str(o, "account");
    r.user = get_str(o, "user");
    r.partition = get_str(o, "partition");
    r.gpu_model = get_str(o, "gpu_model");
    r.training = get_object(o, "training");
    r.binding = get_object(o, "binding");
    r.nodes = get_int(o, "nodes");
    if (const json_t* p = json_object_get(o, "prediction"); json_is_object(p)) {
        r.prediction_raw = get_object(p, "raw");
        r.prediction = record::Prediction::from_json(r.prediction_raw.get());
    }
    const char* key;
    json_t* value;
    json_object_foreach(const_cast<json_t*>(o), key, value) {
        for (const char* k : {"account", "user", "partition", "gpu_model", "training", "binding", "prediction", "nodes"})
            if (std::strcmp(k, key) == 0) r.header_order.push_back(k);
    }
    if (const json_t* s = json_object_get(o, "submission"); json_is_object(s))
        r.submission = Submission{get_str(s, "decision"), get_str(s, "reason"), get_str(s, "submit_time"),
                                  get_str(s, "created"), get_str(s, "verdict"), get_str(s, "record_id"),
                                  get_int(s, "time_limit_s")};
    r.usage = read_usage(json_object_get(o, "usage"));
    r.gpu_seconds = get_real(o, "gpu_seconds").value_or(0);
    r.gpu_hours = get_real(o, "gpu_hours").value_or(0);
    const json_t* nodes = json_object_get(o, "node_list");
    for (std::size_t i = 0; i < json_array_size(nodes); ++i)
        if (json_is_string(json_array_get(nodes, i))) r.node_list.push_back(json_string_value(json_array_get(nodes, i)));
    const json_t* obs = json_object_get(o, "observed");
    r.gpu_mem_peak_gib = get_real(obs, "gpu_mem_peak_gib");
    r.max_rss_gib = get_real(obs, "max_rss_gib");
    const json_t* out = json_object_get(o, "outcome");
    r.outcome = JobOutcome{get_str(out, "state").value_or(""), get_int(out, "exit_code"), get_str(out, "start_time"),
                           get_str(out, "end_time"), get_int(out, "elapsed_s")};
    return r;
}

}  // namespace aif::collect

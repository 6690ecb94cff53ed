// SPDX-License-Identifier: GPL-2.0-or-later
// Merging a job's records into one report. GPU-hours follow the rule in store.hpp: srun steps
// are summed; the batch step counts only when the job ran no other step.
#include "collect/job_report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "collect/validate.hpp"
#include "common/text.hpp"

namespace aif::collect {
namespace {

std::string str(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}
double num(const json_t* o, const char* k, double dflt = NAN) {
    const json_t* v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}
std::optional<std::string> opt_str(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_string(v)) return std::nullopt;
    return std::string(json_string_value(v), json_string_length(v));
}
std::optional<long long> opt_int(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_integer(v)) return std::nullopt;
    return json_integer_value(v);
}
std::optional<double> opt_real(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_number(v)) return std::nullopt;
    return json_number_value(v);
}
std::optional<Number> opt_num(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (!json_is_number(v)) return std::nullopt;
    return Number{json_number_value(v), json_is_integer(v)};
}
json::Ptr opt_object(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    return json::Ptr(json_is_object(v) ? json_deep_copy(v) : nullptr);
}
long long time_of(const json_t* o, const char* k) {
    auto t = parse_time(str(o, k));
    return t ? *t : -1;
}
double round3(double v) { return std::round(v * 1000) / 1000; }

// The first record that carries a field supplies it; header_order remembers in which order.
template <class T>
void first(JobReport& r, const char* key, T& field, T value) {
    if (field || !value) return;
    field = std::move(value);
    r.header_order.push_back(key);
}

JobStep read_step(const json_t* d) {
    JobStep s;
    s.step_id = opt_str(d, "step_id");
    s.node = opt_str(d, "node");
    s.start_time = opt_str(d, "start_time");
    s.end_time = opt_str(d, "end_time");
    s.gpus = opt_int(d, "gpus");
    s.tasks = opt_int(d, "tasks");
    s.cpus = opt_int(d, "cpus");
    s.cpu_seconds = opt_num(d, "cpu_seconds");
    s.gpu_seconds = opt_num(d, "gpu_seconds");
    s.exit_code = opt_int(d, "exit_code");
    s.exit_signal = opt_int(d, "exit_signal");
    s.state = opt_str(d, "state");
    long long st = time_of(d, "start_time"), en = time_of(d, "end_time");
    double gs = num(d, "gpu_seconds", 0), g = num(d, "gpus", 0);
    double elapsed = g > 0 && gs > 0 ? gs / g : (st >= 0 && en >= st ? static_cast<double>(en - st) : NAN);
    if (std::isfinite(elapsed)) s.elapsed_s = round3(elapsed);
    if (const json_t* obs = json_object_get(d, "observed")) {
        s.max_rss_bytes = opt_int(obs, "max_rss_bytes");
        s.gpu_mem_peak_bytes = opt_int(obs, "gpu_mem_peak_bytes");
        s.gpu_util_mean_pct = opt_real(obs, "gpu_util_mean_pct");
        s.gpu_energy_j = opt_real(obs, "gpu_energy_j");
        s.node_energy_j = opt_real(obs, "node_energy_j");
        s.gpu_timeline = gpu_timeline_from_json(json_object_get(obs, "gpu_timeline"));
    }
    s.mem_alloc_bytes = opt_int(d, "mem_alloc_bytes");
    s.tokens_reported = opt_int(d, "tokens_reported");
    return s;
}

void read_submission(Submission& s, const json_t* d) {
    for (auto [k, f] : {std::pair{"decision", &s.decision}, {"reason", &s.reason}, {"submit_time", &s.submit_time},
                        {"created", &s.created}, {"verdict", &s.verdict}})
        if (auto v = opt_str(d, k)) *f = std::move(v);
    if (auto t = opt_int(d, "time_limit_s")) s.time_limit_s = t;
}

// What build_job_report gathered that the usage figures need.
struct UsageInputs {
    const std::map<std::string, long long>& end_gpus;
    const std::map<std::string, long long>& node_cpus;
    double batch_elapsed;
    std::optional<long long> batch_gpus;
    double cpu_seconds;
    long long first_start;
    bool any_srun_step;
};

double round1(double v) { return std::round(v * 10) / 10; }

void add_usage(JobReport& r, const UsageInputs& in) {
    JobUsage& u = r.usage;
    if (in.batch_elapsed >= 0) u.charged_elapsed_s = round3(in.batch_elapsed);
    else if (r.outcome.elapsed_s) u.charged_elapsed_s = static_cast<double>(*r.outcome.elapsed_s);
    if (!in.end_gpus.empty()) {
        long long g = 0;
        for (const auto& [node, n] : in.end_gpus) g += n;
        u.gpus_allocated = g;
    } else if (in.batch_gpus && r.node_list.size() == 1 && r.nodes.value_or(1) == 1) {
        u.gpus_allocated = in.batch_gpus;
    }
    if (u.gpus_allocated && u.charged_elapsed_s)
        u.gpu_hours_charged = std::round(static_cast<double>(*u.gpus_allocated) * *u.charged_elapsed_s / 3600.0 * 1e4) / 1e4;
    if (r.submission) {
        u.time_limit_s = r.submission->time_limit_s;
        auto submit = parse_time(r.submission->submit_time.value_or(""));
        if (submit && in.first_start >= *submit) u.queue_wait_s = in.first_start - *submit;
    }
    if (u.charged_elapsed_s && *u.charged_elapsed_s > 0 && !in.node_cpus.empty()) {
        double core_s = 0;
        for (const auto& [node, n] : in.node_cpus) core_s += static_cast<double>(n) * *u.charged_elapsed_s;
        if (core_s > 0) u.cpu_efficiency_pct = round1(100.0 * in.cpu_seconds / core_s);
    }
    double util_w = 0, util_sum = 0, gpu_j = 0, node_j = 0;
    bool any_gpu_j = false, any_node_j = false;
    for (const JobStep& s : r.steps) {
        if (s.max_rss_bytes && s.mem_alloc_bytes && *s.mem_alloc_bytes > 0)
            u.mem_efficiency_pct = std::max(u.mem_efficiency_pct.value_or(0),
                                            round1(100.0 * static_cast<double>(*s.max_rss_bytes) / static_cast<double>(*s.mem_alloc_bytes)));
        // The steps GPU-hours count: srun steps; the batch step only when there is no other.
        if ((s.step_id == "batch") == in.any_srun_step) continue;
        const double weight = s.gpu_seconds ? s.gpu_seconds->value : 0;
        if (s.gpu_util_mean_pct && weight > 0) {
            util_sum += *s.gpu_util_mean_pct * weight;
            util_w += weight;
        }
        if (s.gpu_energy_j) gpu_j += *s.gpu_energy_j, any_gpu_j = true;
        if (s.node_energy_j) node_j += *s.node_energy_j, any_node_j = true;
    }
    if (util_w > 0) u.gpu_util_mean_pct = round1(util_sum / util_w);
    if (any_gpu_j) u.gpu_energy_kwh = std::round(gpu_j / 3.6e6 * 1e6) / 1e6;
    if (any_node_j) u.node_energy_kwh = std::round(node_j / 3.6e6 * 1e6) / 1e6;
    if (r.gpu_mem_peak_gib && r.prediction && r.prediction->gib_per_gpu && *r.prediction->gib_per_gpu > 0)
        u.gpu_mem_measured_over_predicted = round3(*r.gpu_mem_peak_gib / *r.prediction->gib_per_gpu);
    if (r.gpu_mem_peak_gib && r.prediction && r.prediction->gib_lo && r.prediction->gib_hi) {
        const double m = *r.gpu_mem_peak_gib;
        u.gpu_mem_vs_band = m < *r.prediction->gib_lo ? "below" : m > *r.prediction->gib_hi ? "above" : "within";
    }
}

}  // namespace

JobReport build_job_report(const std::vector<std::string>& bodies, const std::string& site, const std::string& cluster,
                           long long job_id) {
    // Keep the highest version per record id.
    std::map<std::string, json::Ptr> recs, decisions;  // decisions: submit decisions without a job id
    std::map<std::string, std::pair<long long, std::string>> ver;
    for (const auto& b : bodies) {
        json::Ptr d;
        try {
            d = json::parse(b, "record");
        } catch (...) {
            continue;
        }
        if (!json_is_object(d.get()) || str(d.get(), "site") != site || str(d.get(), "cluster") != cluster) continue;
        const json_t* jid = json_object_get(d.get(), "job_id");
        if (!jid && str(d.get(), "kind") == "submit_decision") {
            decisions[str(d.get(), "record_id")] = std::move(d);
            continue;
        }
        if (!json_is_integer(jid) || json_integer_value(jid) != job_id) continue;
        std::string id = str(d.get(), "record_id");
        long long v = static_cast<long long>(num(d.get(), "record_version", 1));
        std::pair<long long, std::string> key{v, str(d.get(), "created")};
        if (recs.count(id) && ver[id] >= key) continue;
        ver[id] = key;
        recs[id] = std::move(d);
    }

    JobReport r;
    r.site = site;
    r.cluster = cluster;
    r.job_id = job_id;
    r.records = static_cast<long long>(recs.size());
    double srun_gs = 0, batch_gs = 0, peak_gpu = -1, peak_rss = -1;
    int srun_steps = 0;
    long long t_start = -1, t_end = -1, job_end_time = -1;
    std::map<std::string, long long> end_gpus, node_cpus;  // per node: job_end GPUs, CPUs allocated
    double batch_elapsed = -1, cpu_s = 0;
    std::optional<long long> batch_gpus;
    std::string state_failed, batch_state, any_completed;
    std::optional<long long> batch_exit, worst_exit;
    auto add_node = [&](const std::string& n) {
        if (!n.empty() && std::find(r.node_list.begin(), r.node_list.end(), n) == r.node_list.end())
            r.node_list.push_back(n);
    };

    for (auto& [id, p] : recs) {
        const json_t* d = p.get();
        std::string kind = str(d, "kind");
        first(r, "account", r.account, opt_str(d, "account"));
        first(r, "user", r.user, opt_str(d, "user"));
        first(r, "partition", r.partition, opt_str(d, "partition"));
        first(r, "gpu_model", r.gpu_model, opt_str(d, "gpu_model"));
        first(r, "training", r.training, opt_object(d, "training"));
        first(r, "binding", r.binding, opt_object(d, "binding"));
        if (!r.prediction && json_is_object(json_object_get(d, "prediction"))) {
            r.prediction = record::Prediction::from_json(json_object_get(d, "prediction"));
            r.prediction_raw = opt_object(d, "prediction");  // as the producer sent it
            r.prediction_origin = str(d, "prediction_origin");
            r.header_order.push_back("prediction");
        }
        if (kind == "submit_decision") {
            if (!r.submission) r.submission.emplace();
            read_submission(*r.submission, d);
            continue;
        }
        if (kind == "job_end") {
            job_end_time = std::max(job_end_time, time_of(d, "end_time"));
            if (auto g = opt_int(d, "gpus"); g && !str(d, "node").empty()) end_gpus[str(d, "node")] = *g;
            if (auto n = opt_int(d, "nodes")) {
                if (!r.nodes) r.header_order.push_back("nodes");
                r.nodes = n;  // the job's own count wins over a step's
            }
            add_node(str(d, "node"));
            continue;
        }
        // step_end
        JobStep s = read_step(d);
        first(r, "nodes", r.nodes, opt_int(d, "nodes"));
        if (s.gpu_mem_peak_bytes) peak_gpu = std::max(peak_gpu, static_cast<double>(*s.gpu_mem_peak_bytes));
        if (s.max_rss_bytes) peak_rss = std::max(peak_rss, static_cast<double>(*s.max_rss_bytes));
        double gs = num(d, "gpu_seconds", 0);
        long long st = time_of(d, "start_time"), en = time_of(d, "end_time");
        std::string state = str(d, "state");
        if (s.step_id == "batch") {
            batch_gs += gs;
            batch_state = state;
            batch_exit = s.exit_code;
            if (s.elapsed_s) batch_elapsed = std::max(batch_elapsed, *s.elapsed_s);
            if (s.gpus) batch_gpus = s.gpus;
        } else {
            srun_gs += gs;
            ++srun_steps;
        }
        const std::string node = str(d, "node");
        if (s.cpus) node_cpus[node] = std::max(node_cpus[node], *s.cpus);
        if (s.cpu_seconds) cpu_s += s.cpu_seconds->value;
        if (!state.empty() && state != "COMPLETED") state_failed = state;
        if (state == "COMPLETED") any_completed = state;
        if (s.exit_code && (!worst_exit || *s.exit_code > *worst_exit)) worst_exit = s.exit_code;
        if (st >= 0 && (t_start < 0 || st < t_start)) t_start = st;
        t_end = std::max(t_end, en);
        add_node(str(d, "node"));
        r.steps.push_back(std::move(s));
    }
    // The decision the job's signed prediction names (a user-declared one may point anywhere).
    if (!r.submission && r.prediction && r.prediction_origin == "job_submit" && !r.prediction->decision_id.empty()) {
        auto it = decisions.find(r.prediction->decision_id);
        if (it != decisions.end()) {
            r.submission.emplace();
            read_submission(*r.submission, it->second.get());
            r.submission->record_id = it->first;
            ++r.records;
        }
    }
    // Steps in time order, then by step id and node, so the timeline reads left to right.
    auto order = [](const JobStep& s) {
        return std::make_tuple(s.start_time.value_or(""), s.step_id.value_or(""), s.node.value_or(""));
    };
    std::sort(r.steps.begin(), r.steps.end(), [&](const JobStep& a, const JobStep& b) { return order(a) < order(b); });

    r.gpu_seconds = round3(srun_steps > 0 ? srun_gs : batch_gs);
    r.gpu_hours = std::round((srun_steps > 0 ? srun_gs : batch_gs) / 3600.0 * 1e4) / 1e4;
    if (peak_gpu >= 0) r.gpu_mem_peak_gib = round3(peak_gpu / GiB);
    if (peak_rss >= 0) r.max_rss_gib = round3(peak_rss / GiB);
    JobOutcome& out = r.outcome;
    out.state = !state_failed.empty() ? state_failed
                : !batch_state.empty() ? batch_state
                : !any_completed.empty() ? any_completed
                : job_end_time >= 0 ? "ENDED" : (r.steps.empty() ? "" : "RUNNING");
    out.exit_code = batch_exit ? batch_exit : worst_exit;
    if (t_start >= 0) out.start_time = format_time(t_start);
    long long fin = std::max(t_end, job_end_time);
    if (fin >= 0) out.end_time = format_time(fin);
    if (t_start >= 0 && fin >= t_start) out.elapsed_s = fin - t_start;
    add_usage(r, {end_gpus, node_cpus, batch_elapsed, batch_gpus, cpu_s, t_start, srun_steps > 0});
    return r;
}

std::string decision_to_link(const JobReport& r) {
    if (r.submission || !r.prediction || r.prediction_origin != "job_submit") return {};
    return r.prediction->decision_id;
}

}  // namespace aif::collect

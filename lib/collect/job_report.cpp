// SPDX-License-Identifier: GPL-2.0-or-later
// Merging a job's records into one report. GPU-hours follow the rule in store.hpp: srun steps
// are summed; the batch step counts only when the job ran no other step.
#include "collect/job_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>

#include "collect/validate.hpp"
#include "common/text.hpp"
#include "record/prediction.hpp"

namespace aif::collect {
namespace {

void set(json_t* o, const char* k, json_t* v) {
    if (v) json_object_set_new(o, k, v);
}
void copy_if(json_t* dst, const json_t* src, const char* k) {
    if (const json_t* v = json_object_get(src, k)) json_object_set(dst, k, const_cast<json_t*>(v));
}
std::string str(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}
double num(const json_t* o, const char* k, double dflt = NAN) {
    const json_t* v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : dflt;
}
long long time_of(const json_t* o, const char* k) {
    auto t = parse_time(str(o, k));
    return t ? *t : -1;
}
double round3(double v) { return std::round(v * 1000) / 1000; }

// The prediction's typed fields, for the report's readers (numbers as JSON reals).
json_t* normalise_prediction(const json_t* raw) {
    const record::Prediction p = record::Prediction::from_json(raw);
    json_t* out = json_object();
    auto real = [&](const char* k, const std::optional<double>& v) {
        if (v) set(out, k, json_real(*v));
    };
    auto text = [&](const char* k, const std::string& v) {
        if (!v.empty()) set(out, k, json_string(v.c_str()));
    };
    real("gib_per_gpu", p.gib_per_gpu);
    real("capacity_gib", p.capacity_gib);
    if (p.gpus) set(out, "gpus", json_real(*p.gpus));
    real("tokens_per_s", p.tokens_per_s);
    real("train_hours", p.train_hours);
    real("gpu_hours", p.gpu_hours);
    text("verdict", p.verdict);
    text("dominant", p.dominant);
    text("layout", p.layout);
    if (!p.components.empty()) {
        json_t* comps = json_object();
        for (const auto& [name, gib] : p.components) set(comps, name.c_str(), json_real(gib));
        set(out, "components", comps);
    }
    return out;
}

}  // namespace

json::Ptr build_job_report(const std::vector<std::string>& bodies, const std::string& site, const std::string& cluster,
                           long long job_id) {
    // Keep the highest version per record id.
    std::map<std::string, json::Ptr> recs;
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
        if (!json_is_integer(jid) || json_integer_value(jid) != job_id) continue;
        std::string id = str(d.get(), "record_id");
        long long v = static_cast<long long>(num(d.get(), "record_version", 1));
        std::pair<long long, std::string> key{v, str(d.get(), "created")};
        if (recs.count(id) && ver[id] >= key) continue;
        ver[id] = key;
        recs[id] = std::move(d);
    }

    json::Ptr rep(json_object());
    json_t* r = rep.get();
    set(r, "site", json_string(site.c_str()));
    set(r, "cluster", json_string(cluster.c_str()));
    set(r, "job_id", json_integer(job_id));
    set(r, "records", json_integer(static_cast<json_int_t>(recs.size())));
    json_t* steps = json_array();
    set(r, "steps", steps);
    json_t* submission = nullptr;
    json_t* nodes = json_object();
    double srun_gs = 0, batch_gs = 0, peak_gpu = -1, peak_rss = -1;
    int srun_steps = 0;
    long long t_start = -1, t_end = -1, job_end_time = -1;
    std::string state_failed, batch_state, any_completed;
    const json_t* batch_exit = nullptr;
    const json_t* worst_exit = nullptr;

    for (auto& [id, p] : recs) {
        const json_t* d = p.get();
        std::string kind = str(d, "kind");
        for (const char* k : {"account", "user", "partition", "gpu_model"})
            if (!json_object_get(r, k)) copy_if(r, d, k);
        for (const char* k : {"training", "binding"})
            if (!json_object_get(r, k)) copy_if(r, d, k);
        if (!json_object_get(r, "prediction") && json_is_object(json_object_get(d, "prediction"))) {
            json_t* pr = normalise_prediction(json_object_get(d, "prediction"));
            set(pr, "raw", json_deep_copy(json_object_get(d, "prediction")));  // as the producer sent it
            set(r, "prediction", pr);
        }
        if (kind == "submit_decision") {
            if (!submission) submission = json_object();
            for (const char* k : {"decision", "reason", "submit_time", "created", "verdict"}) copy_if(submission, d, k);
            continue;
        }
        if (kind == "job_end") {
            long long e = time_of(d, "end_time");
            job_end_time = std::max(job_end_time, e);
            copy_if(r, d, "nodes");
            if (!str(d, "node").empty()) set(nodes, str(d, "node").c_str(), json_true());
            continue;
        }
        // step_end
        json_t* s = json_object();
        for (const char* k : {"step_id", "node", "start_time", "end_time", "gpus", "tasks", "cpus", "cpu_seconds",
                              "gpu_seconds", "exit_code", "exit_signal", "state"})
            copy_if(s, d, k);
        if (!json_object_get(r, "nodes")) copy_if(r, d, "nodes");
        long long st = time_of(d, "start_time"), en = time_of(d, "end_time");
        double gs = num(d, "gpu_seconds", 0), g = num(d, "gpus", 0);
        double elapsed = g > 0 && gs > 0 ? gs / g : (st >= 0 && en >= st ? static_cast<double>(en - st) : NAN);
        if (std::isfinite(elapsed)) set(s, "elapsed_s", json_real(round3(elapsed)));
        if (const json_t* obs = json_object_get(d, "observed")) {
            copy_if(s, obs, "max_rss_bytes");
            copy_if(s, obs, "gpu_mem_peak_bytes");
            peak_gpu = std::max(peak_gpu, num(obs, "gpu_mem_peak_bytes", -1));
            peak_rss = std::max(peak_rss, num(obs, "max_rss_bytes", -1));
        }
        std::string step = str(d, "step_id");
        if (step == "batch") {
            batch_gs += gs;
            batch_state = str(d, "state");
            batch_exit = json_object_get(d, "exit_code");
        } else {
            srun_gs += gs;
            ++srun_steps;
        }
        std::string state = str(d, "state");
        if (!state.empty() && state != "COMPLETED") state_failed = state;
        if (state == "COMPLETED") any_completed = state;
        const json_t* ec = json_object_get(d, "exit_code");
        if (json_is_integer(ec) && (!worst_exit || json_integer_value(ec) > json_integer_value(worst_exit))) worst_exit = ec;
        if (st >= 0 && (t_start < 0 || st < t_start)) t_start = st;
        t_end = std::max(t_end, en);
        if (!str(d, "node").empty()) set(nodes, str(d, "node").c_str(), json_true());
        json_array_append_new(steps, s);
    }
    // Steps in time order, then by step id and node, so the timeline reads left to right.
    std::vector<json_t*> sorted;
    for (std::size_t i = 0; i < json_array_size(steps); ++i) sorted.push_back(json_incref(json_array_get(steps, i)));
    std::sort(sorted.begin(), sorted.end(), [](json_t* a, json_t* b) {
        auto ka = std::make_tuple(str(a, "start_time"), str(a, "step_id"), str(a, "node"));
        auto kb = std::make_tuple(str(b, "start_time"), str(b, "step_id"), str(b, "node"));
        return ka < kb;
    });
    json_array_clear(steps);
    for (json_t* s : sorted) json_array_append_new(steps, s);

    if (submission) set(r, "submission", submission);
    double gpu_s = srun_steps > 0 ? srun_gs : batch_gs;
    set(r, "gpu_seconds", json_real(round3(gpu_s)));
    set(r, "gpu_hours", json_real(std::round(gpu_s / 3600.0 * 1e4) / 1e4));
    json_t* node_list = json_array();
    const char* nk;
    json_t* nv;
    json_object_foreach(nodes, nk, nv) json_array_append_new(node_list, json_string(nk));
    json_decref(nodes);
    set(r, "node_list", node_list);
    if (peak_gpu >= 0 || peak_rss >= 0) {
        json_t* obs = json_object();
        if (peak_gpu >= 0) set(obs, "gpu_mem_peak_gib", json_real(round3(peak_gpu / GiB)));
        if (peak_rss >= 0) set(obs, "max_rss_gib", json_real(round3(peak_rss / GiB)));
        set(r, "observed", obs);
    }
    json_t* out = json_object();
    std::string state = !state_failed.empty() ? state_failed
                        : !batch_state.empty() ? batch_state
                        : !any_completed.empty() ? any_completed
                        : job_end_time >= 0 ? "ENDED" : (json_array_size(steps) ? "RUNNING" : "");
    if (!state.empty()) set(out, "state", json_string(state.c_str()));
    if (batch_exit) set(out, "exit_code", json_incref(const_cast<json_t*>(batch_exit)));
    else if (worst_exit) set(out, "exit_code", json_incref(const_cast<json_t*>(worst_exit)));
    if (t_start >= 0) set(out, "start_time", json_string(format_time(t_start).c_str()));
    long long fin = std::max(t_end, job_end_time);
    if (fin >= 0) set(out, "end_time", json_string(format_time(fin).c_str()));
    if (t_start >= 0 && fin >= t_start) set(out, "elapsed_s", json_integer(fin - t_start));
    set(r, "outcome", out);
    return rep;
}

}  // namespace aif::collect

namespace aif::collect {
namespace {

std::string gib_text(double v) { return std::isfinite(v) ? fmt_gib_value(v, v < 1 ? 2 : 1) + " GiB" : "?"; }

std::string dur(double s) {
    if (!std::isfinite(s)) return "?";
    char b[32];
    if (s < 120) std::snprintf(b, sizeof b, "%.1f s", s);
    else if (s < 7200) std::snprintf(b, sizeof b, "%.1f min", s / 60);
    else std::snprintf(b, sizeof b, "%.1f h", s / 3600);
    return b;
}

std::string val(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) return std::to_string(json_integer_value(v));
    if (json_is_real(v)) return fmt_fixed(json_real_value(v), 2);
    return "";
}

std::string kv_line(const json_t* o) {
    std::string s;
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(o), k, v) {
        if (!s.empty()) s += ", ";
        s += std::string(k) + "=" + val(o, k);
    }
    return s;
}

// Wraps "label: text" at 80 columns with a hanging indent.
std::string field(const std::string& label, const std::string& text) {
    std::string out = label + ":";
    out.resize(std::max<std::size_t>(out.size() + 1, 14), ' ');
    std::size_t col = out.size();
    bool first = true;
    for (const auto& word : split(text, ' ')) {
        if (!first && col + 1 + word.size() > 80) {
            out += "\n" + std::string(14, ' ');
            col = 14;
            first = true;
        }
        if (!first) {
            out += ' ';
            ++col;
        }
        out += word;
        col += word.size();
        first = false;
    }
    return out + "\n";
}

}  // namespace

std::string render_unchecked(const json_t* r);

std::string terminal_safe(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0 &&
            static_cast<unsigned char>(s[i + 1]) >= 0x80) {
            out += '?';  // U+0080..U+009F: C1 controls (CSI is U+009B)
            ++i;
        } else {
            out += (c < 0x20 && c != '\n') || c == 0x7F ? '?' : static_cast<char>(c);
        }
    }
    return out;
}

// Record text reaches a terminal: no escape sequences, carriage returns or bells from it.
std::string render_text(const json_t* r) { return terminal_safe(render_unchecked(r)); }

std::string render_unchecked(const json_t* r) {
    std::string o = "Job " + val(r, "job_id") + " on " + val(r, "cluster") + " (site " + val(r, "site") + ")\n";
    if (json_integer_value(json_object_get(r, "records")) == 0) return o + "no accounting records for this job\n";
    if (!val(r, "account").empty()) o += field("Account", val(r, "account"));
    if (!val(r, "partition").empty()) o += field("Partition", val(r, "partition"));
    if (const json_t* s = json_object_get(r, "submission")) {
        std::string t = val(s, "decision");
        if (!val(s, "reason").empty()) t += ": " + val(s, "reason");
        o += field("Submission", t);
    }
    if (const json_t* t = json_object_get(r, "training")) o += field("Asked", kv_line(t));
    if (const json_t* p = json_object_get(r, "prediction")) {
        std::string t = gib_text(json_number_value(json_object_get(p, "gib_per_gpu"))) + " per GPU of " +
                        gib_text(json_number_value(json_object_get(p, "capacity_gib")));
        if (!val(p, "verdict").empty()) t += ", verdict " + val(p, "verdict");
        if (!val(p, "dominant").empty()) t += ", mostly " + val(p, "dominant");
        if (json_object_get(p, "gpu_hours")) t += ", " + val(p, "gpu_hours") + " GPU-hours";
        if (json_object_get(p, "gib_per_gpu") == nullptr && json_object_get(p, "raw")) t = kv_line(json_object_get(p, "raw"));
        o += field("Predicted", t);
    }
    if (const json_t* obs = json_object_get(r, "observed")) {
        std::string t;
        if (json_object_get(obs, "gpu_mem_peak_gib")) t = "GPU memory peak " + gib_text(json_number_value(json_object_get(obs, "gpu_mem_peak_gib")));
        if (json_object_get(obs, "max_rss_gib"))
            t += (t.empty() ? "" : ", ") + std::string("host RSS peak ") + gib_text(json_number_value(json_object_get(obs, "max_rss_gib")));
        o += field("Observed", t);
    }
    const json_t* out = json_object_get(r, "outcome");
    std::string res = val(out, "state").empty() ? "unknown" : val(out, "state");
    if (!val(out, "exit_code").empty()) res += ", exit code " + val(out, "exit_code");
    if (json_object_get(out, "elapsed_s")) res += ", " + dur(json_number_value(json_object_get(out, "elapsed_s")));
    if (!val(out, "start_time").empty()) res += ", " + val(out, "start_time") + " to " + val(out, "end_time");
    o += field("Outcome", res);
    o += field("GPU-hours", fmt_fixed(json_number_value(json_object_get(r, "gpu_hours")), 4) + " (" +
                                fmt_fixed(json_number_value(json_object_get(r, "gpu_seconds")), 1) + " GPU-seconds)");
    if (const json_t* b = json_object_get(r, "binding")) o += field("Binding", kv_line(b));
    const json_t* steps = json_object_get(r, "steps");
    if (json_array_size(steps)) {
        char line[128];
        std::snprintf(line, sizeof line, "\n%-8s %-16s %6s %11s %10s %6s %s\n", "STEP", "NODE", "GPUS", "ELAPSED",
                      "GPU-SEC", "EXIT", "STATE");
        o += line;
        for (std::size_t i = 0; i < json_array_size(steps); ++i) {
            const json_t* s = json_array_get(steps, i);
            std::snprintf(line, sizeof line, "%-8.8s %-16.16s %6s %11s %10s %6s %s\n", val(s, "step_id").c_str(),
                          val(s, "node").c_str(), val(s, "gpus").c_str(),
                          dur(json_number_value(json_object_get(s, "elapsed_s"))).c_str(),
                          json_object_get(s, "gpu_seconds") ? fmt_fixed(json_number_value(json_object_get(s, "gpu_seconds")), 1).c_str() : "",
                          val(s, "exit_code").c_str(), val(s, "state").c_str());
            o += line;
        }
    }
    return o;
}

}  // namespace aif::collect

// SPDX-License-Identifier: GPL-2.0-or-later
// The job report as plain text for a terminal (`aifactory report`).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "collect/job_report.hpp"
#include "common/text.hpp"

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

std::string int_text(const std::optional<long long>& v) { return v ? std::to_string(*v) : ""; }

// A key/value object (training, binding, a prediction as sent) on one line: "k=v, k=v".
std::string kv_line(const json_t* o) {
    std::string s;
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(o), k, v) {
        if (!s.empty()) s += ", ";
        s += std::string(k) + "=";
        if (json_is_string(v)) s += json_string_value(v);
        else if (json_is_integer(v)) s += std::to_string(json_integer_value(v));
        else if (json_is_real(v)) s += fmt_fixed(json_real_value(v), 2);
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

std::string predicted(const record::Prediction& p, const json_t* raw) {
    if (!p.gib_per_gpu && raw) return kv_line(raw);  // nothing this version reads: show it as sent
    std::string t = gib_text(p.gib_per_gpu.value_or(0)) + " per GPU";
    if (p.capacity_gib) t += " of " + gib_text(*p.capacity_gib);
    if (!p.verdict.empty()) t += ", verdict " + p.verdict;
    if (!p.dominant.empty()) t += ", mostly " + p.dominant;
    if (p.gpu_hours) t += ", " + fmt_fixed(*p.gpu_hours, 2) + " GPU-hours";
    return t;
}

// "n/a" where the records do not give a value, never 0.
std::string na(const std::optional<double>& v, int decimals, const char* unit = "") {
    return v ? fmt_fixed(*v, decimals) + unit : "n/a";
}

// GPU-hours charged and used, time, efficiency, GPU measurements, memory per GPU.
std::string usage_lines(const JobReport& r) {
    const JobUsage& u = r.usage;
    std::string charged = na(u.gpu_hours_charged, 4);
    if (u.gpus_allocated && u.charged_elapsed_s)
        charged += " (" + std::to_string(*u.gpus_allocated) + " GPUs allocated x " + dur(*u.charged_elapsed_s) + ")";
    std::string o = field("Charged", charged + "; used by steps " + fmt_fixed(r.gpu_hours, 4) + " GPU-hours");
    std::string t = "elapsed " + (u.charged_elapsed_s ? dur(*u.charged_elapsed_s) : std::string("n/a"));
    t += u.time_limit_s ? " of a " + dur(static_cast<double>(*u.time_limit_s)) + " limit" : std::string(", limit n/a");
    t += ", queue wait " + (u.queue_wait_s ? dur(static_cast<double>(*u.queue_wait_s)) : std::string("n/a"));
    o += field("Time", t);
    o += field("Efficiency", "CPU " + na(u.cpu_efficiency_pct, 1, " %") + ", memory " + na(u.mem_efficiency_pct, 1, " %") +
                                 " (largest task's peak RSS of its allocation)");
    o += field("GPU use", "utilisation " + na(u.gpu_util_mean_pct, 1, " %") + ", GPU energy " +
                              na(u.gpu_energy_kwh, 3, " kWh") + ", node energy " + na(u.node_energy_kwh, 3, " kWh"));
    const record::Prediction* p = r.prediction ? &*r.prediction : nullptr;
    std::string mem = "predicted " + (p && p->gib_per_gpu ? gib_text(*p->gib_per_gpu) : "n/a");
    if (p && p->gib_lo && p->gib_hi) mem += " (band " + gib_text(*p->gib_lo) + " to " + gib_text(*p->gib_hi) + ")";
    mem += ", measured " + (r.gpu_mem_peak_gib ? gib_text(*r.gpu_mem_peak_gib) : "n/a");
    if (u.gpu_mem_measured_over_predicted) mem += " (" + fmt_fixed(100 * *u.gpu_mem_measured_over_predicted, 0) + " % of predicted)";
    if (u.gpu_mem_vs_band) mem += ", " + *u.gpu_mem_vs_band + " the band";
    return o + field("GPU memory", mem + " per GPU");
}

// Eight-level sparkline of `v` scaled to [0, top]; '.' where a point was not read.
std::string sparkline(const std::vector<std::optional<double>>& v, double top) {
    static const char* const kLevels[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
    std::string out;
    for (const auto& x : v) {
        if (!x || !(top > 0)) {
            out += x ? kLevels[0] : ".";
            continue;
        }
        out += kLevels[std::clamp(static_cast<int>(*x / top * 7 + 0.5), 0, 7)];
    }
    return out;
}

// Per step with a GPU timeline: memory (max over its GPUs, GiB) and utilisation (%) over time.
std::string timeline_lines(const JobReport& r) {
    std::string o;
    for (const JobStep& s : r.steps) {
        if (s.gpu_timeline.empty()) continue;
        std::vector<std::optional<double>> mem, util;
        double mem_top = 0;
        for (const auto& p : s.gpu_timeline) {
            mem.push_back(p.mem_max_bytes ? std::optional<double>(static_cast<double>(*p.mem_max_bytes) / GiB) : std::nullopt);
            util.push_back(p.util_mean_pct);
            if (mem.back()) mem_top = std::max(mem_top, *mem.back());
        }
        const double span = s.gpu_timeline.back().t_s;
        o += "  step " + s.step_id.value_or("?") + " on " + s.node.value_or("?") + ", " +
             std::to_string(s.gpu_timeline.size()) + " points over " + dur(span) + ":\n";
        o += "    memory " + sparkline(mem, mem_top) + " max " + (mem_top > 0 ? gib_text(mem_top) : std::string("n/a")) + "\n";
        o += "    util   " + sparkline(util, 100) + " of 100 %\n";
    }
    return o.empty() ? o : "\nGPU timeline (memory: max over the step's GPUs; utilisation: mean)\n" + o;
}

std::string render_unchecked(const JobReport& r) {
    std::string o = "Job " + std::to_string(r.job_id) + " on " + r.cluster + " (site " + r.site + ")\n";
    if (r.records == 0) return o + "no accounting records for this job\n";
    if (!r.account.value_or("").empty()) o += field("Account", *r.account);
    if (!r.partition.value_or("").empty()) o += field("Partition", *r.partition);
    if (const auto& s = r.submission) {
        std::string t = s->decision.value_or("");
        if (!s->reason.value_or("").empty()) t += ": " + *s->reason;
        o += field("Submission", t);
    } else {
        o += field("Submission", "not recorded");
    }
    if (r.training) o += field("Asked", kv_line(r.training.get()));
    if (r.prediction) o += field("Predicted", predicted(*r.prediction, r.prediction_raw.get()));
    if (r.gpu_mem_peak_gib || r.max_rss_gib) {
        std::string t;
        if (r.gpu_mem_peak_gib) t = "GPU memory peak " + gib_text(*r.gpu_mem_peak_gib);
        if (r.max_rss_gib) t += (t.empty() ? "" : ", ") + std::string("host RSS peak ") + gib_text(*r.max_rss_gib);
        o += field("Observed", t);
    }
    const JobOutcome& out = r.outcome;
    std::string res = out.state.empty() ? "unknown" : out.state;
    if (out.exit_code) res += ", exit code " + std::to_string(*out.exit_code);
    if (out.elapsed_s) res += ", " + dur(static_cast<double>(*out.elapsed_s));
    if (!out.start_time.value_or("").empty()) res += ", " + *out.start_time + " to " + out.end_time.value_or("");
    o += field("Outcome", res);
    o += field("GPU-hours", fmt_fixed(r.gpu_hours, 4) + " (" + fmt_fixed(r.gpu_seconds, 1) + " GPU-seconds)");
    o += usage_lines(r);
    if (r.binding) o += field("Binding", kv_line(r.binding.get()));
    if (!r.steps.empty()) {
        char line[128];
        std::snprintf(line, sizeof line, "\n%-8s %-16s %6s %11s %10s %6s %s\n", "STEP", "NODE", "GPUS", "ELAPSED",
                      "GPU-SEC", "EXIT", "STATE");
        o += line;
        for (const JobStep& s : r.steps) {
            std::snprintf(line, sizeof line, "%-8.8s %-16.16s %6s %11s %10s %6s %s\n", s.step_id.value_or("").c_str(),
                          s.node.value_or("").c_str(), int_text(s.gpus).c_str(), dur(s.elapsed_s.value_or(0)).c_str(),
                          s.gpu_seconds ? fmt_fixed(s.gpu_seconds->value, 1).c_str() : "",
                          int_text(s.exit_code).c_str(), s.state.value_or("").c_str());
            o += line;
        }
    }
    return o + timeline_lines(r);
}

}  // namespace

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
std::string render_text(const JobReport& r) { return terminal_safe(render_unchecked(r)); }

}  // namespace aif::collect

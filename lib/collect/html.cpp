// SPDX-License-Identifier: GPL-2.0-or-later
// Job page and overview. Charts are drawn as inline SVG by hand: horizontal bars for memory
// (predicted components against the GPU's capacity, the band, observed peak below), GPU memory
// and utilisation over time per step, one timeline row per node for the steps, boxes for the binding. Colours have text labels too (no colour-only cues).
#include "collect/html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "collect/listings.hpp"
#include "collect/validate.hpp"
#include "common/text.hpp"

namespace aif::collect {
namespace {

const char* kPalette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac"};

std::string esc(std::string_view s) { return html_escape(s); }

std::string sval(const json_t* o, const char* k) {
    const json_t* v = json_object_get(o, k);
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) return std::to_string(json_integer_value(v));
    if (json_is_real(v)) return fmt_fixed(json_real_value(v), 2);
    if (json_is_true(v)) return "true";
    if (json_is_false(v)) return "false";
    return "";
}
std::string num(double v, int d) { return std::isfinite(v) ? fmt_fixed(v, d) : "n/a"; }
std::string px(double v) { return fmt_fixed(v, 1); }

std::string head(const std::string& title) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) +
           "</title>\n<style>\n"
           "body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1000px}"
           "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
           "th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}"
           "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}.big{font-size:1.6em;font-weight:bold}"
           ".muted{color:#666}svg text{font-family:sans-serif;font-size:12px}\n"
           "</style></head><body>\n";
}

std::string memory_chart(const JobReport& r) {
    const record::Prediction none;
    const record::Prediction& pred = r.prediction ? *r.prediction : none;
    double total = pred.gib_per_gpu.value_or(NAN), cap = pred.capacity_gib.value_or(NAN),
           peak = r.gpu_mem_peak_gib.value_or(NAN);
    if (!std::isfinite(total) && !std::isfinite(peak) && !std::isfinite(cap))
        return "<p class=\"muted\">No prediction and no observed GPU memory for this job.</p>\n";
    double scale_max = 1;
    for (double v : {total, cap, peak})
        if (std::isfinite(v)) scale_max = std::max(scale_max, v);
    scale_max *= 1.08;
    const double x0 = 150, w = 460;
    auto X = [&](double gib) { return x0 + w * gib / scale_max; };
    std::string s = "<svg id=\"memory-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"150\" "
                    "role=\"img\" aria-label=\"GPU memory per GPU, GiB\">\n";
    s += "<text x=\"0\" y=\"34\">predicted per GPU</text>\n";
    if (std::isfinite(total)) {
        double at = 0;
        int i = 0;
        std::string legend;
        if (!pred.components.empty()) {
            for (const auto& [name, g] : pred.components) {
                if (!(g > 0)) continue;
                const char* col = kPalette[i++ % 8];
                s += "<rect x=\"" + px(X(at)) + "\" y=\"20\" width=\"" + px(X(at + g) - X(at)) +
                     "\" height=\"22\" fill=\"" + col + "\"><title>" + esc(name) + ": " + num(g, 1) + " GiB</title></rect>\n";
                legend += "<tspan fill=\"" + std::string(col) + "\">&#9632;</tspan> " + esc(name) + " " + num(g, 1) + "  ";
                at += g;
            }
            s += "<text x=\"0\" y=\"140\">" + legend + "</text>\n";
        }
        if (at < total)  // remainder (or the whole bar when components are not known)
            s += "<rect x=\"" + px(X(at)) + "\" y=\"20\" width=\"" + px(X(total) - X(at)) +
                 "\" height=\"22\" fill=\"" + (at > 0 ? "#cccccc" : kPalette[0]) + "\"><title>" +
                 (at > 0 ? "other" : "predicted total") + "</title></rect>\n";
        s += "<text x=\"" + px(X(total) + 4) + "\" y=\"36\">" + num(total, 1) + " GiB</text>\n";
        if (pred.gib_lo && pred.gib_hi && *pred.gib_hi >= *pred.gib_lo) {  // the band as an error bar
            const std::string a = px(X(*pred.gib_lo)), b = px(X(*pred.gib_hi));
            s += "<path class=\"band\" d=\"M" + a + " 44L" + a + " 52M" + a + " 48L" + b + " 48M" + b + " 44L" + b +
                 " 52\" stroke=\"#222\" stroke-width=\"1.5\" fill=\"none\"><title>band " + num(*pred.gib_lo, 1) + " to " +
                 num(*pred.gib_hi, 1) + " GiB</title></path>\n";
        }
    } else {
        s += "<text x=\"" + px(x0) + "\" y=\"36\" class=\"muted\">no prediction</text>\n";
    }
    s += "<text x=\"0\" y=\"74\">observed peak</text>\n";
    if (std::isfinite(peak)) {
        s += "<rect x=\"" + px(x0) + "\" y=\"60\" width=\"" + px(X(peak) - x0) + "\" height=\"20\" fill=\"#555\"/>\n";
        s += "<text x=\"" + px(X(peak) + 4) + "\" y=\"75\">" + num(peak, 1) + " GiB</text>\n";
    } else {
        s += "<text x=\"" + px(x0) + "\" y=\"75\" fill=\"#666\">not measured</text>\n";
    }
    if (std::isfinite(cap)) {
        s += "<line x1=\"" + px(X(cap)) + "\" y1=\"10\" x2=\"" + px(X(cap)) +
             "\" y2=\"92\" stroke=\"#c00\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\n";
        s += "<text x=\"" + px(std::max(x0, X(cap) - 150)) + "\" y=\"108\" fill=\"#c00\">capacity " + num(cap, 1) +
             " GiB per GPU</text>\n";
    }
    s += "<line x1=\"" + px(x0) + "\" y1=\"92\" x2=\"" + px(x0 + w) + "\" y2=\"92\" stroke=\"#999\"/>\n";
    s += "<text x=\"" + px(x0) + "\" y=\"124\" fill=\"#666\">0</text><text x=\"" + px(x0 + w - 60) +
         "\" y=\"124\" fill=\"#666\">" + num(scale_max, 0) + " GiB</text>\n";
    return s + "</svg>\n";
}

std::string timeline(const std::vector<JobStep>& steps) {
    std::size_t n = steps.size();
    if (!n) return "<p class=\"muted\">No steps recorded.</p>\n";
    std::vector<std::string> nodes;
    long long t0 = -1, t1 = -1;
    for (std::size_t i = 0; i < n; ++i) {
        const JobStep& s = steps[i];
        std::string node = s.node.value_or("");
        if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) nodes.push_back(node);
        auto a = parse_time(s.start_time.value_or("")), b = parse_time(s.end_time.value_or(""));
        if (a && (t0 < 0 || *a < t0)) t0 = *a;
        if (b && *b > t1) t1 = *b;
    }
    std::sort(nodes.begin(), nodes.end());
    double span = std::max(1.0, static_cast<double>(t1 - t0));
    const double x0 = 150, w = 480, row = 26;
    double h = 40 + row * static_cast<double>(nodes.size());
    std::string s = "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"" + px(h) +
                    "\" role=\"img\" aria-label=\"steps per node over time\">\n";
    for (std::size_t r = 0; r < nodes.size(); ++r)
        s += "<text x=\"0\" y=\"" + px(20 + row * static_cast<double>(r) + 16) + "\">" + esc(nodes[r]) + "</text>\n";
    for (std::size_t i = 0; i < n; ++i) {
        const JobStep& st = steps[i];
        auto a = parse_time(st.start_time.value_or("")), b = parse_time(st.end_time.value_or(""));
        if (!a || !b) continue;
        std::size_t r = static_cast<std::size_t>(std::find(nodes.begin(), nodes.end(), st.node.value_or("")) - nodes.begin());
        double xa = x0 + w * static_cast<double>(*a - t0) / span, xb = x0 + w * static_cast<double>(*b - t0) / span;
        std::string step = st.step_id.value_or("");
        const char* col = step == "batch" ? "#bab0ac" : kPalette[(i % 7)];
        double y = 20 + row * static_cast<double>(r) + (step == "batch" ? 14 : 2);
        double hh = step == "batch" ? 8 : 12;
        s += "<rect class=\"step\" x=\"" + px(xa) + "\" y=\"" + px(y) + "\" width=\"" + px(std::max(3.0, xb - xa)) +
             "\" height=\"" + px(hh) + "\" fill=\"" + col + "\"><title>step " + esc(step) + " on " +
             esc(st.node.value_or("")) + ": " + esc(st.elapsed_s ? fmt_fixed(*st.elapsed_s, 2) : "") + " s</title></rect>\n";
        if (step != "batch")  // srun steps are labelled inside their bar; the batch step is the thin grey one
            s += "<text x=\"" + px(xa + 3) + "\" y=\"" + px(y + 10) + "\" font-size=\"10\" fill=\"#fff\">" +
                 esc(step) + "</text>\n";
    }
    double ya = 20 + row * static_cast<double>(nodes.size()) + 4;
    s += "<line x1=\"" + px(x0) + "\" y1=\"" + px(ya) + "\" x2=\"" + px(x0 + w) + "\" y2=\"" + px(ya) +
         "\" stroke=\"#999\"/>\n";
    s += "<text x=\"" + px(x0) + "\" y=\"" + px(ya + 14) + "\" fill=\"#666\">" + esc(format_time(t0)) + "</text>\n";
    s += "<text x=\"" + px(x0 + w - 60) + "\" y=\"" + px(ya + 14) + "\" fill=\"#666\">+" +
         std::to_string(t1 - t0) + " s</text>\n";
    s += "<text x=\"" + px(x0 + 170) + "\" y=\"" + px(ya + 14) + "\" fill=\"#666\">thin grey bar: batch step</text>\n";
    return s + "</svg>\n";
}

// One step's GPU timeline: memory (max over its GPUs, left axis, GiB) as a filled line,
// utilisation (mean, right axis, %) as an orange line, and the prediction's value and band
// for memory per GPU as a dashed line over a shaded strip. Points not read are gaps.
std::string gpu_timeline_chart(const JobStep& st, const record::Prediction& pred, std::size_t index) {
    const auto& tl = st.gpu_timeline;
    double mem_top = 1, t_end = tl.back().t_s;
    for (const auto& p : tl)
        if (p.mem_max_bytes) mem_top = std::max(mem_top, static_cast<double>(*p.mem_max_bytes) / GiB);
    for (const auto& v : {pred.gib_per_gpu, pred.gib_hi})
        if (v && std::isfinite(*v)) mem_top = std::max(mem_top, *v);
    mem_top *= 1.1;
    const double x0 = 60, w = 540, y0 = 20, h = 120;
    // Each point covers [t_s, next t_s); the last one is drawn one step wide.
    const double step_w = tl.size() > 1 ? t_end / static_cast<double>(tl.size() - 1) : 1;
    const double span = std::max(1e-9, t_end + step_w);
    auto X = [&](double t) { return x0 + w * t / span; };
    auto Ym = [&](double gib) { return y0 + h - h * gib / mem_top; };
    auto Yu = [&](double pct) { return y0 + h - h * pct / 100; };
    const std::string label = "step " + st.step_id.value_or("?") + " on " + st.node.value_or("?");
    std::string s = "<svg class=\"gpu-timeline\" id=\"gpu-timeline-" + std::to_string(index) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"190\" role=\"img\" aria-label=\"" +
                    esc("GPU memory and utilisation over time, " + label) + "\">\n";
    if (pred.gib_lo && pred.gib_hi && *pred.gib_hi >= *pred.gib_lo)
        s += "<rect class=\"pred-band\" x=\"" + px(x0) + "\" y=\"" + px(Ym(*pred.gib_hi)) + "\" width=\"" + px(w) +
             "\" height=\"" + px(Ym(*pred.gib_lo) - Ym(*pred.gib_hi)) + "\" fill=\"#4e79a7\" fill-opacity=\"0.15\">"
             "<title>predicted band " + num(*pred.gib_lo, 1) + " to " + num(*pred.gib_hi, 1) + " GiB per GPU</title></rect>\n";
    if (pred.gib_per_gpu)
        s += "<line class=\"pred-line\" x1=\"" + px(x0) + "\" y1=\"" + px(Ym(*pred.gib_per_gpu)) + "\" x2=\"" + px(x0 + w) +
             "\" y2=\"" + px(Ym(*pred.gib_per_gpu)) + "\" stroke=\"#4e79a7\" stroke-width=\"2\" stroke-dasharray=\"6,3\"/>\n";
    std::string mem_path, util_path;
    bool mem_open = false, util_open = false;
    for (std::size_t i = 0; i < tl.size(); ++i) {
        const auto& p = tl[i];
        const double xa = X(p.t_s), xb = X(i + 1 < tl.size() ? tl[i + 1].t_s : p.t_s + step_w);
        if (p.mem_max_bytes) {
            const double y = Ym(static_cast<double>(*p.mem_max_bytes) / GiB);
            mem_path += (mem_open ? "L" : "M") + px(xa) + " " + px(y) + "L" + px(xb) + " " + px(y);
        }
        mem_open = p.mem_max_bytes.has_value();
        if (p.util_mean_pct) {
            const double y = Yu(*p.util_mean_pct);
            util_path += (util_open ? "L" : "M") + px(xa) + " " + px(y) + "L" + px(xb) + " " + px(y);
        }
        util_open = p.util_mean_pct.has_value();
    }
    if (!mem_path.empty())
        s += "<path class=\"mem-line\" d=\"" + mem_path + "\" fill=\"none\" stroke=\"#333\" stroke-width=\"2\"/>\n";
    if (!util_path.empty())
        s += "<path class=\"util-line\" d=\"" + util_path + "\" fill=\"none\" stroke=\"#f28e2b\" stroke-width=\"2\"/>\n";
    // Axes: GiB on the left, % on the right, seconds below.
    s += "<line x1=\"" + px(x0) + "\" y1=\"" + px(y0 + h) + "\" x2=\"" + px(x0 + w) + "\" y2=\"" + px(y0 + h) +
         "\" stroke=\"#999\"/><line x1=\"" + px(x0) + "\" y1=\"" + px(y0) + "\" x2=\"" + px(x0) + "\" y2=\"" + px(y0 + h) +
         "\" stroke=\"#999\"/>\n";
    s += "<text x=\"0\" y=\"" + px(y0 + 4) + "\" fill=\"#333\">" + num(mem_top, 0) + " GiB</text>";
    s += "<text x=\"0\" y=\"" + px(y0 + h) + "\" fill=\"#333\">0 GiB</text>";
    s += "<text x=\"" + px(x0 + w + 6) + "\" y=\"" + px(y0 + 4) + "\" fill=\"#c56a00\">100 %</text>";
    s += "<text x=\"" + px(x0 + w + 6) + "\" y=\"" + px(y0 + h) + "\" fill=\"#c56a00\">0 %</text>\n";
    s += "<text x=\"" + px(x0) + "\" y=\"" + px(y0 + h + 16) + "\" fill=\"#666\">0 s</text><text x=\"" + px(x0 + w - 60) +
         "\" y=\"" + px(y0 + h + 16) + "\" fill=\"#666\">+" + num(span, 1) + " s</text>\n";
    s += "<text x=\"" + px(x0) + "\" y=\"" + px(y0 + h + 40) + "\">" + esc(label) +
         ": <tspan fill=\"#333\">&#9644; memory, max over GPUs</tspan> <tspan fill=\"#c56a00\">&#9644; utilisation, mean</tspan>"
         " <tspan fill=\"#4e79a7\">- - predicted, band shaded</tspan></text>\n";
    return s + "</svg>\n";
}

std::string gpu_timelines(const JobReport& r) {
    const record::Prediction none;
    const record::Prediction& pred = r.prediction ? *r.prediction : none;
    std::string s;
    std::size_t shown = 0;
    for (const JobStep& st : r.steps)
        if (!st.gpu_timeline.empty() && shown < 16) s += gpu_timeline_chart(st, pred, shown++);
    return shown ? s : "<p class=\"muted\" id=\"no-gpu-timeline\">No GPU timeline recorded (n/a).</p>\n";
}

std::string binding_map(const json_t* b) {
    if (!json_is_object(b) || !json_object_size(b)) return "<p class=\"muted\">No binding recorded.</p>\n";
    std::size_t n = json_object_size(b);
    std::string s = "<svg id=\"binding-map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"" +
                    std::to_string(10 + 26 * n) + "\" role=\"img\" aria-label=\"binding\">\n";
    const char* k;
    json_t* v;
    std::size_t i = 0;
    json_object_foreach(const_cast<json_t*>(b), k, v) {
        double y = 6 + 26 * static_cast<double>(i);
        s += "<rect x=\"0\" y=\"" + px(y) + "\" width=\"180\" height=\"20\" fill=\"#e8eef6\" stroke=\"#4e79a7\"/>";
        s += "<text x=\"6\" y=\"" + px(y + 14) + "\">" + esc(k) + "</text>";
        s += "<line x1=\"180\" y1=\"" + px(y + 10) + "\" x2=\"210\" y2=\"" + px(y + 10) + "\" stroke=\"#4e79a7\"/>";
        s += "<rect x=\"210\" y=\"" + px(y) + "\" width=\"460\" height=\"20\" fill=\"#f6f6f6\" stroke=\"#999\"/>";
        s += "<text x=\"216\" y=\"" + px(y + 14) + "\">" + esc(sval(b, k).substr(0, 70)) + "</text>\n";
        ++i;
    }
    return s + "</svg>\n";
}

std::string kv_table(const json_t* o, const char* id) {
    if (!json_is_object(o) || !json_object_size(o)) return "<p class=\"muted\">Not recorded.</p>\n";
    std::string s = std::string("<table id=\"") + id + "\">";
    const char* k;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(o), k, v) {
        if (json_is_object(v)) continue;
        s += "<tr><th>" + esc(k) + "</th><td>" + esc(sval(o, k)) + "</td></tr>";
    }
    return s + "</table>\n";
}

std::string row(const std::string& label, const std::string& value, const char* id = nullptr) {
    return "<tr><th>" + esc(label) + "</th><td" + (id ? std::string(" class=\"n\" id=\"") + id + "\"" : "") + ">" +
           esc(value) + "</td></tr>\n";
}

}  // namespace

std::string page_head(const std::string& title) { return head(title); }

std::string job_page(const JobReport& r) {
    std::string title = "Job " + std::to_string(r.job_id) + " on " + r.cluster + " (" + r.site + ")";
    const JobOutcome& out = r.outcome;
    const record::Prediction none;
    const record::Prediction& pred = r.prediction ? *r.prediction : none;
    auto text = [](const std::optional<std::string>& v) { return v.value_or(""); };
    auto integer = [](const std::optional<long long>& v) { return v ? std::to_string(*v) : std::string(); };
    auto number = [](const auto& v, int decimals) { return num(v ? static_cast<double>(*v) : NAN, decimals); };
    std::string s = head(title) + "<h1>" + esc(title) + "</h1>\n";
    s += "<p>GPU-hours: <span class=\"big\" id=\"gpu-hours\">" + num(r.gpu_hours, 4) + "</span></p>\n";
    s += "<table id=\"summary\">\n";
    s += row("account", text(r.account));
    s += row("user (pseudonym)", text(r.user));
    s += row("partition", text(r.partition));
    s += row("GPU model", text(r.gpu_model));
    s += row("nodes", integer(r.nodes), "nodes");
    const auto& sub = r.submission;
    s += row("submission", sub ? text(sub->decision) + (text(sub->reason).empty() ? "" : ": " + text(sub->reason))
                               : "not recorded");
    s += row("verdict", pred.verdict);
    s += row("predicted GiB per GPU", number(pred.gib_per_gpu, 2), "pred-gib");
    s += row("capacity GiB per GPU", number(pred.capacity_gib, 2), "capacity-gib");
    s += row("observed GPU memory peak, GiB", number(r.gpu_mem_peak_gib, 2), "obs-peak-gib");
    s += row("predicted GPU-hours", number(pred.gpu_hours, 1), "pred-gpu-hours");
    s += row("GPU-seconds", num(r.gpu_seconds, 1), "gpu-seconds");
    s += row("state", out.state, "state");
    s += row("exit code", integer(out.exit_code), "exit-code");
    s += row("start", text(out.start_time));
    s += row("end", text(out.end_time));
    s += row("elapsed, s", integer(out.elapsed_s), "elapsed");
    s += "</table>\n";
    const JobUsage& u = r.usage;
    s += "<h2>Charged and used</h2>\n<table id=\"usage\">\n";
    s += row("GPUs allocated", number(u.gpus_allocated, 0), "gpus-allocated");
    s += row("GPU-hours charged (allocated x elapsed)", number(u.gpu_hours_charged, 4), "gpu-hours-charged");
    s += row("GPU-hours used by steps", num(r.gpu_hours, 4), "gpu-hours-used");
    s += row("elapsed (charged), s", number(u.charged_elapsed_s, 1), "charged-elapsed");
    s += row("time limit, s", number(u.time_limit_s, 0), "time-limit");
    s += row("queue wait, s", number(u.queue_wait_s, 0), "queue-wait");
    s += row("CPU efficiency, %", number(u.cpu_efficiency_pct, 1), "cpu-efficiency");
    s += row("memory efficiency, % (largest task's peak RSS of its allocation)", number(u.mem_efficiency_pct, 1),
             "mem-efficiency");
    s += row("mean GPU utilisation, %", number(u.gpu_util_mean_pct, 1), "gpu-util");
    s += row("GPU energy, kWh", number(u.gpu_energy_kwh, 3), "gpu-energy");
    s += row("node energy, kWh", number(u.node_energy_kwh, 3), "node-energy");
    s += row("measured / predicted GPU memory per GPU", number(u.gpu_mem_measured_over_predicted, 3), "mem-ratio");
    s += row("predicted band, GiB per GPU", pred.gib_lo && pred.gib_hi ? num(*pred.gib_lo, 2) + " to " + num(*pred.gib_hi, 2) : "n/a",
             "pred-band");
    s += row("measured against the band", u.gpu_mem_vs_band.value_or("n/a"), "mem-vs-band");
    s += "</table>\n";
    s += "<h2>Memory per GPU: predicted components, capacity and observed peak (GiB)</h2>\n" + memory_chart(r);
    s += "<h2>GPU memory and utilisation over time</h2>\n" + gpu_timelines(r);
    s += "<h2>Steps per node</h2>\n" + timeline(r.steps);
    s += "<table id=\"steps\"><tr><th>step</th><th>node</th><th>GPUs</th><th>tasks</th><th>elapsed, s</th>"
         "<th>GPU-seconds</th><th>CPU-seconds</th><th>peak RSS, GiB</th><th>exit</th><th>state</th></tr>\n";
    for (const JobStep& st : r.steps) {
        auto seconds = [](const std::optional<Number>& v) { return num(v ? v->value : NAN, 2); };
        s += "<tr class=\"step\" data-step=\"" + esc(text(st.step_id)) + "\" data-node=\"" + esc(text(st.node)) +
             "\"><td>" + esc(text(st.step_id)) + "</td><td>" + esc(text(st.node)) + "</td><td class=\"n\">" +
             esc(integer(st.gpus)) + "</td><td class=\"n\">" + esc(integer(st.tasks)) + "</td><td class=\"n\">" +
             number(st.elapsed_s, 2) + "</td><td class=\"n gpu-seconds\">" + seconds(st.gpu_seconds) +
             "</td><td class=\"n\">" + seconds(st.cpu_seconds) + "</td><td class=\"n\">" +
             num(st.max_rss_bytes ? static_cast<double>(*st.max_rss_bytes) / GiB : NAN, 3) + "</td><td class=\"n\">" +
             esc(integer(st.exit_code)) + "</td><td>" + esc(text(st.state)) + "</td></tr>\n";
    }
    s += "</table>\n<h2>Binding</h2>\n" + binding_map(r.binding.get());
    s += "<h2>Asked (declared training setup)</h2>\n" + kv_table(r.training.get(), "training");
    s += "<h2>Prediction as sent</h2>\n" + kv_table(r.prediction_raw.get(), "prediction-raw");
    s += "<p class=\"muted\">" + std::to_string(r.records) + " accounting records. <a href=\"/\">Overview</a></p>\n";
    return s + "</body></html>\n";
}

std::string overview_page(const std::string& viewer, const std::vector<JobSummary>& jobs,
                          const std::vector<GpuHours>& hours, const std::vector<Rejection>& rejections,
                          const std::vector<PredictionPair>& predictions) {
    std::string title = viewer == "*" ? "aifactory federation overview" : "aifactory overview: site " + viewer;
    std::string s = head(title) + "<h1>" + esc(title) + "</h1>\n";
    s += "<p><a href=\"/overview\">Federation overview per partition, account and user</a> "
         "(<a href=\"/metrics\">metrics</a>)</p>\n";
    s += "<h2>GPU-hours per site, account and month</h2>\n";
    double mx = 0;
    for (const auto& h : hours) mx = std::max(mx, h.gpu_hours);
    std::size_t shown = std::min<std::size_t>(hours.size(), 30);
    if (shown) {
        s += "<svg id=\"gpu-hours-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"" +
             std::to_string(10 + 22 * shown) + "\" role=\"img\" aria-label=\"GPU-hours\">\n";
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& h = hours[i];
            double y = 5 + 22 * static_cast<double>(i), w = mx > 0 ? 360 * h.gpu_hours / mx : 0;
            s += "<text x=\"0\" y=\"" + px(y + 13) + "\">" + esc(h.month + " " + h.site + "/" + (h.account.empty() ? "-" : h.account)).substr(0, 200) +
                 "</text><rect x=\"230\" y=\"" + px(y) + "\" width=\"" + px(std::max(1.0, w)) +
                 "\" height=\"16\" fill=\"#4e79a7\"/><text x=\"" + px(236 + w) + "\" y=\"" + px(y + 13) + "\">" +
                 num(h.gpu_hours, 2) + "</text>\n";
        }
        s += "</svg>\n";
    }
    s += "<table id=\"gpu-hours\"><tr><th>month</th><th>site</th><th>account</th><th>jobs</th><th>GPU-hours</th></tr>\n";
    for (const auto& h : hours)
        s += "<tr><td>" + esc(h.month) + "</td><td>" + esc(h.site) + "</td><td>" + esc(h.account) + "</td><td class=\"n\">" +
             std::to_string(h.jobs) + "</td><td class=\"n\">" + num(h.gpu_hours, 4) + "</td></tr>\n";
    s += "</table>\n<h2>Rejected submissions</h2>\n<table id=\"rejections\"><tr><th>site</th><th>count</th><th>reason</th></tr>\n";
    for (const auto& r : rejections)
        s += "<tr><td>" + esc(r.site) + "</td><td class=\"n\">" + std::to_string(r.count) + "</td><td>" + esc(r.reason) +
             "</td></tr>\n";
    PredictionError e = summarise(predictions);
    s += "</table>\n<h2>Prediction against observed GPU memory peak</h2>\n<p>Jobs with both: <span id=\"pred-jobs\">" +
         std::to_string(e.jobs) + "</span>; mean error <span id=\"pred-mean\">" + num(100 * e.mean_rel, 1) +
         "</span>%, mean absolute error <span id=\"pred-mae\">" + num(100 * e.mean_abs_rel, 1) + "</span>%.</p>\n";
    s += "<h2>Recent jobs</h2>\n<table id=\"jobs\"><tr><th>site</th><th>cluster</th><th>job</th><th>account</th>"
         "<th>verdict</th><th>state</th><th>last record</th><th>GPU-hours</th></tr>\n";
    for (const auto& j : jobs) {
        std::string href = "/jobs/" + j.key.site + "/" + j.key.cluster + "/" + std::to_string(j.key.job_id);
        s += "<tr><td>" + esc(j.key.site) + "</td><td>" + esc(j.key.cluster) + "</td><td><a href=\"" + esc(href) + "\">" +
             std::to_string(j.key.job_id) + "</a></td><td>" + esc(j.account) + "</td><td>" + esc(j.verdict) + "</td><td>" +
             esc(j.state) + "</td><td>" + esc(format_time(j.last_time)) + "</td><td class=\"n\">" +
             num(j.gpu_seconds / 3600, 4) + "</td></tr>\n";
    }
    return s + "</table>\n</body></html>\n";
}

}  // namespace aif::collect

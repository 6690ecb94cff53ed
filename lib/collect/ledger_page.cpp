// SPDX-License-Identifier: GPL-2.0-or-later
// The run's HTML page: totals with their basis, the cumulative FLOPs chart (inline SVG, log
// scale) with the configured thresholds as marks, and the jobs. Values from records are escaped.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "collect/html.hpp"
#include "collect/ledger.hpp"
#include "common/text.hpp"

namespace aif::collect {
namespace {

std::string g3(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}
std::string px(double v) { return fmt_fixed(v, 1); }

std::string chart(const RunLedger& l) {
    if (l.jobs.empty()) return "<p class=\"muted\">No jobs recorded for this run.</p>\n";
    std::vector<double> cum;
    double c = 0;
    for (const auto& j : l.jobs) cum.push_back(c += j.flops);
    double lo = 0, hi = 0;
    for (double v : cum)
        if (v > 0) lo = lo > 0 ? std::min(lo, v) : v, hi = std::max(hi, v);
    for (double t : l.thresholds) hi = std::max(hi, t), lo = lo > 0 ? std::min(lo, t) : t;
    if (hi <= 0) return "<p class=\"muted\">No FLOPs estimated for this run's jobs.</p>\n";
    const double e0 = std::floor(std::log10(lo)), e1 = std::max(e0 + 1, std::ceil(std::log10(hi)));
    const double x0 = 70, w = 560, y0 = 20, h = 220;
    const std::size_t n = cum.size();
    auto X = [&](std::size_t i) { return x0 + w * (n == 1 ? 0.5 : double(i) / double(n - 1)); };
    auto Y = [&](double v) { return y0 + h - h * (std::log10(std::max(v, std::pow(10.0, e0))) - e0) / (e1 - e0); };
    std::string s = "<svg id=\"run-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" height=\"280\" "
                    "role=\"img\" aria-label=\"cumulative estimated FLOPs per job\">\n";
    for (double e = e0; e <= e1; e += 1)
        s += "<line x1=\"" + px(x0) + "\" x2=\"" + px(x0 + w) + "\" y1=\"" + px(Y(std::pow(10.0, e))) + "\" y2=\"" +
             px(Y(std::pow(10.0, e))) + "\" stroke=\"#eee\"/><text x=\"4\" y=\"" + px(Y(std::pow(10.0, e)) + 4) +
             "\">1e" + std::to_string(static_cast<int>(e)) + "</text>\n";
    for (double t : l.thresholds)
        s += "<line class=\"threshold\" data-flops=\"" + g3(t) + "\" x1=\"" + px(x0) + "\" x2=\"" + px(x0 + w) +
             "\" y1=\"" + px(Y(t)) + "\" y2=\"" + px(Y(t)) + "\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/>"
             "<text x=\"" + px(x0 + w + 4) + "\" y=\"" + px(Y(t) + 4) + "\" fill=\"#c0392b\">" + g3(t) + " FLOP</text>\n";
    std::string points;
    for (std::size_t i = 0; i < n; ++i) points += px(X(i)) + "," + px(Y(cum[i])) + " ";
    s += "<polyline fill=\"none\" stroke=\"#4e79a7\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    for (std::size_t i = 0; i < n; ++i)
        s += "<circle cx=\"" + px(X(i)) + "\" cy=\"" + px(Y(cum[i])) + "\" r=\"3\" fill=\"#4e79a7\"><title>job " +
             html_escape(l.jobs[i].site) + "/" + std::to_string(l.jobs[i].job_id) + ": " + g3(cum[i]) +
             " FLOP</title></circle>\n";
    for (const auto& [t, i] : l.crossed)
        s += "<circle class=\"crossing\" cx=\"" + px(X(i)) + "\" cy=\"" + px(Y(cum[i])) +
             "\" r=\"7\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>\n";
    s += "<text x=\"" + px(x0) + "\" y=\"" + px(y0 + h + 20) + "\">jobs in order of their end, cumulative estimated FLOPs (log scale); dashed: thresholds</text>\n";
    return s + "</svg>\n";
}

std::string row(const std::string& label, const std::string& value, const char* id) {
    return "<tr><th>" + label + "</th><td id=\"" + id + "\">" + value + "</td></tr>\n";
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + html_escape(x);
    return s;
}

}  // namespace

std::string ledger_page(const RunLedger& l) {
    std::string s = page_head("run " + l.run);
    s += "<h1>Training run " + html_escape(l.run) + "</h1>\n";
    s += "<p class=\"muted\">Compute and energy ledger across sites (EU AI Act documentation aid, not legal advice: "
         "estimates, see docs/ai-act.md). <a href=\"/v1/runs/" + html_escape(l.run) + "?format=csv\">CSV</a> "
         "<a href=\"/v1/runs/" + html_escape(l.run) + "\">JSON</a></p>\n<table>\n";
    s += row("estimated FLOPs", "<span class=\"big\">" + g3(l.flops) + "</span>", "run-flops");
    s += row("basis", std::to_string(l.jobs_gpu_time) + " jobs: " + kBasisGpuTime + "; " + std::to_string(l.jobs_tokens) +
                          " jobs: tokens (reported by the job, else declared) x FLOPs per token (6N + attention); " + std::to_string(l.jobs_no_flops) + " jobs: not counted",
             "run-basis");
    s += row("GPU-hours used / charged", fmt_fixed(l.gpu_hours_used, 3) + " / " + fmt_fixed(l.gpu_hours_charged, 3), "run-gpu-hours");
    s += row("GPU energy", fmt_fixed(l.energy_j / 3.6e6, 3) + " kWh (" + std::to_string(l.jobs_energy_measured) +
                               " jobs measured, " + std::to_string(l.jobs_energy_estimated) + " estimated from TDP, " +
                               std::to_string(l.jobs_no_energy) + " unknown)",
             "run-energy");
    s += row("jobs", std::to_string(l.jobs.size()), "run-jobs");
    s += row("sites", joined(l.sites), "run-sites");
    s += row("partitions", joined(l.partitions), "run-partitions");
    s += row("accounts", joined(l.accounts), "run-accounts");
    for (double t : l.thresholds) {
        std::string what = "not reached";
        for (const auto& [at, i] : l.crossed)
            if (at == t) what = "crossed by job " + html_escape(l.jobs[i].site) + "/" + std::to_string(l.jobs[i].job_id);
        s += "<tr><th>threshold " + g3(t) + " FLOP</th><td class=\"threshold-state\">" + what + "</td></tr>\n";
    }
    s += "</table>\n<h2>Cumulative compute</h2>\n" + chart(l);
    s += "<h2>Jobs</h2>\n<table><tr><th>site</th><th>job</th><th>partition</th><th>end</th><th>GPU-h</th><th>FLOPs</th>"
         "<th>basis</th><th>energy kWh</th><th>energy basis</th></tr>\n";
    for (const auto& j : l.jobs)
        s += "<tr><td>" + html_escape(j.site) + "</td><td><a href=\"/jobs/" + html_escape(j.site) + "/" +
             html_escape(j.cluster) + "/" + std::to_string(j.job_id) + "\">" + std::to_string(j.job_id) + "</a></td><td>" +
             html_escape(j.partition) + "</td><td>" + html_escape(j.end_time.value_or("running")) + "</td><td class=\"n\">" +
             fmt_fixed(j.gpu_hours_used, 3) + "</td><td class=\"n\">" + g3(j.flops) + "</td><td>" + html_escape(j.flops_basis) +
             "</td><td class=\"n\">" + (j.energy_j ? fmt_fixed(*j.energy_j / 3.6e6, 4) : "n/a") + "</td><td>" +
             html_escape(j.energy_basis) + "</td></tr>\n";
    return s + "</table>\n</body></html>\n";
}

}  // namespace aif::collect

// SPDX-License-Identifier: GPL-2.0-or-later
#include "site/runs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "calc/check.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "record/prediction.hpp"

namespace aif::site {

std::string run_name_problem(std::string_view name) { return record::run_name_problem(name); }

std::string ledger_prediction(const calc::Estimate& e, std::string_view profile, std::string_view gpu, double tokens,
                              double tdp_w, const std::string& run) {
    record::Prediction p = calc::to_prediction(e, profile, gpu);
    if (e.flops_per_token > 0) p.flops_per_token = e.flops_per_token;
    if (tokens > 0) p.tokens = tokens;
    if (tdp_w > 0) p.tdp_w = tdp_w;
    p.run = run;
    return p.encode();
}

std::string fmt_flop(double flops) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2g", flops);
    std::string s = b;
    const auto e = s.find('e');
    if (e == std::string::npos) return s;
    std::string mant = s.substr(0, e), exp = s.substr(e + 1);
    std::string sign;
    if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) sign = exp[0] == '-' ? "-" : "", exp.erase(0, 1);
    exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));
    return mant + "e" + sign + exp;
}

namespace {

double flop_value(const std::string& text, const std::string& where) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(v) || v < 0)
        throw InputError(where + ": '" + printable(text) + "' is not a FLOP count");
    return v;
}

}  // namespace

RunTotals parse_run_summary(std::string_view text, const std::string& origin) {
    if (text.size() > kMaxRunSummaryBytes) throw InputError(origin + ": larger than 16 MiB");
    RunTotals t;
    int n = 0;
    bool header = false;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) nl = text.size();
        const std::string_view line = trim(text.substr(at, nl - at));
        at = nl + 1;
        const std::string where = origin + " line " + std::to_string(++n);
        if (line.empty() || line[0] == '#') continue;
        const std::vector<std::string> w = split(line, ' ');
        if (!header) {
            if (w.size() != 1 || w[0] != "aifactory.runs/1")
                throw InputError(where + ": expected 'aifactory.runs/1' (not a run summary)");
            header = true;
        } else if (w[0] == "as_of" && w.size() == 2) {
            t.as_of = w[1];
        } else if (w[0] == "threshold" && w.size() == 2) {
            t.thresholds.push_back(flop_value(w[1], where));
        } else if (w[0] == "run" && w.size() == 3) {
            if (!record::is_run_name(w[1])) throw InputError(where + ": '" + printable(w[1]) + "' is not a run name");
            t.flops[w[1]] = flop_value(w[2], where);
        } else {
            throw InputError(where + ": expected 'as_of TIME', 'threshold FLOP' or 'run NAME FLOP'");
        }
    }
    if (!header) throw InputError(origin + ": empty (no 'aifactory.runs/1' line)");
    std::sort(t.thresholds.begin(), t.thresholds.end());
    return t;
}

std::string threshold_text(const RunTotals& totals, const std::string& run, double adds) {
    if (adds <= 0 || run.empty()) return {};
    const auto it = totals.flops.find(run);
    const double so_far = it == totals.flops.end() ? 0 : it->second;
    const double* crossed = nullptr;
    for (const double& th : totals.thresholds)
        if (so_far < th && so_far + adds >= th) crossed = &th;  // ascending: the highest one wins
    if (crossed == nullptr) return {};
    return "run " + run + ": " + fmt_flop(so_far) + " FLOP so far" +
           (totals.as_of.empty() ? "" : " (as of " + totals.as_of + ")") + "; this job adds ~" + fmt_flop(adds) +
           " -> crosses " + fmt_flop(*crossed);
}

}  // namespace aif::site

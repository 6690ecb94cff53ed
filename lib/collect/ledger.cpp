// SPDX-License-Identifier: GPL-2.0-or-later
// The run ledger's figures and their JSON, CSV, text and summary-file forms (the page is in
// ledger_page.cpp). How each figure is obtained: docs/ai-act.md.
#include "collect/ledger.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <tuple>

#include "collect/overview.hpp"
#include "common/text.hpp"

namespace aif::collect {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

std::string g6(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}
// Full precision: the CSV and summary file must add up to what the JSON says.
std::string g17(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

// GPU energy of the steps GPU-hours count (store.hpp's rule), joules; nullopt when none measured.
std::optional<double> measured_energy_j(const JobReport& r) {
    bool srun = false;
    for (const JobStep& s : r.steps) srun = srun || (s.step_id && *s.step_id != "batch");
    double j = 0;
    bool any = false;
    for (const JobStep& s : r.steps) {
        if ((s.step_id && *s.step_id == "batch") == srun) continue;
        if (s.gpu_energy_j) j += *s.gpu_energy_j, any = true;
    }
    return any ? std::optional<double>(j) : std::nullopt;
}

RunJob job_of(const JobReport& r) {
    RunJob j;
    j.site = r.site, j.cluster = r.cluster, j.job_id = r.job_id;
    j.partition = r.partition.value_or(""), j.account = r.account.value_or("");
    j.start_time = r.outcome.start_time, j.end_time = r.outcome.end_time;
    j.gpu_hours_used = r.gpu_seconds / 3600.0;
    j.gpu_hours_charged = r.usage.gpu_hours_charged;
    const record::Prediction& p = *r.prediction;
    if (p.flops_per_token && p.tokens_per_s && p.gpus && *p.gpus > 0 && r.gpu_seconds > 0)
        j.flops_gpu_time = r.gpu_seconds * *p.tokens_per_s * *p.flops_per_token / *p.gpus;
    std::optional<long long> reported;
    for (const JobStep& s : r.steps)
        if (s.tokens_reported) reported = std::max(reported.value_or(0), *s.tokens_reported);
    if (reported) j.tokens = static_cast<double>(*reported), j.tokens_basis = kBasisTokensReported;
    else if (p.tokens && *p.tokens > 0) j.tokens = p.tokens, j.tokens_basis = kBasisTokens;
    if (p.flops_per_token && j.tokens) j.flops_tokens = *j.tokens * *p.flops_per_token;
    if (j.flops_gpu_time) j.flops = *j.flops_gpu_time, j.flops_basis = kBasisGpuTime;
    else if (j.flops_tokens) j.flops = *j.flops_tokens, j.flops_basis = j.tokens_basis;
    if (auto e = measured_energy_j(r)) {
        j.energy_j = e, j.energy_basis = kEnergyMeasured;
    } else if (p.tdp_w && r.gpu_seconds > 0) {
        const bool util = r.usage.gpu_util_mean_pct.has_value();
        j.energy_j = r.gpu_seconds * *p.tdp_w * (util ? *r.usage.gpu_util_mean_pct / 100.0 : 1.0);
        j.energy_basis = util ? kEnergyTdpUtil : kEnergyTdp;
    }
    return j;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
    if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

void set_opt(json_t* o, const char* k, const std::optional<double>& v) {
    if (v) json_object_set_new(o, k, json_real(*v));
}
void set_opt(json_t* o, const char* k, const std::optional<std::string>& v) {
    if (v) json_object_set_new(o, k, json_string(v->c_str()));
}
json_t* strings(const std::vector<std::string>& v) {
    json_t* a = json_array();
    for (const auto& s : v) json_array_append_new(a, json_string(s.c_str()));
    return a;
}

}  // namespace

RunLedger build_run_ledger(const std::string& run, const std::vector<JobReport>& reports, const LedgerConfig& cfg) {
    RunLedger l;
    l.run = run;
    l.thresholds = cfg.thresholds;
    std::sort(l.thresholds.begin(), l.thresholds.end());
    for (const JobReport& r : reports) {
        // Only a prediction job_submit signed names the run (the user cannot move a job).
        if (r.records == 0 || !r.prediction || r.prediction_origin != "job_submit" || r.prediction->run != run) continue;
        l.jobs.push_back(job_of(r));
    }
    std::stable_sort(l.jobs.begin(), l.jobs.end(), [](const RunJob& a, const RunJob& b) {
        const std::string ea = a.end_time.value_or("~"), eb = b.end_time.value_or("~");  // running jobs last
        if (ea != eb) return ea < eb;
        return std::tie(a.start_time, a.site, a.cluster, a.job_id) < std::tie(b.start_time, b.site, b.cluster, b.job_id);
    });
    double cumulative = 0;
    std::size_t next = 0;  // the next threshold not yet reached
    for (std::size_t i = 0; i < l.jobs.size(); ++i) {
        const RunJob& j = l.jobs[i];
        l.flops += j.flops;
        if (j.flops_gpu_time) l.flops_gpu_time += *j.flops_gpu_time, ++l.jobs_gpu_time;
        else if (j.flops_tokens) l.flops_tokens += *j.flops_tokens, ++l.jobs_tokens;
        else ++l.jobs_no_flops;
        l.gpu_hours_used += j.gpu_hours_used;
        l.gpu_hours_charged += j.gpu_hours_charged.value_or(0);
        if (!j.energy_j) ++l.jobs_no_energy;
        else if (j.energy_basis == kEnergyMeasured) l.energy_j_measured += *j.energy_j, ++l.jobs_energy_measured;
        else l.energy_j_estimated += *j.energy_j, ++l.jobs_energy_estimated;
        l.energy_j += j.energy_j.value_or(0);
        add_unique(l.sites, j.site);
        add_unique(l.partitions, j.site + "/" + (j.partition.empty() ? "?" : j.partition));
        add_unique(l.accounts, j.account);
        cumulative += j.flops;
        for (; next < l.thresholds.size() && cumulative >= l.thresholds[next]; ++next) l.crossed.emplace_back(l.thresholds[next], i);
    }
    return l;
}

json::Ptr to_json(const RunLedger& l) {
    json::Ptr o(json_object());
    json_t* j = o.get();
    json_object_set_new(j, "run", json_string(l.run.c_str()));
    json_t* flops = json_object();
    json_object_set_new(flops, "total", json_real(l.flops));
    json_object_set_new(flops, "gpu_time", json_real(l.flops_gpu_time));
    json_object_set_new(flops, "tokens", json_real(l.flops_tokens));
    json_object_set_new(flops, "jobs_gpu_time", json_integer(l.jobs_gpu_time));
    json_object_set_new(flops, "jobs_tokens", json_integer(l.jobs_tokens));
    json_object_set_new(flops, "jobs_unknown", json_integer(l.jobs_no_flops));
    json_object_set_new(flops, "basis_gpu_time", json_string(kBasisGpuTime));
    json_object_set_new(flops, "basis_tokens", json_string(kBasisTokens));
    json_object_set_new(flops, "basis_tokens_reported", json_string(kBasisTokensReported));
    json_object_set_new(j, "flops", flops);
    json_object_set_new(j, "gpu_hours_used", json_real(l.gpu_hours_used));
    json_object_set_new(j, "gpu_hours_charged", json_real(l.gpu_hours_charged));
    json_t* energy = json_object();
    json_object_set_new(energy, "total_j", json_real(l.energy_j));
    json_object_set_new(energy, "measured_j", json_real(l.energy_j_measured));
    json_object_set_new(energy, "estimated_j", json_real(l.energy_j_estimated));
    json_object_set_new(energy, "total_kwh", json_real(l.energy_j / kJoulesPerKwh));
    json_object_set_new(energy, "jobs_measured", json_integer(l.jobs_energy_measured));
    json_object_set_new(energy, "jobs_estimated", json_integer(l.jobs_energy_estimated));
    json_object_set_new(energy, "jobs_unknown", json_integer(l.jobs_no_energy));
    json_object_set_new(j, "energy", energy);
    json_object_set_new(j, "jobs_count", json_integer(static_cast<json_int_t>(l.jobs.size())));
    json_object_set_new(j, "sites", strings(l.sites));
    json_object_set_new(j, "partitions", strings(l.partitions));
    json_object_set_new(j, "accounts", strings(l.accounts));
    json_t* th = json_array();
    for (double t : l.thresholds) {
        json_t* m = json_object();
        json_object_set_new(m, "flops", json_real(t));
        for (const auto& [at, job] : l.crossed)
            if (at == t) {
                const RunJob& c = l.jobs[job];
                json_object_set_new(m, "crossed_by", json_string((c.site + "/" + c.cluster + "/" + std::to_string(c.job_id)).c_str()));
                set_opt(m, "crossed_at", c.end_time);
            }
        json_array_append_new(th, m);
    }
    json_object_set_new(j, "thresholds", th);
    if (!l.jobs.empty()) {
        const RunJob &f = l.jobs.front(), &z = l.jobs.back();
        json_object_set_new(j, "first_job", json_string((f.site + "/" + f.cluster + "/" + std::to_string(f.job_id)).c_str()));
        json_object_set_new(j, "last_job", json_string((z.site + "/" + z.cluster + "/" + std::to_string(z.job_id)).c_str()));
    }
    json_t* jobs = json_array();
    double cumulative = 0;
    for (const RunJob& r : l.jobs) {
        json_t* m = json_object();
        json_object_set_new(m, "site", json_string(r.site.c_str()));
        json_object_set_new(m, "cluster", json_string(r.cluster.c_str()));
        json_object_set_new(m, "job_id", json_integer(r.job_id));
        json_object_set_new(m, "partition", json_string(r.partition.c_str()));
        json_object_set_new(m, "account", json_string(r.account.c_str()));
        set_opt(m, "start_time", r.start_time);
        set_opt(m, "end_time", r.end_time);
        json_object_set_new(m, "gpu_hours_used", json_real(r.gpu_hours_used));
        set_opt(m, "gpu_hours_charged", r.gpu_hours_charged);
        set_opt(m, "flops_gpu_time", r.flops_gpu_time);
        set_opt(m, "flops_tokens", r.flops_tokens);
        set_opt(m, "tokens", r.tokens);
        if (!r.tokens_basis.empty()) json_object_set_new(m, "tokens_basis", json_string(r.tokens_basis.c_str()));
        json_object_set_new(m, "flops", json_real(r.flops));
        json_object_set_new(m, "flops_basis", json_string(r.flops_basis.c_str()));
        cumulative += r.flops;
        json_object_set_new(m, "flops_cumulative", json_real(cumulative));
        set_opt(m, "energy_j", r.energy_j);
        json_object_set_new(m, "energy_basis", json_string(r.energy_basis.c_str()));
        json_array_append_new(jobs, m);
    }
    json_object_set_new(j, "jobs", jobs);
    return o;
}

std::string ledger_csv(const RunLedger& l) {
    std::string s = "run,site,cluster,job_id,partition,account,start_time,end_time,gpu_hours_used,gpu_hours_charged,"
                    "flops,flops_basis,flops_gpu_time,flops_tokens,tokens,energy_j,energy_basis\n";
    const auto opt = [](const std::optional<double>& v) { return v ? g17(*v) : std::string(); };
    for (const RunJob& j : l.jobs)
        s += csv_field(l.run) + "," + csv_field(j.site) + "," + csv_field(j.cluster) + "," + std::to_string(j.job_id) + "," +
             csv_field(j.partition) + "," + csv_field(j.account) + "," + j.start_time.value_or("") + "," +
             j.end_time.value_or("") + "," + g17(j.gpu_hours_used) + "," + opt(j.gpu_hours_charged) + "," + g17(j.flops) +
             "," + csv_field(j.flops_basis) + "," + opt(j.flops_gpu_time) + "," + opt(j.flops_tokens) + "," +
             opt(j.tokens) + "," + opt(j.energy_j) + "," + csv_field(j.energy_basis) + "\n";
    s += csv_field(l.run) + ",total,,,,,,," + g17(l.gpu_hours_used) + "," + g17(l.gpu_hours_charged) + "," + g17(l.flops) +
         ",,,,," + g17(l.energy_j) + ",\n";
    return s;
}

std::string ledger_text(const RunLedger& l) {
    std::string s = "Training run " + l.run + "\n";
    if (l.jobs.empty()) return s + "  no jobs recorded for this run\n";
    s += "  jobs:            " + std::to_string(l.jobs.size()) + " (first " + l.jobs.front().start_time.value_or("?") +
         ", last " + l.jobs.back().end_time.value_or("running") + ")\n";
    s += "  compute:         " + g6(l.flops) + " FLOP (estimated)\n";
    s += "    " + std::to_string(l.jobs_gpu_time) + " jobs: " + kBasisGpuTime + "\n";
    if (l.jobs_tokens) s += "    " + std::to_string(l.jobs_tokens) + " jobs: tokens (declared or reported) x FLOPs per token\n";
    if (l.jobs_no_flops) s += "    " + std::to_string(l.jobs_no_flops) + " jobs: not counted (no rate, no tokens)\n";
    s += "  GPU-hours:       " + fmt_fixed(l.gpu_hours_used, 3) + " used, " + fmt_fixed(l.gpu_hours_charged, 3) + " charged\n";
    s += "  GPU energy:      " + fmt_fixed(l.energy_j / kJoulesPerKwh, 3) + " kWh (" + std::to_string(l.jobs_energy_measured) +
         " jobs measured, " + std::to_string(l.jobs_energy_estimated) + " estimated from TDP, " +
         std::to_string(l.jobs_no_energy) + " unknown)\n";
    std::string sites, parts, accounts;
    for (const auto& v : l.sites) sites += (sites.empty() ? "" : ", ") + v;
    for (const auto& v : l.partitions) parts += (parts.empty() ? "" : ", ") + v;
    for (const auto& v : l.accounts) accounts += (accounts.empty() ? "" : ", ") + v;
    if (accounts.empty()) accounts = "(none given)";
    s += "  sites:           " + sites + "\n  partitions:      " + parts + "\n  accounts:        " + accounts + "\n";
    for (double t : l.thresholds) {
        std::string what = "not reached (" + g6(l.flops / t * 100.0) + " %)";
        for (const auto& [at, job] : l.crossed)
            if (at == t)
                what = "crossed by job " + l.jobs[job].site + "/" + std::to_string(l.jobs[job].job_id) +
                       (l.jobs[job].end_time ? " at " + *l.jobs[job].end_time : "");
        s += "  threshold " + g6(t) + " FLOP: " + what + "\n";
    }
    s += "  Estimates, not measurements of FLOPs: see docs/ai-act.md.\n";
    return s;
}

json::Ptr runs_json(const std::vector<RunLedger>& runs) {
    json::Ptr o(json_object());
    json_t* a = json_array();
    for (const RunLedger& l : runs) {
        json_t* m = json_object();
        json_object_set_new(m, "run", json_string(l.run.c_str()));
        json_object_set_new(m, "flops", json_real(l.flops));
        json_object_set_new(m, "gpu_hours_used", json_real(l.gpu_hours_used));
        json_object_set_new(m, "energy_j", json_real(l.energy_j));
        json_object_set_new(m, "jobs_count", json_integer(static_cast<json_int_t>(l.jobs.size())));
        json_object_set_new(m, "sites", strings(l.sites));
        if (!l.jobs.empty()) set_opt(m, "last_end_time", l.jobs.back().end_time);
        json_array_append_new(a, m);
    }
    json_object_set_new(o.get(), "runs", a);
    return o;
}

std::string run_summary_file(const std::vector<RunLedger>& runs, const std::vector<double>& thresholds,
                             const std::string& as_of) {
    std::string s = "aifactory.runs/1\n# run -> cumulative estimated training FLOPs (docs/ai-act.md)\nas_of " + as_of + "\n";
    for (double t : thresholds) s += "threshold " + g17(t) + "\n";
    for (const RunLedger& l : runs) s += "run " + l.run + " " + g17(l.flops) + "\n";
    return s;
}

}  // namespace aif::collect

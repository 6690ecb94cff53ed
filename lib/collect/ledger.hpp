// SPDX-License-Identifier: GPL-2.0-or-later
// The training-compute and energy ledger (docs/ai-act.md): per training run, across sites and
// jobs, the estimated training FLOPs with their basis, GPU-hours and energy (measured, else
// estimated and labelled), built from the jobs' merged reports. Pure: no I/O.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collect/job_report.hpp"
#include "common/json.hpp"

namespace aif::collect {

// The collector's configuration (aifactory collector --thresholds): FLOP marks, ascending.
struct LedgerConfig {
    std::vector<double> thresholds{1e23, 1e25};
};

inline constexpr const char* kBasisGpuTime = "measured GPU-seconds x predicted achieved FLOP/s per GPU";
inline constexpr const char* kBasisTokens = "declared tokens x FLOPs per token (6N + attention)";
inline constexpr const char* kBasisTokensReported = "reported tokens x FLOPs per token (6N + attention)";
inline constexpr const char* kEnergyMeasured = "measured (GPU energy counters)";
inline constexpr const char* kEnergyTdpUtil = "estimated: TDP x measured utilisation x GPU-hours";
inline constexpr const char* kEnergyTdp = "estimated: TDP x GPU-hours (utilisation not measured: upper bound)";

struct RunJob {
    std::string site, cluster, partition, account;
    long long job_id = 0;
    std::optional<std::string> start_time, end_time;
    double gpu_hours_used = 0;                 // measured: the steps' GPU-seconds / 3600
    std::optional<double> gpu_hours_charged;   // allocation x elapsed
    // (a) GPU-seconds x tokens_per_s x flops_per_token / gpus; (b) tokens x flops_per_token.
    // tokens: the job's own count (AIFACTORY_TOKENS_FILE, largest over its steps) where it wrote
    // one, else --llm-tokens as declared; tokens_basis kBasisTokensReported or kBasisTokens.
    std::optional<double> flops_gpu_time, flops_tokens, tokens;
    std::string tokens_basis;
    double flops = 0;          // the figure the ledger counts: (a) where known, else (b), else 0
    std::string flops_basis;   // kBasis*, "" when neither is known
    std::optional<double> energy_j;  // GPU energy, joules
    std::string energy_basis;  // kEnergy*, "" when unknown
};

struct RunLedger {
    std::string run;
    std::vector<RunJob> jobs;  // by end time (then start, site, job id)
    double flops = 0, flops_gpu_time = 0, flops_tokens = 0;
    long long jobs_gpu_time = 0, jobs_tokens = 0, jobs_no_flops = 0;
    double gpu_hours_used = 0, gpu_hours_charged = 0;
    double energy_j = 0, energy_j_measured = 0, energy_j_estimated = 0;  // GPU energy, joules
    long long jobs_energy_measured = 0, jobs_energy_estimated = 0, jobs_no_energy = 0;
    std::vector<std::string> sites, partitions, accounts;  // "site/partition" for partitions
    std::vector<double> thresholds;
    // Each threshold the cumulative FLOPs reached, with the job (index into jobs) that crossed it.
    std::vector<std::pair<double, std::size_t>> crossed;
};

// Jobs whose signed prediction names no run, or another run, are left out.
RunLedger build_run_ledger(const std::string& run, const std::vector<JobReport>& reports, const LedgerConfig& cfg);

json::Ptr to_json(const RunLedger& l);
std::string ledger_csv(const RunLedger& l);   // one row per job, then a total row
std::string ledger_text(const RunLedger& l);  // `aifactory report --run NAME`
std::string ledger_page(const RunLedger& l);  // HTML with the cumulative chart and threshold marks

// GET /v1/runs: one entry per run (name, FLOPs, GPU-hours, energy, jobs, last job end).
json::Ptr runs_json(const std::vector<RunLedger>& runs);
// The per-run summary sites sync next to aifactory.conf (format in docs/ai-act.md).
std::string run_summary_file(const std::vector<RunLedger>& runs, const std::vector<double>& thresholds,
                             const std::string& as_of);

}  // namespace aif::collect

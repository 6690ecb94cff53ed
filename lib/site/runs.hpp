// SPDX-License-Identifier: GPL-2.0-or-later
// Training runs at sbatch time: the run a job belongs to, and the collector's per-run summary
// file (cumulative FLOPs per run, the thresholds) that sites sync next to aifactory.conf, so
// job_submit can say when a job would carry its run past a threshold. docs/ai-act.md.
#pragma once
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aif::calc {
struct Estimate;
}

namespace aif::site {

// The prediction job_submit signs (encoded): the estimate's, plus what the compute ledger needs:
// FLOPs per token, the declared tokens (0: none), the GPU's TDP (0: unknown) and the run.
std::string ledger_prediction(const calc::Estimate& e, std::string_view profile, std::string_view gpu, double tokens,
                              double tdp_w, const std::string& run);

// Where job_submit looks for the summary: this name, in aifactory.conf's directory.
inline constexpr const char* kRunSummaryFile = "aifactory-runs.txt";

// "" when `name` is a valid --llm-run value, else what is wrong with it.
std::string run_name_problem(std::string_view name);

struct RunTotals {
    std::string as_of;               // when the collector computed it (RFC 3339), "" unknown
    std::vector<double> thresholds;  // FLOP, ascending
    std::unordered_map<std::string, double> flops;  // run → cumulative FLOPs
};

// Bounds on the summary file (it comes over the network from the collector).
inline constexpr std::size_t kMaxRunSummaryBytes = 16u << 20;

// Parses the summary (format in docs/ai-act.md). Throws InputError "<origin> line N: ...".
RunTotals parse_run_summary(std::string_view text, const std::string& origin);

// "run X: 7.9e24 FLOP so far (as of T); this job adds ~3e24 -> crosses 1e25", or "" when the
// job crosses no threshold. `adds`: the job's declared tokens x FLOPs per token.
std::string threshold_text(const RunTotals& totals, const std::string& run, double adds);

// 7.9e24 → "7.9e24" (two significant digits, no '+').
std::string fmt_flop(double flops);

}  // namespace aif::site

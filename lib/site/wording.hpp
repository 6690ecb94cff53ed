// SPDX-License-Identifier: GPL-2.0-or-later
// What sbatch/srun users read from job_submit: the calculator's typed results (check_job's
// estimate and fixes) put into words, with sbatch's option names. Pure text, no Slurm.
#pragma once
#include <string>
#include <vector>

#include "calc/check.hpp"
#include "detect/detect.hpp"
#include "site/spank_env.hpp"

namespace aif::site {

// A fix as the user would type it, with what it needs: "--llm-recompute=full (41.3 GiB)".
std::string fix_text(const calc::Fix& f);

// The does-not-fit explanation: verdict, needed (with the band) vs usable, largest term, what
// the job asked for, changes that fit (their upper end included).
// Each line at most 65 columns (the caller wraps longer ones).
std::vector<std::string> rejection_lines(const calc::CheckOutcome& o, const std::string& model_label);

// "needs 52.3 GiB per GPU (49.8-55.6)": the estimate and its band (the band only when there is one).
std::string needs_text(const calc::Estimate& e);

// "OK, llama3.1-8b fits: needs 44.6 GiB per GPU (42.0-47.3) of 60.2 usable" (without the
// "aifactory: " tag). It starts with "OK," because Slurm shows it as "error:" when it refuses
// the job for another reason.
std::string fits_text(const calc::Estimate& e, const std::string& model_label);

// The may-not-fit warning (band straddles usable memory; the job is accepted): verdict with the
// band, the term that decides, the smallest change that makes it safe. Without the tag.
std::vector<std::string> may_not_fit_lines(const calc::CheckOutcome& o, const std::string& model_label);
// "est. 5.1 h, 20.4 GPU-hours on 4 GPUs" ("" without --llm-tokens).
std::string estimate_text(const calc::Estimate& e, double tokens);

// The job's time limit, as far as job_submit knows it.
struct TimeLimit {
    long minutes = -1;   // -1: none known (no -t, no DefaultTime/MaxTime): nothing is said
    std::string source;  // "-t", "DefaultTime of p", "MaxTime of p"
};
// How much of the run one job of that limit does, and how many jobs the run needs; "" when the
// limit or the throughput is unknown, or the run fits in one job without a word needed.
std::string time_limit_text(const calc::Estimate& e, double tokens, const TimeLimit& limit);
// Why a limit under MinProgress is refused (or warned about).
std::string too_short_text(const TimeLimit& limit, long min_progress_min);

// What the check assumed because the job did not say: sequence length, micro-batch, recompute,
// layout, and FSDP where the profile's default made it full (`setup`: calc::effective_setup's).
// "" when all were given.
std::string assumed_text(const LlmOptions& given, const calc::TrainingSetup& setup);

// What job_submit read from a batch script without --llm-* options, before the verdict:
// "read Megatron-LM (pretrain_gpt.py, line 12): 6.7B params, tp=4 pp=2, mbs 1, seq 4096".
// `e` is the estimate made from it (nullptr when none was: no parameter count then).
std::string read_text(const detect::Detection& d, const calc::Estimate* e);

// "1 h", "30 min", "2 days": a time limit as people write it.
std::string limit_text(long minutes);

}  // namespace aif::site

// The job_submit decision: site policy x exemptions x the calculator's verdict → pass, accept
// (with a prediction), warn, or reject, with the lines the user sees. Pure: no I/O, no Slurm.
#pragma once
#include <string>
#include <vector>

#include "site/gpu_request.hpp"
#include "site/snapshot.hpp"
#include "site/spank_env.hpp"

namespace aif::site {

enum class Action {
    Pass,    // not ours: no --llm-* options, or the check is off; job untouched, no message
    Accept,  // checked and fits (or not checked, with a note): accept with `lines`
    Warn,    // does not fit or is malformed, but policy lets it through: accept with `lines`
    Reject,  // enforce: reject with `lines`
};
const char* name(Action);

enum class Problem { None, DoesNotFit, BadRequest };

struct Submission {
    LlmOptions options;
    GpuRequest gpus;
    std::string partition;  // as given; "" → the default partition
    std::string account, user, qos;
};

struct Decision {
    Action action = Action::Pass;
    Problem problem = Problem::None;
    std::vector<std::string> lines;  // for the user: each at most kMaxLine columns
    std::string prediction;          // prediction_kv of the estimate, when one was made
    std::string log;                 // one line for slurmctld.log
};

// Widest line we hand to Slurm: "sbatch: error: " (15) + 65 = 80 columns.
inline constexpr std::size_t kMaxLine = 65;

Decision decide(const Submission& sub, const Snapshot& snap);

// Word-wraps `text` into lines of at most `width` columns, continuation lines indented by 2.
std::vector<std::string> wrap(const std::string& text, std::size_t width = kMaxLine);

}  // namespace aif::site

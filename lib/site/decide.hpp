// SPDX-License-Identifier: GPL-2.0-or-later
// The job_submit decision: site policy x exemptions x the calculator's verdict → pass, accept
// (with a prediction), warn, or reject, with the lines the user sees. Pure: no I/O, no Slurm.
#pragma once
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "site/gpu_request.hpp"
#include "site/snapshot.hpp"
#include "site/spank_env.hpp"

namespace aif::site {

enum class Action {
    Pass,    // not ours: no --llm-* options (nor a training script), or the check is off
    Accept,  // checked and fits (or not checked, with a note): accept with `lines`
    Warn,    // does not fit or is malformed, but policy lets it through: accept with `lines`
    Reject,  // enforce: reject with `lines`
};
const char* name(Action);

// Why a job was refused (or warned about); job_submit returns a different Slurm error for each,
// so that Slurm's closing line ("Batch job submission failed: ...") tells the truth.
enum class Problem {
    None,
    DoesNotFit,  // the GPUs asked for cannot hold the model
    NoGpus,      // a training job that asks for no GPU
    TooShort,    // the time limit is under MinProgress
    BadRequest,  // the --llm-* options are wrong (unknown model, bad value, both model and config)
};

struct Submission {
    LlmOptions options;
    GpuRequest gpus;
    std::string partition;  // as given; "" → the default partition
    std::string account, user, qos;
    long time_limit_min = -1;  // --time in minutes; -1 not given, 0 unlimited
    // The batch script (sbatch only; "" for srun/salloc), not owned. Without --llm-* options it
    // is read (lib/detect, kSlurmctldLimits) where the partition's Detect= is not off.
    std::string_view script;
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
// Longest Decision::log (user text in it is cut well before: this is the last guard).
inline constexpr std::size_t kMaxLog = 400;

Decision decide(const Submission& sub, const Snapshot& snap);

// Decisions are a pure function of the submission and the snapshot, and a cold call costs tens
// of microseconds inside slurmctld (fresh RPC thread, cold caches). Sites see the same request
// many times (resubmissions, --test-only then sbatch, sweeps over non-memory settings), so the
// plugin keeps the answers per snapshot. Keyed by a keyed 128-bit digest of the request (the
// request itself may be large), bounded in entries and in bytes, cleared when full. Thread-safe.
class DecisionCache {
public:
    static constexpr std::size_t kMaxBytes = 8u << 20;
    explicit DecisionCache(std::size_t capacity = 4096, std::size_t max_bytes = kMaxBytes)
        : capacity_(capacity), max_bytes_(max_bytes) {}
    // A 16-byte digest of everything decide() reads from the submission.
    static std::string key(const Submission& sub);
    bool find(const std::string& key, Decision& out) const;
    void put(const std::string& key, const Decision& d);
    std::size_t size() const;
    std::size_t bytes() const;  // what the entries hold, approximately

private:
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Decision> map_;
    std::size_t capacity_, max_bytes_, bytes_ = 0;
};

// Word-wraps `text` into lines of at most `width` columns, continuation lines indented by 2.
std::vector<std::string> wrap(const std::string& text, std::size_t width = kMaxLine);

}  // namespace aif::site

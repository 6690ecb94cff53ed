// SPDX-License-Identifier: GPL-2.0-or-later
// What the Slurm plugins call. One process-wide producer, configured once from acct.conf
// (see docs/accounting.md). Every function is noexcept, never fails a job and never blocks on
// the network; when accounting is not configured they do nothing and return "".
//
//   job_submit (slurmctld):   init() in init(), submit_decision() per decision, fini() in fini()
//                             (the record is written by a background thread: no disk I/O here)
//   SPANK (slurmstepd, epilog): init(), then step_end() / job_end() (written before returning)
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "record/prediction.hpp"
#include "record/schema.hpp"

namespace aif::acct::hooks {

using LogFn = void (*)(const char* message);

// Loads the producer configuration (nullptr: /etc/aifactory/acct.conf). Returns false, logging
// the reason once through `log`, when it is missing or invalid; records are then not produced.
bool init(const char* config_path, LogFn log) noexcept;
bool enabled() noexcept;
void fini() noexcept;  // waits up to 2 s for queued records, then stops the writer thread

struct Common {
    std::string cluster;                          // "" → `cluster` from acct.conf
    std::optional<std::uint32_t> job_id;
    std::optional<std::int64_t> submit_time;
    // The user, as a uid: turned into a keyed pseudonym, never stored. A uid rather than a name
    // so that no producer has to ask NSS/LDAP (forbidden in job_submit, slow in slurmstepd).
    std::optional<std::uint32_t> uid;
    std::string partition, account, gpu_model;
    std::optional<std::uint32_t> nodes, gpus;
    // Key/value strings "key=value;key=value".
    std::string training_kv;                      // declared setup (the --llm-* options)
    std::optional<record::Prediction> prediction; // the calculator's prediction, when the job has one
    bool prediction_trusted = false;              // computed or verified (else: user-declared)
    std::string verdict;                          // "" → the prediction's own verdict=…
    std::string binding_kv;                       // the pinning plan used
};

struct SubmitDecision : Common {
    std::string decision;  // accepted | warned | rejected
    std::string reason;    // what the user was told (first line)
    std::optional<std::int64_t> time_limit_s;  // as asked at submission; absent for none / not given
};
// Returns the record id (the job has no id yet: the id is unique per decision), or "".
std::string submit_decision(const SubmitDecision& d) noexcept;

struct StepEnd : Common {
    std::string step_id;   // "0", "batch", "extern", ...
    std::string node;
    std::int64_t start_time = 0, end_time = 0;
    std::optional<double> elapsed_s;  // sub-second wall time of the step, when measured
    std::optional<std::uint32_t> tasks, cpus;
    std::optional<double> cpu_seconds;
    std::optional<std::uint64_t> max_rss_bytes, gpu_mem_peak_bytes;
    // Measured on the node (lib/gpu); record::Record says what each one is.
    std::optional<double> gpu_util_mean_pct, gpu_util_p95_pct, gpu_energy_j, gpu_sample_interval_s, node_energy_j;
    std::string gpu_energy_basis;  // "counter" | "power", with gpu_energy_j
    std::optional<std::uint32_t> gpu_samples;
    std::vector<record::GpuTimelinePoint> gpu_timeline;  // at most record::kMaxGpuTimelinePoints
    std::optional<std::uint64_t> mem_alloc_bytes;  // Slurm's allocation to the step on this node
    std::optional<std::int32_t> exit_code, exit_signal;
    std::optional<std::uint64_t> tokens_reported;  // from the job's AIFACTORY_TOKENS_FILE
};
std::string step_end(const StepEnd& s) noexcept;

struct JobEnd : Common {
    std::string node;
    std::int64_t end_time = 0;
};
std::string job_end(const JobEnd& j) noexcept;

// Predictions travel with the job in its environment, where the user can change them. job_submit
// signs each one for the job's uid with the site's prediction key (acct.conf
// prediction_key_file): "<kv>;sig=<64 hex digits of HMAC-SHA-256>". Returns `kv` unchanged when
// no key is loaded.
std::string sign_prediction(std::uint32_t uid, const std::string& kv) noexcept;
struct CheckedPrediction {
    std::string kv;        // without the signature
    bool trusted = false;  // signed with our key for this uid, unaltered
    // Decoded (record::Prediction::decode); absent for "" or a text that does not decode.
    std::optional<record::Prediction> prediction;
};
CheckedPrediction check_prediction(std::optional<std::uint32_t> uid, const std::string& signed_kv) noexcept;

// What the pseudonym is computed from: "uid:<n>" (see Common::uid).
std::string user_key_input(std::uint32_t uid);

// "a=1;b=x;c=2.5" → {"a":1,"b":"x","c":2.5} (values may contain ',' and '='); empty Ptr for "".
inline json::Ptr kv_object(std::string_view kv) { return record::kv_object(kv); }

}  // namespace aif::acct::hooks

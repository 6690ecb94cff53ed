// SPDX-License-Identifier: GPL-2.0-or-later
// Per-job accounting records (schema aifactory.acct/2, docs/record-schema.json).
// A Record holds what a producer knows; build() turns it into canonical JSON (compact, sorted
// keys) with a deterministic UUIDv5 id. Unknown values stay empty and are left out, never 0.
// Privacy: there is no field for a job script, environment, path or raw user name.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "record/schema.hpp"

namespace aif::record {

struct Record {
    Kind kind = Kind::StepEnd;
    // Identity. `component` distinguishes the records of one job ("step/0/node01", "end/node01").
    std::string site, cluster, component;
    Uuid site_namespace{};
    std::optional<std::uint32_t> job_id;  // absent for submit decisions (no id yet, or rejected)
    std::optional<std::int64_t> submit_time;  // epoch seconds, when the producer can see it
    std::optional<std::uint32_t> array_job_id, array_task_id, het_job_id, het_job_offset;
    std::optional<std::string> step_id, node;

    std::optional<std::string> partition, account, user;  // user: a pseudonym, see pseudonym()
    std::optional<std::int64_t> start_time, end_time;
    std::optional<std::uint32_t> nodes, gpus, tasks, cpus;
    std::optional<std::string> gpu_model;
    std::optional<double> gpu_seconds, cpu_seconds;
    std::optional<std::string> state;
    std::optional<std::int32_t> exit_code, exit_signal;
    // v2. step_end: the step's wall time (sub-second) and the memory Slurm allocated to it on this
    // node (what seff's memory efficiency divides by). submit_decision: the time limit asked for.
    std::optional<double> elapsed_s;
    std::optional<std::uint64_t> mem_alloc_bytes;
    std::optional<std::int64_t> time_limit_s;
    // v2: the training run (--llm-run, else account + model) from the signed prediction.
    std::optional<std::string> run;
    // v2 step_end: tokens the job reported having processed so far (AIFACTORY_TOKENS_FILE, read
    // at the step's end): the user's own figure, cumulative over the job.
    std::optional<std::uint64_t> tokens_reported;

    // Submit decisions (job_submit): "accepted" | "warned" | "rejected", with the reason shown.
    std::optional<std::string> decision, reason;
    // Declared training setup, the calculator's prediction and its verdict, the binding used:
    // JSON objects built by those components (copied in; must be objects).
    json_t* training = nullptr;
    json_t* prediction = nullptr;
    std::optional<std::string> verdict;
    // "job_submit": the prediction was signed by job_submit for this job's user and is unaltered;
    // "user-declared": it came from the job's environment without a valid signature.
    std::optional<std::string> prediction_origin;
    json_t* binding = nullptr;
    // Observed on the node, where it can be read (the "observed" object). The GPU fields come
    // from the step's sampler (NVML / ROCm SMI): peak memory over GPUs and samples, mean and p95
    // utilisation over every GPU's every sample, energy of all the step's GPUs on this node by
    // counter difference ("counter") or power x interval ("power"). node_energy_j: the whole
    // node's counter (pm_counters / RAPL) over the step, other jobs on the node included.
    std::optional<std::uint64_t> max_rss_bytes, gpu_mem_peak_bytes;
    std::optional<double> gpu_util_mean_pct, gpu_util_p95_pct, gpu_energy_j, gpu_sample_interval_s, node_energy_j;
    std::optional<std::string> gpu_energy_basis;
    std::optional<std::uint32_t> gpu_samples;
    std::vector<GpuTimelinePoint> gpu_timeline;  // schema.hpp; at most kMaxGpuTimelinePoints
};

struct Built {
    std::string id;    // UUIDv5
    std::string json;  // canonical: compact, sorted keys, UTF-8
};

// The id's name string: "<cluster>/<job id|->/<submit time|->/<component>" under the site namespace.
std::string record_id(const Record& r);
// Throws InputError naming the field when a required field is missing or a value is invalid.
Built build(const Record& r, std::int64_t created_epoch);

// Checks a record read back from the outbox: parses, has schema, id and kind. Returns the id.
std::string validate(std::string_view json_text);

}  // namespace aif::record

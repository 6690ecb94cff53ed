// SPDX-License-Identifier: GPL-2.0-or-later
// The merged per-job report: what was asked (training setup), what was predicted, what ran where
// (steps per node), what it cost (GPU-hours), the binding and the outcome. Built once from the
// job's accounting records, whether they come from the collector's store or from a local outbox;
// the JSON API, the terminal text and the HTML page all read this one struct.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "record/prediction.hpp"
#include "record/schema.hpp"

namespace aif::collect {

// A number as the record carried it: producers write reals, the schema allows integers too, and
// the report repeats it as it came.
struct Number {
    double value = 0;
    bool integer = false;
};

// One step_end record. Absent fields stay empty (and absent from the JSON).
struct JobStep {
    std::optional<std::string> step_id, node, start_time, end_time, state;
    std::optional<long long> gpus, tasks, cpus, exit_code, exit_signal;
    std::optional<Number> cpu_seconds, gpu_seconds;
    std::optional<double> elapsed_s;  // gpu_seconds / gpus, else end - start
    std::optional<long long> max_rss_bytes, gpu_mem_peak_bytes;  // observed by the producer
    std::optional<long long> mem_alloc_bytes;  // Slurm's memory allocation to the step on the node (v2)
    // The GPU sampler's measurements (v2 observed): absent until a node measures them.
    std::optional<double> gpu_util_mean_pct, gpu_energy_j, node_energy_j;
    // observed.gpu_timeline: memory (max over GPUs) and utilisation over the step, <= 64 points.
    std::vector<record::GpuTimelinePoint> gpu_timeline;
    std::optional<long long> tokens_reported;  // the job's own count at the step's end (v2)
};

// observed.gpu_timeline's form ({"t_s": [...], "gpu_mem_max_bytes": [...], "gpu_util_mean_pct":
// [...]}, null where not read), shared by the records and the report's JSON. Reading is lenient
// (the collector validated it): points past the shortest list or kMaxGpuTimelinePoints are left out.
std::vector<record::GpuTimelinePoint> gpu_timeline_from_json(const json_t* object);
json_t* gpu_timeline_json(const std::vector<record::GpuTimelinePoint>& points);

// The submit_decision record: what job_submit said.
struct Submission {
    std::optional<std::string> decision, reason, submit_time, created, verdict;
    std::optional<std::string> record_id;     // the decision record, when linked through the prediction
    std::optional<long long> time_limit_s;    // asked for at submission (v2)
};

// What the job cost and how well it used it, seff/sacct style. Each value is absent ("n/a")
// when the records do not give it; none is ever a guessed 0.
struct JobUsage {
    // GPU-hours charged: GPUs allocated x the job's elapsed time, as sacct/XDMoD bill it. GPUs
    // allocated: the job_end records' GPUs summed over nodes, else the batch step's on a
    // one-node job. Elapsed: the batch step's wall time, else first step start to last end.
    std::optional<long long> gpus_allocated;
    std::optional<double> charged_elapsed_s, gpu_hours_charged;
    std::optional<long long> queue_wait_s;   // first step start - submit time (linked decision)
    std::optional<long long> time_limit_s;   // the decision's; compared with the elapsed time
    // CPU: all steps' CPU time / (CPUs allocated on each node x elapsed). Memory: the largest
    // task's peak RSS / the step's memory allocation, highest over steps.
    std::optional<double> cpu_efficiency_pct, mem_efficiency_pct;
    // Measured on the GPUs (sampler): the steps GPU-hours count, weighted by their GPU-seconds.
    std::optional<double> gpu_util_mean_pct, gpu_energy_kwh, node_energy_kwh;
    // Measured peak GPU memory per GPU / predicted memory per GPU, and where the measurement
    // falls against the prediction's band: "below", "within" or "above" (absent without both).
    std::optional<double> gpu_mem_measured_over_predicted;
    std::optional<std::string> gpu_mem_vs_band;
};

struct JobOutcome {
    std::string state;  // FAILED... when a step failed, else the batch step's, else COMPLETED/ENDED/RUNNING; "" unknown
    std::optional<long long> exit_code;  // the batch step's, else the worst step's
    std::optional<std::string> start_time, end_time;
    std::optional<long long> elapsed_s;
};

struct JobReport {
    std::string site, cluster;
    long long job_id = 0;
    long long records = 0;  // records merged; 0 when none matched
    std::string source;     // where the records came from when not the collector ("outbox DIR")

    // Asked and who: the first record that carries each wins.
    std::optional<std::string> account, user, partition, gpu_model;
    std::optional<long long> nodes;  // the job_end record's, else a step's
    json::Ptr training;  // the declared setup: the producers' key/value object, as recorded
    json::Ptr binding;   // likewise, where each rank was bound

    // Predicted: the typed prediction, where it came from, and the object as the producer sent it.
    std::optional<record::Prediction> prediction;
    std::string prediction_origin;  // job_submit | user-declared | "" (not in the JSON form)
    json::Ptr prediction_raw;

    std::optional<Submission> submission;

    // Ran: steps in time order (then step id, node); GPU-hours by store.hpp's rule.
    std::vector<JobStep> steps;
    double gpu_seconds = 0, gpu_hours = 0;
    std::vector<std::string> node_list;  // nodes in the order they first appear in the records
    JobOutcome outcome;

    // Measured: peaks over the steps, GiB.
    std::optional<double> gpu_mem_peak_gib, max_rss_gib;
    JobUsage usage;

    // Keys among account, user, partition, gpu_model, training, binding, prediction and nodes in
    // the order the records supplied them: the JSON form keeps that order.
    std::vector<std::string> header_order;
};

// `bodies`: the records' JSON texts (any order; duplicates of one record_id keep the highest
// version). Records of other jobs are ignored; `records` is 0 when none matched. A submit
// decision without a job id counts when the job's signed prediction names it (decision_id).
JobReport build_job_report(const std::vector<std::string>& bodies, const std::string& site,
                           const std::string& cluster, long long job_id);

// The submit_decision record the job's signed prediction names, when the report has none yet: the
// caller fetches it by id and builds the report again with it. "" when there is nothing to link.
std::string decision_to_link(const JobReport& report);

// The JSON form served at /v1/jobs/SITE/CLUSTER/ID (and `aifactory report --json`).
json::Ptr to_json(const JobReport& report);
// Reads the JSON form back (a collector's reply); never throws, leaves out what it cannot read.
JobReport job_report_from_json(const json_t* object);

// Plain-text summary for a terminal (fits 80 columns; memory in GiB; no control characters).
std::string render_text(const JobReport& report);

// Text for a terminal: control characters (C0 but newline, DEL, C1) become '?'.
std::string terminal_safe(std::string_view text);

}  // namespace aif::collect

// SPDX-License-Identifier: GPL-2.0-or-later
// Storage of accounting records. One row per (site, record_id); a record replaces the stored one
// only when its version is higher (record_version, then `created`), so retries and reordering
// never double count. Every query is parameterised; `site` "" means every site.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collect/validate.hpp"

namespace aif::collect {

struct IngestResult {
    std::size_t inserted = 0, updated = 0, unchanged = 0;  // unchanged: same or older version held
};

struct JobKey {
    std::string site, cluster;
    std::int64_t job_id = 0;
};

struct JobFilter {
    std::string site, account, verdict, partition;  // "" = any
    std::optional<std::int64_t> from, to;  // event time, epoch s, [from, to)
    int limit = 100;
};

struct JobSummary {
    JobKey key;
    std::string account, user, verdict, state;
    std::int64_t first_time = 0, last_time = 0;
    double gpu_seconds = 0;
    std::int64_t records = 0;
};

struct GpuHours {
    std::string site, account, month;  // month "2026-08"
    double gpu_hours = 0;
    std::int64_t jobs = 0;
};

struct Rejection {
    std::string site, reason;
    std::int64_t count = 0;
};

struct PredictionPair {  // per job: the predicted memory per GPU and the observed peak
    JobKey key;
    double predicted_gib = 0, observed_gib = 0;
};

// The federation overview: one row per site and partition, account or user (pseudonym).
enum class GroupBy { Partition, Account, User };
struct UsageGroup {
    // key "": not recorded: a job without a job_end record (partition), no account; decisions
    // count under the partition sbatch was given (else the site's default) and its account.
    std::string site, key;
    std::int64_t jobs = 0;
    double gpu_hours = 0;  // by the GPU-seconds rule below
    // Absent when no job of the group has the measurement (n/a, never 0).
    std::optional<double> gpu_energy_kwh, node_energy_kwh, gpu_util_mean_pct;
    std::int64_t accepted = 0, warned = 0, rejected = 0;  // submit decisions
};

class Store {
public:
    virtual ~Store() = default;
    // All rows in one transaction: either all are stored or none (throws on a storage error).
    virtual IngestResult put(const std::vector<Row>& rows) = 0;
    // Record bodies of one job (submit decisions that carry the job id included), oldest first.
    virtual std::vector<std::string> job_records(const JobKey& k) = 0;
    // One record's body by id (a job's submit decision, which carries no job id), if held.
    virtual std::optional<std::string> record_body(const std::string& site, const std::string& record_id) = 0;
    virtual std::vector<JobSummary> list_jobs(const JobFilter& f) = 0;
    virtual std::vector<GpuHours> gpu_hours(const JobFilter& f) = 0;
    virtual std::vector<Rejection> rejections(const JobFilter& f) = 0;
    virtual std::vector<PredictionPair> predictions(const JobFilter& f) = 0;
    virtual std::vector<UsageGroup> usage_groups(const JobFilter& f, GroupBy g) = 0;
    virtual std::int64_t count() = 0;
    // Jobs of training runs (the compute ledger): each job with a step record whose top-level
    // "run" is `run` ("" any run), with that run, on `site` ("" every site), oldest first.
    virtual std::vector<std::pair<JobKey, std::string>> run_jobs(const std::string& site, const std::string& run) = 0;
};

// SQLite file (created if missing) in WAL mode. Safe to share between threads.
std::unique_ptr<Store> open_sqlite(const std::string& path);
// PostgreSQL via libpq; `conninfo` as libpq takes it ("host=db port=5432 dbname=aif user=aif").
// Throws InputError when it cannot connect.
std::unique_ptr<Store> open_postgres(const std::string& conninfo);

// GPU-seconds of a job: the sum over its srun steps; the batch step counts only when the job
// ran no other step (its GPUs are the same ones the srun steps use).
// SQL and C++ (job_report.cpp) apply the same rule.

}  // namespace aif::collect

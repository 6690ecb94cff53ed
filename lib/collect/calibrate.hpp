// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory calibrate`: the (prediction, measured peak) pairs of completed jobs, grouped per
// framework profile and GPU, split deterministically into a fit part and a held-out part, and
// a site model (calc/site_model.hpp) fitted on the first and judged on the second.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "calc/site_model.hpp"
#include "collect/job_report.hpp"
#include "collect/store.hpp"

namespace aif::collect {

struct CalibrationJob {
    JobKey key;
    std::string profile, gpu;  // the prediction's profile= and gpu= (catalogue ids)
    calc::CalibrationSample sample;  // GiB per GPU, the site correction of the time divided out
};

// The job's pair, or nullopt with the reason in `why`: not completed, no measured GPU peak, a
// prediction job_submit did not sign, no activation/overhead components, no profile or GPU.
std::optional<CalibrationJob> calibration_job(const JobReport& r, std::string* why = nullptr);

struct Gathered {
    std::vector<CalibrationJob> jobs;
    std::vector<std::pair<std::string, std::int64_t>> skipped;  // reason, jobs
};
// Every job of the filter the store holds with a prediction and a measured peak (the newest
// f.limit), read through the same job reports the collector serves.
Gathered gather_calibration(Store& store, const JobFilter& f);

// The pairs as the collector serves them (GET /v1/aggregates/calibration) and as
// `aifactory calibrate --collector` reads them back (throws InputError when malformed).
std::string calibration_json(const Gathered& g);
Gathered calibration_from_json(const std::string& text);

// Deterministic split: a job is held out when the FNV-1a hash of "site/cluster/job_id" is 0 mod 4.
bool held_out(const JobKey& k);

struct GroupFit {
    std::string profile, gpu;
    int jobs = 0, fit_jobs = 0, held_jobs = 0;
    bool refused = false;
    std::string why;  // when refused
    calc::SiteCorrection correction;  // when not refused (held-out figures filled in)
};

// One GroupFit per (profile, gpu), sorted; groups with fewer than `min_jobs` jobs (or without a
// job on each side of the split) are refused. `model` gets the accepted ones.
std::vector<GroupFit> calibrate(const std::vector<CalibrationJob>& jobs, int min_jobs, calc::SiteModel& model);

}  // namespace aif::collect

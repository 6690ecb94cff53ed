// SPDX-License-Identifier: GPL-2.0-or-later
// JSON forms of the listings and aggregates served under /v1/ (one place, shared by the server
// and the tests).
#pragma once
#include <string>
#include <vector>

#include "collect/store.hpp"

namespace aif::collect {

std::string jobs_json(const std::vector<JobSummary>& jobs);
std::string gpu_hours_json(const std::vector<GpuHours>& rows);
std::string rejections_json(const std::vector<Rejection>& rows);

// Memory prediction error per job, (observed - predicted) / predicted, and its mean and mean
// absolute value over the jobs listed.
struct PredictionError {
    std::size_t jobs = 0;
    double mean_rel = 0, mean_abs_rel = 0;
};
PredictionError summarise(const std::vector<PredictionPair>& rows);
std::string prediction_error_json(const std::vector<PredictionPair>& rows);

}  // namespace aif::collect

// SPDX-License-Identifier: GPL-2.0-or-later
// The calculator's accuracy on the overview: median and p90 of measured / predicted GPU memory
// per GPU, per framework profile, overall and per month, from the jobs that have both (the
// prediction signed by job_submit). "n/a" where no job has them, never 0.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collect/store.hpp"

namespace aif::collect {

struct AccuracyRow {
    std::string profile;  // the prediction's profile=, "(not recorded)" for older job_submits
    std::string month;    // "2026-08", "" for the profile over the whole period
    std::int64_t jobs = 0;
    std::optional<double> median, p90;  // measured / predicted (nearest-rank p90)
};

// Over the newest `f.limit` jobs of the filter with a prediction and a measured peak; per
// profile, the whole period first, then its months in order.
std::vector<AccuracyRow> calculator_accuracy(Store& store, const JobFilter& f);

std::string accuracy_json(const std::vector<AccuracyRow>& rows);

// GET /v1/aggregates/accuracy and /v1/aggregates/calibration (collect/calibrate.hpp's pairs):
// the JSON body for `url`, nullopt for any other URL.
bool is_calculator_aggregate(const std::string& url);
std::optional<std::string> calculator_aggregate(Store& store, const JobFilter& f, const std::string& url);
std::string accuracy_html(const std::vector<AccuracyRow>& rows);  // a <h2> and a table

}  // namespace aif::collect

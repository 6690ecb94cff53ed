// SPDX-License-Identifier: GPL-2.0-or-later
// The merged per-job report: what was asked (training setup), what was predicted, what ran where
// (steps per node), what it cost (GPU-hours), the binding and the outcome. Built from the job's
// accounting records, whether they come from the collector's store or from a local outbox.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace aif::collect {

// `bodies`: the records' JSON texts (any order; duplicates of one record_id keep the highest
// version). Records of other jobs are ignored. Returns an object; "records" is 0 when none matched.
json::Ptr build_job_report(const std::vector<std::string>& bodies, const std::string& site,
                           const std::string& cluster, long long job_id);

// Plain-text summary for a terminal (fits 80 columns; memory in GiB).
std::string render_text(const json_t* report);

// Text for a terminal: control characters (C0 but newline, DEL, C1) become '?'.
std::string terminal_safe(std::string_view text);

}  // namespace aif::collect

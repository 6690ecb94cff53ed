// SPDX-License-Identifier: GPL-2.0-or-later
// HTML pages served by the collector: one per job and an overview. Self-contained: inline CSS
// and SVG, no scripts, no fonts, no external resources (the server's CSP forbids them anyway).
// Every value from a record is escaped. Numbers that tests compare with the API carry ids.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include <jansson.h>

#include "collect/job_report.hpp"
#include "collect/store.hpp"
#include "common/text.hpp"  // html_escape

namespace aif::collect {

std::string job_page(const JobReport& report);
// The pages' shared <head> and style, up to and including <body>.
std::string page_head(const std::string& title);
std::string overview_page(const std::string& viewer_site, const std::vector<JobSummary>& jobs,
                          const std::vector<GpuHours>& hours, const std::vector<Rejection>& rejections,
                          const std::vector<PredictionPair>& predictions);

}  // namespace aif::collect

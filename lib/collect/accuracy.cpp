// SPDX-License-Identifier: GPL-2.0-or-later
#include "collect/accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "collect/calibrate.hpp"
#include "collect/job_report.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::collect {

namespace {

AccuracyRow row_of(const std::string& profile, const std::string& month, std::vector<double> r) {
    AccuracyRow row{profile, month, static_cast<std::int64_t>(r.size()), std::nullopt, std::nullopt};
    if (r.empty()) return row;
    std::sort(r.begin(), r.end());
    const std::size_t n = r.size();
    row.median = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
    row.p90 = r[static_cast<std::size_t>(std::ceil(0.9 * n)) - 1];
    return row;
}

std::string na(const std::optional<double>& v) { return v ? fmt_fixed(*v, 3) : "n/a"; }

}  // namespace

std::vector<AccuracyRow> calculator_accuracy(Store& store, const JobFilter& f) {
    std::map<std::string, std::map<std::string, std::vector<double>>> by;  // profile → month → ratios
    for (const PredictionPair& pair : store.predictions(f)) {
        const JobReport r = build_job_report(store.job_records(pair.key), pair.key.site, pair.key.cluster, pair.key.job_id);
        if (!r.prediction || r.prediction_origin != "job_submit" || !r.usage.gpu_mem_measured_over_predicted) continue;
        std::string profile = "(not recorded)";
        for (const auto& [k, v] : r.prediction->extra)
            if (k == "profile") profile = v;
        const std::string month = r.outcome.end_time ? r.outcome.end_time->substr(0, 7) : "";
        by[profile][month].push_back(*r.usage.gpu_mem_measured_over_predicted);
    }
    std::vector<AccuracyRow> out;
    for (const auto& [profile, months] : by) {
        std::vector<double> all;
        for (const auto& [m, r] : months) all.insert(all.end(), r.begin(), r.end());
        out.push_back(row_of(profile, "", all));
        for (const auto& [m, r] : months)
            if (!m.empty()) out.push_back(row_of(profile, m, r));
    }
    return out;
}

std::string accuracy_json(const std::vector<AccuracyRow>& rows) {
    json::Ptr o(json_object());
    json_t* items = json_array();
    for (const auto& r : rows) {
        json_t* it = json_object();
        json_object_set_new(it, "profile", json_string(r.profile.c_str()));
        json_object_set_new(it, "month", r.month.empty() ? json_null() : json_string(r.month.c_str()));
        json_object_set_new(it, "jobs", json_integer(r.jobs));
        json_object_set_new(it, "measured_over_predicted_median", r.median ? json_real(*r.median) : json_null());
        json_object_set_new(it, "measured_over_predicted_p90", r.p90 ? json_real(*r.p90) : json_null());
        json_array_append_new(items, it);
    }
    json_object_set_new(o.get(), "items", items);
    return json::dump(o.get(), true) + "\n";
}

bool is_calculator_aggregate(const std::string& url) {
    return url == "/v1/aggregates/accuracy" || url == "/v1/aggregates/calibration";
}

std::optional<std::string> calculator_aggregate(Store& store, const JobFilter& f, const std::string& url) {
    if (url == "/v1/aggregates/accuracy") return accuracy_json(calculator_accuracy(store, f));
    if (url == "/v1/aggregates/calibration") return calibration_json(gather_calibration(store, f));
    return std::nullopt;
}

std::string accuracy_html(const std::vector<AccuracyRow>& rows) {
    std::string s = "<h2>Calculator accuracy</h2>\n<p class=\"muted\">Measured / predicted GPU memory per GPU (jobs "
                    "with a prediction signed by job_submit and a measured peak); 1.000 is exact, above 1 the job "
                    "needed more. Export: <a href=\"/v1/aggregates/accuracy\">JSON</a></p>\n"
                    "<table id=\"accuracy\"><tr><th>framework profile</th><th>month</th><th>jobs</th>"
                    "<th>median</th><th>p90</th></tr>\n";
    if (rows.empty()) s += "<tr><td colspan=\"5\" class=\"muted\">n/a: no job has both a prediction and a measured peak</td></tr>\n";
    for (const auto& r : rows)
        s += "<tr><td>" + html_escape(r.profile) + "</td><td>" + (r.month.empty() ? "all" : html_escape(r.month)) +
             "</td><td class=\"n\">" + std::to_string(r.jobs) + "</td><td class=\"n\">" + na(r.median) +
             "</td><td class=\"n\">" + na(r.p90) + "</td></tr>\n";
    return s + "</table>\n";
}

}  // namespace aif::collect

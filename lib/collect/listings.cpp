// SPDX-License-Identifier: GPL-2.0-or-later
// Listings and aggregates as JSON: {"items":[...]} with the filter's rows, newest first.
#include "collect/listings.hpp"

#include <cmath>

#include "collect/validate.hpp"
#include "common/json.hpp"

namespace aif::collect {
namespace {

double r4(double v) { return std::round(v * 1e4) / 1e4; }

std::string wrap(json_t* items) {
    json::Ptr o(json_object());
    json_object_set_new(o.get(), "count", json_integer(static_cast<json_int_t>(json_array_size(items))));
    json_object_set_new(o.get(), "items", items);
    return json::dump(o.get(), true) + "\n";
}

}  // namespace

std::string jobs_json(const std::vector<JobSummary>& jobs) {
    json_t* a = json_array();
    for (const auto& j : jobs) {
        json_t* o = json_object();
        json_object_set_new(o, "site", json_string(j.key.site.c_str()));
        json_object_set_new(o, "cluster", json_string(j.key.cluster.c_str()));
        json_object_set_new(o, "job_id", json_integer(j.key.job_id));
        json_object_set_new(o, "account", json_string(j.account.c_str()));
        json_object_set_new(o, "user", json_string(j.user.c_str()));
        json_object_set_new(o, "verdict", json_string(j.verdict.c_str()));
        json_object_set_new(o, "state", json_string(j.state.c_str()));
        json_object_set_new(o, "first_time", json_string(format_time(j.first_time).c_str()));
        json_object_set_new(o, "last_time", json_string(format_time(j.last_time).c_str()));
        json_object_set_new(o, "gpu_hours", json_real(r4(j.gpu_seconds / 3600)));
        json_object_set_new(o, "records", json_integer(j.records));
        json_array_append_new(a, o);
    }
    return wrap(a);
}

std::string gpu_hours_json(const std::vector<GpuHours>& rows) {
    json_t* a = json_array();
    for (const auto& g : rows) {
        json_t* o = json_object();
        json_object_set_new(o, "site", json_string(g.site.c_str()));
        json_object_set_new(o, "account", json_string(g.account.c_str()));
        json_object_set_new(o, "month", json_string(g.month.c_str()));
        json_object_set_new(o, "gpu_hours", json_real(r4(g.gpu_hours)));
        json_object_set_new(o, "jobs", json_integer(g.jobs));
        json_array_append_new(a, o);
    }
    return wrap(a);
}

std::string rejections_json(const std::vector<Rejection>& rows) {
    json_t* a = json_array();
    for (const auto& r : rows) {
        json_t* o = json_object();
        json_object_set_new(o, "site", json_string(r.site.c_str()));
        json_object_set_new(o, "reason", json_string(r.reason.c_str()));
        json_object_set_new(o, "count", json_integer(r.count));
        json_array_append_new(a, o);
    }
    return wrap(a);
}

PredictionError summarise(const std::vector<PredictionPair>& rows) {
    PredictionError e;
    for (const auto& p : rows) {
        if (!(p.predicted_gib > 0)) continue;
        double rel = (p.observed_gib - p.predicted_gib) / p.predicted_gib;
        e.mean_rel += rel;
        e.mean_abs_rel += std::fabs(rel);
        ++e.jobs;
    }
    if (e.jobs) {
        e.mean_rel /= static_cast<double>(e.jobs);
        e.mean_abs_rel /= static_cast<double>(e.jobs);
    }
    return e;
}

std::string prediction_error_json(const std::vector<PredictionPair>& rows) {
    json_t* a = json_array();
    for (const auto& p : rows) {
        if (!(p.predicted_gib > 0)) continue;
        json_t* o = json_object();
        json_object_set_new(o, "site", json_string(p.key.site.c_str()));
        json_object_set_new(o, "cluster", json_string(p.key.cluster.c_str()));
        json_object_set_new(o, "job_id", json_integer(p.key.job_id));
        json_object_set_new(o, "predicted_gib", json_real(r4(p.predicted_gib)));
        json_object_set_new(o, "observed_gib", json_real(r4(p.observed_gib)));
        json_object_set_new(o, "rel_error", json_real(r4((p.observed_gib - p.predicted_gib) / p.predicted_gib)));
        json_array_append_new(a, o);
    }
    PredictionError e = summarise(rows);
    json::Ptr o(json_object());
    json_object_set_new(o.get(), "jobs", json_integer(static_cast<json_int_t>(e.jobs)));
    json_object_set_new(o.get(), "mean_rel_error", json_real(r4(e.mean_rel)));
    json_object_set_new(o.get(), "mean_abs_rel_error", json_real(r4(e.mean_abs_rel)));
    json_object_set_new(o.get(), "items", a);
    return json::dump(o.get(), true) + "\n";
}

}  // namespace aif::collect

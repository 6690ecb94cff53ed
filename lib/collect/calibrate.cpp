// SPDX-License-Identifier: GPL-2.0-or-later
#include "collect/calibrate.hpp"

#include <cstdlib>
#include <map>

#include "common/error.hpp"
#include "common/json.hpp"

namespace aif::collect {

namespace {

std::string extra_of(const record::Prediction& p, const char* key) {
    for (const auto& [k, v] : p.extra)
        if (k == key) return v;
    return "";
}

// A site factor recorded with the prediction (1 when none, or not a sane number).
double factor_of(const record::Prediction& p, const char* key) {
    const std::string v = extra_of(p, key);
    if (v.empty()) return 1.0;
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    return end != v.c_str() && d >= 0.1 && d <= 10 ? d : 1.0;
}

}  // namespace

std::optional<CalibrationJob> calibration_job(const JobReport& r, std::string* why) {
    auto no = [&](const char* reason) -> std::optional<CalibrationJob> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (r.outcome.state != "COMPLETED") return no("not completed");
    if (!r.gpu_mem_peak_gib || *r.gpu_mem_peak_gib <= 0) return no("no measured GPU memory peak");
    if (!r.prediction || r.prediction_origin != "job_submit") return no("no prediction signed by job_submit");
    const record::Prediction& p = *r.prediction;
    CalibrationJob j;
    j.key = {r.site, r.cluster, r.job_id};
    j.profile = extra_of(p, "profile");
    j.gpu = extra_of(p, "gpu");
    if (j.profile.empty() || j.gpu.empty()) return no("prediction without profile= and gpu= (older job_submit)");
    bool act = false, ovh = false;
    for (const auto& [name, gib] : p.components) {
        if (name == "activations") j.sample.activations = gib, act = true;
        else if (name == "overhead") j.sample.overhead = gib, ovh = true;
        else j.sample.fixed += gib;
    }
    if (!act || !ovh) return no("prediction without activation and overhead components");
    // The components were recorded after the site's correction of the time: divide it out, so
    // that a new fit is relative to the calculator itself.
    j.sample.activations /= factor_of(p, "site_activations");
    j.sample.overhead /= factor_of(p, "site_overhead");
    j.sample.measured = *r.gpu_mem_peak_gib;
    return j;
}

Gathered gather_calibration(Store& store, const JobFilter& f) {
    Gathered g;
    std::map<std::string, std::int64_t> skipped;
    for (const PredictionPair& pair : store.predictions(f)) {
        JobReport r = build_job_report(store.job_records(pair.key), pair.key.site, pair.key.cluster, pair.key.job_id);
        std::string why;
        if (auto j = calibration_job(r, &why)) g.jobs.push_back(std::move(*j));
        else ++skipped[why];
    }
    g.skipped.assign(skipped.begin(), skipped.end());
    return g;
}

std::string calibration_json(const Gathered& g) {
    json::Ptr o(json_object());
    json_t* items = json_array();
    for (const auto& j : g.jobs)
        json_array_append_new(items, json_pack("{s:s,s:s,s:I,s:s,s:s,s:f,s:f,s:f,s:f}", "site", j.key.site.c_str(),
                                               "cluster", j.key.cluster.c_str(), "job_id", json_int_t(j.key.job_id),
                                               "profile", j.profile.c_str(), "gpu", j.gpu.c_str(), "fixed_gib",
                                               j.sample.fixed, "activations_gib", j.sample.activations,
                                               "overhead_gib", j.sample.overhead, "measured_gib", j.sample.measured));
    json_t* skipped = json_object();
    for (const auto& [why, n] : g.skipped) json_object_set_new(skipped, why.c_str(), json_integer(n));
    json_object_set_new(o.get(), "items", items);
    json_object_set_new(o.get(), "skipped", skipped);
    return json::dump(o.get(), true) + "\n";
}

Gathered calibration_from_json(const std::string& text) {
    json_error_t e;
    json::Ptr o(json_loads(text.c_str(), 0, &e));
    const json_t* items = json_object_get(o.get(), "items");
    if (!json_is_array(items)) throw InputError("collector reply: no 'items' list of calibration pairs");
    Gathered g;
    std::size_t i;
    json_t* v;
    json_array_foreach(items, i, v) {
        const std::string where = "collector reply item " + std::to_string(i);
        CalibrationJob j;
        auto text_of = [&](const char* k) {
            const char* s = json_string_value(json_object_get(v, k));
            if (!s) throw InputError(where + ": '" + k + "' is not a string");
            return std::string(s);
        };
        j.key = {text_of("site"), text_of("cluster"), json::require_integer(v, "job_id", where)};
        j.profile = text_of("profile"), j.gpu = text_of("gpu");
        j.sample.fixed = json::require_number(v, "fixed_gib", where);
        j.sample.activations = json::require_number(v, "activations_gib", where);
        j.sample.overhead = json::require_number(v, "overhead_gib", where);
        j.sample.measured = json::require_number(v, "measured_gib", where);
        g.jobs.push_back(std::move(j));
    }
    const char* why;
    json_t* n;
    json_object_foreach(json_object_get(o.get(), "skipped"), why, n) g.skipped.emplace_back(why, json_integer_value(n));
    return g;
}

bool held_out(const JobKey& k) {
    const std::string s = k.site + "/" + k.cluster + "/" + std::to_string(k.job_id);
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h % 4 == 0;
}

std::vector<GroupFit> calibrate(const std::vector<CalibrationJob>& jobs, int min_jobs, calc::SiteModel& model) {
    std::map<std::pair<std::string, std::string>, std::pair<std::vector<calc::CalibrationSample>, std::vector<calc::CalibrationSample>>> groups;
    for (const auto& j : jobs) {
        auto& [fit, held] = groups[{j.profile, j.gpu}];
        (held_out(j.key) ? held : fit).push_back(j.sample);
    }
    std::vector<GroupFit> out;
    for (const auto& [key, parts] : groups) {
        const auto& [fit, held] = parts;
        GroupFit g;
        g.profile = key.first, g.gpu = key.second;
        g.fit_jobs = static_cast<int>(fit.size()), g.held_jobs = static_cast<int>(held.size());
        g.jobs = g.fit_jobs + g.held_jobs;
        if (g.jobs < min_jobs) {
            g.refused = true;
            g.why = std::to_string(g.jobs) + " jobs, needs at least " + std::to_string(min_jobs) + " (--min-jobs)";
        } else if (fit.size() < 2 || held.empty()) {
            g.refused = true;
            g.why = "the split left " + std::to_string(fit.size()) + " jobs to fit and " + std::to_string(held.size()) +
                    " held out";
        } else {
            auto [a, o] = calc::fit_site_correction(fit);
            calc::SiteCorrection& c = g.correction;
            c.activations = a, c.overhead = o, c.jobs = g.fit_jobs, c.held_jobs = g.held_jobs;
            const calc::ErrorFigures before = calc::relative_errors(held, 1.0, 1.0), after = calc::relative_errors(held, a, o);
            c.held_median_before = before.median, c.held_p90_before = before.p90;
            c.held_median_after = after.median, c.held_p90_after = after.p90;
            model.set(g.profile, g.gpu, c);
        }
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace aif::collect

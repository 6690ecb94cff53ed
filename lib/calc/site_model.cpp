// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/site_model.hpp"

#include <algorithm>
#include <cmath>
#include <sys/stat.h>

#include "common/error.hpp"
#include "common/json.hpp"

namespace aif::calc {

SiteModel SiteModel::load(const std::string& path) {
    SiteModel m;
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) return m;
    json::Ptr root = json::load_file(path);
    const json_t* schema = json_object_get(root.get(), "schema");
    if (!json_is_string(schema) || std::string(json_string_value(schema)) != "aifactory-site-model/1")
        throw InputError(path + ": 'schema' must be \"aifactory-site-model/1\"");
    const json_t* list = json_object_get(root.get(), "corrections");
    if (!json_is_array(list)) throw InputError(path + ": missing array 'corrections'");
    std::size_t i;
    json_t* v;
    json_array_foreach(list, i, v) {
        const std::string where = path + " corrections[" + std::to_string(i) + "]";
        const json_t* profile = json_object_get(v, "profile");
        const json_t* gpu = json_object_get(v, "gpu");
        if (!json_is_string(profile) || !json_is_string(gpu))
            throw InputError(where + ": needs string members 'profile' and 'gpu'");
        SiteCorrection c;
        c.activations = json::require_number(v, "activations", where);
        c.overhead = json::require_number(v, "overhead", where);
        c.jobs = static_cast<int>(json::integer(v, "jobs", where).value_or(0));
        if (!(c.activations >= kMinActivationScale && c.activations <= kMaxActivationScale &&
              c.overhead >= kMinOverheadScale && c.overhead <= kMaxOverheadScale))
            throw InputError(where + ": activations must be in [0.5, 2] and overhead in [0.5, 3]");
        if (const json_t* h = json_object_get(v, "held_out"); json_is_object(h)) {
            c.held_jobs = static_cast<int>(json_integer_value(json_object_get(h, "jobs")));
            c.held_median_before = json_number_value(json_object_get(h, "median_before"));
            c.held_p90_before = json_number_value(json_object_get(h, "p90_before"));
            c.held_median_after = json_number_value(json_object_get(h, "median_after"));
            c.held_p90_after = json_number_value(json_object_get(h, "p90_after"));
        }
        m.set(json_string_value(profile), json_string_value(gpu), c);
    }
    return m;
}

const SiteCorrection* SiteModel::of(const std::string& profile, const std::string& gpu) const {
    auto it = entries_.find({profile, gpu});
    return it == entries_.end() ? nullptr : &it->second;
}

std::string SiteModel::to_json() const {
    json::Ptr root(json_object());
    json_object_set_new(root.get(), "schema", json_string("aifactory-site-model/1"));
    json_object_set_new(root.get(), "note",
                        json_string("Written by `aifactory calibrate`: per framework profile and GPU, multipliers "
                                    "on the predicted activation and overhead terms, least squares on the site's "
                                    "completed jobs. held_out: |predicted/measured - 1| on jobs the fit did not see, "
                                    "for information; the error bands are not changed."));
    json_t* list = json_array();
    auto r4 = [](double x) { return std::round(x * 1e4) / 1e4; };
    for (const auto& [key, c] : entries_) {
        json_t* held = json_pack("{s:i,s:f,s:f,s:f,s:f}", "jobs", c.held_jobs, "median_before", r4(c.held_median_before),
                                 "p90_before", r4(c.held_p90_before), "median_after", r4(c.held_median_after),
                                 "p90_after", r4(c.held_p90_after));
        json_array_append_new(list, json_pack("{s:s,s:s,s:f,s:f,s:i,s:o}", "profile", key.first.c_str(), "gpu",
                                              key.second.c_str(), "activations", r4(c.activations), "overhead",
                                              r4(c.overhead), "jobs", c.jobs, "held_out", held));
    }
    json_object_set_new(root.get(), "corrections", list);
    return json::dump(root.get(), true) + "\n";
}

Target with_site_model(Target t, const SiteModel* model, const TrainingSetup& s, const std::string& gpu_id) {
    if (model == nullptr) return t;
    if (const SiteCorrection* c = model->of(profile(s).id, gpu_id)) {
        t.activation_scale = c->activations;
        t.overhead_scale = c->overhead;
        t.site_jobs = c->jobs;
    }
    return t;
}

void apply_site_correction(MemoryBreakdown& m, const Target& t) {
    const double a = t.activation_scale, o = t.overhead_scale;
    if (a == 1.0 && o == 1.0) return;
    const double fragmentation = m.reserved - m.allocated;
    // Scaled activations may change which moment is the peak (calc/memory.cpp): the loss's again, or
    // a layer's backward after it, which holds more activations.
    const auto scaled = [&](const PeakLines& l) { return l.gradients + a * l.activations + l.logits + o * l.buffers; };
    if (m.moment != PeakMoment::Loss && scaled(m.at_loss) > scaled(m.lines())) {
        m.set_lines(m.at_loss);
        m.moment = PeakMoment::Loss;
    } else if (m.moment == PeakMoment::Loss && m.at_block.sum() > 0 && scaled(m.at_block) > scaled(m.lines())) {
        m.at_loss = m.lines();
        m.set_lines(m.at_block);
        m.moment = PeakMoment::BlockBackward;
    }
    m.activations *= a;
    m.buffers *= o;
    m.cuda_context *= o;
    m.comm *= o;
    m.allocated = m.weights + m.gradients + m.optimizer + m.activations + m.logits + m.buffers;
    m.reserved = m.allocated + o * fragmentation;
    m.total = m.reserved + m.cuda_context + m.comm;
}

std::pair<double, double> fit_site_correction(const std::vector<CalibrationSample>& fit) {
    double aa = 0, ao = 0, oo = 0, ay = 0, oy = 0;
    for (const auto& s : fit) {
        const double y = s.measured - s.fixed;
        aa += s.activations * s.activations, ao += s.activations * s.overhead, oo += s.overhead * s.overhead;
        ay += s.activations * y, oy += s.overhead * y;
    }
    auto clamp_a = [](double a) { return std::clamp(a, kMinActivationScale, kMaxActivationScale); };
    auto clamp_o = [](double o) { return std::clamp(o, kMinOverheadScale, kMaxOverheadScale); };
    const double det = aa * oo - ao * ao;
    double a = 1.0, o = 1.0;
    if (aa > 0 && oo > 0 && det > 1e-9 * aa * oo) {
        a = (ay * oo - oy * ao) / det;
        o = (oy * aa - ay * ao) / det;
    } else if (aa > 0) {  // overhead cannot be told apart: fit activations alone
        a = (ay - ao) / aa;
    } else if (oo > 0) {
        o = oy / oo;
    }
    // A clamped factor leaves the other free to absorb what it could not.
    if (a != clamp_a(a)) {
        a = clamp_a(a);
        if (oo > 0) o = (oy - a * ao) / oo;
    } else if (o != clamp_o(o)) {
        o = clamp_o(o);
        if (aa > 0) a = (ay - o * ao) / aa;
    }
    return {clamp_a(a), clamp_o(o)};
}

ErrorFigures relative_errors(const std::vector<CalibrationSample>& samples, double a, double o) {
    std::vector<double> e;
    e.reserve(samples.size());
    for (const auto& s : samples)
        if (s.measured > 0) e.push_back(std::fabs(s.corrected(a, o) / s.measured - 1.0));
    if (e.empty()) return {};
    std::sort(e.begin(), e.end());
    auto rank = [&](double q) { return e[std::min(e.size() - 1, static_cast<std::size_t>(std::ceil(q * e.size())) - (q > 0 ? 1 : 0))]; };
    const std::size_t n = e.size();
    ErrorFigures f;
    f.median = n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
    f.p90 = rank(0.9);
    return f;
}

}  // namespace aif::calc

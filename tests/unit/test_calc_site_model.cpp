// SPDX-License-Identifier: GPL-2.0-or-later
// The site model (calc/site_model.hpp): the least-squares fit of the activation and overhead
// multipliers, its clamps, how a correction changes a breakdown and a check, and the file.
#include <cmath>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "calc/check.hpp"
#include "calc/site_model.hpp"
#include "check_main.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "record/prediction.hpp"

using namespace aif;

// Jobs whose measured peak is fixed + a x activations + o x overhead exactly.
static std::vector<calc::CalibrationSample> samples(double a, double o, int n, double extra = 0) {
    std::vector<calc::CalibrationSample> v;
    for (int i = 0; i < n; ++i) {
        calc::CalibrationSample s;
        s.fixed = 10 + i % 7;
        s.activations = 5 + 3.0 * (i % 5);
        s.overhead = 2 + 0.5 * (i % 3);
        s.measured = s.fixed + a * s.activations + o * s.overhead + extra;
        v.push_back(s);
    }
    return v;
}

START_TEST(fit_recovers_the_true_multipliers) {
    auto [a, o] = calc::fit_site_correction(samples(0.8, 1.3, 40));
    ck_assert_double_eq_tol(a, 0.8, 1e-9);
    ck_assert_double_eq_tol(o, 1.3, 1e-9);
    // Errors: before, every job is off; after, none is.
    const auto s = samples(0.8, 1.3, 40);
    ck_assert(calc::relative_errors(s, 1, 1).median > 0.03);
    ck_assert_double_eq_tol(calc::relative_errors(s, a, o).p90, 0, 1e-9);
}
END_TEST

START_TEST(fit_clamps_and_refits_the_other_term) {
    // Activations really 0.1x: clamped to 0.5; overhead absorbs what it can, within its clamp.
    auto [a, o] = calc::fit_site_correction(samples(0.1, 1.0, 40));
    ck_assert_double_eq(a, calc::kMinActivationScale);
    ck_assert(o >= calc::kMinOverheadScale && o < 1.0);
    // Far too much memory: both at their upper bounds at most.
    auto [a2, o2] = calc::fit_site_correction(samples(5, 5, 40, 100));
    ck_assert(a2 <= calc::kMaxActivationScale && o2 <= calc::kMaxOverheadScale);
    // No overhead recorded: it stays 1 and activations are fitted alone.
    auto v = samples(0.9, 1.0, 20);
    for (auto& s : v) s.measured -= s.overhead, s.overhead = 0;
    auto [a3, o3] = calc::fit_site_correction(v);
    ck_assert_double_eq_tol(a3, 0.9, 1e-9);
    ck_assert_double_eq(o3, 1.0);
    auto [a4, o4] = calc::fit_site_correction({});
    ck_assert_double_eq(a4, 1.0);
    ck_assert_double_eq(o4, 1.0);
}
END_TEST

START_TEST(correction_scales_only_activations_and_overhead) {
    calc::MemoryBreakdown m;
    m.weights = 4, m.gradients = 4, m.optimizer = 8, m.activations = 10, m.logits = 2, m.buffers = 1;
    m.allocated = 29, m.reserved = 31, m.cuda_context = 0.5, m.comm = 0.5, m.total = 32;
    const double overhead = m.buffers + (m.reserved - m.allocated) + m.cuda_context + m.comm;  // as to_prediction
    calc::Target t;
    t.activation_scale = 0.8, t.overhead_scale = 1.5;
    calc::apply_site_correction(m, t);
    ck_assert_double_eq_tol(m.activations, 8, 1e-12);
    ck_assert_double_eq_tol(m.weights + m.optimizer + m.gradients + m.logits, 18, 1e-12);
    ck_assert_double_eq_tol(m.total, 18 + 8 + 1.5 * overhead, 1e-12);
    ck_assert_double_eq_tol(m.buffers + (m.reserved - m.allocated) + m.cuda_context + m.comm, 1.5 * overhead, 1e-12);
}
END_TEST

// A breakdown whose peak is the end of backward (gradients freed between steps) keeps the loss's
// lines: a site's activation scale that makes them the larger switches the moment back.
START_TEST(scaled_activations_can_make_the_loss_the_peak_again) {
    calc::MemoryBreakdown m;
    m.weights = 4, m.gradients = 10, m.optimizer = 8, m.activations = 1, m.logits = 0, m.buffers = 0;
    m.moment = calc::PeakMoment::BackwardEnd;
    m.at_loss = calc::PeakLines{1, 6, 2, 0};  // 9 < 11
    m.allocated = m.reserved = 23, m.total = 23;
    calc::Target t;
    t.activation_scale = 1.1;  // 1 + 6.6 + 2 = 9.6 < 10 + 1.1: unchanged
    calc::MemoryBreakdown same = m;
    calc::apply_site_correction(same, t);
    ck_assert(same.moment == calc::PeakMoment::BackwardEnd);
    ck_assert_double_eq_tol(same.gradients, 10, 1e-12);
    t.activation_scale = 1.5;  // 1 + 9 + 2 = 12 > 10 + 1.5: the loss's moment
    calc::apply_site_correction(m, t);
    ck_assert(m.moment == calc::PeakMoment::Loss);
    ck_assert_double_eq_tol(m.gradients, 1, 1e-12);
    ck_assert_double_eq_tol(m.activations, 9, 1e-12);
    ck_assert_double_eq_tol(m.allocated, 4 + 1 + 8 + 9 + 2, 1e-12);
}
END_TEST

// The loss's moment with a layer's backward after it close behind (torchtitan's chunked loss): a
// site's activation scale above 1 favours the backward, which holds more activations.
START_TEST(scaled_activations_can_make_a_layers_backward_the_peak) {
    calc::MemoryBreakdown m;
    m.weights = 4, m.gradients = 1, m.optimizer = 8, m.activations = 6, m.logits = 3, m.buffers = 2;
    m.at_block = calc::PeakLines{1, 8, 0, 2};  // 11 < 12
    m.allocated = m.reserved = 24, m.total = 24;
    calc::Target t;
    t.activation_scale = 1.1;  // 6.6 + 3 = 9.6 > 8.8: still the loss's
    calc::MemoryBreakdown same = m;
    calc::apply_site_correction(same, t);
    ck_assert(same.moment == calc::PeakMoment::Loss);
    t.activation_scale = 2;  // 12 + 3 < 16: the layer's backward
    calc::apply_site_correction(m, t);
    ck_assert(m.moment == calc::PeakMoment::BlockBackward);
    ck_assert_double_eq_tol(m.activations, 16, 1e-12);
    ck_assert_double_eq_tol(m.logits, 0, 1e-12);
    ck_assert_double_eq_tol(m.at_loss.logits, 3, 1e-12);
    ck_assert_double_eq_tol(m.allocated, 4 + 1 + 8 + 16 + 2, 1e-12);
}
END_TEST

START_TEST(file_round_trips_and_bad_files_name_themselves) {
    calc::SiteModel m;
    calc::SiteCorrection c;
    c.activations = 0.8123, c.overhead = 1.41, c.jobs = 143, c.held_jobs = 40, c.held_median_before = 0.12;
    m.set("torchtitan@2025.06", "nvidia-h100-sxm5-80gb", c);
    char dir[] = "/tmp/test_site_model.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const std::string path = std::string(dir) + "/site-model.json";
    ck_assert(write_file_atomic(path, m.to_json()));
    calc::SiteModel back = calc::SiteModel::load(path);
    const calc::SiteCorrection* got = back.of("torchtitan@2025.06", "nvidia-h100-sxm5-80gb");
    ck_assert_ptr_nonnull(got);
    ck_assert_double_eq_tol(got->activations, 0.8123, 1e-9);
    ck_assert_double_eq_tol(got->overhead, 1.41, 1e-9);
    ck_assert_int_eq(got->jobs, 143);
    ck_assert_int_eq(got->held_jobs, 40);
    ck_assert_ptr_null(back.of("torchtitan@2025.06", "nvidia-a100-sxm4-80gb"));
    ck_assert(calc::SiteModel::load(std::string(dir) + "/missing.json").empty());
    ck_assert(calc::SiteModel::load("").empty());
    ck_assert(write_file_atomic(path, R"({"schema":"aifactory-site-model/1","corrections":[{"profile":"hf@4.46","gpu":"g","activations":0.2,"overhead":1}]})"));
    ck_assert_input_error(calc::SiteModel::load(path), "corrections[0]: activations must be in [0.5, 2]");
    ck_assert(write_file_atomic(path, R"({"schema":"aifactory-bands/1","bands":{}})"));
    ck_assert_input_error(calc::SiteModel::load(path), "site-model.json: 'schema' must be");
    std::remove(path.c_str());
    rmdir(dir);
}
END_TEST

START_TEST(check_applies_the_site_correction_of_its_profile_and_gpu) {
    const auto models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    const auto hw = calc::HardwareCatalogue::load({calc::default_catalogue_path("hardware.json")});
    calc::JobSpec j;
    for (auto [k, v] : {std::pair{"model", "llama3.1-8b"}, {"layout", "tp=4"}, {"framework", "torchtitan@2025.06"}})
        calc::apply_option(j, k, v, "--llm-");
    calc::CheckRequest r;
    r.job = &j;
    r.partition = &hw.require_partition("leonardo-booster");
    r.gpus = 8;
    const calc::Estimate plain = calc::check_job(r, models, hw).estimate;
    calc::SiteModel m;
    calc::SiteCorrection c;
    c.activations = 0.5, c.overhead = 2.0, c.jobs = 50;
    m.set("torchtitan@2025.06", "nvidia-a100-sxm4-64gb", c);
    m.set("torchtitan@2025.06", "nvidia-h100-sxm5-80gb", {});  // another GPU: not this one's
    r.site_model = &m;
    const calc::Estimate cal = calc::check_job(r, models, hw).estimate;
    ck_assert_str_eq(hw.gpu_of(*r.partition).id, "nvidia-a100-sxm4-64gb");
    ck_assert_int_eq(cal.site_jobs, 50);
    ck_assert_double_eq_tol(cal.mem.activations, 0.5 * plain.mem.activations, 1e-6);
    ck_assert_double_eq_tol(cal.mem.weights, plain.mem.weights, 1e-6);
    // The prediction says which profile, GPU and correction it was computed with.
    const record::Prediction p = record::Prediction::decode(calc::prediction_kv(cal, "torchtitan@2025.06", "nvidia-a100-sxm4-64gb"));
    ck_assert_int_eq(p.extra.size(), 4);
    ck_assert_str_eq(p.extra[0].first + "=" + p.extra[0].second, "profile=torchtitan@2025.06");
    ck_assert_str_eq(p.extra[1].first + "=" + p.extra[1].second, "gpu=nvidia-a100-sxm4-64gb");
    ck_assert_str_eq(p.extra[2].first + "=" + p.extra[2].second, "site_activations=0.5000");
    ck_assert_str_eq(p.extra[3].first + "=" + p.extra[3].second, "site_overhead=2.0000");
    // Another profile on the same GPU: untouched.
    calc::apply_option(j, "framework", "megatron", "--llm-");
    r.site_model = &m;
    ck_assert_int_eq(calc::check_job(r, models, hw).estimate.site_jobs, 0);
}
END_TEST

int main() {
    Suite* s = suite_create("calc-site-model");
    TCase* tc = tcase_create("site-model");
    tcase_add_test(tc, fit_recovers_the_true_multipliers);
    tcase_add_test(tc, fit_clamps_and_refits_the_other_term);
    tcase_add_test(tc, correction_scales_only_activations_and_overhead);
    tcase_add_test(tc, scaled_activations_can_make_the_loss_the_peak_again);
    tcase_add_test(tc, scaled_activations_can_make_a_layers_backward_the_peak);
    tcase_add_test(tc, file_round_trips_and_bad_files_name_themselves);
    tcase_add_test(tc, check_applies_the_site_correction_of_its_profile_and_gpu);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

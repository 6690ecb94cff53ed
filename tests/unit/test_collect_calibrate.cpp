// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory calibrate` end to end below the command line: synthetic jobs whose measured peaks
// follow a known formula different from the calculator's (activations really 0.8x, overhead
// +2 GiB) go through the collector's ingest into a real store; the fit on three jobs in four
// must move the held-out quarter's predictions toward the truth. Too few jobs: refused.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "collect/accuracy.hpp"
#include "collect/calibrate.hpp"
#include "collect/server.hpp"
#include "check_main.hpp"
#include "collect_test_util.hpp"

namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

struct Synthetic {
    double weights, gradients, optimizer, activations, logits, overhead;
    double predicted() const { return weights + gradients + optimizer + activations + logits + overhead; }
    // The "real" formula: activations 0.8x, overhead 2 GiB more, and +-1 % of jitter.
    double measured(int i) const {
        const double jitter = 1.0 + 0.01 * ((i * 7919) % 21 - 10) / 10.0;
        return (weights + gradients + optimizer + logits + 0.8 * activations + overhead + 2.0) * jitter;
    }
};

Synthetic job_shape(int i) {
    return {2.0 + i % 9, 2.0 + i % 9, 4.0 + 2 * (i % 9), 6.0 + 3.0 * (i % 11), 1.0 + 0.5 * (i % 3), 3.0 + 0.4 * (i % 5)};
}

std::string num(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.2f", v);
    return b;
}

// The job's step record as a node sends it: the signed prediction job_submit attached (with its
// profile and GPU) and the sampler's measured peak.
std::string job_record(int n, int job, const std::string& profile, const Synthetic& s, double measured_gib,
                       const std::string& origin = "job_submit", const std::string& site_factors = "") {
    const std::string pred = "{\"verdict\":\"fits\",\"gib_per_gpu\":" + num(s.predicted()) +
                             ",\"mem_weights_gib\":" + num(s.weights) + ",\"mem_gradients_gib\":" + num(s.gradients) +
                             ",\"mem_optimizer_gib\":" + num(s.optimizer) + ",\"mem_activations_gib\":" + num(s.activations) +
                             ",\"mem_logits_gib\":" + num(s.logits) + ",\"mem_overhead_gib\":" + num(s.overhead) +
                             ",\"profile\":\"" + profile + "\",\"gpu\":\"nvidia-h100-sxm5-80gb\"" + site_factors + "}";
    const std::string extra = ",\"observed\":{\"gpu_mem_peak_bytes\":" +
                              std::to_string(static_cast<long long>(measured_gib * kGiB)) + "},\"prediction\":" + pred +
                              ",\"prediction_origin\":\"" + origin + "\"";
    return step(uuid(n), "0", "n1", job, 3600, "2026-08-20T08:00:00Z", "2026-08-20T09:00:00Z", extra);
}

void put(Store& s, const std::string& rec) {
    ServerConfig cfg;
    Reply r = ingest(s, Principal{"siteA"}, "{\"records\":[" + rec + "]}", cfg);
    ck_assert_msg(r.status == 200, "ingest: %d %s", r.status, r.body.c_str());
}

}  // namespace

START_TEST(held_out_error_drops_and_small_groups_are_refused) {
    const std::string dir = tmpdir();
    auto store = fresh_store(dir);
    int n = 1;
    for (int i = 0; i < 160; ++i) {
        const Synthetic s = job_shape(i);
        put(*store, job_record(n++, 1000 + i, "torchtitan@2025.06", s, s.measured(i)));
    }
    for (int i = 0; i < 12; ++i) {  // too few of this profile
        const Synthetic s = job_shape(i);
        put(*store, job_record(n++, 5000 + i, "megatron@core_r0.12", s, s.measured(i)));
    }
    // Not used: a failed job, and a prediction the user could have written.
    put(*store, failed(job_record(n++, 6000, "torchtitan@2025.06", job_shape(1), 99)));
    put(*store, job_record(n++, 6001, "torchtitan@2025.06", job_shape(2), 99, "user-declared"));

    JobFilter all;
    all.site = "siteA";
    all.limit = 100000;
    const Gathered g = calibration_from_json(calibration_json(gather_calibration(*store, all)));  // as served
    ck_assert_int_eq(g.jobs.size(), 172);
    ck_assert_int_eq(g.skipped.size(), 2);
    calc::SiteModel model;
    const auto fits = calibrate(g.jobs, 30, model);
    ck_assert_int_eq(fits.size(), 2);
    const GroupFit& mega = fits[0];
    ck_assert_str_eq(mega.profile, "megatron@core_r0.12");
    ck_assert(mega.refused);
    ck_assert_str_eq(mega.why, "12 jobs, needs at least 30 (--min-jobs)");
    ck_assert_ptr_null(model.of("megatron@core_r0.12", "nvidia-h100-sxm5-80gb"));

    const GroupFit& tt = fits[1];
    ck_assert(!tt.refused);
    ck_assert_int_eq(tt.jobs, 160);
    ck_assert(tt.held_jobs >= 25 && tt.held_jobs <= 55);  // about one in four, by hash
    const calc::SiteCorrection& c = tt.correction;
    std::printf("calibrate: activations x%.3f overhead x%.3f from %d jobs; held-out %d: median %.1f%% -> %.1f%%, "
                "p90 %.1f%% -> %.1f%%\n", c.activations, c.overhead, c.jobs, c.held_jobs, 100 * c.held_median_before,
                100 * c.held_median_after, 100 * c.held_p90_before, 100 * c.held_p90_after);
    ck_assert(c.activations < 0.95);  // the truth is 0.8x, with the +2 GiB partly on overhead
    ck_assert(c.overhead > 1.1);
    ck_assert(c.held_median_after < c.held_median_before / 2);
    ck_assert(c.held_p90_after < c.held_p90_before / 2);
    ck_assert(c.held_p90_after < 0.05);
    ck_assert_ptr_nonnull(model.of("torchtitan@2025.06", "nvidia-h100-sxm5-80gb"));

    // The same fit with a higher floor refuses everything, saying how many jobs each group has.
    calc::SiteModel none;
    const auto all_refused = calibrate(g.jobs, 500, none);
    ck_assert(none.empty());
    ck_assert_str_eq(all_refused[1].why, "160 jobs, needs at least 500 (--min-jobs)");
}
END_TEST

START_TEST(overview_accuracy_per_profile_and_month_or_na) {
    const std::string dir = tmpdir();
    auto store = fresh_store(dir);
    JobFilter f;
    f.limit = 1000;
    const std::string empty = accuracy_html(calculator_accuracy(*store, f));
    ck_assert(empty.find("n/a: no job has both") != std::string::npos);
    std::vector<double> ratios;
    for (int i = 0; i < 31; ++i) {
        const Synthetic s = job_shape(i);
        put(*store, job_record(i + 1, 100 + i, "torchtitan@2025.06", s, s.measured(i)));
        ratios.push_back(std::round(s.measured(i) * 1000) / 1000 / std::stod(num(s.predicted())));
    }
    put(*store, job_record(99, 999, "hf@4.46", job_shape(1), 99, "user-declared"));  // not counted
    std::sort(ratios.begin(), ratios.end());
    const auto rows = calculator_accuracy(*store, f);
    ck_assert_int_eq(rows.size(), 2);  // the whole period, then August 2026
    ck_assert_str_eq(rows[0].profile, "torchtitan@2025.06");
    ck_assert_str_eq(rows[0].month, "");
    ck_assert_str_eq(rows[1].month, "2026-08");
    ck_assert_int_eq(rows[0].jobs, 31);
    ck_assert_double_eq_tol(*rows[0].median, ratios[15], 2e-3);
    ck_assert_double_eq_tol(*rows[0].p90, ratios[27], 2e-3);  // nearest rank: ceil(0.9 x 31) = 28th
    const std::string html = accuracy_html(rows);
    ck_assert(html.find("<td>torchtitan@2025.06</td><td>all</td><td class=\"n\">31</td>") != std::string::npos);
    ck_assert(accuracy_json(rows).find("\"measured_over_predicted_median\"") != std::string::npos);
}
END_TEST

START_TEST(a_recorded_site_correction_is_divided_out) {
    const std::string dir = tmpdir();
    auto store = fresh_store(dir);
    Synthetic s = job_shape(3);
    Synthetic halved = s;
    halved.activations /= 2, halved.overhead *= 1.5;
    put(*store, job_record(1, 10, "hf@4.46", halved, 30, "job_submit", ",\"site_activations\":0.5,\"site_overhead\":1.5"));
    JobFilter all;
    all.limit = 10;
    const Gathered g = gather_calibration(*store, all);
    ck_assert_int_eq(g.jobs.size(), 1);
    ck_assert_double_eq_tol(g.jobs[0].sample.activations, s.activations, 0.011);
    ck_assert_double_eq_tol(g.jobs[0].sample.overhead, s.overhead, 0.011);
    ck_assert_double_eq_tol(g.jobs[0].sample.measured, 30, 1e-3);
}
END_TEST

START_TEST(split_is_deterministic) {
    int held = 0;
    for (int i = 0; i < 4000; ++i) {
        JobKey k{"siteA", "c1", i};
        ck_assert(held_out(k) == held_out(JobKey{"siteA", "c1", i}));
        held += held_out(k);
    }
    ck_assert(held > 850 && held < 1150);
}
END_TEST

int main() {
    Suite* s = suite_create("collect-calibrate");
    TCase* tc = tcase_create("calibrate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, held_out_error_drops_and_small_groups_are_refused);
    tcase_add_test(tc, a_recorded_site_correction_is_divided_out);
    tcase_add_test(tc, overview_accuracy_per_profile_and_month_or_na);
    tcase_add_test(tc, split_is_deterministic);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

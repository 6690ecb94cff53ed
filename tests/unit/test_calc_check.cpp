// SPDX-License-Identifier: GPL-2.0-or-later
// Job options, layout checks, the smallest-fit search, and the sbatch-time check (its wording is
// lib/site/wording, tested in test_site_decide).
#include <string>

#include "calc/check.hpp"
#include "calc/search.hpp"
#include "check_main.hpp"
#include "common/error.hpp"

using namespace aif;

struct Fixture {
    calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    calc::HardwareCatalogue hw = calc::HardwareCatalogue::load({calc::default_catalogue_path("hardware.json")});
};
static const Fixture& fx() {
    static Fixture f;
    return f;
}

static calc::JobSpec job(std::initializer_list<std::pair<const char*, const char*>> opts) {
    calc::JobSpec j;
    for (auto& [k, v] : opts) calc::apply_option(j, k, v, "--llm-");
    return j;
}

static calc::CheckOutcome check(const calc::JobSpec& j, const char* partition, int gpus, std::vector<const calc::Partition*> alts = {}) {
    calc::CheckRequest r;
    r.job = &j;
    r.partition = &fx().hw.require_partition(partition);
    r.gpus = gpus;
    r.alternatives = alts;
    for (auto* p : alts) r.alternative_names.push_back(p->id);
    return check_job(r, fx().models, fx().hw);
}

START_TEST(options_name_the_flag) {
    calc::JobSpec j;
    ck_assert_input_error(calc::apply_option(j, "mbs", "0", "--llm-"), "--llm-mbs: 0 is out of range");
    ck_assert_input_error(calc::apply_option(j, "zero", "4", "--llm-"), "--llm-zero: 4 is out of range (0..3)");
    ck_assert_input_error(calc::apply_option(j, "precision", "bf17", "--llm-"), "--llm-precision: 'bf17' is not one of bf16|fp16|fp32|fp8|mxfp8");
    ck_assert_input_error(calc::apply_option(j, "layout", "tp=4,pq=2", "--llm-"), "--llm-layout: unknown key 'pq'");
    ck_assert_input_error(calc::apply_option(j, "layout", "tp=-1", "--llm-"), "--llm-layout tp: -1 is out of range");
    ck_assert_input_error(calc::apply_option(j, "seq", "4k5", "--llm-"), "--llm-seq");
    ck_assert_input_error(calc::apply_option(j, "tokens", "lots", "--llm-"), "--llm-tokens: 'lots' is not a count");
    ck_assert_input_error(calc::apply_option(j, "recompte", "full", "--llm-"), "did you mean --llm-recompute?");
    ck_assert_input_error(calc::apply_option(j, "model", "", "--llm-"), "--llm-model: needs a value");
    calc::apply_option(j, "tokens", "2T", "--llm-");
    ck_assert_double_eq(j.setup.tokens, 2e12);
    calc::apply_option(j, "precision", "mxfp8", "--llm-");  // the sbatch/srun option's parser
    ck_assert(j.setup.precision == calc::Precision::MXFP8);
    calc::apply_option(j, "layout", "tp=4,pp=2,sp=on", "--llm-");
    ck_assert_int_eq(j.setup.layout.tp, 4);
    ck_assert_int_eq(j.setup.layout.pp, 2);
}
END_TEST

START_TEST(layout_errors_say_what_to_change) {
    const calc::Architecture& a = fx().models.require("llama3.1-70b").arch;
    calc::TrainingSetup s;
    s.layout.tp = 3;
    ck_assert_input_error(calc::check_layout(a, s, 6), "tp=3 does not divide the 64 attention heads; use tp in {1,2,4,8,16,32,64}");
    s.layout.tp = 4;
    s.layout.pp = 3;
    calc::check_layout(a, s, 12);  // 80 layers on 3 stages: 27, 27, 26 (issue 12: no divisibility error)
    s.layout.first = 30;
    s.layout.last = 60;
    ck_assert_input_error(calc::check_layout(a, s, 12), "first=30,last=60 leave -10 of the 80 layers for 1 other pipeline stages");
    s.layout.first = s.layout.last = 0;
    s.layout.pp = 1;
    s.layout.first = 4;
    ck_assert_input_error(calc::check_layout(a, s, 4), "first=/last= need pp > 1");
    s.layout.first = 0;
    s.layout.etp = 2;
    ck_assert_input_error(calc::check_layout(a, s, 4), "etp=2 needs a mixture-of-experts model");
    s.layout.etp = 0;
    s.layout.pp = 4;
    ck_assert_input_error(calc::check_layout(a, s, 24), "24 GPUs are not divisible by tp x pp x cp = 16");
    s.layout.pp = 1;
    s.gbs = 100;
    s.mbs = 3;
    ck_assert_input_error(calc::check_layout(a, s, 8), "global batch 100 is not a multiple of micro-batch 3 x 2");
    s.gbs = 0;
    s.layout.ep = 2;
    ck_assert_input_error(calc::check_layout(a, s, 8), "ep=2 needs a mixture-of-experts model");
}
END_TEST

START_TEST(search_finds_the_smallest_whole_node_fit) {
    const calc::Architecture& a = fx().models.require("llama3.1-70b").arch;
    const calc::Partition& p = fx().hw.require_partition("leonardo-booster");
    const calc::GpuModel& g = fx().hw.gpu_of(p);
    calc::TrainingSetup s;
    s.dist_opt = true;
    s.gbs = 512;
    calc::SearchResult r = smallest_fit(a, s, target_for(g, p.gpus_per_node, p.gpus_per_node));
    ck_assert(r.best.has_value());
    ck_assert(r.best->verdict != calc::Verdict::DoesNotFit);
    ck_assert_int_eq(r.best->gpus % p.gpus_per_node, 0);
    // One node fewer: no candidate layout fits.
    if (r.best->nodes > 1) {
        calc::Target fewer = target_for(g, p.gpus_per_node, (r.best->nodes - 1) * p.gpus_per_node);
        ck_assert(calc::fitting_layouts(a, s, fewer).empty());
    }
    // Ranked layouts all fit at that node count.
    for (const calc::Estimate& e : r.ranked) ck_assert_int_eq(e.gpus, r.best->gpus);
}
END_TEST

START_TEST(fitting_job_gets_a_one_line_prediction) {
    calc::JobSpec j = job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}, {"tokens", "100B"}, {"gbs", "256"}});
    calc::CheckOutcome o = check(j, "leonardo-booster", 8);
    ck_assert(o.estimate.verdict != calc::Verdict::DoesNotFit);
    ck_assert(o.estimate.train_hours > 0 && o.estimate.gpu_hours > 0);
    ck_assert(o.fixes.empty());
    std::string kv = calc::prediction_kv(o.estimate);
    ck_assert(kv.find("verdict=") == 0);
    ck_assert(kv.find(";gib_per_gpu=") != std::string::npos);
    ck_assert(kv.find(";train_hours=") != std::string::npos);
    // The components add up to the total (each rounded to 0.01 GiB).
    double sum = 0, total = 0;
    for (std::size_t pos = 0; pos < kv.size();) {
        std::size_t end = kv.find(';', pos);
        if (end == std::string::npos) end = kv.size();
        std::string item = kv.substr(pos, end - pos);
        std::size_t eq = item.find('=');
        std::string k = item.substr(0, eq);
        if (k == "gib_per_gpu") total = std::stod(item.substr(eq + 1));
        if (k.rfind("mem_", 0) == 0) sum += std::stod(item.substr(eq + 1));
        pos = end + 1;
    }
    ck_assert_double_eq_tol(sum, total, 0.04);
}
END_TEST

// The band decides: fits when its upper end fits, does not fit when even its lower end exceeds
// usable memory, may not fit in between; the edges themselves belong to the kinder verdict.
START_TEST(three_verdicts_at_the_band_edges) {
    const calc::Architecture& a = fx().models.require("llama3.1-8b").arch;
    calc::TrainingSetup s;
    s.layout.tp = 4;
    calc::Target t = target_for(fx().hw.require_gpu("nvidia-a100-sxm4-64gb"), 4, 4);
    t.band_lo = -0.10, t.band_hi = 0.05;  // predicted / measured - 1 in [-10 %, +5 %]
    const double need = calc::estimate(a, s, t).mem.total;
    const double hi = need / 0.90, lo = need / 1.05;  // what the job may really need
    auto verdict_at = [&](double usable) {
        t.memory_bytes = usable;
        return calc::estimate(a, s, t).verdict;
    };
    ck_assert(verdict_at(hi) == calc::Verdict::Fits);
    ck_assert(verdict_at(hi * 0.999) == calc::Verdict::MayNotFit);
    ck_assert(verdict_at(need) == calc::Verdict::MayNotFit);
    ck_assert(verdict_at(lo) == calc::Verdict::MayNotFit);
    ck_assert(verdict_at(lo * 0.999) == calc::Verdict::DoesNotFit);
    t.memory_bytes = need;
    calc::Estimate e = calc::estimate(a, s, t);
    ck_assert_double_eq_tol(e.total_lo, lo, 1);
    ck_assert_double_eq_tol(e.total_hi, hi, 1);
    ck_assert_str_eq(calc::name(e.verdict), "may-not-fit");
    // Without a band the estimate alone decides.
    t.band_lo = t.band_hi = 0;
    ck_assert(verdict_at(need) == calc::Verdict::Fits);
    ck_assert(verdict_at(need * 0.999) == calc::Verdict::DoesNotFit);
}
END_TEST

// A job that may not fit is checked for the smallest change that makes the band's upper end fit.
START_TEST(may_not_fit_comes_with_a_safe_fix) {
    calc::JobSpec j = job({{"model", "llama3.1-8b"}, {"layout", "tp=4"}, {"seq", "8192"}});
    const calc::Partition& part = fx().hw.require_partition("leonardo-booster");
    calc::BandTable bands;
    calc::Band b;
    b.lo = -0.20, b.hi = 0.20;
    bands.set(calc::profile(j.setup).id, b);
    // Find a micro-batch at which the estimate straddles usable memory.
    for (int mbs = 1; mbs <= 16; ++mbs) {
        j.setup.mbs = mbs;
        calc::CheckRequest r;
        r.job = &j;
        r.partition = &part;
        r.gpus = 4;
        r.bands = &bands;
        calc::CheckOutcome o = calc::check_job(r, fx().models, fx().hw);
        if (o.estimate.verdict != calc::Verdict::MayNotFit) continue;
        ck_assert(o.estimate.total_lo <= o.estimate.capacity && o.estimate.total_hi > o.estimate.capacity);
        ck_assert_int_ge(o.fixes.size(), 1);
        for (const auto& f : o.fixes) {
            ck_assert(f.estimate.verdict == calc::Verdict::Fits);
            ck_assert(f.estimate.total_hi <= f.estimate.capacity);
        }
        const record::Prediction p = calc::to_prediction(o.estimate);
        ck_assert_str_eq(p.verdict, "may-not-fit");
        ck_assert(p.gib_lo && p.gib_hi && *p.gib_lo < *p.gib_per_gpu && *p.gib_per_gpu < *p.gib_hi);
        return;
    }
    ck_abort_msg("no micro-batch of llama3.1-8b on 4 GPUs straddles usable memory");
}
END_TEST

// Applies one typed fix (its setup, on its partition and node count) and checks again.
static calc::CheckOutcome apply_fix(const calc::JobSpec& j, const calc::Fix& f, const char* partition, int gpus) {
    calc::JobSpec changed = j;
    changed.setup = f.setup;
    const char* part = f.kind == calc::Fix::Kind::Partition ? f.partition.c_str() : partition;
    if (f.kind == calc::Fix::Kind::Nodes || f.kind == calc::Fix::Kind::Partition)
        gpus = f.estimate.nodes * fx().hw.require_partition(part).gpus_per_node;
    return check(changed, part, gpus);
}

START_TEST(rejection_comes_with_typed_fixes_that_work) {
    calc::JobSpec j = job({{"model", "llama3.1-70b"}, {"layout", "tp=4,pp=4"}, {"gbs", "512"}});
    std::vector<const calc::Partition*> alts{&fx().hw.require_partition("alps-gh200")};
    calc::CheckOutcome o = check(j, "leonardo-booster", 32, alts);
    ck_assert(o.estimate.verdict == calc::Verdict::DoesNotFit);
    ck_assert_int_ge(o.fixes.size(), 2);
    // Every suggestion, applied, fits, and its estimate is the one the user is shown.
    for (const auto& f : o.fixes) {
        calc::CheckOutcome after = apply_fix(j, f, "leonardo-booster", 32);
        ck_assert_msg(after.estimate.verdict != calc::Verdict::DoesNotFit, "fix of kind %d does not fit", int(f.kind));
        ck_assert_double_eq_tol(after.estimate.mem.total, f.estimate.mem.total, 1e-6 * f.estimate.mem.total);
    }
    // The other partition is offered by its Slurm name.
    bool other = false;
    for (const auto& f : o.fixes) other |= f.kind == calc::Fix::Kind::Partition && f.partition == "alps-gh200";
    ck_assert(other);
}
END_TEST

START_TEST(unknown_model_in_a_job) {
    calc::JobSpec j = job({{"model", "llama-3.1-70"}});
    ck_assert_input_error(check(j, "leonardo-booster", 8), "unknown model 'llama-3.1-70' (closest: ");
}
END_TEST

// A job whose modes refuse one of the gentle changes (micro-batch 1 with --optim-in-bwd and a
// fixed global batch) still gets an answer: that change is skipped, the others are offered.
START_TEST(fixes_skip_changes_the_modes_refuse) {
    const calc::JobSpec j = job({{"model", "llama3.1-70b"}, {"layout", "tp=4"}, {"mbs", "2"}, {"gbs", "2"},
                                 {"master", "bf16"}, {"optim-in-bwd", "on"}});
    const calc::CheckOutcome out = check(j, "leonardo-booster", 4);
    ck_assert(out.estimate.verdict == calc::Verdict::DoesNotFit);
    for (const calc::Fix& f : out.fixes) {
        ck_assert(f.estimate.verdict == calc::Verdict::Fits);
        ck_assert(f.setup.gbs == 0 || f.setup.gbs == f.setup.mbs * f.estimate.dp);
    }
}
END_TEST

int main() {
    Suite* s = suite_create("calc-check");
    TCase* tc = tcase_create("check");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, options_name_the_flag);
    tcase_add_test(tc, layout_errors_say_what_to_change);
    tcase_add_test(tc, search_finds_the_smallest_whole_node_fit);
    tcase_add_test(tc, fitting_job_gets_a_one_line_prediction);
    tcase_add_test(tc, three_verdicts_at_the_band_edges);
    tcase_add_test(tc, may_not_fit_comes_with_a_safe_fix);
    tcase_add_test(tc, rejection_comes_with_typed_fixes_that_work);
    tcase_add_test(tc, unknown_model_in_a_job);
    tcase_add_test(tc, fixes_skip_changes_the_modes_refuse);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

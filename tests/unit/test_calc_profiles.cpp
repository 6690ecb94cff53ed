// SPDX-License-Identifier: GPL-2.0-or-later
// Versioned framework profiles (parsing, listing, what a version changes) and the error bands
// computed from validation residuals (rule, table, file round trip, the stored-band check).
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <unistd.h>

#include "calc/bands.hpp"
#include "calc/check.hpp"
#include "calc/job.hpp"
#include "calc/validation.hpp"
#include "check_main.hpp"
#include "common/files.hpp"

using namespace aif;

static std::string id_of(const char* spec) { return calc::parse_profile(spec, "--framework").id; }

START_TEST(bare_name_is_the_newest_and_a_version_the_newest_not_after_it) {
    ck_assert_str_eq(id_of("torchtitan"), "torchtitan@2025.06");
    ck_assert_str_eq(id_of("TorchTitan@2025.06"), "torchtitan@2025.06");
    ck_assert_str_eq(id_of("torchtitan@2024.12"), "torchtitan@2024.12");
    ck_assert_str_eq(id_of("torchtitan@2025.03"), "torchtitan@2024.12");  // before the compiled loss
    ck_assert_str_eq(id_of("torchtitan@2025.10"), "torchtitan@2025.06");
    ck_assert_str_eq(id_of("torchtitan@2024.01"), "torchtitan@2024.12");  // older than all: the oldest
    ck_assert_str_eq(id_of("megatron@core_r0.12"), "megatron@core_r0.12");
    ck_assert_str_eq(id_of("megatron"), "megatron@core_r0.12");
    ck_assert_str_eq(id_of("deepspeed@0.16.4"), "deepspeed@0.16");
    ck_assert_str_eq(id_of("hf@4.46"), "hf@4.46");
    ck_assert_str_eq(id_of("fsdp"), "fsdp@2.4");
    ck_assert_input_error(calc::parse_profile("jax@0.4", "--llm-framework"),
                          "--llm-framework: unknown framework 'jax' (use megatron@core_r0.12, ");
    ck_assert_input_error(calc::parse_profile("torchtitan@latest", "--framework"), "has no version number");
}
END_TEST

START_TEST(every_profile_says_what_it_models_and_where_from) {
    std::set<std::string> ids, families;
    for (const calc::FrameworkProfile& p : calc::framework_profiles()) {
        ck_assert_msg(ids.insert(p.id).second, "%s twice", p.id);
        families.insert(p.family);
        ck_assert(std::string(p.id).rfind(std::string(p.family) + "@", 0) == 0);
        ck_assert(*p.models && *p.source && *p.checked_on);
        if (*p.based_on) ck_assert_msg(ids.count(p.based_on), "%s is based on a later or unknown profile", p.id);
        ck_assert(p.logit_bytes > 0 && p.fragmentation >= 1 && p.activation_factor > 0);
    }
    for (const char* f : {"megatron", "torchtitan", "fsdp", "deepspeed", "hf"}) ck_assert(families.count(f));
    // The default setup (no --framework) is the newest Megatron profile.
    ck_assert_str_eq(calc::profile(calc::TrainingSetup{}).id, "megatron@core_r0.12");
}
END_TEST

// A newer torchtitan differs only in the loss (compiled: 2 + 2 bytes per logit instead of 10).
START_TEST(newer_torchtitan_changes_only_the_logits) {
    calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    calc::JobSpec old_job, new_job;
    for (calc::JobSpec* j : {&old_job, &new_job}) {
        calc::apply_option(*j, "model", "llama3.1-8b");
        calc::apply_option(*j, "fsdp", "");
        calc::apply_option(*j, "seq", "8192");
        calc::apply_option(*j, "mbs", "2");
    }
    calc::apply_option(old_job, "framework", "torchtitan@2024.12");
    calc::apply_option(new_job, "framework", "torchtitan");
    ck_assert(old_job.setup.profile_versioned && !new_job.setup.profile_versioned);
    ck_assert(old_job.setup.framework == calc::Framework::FSDP && new_job.setup.framework == calc::Framework::FSDP);
    const calc::Architecture a = calc::resolve_arch(old_job, models);
    const calc::ParamCount p = calc::count_params(a);
    calc::MemoryBreakdown o = calc::memory_only(a, p, old_job.setup, 8, 8);
    calc::MemoryBreakdown n = calc::memory_only(a, p, new_job.setup, 8, 8);
    ck_assert_double_eq_tol(n.logits / o.logits, 4.0 / 10.0, 1e-9);
    ck_assert_double_eq_tol(n.activations, o.activations, 1);
    ck_assert_double_eq_tol(n.optimizer, o.optimizer, 1);
    ck_assert(n.total < o.total);
}
END_TEST

START_TEST(band_is_the_residual_range_widened_to_three_percent) {
    calc::Band b = calc::band_from_residuals({-0.152, 0.044, -0.02});
    ck_assert_double_eq(b.lo, -0.152);
    ck_assert_double_eq(b.hi, 0.044);
    ck_assert_int_eq(b.cases, 3);
    b = calc::band_from_residuals({-0.01, 0.005});  // a tight spread still gets +-3 %
    ck_assert_double_eq(b.lo, -calc::kMinBand);
    ck_assert_double_eq(b.hi, calc::kMinBand);
    b = calc::band_from_residuals({0.08, 0.12});  // all over-predicted: lo still reaches -3 %
    ck_assert_double_eq(b.lo, -calc::kMinBand);
    ck_assert_double_eq(b.hi, 0.12);
    b = calc::band_from_residuals({});
    ck_assert_double_eq(b.lo, -calc::kDefaultBand);
    ck_assert_double_eq(b.hi, calc::kDefaultBand);
    ck_assert_int_eq(b.cases, 0);
    ck_assert_str_eq(calc::describe(calc::band_from_residuals({-0.071, 0.01})), "-7.1..+3.0%");
}
END_TEST

START_TEST(table_gives_own_then_base_then_default_band_and_round_trips) {
    calc::BandTable t;
    calc::Band b = calc::band_from_residuals({-0.15234, 0.04401});
    t.set("torchtitan@2024.12", b);
    const calc::FrameworkProfile& old_tt = calc::parse_profile("torchtitan@2024.12", "x");
    const calc::FrameworkProfile& new_tt = calc::parse_profile("torchtitan@2025.06", "x");
    const calc::FrameworkProfile& hf = calc::parse_profile("hf", "x");
    ck_assert_double_eq(t.of(old_tt).lo, -0.15234);
    ck_assert_double_eq(t.of(new_tt).hi, 0.04401);  // borrowed from the profile it is based on
    ck_assert_double_eq(t.of(hf).hi, calc::kDefaultBand);
    ck_assert_str_eq(t.of(hf).from, "default");

    char path[] = "/tmp/aif-bands-XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(write_file_atomic(path, t.to_json()));
    calc::BandTable back = calc::BandTable::load(path);
    // Rounded to 0.01 % outwards: a case on the edge stays inside.
    ck_assert_double_eq_tol(back.of(old_tt).lo, -0.1524, 1e-12);
    ck_assert_double_eq_tol(back.of(old_tt).hi, 0.0441, 1e-12);
    ck_assert_int_eq(back.of(old_tt).cases, 2);
    ck_assert(write_file_atomic(path, "{\"bands\": {\"megatron@core_r0.12\": {\"lo\": 0.02, \"hi\": 0.05}}}"));
    ck_assert_input_error(calc::BandTable::load(path), "lo must be in (-0.9, 0]");
    unlink(path);
    ck_assert(calc::BandTable::load(path).entries().empty());  // not installed: every profile the default
}
END_TEST

static calc::ValidationRow memory_row(const char* id, const char* profile, double error, const char* known = "") {
    calc::ValidationRow r;
    r.id = id;
    r.kind = "memory";
    r.profile = profile;
    r.error = error;
    r.band = 0.1;
    r.known_miss = known;
    r.status = std::fabs(error) <= 0.1 ? calc::ValidationRow::Status::Within : calc::ValidationRow::Status::Outside;
    return r;
}

// The stored band is checked; a known miss is left out of the band, never absorbed into it.
START_TEST(residuals_per_profile_against_the_stored_band) {
    std::vector<calc::ValidationRow> rows{memory_row("A", "megatron@core_r0.12", -0.05),
                                          memory_row("B", "megatron@core_r0.12", 0.02),
                                          memory_row("C", "megatron@core_r0.12", -0.30, "float8 not modelled"),
                                          memory_row("D", "deepspeed@0.16", 0.01)};
    calc::BandTable stored;
    stored.set("megatron@core_r0.12", calc::band_from_residuals({-0.04, 0.03}));
    auto prof = calc::profile_residuals(rows, stored);
    ck_assert_int_eq(prof.size(), 2);
    const calc::ProfileResiduals& m = prof[0];
    ck_assert_str_eq(m.profile, "megatron@core_r0.12");
    ck_assert_int_eq(m.residuals.size(), 2);
    ck_assert_int_eq(m.left_out.size(), 1);
    ck_assert_str_eq(m.left_out[0], "C");
    ck_assert_int_eq(m.outside.size(), 1);  // A at -5 % leaves the stored -4 % .. +3 %
    ck_assert_str_eq(m.outside[0], "A");
    ck_assert_double_eq_tol(m.median_abs, 0.035, 1e-12);
    ck_assert_double_eq_tol(m.max_abs, 0.05, 1e-12);
    ck_assert_double_eq(m.computed.lo, -0.05);
    ck_assert(prof[1].outside.empty());  // D inside the default +-10 %
    calc::BandTable written = calc::computed_bands(prof);
    ck_assert_double_eq(written.of(calc::parse_profile("megatron", "x")).lo, -0.05);
    ck_assert_double_eq(written.of(calc::parse_profile("deepspeed", "x")).hi, calc::kMinBand);
}
END_TEST

int main() {
    Suite* s = suite_create("calc-profiles");
    TCase* tc = tcase_create("profiles");
    tcase_add_test(tc, bare_name_is_the_newest_and_a_version_the_newest_not_after_it);
    tcase_add_test(tc, every_profile_says_what_it_models_and_where_from);
    tcase_add_test(tc, newer_torchtitan_changes_only_the_logits);
    tcase_add_test(tc, band_is_the_residual_range_widened_to_three_percent);
    tcase_add_test(tc, table_gives_own_then_base_then_default_band_and_round_trips);
    tcase_add_test(tc, residuals_per_profile_against_the_stored_band);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

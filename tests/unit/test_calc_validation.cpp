// SPDX-License-Identifier: GPL-2.0-or-later
// The published ground truth (etc/validation.json) stays within its bands.
#include <cstdio>

#include "calc/validation.hpp"
#include "check_main.hpp"

using namespace aif;

START_TEST(every_case_within_band_or_explained) {
    calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    calc::HardwareCatalogue hw = calc::HardwareCatalogue::load({calc::default_catalogue_path("hardware.json")});
    const calc::BandTable bands = calc::BandTable::load(calc::default_catalogue_path("bands.json"));
    auto rows = calc::run_validation(calc::default_catalogue_path("validation.json"), models, hw, &bands);
    int memory = 0, throughput = 0, verdict = 0, within = 0;
    for (const auto& r : rows) {
        std::printf("%-18s %-11s %-26s %-30s %+6.1f%%\n", r.id.c_str(), r.kind.c_str(), r.published.c_str(),
                    r.predicted.c_str(), r.error * 100);
        memory += r.kind == "memory";
        throughput += r.kind == "throughput";
        verdict += r.kind == "verdict";
        if (r.status == calc::ValidationRow::Status::Unreachable) {
            ck_assert_msg(!r.note.empty(), "%s: an unreachable case needs its reason", r.id.c_str());
            continue;
        }
        if (r.status == calc::ValidationRow::Status::Within) {
            ++within;
            ck_assert_msg(r.known_miss.empty(), "%s is within band now: drop its known_miss", r.id.c_str());
        } else {
            ck_assert_msg(!r.known_miss.empty(), "%s: %s predicted vs %s published, outside ±%.0f%%", r.id.c_str(),
                          r.predicted.c_str(), r.published.c_str(), r.band * 100);
        }
    }
    ck_assert_int_ge(memory, 12);
    ck_assert_int_ge(throughput, 8);
    ck_assert_int_ge(verdict, 4);
    ck_assert_int_ge(within, 24);
    // Every profile's cases stay inside the band shipped for it (etc/bands.json).
    for (const auto& p : calc::profile_residuals(rows, bands)) {
        std::printf("%-20s %zu cases, median %.1f%%, max %.1f%%, stored band %s\n", p.profile.c_str(), p.residuals.size(),
                    p.median_abs * 100, p.max_abs * 100, describe(p.stored).c_str());
        ck_assert_msg(p.outside.empty(), "%s: case %s leaves the stored band %s; regenerate etc/bands.json with "
                      "aifactory validate --write-bands", p.profile.c_str(), p.outside.front().c_str(),
                      describe(p.stored).c_str());
        ck_assert_msg(p.stored.cases > 0, "%s has cases but no stored band", p.profile.c_str());
    }
}
END_TEST

int main() {
    Suite* s = suite_create("calc-validation");
    TCase* tc = tcase_create("validation");
    tcase_add_test(tc, every_case_within_band_or_explained);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Published ground truth (etc/validation.json) against the calculator: one row per case.
#pragma once
#include <string>
#include <vector>

#include "calc/bands.hpp"
#include "calc/hardware.hpp"
#include "calc/models.hpp"

namespace aif::calc {

struct ValidationRow {
    enum class Status { Within, Outside, Unreachable };
    std::string id, kind, description, source, note;
    std::string profile;               // framework profile id of the case's options
    std::string known_miss;            // why a case outside its band is not fixed (empty: none)
    // Memory cases: "high" when the publication gives the whole configuration, "low" when a part
    // of it (world size, sequence length, ...) was inferred.
    std::string confidence;
    std::string published, predicted;  // with units, for display
    double error = 0;                  // predicted / published - 1 (memory and throughput)
    double band = 0;                   // allowed |error|
    Status status = Status::Unreachable;
    // Memory cases that name their GPU ("gpu"): a measured run worked there, so the verdict the
    // plugin would give it must not be does-not-fit (what enforce rejects). Empty: no GPU named.
    std::string verdict_on_gpu;
    bool rejects_a_run_that_worked = false;
    std::string known_rejection;  // why such a rejection is not fixed (empty: none; validate fails)
};

// `bands` (may be nullptr: none) give the verdict cases their band.
std::vector<ValidationRow> run_validation(const std::string& path, const ModelCatalogue& models,
                                          const HardwareCatalogue& hw, const BandTable* bands = nullptr);

// One framework profile's memory cases: what its band is computed from, and whether they stay
// inside the band stored for it. Every memory case counts in the figures (known misses too); the
// band comes from the high-confidence ones, and an unexplained miss is never absorbed into it.
struct ProfileResiduals {
    std::string profile;
    std::vector<double> residuals;      // every memory case of the profile
    std::vector<double> band_residuals; // the high-confidence ones: the band is computed from these
    std::vector<std::string> outside;   // high-confidence cases outside the stored band
    std::vector<std::string> known_misses;  // cases outside their tolerance with a recorded reason (counted)
    double median_abs = 0, max_abs = 0;
    std::size_t high_cases = 0;  // counted cases with confidence "high"
    double median_abs_high = 0;  // median |error| over those
    Band computed;  // band_from_residuals(band_residuals)
    Band stored;    // what the band table gives the profile now
};
std::vector<ProfileResiduals> profile_residuals(const std::vector<ValidationRow>& rows, const BandTable& stored);

// One framework's memory cases over all its versioned profiles (torchtitan@2024.12 ... @2026.06):
// the figures a site asks of the framework it runs, whatever the version. Families with one profile
// are their profile's row already; only those with cases in more than one profile are returned.
struct FamilyResiduals {
    std::string family;
    std::size_t profiles = 0, cases = 0, high_cases = 0;
    double median_abs = 0, max_abs = 0, median_abs_high = 0;
};
std::vector<FamilyResiduals> family_residuals(const std::vector<ProfileResiduals>& profiles);

// The table `--write-bands` writes: each profile with counted cases gets its computed band.
BandTable computed_bands(const std::vector<ProfileResiduals>& profiles);

}  // namespace aif::calc

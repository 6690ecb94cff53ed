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
    std::string published, predicted;  // with units, for display
    double error = 0;                  // predicted / published - 1 (memory and throughput)
    double band = 0;                   // allowed |error|
    Status status = Status::Unreachable;
};

// `bands` (may be nullptr: none) give the verdict cases their band.
std::vector<ValidationRow> run_validation(const std::string& path, const ModelCatalogue& models,
                                          const HardwareCatalogue& hw, const BandTable* bands = nullptr);

// One framework profile's memory cases: what its band is computed from, and whether they stay
// inside the band stored for it. Counted: memory cases within their own tolerance; a miss with a
// recorded reason is left out (and listed), an unexplained miss is never absorbed into a band.
struct ProfileResiduals {
    std::string profile;
    std::vector<double> residuals;      // counted cases
    std::vector<std::string> outside;   // counted cases outside the stored band
    std::vector<std::string> left_out;  // known misses, not counted
    double median_abs = 0, max_abs = 0;
    Band computed;  // band_from_residuals(residuals)
    Band stored;    // what the band table gives the profile now
};
std::vector<ProfileResiduals> profile_residuals(const std::vector<ValidationRow>& rows, const BandTable& stored);

// The table `--write-bands` writes: each profile with counted cases gets its computed band.
BandTable computed_bands(const std::vector<ProfileResiduals>& profiles);

}  // namespace aif::calc

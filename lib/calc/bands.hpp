// SPDX-License-Identifier: GPL-2.0-or-later
// Error bands of the framework profiles: the spread of the calculator's residuals on each
// profile's validation cases (etc/bands.json, written by `aifactory validate --write-bands`,
// never typed in). A prediction P then reads "the job needs between P/(1+hi) and P/(1+lo)".
#pragma once
#include <map>
#include <string>
#include <vector>

#include "calc/estimate.hpp"
#include "calc/profiles.hpp"

namespace aif::calc {

struct Band {
    double lo = 0, hi = 0;  // smallest and largest residual, predicted / measured - 1 (lo <= 0 <= hi)
    int cases = 0;          // memory cases behind it (0: the default band of an unvalidated profile)
    std::string from;       // profile id whose cases it comes from
};

// Every band is at least this wide on each side: a handful of cases understate the spread.
inline constexpr double kMinBand = 0.03;
// The band of a profile without cases of its own or of the one it is based on.
inline constexpr double kDefaultBand = 0.10;

// Fewer high-confidence cases than this leave a profile's band at least the default: the range of
// two or three residuals is narrower than the spread it samples (n cases bracket about
// (n-1)/(n+1) of it), and the band decides rejections under Policy=enforce.
inline constexpr int kMinCasesForOwnBand = 5;

// [min, max] of the residuals, widened to at least ±kMinBand. No residuals: the default band.
Band band_from_residuals(const std::vector<double>& residuals);
// The band `validate --write-bands` stores: band_from_residuals, widened to at least
// ±kDefaultBand while there are fewer than kMinCasesForOwnBand residuals.
Band band_from_cases(const std::vector<double>& residuals);

class BandTable {
public:
    // A missing file is an empty table (every profile then gets the default band); a malformed
    // one throws InputError naming it.
    static BandTable load(const std::string& path);
    // The profile's own band, else the band of the profile it is based on, else ±kDefaultBand.
    Band of(const FrameworkProfile& p) const;
    void set(const std::string& id, const Band& b) { bands_[id] = b; }
    const std::map<std::string, Band>& entries() const { return bands_; }
    std::string to_json() const;  // the file `load` reads

private:
    std::map<std::string, Band> bands_;
};

// `t` with the band of the profile `s` uses (no table: no band).
Target with_band(Target t, const BandTable* table, const TrainingSetup& s);

// "−4.9 … +3.0 %" style text of a band, ASCII: "-4.9..+3.0%".
std::string describe(const Band& b);

}  // namespace aif::calc

// SPDX-License-Identifier: GPL-2.0-or-later
// A site's calibration of the calculator (site-model.json, written by `aifactory calibrate`):
// per framework profile and GPU model, two multipliers on the activation and overhead terms
// fitted from the site's own completed jobs. Bands are not touched: they stay those of the
// validation cases (calc/bands.hpp). docs/calculator.md describes the fit and the file.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "calc/estimate.hpp"
#include "calc/profiles.hpp"

namespace aif::calc {

// Clamp ranges of the two multipliers: a fit outside them says the model is wrong for that
// group, which a scale factor should not paper over.
inline constexpr double kMinActivationScale = 0.5, kMaxActivationScale = 2.0;
inline constexpr double kMinOverheadScale = 0.5, kMaxOverheadScale = 3.0;

struct SiteCorrection {
    double activations = 1.0, overhead = 1.0;  // multipliers
    int jobs = 0;                              // jobs the fit used
    // For information only: held-out median/p90 of |predicted/measured - 1|, before and after.
    double held_median_before = 0, held_p90_before = 0, held_median_after = 0, held_p90_after = 0;
    int held_jobs = 0;
};

class SiteModel {
public:
    // A missing file (or an empty path) is an empty model; a malformed one throws InputError naming it.
    static SiteModel load(const std::string& path);
    // The correction of (profile id, GPU id), nullptr when the site has none.
    const SiteCorrection* of(const std::string& profile, const std::string& gpu) const;
    void set(const std::string& profile, const std::string& gpu, const SiteCorrection& c) { entries_[{profile, gpu}] = c; }
    const std::map<std::pair<std::string, std::string>, SiteCorrection>& entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }
    std::string to_json() const;  // the file `load` reads ("aifactory-site-model/1")

private:
    std::map<std::pair<std::string, std::string>, SiteCorrection> entries_;
};

// `t` with the site's correction for the profile `s` uses on GPU `gpu_id` (none: unchanged).
Target with_site_model(Target t, const SiteModel* model, const TrainingSetup& s, const std::string& gpu_id);

// Applies Target's multipliers to a breakdown in place: activations x a; buffers, fragmentation,
// CUDA context and comm buffers x o; allocated/reserved/total follow. No allocation.
void apply_site_correction(MemoryBreakdown& m, const Target& t);

// One calibration sample: a job's predicted components (GiB per GPU, as the calculator recorded
// them, before any site correction) and its measured peak per GPU.
struct CalibrationSample {
    double fixed = 0;        // weights + gradients + optimizer + logits
    double activations = 0;
    double overhead = 0;
    double measured = 0;
    double predicted() const { return fixed + activations + overhead; }
    double corrected(double a, double o) const { return fixed + a * activations + o * overhead; }
};

// Least squares on measured - fixed = a x activations + o x overhead (no intercept), a and o
// clamped to their ranges (the other refitted after a clamp). Degenerate input keeps 1.0.
std::pair<double, double> fit_site_correction(const std::vector<CalibrationSample>& fit);

// Median and p90 (nearest rank) of |value/measured - 1| over the samples with factors (a, o).
struct ErrorFigures {
    double median = 0, p90 = 0;
};
ErrorFigures relative_errors(const std::vector<CalibrationSample>& samples, double a, double o);

}  // namespace aif::calc

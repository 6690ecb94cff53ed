// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/bands.hpp"

#include <algorithm>
#include <cmath>
#include <sys/stat.h>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/text.hpp"

namespace aif::calc {

Band band_from_residuals(const std::vector<double>& r) {
    Band b;
    if (r.empty()) {
        b.lo = -kDefaultBand, b.hi = kDefaultBand;
        return b;
    }
    const auto [lo, hi] = std::minmax_element(r.begin(), r.end());
    b.lo = std::min(*lo, -kMinBand);
    b.hi = std::max(*hi, kMinBand);
    b.cases = static_cast<int>(r.size());
    return b;
}

Band band_from_cases(const std::vector<double>& r) {
    Band b = band_from_residuals(r);
    if (b.cases < kMinCasesForOwnBand) {
        b.lo = std::min(b.lo, -kDefaultBand);
        b.hi = std::max(b.hi, kDefaultBand);
    }
    return b;
}

BandTable BandTable::load(const std::string& path) {
    BandTable t;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return t;
    json::Ptr root = json::load_file(path);
    const json_t* bands = json_object_get(root.get(), "bands");
    if (!json_is_object(bands)) throw InputError(path + ": missing object 'bands'");
    const char* id;
    json_t* v;
    json_object_foreach(const_cast<json_t*>(bands), id, v) {
        const std::string where = path + " band " + id;
        Band b;
        b.lo = json::require_number(v, "lo", where);
        b.hi = json::require_number(v, "hi", where);
        b.cases = static_cast<int>(json::integer(v, "cases", where).value_or(0));
        b.from = id;
        if (!(b.lo <= 0 && b.hi >= 0 && b.lo > -0.9 && b.hi < 9))
            throw InputError(where + ": lo must be in (-0.9, 0] and hi in [0, 9)");
        t.bands_[id] = b;
    }
    return t;
}

Band BandTable::of(const FrameworkProfile& p) const {
    if (auto it = bands_.find(p.id); it != bands_.end()) return it->second;
    if (*p.based_on)
        if (auto it = bands_.find(p.based_on); it != bands_.end()) return it->second;
    Band b = band_from_residuals({});
    b.from = "default";
    return b;
}

std::string BandTable::to_json() const {
    json::Ptr root(json_object());
    json_object_set_new(root.get(), "schema", json_string("aifactory-bands/1"));
    json_object_set_new(root.get(), "note",
                        json_string("Written by `aifactory validate --write-bands` from the residuals of each "
                                    "profile's memory cases in validation.json; do not edit by hand. "
                                    "Band = [min, max] of predicted/measured - 1 over the high-confidence cases, at least +-3% "
                                    "each side, and at least +-10% with fewer than 5 cases."));
    json_t* bands = json_object();
    for (const auto& [id, b] : bands_) {  // rounded outwards: every case stays inside
        json_object_set_new(bands, id.c_str(),
                            json_pack("{s:f,s:f,s:i}", "lo", std::floor(b.lo * 1e4) / 1e4, "hi",
                                      std::ceil(b.hi * 1e4) / 1e4, "cases", b.cases));
    }
    json_object_set_new(root.get(), "bands", bands);
    return json::dump(root.get(), true) + "\n";
}

Target with_band(Target t, const BandTable* table, const TrainingSetup& s) {
    if (table == nullptr) return t;
    const Band b = table->of(profile(s));
    t.band_lo = b.lo;
    t.band_hi = b.hi;
    return t;
}

std::string describe(const Band& b) {
    return (b.lo < 0 ? "" : "+") + fmt_fixed(b.lo * 100, 1) + ".." + (b.hi < 0 ? "" : "+") + fmt_fixed(b.hi * 100, 1) + "%";
}

}  // namespace aif::calc

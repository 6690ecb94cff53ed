// SPDX-License-Identifier: GPL-2.0-or-later
#include "catalogues.hpp"

namespace aif::cli {

Catalogues load_catalogues(const std::vector<std::string>& extra_models,
                           const std::vector<std::string>& extra_hardware) {
    std::vector<std::string> m{calc::default_catalogue_path("models.json")};
    m.insert(m.end(), extra_models.begin(), extra_models.end());
    std::vector<std::string> h{calc::default_catalogue_path("hardware.json")};
    h.insert(h.end(), extra_hardware.begin(), extra_hardware.end());
    return {calc::ModelCatalogue::load(m), calc::HardwareCatalogue::load(h),
            calc::BandTable::load(calc::default_catalogue_path("bands.json"))};
}

}  // namespace aif::cli

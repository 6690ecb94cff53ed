// SPDX-License-Identifier: GPL-2.0-or-later
#include "catalogues.hpp"

#include <cstdlib>

#include "common/wire_names.hpp"
#include "site/site_config.hpp"

namespace aif::cli {

namespace {

// The site model file the CLI applies: the one given, else the operators' aifactory.conf's.
std::string site_model_path(const std::string& given) {
    if (!given.empty()) return given;
    const char* conf = std::getenv(names::kConfEnv);
    if (conf == nullptr || *conf == '\0') return "";
    return site::load_site_config(conf).site_model_file;
}

}  // namespace

Catalogues load_catalogues(const std::vector<std::string>& extra_models,
                           const std::vector<std::string>& extra_hardware, const std::string& site_model) {
    std::vector<std::string> m{calc::default_catalogue_path("models.json")};
    m.insert(m.end(), extra_models.begin(), extra_models.end());
    std::vector<std::string> h{calc::default_catalogue_path("hardware.json")};
    h.insert(h.end(), extra_hardware.begin(), extra_hardware.end());
    return {calc::ModelCatalogue::load(m), calc::HardwareCatalogue::load(h),
            calc::BandTable::load(calc::default_catalogue_path("bands.json")),
            calc::SiteModel::load(site_model_path(site_model))};
}

}  // namespace aif::cli

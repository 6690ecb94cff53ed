// SPDX-License-Identifier: GPL-2.0-or-later
// Loading the shipped catalogues plus any --models/--hardware files named on the command line.
#pragma once
#include <string>
#include <vector>

#include "calc/bands.hpp"
#include "calc/hardware.hpp"
#include "calc/models.hpp"
#include "calc/site_model.hpp"

namespace aif::cli {

struct Catalogues {
    calc::ModelCatalogue models;
    calc::HardwareCatalogue hardware;
    calc::BandTable bands;  // the profiles' error bands (bands.json; empty when not installed)
    calc::SiteModel site_model;  // the site's calibration (--site-model, else $AIFACTORY_CONF's SiteModel=)
};

// `site_model`: a site model file; "" means the SiteModel= of the aifactory.conf named by
// $AIFACTORY_CONF, if set (a missing file is no correction).
Catalogues load_catalogues(const std::vector<std::string>& extra_models,
                           const std::vector<std::string>& extra_hardware, const std::string& site_model = "");

}  // namespace aif::cli

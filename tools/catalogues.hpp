// SPDX-License-Identifier: GPL-2.0-or-later
// Loading the shipped catalogues plus any --models/--hardware files named on the command line.
#pragma once
#include <string>
#include <vector>

#include "calc/bands.hpp"
#include "calc/hardware.hpp"
#include "calc/models.hpp"

namespace aif::cli {

struct Catalogues {
    calc::ModelCatalogue models;
    calc::HardwareCatalogue hardware;
    calc::BandTable bands;  // the profiles' error bands (bands.json; empty when not installed)
};

Catalogues load_catalogues(const std::vector<std::string>& extra_models,
                           const std::vector<std::string>& extra_hardware);

}  // namespace aif::cli

// SPDX-License-Identifier: GPL-2.0-or-later
// Published ground truth (etc/validation.json) against the calculator: one row per case.
#pragma once
#include <string>
#include <vector>

#include "calc/hardware.hpp"
#include "calc/models.hpp"

namespace aif::calc {

struct ValidationRow {
    enum class Status { Within, Outside, Unreachable };
    std::string id, kind, description, source, note;
    std::string known_miss;            // why a case outside its band is not fixed (empty: none)
    std::string published, predicted;  // with units, for display
    double error = 0;                  // predicted / published - 1 (memory and throughput)
    double band = 0;                   // allowed |error|
    Status status = Status::Unreachable;
};

std::vector<ValidationRow> run_validation(const std::string& path, const ModelCatalogue& models,
                                          const HardwareCatalogue& hw);

}  // namespace aif::calc

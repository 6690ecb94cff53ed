// SPDX-License-Identifier: GPL-2.0-or-later
// A picture of a plan: packages, NUMA nodes and their cores, GPUs and NICs beside the node
// they hang off, all coloured by the rank that uses them (grey: unused).
#pragma once
#include <string>

#include "topo/planner.hpp"

namespace aif::topo {

std::string render_svg(const Topology& topo, const Plan& plan);

}  // namespace aif::topo

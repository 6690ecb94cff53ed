// SPDX-License-Identifier: GPL-2.0-or-later
// A picture of a plan: packages, NUMA nodes and their cores, GPUs and NICs beside the node
// they hang off, all coloured by the rank that uses them (grey: unused), with rank numbers, a
// legend, and any warning (plan warnings, uneven NUMA split) at the top.
#pragma once
#include <string>

#include "topo/planner.hpp"

namespace aif::topo {

std::string render_svg(const Topology& topo, const Plan& plan);

// A distinct colour per rank: a 12-colour palette, then golden-angle hues; grey for -1.
std::string rank_colour(int rank);

}  // namespace aif::topo

// SPDX-License-Identifier: GPL-2.0-or-later
// How a plan's ranks fall over the NUMA nodes, and a warning when the split is uneven although
// the step's GPUs (or, without GPUs, its cores) would allow an even one: e.g. 12 ranks on 8 GPUs
// dealt 2,2,2,2,1,1,1,1 put 4, 4, 2 and 2 ranks on the four NUMA nodes of an MI250X node.
#pragma once
#include <optional>
#include <string>

#include "topo/planner.hpp"

namespace aif::topo {

// The Topology::numas index a rank lives on: its first GPU's locality, else its first core's.
int rank_numa(const Topology& topo, const TaskPlan& task);

// One line (no "warning: " prefix), or nothing when the split is even or cannot be.
std::optional<std::string> numa_balance_warning(const Topology& topo, const Plan& plan);

}  // namespace aif::topo

// SPDX-License-Identifier: GPL-2.0-or-later
// Reads a loaded hwloc topology into the plain structs of topology.hpp. Inside lib/topo only:
// the rest of the code never sees hwloc.
#pragma once
#ifdef AIF_PLUGIN
#error "hwloc_reader.hpp is internal to lib/topo: include topo/topo.hpp"
#endif
#include <hwloc.h>

#include <string>

#include "topo/topology.hpp"

namespace aif::topo {

// Cores, CPU-bearing NUMA nodes, GPUs, NICs and GPU-NIC distances; `source` names the topology
// in errors (InputError when it has no cores).
Topology read_topology(hwloc_topology_t t, const std::string& source);

}  // namespace aif::topo

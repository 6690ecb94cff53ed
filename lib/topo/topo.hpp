// SPDX-License-Identifier: GPL-2.0-or-later
// Public header of the topology library (libaiftopo): the topology model, the binding planner, its environment and the SVG view.
// Other components include this header only; the rest of lib/topo/ is its own.
#pragma once

#include "topo/bind_env.hpp"
#include "topo/planner.hpp"
#include "topo/render_svg.hpp"
#include "topo/topology.hpp"

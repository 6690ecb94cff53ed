// SPDX-License-Identifier: GPL-2.0-or-later
// SVG rendering of a binding plan (see render_svg.hpp). Plain text output, no dependencies.
#include "topo/render_svg.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "common/text.hpp"

namespace aif::topo {

namespace {

const char* colour(int rank) {
    static const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                    "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#d37295", "#a0cbe8"};
    return rank < 0 ? "#dddddd" : palette[rank % 12];
}

}  // namespace

std::string render_svg(const Topology& topo, const Plan& plan) {
    std::vector<int> core_rank(topo.cores.size(), -1), gpu_rank(topo.gpus.size(), -1), nic_rank(topo.nics.size(), -1);
    for (const auto& t : plan.tasks) {
        for (int c : t.cores) core_rank[static_cast<std::size_t>(c)] = t.rank;
        for (int g : t.gpus)
            if (gpu_rank[static_cast<std::size_t>(g)] < 0) gpu_rank[static_cast<std::size_t>(g)] = t.rank;
        if (t.nic >= 0 && nic_rank[static_cast<std::size_t>(t.nic)] < 0) nic_rank[static_cast<std::size_t>(t.nic)] = t.rank;
    }
    // Devices are drawn beside the NUMA node holding the first core of their locality.
    auto home = [&](const std::vector<int>& cores) {
        return cores.empty() ? -1 : topo.cores[static_cast<std::size_t>(cores.front())].numa;
    };
    const int cell = 14, per_row = 16, row_gap = 34, dev_w = 120, left = 20;
    std::ostringstream body;
    int y = 40;
    for (int pkg = 0; pkg < topo.packages; ++pkg) {
        int pkg_top = y;
        y += 24;
        for (std::size_t n = 0; n < topo.numas.size(); ++n) {
            const auto& numa = topo.numas[n];
            if (numa.cores.empty() || topo.cores[static_cast<std::size_t>(numa.cores.front())].package != pkg) continue;
            int rows = static_cast<int>((numa.cores.size() + per_row - 1) / per_row);
            int devices = 0;
            for (std::size_t g = 0; g < topo.gpus.size(); ++g) devices += home(topo.gpus[g].cores) == static_cast<int>(n);
            for (std::size_t k = 0; k < topo.nics.size(); ++k)
                devices += home(topo.nics[k].cores) == static_cast<int>(n) && is_fabric(topo.nics[k]);
            int h = std::max(rows * cell + 28, devices * 20 + 28);
            body << "<rect x='" << left + 10 << "' y='" << y << "' width='" << per_row * cell + 30 + 2 * dev_w
                 << "' height='" << h << "' fill='#f7f7f7' stroke='#999'/>\n";
            body << "<text x='" << left + 16 << "' y='" << y + 14 << "'>NUMA " << numa.os_index << "</text>\n";
            for (std::size_t i = 0; i < numa.cores.size(); ++i) {
                int c = numa.cores[i];
                int cx = left + 16 + static_cast<int>(i % per_row) * cell, cy = y + 20 + static_cast<int>(i / per_row) * cell;
                body << "<rect x='" << cx << "' y='" << cy << "' width='" << cell - 2 << "' height='" << cell - 2
                     << "' fill='" << colour(core_rank[static_cast<std::size_t>(c)]) << "'><title>core L#" << c
                     << " PU " << topo.cores[static_cast<std::size_t>(c)].pus.front() << "</title></rect>\n";
            }
            int dy = y + 20, dx = left + 24 + per_row * cell;
            for (std::size_t g = 0; g < topo.gpus.size(); ++g) {
                if (home(topo.gpus[g].cores) != static_cast<int>(n)) continue;
                body << "<rect x='" << dx << "' y='" << dy << "' width='" << dev_w - 6 << "' height='16' fill='"
                     << colour(gpu_rank[g]) << "'/><text x='" << dx + 4 << "' y='" << dy + 12 << "'>GPU "
                     << html_escape(topo.gpus[g].name) << "</text>\n";
                dy += 20;
            }
            for (std::size_t k = 0; k < topo.nics.size(); ++k) {
                if (home(topo.nics[k].cores) != static_cast<int>(n) || !is_fabric(topo.nics[k])) continue;
                body << "<rect x='" << dx << "' y='" << dy << "' width='" << dev_w - 6 << "' height='16' fill='"
                     << colour(nic_rank[k]) << "' stroke='#333' stroke-dasharray='3,2'/><text x='" << dx + 4 << "' y='"
                     << dy + 12 << "'>NIC " << html_escape(topo.nics[k].name) << "</text>\n";
                dy += 20;
            }
            y += h + 8;
        }
        body << "<rect x='" << left << "' y='" << pkg_top << "' width='" << per_row * cell + 50 + 2 * dev_w
             << "' height='" << y - pkg_top << "' fill='none' stroke='#333'/>\n";
        body << "<text x='" << left + 6 << "' y='" << pkg_top + 16 << "'>Package " << pkg << "</text>\n";
        y += row_gap - 20;
    }
    int width = per_row * cell + 80 + 2 * dev_w;
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << y + 10
        << "' font-family='sans-serif' font-size='11'>\n"
        << "<text x='" << left << "' y='20' font-size='13'>" << html_escape(topo.source) << ": " << plan.tasks.size()
        << " task(s), policy " << policy_name(plan.policy) << "</text>\n"
        << body.str() << "</svg>\n";
    return svg.str();
}

}  // namespace aif::topo

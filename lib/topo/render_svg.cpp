// SPDX-License-Identifier: GPL-2.0-or-later
// SVG rendering of a binding plan (see render_svg.hpp). Plain text output, no dependencies.
#include "topo/render_svg.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/text.hpp"
#include "topo/plan_balance.hpp"

namespace aif::topo {

std::string rank_colour(int rank) {
    static const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                    "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#d37295", "#a0cbe8"};
    if (rank < 0) return "#dddddd";
    if (rank < 12) return palette[rank];
    // Beyond the palette: step the hue by the golden angle (never the same hue twice within a
    // node's ranks) and alternate the lightness so neighbours differ in two ways.
    const int r = rank - 12;
    char buf[48];
    std::snprintf(buf, sizeof buf, "hsl(%.1f,65%%,%d%%)", (r * 137.508) - 360.0 * static_cast<int>(r * 137.508 / 360.0),
                  r % 2 ? 72 : 55);
    return buf;
}

namespace {

const int cell = 14, per_row = 16, dev_w = 120, left = 20, seg_room = 110;

// A device's name box, then one small coloured box per rank that uses it, with the rank number.
void draw_device(std::ostringstream& out, const char* kind, const std::string& name, const std::vector<int>& ranks,
                 int x, int y) {
    const bool nic = kind[0] == 'N';
    out << "<rect x='" << x << "' y='" << y << "' width='" << dev_w - 6 << "' height='16' fill='"
        << rank_colour(ranks.empty() ? -1 : ranks.front()) << "'" << (nic ? " stroke='#333' stroke-dasharray='3,2'" : "")
        << "/><text x='" << x + 4 << "' y='" << y + 12 << "'>" << kind << " " << html_escape(name) << "</text>\n";
    const int w = std::max(6, std::min(20, seg_room / std::max<int>(1, static_cast<int>(ranks.size()))));
    int sx = x + dev_w;
    for (int r : ranks) {
        out << "<g class='" << (nic ? "nic" : "gpu") << "' data-rank='" << r << "'><rect x='" << sx << "' y='" << y
            << "' width='" << w - 2 << "' height='16' fill='" << rank_colour(r) << "'"
            << (nic ? " stroke='#333' stroke-dasharray='3,2'" : "") << "><title>" << kind << " " << html_escape(name)
            << ": rank " << r << "</title></rect>";
        if (w >= 14) out << "<text x='" << sx + 2 << "' y='" << y + 12 << "' font-size='9'>" << r << "</text>";
        out << "</g>\n";
        sx += w;
    }
}

}  // namespace

std::string render_svg(const Topology& topo, const Plan& plan) {
    std::vector<int> core_rank(topo.cores.size(), -1);
    std::vector<std::vector<int>> gpu_ranks(topo.gpus.size()), nic_ranks(topo.nics.size());
    for (const auto& t : plan.tasks) {
        for (int c : t.cores) core_rank[static_cast<std::size_t>(c)] = t.rank;
        for (int g : t.gpus) gpu_ranks[static_cast<std::size_t>(g)].push_back(t.rank);
        if (t.nic >= 0) nic_ranks[static_cast<std::size_t>(t.nic)].push_back(t.rank);
    }
    // Devices are drawn beside the NUMA node holding the first core of their locality.
    auto home = [&](const std::vector<int>& cores) {
        return cores.empty() ? -1 : topo.cores[static_cast<std::size_t>(cores.front())].numa;
    };
    std::vector<std::string> warnings = plan.warnings;
    if (auto w = numa_balance_warning(topo, plan)) warnings.push_back(*w);
    const int row_gap = 34, width = per_row * cell + 80 + 2 * dev_w;
    std::ostringstream body;
    int y = 40 + 16 * static_cast<int>(warnings.size());
    for (std::size_t i = 0; i < warnings.size(); ++i)
        body << "<text class='warning' x='" << left << "' y='" << 38 + 16 * static_cast<int>(i) << "' fill='#b00000'>warning: "
             << html_escape(warnings[i]) << "</text>\n";
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
            int last = -2;  // the rank number goes on the first core of each run of a rank's cores
            for (std::size_t i = 0; i < numa.cores.size(); ++i) {
                int c = numa.cores[i], r = core_rank[static_cast<std::size_t>(c)];
                int cx = left + 16 + static_cast<int>(i % per_row) * cell, cy = y + 20 + static_cast<int>(i / per_row) * cell;
                body << "<rect x='" << cx << "' y='" << cy << "' width='" << cell - 2 << "' height='" << cell - 2
                     << "' fill='" << rank_colour(r) << "'><title>core L#" << c << " PU "
                     << topo.cores[static_cast<std::size_t>(c)].pus.front();
                if (r >= 0) body << ": rank " << r;
                body << "</title></rect>\n";
                if (r >= 0 && r != last)
                    body << "<text class='core-rank' x='" << cx + 1 << "' y='" << cy + 10 << "' font-size='8'>" << r
                         << "</text>\n";
                last = r;
            }
            int dy = y + 20, dx = left + 24 + per_row * cell;
            for (std::size_t g = 0; g < topo.gpus.size(); ++g) {
                if (home(topo.gpus[g].cores) != static_cast<int>(n)) continue;
                draw_device(body, "GPU", topo.gpus[g].name, gpu_ranks[g], dx, dy);
                dy += 20;
            }
            for (std::size_t k = 0; k < topo.nics.size(); ++k) {
                if (home(topo.nics[k].cores) != static_cast<int>(n) || !is_fabric(topo.nics[k])) continue;
                draw_device(body, "NIC", topo.nics[k].name, nic_ranks[k], dx, dy);
                dy += 20;
            }
            y += h + 8;
        }
        body << "<rect x='" << left << "' y='" << pkg_top << "' width='" << per_row * cell + 50 + 2 * dev_w
             << "' height='" << y - pkg_top << "' fill='none' stroke='#333'/>\n";
        body << "<text x='" << left + 6 << "' y='" << pkg_top + 16 << "'>Package " << pkg << "</text>\n";
        y += row_gap - 20;
    }
    // Legend: what the marks mean, then one line per rank with what it got.
    y += 10;
    body << "<text x='" << left << "' y='" << y << "' font-size='12'>Legend</text>\n";
    auto entry = [&](const std::string& colour, const std::string& text, const char* extra, int rank) {
        y += 16;
        body << "<g class='legend'" << (rank >= 0 ? " data-rank='" + std::to_string(rank) + "'" : std::string()) << "><rect x='"
             << left << "' y='" << y - 11 << "' width='12' height='12' fill='" << colour << "'" << extra << "/><text x='"
             << left + 18 << "' y='" << y << "'>" << html_escape(text) << "</text></g>\n";
    };
    entry(rank_colour(-1), "unused", "", -1);
    entry("#ffffff", "NIC (dashed outline); small boxes beside a GPU or NIC: the ranks using it", " stroke='#333' stroke-dasharray='3,2'", -1);
    for (const auto& t : plan.tasks) {
        std::string what = "rank " + std::to_string(t.rank) + ":";
        if (!t.gpus.empty()) {
            what += " GPU";
            for (int g : t.gpus) what += " " + topo.gpus[static_cast<std::size_t>(g)].name;
        }
        if (t.nic >= 0) what += ", NIC " + topo.nics[static_cast<std::size_t>(t.nic)].name;
        if (!t.numa.empty()) what += ", NUMA " + format_list(t.numa);
        what += ", CPUs " + (t.cpus.empty() ? std::string("any") : format_list(t.cpus));
        entry(rank_colour(t.rank), what, "", t.rank);
    }
    std::ostringstream svg;
    svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << y + 14
        << "' font-family='sans-serif' font-size='11'>\n"
        << "<text x='" << left << "' y='20' font-size='13'>" << html_escape(topo.source) << ": " << plan.tasks.size()
        << " task(s), policy " << policy_name(plan.policy) << "</text>\n"
        << body.str() << "</svg>\n";
    return svg.str();
}

}  // namespace aif::topo

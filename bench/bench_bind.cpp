// SPDX-License-Identifier: GPL-2.0-or-later
// Binding planner cost: time to plan every task of a node, on the six real topologies and the synthetic 288-core GH200, against
// the time to load the same topology from XML (the per-step baseline the plugin pays anyway)
// and, for this machine, live discovery vs the cached XML the plugin reads in slurmstepd.
// Target: planning on the largest topology <= 1 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "topo/planner.hpp"
#include "topo/topology.hpp"
#include "../tests/unit/topology_files.hpp"  // the real nodes' XML live outside the tree

using namespace aif::topo;
using Clock = std::chrono::steady_clock;

template <class F>
double median_us(int runs, F&& f) {
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
        auto a = Clock::now();
        f();
        t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int main() {
    const char* xmls[] = {"mpibind_eas-tioga.xml", "prrte_turin-4gpu-nvml.xml", "flux-core_ipa20.xml",
                          "flux-core_tuo.CPX.xml", "mpibind_coral-lassen.xml", "mpibind_epyc-corona.xml",
                          "synthetic_gh200.xml"};
    std::printf("%-28s %5s %5s %6s %12s %12s %12s %8s\n", "topology", "cores", "gpus", "tasks", "xml load us",
                "plan us", "spread us", "plan/load");
    double worst = 0;
    for (const char* x : xmls) {
        std::string path = topology_file(x);
        struct stat st {};
        if (path.empty() || stat(path.c_str(), &st) != 0) {
            std::printf("%-28s skipped: not found (set AIF_SRCDIR or AIF_TOPOLOGIES)\n", x);
            continue;
        }
        double load = median_us(9, [&] { Machine::from_xml(path); });
        Machine m = Machine::from_xml(path);
        const Topology& t = m.topology();
        for (int tasks : {static_cast<int>(t.gpus.size()), 2 * static_cast<int>(t.gpus.size())}) {
            PlanRequest req;
            req.tasks = tasks;
            double plan = median_us(201, [&] { make_plan(t, req); });
            req.policy = Policy::spread;
            double spread = median_us(201, [&] { make_plan(t, req); });
            worst = std::max({worst, plan, spread});
            std::printf("%-28s %5zu %5zu %6d %12.0f %12.1f %12.1f %7.3f%%\n", x, t.cores.size(), t.gpus.size(), tasks,
                        load, plan, spread, 100.0 * plan / load);
        }
    }
    std::printf("slowest plan: %.1f us (target <= 1000 us): %s\n", worst, worst <= 1000 ? "met" : "NOT MET");

    // Why slurmd caches the topology: live discovery vs loading the cached XML.
    std::string cache = "/tmp/bench_bind_topology." + std::to_string(getpid()) + ".xml";
    double live = median_us(5, [] { Machine::discover(); });
    Machine::discover().export_xml(cache);
    double cached = median_us(9, [&] { Machine::from_xml(cache); });
    std::remove(cache.c_str());
    std::printf("this machine: live discovery %.0f us, cached XML %.0f us (%.1fx faster)\n", live, cached,
                live / cached);
    return worst <= 1000 ? 0 : 1;
}

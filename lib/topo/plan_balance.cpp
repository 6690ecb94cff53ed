// SPDX-License-Identifier: GPL-2.0-or-later
// Ranks per NUMA node (see plan_balance.hpp).
#include "topo/plan_balance.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace aif::topo {

int rank_numa(const Topology& topo, const TaskPlan& task) {
    if (!task.gpus.empty()) {
        const auto& cores = topo.gpus[static_cast<std::size_t>(task.gpus.front())].cores;
        if (!cores.empty()) return topo.cores[static_cast<std::size_t>(cores.front())].numa;
    }
    return task.cores.empty() ? -1 : topo.cores[static_cast<std::size_t>(task.cores.front())].numa;
}

std::optional<std::string> numa_balance_warning(const Topology& topo, const Plan& plan) {
    const std::size_t T = plan.tasks.size();
    if (T < 2 || plan.policy == Policy::none) return std::nullopt;
    // Every GPU the step allows serves some rank, so the plan's GPUs are the step's GPUs.
    std::set<int> gpus;
    for (const auto& t : plan.tasks) gpus.insert(t.gpus.begin(), t.gpus.end());
    // How many ranks each NUMA node could hold: per GPU ceil(T/G) ranks (at least one GPU each
    // when there are more GPUs than ranks); without GPUs, one per core the step uses there.
    std::map<int, std::size_t> capacity, ranks;
    if (!gpus.empty()) {
        const std::size_t per_gpu = T >= gpus.size() ? (T + gpus.size() - 1) / gpus.size() : 1;
        for (int g : gpus) {
            const auto& cores = topo.gpus[static_cast<std::size_t>(g)].cores;
            if (!cores.empty()) capacity[topo.cores[static_cast<std::size_t>(cores.front())].numa] += per_gpu;
        }
    } else {
        for (const auto& t : plan.tasks)
            for (int c : t.cores) ++capacity[topo.cores[static_cast<std::size_t>(c)].numa];
    }
    if (capacity.size() < 2) return std::nullopt;
    for (const auto& [n, cap] : capacity) ranks[n] = 0;
    for (const auto& t : plan.tasks) ++ranks[rank_numa(topo, t)];
    std::size_t most = 0, least = T;
    for (const auto& [n, k] : ranks) most = std::max(most, k), least = std::min(least, k);
    if (most - least <= 1) return std::nullopt;
    // An even split gives each node lo or hi ranks: possible when every node holds lo and the
    // nodes together hold T with at most hi each.
    const std::size_t D = capacity.size(), lo = T / D, hi = (T + D - 1) / D;
    std::size_t room = 0;
    for (const auto& [n, cap] : capacity) {
        if (cap < lo) return std::nullopt;
        room += std::min(cap, hi);
    }
    if (room < T) return std::nullopt;
    std::string counts, nodes;
    for (const auto& [n, k] : ranks) {
        counts += (counts.empty() ? "" : ", ") + std::to_string(k);
        nodes += (nodes.empty() ? "" : ", ") +
                 (n >= 0 ? std::to_string(topo.numas[static_cast<std::size_t>(n)].os_index) : std::string("?"));
    }
    std::string even = lo == hi ? std::to_string(lo) : std::to_string(lo) + " or " + std::to_string(hi);
    std::string msg = "ranks split unevenly over NUMA nodes: " + counts + " on NUMA " + nodes + ", though the step's " +
                      (gpus.empty() ? "cores" : "GPUs") + " allow " + even + " on each";
    if (!gpus.empty()) msg += "; a multiple of " + std::to_string(gpus.size()) + " tasks (the GPU count) splits evenly";
    return msg;
}

}  // namespace aif::topo

// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the topology tests (test_topo_*.cpp): the test topologies, loaded once per process
// (SKIP when a file is absent), small lookups, and the invariants every plan must satisfy.
#pragma once
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "topo/planner.hpp"
#include "topo/topology.hpp"

#include <check.h>  // last: it defines a fail() macro
#include "check_main.hpp"  // ck_assert_str_eq that is safe with temporaries
#include "topology_files.hpp"

namespace topo_test {

using namespace aif::topo;

const char* const xmls[] = {"mpibind_eas-tioga.xml", "prrte_turin-4gpu-nvml.xml", "flux-core_ipa20.xml",
                            "flux-core_tuo.CPX.xml", "mpibind_coral-lassen.xml", "mpibind_epyc-corona.xml",
                            "synthetic_gh200.xml"};
const int n_xmls = 7;

inline std::map<std::string, Machine>& cache() {
    static std::map<std::string, Machine> m;
    return m;
}

// The topology, or nullptr after saying SKIP when its file is not there.
inline const Topology* load_or_skip(const std::string& name, const char* test) {
    auto it = cache().find(name);
    if (it == cache().end()) {
        std::string path = topology_file(name);
        struct stat st {};
        if (path.empty() || stat(path.c_str(), &st) != 0) {
            std::printf("SKIP %s: %s not found (%s; set AIF_SRCDIR, or AIF_TOPOLOGIES to the directory)\n", test,
                        name.c_str(), path.empty() ? "AIF_SRCDIR is not set" : path.c_str());
            return nullptr;
        }
        it = cache().emplace(name, Machine::from_xml(path)).first;
    }
    return &it->second.topology();
}

// Declares `const Topology& var`, or ends the test (passing, with a SKIP line) without its file.
#define LOAD_OR_SKIP(var, name)                                      \
    const Topology* var##_ptr = load_or_skip(name, __func__);        \
    if (!var##_ptr) return;                                          \
    const Topology& var = *var##_ptr

inline const Gpu& gpu_named(const Topology& t, const std::string& name) {
    for (const auto& g : t.gpus)
        if (g.name == name) return g;
    ck_abort_msg("no GPU %s", name.c_str());
    return t.gpus.front();
}

inline int nic_index(const Topology& t, const std::string& name) {
    for (std::size_t i = 0; i < t.nics.size(); ++i)
        if (t.nics[i].name == name) return static_cast<int>(i);
    ck_abort_msg("no NIC %s", name.c_str());
    return -1;
}

// OS PU indexes → logical core indexes (the first PU of each core identifies it).
inline std::vector<int> first_pus(const Topology& t, const std::vector<int>& cores) {
    std::vector<int> out;
    for (int c : cores) out.push_back(t.cores[static_cast<std::size_t>(c)].pus.front());
    std::sort(out.begin(), out.end());
    return out;
}

inline std::vector<int> range(int lo, int hi) {
    std::vector<int> v;
    for (int i = lo; i <= hi; ++i) v.push_back(i);
    return v;
}

inline int numa_of_gpu(const Topology& t, const Gpu& g) {
    std::set<int> n;
    for (int c : g.cores) n.insert(t.numas[static_cast<std::size_t>(t.cores[static_cast<std::size_t>(c)].numa)].os_index);
    ck_assert_int_eq(n.size(), 1);
    return *n.begin();
}

// The invariants every plan must satisfy.
inline void check_invariants(const Topology& t, const PlanRequest& req, const Plan& p, const std::string& what) {
    const char* w = what.c_str();
    ck_assert_msg(p.tasks.size() == static_cast<std::size_t>(req.tasks), "%s: task count", w);
    std::set<int> allowed_cores;
    if (req.cores)
        allowed_cores.insert(req.cores->begin(), req.cores->end());
    else
        for (std::size_t c = 0; c < t.cores.size(); ++c) allowed_cores.insert(static_cast<int>(c));
    std::set<int> allowed_gpus;
    for (std::size_t g = 0; g < t.gpus.size(); ++g)
        if (!req.gpus || std::count(req.gpus->begin(), req.gpus->end(), t.gpus[g].index))
            allowed_gpus.insert(static_cast<int>(g));
    std::size_t G = allowed_gpus.size(), T = p.tasks.size();
    std::set<int> seen_cores, seen_pus;
    std::map<int, int> gpu_users;
    for (const auto& task : p.tasks) {
        ck_assert_msg(!task.cpus.empty(), "%s: rank %d has no CPU", w, task.rank);
        for (int c : task.cores) {
            ck_assert_msg(allowed_cores.count(c), "%s: rank %d uses core %d outside the step", w, task.rank, c);
            ck_assert_msg(seen_cores.insert(c).second, "%s: core %d in two tasks", w, c);
        }
        for (int pu : task.cpus) {
            ck_assert_msg(seen_pus.insert(pu).second, "%s: PU %d in two tasks", w, pu);
            bool in_core = false;
            for (int c : task.cores) {
                const auto& pus = t.cores[static_cast<std::size_t>(c)].pus;
                in_core = in_core || std::count(pus.begin(), pus.end(), pu);
            }
            ck_assert_msg(in_core, "%s: rank %d PU %d not in its cores", w, task.rank, pu);
        }
        if (!req.smt && req.threads == 0) ck_assert_msg(task.cpus == first_pus(t, task.cores), "%s: SMT off", w);
        // Memory: exactly the NUMA nodes of its cores, all of them with CPUs.
        std::set<int> numa;
        for (int c : task.cores)
            numa.insert(t.numas[static_cast<std::size_t>(t.cores[static_cast<std::size_t>(c)].numa)].os_index);
        ck_assert_msg(std::vector<int>(numa.begin(), numa.end()) == task.numa, "%s: rank %d memory nodes", w, task.rank);
        for (int g : task.gpus) {
            ck_assert_msg(allowed_gpus.count(g), "%s: rank %d uses GPU outside the step", w, task.rank);
            ++gpu_users[g];
        }
        if (G == 0) {
            ck_assert_msg(task.gpus.empty(), "%s: GPU without GPUs", w);
            continue;
        }
        // Cores local to its GPUs (closest policy, full node).
        if (req.policy == Policy::closest && !req.cores) {
            std::set<int> local;
            for (int g : task.gpus) local.insert(t.gpus[static_cast<std::size_t>(g)].cores.begin(),
                                                 t.gpus[static_cast<std::size_t>(g)].cores.end());
            for (int c : task.cores)
                ck_assert_msg(local.count(c), "%s: rank %d core %d not local to its GPU", w, task.rank, c);
            ck_assert_msg(task.local, "%s: rank %d flagged not local", w, task.rank);
        }
        // NIC: a fabric NIC at the smallest distance from its (first) GPU.
        bool any_fabric = std::any_of(t.nics.begin(), t.nics.end(), [](const Nic& n) { return is_fabric(n); });
        ck_assert_msg((task.nic >= 0) == any_fabric, "%s: rank %d NIC presence", w, task.rank);
        if (task.nic >= 0) {
            ck_assert_msg(is_fabric(t.nics[static_cast<std::size_t>(task.nic)]), "%s: Ethernet NIC chosen", w);
            int best = 1 << 30;
            for (std::size_t n = 0; n < t.nics.size(); ++n)
                if (is_fabric(t.nics[n]))
                    best = std::min(best, t.gpu_nic_distance[static_cast<std::size_t>(task.gpus.front())][n]);
            ck_assert_msg(t.gpu_nic_distance[static_cast<std::size_t>(task.gpus.front())][static_cast<std::size_t>(task.nic)] == best,
                          "%s: rank %d NIC not among the closest", w, task.rank);
        }
        if (T == G) ck_assert_msg(task.gpus.size() == 1, "%s: rank %d has %zu GPUs", w, task.rank, task.gpus.size());
        if (T > G) ck_assert_msg(task.gpus.size() == 1, "%s: sharing, rank %d has %zu GPUs", w, task.rank, task.gpus.size());
        if (T < G)
            ck_assert_msg(task.gpus.size() == G / T || task.gpus.size() == G / T + 1, "%s: rank %d GPU count", w, task.rank);
    }
    if (G > 0) {
        ck_assert_msg(gpu_users.size() == G, "%s: %zu of %zu GPUs used", w, gpu_users.size(), G);
        for (auto [g, n] : gpu_users) {
            std::size_t lo = T >= G ? T / G : 1, hi = T >= G ? (T + G - 1) / G : 1;
            ck_assert_msg(static_cast<std::size_t>(n) >= lo && static_cast<std::size_t>(n) <= hi,
                          "%s: GPU %d used by %d tasks", w, g, n);
        }
    }
    if (req.policy == Policy::spread && G > 0)
        ck_assert_msg(seen_cores.size() == allowed_cores.size() || T > allowed_cores.size(), "%s: spread leaves cores idle", w);
}

}  // namespace topo_test

using namespace topo_test;

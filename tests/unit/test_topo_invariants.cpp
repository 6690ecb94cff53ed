// SPDX-License-Identifier: GPL-2.0-or-later
// The invariants every plan must satisfy (topo_test_util.hpp: check_invariants), on every test
// topology, for every task count from 1 to twice the GPU count, both policies, whole node and
// partial allocations.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "common/error.hpp"
#include "topo/bind_env.hpp"
#include "topo/planner.hpp"
#include "topo/topology.hpp"

#include "topo_test_util.hpp"  // last: it includes check.h, which defines a fail() macro

using namespace aif::topo;

// --- invariants for every task count ----------------------------------------------------------

START_TEST(invariants_all_topologies) {
    LOAD_OR_SKIP(t, xmls[_i]);
    int G = static_cast<int>(t.gpus.size());
    for (Policy pol : {Policy::closest, Policy::spread})
        for (int n = 1; n <= 2 * G; ++n) {
            PlanRequest req;
            req.tasks = n;
            req.policy = pol;
            Plan p = make_plan(t, req);
            check_invariants(t, req, p, std::string(xmls[_i]) + " " + policy_name(pol) + " tasks=" + std::to_string(n));
            Plan again = make_plan(t, req);  // deterministic
            for (std::size_t r = 0; r < p.tasks.size(); ++r) {
                ck_assert(p.tasks[r].cpus == again.tasks[r].cpus);
                ck_assert(p.tasks[r].gpus == again.tasks[r].gpus);
                ck_assert_int_eq(p.tasks[r].nic, again.tasks[r].nic);
            }
        }
}
END_TEST

// Half the GPUs and the cores of the first NUMA node(s) only: nothing outside is touched, and
// GPUs without a local core are reported, not silently served.
START_TEST(partial_allocations_stay_inside) {
    LOAD_OR_SKIP(t, xmls[_i]);
    std::vector<int> gpus;
    for (std::size_t g = 0; g < t.gpus.size(); g += 2) gpus.push_back(t.gpus[g].index);
    std::vector<int> cores(t.numas[0].cores);
    for (int pol = 0; pol < 2; ++pol)
        for (int n = 1; n <= static_cast<int>(2 * gpus.size()); ++n) {
            PlanRequest req;
            req.tasks = n;
            req.policy = pol ? Policy::spread : Policy::closest;
            req.gpus = gpus;
            req.cores = cores;
            Plan p = make_plan(t, req);
            check_invariants(t, req, p, std::string(xmls[_i]) + " partial tasks=" + std::to_string(n));
            bool remote = false;
            for (const auto& task : p.tasks) remote = remote || !task.local;
            ck_assert_msg(!remote || !p.warnings.empty(), "%s: a non-local task must come with a warning", xmls[_i]);
        }
    // A CPU-only step on a GPU node: NUMA-aware spread, no GPU.
    PlanRequest req;
    req.tasks = static_cast<int>(t.numas.size());
    req.gpus = std::vector<int>{};
    Plan p = make_plan(t, req);
    check_invariants(t, req, p, std::string(xmls[_i]) + " no GPUs");
    for (std::size_t r = 0; r < p.tasks.size(); ++r)
        ck_assert(p.tasks[r].numa == std::vector<int>{t.numas[r].os_index});
}
END_TEST

int main() {
    Suite* s = suite_create("topo");
    TCase* tc = tcase_create("invariants");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, invariants_all_topologies, 0, n_xmls);
    tcase_add_loop_test(tc, partial_allocations_stay_inside, 0, n_xmls);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

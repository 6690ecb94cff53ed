// SPDX-License-Identifier: GPL-2.0-or-later
// Planner and environment rules on small hand-made topologies (no hwloc involved).
#include <functional>
#include <map>
#include <string>

#include "common/error.hpp"
#include "topo/bind_env.hpp"
#include "topo/planner.hpp"

#include <check.h>  // last: it defines a fail() macro
#include "check_main.hpp"  // ck_assert_str_eq that is safe with temporaries

using namespace aif::topo;

namespace {

// packages × numa_per_pkg NUMA nodes of `cores` cores with `smt` PUs each (PU id = core +
// k·ncores, like Linux). One GPU per entry of `gpu_numa`, local to that NUMA node.
Topology synthetic(int packages, int numa_per_pkg, int cores, int smt, std::vector<int> gpu_numa,
                   Vendor vendor = Vendor::nvidia) {
    Topology t;
    t.source = "synthetic";
    t.packages = packages;
    t.smt = smt;
    int total = packages * numa_per_pkg * cores;
    for (int n = 0; n < packages * numa_per_pkg; ++n) {
        t.numas.push_back({n, {}});
        for (int c = 0; c < cores; ++c) {
            Core core;
            core.logical = n * cores + c;
            for (int k = 0; k < smt; ++k) core.pus.push_back(core.logical + k * total);
            core.numa = n;
            core.package = n / numa_per_pkg;
            t.numas.back().cores.push_back(core.logical);
            t.cores.push_back(core);
        }
    }
    for (std::size_t i = 0; i < gpu_numa.size(); ++i) {
        Gpu g;
        g.index = static_cast<int>(i);
        g.name = "gpu" + std::to_string(i);
        g.pci = "0000:0" + std::to_string(i) + ":00.0";
        g.vendor = vendor;
        g.locality = "NUMANode#" + std::to_string(gpu_numa[i]);
        g.cores = t.numas[static_cast<std::size_t>(gpu_numa[i])].cores;
        t.gpus.push_back(g);
        Nic n;
        n.name = "mlx5_" + std::to_string(i);
        n.kind = NicKind::infiniband;
        n.cores = g.cores;
        t.nics.push_back(n);
    }
    t.gpu_nic_distance.assign(t.gpus.size(), std::vector<int>(t.nics.size(), 0));
    for (std::size_t g = 0; g < t.gpus.size(); ++g)
        for (std::size_t n = 0; n < t.nics.size(); ++n) t.gpu_nic_distance[g][n] = g == n ? nic_same_switch : nic_cpu_side + 100;
    return t;
}

std::map<std::string, EnvVar> env_map(const std::vector<EnvVar>& v) {
    std::map<std::string, EnvVar> m;
    for (const auto& e : v) m[e.name] = e;
    return m;
}

std::string message(const std::function<void()>& f) {
    try {
        f();
    } catch (const aif::InputError& e) {
        return e.what();
    }
    return "(no error)";
}

void expect_message(const std::function<void()>& f, const std::string& text) {
    std::string m = message(f);
    ck_assert_msg(m == text, "got '%s', want '%s'", m.c_str(), text.c_str());
}

}  // namespace

START_TEST(lists_round_trip) {
    ck_assert(parse_list("0-3,8,10-11", "x") == (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
    ck_assert(parse_list(" 5 , 1-2 ", "x") == (std::vector<int>{1, 2, 5}));
    ck_assert_str_eq(format_list({11, 0, 1, 2, 3, 8, 10}).c_str(), "0-3,8,10-11");
    ck_assert_str_eq(format_list({}).c_str(), "");
    expect_message([] { parse_list("3-1", "--cores"); }, "--cores: range '3-1' runs backwards");
    ck_assert(message([] { parse_list("a-b", "--gpus"); }).rfind("--gpus:", 0) == 0);
    ck_assert(parse_policy("Spread", "p") == Policy::spread);
    expect_message([] { parse_policy("nearest", "--llm-bind"); },
                     "--llm-bind: 'nearest' is not a policy (closest, spread, none)");
}
END_TEST

START_TEST(no_gpus_spreads_over_numa_nodes) {
    Topology t = synthetic(2, 2, 4, 2, {});
    PlanRequest req;
    req.tasks = 2;  // fewer tasks than NUMA nodes: whole nodes in blocks
    Plan p = make_plan(t, req);
    ck_assert(p.tasks[0].numa == (std::vector<int>{0, 1}));
    ck_assert(p.tasks[1].numa == (std::vector<int>{2, 3}));
    ck_assert(p.tasks[0].cpus == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    ck_assert_int_eq(p.tasks[0].nic, -1);
    req.tasks = 8;  // two per node, two cores each
    p = make_plan(t, req);
    for (int r = 0; r < 8; ++r) {
        ck_assert(p.tasks[static_cast<std::size_t>(r)].numa == std::vector<int>{r / 2});
        ck_assert(p.tasks[static_cast<std::size_t>(r)].cpus == (std::vector<int>{2 * r, 2 * r + 1}));
    }
    req.tasks = 6;  // 6 over 4 equal nodes: the first two nodes take the extra task
    p = make_plan(t, req);
    ck_assert(p.tasks[0].numa == std::vector<int>{0} && p.tasks[1].numa == std::vector<int>{0});
    ck_assert(p.tasks[2].numa == std::vector<int>{1} && p.tasks[3].numa == std::vector<int>{1});
    ck_assert(p.tasks[4].numa == std::vector<int>{2} && p.tasks[5].numa == std::vector<int>{3});
}
END_TEST

START_TEST(smt_and_threads) {
    Topology t = synthetic(1, 2, 4, 2, {0, 1});
    PlanRequest req;
    req.tasks = 2;
    req.smt = true;
    Plan p = make_plan(t, req);
    ck_assert(p.tasks[0].cpus == (std::vector<int>{0, 1, 2, 3, 8, 9, 10, 11}));
    auto env = env_map(task_env(t, p.tasks[0], EnvOptions{true, true, true, true, {}}));
    ck_assert_str_eq(env.at("OMP_NUM_THREADS").value.c_str(), "8");
    ck_assert_str_eq(env.at("OMP_PLACES").value.c_str(), "threads");
    req.threads = 3;  // PUs with SMT on, core by core
    p = make_plan(t, req);
    ck_assert(p.tasks[1].cpus == (std::vector<int>{4, 5, 12}));
    ck_assert(p.tasks[1].cores == (std::vector<int>{4, 5}));
    req.smt = false;
    req.threads = 6;  // more than the 4 cores of its GPU: keep 4 and say so
    p = make_plan(t, req);
    ck_assert(p.tasks[0].cpus == (std::vector<int>{0, 1, 2, 3}));
    ck_assert_int_eq(p.warnings.size(), 1);
    ck_assert(p.warnings[0].find("6 threads per task") != std::string::npos);
}
END_TEST

START_TEST(more_tasks_than_cores_share_hardware_threads) {
    Topology t = synthetic(1, 1, 2, 2, {0});
    PlanRequest req;
    req.tasks = 4;  // 1 GPU, 2 cores × 2 PUs: one PU each
    Plan p = make_plan(t, req);
    ck_assert(p.tasks[0].cpus == std::vector<int>{0});
    ck_assert(p.tasks[1].cpus == std::vector<int>{2});
    ck_assert(p.tasks[2].cpus == std::vector<int>{1});
    ck_assert(p.tasks[3].cpus == std::vector<int>{3});
    ck_assert(!p.warnings.empty());
    req.tasks = 5;  // past the PUs: round robin, and said
    p = make_plan(t, req);
    ck_assert(p.tasks[4].cpus == std::vector<int>{0});
    ck_assert(p.warnings.back().find("share hardware threads") != std::string::npos);
}
END_TEST

START_TEST(fewer_tasks_than_gpus_group_by_locality) {
    // GPU indexes interleave the two packages: 0,2 on package 0; 1,3 on package 1.
    Topology t = synthetic(2, 1, 4, 1, {0, 1, 0, 1});
    PlanRequest req;
    req.tasks = 2;
    Plan p = make_plan(t, req);
    ck_assert(p.tasks[0].gpus == (std::vector<int>{0, 2}));
    ck_assert(p.tasks[1].gpus == (std::vector<int>{1, 3}));
    ck_assert(p.tasks[0].cpus == (std::vector<int>{0, 1, 2, 3}));
    auto env = env_map(task_env(t, p.tasks[1], EnvOptions{}));
    ck_assert_str_eq(env.at("CUDA_VISIBLE_DEVICES").value.c_str(), "1,3");
}
END_TEST

START_TEST(spread_uses_gpu_less_numa_nodes) {
    Topology t = synthetic(2, 2, 4, 1, {1, 3});
    PlanRequest req;
    req.tasks = 2;
    req.policy = Policy::spread;
    Plan p = make_plan(t, req);
    ck_assert(p.tasks[0].cpus == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
    ck_assert(p.tasks[0].numa == (std::vector<int>{0, 1}));
    ck_assert(p.tasks[1].numa == (std::vector<int>{2, 3}));
    req.policy = Policy::closest;
    p = make_plan(t, req);
    ck_assert(p.tasks[0].cpus == (std::vector<int>{4, 5, 6, 7}));
    req.policy = Policy::none;
    p = make_plan(t, req);
    ck_assert(p.tasks[0].cpus.empty() && p.tasks[0].gpus.empty());
}
END_TEST

START_TEST(allocation_limits_are_respected) {
    Topology t = synthetic(2, 1, 4, 1, {0, 1});
    PlanRequest req;
    req.tasks = 2;
    req.gpus = std::vector<int>{1};
    req.cores = std::vector<int>{0, 1, 2};  // GPU 1 lives on package 1, the step has package 0
    Plan p = make_plan(t, req);
    for (const auto& task : p.tasks) {
        ck_assert(task.gpus == std::vector<int>{1});
        for (int c : task.cores) ck_assert_int_le(c, 2);
        ck_assert(!task.local);
    }
    ck_assert_int_eq(p.warnings.size(), 1);
    ck_assert(p.warnings[0].find("no core local to GPU gpu1") != std::string::npos);
    expect_message([&] {
                         PlanRequest r;
                         r.gpus = std::vector<int>{7};
                         make_plan(t, r);
                     },
                     "gpus: GPU 7 is not on this node (GPUs 0-1)");
    expect_message([&] {
                         PlanRequest r;
                         r.cores = std::vector<int>{8};
                         make_plan(t, r);
                     },
                     "cores: core 8 is not on this node (0-7)");
    expect_message([&] {
                         PlanRequest r;
                         r.tasks = 0;
                         make_plan(t, r);
                     },
                     "tasks: 0 is out of range (1..65536)");
}
END_TEST

START_TEST(env_follows_vendor_and_device_cgroup) {
    Topology t = synthetic(1, 2, 2, 1, {0, 1});
    PlanRequest req;
    req.tasks = 2;
    Plan p = make_plan(t, req);
    EnvOptions o;
    auto env = env_map(task_env(t, p.tasks[1], o));
    ck_assert_str_eq(env.at("CUDA_VISIBLE_DEVICES").value.c_str(), "1");
    ck_assert(env.at("CUDA_VISIBLE_DEVICES").overwrite);
    ck_assert_str_eq(env.at("CUDA_DEVICE_ORDER").value.c_str(), "PCI_BUS_ID");
    ck_assert_str_eq(env.at("NCCL_IB_HCA").value.c_str(), "=mlx5_1");
    ck_assert_str_eq(env.at("UCX_NET_DEVICES").value.c_str(), "mlx5_1:1");
    ck_assert(!env.at("NCCL_IB_HCA").overwrite);
    // ConstrainDevices: the step sees node GPUs 1 then 0 as 0 and 1.
    o.numbering = {1, 0};
    env = env_map(task_env(t, p.tasks[1], o));
    ck_assert_str_eq(env.at("CUDA_VISIBLE_DEVICES").value.c_str(), "0");
    // The numbering comes from what Slurm put in the step's environment.
    ck_assert(step_numbering("1,0", "0,1") == (std::vector<int>{1, 0}));
    ck_assert(step_numbering("2-3", "0,1") == (std::vector<int>{2, 3}));
    ck_assert(step_numbering("2,3", "2,3").empty());   // no device cgroup: node numbers
    ck_assert(step_numbering("2,3", "").empty());
    ck_assert(step_numbering("2,3", "0").empty());     // inconsistent: keep node numbers
    ck_assert(step_numbering("0,1", "GPU-8f2a,GPU-77c1").empty());  // Flags=env_uuid
    o.numbering.clear();
    o.nic = false;
    o.omp = false;
    env = env_map(task_env(t, p.tasks[0], o));
    ck_assert(!env.count("NCCL_IB_HCA") && !env.count("OMP_NUM_THREADS"));
    Topology intel = synthetic(1, 1, 2, 1, {0}, Vendor::intel);
    p = make_plan(intel, req);
    env = env_map(task_env(intel, p.tasks[0], EnvOptions{}));
    ck_assert_str_eq(env.at("ZE_AFFINITY_MASK").value.c_str(), "0");
    std::string line = describe_task(t, make_plan(t, req).tasks[1], "n1");
    ck_assert_str_eq(line.c_str(), "rank 1 host n1 gpu gpu1(1) cpus 2-3 numa 1 nic mlx5_1");
}
END_TEST

int main() {
    Suite* s = suite_create("topo_planner");
    TCase* tc = tcase_create("planner");
    tcase_add_test(tc, lists_round_trip);
    tcase_add_test(tc, no_gpus_spreads_over_numa_nodes);
    tcase_add_test(tc, smt_and_threads);
    tcase_add_test(tc, more_tasks_than_cores_share_hardware_threads);
    tcase_add_test(tc, fewer_tasks_than_gpus_group_by_locality);
    tcase_add_test(tc, spread_uses_gpu_less_numa_nodes);
    tcase_add_test(tc, allocation_limits_are_respected);
    tcase_add_test(tc, env_follows_vendor_and_device_cgroup);
    suite_add_tcase(s, tc);
    SRunner* sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

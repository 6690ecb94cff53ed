// SPDX-License-Identifier: GPL-2.0-or-later
// Planner and discovery on six real GPU-node topologies (other projects' files, read from
// shared/data/topologies beside the tree: see topology_files.hpp; each test says SKIP when
// its file is absent) plus a clearly labelled synthetic GH200 (tests/topologies/).
// Exact facts come from pinning.md §6 (GCD→CCD/NUMA on MI250X, GPU↔NIC switches, ...); a bad
// XML is an input error and this machine loads and plans.
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

// --- discovery: the facts of pinning.md §6 -------------------------------------------------

START_TEST(tioga_gcd_ccd_numa_map) {
    LOAD_OR_SKIP(t, "mpibind_eas-tioga.xml");
    ck_assert_int_eq(t.gpus.size(), 8);
    ck_assert_int_eq(t.cores.size(), 64);
    ck_assert_int_eq(t.smt, 2);
    // rsmi → first core of its CCD, NUMA node (LUMI-G: GCD 0,1→3; 2,3→1; 4,5→0; 6,7→2).
    const int first_core[8] = {48, 56, 16, 24, 0, 8, 32, 40};
    const int numa[8] = {3, 3, 1, 1, 0, 0, 2, 2};
    const char* pci[8] = {"0000:c1:00.0", "0000:c6:00.0", "0000:c9:00.0", "0000:ce:00.0",
                          "0000:d1:00.0", "0000:d6:00.0", "0000:d9:00.0", "0000:de:00.0"};
    for (int i = 0; i < 8; ++i) {
        const Gpu& g = gpu_named(t, "rsmi" + std::to_string(i));
        ck_assert_int_eq(g.index, i);
        ck_assert(g.vendor == Vendor::amd);
        ck_assert_str_eq(g.pci.c_str(), pci[i]);
        ck_assert_msg(g.locality.rfind("L3", 0) == 0, "rsmi%d hangs off %s", i, g.locality.c_str());
        ck_assert(first_pus(t, g.cores) == range(first_core[i], first_core[i] + 7));
        ck_assert_int_eq(numa_of_gpu(t, g), numa[i]);
        ck_assert_int_eq(t.cores[static_cast<std::size_t>(g.cores.front())].pus.size(), 2);
        ck_assert_int_eq(t.cores[static_cast<std::size_t>(g.cores.front())].pus[1], first_core[i] + 64);
    }
    // Slingshot NICs hsi0-3 (no subtype in this XML: found by vendor) plus Ethernet ens2.
    int fabric = 0;
    for (const auto& n : t.nics) fabric += n.kind == NicKind::slingshot;
    ck_assert_int_eq(fabric, 4);
    ck_assert(t.nics[static_cast<std::size_t>(nic_index(t, "ens2"))].kind == NicKind::ethernet);
    // Same host bridge (root complex): rsmi5/hsi2, rsmi3/hsi1, rsmi7/hsi3, rsmi1/hsi0; the
    // other GCD of a pair reaches the same NIC through its NUMA node only.
    const std::pair<const char*, const char*> same_bridge[] = {{"rsmi5", "hsi2"}, {"rsmi3", "hsi1"}, {"rsmi7", "hsi3"}, {"rsmi1", "hsi0"}};
    for (auto [g, n] : same_bridge) {
        auto gi = static_cast<std::size_t>(&gpu_named(t, g) - t.gpus.data());
        ck_assert_int_eq(t.gpu_nic_distance[gi][static_cast<std::size_t>(nic_index(t, n))], nic_same_host_bridge);
    }
    auto r4 = static_cast<std::size_t>(&gpu_named(t, "rsmi4") - t.gpus.data());
    ck_assert_int_gt(t.gpu_nic_distance[r4][static_cast<std::size_t>(nic_index(t, "hsi2"))], nic_same_host_bridge);
    ck_assert_int_lt(t.gpu_nic_distance[r4][static_cast<std::size_t>(nic_index(t, "hsi2"))],
                     t.gpu_nic_distance[r4][static_cast<std::size_t>(nic_index(t, "hsi0"))]);
}
END_TEST

START_TEST(tioga_eight_tasks_exact_plan) {
    LOAD_OR_SKIP(t, "mpibind_eas-tioga.xml");
    PlanRequest req;
    req.tasks = 8;
    Plan p = make_plan(t, req);
    const int first_core[8] = {48, 56, 16, 24, 0, 8, 32, 40};
    const int numa[8] = {3, 3, 1, 1, 0, 0, 2, 2};
    const char* nic[8] = {"hsi0", "hsi0", "hsi1", "hsi1", "hsi2", "hsi2", "hsi3", "hsi3"};
    for (int r = 0; r < 8; ++r) {
        const auto& task = p.tasks[static_cast<std::size_t>(r)];
        ck_assert_int_eq(task.gpus.size(), 1);
        ck_assert_int_eq(t.gpus[static_cast<std::size_t>(task.gpus[0])].index, r);
        ck_assert(task.cpus == range(first_core[r], first_core[r] + 7));
        ck_assert(task.numa == std::vector<int>{numa[r]});
        ck_assert_str_eq(t.nics[static_cast<std::size_t>(task.nic)].name.c_str(), nic[r]);
    }
    ck_assert(p.warnings.empty());
    // Environment of rank 0: its GCD for ROCm, Slurm's node-wide CUDA list removed, CXI domain.
    auto env = task_env(t, p.tasks[0], EnvOptions{});
    std::map<std::string, EnvVar> m;
    for (auto& e : env) m[e.name] = e;
    ck_assert_str_eq(m.at("ROCR_VISIBLE_DEVICES").value.c_str(), "0");
    ck_assert(m.at("CUDA_VISIBLE_DEVICES").unset);
    ck_assert_str_eq(m.at("FI_CXI_DEVICE_NAME").value.c_str(), "cxi0");
    ck_assert_str_eq(m.at("OMP_NUM_THREADS").value.c_str(), "8");
    ck_assert(!m.at("OMP_NUM_THREADS").overwrite);
}
END_TEST

START_TEST(turin_h200_numa_and_switch_nics) {
    LOAD_OR_SKIP(t, "prrte_turin-4gpu-nvml.xml");
    ck_assert_int_eq(t.gpus.size(), 4);  // nvml+cuda+opencl counted once
    const int numa[4] = {1, 2, 6, 7};
    const char* nic[4] = {"mlx5_0", "mlx5_3", "mlx5_4", "mlx5_5"};
    const char* pci[4] = {"0000:06:00.0", "0000:16:00.0", "0000:96:00.0", "0000:e6:00.0"};
    for (int i = 0; i < 4; ++i) {
        const Gpu& g = t.gpus[static_cast<std::size_t>(i)];
        ck_assert_str_eq(g.name.c_str(), ("nvml" + std::to_string(i)).c_str());
        ck_assert_str_eq(g.pci.c_str(), pci[i]);
        ck_assert(g.vendor == Vendor::nvidia);
        ck_assert_int_eq(numa_of_gpu(t, g), numa[i]);
        ck_assert(first_pus(t, g.cores) == range(16 * numa[i], 16 * numa[i] + 15));
        ck_assert_int_eq(t.gpu_nic_distance[static_cast<std::size_t>(i)][static_cast<std::size_t>(nic_index(t, nic[i]))],
                         nic_same_switch);
    }
    // The CX-6 Lx on NUMA 3 is Ethernet: never a fabric NIC.
    ck_assert(t.nics[static_cast<std::size_t>(nic_index(t, "mlx5_1"))].kind == NicKind::ethernet);
    ck_assert(t.nics[static_cast<std::size_t>(nic_index(t, "mlx5_2"))].kind == NicKind::ethernet);
    ck_assert(t.nics[static_cast<std::size_t>(nic_index(t, "mlx5_0"))].kind == NicKind::infiniband);
    PlanRequest req;
    req.tasks = 4;
    Plan p = make_plan(t, req);
    for (int r = 0; r < 4; ++r) {
        ck_assert_str_eq(t.nics[static_cast<std::size_t>(p.tasks[static_cast<std::size_t>(r)].nic)].name.c_str(), nic[r]);
        auto env = task_env(t, p.tasks[static_cast<std::size_t>(r)], EnvOptions{});
        ck_assert_str_eq(env[0].name.c_str(), "CUDA_VISIBLE_DEVICES");
        ck_assert_str_eq(env[0].value.c_str(), std::to_string(r).c_str());
    }
}
END_TEST

START_TEST(ipa20_h100_snc4) {
    LOAD_OR_SKIP(t, "flux-core_ipa20.xml");
    ck_assert_int_eq(t.gpus.size(), 4);
    ck_assert_int_eq(t.numas.size(), 8);
    const int numa[4] = {3, 1, 7, 5};
    const int first_logical[4] = {42, 14, 98, 70};
    for (int i = 0; i < 4; ++i) {
        const Gpu& g = t.gpus[static_cast<std::size_t>(i)];
        ck_assert_int_eq(numa_of_gpu(t, g), numa[i]);
        ck_assert(g.cores == range(first_logical[i], first_logical[i] + 13));  // logical, not OS ids
    }
    // GPU 0: dual-port mlx5_0/mlx5_1 on its switch; GPU 2 has none, nearest is mlx5_3.
    ck_assert_int_eq(t.gpu_nic_distance[0][static_cast<std::size_t>(nic_index(t, "mlx5_0"))], nic_same_switch);
    ck_assert_int_eq(t.gpu_nic_distance[0][static_cast<std::size_t>(nic_index(t, "mlx5_1"))], nic_same_switch);
    ck_assert_int_eq(t.gpu_nic_distance[1][static_cast<std::size_t>(nic_index(t, "mlx5_2"))], nic_same_switch);
    ck_assert_int_eq(t.gpu_nic_distance[3][static_cast<std::size_t>(nic_index(t, "mlx5_3"))], nic_same_switch);
    for (std::size_t n = 0; n < t.nics.size(); ++n) ck_assert_int_ne(t.gpu_nic_distance[2][n], nic_same_switch);
    PlanRequest req;
    req.tasks = 8;  // two ranks per H100: the two ports of GPU 0's NIC are shared out
    Plan p = make_plan(t, req);
    ck_assert_str_eq(t.nics[static_cast<std::size_t>(p.tasks[0].nic)].name.c_str(), "mlx5_0");
    ck_assert_str_eq(t.nics[static_cast<std::size_t>(p.tasks[1].nic)].name.c_str(), "mlx5_1");
    ck_assert_str_eq(t.nics[static_cast<std::size_t>(p.tasks[4].nic)].name.c_str(), "mlx5_3");
}
END_TEST

START_TEST(mi300a_cpx_partitions) {
    LOAD_OR_SKIP(t, "flux-core_tuo.CPX.xml");
    ck_assert_int_eq(t.gpus.size(), 24);  // 6 partitions per APU share a bus id and all count
    for (int i = 0; i < 24; ++i) {
        const Gpu& g = t.gpus[static_cast<std::size_t>(i)];
        int apu = i / 6;
        ck_assert_int_eq(g.index, i);
        ck_assert_str_eq(g.name.c_str(), ("rsmi" + std::to_string(i)).c_str());
        char bus[32];
        std::snprintf(bus, sizeof bus, "000%d:02:00.0", apu);
        ck_assert_str_eq(g.pci.c_str(), bus);
        ck_assert(first_pus(t, g.cores) == range(24 * apu, 24 * apu + 23));
        ck_assert_int_eq(numa_of_gpu(t, g), apu);
        auto hsi = static_cast<std::size_t>(nic_index(t, "hsi" + std::to_string(apu)));
        ck_assert(t.nics[hsi].kind == NicKind::slingshot);
        ck_assert_int_eq(t.gpu_nic_distance[static_cast<std::size_t>(i)][hsi], nic_same_host_bridge);
    }
    PlanRequest req;
    req.tasks = 24;
    Plan p = make_plan(t, req);
    for (int r = 0; r < 24; ++r)  // 4 cores each, in rank order inside each APU
        ck_assert(p.tasks[static_cast<std::size_t>(r)].cpus == range(4 * r, 4 * r + 3));
}
END_TEST

START_TEST(lassen_power9_package_locality) {
    LOAD_OR_SKIP(t, "mpibind_coral-lassen.xml");
    ck_assert_int_eq(t.gpus.size(), 4);
    ck_assert_int_eq(t.smt, 4);
    ck_assert_int_eq(t.numas.size(), 2);
    ck_assert_int_eq(t.numas[1].os_index, 8);
    for (int i = 0; i < 4; ++i) {
        const Gpu& g = t.gpus[static_cast<std::size_t>(i)];
        ck_assert_str_eq(g.name.c_str(), ("nvml" + std::to_string(i)).c_str());  // no subtype in hwloc 2.2 XML
        ck_assert_int_eq(g.cores.size(), 20);
        ck_assert_int_eq(t.cores[static_cast<std::size_t>(g.cores.front())].pus.front(), i < 2 ? 8 : 96);
        // GPUs and NICs sit on different host bridges: they share only the package.
        for (std::size_t n = 0; n < t.nics.size(); ++n) ck_assert_int_ge(t.gpu_nic_distance[static_cast<std::size_t>(i)][n], nic_cpu_side);
    }
    PlanRequest req;
    req.tasks = 4;
    Plan p = make_plan(t, req);
    const char* nic[4] = {"mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3"};
    for (int r = 0; r < 4; ++r) {
        const auto& task = p.tasks[static_cast<std::size_t>(r)];
        ck_assert_int_eq(task.cores.size(), 10);  // two GPUs share a package's 20 cores
        ck_assert(task.numa == std::vector<int>{r < 2 ? 0 : 8});
        ck_assert_str_eq(t.nics[static_cast<std::size_t>(task.nic)].name.c_str(), nic[r]);
    }
}
END_TEST

START_TEST(corona_opencl_only_gpus) {
    LOAD_OR_SKIP(t, "mpibind_epyc-corona.xml");
    ck_assert_int_eq(t.gpus.size(), 4);
    const int numa[4] = {1, 2, 5, 7};
    for (int i = 0; i < 4; ++i) {
        const Gpu& g = t.gpus[static_cast<std::size_t>(i)];
        ck_assert_str_eq(g.name.c_str(), ("opencl0d" + std::to_string(i)).c_str());
        ck_assert_int_eq(g.index, i);  // PCI order
        ck_assert(g.vendor == Vendor::amd);
        ck_assert_int_eq(numa_of_gpu(t, g), numa[i]);
        ck_assert(first_pus(t, g.cores) == range(6 * numa[i], 6 * numa[i] + 5));
    }
    int fabric = 0;
    for (const auto& n : t.nics) fabric += is_fabric(n);
    ck_assert_int_eq(fabric, 1);
    const Nic& mlx = t.nics[static_cast<std::size_t>(nic_index(t, "mlx5_0"))];
    ck_assert_str_eq(mlx.netdev.c_str(), "hsi0");  // IPoIB netdev merged into its verbs device
    ck_assert(first_pus(t, mlx.cores) == range(18, 23));
}
END_TEST

// Synthetic 4x GH200 (see tests/topologies/README.md): the 32 GPU-memory NUMA nodes carry the
// package's cpuset in hwloc and must still never be used for CPUs or memory.
START_TEST(gh200_gpu_memory_nodes_skipped) {
    LOAD_OR_SKIP(t, "synthetic_gh200.xml");
    ck_assert_int_eq(t.numas.size(), 4);
    ck_assert_int_eq(t.cpuless_numas, 32);
    for (int i = 0; i < 4; ++i) {
        ck_assert_int_eq(t.numas[static_cast<std::size_t>(i)].os_index, i);
        ck_assert_int_eq(t.numas[static_cast<std::size_t>(i)].cores.size(), 72);
        const Gpu& g = t.gpus[static_cast<std::size_t>(i)];
        ck_assert(first_pus(t, g.cores) == range(72 * i, 72 * i + 71));
        ck_assert_int_eq(t.gpu_nic_distance[static_cast<std::size_t>(i)][static_cast<std::size_t>(nic_index(t, "hsi" + std::to_string(i)))],
                         nic_same_host_bridge);
    }
    PlanRequest req;
    req.tasks = 4;
    req.gpus = std::vector<int>{};  // CPU-only step: one Grace each, memory on its DRAM node
    Plan p = make_plan(t, req);
    for (int r = 0; r < 4; ++r) ck_assert(p.tasks[static_cast<std::size_t>(r)].numa == std::vector<int>{r});
}
END_TEST

START_TEST(bad_xml_is_an_input_error) {
    try {
        Machine::from_xml("/nonexistent/topo.xml");
        ck_abort_msg("no error");
    } catch (const aif::InputError& e) {
        ck_assert(std::string(e.what()).find("/nonexistent/topo.xml") == 0);
    }
    try {
        Machine::from_xml_text("<topology>not really</topology>", "inline");
        ck_abort_msg("no error");
    } catch (const aif::InputError& e) {
        ck_assert(std::string(e.what()).find("inline") == 0);
    }
}
END_TEST

START_TEST(this_machine_loads_and_plans) {
    Machine m = Machine::discover();
    const Topology& t = m.topology();
    ck_assert_int_ge(t.cores.size(), 1);
    PlanRequest req;
    req.tasks = static_cast<int>(t.cores.size());
    Plan p = make_plan(t, req);
    check_invariants(t, req, p, "this machine");
}
END_TEST

int main() {
    Suite* s = suite_create("topo");
    TCase* tc = tcase_create("facts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tioga_gcd_ccd_numa_map);
    tcase_add_test(tc, tioga_eight_tasks_exact_plan);
    tcase_add_test(tc, turin_h200_numa_and_switch_nics);
    tcase_add_test(tc, ipa20_h100_snc4);
    tcase_add_test(tc, mi300a_cpx_partitions);
    tcase_add_test(tc, lassen_power9_package_locality);
    tcase_add_test(tc, corona_opencl_only_gpus);
    tcase_add_test(tc, gh200_gpu_memory_nodes_skipped);
    tcase_add_test(tc, bad_xml_is_an_input_error);
    tcase_add_test(tc, this_machine_loads_and_plans);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// Planner and discovery on six real GPU-node topologies (other projects' files, read from
// shared/data/topologies beside the tree: see topology_files.hpp; each test says SKIP when
// its file is absent) plus a clearly labelled synthetic GH200 (tests/topologies/).
// Exact facts come from pinning.md §6 (GCD→CCD/NUMA on MI250X, GPU↔NIC switches, ...);
// the invariants are checked for every task count from 1 to twice the GPU count.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "common/error.hpp"
#include "topo/bind_env.hpp"
#include "topo/planner.hpp"
#include "topo/topology.hpp"

#include <check.h>  // last: it defines a fail() macro
#include "check_main.hpp"  // ck_assert_str_eq that is safe with temporaries
#include "topology_files.hpp"

using namespace aif::topo;

namespace {

const char* const xmls[] = {"mpibind_eas-tioga.xml", "prrte_turin-4gpu-nvml.xml", "flux-core_ipa20.xml",
                            "flux-core_tuo.CPX.xml", "mpibind_coral-lassen.xml", "mpibind_epyc-corona.xml",
                            "synthetic_gh200.xml"};
const int n_xmls = 7;

std::map<std::string, Machine>& cache() {
    static std::map<std::string, Machine> m;
    return m;
}

// The topology, or nullptr after saying SKIP when its file is not there.
const Topology* load_or_skip(const std::string& name, const char* test) {
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

const Gpu& gpu_named(const Topology& t, const std::string& name) {
    for (const auto& g : t.gpus)
        if (g.name == name) return g;
    ck_abort_msg("no GPU %s", name.c_str());
    return t.gpus.front();
}

int nic_index(const Topology& t, const std::string& name) {
    for (std::size_t i = 0; i < t.nics.size(); ++i)
        if (t.nics[i].name == name) return static_cast<int>(i);
    ck_abort_msg("no NIC %s", name.c_str());
    return -1;
}

// OS PU indexes → logical core indexes (the first PU of each core identifies it).
std::vector<int> first_pus(const Topology& t, const std::vector<int>& cores) {
    std::vector<int> out;
    for (int c : cores) out.push_back(t.cores[static_cast<std::size_t>(c)].pus.front());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<int> range(int lo, int hi) {
    std::vector<int> v;
    for (int i = lo; i <= hi; ++i) v.push_back(i);
    return v;
}

int numa_of_gpu(const Topology& t, const Gpu& g) {
    std::set<int> n;
    for (int c : g.cores) n.insert(t.numas[static_cast<std::size_t>(t.cores[static_cast<std::size_t>(c)].numa)].os_index);
    ck_assert_int_eq(n.size(), 1);
    return *n.begin();
}

// The invariants every plan must satisfy.
void check_invariants(const Topology& t, const PlanRequest& req, const Plan& p, const std::string& what) {
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

}  // namespace

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
        char bus[16];
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

Suite* topo_suite() {
    Suite* s = suite_create("topo");
    TCase* facts = tcase_create("facts");
    tcase_set_timeout(facts, 60);
    tcase_add_test(facts, tioga_gcd_ccd_numa_map);
    tcase_add_test(facts, tioga_eight_tasks_exact_plan);
    tcase_add_test(facts, turin_h200_numa_and_switch_nics);
    tcase_add_test(facts, ipa20_h100_snc4);
    tcase_add_test(facts, mi300a_cpx_partitions);
    tcase_add_test(facts, lassen_power9_package_locality);
    tcase_add_test(facts, corona_opencl_only_gpus);
    tcase_add_test(facts, gh200_gpu_memory_nodes_skipped);
    tcase_add_test(facts, bad_xml_is_an_input_error);
    tcase_add_test(facts, this_machine_loads_and_plans);
    suite_add_tcase(s, facts);
    TCase* inv = tcase_create("invariants");
    tcase_set_timeout(inv, 120);
    tcase_add_loop_test(inv, invariants_all_topologies, 0, n_xmls);
    tcase_add_loop_test(inv, partial_allocations_stay_inside, 0, n_xmls);
    suite_add_tcase(s, inv);
    return s;
}

int main() {
    SRunner* sr = srunner_create(topo_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
// A node's wiring as plain structs: cores, CPU-bearing NUMA nodes, GPUs, NICs and how close
// each GPU is to each NIC. Loaded with hwloc (live machine or XML); no hwloc types leak out,
// so the planner and its tests work on these structs alone.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace aif::topo {

struct Core {
    int logical = 0;        // hwloc logical index (what Slurm's S_*_ALLOC_CORES count)
    std::vector<int> pus;   // OS indexes of its hardware threads, ascending
    int numa = -1;          // index into Topology::numas (the CPU-bearing node holding it)
    int package = 0;        // logical package index
    int l3 = -1;            // logical L3 index, -1 when the topology has no L3 level
};

struct NumaNode {
    int os_index = 0;
    std::vector<int> cores;  // indexes into Topology::cores
};

enum class Vendor { nvidia, amd, intel, other };

struct Gpu {
    int index = 0;       // index for CUDA/ROCR_VISIBLE_DEVICES (NVML/RSMI number, see topology.cpp)
    std::string name;    // OS device that identified it: nvml0, rsmi3, cuda1, opencl0d2, or pci:<busid>
    std::string pci;     // PCI bus id, 0000:c1:00.0
    std::string uuid;    // empty when unknown
    Vendor vendor = Vendor::other;
    std::string locality;    // what it hangs off: "L3#0", "NUMANode#3", "Package#1", "Machine#0"
    std::vector<int> cores;  // its locality as indexes into Topology::cores
};

enum class NicKind { infiniband, slingshot, ethernet };

struct Nic {
    std::string name;     // verbs device (mlx5_0) when there is one, else the netdev (hsi0)
    std::string netdev;   // network interface name, empty when none
    std::string pci;
    NicKind kind = NicKind::ethernet;
    int port = 1;               // verbs port for UCX_NET_DEVICES
    std::vector<int> cores;     // its locality as indexes into Topology::cores
};

// Smaller is closer. Same PCIe switch < same host bridge < common CPU-side ancestor, the
// latter ordered by how many PUs that ancestor spans.
enum : int { nic_same_switch = 0, nic_same_host_bridge = 1, nic_cpu_side = 2 };

struct Topology {
    std::string source;      // "this machine" or the XML path
    std::vector<Core> cores;  // ordered by logical index
    std::vector<NumaNode> numas;  // only nodes that have CPUs, by OS index
    std::vector<Gpu> gpus;    // ordered by index, then name
    std::vector<Nic> nics;    // ordered by PCI bus id
    std::vector<std::vector<int>> gpu_nic_distance;  // [gpu][nic], see the enum above
    int smt = 1;              // most PUs per core
    int packages = 1;
    int cpuless_numas = 0;    // memory-only nodes skipped (GH200 HBM, CXL)
};

const char* vendor_name(Vendor v);
const char* nic_kind_name(NicKind k);
// True for NICs that carry MPI/NCCL traffic (InfiniBand, Slingshot); false for plain Ethernet.
inline bool is_fabric(const Nic& n) { return n.kind != NicKind::ethernet; }

// Loaded hwloc topology plus its plain description. Movable, not copyable.
class Machine {
public:
    // Live discovery of this machine; HWLOC_XMLFILE in this process's environment (the CLI's
    // user, slurmd's) is honoured like the hwloc tools do, through from_xml()'s checks.
    static Machine discover();
    // Topology from an lstopo XML file (hwloc 2.x, XML v1 or v2): a regular file of at most
    // max_topology_xml_bytes, well-formed, imported by hwloc in a contained child first
    // (xml_input.hpp). Throws InputError starting with the path.
    static Machine from_xml(const std::string& path);
    // Same, from XML text held in memory (tests, fuzzing); `origin` names it in errors.
    static Machine from_xml_text(const std::string& xml, const std::string& origin);

    Machine(Machine&&) noexcept;
    Machine& operator=(Machine&&) noexcept;
    ~Machine();

    const Topology& topology() const { return topo_; }
    // Export as XML v2 (for a per-node cache). Throws std::runtime_error on failure.
    void export_xml(const std::string& path) const;
    // Bind the calling thread's process to these OS CPUs and, if non-empty, its memory to these
    // NUMA nodes (OS indexes). Returns an empty string on success, else what failed.
    std::string bind_process(const std::vector<int>& cpus, const std::vector<int>& numa_nodes) const;

private:
    struct Impl;
    Machine(std::unique_ptr<Impl> impl, const std::string& origin);
    static Machine finish(std::unique_ptr<Impl> impl, const std::string& origin);
    std::unique_ptr<Impl> impl_;
    Topology topo_;
};

// One-line summary: packages, NUMA nodes (and memory-only ones skipped), cores, SMT, GPUs, NICs.
std::string describe(const Topology& t);

}  // namespace aif::topo

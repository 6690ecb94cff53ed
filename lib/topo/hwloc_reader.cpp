// SPDX-License-Identifier: GPL-2.0-or-later
// hwloc → plain structs: reads a loaded topology's cores, GPUs, NICs and GPU-NIC distances.
//
// GPU identity (one entry per physical GPU, or per partition on partitioned AMD GPUs):
//   OS devices are grouped by PCI bus id; within a group the best-named one wins:
//   NVML/RSMI > LevelZero > CUDA > OpenCL. Several NVML/RSMI devices on one bus id are
//   partitions (MI300A/X CPX, TPX) and each counts. A display/accelerator PCI function of
//   NVIDIA, AMD or Intel with no such OS device is still a GPU ("pci:<busid>").
//   index = the number in the NVML/RSMI/LevelZero/CUDA name; for OpenCL-only and PCI-only
//   GPUs it is the position in PCI bus order among GPUs of that vendor (the order the
//   vendor runtimes enumerate them with CUDA_DEVICE_ORDER=PCI_BUS_ID or ROCm's default).
#include "topo/hwloc_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>

#include "common/error.hpp"

namespace aif::topo {

namespace {

std::string busid(const hwloc_obj_t pci) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%01x", pci->attr->pcidev.domain, pci->attr->pcidev.bus,
                  pci->attr->pcidev.dev, pci->attr->pcidev.func);
    return buf;
}

hwloc_obj_t pci_parent(hwloc_obj_t o) {
    for (hwloc_obj_t p = o->parent; p; p = p->parent)
        if (p->type == HWLOC_OBJ_PCI_DEVICE) return p;
    return nullptr;
}

// Trailing number of an OS device name ("rsmi12" → 12), -1 if none.
int trailing_number(const std::string& name, const char* prefix) {
    std::size_t n = std::strlen(prefix);
    if (name.compare(0, n, prefix) != 0 || name.size() == n) return -1;
    int v = 0;
    for (std::size_t i = n; i < name.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
        v = v * 10 + (name[i] - '0');
        if (v > 1000000) return -1;
    }
    return v;
}

// hwloc_get_common_ancestor_obj() compares depths, which I/O objects do not have (2.x).
hwloc_obj_t common_ancestor(hwloc_obj_t a, hwloc_obj_t b) {
    for (hwloc_obj_t x = a; x; x = x->parent)
        for (hwloc_obj_t y = b; y; y = y->parent)
            if (x == y) return x;
    return nullptr;
}

bool has_prefix(const char* s, const char* p) { return s && std::strncmp(s, p, std::strlen(p)) == 0; }
bool same(const char* a, const char* b) { return a && b && std::strcmp(a, b) == 0; }

// An enum attribute of an object as an int: hwloc copies OS device and bridge types from the XML
// as numbers, so a file can hold a value no enumerator has, and reading that through the enum
// type is undefined behaviour (found by fuzz_topology).
template <class Enum>
int enum_value(const Enum& e) {
    int v = -1;
    static_assert(sizeof v == sizeof e);
    std::memcpy(&v, &e, sizeof v);
    return v;
}
int osdev_type(hwloc_obj_t o) { return enum_value(o->attr->osdev.type); }

// Rank of a GPU-ish OS device (lower is better), -1 if it does not name a GPU.
struct GpuName {
    int rank = -1;
    int index = -1;
};
GpuName classify_gpu(hwloc_obj_t o) {
    std::string name = o->name ? o->name : "";
    const char* sub = o->subtype;
    const int t = osdev_type(o);
    if (t == HWLOC_OBJ_OSDEV_GPU) {
        if (same(sub, "NVML") || has_prefix(o->name, "nvml")) return {0, trailing_number(name, "nvml")};
        if (same(sub, "RSMI") || has_prefix(o->name, "rsmi")) return {0, trailing_number(name, "rsmi")};
        return {};  // DRM card*/renderD* also name the BMC's VGA: the PCI fallback handles them
    }
    if (t == HWLOC_OBJ_OSDEV_COPROC) {
        if (same(sub, "LevelZero") || has_prefix(o->name, "ze")) return {1, trailing_number(name, "ze")};
        if (same(sub, "CUDA") || has_prefix(o->name, "cuda")) return {2, trailing_number(name, "cuda")};
        if (same(sub, "OpenCL") || has_prefix(o->name, "opencl")) return {3, -1};
    }
    return {};
}

Vendor vendor_of(unsigned id) {
    switch (id) {
        case 0x10de: return Vendor::nvidia;
        case 0x1002: return Vendor::amd;
        case 0x8086: return Vendor::intel;
        default: return Vendor::other;
    }
}

bool pci_is_gpu_class(hwloc_obj_t pci) {
    unsigned cls = pci->attr->pcidev.class_id;
    unsigned v = pci->attr->pcidev.vendor_id;
    bool display = (cls >> 8) == 0x03;
    if (v == 0x10de || v == 0x1002) return display || cls == 0x1200;  // 1200: MI300A/X
    // Intel data-center GPUs are 0380; 0300 is integrated VGA and 0b40 the QAT/DSA engines.
    if (v == 0x8086) return cls == 0x0380;
    return false;
}

class Builder {
public:
    explicit Builder(hwloc_topology_t t) : t_(t) {}

    Topology build(const std::string& source) {
        Topology out;
        out.source = source;
        cores(out);
        gpus(out);
        nics(out);
        distances(out);
        return out;
    }

private:
    hwloc_topology_t t_;
    std::vector<hwloc_obj_t> core_objs_;
    std::vector<hwloc_obj_t> gpu_pci_, nic_pci_;

    std::vector<int> cores_in(hwloc_const_cpuset_t set) const {
        std::vector<int> out;
        for (std::size_t i = 0; i < core_objs_.size(); ++i)
            if (hwloc_bitmap_intersects(core_objs_[i]->cpuset, set)) out.push_back(static_cast<int>(i));
        return out;
    }

    void cores(Topology& out) {
        int n = hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_CORE);
        hwloc_obj_type_t ct = n > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;  // some XMLs lack a Core level
        n = hwloc_get_nbobjs_by_type(t_, ct);
        // hwloc gives memory-only nodes (GH200/GB200 GPU memory, HBM, CXL) the cpuset of the
        // object they hang off, so "empty cpuset" does not find them. Each core instead picks
        // its node: plain DRAM before special memory, then the tightest cpuset, then the lowest
        // OS index (the kernel numbers CPU nodes first). Nodes no core picks are memory-only.
        std::vector<hwloc_obj_t> all_numas;
        for (hwloc_obj_t nn = nullptr; (nn = hwloc_get_next_obj_by_type(t_, HWLOC_OBJ_NUMANODE, nn));)
            if (nn->cpuset && !hwloc_bitmap_iszero(nn->cpuset)) all_numas.push_back(nn);
        auto special = [](hwloc_obj_t nn) { return nn->subtype && std::strcmp(nn->subtype, "DRAM") != 0; };
        auto node_of = [&](hwloc_obj_t c) -> hwloc_obj_t {
            hwloc_obj_t best = nullptr;
            for (auto* nn : all_numas) {
                if (!hwloc_bitmap_isincluded(c->cpuset, nn->cpuset)) continue;
                if (!best) { best = nn; continue; }
                int ws = special(nn), wb = special(best);
                int ns = hwloc_bitmap_weight(nn->cpuset), nb = hwloc_bitmap_weight(best->cpuset);
                if (ws != wb ? ws < wb : ns != nb ? ns < nb : nn->os_index < best->os_index) best = nn;
            }
            return best;
        };
        int n_all = hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_NUMANODE);
        std::vector<hwloc_obj_t> numa_objs;
        for (int i = 0; i < n; ++i)
            if (hwloc_obj_t c = hwloc_get_obj_by_type(t_, ct, static_cast<unsigned>(i)); c && c->cpuset)
                if (hwloc_obj_t nn = node_of(c); nn && std::find(numa_objs.begin(), numa_objs.end(), nn) == numa_objs.end())
                    numa_objs.push_back(nn);
        out.cpuless_numas = n_all - static_cast<int>(numa_objs.size());
        std::sort(numa_objs.begin(), numa_objs.end(),
                  [](hwloc_obj_t a, hwloc_obj_t b) { return a->os_index < b->os_index; });
        for (auto* nn : numa_objs) out.numas.push_back({static_cast<int>(nn->os_index), {}});
        out.packages = std::max(1, hwloc_get_nbobjs_by_type(t_, HWLOC_OBJ_PACKAGE));
        for (int i = 0; i < n; ++i) {
            hwloc_obj_t c = hwloc_get_obj_by_type(t_, ct, static_cast<unsigned>(i));
            if (!c || !c->cpuset || hwloc_bitmap_iszero(c->cpuset)) continue;
            Core core;
            core.logical = static_cast<int>(c->logical_index);
            int pu;
            hwloc_bitmap_foreach_begin(pu, c->cpuset) core.pus.push_back(pu);
            hwloc_bitmap_foreach_end();
            if (hwloc_obj_t nn = node_of(c)) {
                auto it = std::find(numa_objs.begin(), numa_objs.end(), nn);
                core.numa = static_cast<int>(it - numa_objs.begin());
            }
            if (auto* p = hwloc_get_ancestor_obj_by_type(t_, HWLOC_OBJ_PACKAGE, c))
                core.package = static_cast<int>(p->logical_index);
            if (auto* l3 = hwloc_get_ancestor_obj_by_type(t_, HWLOC_OBJ_L3CACHE, c))
                core.l3 = static_cast<int>(l3->logical_index);
            out.smt = std::max(out.smt, static_cast<int>(core.pus.size()));
            int idx = static_cast<int>(out.cores.size());
            if (core.numa >= 0) out.numas[static_cast<std::size_t>(core.numa)].cores.push_back(idx);
            out.cores.push_back(std::move(core));
            core_objs_.push_back(c);
        }
        if (out.cores.empty()) throw InputError(out.source + ": the topology has no cores");
    }

    std::string locality_name(hwloc_obj_t anc) const {
        char type[64];
        hwloc_obj_type_snprintf(type, sizeof type, anc, 0);
        return std::string(type) + "#" + std::to_string(anc->logical_index);
    }

    void gpus(Topology& out) {
        struct Candidate {
            hwloc_obj_t osdev;
            GpuName id;
        };
        std::map<hwloc_obj_t, std::vector<Candidate>> by_pci;
        for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_osdev(t_, o));) {
            GpuName id = classify_gpu(o);
            if (id.rank < 0) continue;
            if (hwloc_obj_t pci = pci_parent(o)) by_pci[pci].push_back({o, id});
        }
        struct Found {
            Gpu gpu;
            hwloc_obj_t pci;
        };
        std::vector<Found> found;
        auto add = [&](hwloc_obj_t pci, hwloc_obj_t osdev, int index) {
            Gpu g;
            g.pci = busid(pci);
            g.vendor = vendor_of(pci->attr->pcidev.vendor_id);
            g.index = index;
            g.name = osdev && osdev->name ? osdev->name : "pci:" + g.pci;
            if (osdev)
                for (const char* key : {"NVIDIAUUID", "AMDUUID", "LevelZeroUUID"})
                    if (const char* u = hwloc_obj_get_info_by_name(osdev, key)) g.uuid = u;
            hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t_, osdev ? osdev : pci);
            g.locality = locality_name(anc);
            g.cores = cores_in(anc->cpuset);
            found.push_back({std::move(g), pci});
        };
        for (hwloc_obj_t pci = nullptr; (pci = hwloc_get_next_pcidev(t_, pci));) {
            auto it = by_pci.find(pci);
            if (it == by_pci.end()) {
                if (pci_is_gpu_class(pci)) add(pci, nullptr, -1);
                continue;
            }
            auto& cands = it->second;
            std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
                return a.id.rank != b.id.rank ? a.id.rank < b.id.rank : a.id.index < b.id.index;
            });
            int best = cands.front().id.rank;
            if (best == 0) {  // every NVML/RSMI device counts: partitions share the bus id
                for (auto& c : cands)
                    if (c.id.rank == 0) add(pci, c.osdev, c.id.index);
            } else {
                add(pci, cands.front().osdev, cands.front().id.index);
            }
        }
        // Number the GPUs that have no vendor index, per vendor, in PCI order after the others.
        std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.gpu.pci < b.gpu.pci; });
        std::map<Vendor, int> next;
        for (auto& f : found)
            if (f.gpu.index >= 0) next[f.gpu.vendor] = std::max(next[f.gpu.vendor], f.gpu.index + 1);
        for (auto& f : found)
            if (f.gpu.index < 0) f.gpu.index = next[f.gpu.vendor]++;
        std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
            return a.gpu.index != b.gpu.index ? a.gpu.index < b.gpu.index : a.gpu.name < b.gpu.name;
        });
        for (auto& f : found) {
            out.gpus.push_back(std::move(f.gpu));
            gpu_pci_.push_back(f.pci);
        }
    }

    void nics(Topology& out) {
        struct Acc {
            std::string verbs, netdev;
            bool slingshot = false;
        };
        std::map<hwloc_obj_t, Acc> by_pci;
        for (hwloc_obj_t o = nullptr; (o = hwloc_get_next_osdev(t_, o));) {
            const int t = osdev_type(o);
            if (t != HWLOC_OBJ_OSDEV_OPENFABRICS && t != HWLOC_OBJ_OSDEV_NETWORK) continue;
            hwloc_obj_t pci = pci_parent(o);
            if (!pci || !o->name) continue;  // virtual interfaces
            auto& a = by_pci[pci];
            std::string& slot = t == HWLOC_OBJ_OSDEV_OPENFABRICS ? a.verbs : a.netdev;
            if (slot.empty() || std::string(o->name) < slot) slot = o->name;
            if (same(o->subtype, "Slingshot")) a.slingshot = true;
        }
        std::vector<std::pair<Nic, hwloc_obj_t>> found;
        for (auto& [pci, a] : by_pci) {
            Nic n;
            n.pci = busid(pci);
            n.name = a.verbs.empty() ? a.netdev : a.verbs;
            n.netdev = a.netdev;
            unsigned cls = pci->attr->pcidev.class_id;
            if (a.slingshot || pci->attr->pcidev.vendor_id == 0x17db)  // HPE Cray Cassini
                n.kind = NicKind::slingshot;
            else if (cls == 0x0207)
                n.kind = NicKind::infiniband;
            else
                n.kind = NicKind::ethernet;  // includes RoCE-capable Ethernet: front-end, not fabric
            n.cores = cores_in(hwloc_get_non_io_ancestor_obj(t_, pci)->cpuset);
            found.emplace_back(std::move(n), pci);
        }
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first.pci < b.first.pci; });
        for (auto& [n, pci] : found) {
            out.nics.push_back(std::move(n));
            nic_pci_.push_back(pci);
        }
    }

    void distances(Topology& out) {
        out.gpu_nic_distance.assign(out.gpus.size(), std::vector<int>(out.nics.size(), 0));
        for (std::size_t g = 0; g < gpu_pci_.size(); ++g)
            for (std::size_t n = 0; n < nic_pci_.size(); ++n) {
                hwloc_obj_t anc = common_ancestor(gpu_pci_[g], nic_pci_[n]);
                int d;
                if (!anc)
                    d = nic_cpu_side + (1 << 20);
                else if (anc->type == HWLOC_OBJ_BRIDGE)
                    d = enum_value(anc->attr->bridge.upstream_type) == HWLOC_OBJ_BRIDGE_HOST ? nic_same_host_bridge
                                                                                : nic_same_switch;
                else if (anc->type == HWLOC_OBJ_PCI_DEVICE)
                    d = nic_same_switch;
                else
                    d = nic_cpu_side + hwloc_bitmap_weight(hwloc_get_non_io_ancestor_obj(t_, anc)->cpuset);
                out.gpu_nic_distance[g][n] = d;
            }
    }
};

}  // namespace

Topology read_topology(hwloc_topology_t t, const std::string& source) { return Builder(t).build(source); }

}  // namespace aif::topo

// hwloc → plain structs. The only file of the binding code that sees hwloc.
//
// GPU identity (one entry per physical GPU, or per partition on partitioned AMD GPUs):
//   OS devices are grouped by PCI bus id; within a group the best-named one wins:
//   NVML/RSMI > LevelZero > CUDA > OpenCL. Several NVML/RSMI devices on one bus id are
//   partitions (MI300A/X CPX, TPX) and each counts. A display/accelerator PCI function of
//   NVIDIA, AMD or Intel with no such OS device is still a GPU ("pci:<busid>").
//   index = the number in the NVML/RSMI/LevelZero/CUDA name; for OpenCL-only and PCI-only
//   GPUs it is the position in PCI bus order among GPUs of that vendor (the order the
//   vendor runtimes enumerate them with CUDA_DEVICE_ORDER=PCI_BUS_ID or ROCm's default).
#include "topo/topology.hpp"

#include <hwloc.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <map>
#include <optional>
#include <stdexcept>

#include "common/error.hpp"
#include "topo/xml_input.hpp"

namespace aif::topo {

namespace {

struct BitmapFree {
    void operator()(hwloc_bitmap_t b) const { hwloc_bitmap_free(b); }
};
using Bitmap = std::unique_ptr<hwloc_bitmap_s, BitmapFree>;
Bitmap new_bitmap() {
    Bitmap b(hwloc_bitmap_alloc());
    if (!b) throw std::bad_alloc();
    return b;
}

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

// Rank of a GPU-ish OS device (lower is better), -1 if it does not name a GPU.
struct GpuName {
    int rank = -1;
    int index = -1;
};
GpuName classify_gpu(hwloc_obj_t o) {
    std::string name = o->name ? o->name : "";
    const char* sub = o->subtype;
    auto t = o->attr->osdev.type;
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
            auto t = o->attr->osdev.type;
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
                    d = anc->attr->bridge.upstream_type == HWLOC_OBJ_BRIDGE_HOST ? nic_same_host_bridge
                                                                                : nic_same_switch;
                else if (anc->type == HWLOC_OBJ_PCI_DEVICE)
                    d = nic_same_switch;
                else
                    d = nic_cpu_side + hwloc_bitmap_weight(hwloc_get_non_io_ancestor_obj(t_, anc)->cpuset);
                out.gpu_nic_distance[g][n] = d;
            }
    }
};

struct TopologyFree {
    void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using TopoPtr = std::unique_ptr<hwloc_topology, TopologyFree>;

// hwloc_topology_init() dlopens every hwloc plugin (GL with X11, OpenCL, CUDA, ...): 2-8 ms
// per process, more where vendor stacks are installed. An XML import needs none of them, so
// keep them out while a topology for an XML is created (restored right after). Threads in
// slurmstepd may read the environment meanwhile: glibc's unsetenv works in place, and the one
// setenv per step process (one XML load) does not free the array a reader may hold.
class NoHwlocPlugins {
public:
    NoHwlocPlugins() {
        if (const char* v = std::getenv("HWLOC_PLUGINS_PATH")) saved_ = v;
        setenv("HWLOC_PLUGINS_PATH", "/nonexistent/aifactory-no-hwloc-plugins", 1);
    }
    ~NoHwlocPlugins() {
        if (saved_)
            setenv("HWLOC_PLUGINS_PATH", saved_->c_str(), 1);
        else
            unsetenv("HWLOC_PLUGINS_PATH");
    }
    NoHwlocPlugins(const NoHwlocPlugins&) = delete;
    NoHwlocPlugins& operator=(const NoHwlocPlugins&) = delete;

private:
    std::optional<std::string> saved_;
};

TopoPtr init_topology(bool for_xml = false) {
    hwloc_topology_t t;
    int rc;
    if (for_xml) {
        NoHwlocPlugins guard;
        rc = hwloc_topology_init(&t);
    } else {
        rc = hwloc_topology_init(&t);
    }
    if (rc != 0) throw std::runtime_error("hwloc_topology_init failed");
    TopoPtr p(t);
    hwloc_topology_set_io_types_filter(t, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
#if HWLOC_API_VERSION >= 0x00020100
    // The GL backend can hang on nodes with a stuck X server; GPUs come from NVML/RSMI/PCI anyway.
    hwloc_topology_set_components(t, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "gl");
#endif
    return p;
}

}  // namespace

const char* vendor_name(Vendor v) {
    switch (v) {
        case Vendor::nvidia: return "nvidia";
        case Vendor::amd: return "amd";
        case Vendor::intel: return "intel";
        default: return "other";
    }
}

const char* nic_kind_name(NicKind k) {
    switch (k) {
        case NicKind::infiniband: return "infiniband";
        case NicKind::slingshot: return "slingshot";
        default: return "ethernet";
    }
}

struct Machine::Impl {
    TopoPtr topo;
};

Machine::Machine(std::unique_ptr<Impl> impl, const std::string& origin) : impl_(std::move(impl)) {
    topo_ = Builder(impl_->topo.get()).build(origin);
}
Machine::Machine(Machine&&) noexcept = default;
Machine& Machine::operator=(Machine&&) noexcept = default;
Machine::~Machine() = default;

Machine Machine::finish(std::unique_ptr<Impl> impl, const std::string& origin) {
    if (hwloc_topology_load(impl->topo.get()) != 0)
        throw InputError(origin + ": hwloc could not load the topology (" + std::strerror(errno) + ")");
    return Machine(std::move(impl), origin);
}

Machine Machine::discover() {
    // HWLOC_XMLFILE would make hwloc read that path itself (blocking on a FIFO, unbounded on
    // /dev/zero): take it through the checked XML path instead.
    if (const char* xml = std::getenv("HWLOC_XMLFILE"); xml && *xml) return from_xml(xml);
    auto impl = std::make_unique<Impl>();
    impl->topo = init_topology();
    return finish(std::move(impl), "this machine");
}

Machine Machine::from_xml(const std::string& path) {
    return from_xml_text(read_topology_file(path), path);
}

namespace {

// hwloc's import of a buffer already checked by check_well_formed_xml().
TopoPtr import_xml(const std::string& xml, const std::string& origin) {
    TopoPtr t = init_topology(true);
    if (hwloc_topology_set_xmlbuffer(t.get(), xml.c_str(), static_cast<int>(xml.size()) + 1) != 0)
        throw InputError(origin + ": not hwloc XML");
    // A site may point the plugin at an XML of this very node: allow binding with it.
    hwloc_topology_set_flags(t.get(), HWLOC_TOPOLOGY_FLAG_IS_THISSYSTEM);
    if (hwloc_topology_load(t.get()) != 0)
        throw InputError(origin + ": hwloc could not load the topology (not hwloc XML?)");
    return t;
}

}  // namespace

Machine Machine::from_xml_text(const std::string& xml, const std::string& origin) {
    check_well_formed_xml(xml, origin);
    // hwloc 2.9 can still crash or run away on crafted well-formed XML (xml_input.cpp): a
    // contained child imports it first. Only hwloc's import runs there; our Builder runs here,
    // where the fuzzer sees it.
    std::string err = run_contained([&] {
        import_xml(xml, origin);
        return std::string();
    });
    if (!err.empty())
        throw InputError(err.rfind(origin, 0) == 0 ? err : origin + ": hwloc cannot import it: " + err);
    auto impl = std::make_unique<Impl>();
    impl->topo = import_xml(xml, origin);
    return Machine(std::move(impl), origin);
}

void Machine::export_xml(const std::string& path) const {
    if (hwloc_topology_export_xml(impl_->topo.get(), path.c_str(), 0) != 0)
        throw std::runtime_error(path + ": cannot write topology XML (" + std::strerror(errno) + ")");
}

std::string Machine::bind_process(const std::vector<int>& cpus, const std::vector<int>& numa_nodes) const {
    hwloc_topology_t t = impl_->topo.get();
    std::string err;
    if (!cpus.empty()) {
        Bitmap set = new_bitmap();
        for (int c : cpus) hwloc_bitmap_set(set.get(), static_cast<unsigned>(c));
        if (hwloc_set_cpubind(t, set.get(), 0) != 0)
            err = std::string("CPU binding failed (") + std::strerror(errno) + ")";
    }
    if (!numa_nodes.empty()) {
        Bitmap set = new_bitmap();
        for (int n : numa_nodes) hwloc_bitmap_set(set.get(), static_cast<unsigned>(n));
        // Not STRICT: one node becomes "preferred", so a rank that outgrows its node spills over
        // instead of being killed.
        if (hwloc_set_membind(t, set.get(), HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET) != 0) {
            if (!err.empty()) err += "; ";
            err += std::string("memory binding failed (") + std::strerror(errno) + ")";
        }
    }
    return err;
}

std::string describe(const Topology& t) {
    std::string s = std::to_string(t.packages) + " package(s), " + std::to_string(t.numas.size()) +
                    " NUMA node(s) with CPUs";
    if (t.cpuless_numas) s += " (+" + std::to_string(t.cpuless_numas) + " memory-only, not used)";
    s += ", " + std::to_string(t.cores.size()) + " cores, SMT" + std::to_string(t.smt) + ", " +
         std::to_string(t.gpus.size()) + " GPU(s), " + std::to_string(t.nics.size()) + " NIC(s)";
    return s;
}

}  // namespace aif::topo

// SPDX-License-Identifier: GPL-2.0-or-later
// hwloc → plain structs: loads a topology (this machine or a checked XML), describes it with
// hwloc_reader.cpp and binds processes. The only files of the binding code that see hwloc.
#include "topo/topology.hpp"

#include <hwloc.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "common/error.hpp"
#include "topo/hwloc_reader.hpp"
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
    topo_ = read_topology(impl_->topo.get(), origin);
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

// SPDX-License-Identifier: GPL-2.0-or-later
// Internal to libaifgpu: one vendor library (NVML, ROCm SMI) loaded with dlopen(), behind one
// interface, and how Slurm's GPU ids are matched to its devices.
#pragma once
#ifdef AIF_PLUGIN
#error "lib/gpu/vendor.hpp is internal to libaifgpu: include gpu/gpu.hpp"
#endif
#include <dlfcn.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace aif::gpu {

// One device at one moment; a value the device could not give is absent.
struct Reading {
    std::optional<std::uint64_t> mem_used_bytes;
    std::optional<unsigned> util_pct;
    std::optional<double> energy_j;  // cumulative counter (since driver load), joules
    std::optional<double> power_w;   // instantaneous draw
};

// Looks up a required symbol of a vendor library into `fn`; the first one missing is named in
// `why` and clears `ok` (later lookups still run, so every pointer is set or null).
template <class Fn>
void need_symbol(void* lib, Fn& fn, const char* sym, bool& ok, std::string& why) {
    fn = reinterpret_cast<std::remove_reference_t<Fn>>(dlsym(lib, sym));
    if (!fn && ok) {
        why = std::string("no symbol ") + sym;
        ok = false;
    }
}

class Vendor {
public:
    virtual ~Vendor() = default;
    virtual const char* name() const = 0;
    // The library's own init; false with `why` on failure. Then count() and the rest are valid.
    virtual bool init(std::string& why) = 0;
    virtual unsigned count() const = 0;
    // The number of the device file Slurm's gres.conf names for this device (NVML: N of
    // /dev/nvidiaN; ROCm SMI: N of /dev/dri/renderDN), when the library can tell.
    virtual std::optional<unsigned> minor(unsigned index) = 0;
    virtual Reading read(unsigned index) = 0;
    virtual void shutdown() = 0;
};

// Loads the library with dlopen() and resolves its symbols; nullptr with `why` when it cannot.
// The library stays loaded for the life of the process (vendor libraries may leave thread-local
// destructors or atexit handlers behind, which would run after a dlclose()).
std::unique_ptr<Vendor> load_nvml(const std::string& path, std::string& why);
std::unique_ptr<Vendor> load_rocm_smi(const std::string& path, std::string& why);

// Device indexes of the library for Slurm's GPU ids. First by device-file number: the devices
// whose minor() is one of the ids. When none matches (numbers unknown, or another numbering),
// by index; and when the library sees exactly as many devices as the step has but some id is
// beyond them, the view is the step's own (a device cgroup renumbered it from 0): all of them.
// Ids that match nothing are left out; each device comes once.
std::vector<unsigned> map_devices(const std::vector<int>& slurm_ids, const std::vector<std::optional<unsigned>>& minors);

// Sanity caps: no more devices per node, no more per step.
inline constexpr unsigned kMaxDevices = 256;

}  // namespace aif::gpu

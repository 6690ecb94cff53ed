// SPDX-License-Identifier: GPL-2.0-or-later
// ROCm SMI through dlopen(): the entry points we use, declared from AMD's documented C ABI
// (rocm_smi/rocm_smi.h of ROCm/rocm_smi_lib: rsmi_status_t is an enum with
// RSMI_STATUS_SUCCESS = 0; rsmi_memory_type_t RSMI_MEM_TYPE_VRAM = 0, used in bytes; busy percent
// as uint32_t; the energy accumulator as a count whose resolution (float) is in microjoules).
#include <dlfcn.h>

#include <type_traits>

#include <cstdint>

#include "gpu/vendor.hpp"

namespace aif::gpu {
namespace {

extern "C" {
typedef int rsmi_status_t;       // enum in rocm_smi.h
typedef int rsmi_memory_type_t;  // enum in rocm_smi.h
}
constexpr rsmi_status_t RSMI_STATUS_SUCCESS = 0;
constexpr rsmi_memory_type_t RSMI_MEM_TYPE_VRAM = 0;

class RocmSmi final : public Vendor {
public:
    explicit RocmSmi(void* lib) : lib_(lib) {}
    const char* name() const override { return "rocm_smi"; }

    bool resolve(std::string& why) {
        bool ok = true;
        auto need = [&](auto& fn, const char* sym) { need_symbol(lib_, fn, sym, ok, why); };
        need(init_, "rsmi_init");
        need(count_, "rsmi_num_monitor_devices");
        need(memory_, "rsmi_dev_memory_usage_get");
        need(busy_, "rsmi_dev_busy_percent_get");
        need(energy_, "rsmi_dev_energy_count_get");
        need(shutdown_, "rsmi_shut_down");
        // Optional: the /dev/dri/renderDN number, which gres.conf File= may name.
        minor_ = reinterpret_cast<decltype(minor_)>(dlsym(lib_, "rsmi_dev_drm_render_minor_get"));
        return ok;
    }

    bool init(std::string& why) override {
        if (rsmi_status_t rc = init_(0); rc != RSMI_STATUS_SUCCESS) {
            why = "rsmi_init returned " + std::to_string(rc);
            return false;
        }
        std::uint32_t n = 0;
        if (rsmi_status_t rc = count_(&n); rc != RSMI_STATUS_SUCCESS) {
            why = "rsmi_num_monitor_devices returned " + std::to_string(rc);
            shutdown_();
            return false;
        }
        count_value_ = n < kMaxDevices ? n : kMaxDevices;
        return true;
    }
    unsigned count() const override { return count_value_; }

    std::optional<unsigned> minor(unsigned i) override {
        std::uint32_t m = 0;
        if (!minor_ || i >= count_value_ || minor_(i, &m) != RSMI_STATUS_SUCCESS) return {};
        return m;
    }

    Reading read(unsigned i) override {
        Reading r;
        if (i >= count_value_) return r;
        std::uint64_t used = 0;
        if (memory_(i, RSMI_MEM_TYPE_VRAM, &used) == RSMI_STATUS_SUCCESS) r.mem_used_bytes = used;
        std::uint32_t busy = 0;
        if (busy_(i, &busy) == RSMI_STATUS_SUCCESS) r.util_pct = busy;
        std::uint64_t count = 0, ts = 0;
        float resolution_uj = 0;
        if (energy_(i, &count, &resolution_uj, &ts) == RSMI_STATUS_SUCCESS && resolution_uj > 0)
            r.energy_j = static_cast<double>(count) * static_cast<double>(resolution_uj) / 1e6;
        return r;
    }

    void shutdown() override {
        count_value_ = 0;
        shutdown_();
    }

private:
    void* lib_;
    unsigned count_value_ = 0;
    rsmi_status_t (*init_)(std::uint64_t flags) = nullptr;
    rsmi_status_t (*count_)(std::uint32_t*) = nullptr;
    rsmi_status_t (*memory_)(std::uint32_t, rsmi_memory_type_t, std::uint64_t*) = nullptr;
    rsmi_status_t (*busy_)(std::uint32_t, std::uint32_t*) = nullptr;
    rsmi_status_t (*energy_)(std::uint32_t, std::uint64_t*, float*, std::uint64_t*) = nullptr;
    rsmi_status_t (*shutdown_)() = nullptr;
    rsmi_status_t (*minor_)(std::uint32_t, std::uint32_t*) = nullptr;
};

}  // namespace

std::unique_ptr<Vendor> load_rocm_smi(const std::string& path, std::string& why) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* e = dlerror();
        why = e ? e : "cannot load";
        return nullptr;
    }
    auto v = std::make_unique<RocmSmi>(lib);
    if (!v->resolve(why)) return nullptr;
    return v;
}

}  // namespace aif::gpu

// SPDX-License-Identifier: GPL-2.0-or-later
// NVML through dlopen(): the few types and entry points we use, declared from NVIDIA's documented
// C ABI (nvml.h of the CUDA toolkit / "NVML API Reference Guide", docs.nvidia.com/deploy/nvml-api:
// nvmlReturn_t is an enum with NVML_SUCCESS = 0; nvmlDevice_t an opaque pointer; nvmlMemory_t
// {total, free, used} as unsigned long long bytes; nvmlUtilization_t {gpu, memory} as unsigned
// int percent; total energy in millijoules since the driver was loaded (Volta and later); power
// in milliwatts). The _v2 entry points are those nvml.h maps nvmlInit/GetCount/GetHandleByIndex to.
#include <dlfcn.h>

#include <type_traits>

#include "gpu/vendor.hpp"

namespace aif::gpu {
namespace {

extern "C" {
typedef int nvmlReturn_t;  // enum in nvml.h; an int in the C ABI
typedef struct nvmlDevice_st* nvmlDevice_t;
struct nvmlMemory_t {
    unsigned long long total, free, used;
};
struct nvmlUtilization_t {
    unsigned int gpu, memory;
};
}
constexpr nvmlReturn_t NVML_SUCCESS = 0;

class Nvml final : public Vendor {
public:
    explicit Nvml(void* lib) : lib_(lib) {}
    const char* name() const override { return "nvml"; }

    bool resolve(std::string& why) {
        bool ok = true;
        auto need = [&](auto& fn, const char* sym) { need_symbol(lib_, fn, sym, ok, why); };
        need(init_, "nvmlInit_v2");
        need(count_, "nvmlDeviceGetCount_v2");
        need(handle_, "nvmlDeviceGetHandleByIndex_v2");
        need(memory_, "nvmlDeviceGetMemoryInfo");
        need(util_, "nvmlDeviceGetUtilizationRates");
        need(energy_, "nvmlDeviceGetTotalEnergyConsumption");
        need(power_, "nvmlDeviceGetPowerUsage");
        need(shutdown_, "nvmlShutdown");
        // Optional: the /dev/nvidiaN number, which is what Slurm's gres.conf File= names.
        minor_ = reinterpret_cast<decltype(minor_)>(dlsym(lib_, "nvmlDeviceGetMinorNumber"));
        return ok;
    }

    bool init(std::string& why) override {
        if (nvmlReturn_t rc = init_(); rc != NVML_SUCCESS) {
            why = "nvmlInit_v2 returned " + std::to_string(rc);
            return false;
        }
        unsigned n = 0;
        if (nvmlReturn_t rc = count_(&n); rc != NVML_SUCCESS) {
            why = "nvmlDeviceGetCount_v2 returned " + std::to_string(rc);
            shutdown_();
            return false;
        }
        for (unsigned i = 0; i < n && i < kMaxDevices; ++i) {
            nvmlDevice_t d = nullptr;
            devices_.push_back(handle_(i, &d) == NVML_SUCCESS ? d : nullptr);  // keep indexes aligned
        }
        return true;
    }
    unsigned count() const override { return static_cast<unsigned>(devices_.size()); }

    std::optional<unsigned> minor(unsigned i) override {
        unsigned m = 0;
        if (!minor_ || i >= devices_.size() || !devices_[i] || minor_(devices_[i], &m) != NVML_SUCCESS) return {};
        return m;
    }

    Reading read(unsigned i) override {
        Reading r;
        if (i >= devices_.size() || !devices_[i]) return r;
        nvmlDevice_t d = devices_[i];
        nvmlMemory_t mem{};
        if (memory_(d, &mem) == NVML_SUCCESS) r.mem_used_bytes = mem.used;
        nvmlUtilization_t u{};
        if (util_(d, &u) == NVML_SUCCESS) r.util_pct = u.gpu;
        unsigned long long mj = 0;
        if (energy_(d, &mj) == NVML_SUCCESS) r.energy_j = static_cast<double>(mj) / 1000.0;
        unsigned mw = 0;
        if (power_(d, &mw) == NVML_SUCCESS) r.power_w = mw / 1000.0;
        return r;
    }

    void shutdown() override {
        devices_.clear();
        shutdown_();
    }

private:
    void* lib_;
    std::vector<nvmlDevice_t> devices_;
    nvmlReturn_t (*init_)() = nullptr;
    nvmlReturn_t (*count_)(unsigned int*) = nullptr;
    nvmlReturn_t (*handle_)(unsigned int, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*memory_)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
    nvmlReturn_t (*util_)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
    nvmlReturn_t (*energy_)(nvmlDevice_t, unsigned long long*) = nullptr;
    nvmlReturn_t (*power_)(nvmlDevice_t, unsigned int*) = nullptr;
    nvmlReturn_t (*shutdown_)() = nullptr;
    nvmlReturn_t (*minor_)(nvmlDevice_t, unsigned int*) = nullptr;
};

}  // namespace

std::unique_ptr<Vendor> load_nvml(const std::string& path, std::string& why) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* e = dlerror();
        why = e ? e : "cannot load";
        return nullptr;
    }
    auto v = std::make_unique<Nvml>(lib);
    if (!v->resolve(why)) return nullptr;
    return v;
}

}  // namespace aif::gpu

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake libnvidia-ml.so.1 for tests: the NVML entry points aifactory's sampler uses, with the
 * documented C signatures (NVML API Reference), replaying tests/gpu/fake_timeline.h. */
#include <stddef.h>
#include <stdint.h>

#include "fake_timeline.h"

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st* nvmlDevice_t;
typedef struct {
    unsigned long long total, free, used;
} nvmlMemory_t;
typedef struct {
    unsigned int gpu, memory;
} nvmlUtilization_t;

enum { NVML_SUCCESS = 0, NVML_ERROR_UNINITIALIZED = 1, NVML_ERROR_INVALID_ARGUMENT = 2,
       NVML_ERROR_NOT_SUPPORTED = 3, NVML_ERROR_UNKNOWN = 999 };

/* A handle is the device index + 1 (never NULL). */
static int dev_of(nvmlDevice_t d, unsigned* i) {
    uintptr_t v = (uintptr_t)d;
    if (v == 0 || v > fake_devices()) return 0;
    *i = (unsigned)(v - 1);
    return 1;
}

nvmlReturn_t nvmlInit_v2(void) { return fake_load(NULL) == 0 ? NVML_SUCCESS : NVML_ERROR_UNKNOWN; }
nvmlReturn_t nvmlShutdown(void) {
    fake_unload();
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* n) {
    if (!n) return NVML_ERROR_INVALID_ARGUMENT;
    *n = fake_devices();
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t* d) {
    if (!d || i >= fake_devices()) return NVML_ERROR_INVALID_ARGUMENT;
    *d = (nvmlDevice_t)(uintptr_t)(i + 1);
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t d, unsigned int* m) {
    unsigned i;
    if (!m || !dev_of(d, &i)) return NVML_ERROR_INVALID_ARGUMENT;
    *m = fake_minor(i);
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t* mem) {
    unsigned i;
    const struct fake_row* r;
    if (!mem || !dev_of(d, &i)) return NVML_ERROR_INVALID_ARGUMENT;
    if (!(r = fake_next(i, FAKE_MEM))) return NVML_ERROR_UNKNOWN;
    mem->total = 80ull << 30;
    mem->used = r->mem;
    mem->free = mem->total > r->mem ? mem->total - r->mem : 0;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t* u) {
    unsigned i;
    const struct fake_row* r;
    if (!u || !dev_of(d, &i)) return NVML_ERROR_INVALID_ARGUMENT;
    if (!(r = fake_next(i, FAKE_UTIL))) return NVML_ERROR_UNKNOWN;
    u->gpu = r->util;
    u->memory = r->util / 2;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long* mj) {
    unsigned i;
    const struct fake_row* r;
    if (!mj || !dev_of(d, &i)) return NVML_ERROR_INVALID_ARGUMENT;
    if (!(r = fake_next(i, FAKE_ENERGY))) return NVML_ERROR_NOT_SUPPORTED;
    *mj = r->energy_mj;
    return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int* mw) {
    unsigned i;
    const struct fake_row* r;
    if (!mw || !dev_of(d, &i)) return NVML_ERROR_INVALID_ARGUMENT;
    if (!(r = fake_next(i, FAKE_POWER))) return NVML_ERROR_NOT_SUPPORTED;
    *mw = r->power_mw;
    return NVML_SUCCESS;
}

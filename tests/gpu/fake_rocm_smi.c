/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake librocm_smi64.so for tests: the ROCm SMI entry points aifactory's sampler uses, with
 * the C signatures of rocm_smi.h, replaying tests/gpu/fake_timeline.h. The energy counter
 * ticks in 250 uJ units (ENERGY_MJ x 4), as real devices report a count and its resolution. */
#include <stdint.h>

#include "fake_timeline.h"

typedef int rsmi_status_t;
enum { RSMI_STATUS_SUCCESS = 0, RSMI_STATUS_INVALID_ARGS = 1, RSMI_STATUS_NOT_SUPPORTED = 2,
       RSMI_STATUS_INIT_ERROR = 8, RSMI_STATUS_NO_DATA = 13 };

rsmi_status_t rsmi_init(uint64_t flags) {
    (void)flags;
    return fake_load("AIF_FAKE_ROCM_TIMELINE") == 0 ? RSMI_STATUS_SUCCESS : RSMI_STATUS_INIT_ERROR;
}
rsmi_status_t rsmi_shut_down(void) {
    fake_unload();
    return RSMI_STATUS_SUCCESS;
}
rsmi_status_t rsmi_num_monitor_devices(uint32_t* n) {
    if (!n) return RSMI_STATUS_INVALID_ARGS;
    *n = fake_devices();
    return RSMI_STATUS_SUCCESS;
}
rsmi_status_t rsmi_dev_drm_render_minor_get(uint32_t i, uint32_t* m) {
    if (!m || i >= fake_devices()) return RSMI_STATUS_INVALID_ARGS;
    *m = fake_minor(i);
    return RSMI_STATUS_SUCCESS;
}
rsmi_status_t rsmi_dev_memory_usage_get(uint32_t i, int type, uint64_t* used) {
    const struct fake_row* r;
    if (!used || i >= fake_devices()) return RSMI_STATUS_INVALID_ARGS;
    if (type != 0) return RSMI_STATUS_NOT_SUPPORTED; /* VRAM only */
    if (!(r = fake_next(i, FAKE_MEM))) return RSMI_STATUS_NO_DATA;
    *used = r->mem;
    return RSMI_STATUS_SUCCESS;
}
rsmi_status_t rsmi_dev_busy_percent_get(uint32_t i, uint32_t* busy) {
    const struct fake_row* r;
    if (!busy || i >= fake_devices()) return RSMI_STATUS_INVALID_ARGS;
    if (!(r = fake_next(i, FAKE_UTIL))) return RSMI_STATUS_NO_DATA;
    *busy = r->util;
    return RSMI_STATUS_SUCCESS;
}
rsmi_status_t rsmi_dev_energy_count_get(uint32_t i, uint64_t* count, float* resolution, uint64_t* ts) {
    const struct fake_row* r;
    if (!count || !ts || i >= fake_devices()) return RSMI_STATUS_INVALID_ARGS;
    if (!(r = fake_next(i, FAKE_ENERGY))) return RSMI_STATUS_NOT_SUPPORTED;
    *count = r->energy_mj * 4;
    if (resolution) *resolution = 250.0f;
    *ts = 0;
    return RSMI_STATUS_SUCCESS;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scripted GPU timeline for the fake NVML and ROCm SMI libraries (tests only).
 *
 * The file named by $AIF_FAKE_GPU_TIMELINE is read at the library's init (the ROCm SMI fake
 * reads $AIF_FAKE_ROCM_TIMELINE instead when it is set, so that one process can hold both kinds
 * of GPU). Lines:
 *   devices N                 N devices (at most 16)
 *   minor D M                 device D's device-file number (default: D)
 *   no_energy D / no_power D  that getter fails for device D (NOT_SUPPORTED)
 *   hang D                    reading device D's memory blocks for 10 s (a GPU in a bad state)
 *   D MEM_BYTES UTIL_PCT ENERGY_MJ POWER_MW
 *                             the next row of device D
 *   # ...                     a comment
 * Each getter keeps its own cursor per device: its k-th call for device D returns D's k-th row,
 * whatever order the caller reads in. After the last row every getter fails, so a caller that
 * samples more often than the script has rows sees exactly the scripted values and no more. */
#ifndef AIF_FAKE_TIMELINE_H
#define AIF_FAKE_TIMELINE_H

#include <stdint.h>

#define FAKE_MAX_DEVICES 16
#define FAKE_MAX_ROWS 4096

enum fake_metric { FAKE_MEM, FAKE_UTIL, FAKE_ENERGY, FAKE_POWER, FAKE_METRICS };

struct fake_row {
    uint64_t mem, energy_mj;
    unsigned util, power_mw;
};

/* Loads the timeline named by $`var` (else $AIF_FAKE_GPU_TIMELINE); 0 on success, -1 when
 * neither is set or the file is bad. */
int fake_load(const char* var);
unsigned fake_devices(void);
unsigned fake_minor(unsigned dev);
/* The next row of `dev` for `metric`, or NULL when the script is over or the metric is off. */
const struct fake_row* fake_next(unsigned dev, enum fake_metric metric);
void fake_unload(void);

#endif

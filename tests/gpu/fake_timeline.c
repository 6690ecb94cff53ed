/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fake_timeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned n_devices;
static unsigned minors[FAKE_MAX_DEVICES];
static int off[FAKE_MAX_DEVICES][FAKE_METRICS];
static int hang[FAKE_MAX_DEVICES];
static struct fake_row rows[FAKE_MAX_DEVICES][FAKE_MAX_ROWS];
static unsigned n_rows[FAKE_MAX_DEVICES];
static unsigned cursor[FAKE_MAX_DEVICES][FAKE_METRICS];

int fake_load(const char* var) {
    const char* path = var ? getenv(var) : NULL;
    if (!path || !*path) path = getenv("AIF_FAKE_GPU_TIMELINE");
    FILE* f = path ? fopen(path, "r") : NULL;
    if (!f) return -1;
    pthread_mutex_lock(&mu);
    n_devices = 0;
    memset(off, 0, sizeof off);
    memset(hang, 0, sizeof hang);
    memset(n_rows, 0, sizeof n_rows);
    memset(cursor, 0, sizeof cursor);
    for (unsigned d = 0; d < FAKE_MAX_DEVICES; ++d) minors[d] = d;
    char line[512];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned d, m;
        unsigned long long mem, energy;
        unsigned util, power;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "devices %u", &d) == 1 && d <= FAKE_MAX_DEVICES) n_devices = d;
        else if (sscanf(line, "minor %u %u", &d, &m) == 2 && d < FAKE_MAX_DEVICES) minors[d] = m;
        else if (sscanf(line, "no_energy %u", &d) == 1 && d < FAKE_MAX_DEVICES) off[d][FAKE_ENERGY] = 1;
        else if (sscanf(line, "no_power %u", &d) == 1 && d < FAKE_MAX_DEVICES) off[d][FAKE_POWER] = 1;
        else if (sscanf(line, "hang %u", &d) == 1 && d < FAKE_MAX_DEVICES) hang[d] = 1;
        else if (sscanf(line, "%u %llu %u %llu %u", &d, &mem, &util, &energy, &power) == 5 &&
                 d < FAKE_MAX_DEVICES && n_rows[d] < FAKE_MAX_ROWS) {
            struct fake_row* r = &rows[d][n_rows[d]++];
            r->mem = mem;
            r->util = util;
            r->energy_mj = energy;
            r->power_mw = power;
        } else bad = 1;
    }
    fclose(f);
    pthread_mutex_unlock(&mu);
    return bad ? -1 : 0;
}

unsigned fake_devices(void) { return n_devices; }
unsigned fake_minor(unsigned dev) { return dev < FAKE_MAX_DEVICES ? minors[dev] : dev; }

const struct fake_row* fake_next(unsigned dev, enum fake_metric metric) {
    const struct fake_row* r = NULL;
    if (dev < FAKE_MAX_DEVICES && hang[dev] && metric == FAKE_MEM) sleep(10); /* a GPU in a bad state */
    pthread_mutex_lock(&mu);
    if (dev < n_devices && !off[dev][metric] && cursor[dev][metric] < n_rows[dev])
        r = &rows[dev][cursor[dev][metric]++];
    pthread_mutex_unlock(&mu);
    return r;
}

void fake_unload(void) {
    pthread_mutex_lock(&mu);
    n_devices = 0;
    pthread_mutex_unlock(&mu);
}

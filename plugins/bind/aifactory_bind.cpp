// SPDX-License-Identifier: GPL-2.0-or-later
// SPANK plugin aifactory_bind: pins each task of a step to its GPU(s), the cores and memory
// next to them and the nearest NIC (lib/topo does the work; bind_step.cpp adapts it to Slurm).
//
//   srun --llm-bind=closest|spread|none[,verbose][,smt]    (default set in plugstack.conf)
//   AIFACTORY_BIND=<same values> in the job environment: the user's default
//   plugstack.conf: optional aifactory_bind.so [default=closest|spread|none] [verbose]
//                   [topology=FILE.xml] [cache=FILE.xml|none] [smt=on|off] [nic=on|off]
//                   [omp=on|off] [mem=on|off]
//
// slurmd (once per node, root): discovers the topology and writes it to the cache file.
// slurmstepd, user_init (once per step): loads the topology and plans all local tasks within
// the step's cores and GPUs. task_init (per task, after task/affinity): binds, sets the env.
// An explicit --cpu-bind=none|map_cpu|map_ldom keeps Slurm's CPU binding (env still set).
// Any failure is logged and the plugin steps aside: the job runs as Slurm placed it.
extern "C" {
#include <slurm/spank.h>
}

#include <cstdio>
#include <exception>

#include "common/common.hpp"
#include "plugins/bind/bind_config.hpp"
#include "plugins/bind/bind_step.hpp"
#include "plugins/common/boundary.hpp"

// Data symbols need C and external linkage (slurm-api.md §1.3).
extern "C" {
extern const char plugin_name[] = "aifactory_bind";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

using namespace aif::bind;

constexpr const char* kStepAside = "not binding this step";
Config cfg;
UserChoice user;

int option_cb(int, const char* optarg, int remote) {
    try {
        user = parse_choice(optarg ? optarg : "", aif::names::kBindFlag);  // idempotent: may come twice
        return 0;
    } catch (const std::exception& e) {
        // srun refuses a bad value; on the node (checked already) an error would fail the step
        // (Slurm 25.05+ treats every non-zero SPANK return as one): log it, keep the default.
        if (!remote) std::fprintf(stderr, "aifactory_bind: %s\n", e.what());
        else slurm_error("aifactory_bind: %s; using the site default", e.what());
        return remote ? 0 : -1;
    } catch (...) {
        return remote ? 0 : -1;
    }
}

struct spank_option bind_option = {
    const_cast<char*>("llm-bind"), const_cast<char*>("closest|spread|none[,verbose][,smt]"),
    const_cast<char*>("Pin each task to its GPU, nearby cores, memory and NIC (aifactory). verbose: print the map."),
    1, 0, option_cb};

int register_option(spank_t sp) {
    if (spank_option_register(sp, &bind_option) != ESPANK_SUCCESS)
        slurm_error("aifactory_bind: cannot register --llm-bind");
    return 0;
}

int cache_topology() {
    try {
        write_cache(cfg);
    } catch (const std::exception& e) {
        slurm_error("aifactory_bind: %s; steps will discover the topology themselves", e.what());
    }
    return 0;
}

// Runs f; on an exception also forgets the step's plan, so that no task is bound by halves.
template <class F>
int stepping_aside(const char* where, F&& f) noexcept {
    return aif::plugin::guarded(kName, where, kStepAside, 0, [&] {
        try {
            return f();
        } catch (...) {
            step_aside();
            throw;
        }
    });
}

}  // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
    return stepping_aside("init", [&] {
        cfg = parse_config(ac, av);  // everywhere: srun shows a bad plugstack.conf word too
        switch (spank_context()) {
            case S_CTX_LOCAL:
            case S_CTX_ALLOCATOR:
            case S_CTX_REMOTE: return register_option(sp);
            case S_CTX_SLURMD: return cache_topology();
            default: return 0;
        }
    });
}

int slurm_spank_user_init(spank_t sp, int, char**) {
    return stepping_aside("user_init", [&] { return spank_context() == S_CTX_REMOTE ? step_user_init(sp, cfg, user) : 0; });
}

int slurm_spank_task_init(spank_t sp, int, char**) {
    return stepping_aside("task_init", [&] { return spank_context() == S_CTX_REMOTE ? task_init(sp, cfg, user) : 0; });
}

}  // extern "C"

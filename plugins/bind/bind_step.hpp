// SPDX-License-Identifier: GPL-2.0-or-later
// What aifactory_bind does in each context: slurmd caches the node's topology once; slurmstepd
// plans the step's tasks in user_init and binds each task in task_init (after task/affinity).
#pragma once
extern "C" {
#include <slurm/spank.h>
}

#include "plugins/bind/bind_config.hpp"

namespace aif::bind {

// slurmd (root, once per node start): writes the discovered topology to cfg.cache.
void write_cache(const Config& cfg);
// slurmstepd, once per step, as the user: loads the topology and plans all local tasks.
int step_user_init(spank_t sp, const Config& cfg, UserChoice& user);
// Each task: binds CPUs and memory, sets the GPU/NIC/OpenMP environment.
int task_init(spank_t sp, const Config& cfg, const UserChoice& user);
// Forget the plan after a failure: the step runs as Slurm placed it.
void step_aside();

}  // namespace aif::bind

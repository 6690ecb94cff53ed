// SPDX-License-Identifier: GPL-2.0-or-later
// What our SPANK plugins ask slurmstepd about a step, in one place, with which source is trusted.
//
// In remote context spank_getenv() reads the job's environment: the user wrote it (srun passes
// its own environment; a batch script can `export` anything). Only variables that slurmstepd
// itself overwrites or removes before the plugins run are trusted from there; see gpu_list().
// The slurmstepd process environment (std::getenv) and SPANK items are set by Slurm.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

extern "C" {
#include <slurm/spank.h>
}

namespace aif::plugin {

// A variable of the job's environment ("" when unset). User-controlled in remote context.
std::string job_getenv(spank_t sp, const char* name);

// Step id of the step (S_JOB_STEPID), or nothing outside a step.
std::optional<std::uint32_t> step_id(spank_t sp);
// "batch", "extern", "interactive" or the number.
std::string step_name(std::uint32_t id);
// True for steps started by srun (not batch, extern, interactive or pending).
bool is_launched_step(std::uint32_t id);

// The Slurm node name: SLURMD_NODENAME of this process (slurmd sets it for slurmstepd and the
// prolog/epilog; the job cannot change it), else the host name.
std::string node_name();

// Slurm's GPU indexes of the step on this node ("0,2"), "" when none or not known. From the job
// environment, but only the variable slurmstepd rewrites (or removes when there is none) before
// any plugin runs: SLURM_STEP_GPUS for srun steps, SLURM_JOB_GPUS for the batch and interactive
// steps (slurmstepd.c: gres_g_step_set_env / gres_g_job_set_env). Without GresTypes=gpu nothing
// rewrites them, so nothing is returned.
std::string gpu_list(spank_t sp, std::uint32_t step);

// "0,1,3" → 3; "" or "NoDevFiles" → nothing.
std::optional<std::uint32_t> count_devices(const std::string& list);

// ClusterName and GresTypes of the daemon that loaded us (its parsed slurm.conf, looked up at
// run time so that clients without the symbol still load the plugin); "" when not available.
std::string slurm_cluster_name();
bool slurm_has_gres_gpu();

}  // namespace aif::plugin

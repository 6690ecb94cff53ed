// SPDX-License-Identifier: GPL-2.0-or-later
// What aifactory_acct puts in a record, and from where. Identity and resources come only from
// sources the job's user cannot write (docs/security.md, "Plugins and accounting"):
//   step records (slurmstepd): uid, job, step, nodes, tasks, CPUs and allocated memory
//     (S_STEP_ALLOC_MEM, else S_JOB_ALLOC_MEM) from SPANK items; GPUs from
//     the variable slurmstepd itself rewrites (spank_step.hpp gpu_list); cluster from acct.conf,
//     else the daemon's slurm.conf; node from slurmstepd's own environment. Account and
//     partition have no trusted source here in Slurm 22.05 (no SPANK item; the step environment
//     is the user's): they are left out, and the job_end record carries them.
//   job_end records (epilog): SLURM_JOB_ACCOUNT / _PARTITION / _GPUS / SLURM_CLUSTER_NAME of the
//     epilog's own environment, which slurmd builds from the job credential after the user's
//     SPANK entries, themselves renamed SPANK_* (Slurm 22.05 prep_script_slurmd.c _build_env,
//     slurm_protocol_defs.c valid_spank_job_env).
//   not recorded on the node (no trusted source in Slurm 22.05 slurmstepd or epilog): the job's
//     time limit, submit and eligible times, requested memory and the job's final state as
//     slurmctld sees it. The time limit and submit time come from job_submit's decision record.
//   predictions: only a prediction job_submit signed for this uid counts as computed; any other
//     is recorded as user-declared.
#pragma once
#include <ctime>

extern "C" {
#include <slurm/spank.h>
}

namespace aif::acct_plugin {

// Per slurmstepd (one step): when the step started, and the first failing task's status.
struct StepTimes {
    std::time_t start = 0;
    double start_precise = 0;
    int exit_code = 0, exit_signal = 0;
    bool any_task = false;
};

double now_precise();
class StepUsage;
// Writes the step's record, with what `usage` measured (it is stopped first).
void write_step_end(spank_t sp, const StepTimes& t, StepUsage& usage);
void write_job_end(spank_t sp);

}  // namespace aif::acct_plugin

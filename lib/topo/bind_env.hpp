// SPDX-License-Identifier: GPL-2.0-or-later
// Environment variables that carry a task's plan to the runtimes inside it: GPU visibility
// (CUDA/ROCm/Level Zero), the NIC for NCCL/RCCL, UCX and libfabric, and OpenMP threads.
#pragma once
#include <string>
#include <vector>

#include "topo/planner.hpp"

namespace aif::topo {

struct EnvVar {
    std::string name;
    std::string value;
    bool overwrite = false;  // false: a value the user set wins
    bool unset = false;      // remove the variable (value unused)
};

struct EnvOptions {
    bool gpus = true;  // *_VISIBLE_DEVICES
    bool nic = true;   // NCCL_IB_HCA, UCX_NET_DEVICES, FI_CXI_DEVICE_NAME
    bool omp = true;   // OMP_NUM_THREADS, OMP_PLACES, OMP_PROC_BIND
    bool smt = false;  // the plan binds all hardware threads (OMP_PLACES=threads)
    // How the task's runtime numbers the node's GPUs. Empty: by node index (no device cgroup).
    // Otherwise the node GPU indexes in the order the step sees them (Slurm ConstrainDevices
    // renumbers the step's GPUs 0..n-1), and a GPU's visible number is its position here.
    std::vector<int> numbering;
};

// How the step numbers its GPUs, from Slurm's SLURM_STEP_GPUS ("2,3": node indexes) and the
// step's CUDA_VISIBLE_DEVICES/ROCR_VISIBLE_DEVICES: "0,1" means the device cgroup renumbered
// them (returns {2,3}); "2,3" or anything else means node numbering (returns {}).
std::vector<int> step_numbering(const std::string& slurm_gpus, const std::string& visible);

// The visible-device number of GPU `gpu_index` (Gpu::index) under `numbering`; -1 if not there.
int visible_number(int gpu_index, const std::vector<int>& numbering);

std::vector<EnvVar> task_env(const Topology& topo, const TaskPlan& task, const EnvOptions& opt);

// One line per task: "rank 3 host n1 gpu rsmi3(3) cpus 24-31 numa 1 nic hsi1".
std::string describe_task(const Topology& topo, const TaskPlan& task, const std::string& host);

}  // namespace aif::topo

// SPDX-License-Identifier: GPL-2.0-or-later
// How many GPUs a Slurm job asks for, from the job description's TRES strings. No Slurm
// dependency: the plugin copies the fields it needs into JobShape.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace aif::site {

// GPUs named in one TRES string, summed over typed and untyped entries:
// "gres:gpu:a100:2,gres:gpu:1" → 3 (Slurm 22.05 form), "gres/gpu:4" → 4 (23.02+ form),
// "gres:gpu" → 1. Entries for other resources are ignored. -1 when no GPU entry is present.
long gpus_in_tres(std::string_view tres);

// The fields of job_desc_msg_t that decide the GPU count. 0 stands for "not given".
struct JobShape {
    std::string tres_per_node, tres_per_job, tres_per_task, tres_per_socket;
    std::uint32_t min_nodes = 0;
    std::uint32_t num_tasks = 0;
    std::uint32_t ntasks_per_node = 0;
    std::uint32_t sockets_per_node = 0;
};

struct GpuRequest {
    long gpus = 0;   // total over the job; 0 when it asks for none
    long nodes = 0;  // 0 when not given (derive from gpus and the partition's GPUs per node)
};

GpuRequest count_gpus(const JobShape& job);

}  // namespace aif::site

// SPDX-License-Identifier: GPL-2.0-or-later
// Which GPU(s), cores, memory node and NIC each local task gets. A pure function of the
// node's description and the step's allocation: no hwloc, no Slurm, same answer every time.
//
// Policies
//   closest  GPU first: each task gets its GPU(s), then the allowed cores of the GPU's own
//            locality (the CCD on MI250X, the NUMA node on H100/H200, the package on POWER9 and
//            MI300A), split evenly between the tasks sharing that locality; memory on the NUMA
//            node(s) of those cores; the closest fabric NIC, balanced between tasks.
//   spread   As closest, then every allowed core no GPU is local to is shared out to the tasks
//            nearest to it (same NUMA node, else same package, else all), so no core idles.
//   none     No binding: the plan only lists the tasks.
// Without GPUs both binding policies spread tasks evenly over the NUMA nodes.
//
// GPU dealing: with at least as many tasks as GPUs, GPU j (in index order) serves a block of
// consecutive ranks (rank r → GPU r when the counts match). With fewer tasks, GPUs are ordered
// by locality and cut into blocks, so a task's GPUs sit next to each other; the block holding
// the lowest GPU index goes to rank 0, and so on.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "topo/topology.hpp"

namespace aif::topo {

enum class Policy { closest, spread, none };

const char* policy_name(Policy p);
// "closest", "spread", "none"; throws InputError naming `what` otherwise.
Policy parse_policy(const std::string& s, const std::string& what);

struct PlanRequest {
    int tasks = 1;
    std::optional<std::vector<int>> cores;  // allowed cores (Topology::cores indexes); none = all
    std::optional<std::vector<int>> gpus;   // allowed GPUs by Gpu::index; none = all, empty = no GPU
    Policy policy = Policy::closest;
    bool smt = false;  // bind every hardware thread of a core (else the first one only)
    int threads = 0;   // cores per task (PUs with smt); 0 = the task's whole share
};

struct TaskPlan {
    int rank = 0;             // local task id
    std::vector<int> gpus;    // Topology::gpus indexes
    std::vector<int> cores;   // Topology::cores indexes
    std::vector<int> cpus;    // OS PU indexes to bind to
    std::vector<int> numa;    // OS indexes of the memory nodes
    int nic = -1;             // Topology::nics index, -1 when none
    bool local = true;        // false when its cores are not local to its GPUs
};

struct Plan {
    Policy policy = Policy::closest;
    std::vector<TaskPlan> tasks;
    std::vector<std::string> warnings;  // short, one line each, for logs and `aifactory bind`
};

// Throws InputError for requests that cannot be met (no task, unknown GPU index, core index
// out of range, empty core list).
Plan make_plan(const Topology& topo, const PlanRequest& req);

// "0-3,8,10-11" ↔ {0,1,2,3,8,10,11}. parse_list throws InputError naming `what`.
std::vector<int> parse_list(const std::string& s, const std::string& what);
std::string format_list(const std::vector<int>& v);

}  // namespace aif::topo

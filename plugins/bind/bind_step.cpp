// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugins/bind/bind_step.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/common/spank_step.hpp"
#include "topo/topo.hpp"
#include "common/common.hpp"

namespace aif::bind {
namespace {

using plugin::job_getenv;

// Per step, computed in user_init and inherited by every forked task.
struct StepState {
    std::optional<topo::Machine> machine;
    topo::Plan plan;
    topo::EnvOptions env;
    std::string host;
    std::string keep_slurm_cpus;  // why the CPU binding is left to Slurm, empty: we bind
    bool active = false;
};
StepState step;

// The plugin argument's XML, the slurmd cache, else live discovery. Never HWLOC_XMLFILE from
// the job: slurmstepd runs as root, and a path the user names (a FIFO, /dev/zero, a crafted
// file) must not decide what it reads (docs/security.md).
topo::Machine load_machine(const Config& cfg, std::string& origin) {
    if (!cfg.topology.empty()) {
        origin = cfg.topology;
        return topo::Machine::from_xml(cfg.topology);
    }
    if (!cfg.cache.empty() && access(cfg.cache.c_str(), R_OK) == 0) {
        try {
            origin = cfg.cache;
            return topo::Machine::from_xml(cfg.cache);
        } catch (const std::exception& e) {
            slurm_error("aifactory_bind: %s; discovering instead", e.what());
        }
    }
    origin = "live discovery";
    return topo::Machine::discover();
}

// Slurm's GPU indexes of the step, and how the step numbers them (ConstrainDevices).
void step_gpus(spank_t sp, std::uint32_t id, const topo::Topology& t, topo::PlanRequest& req) {
    const std::string ids = plugin::gpu_list(sp, id);
    if (ids.empty()) {
        req.gpus = std::vector<int>{};  // no GPU in the step: never hand one out
        return;
    }
    std::vector<int> known;
    for (int i : topo::parse_list(ids, "SLURM_STEP_GPUS")) {
        bool have = false;
        for (const auto& g : t.gpus) have = have || g.index == i;
        if (have)
            known.push_back(i);
        else
            slurm_info("aifactory_bind: GPU %d of the step is not in the topology; left alone", i);
    }
    req.gpus = known;
    // Slurm writes the step's CUDA_VISIBLE_DEVICES as 0..n-1 when the device cgroup renumbers.
    std::string visible = job_getenv(sp, "CUDA_VISIBLE_DEVICES");
    if (visible.empty()) visible = job_getenv(sp, "ROCR_VISIBLE_DEVICES");
    step.env.numbering = topo::step_numbering(ids, visible);
}

// The cores this process may run on, as indexes into t.cores (a core counts when one of its
// hardware threads is allowed).
std::vector<int> cores_in_own_affinity(const topo::Topology& t) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return {};
    std::vector<int> cores;
    for (std::size_t i = 0; i < t.cores.size(); ++i)
        for (int pu : t.cores[i].pus)
            if (pu >= 0 && pu < CPU_SETSIZE && CPU_ISSET(pu, &set)) {
                cores.push_back(static_cast<int>(i));
                break;
            }
    return cores;
}

// The step's cores as the topology's logical cores; false when none of them is in it.
// psslurm (JSC's JUWELS, JURECA, JUPITER) answers ESPANK_NOT_AVAIL for S_STEP_ALLOC_CORES: there
// the affinity the launcher gave this process stands in for the step's cores (said once when
// verbose). Slurm's slurmd always has the item for launched steps.
bool step_cores(spank_t sp, const topo::Topology& t, const std::string& origin, bool verbose,
                topo::PlanRequest& req) {
    char* cores = nullptr;
    const spank_err_t rc = spank_get_item(sp, S_STEP_ALLOC_CORES, &cores);
    if (rc == ESPANK_NOT_AVAIL) {
        std::vector<int> own = cores_in_own_affinity(t);
        if (verbose)
            std::fprintf(stderr, "aifactory_bind: the step's cores are not available from this launcher; using "
                                 "this process's CPU affinity (%zu of %zu cores)\n", own.size(), t.cores.size());
        if (!own.empty() && own.size() < t.cores.size()) req.cores = own;
        return true;
    }
    if (rc != ESPANK_SUCCESS || !cores || !*cores) return true;
    std::vector<int> allowed;  // abstract per-node core indexes = hwloc logical cores
    for (int c : topo::parse_list(cores, "S_STEP_ALLOC_CORES"))
        if (static_cast<std::size_t>(c) < t.cores.size()) allowed.push_back(c);
    if (allowed.empty()) {
        slurm_error("aifactory_bind: step cores %s are not in the topology (%s); not binding", cores, origin.c_str());
        return false;
    }
    req.cores = allowed;
    return true;
}

}  // namespace

void write_cache(const Config& cfg) {
    if (cfg.cache.empty() || !cfg.topology.empty()) return;
    topo::Machine m = topo::Machine::discover();
    if (auto slash = cfg.cache.rfind('/'); slash != std::string::npos && slash > 0)
        mkdir(cfg.cache.substr(0, slash).c_str(), 0755);  // EEXIST is fine; a real failure shows below
    std::string tmp = cfg.cache + ".new";
    m.export_xml(tmp);
    chmod(tmp.c_str(), 0644);
    if (std::rename(tmp.c_str(), cfg.cache.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error(cfg.cache + ": cannot write the topology cache (" + std::strerror(errno) + ")");
    }
    slurm_info("aifactory_bind: cached topology of this node in %s: %s", cfg.cache.c_str(),
               topo::describe(m.topology()).c_str());
}

void step_aside() { step.active = false; }

int step_user_init(spank_t sp, const Config& cfg, UserChoice& user) {
    const auto id = plugin::step_id(sp);
    if (!id || !plugin::is_launched_step(*id)) return 0;  // batch, extern, interactive: not ours
    // AIFACTORY_BIND in the job's environment: the user's policy when --llm-bind names none
    // (e.g. AIFACTORY_BIND=none to launch an inner scheduler unbound).
    if (!user.policy) {
        std::string env = job_getenv(sp, names::kBindEnv);
        if (!env.empty()) {
            UserChoice c = parse_choice(env, names::kBindEnv);
            user.policy = c.policy;
            user.verbose = user.verbose || c.verbose;
            user.smt = user.smt || c.smt;
        }
    }
    const topo::Policy policy = user.policy.value_or(cfg.policy);
    const bool verbose = user.verbose || cfg.verbose;
    if (policy == topo::Policy::none) return 0;

    std::string origin;
    step.machine = load_machine(cfg, origin);
    const topo::Topology& t = step.machine->topology();
    topo::PlanRequest req;
    req.policy = policy;
    req.smt = cfg.smt || user.smt;
    uint32_t ntasks = 0, cpt = 0;
    if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) != ESPANK_SUCCESS || ntasks == 0) return 0;
    req.tasks = static_cast<int>(ntasks);
    if (spank_get_item(sp, S_STEP_CPUS_PER_TASK, &cpt) == ESPANK_SUCCESS && cpt > 1) req.threads = static_cast<int>(cpt);
    if (!step_cores(sp, t, origin, verbose, req)) return 0;
    step.env.smt = req.smt;
    step.env.nic = cfg.nic;
    step.env.omp = cfg.omp;
    step_gpus(sp, *id, t, req);

    // An explicit --cpu-bind=none or map_cpu/map_ldom is the user's decision: keep it (GPUs,
    // NIC and OpenMP variables are still set). Slurm reports its automatic binding as mask_cpu.
    std::string bind_type = job_getenv(sp, "SLURM_CPU_BIND_TYPE");
    if (bind_type.rfind("none", 0) == 0 || bind_type.rfind("map_", 0) == 0)
        step.keep_slurm_cpus = "--cpu-bind=" + bind_type.substr(0, bind_type.find(':'));

    step.plan = topo::make_plan(t, req);
    step.host = plugin::node_name();
    if (verbose)  // one line per rank follows from each task; this one says where the map came from
        std::fprintf(stderr, "aifactory_bind: %s: %s, policy %s (%s)\n", step.host.c_str(), topo::describe(t).c_str(),
                     topo::policy_name(policy), origin.c_str());
    // Warnings (cores not next to the GPU, tasks sharing cores) reach the user every time:
    // a silently slow binding is the failure users report most.
    for (const auto& w : step.plan.warnings) {
        slurm_info("aifactory_bind: %s", w.c_str());
        std::fprintf(stderr, "aifactory_bind: warning: %s: %s\n", step.host.c_str(), w.c_str());
    }
    std::fflush(stderr);
    step.active = true;
    user.verbose = verbose;
    return 0;
}

int task_init(spank_t sp, const Config& cfg, const UserChoice& user) {
    if (!step.active) return 0;
    int local = -1;
    if (spank_get_item(sp, S_TASK_ID, &local) != ESPANK_SUCCESS || local < 0 ||
        static_cast<std::size_t>(local) >= step.plan.tasks.size())
        return 0;
    const topo::TaskPlan& task = step.plan.tasks[static_cast<std::size_t>(local)];
    const topo::Topology& t = step.machine->topology();
    std::string err;
    if (step.keep_slurm_cpus.empty()) {
        err = step.machine->bind_process(task.cpus, cfg.mem ? task.numa : std::vector<int>{});
        if (!err.empty()) slurm_error("aifactory_bind: task %d: %s", local, err.c_str());
    }
    for (const auto& e : topo::task_env(t, task, step.env)) {
        if (e.unset)
            spank_unsetenv(sp, e.name.c_str());
        else
            spank_setenv(sp, e.name.c_str(), e.value.c_str(), e.overwrite ? 1 : 0);
    }
    if (user.verbose) {
        uint32_t global = 0;
        spank_get_item(sp, S_TASK_GLOBAL_ID, &global);
        std::string line = topo::describe_task(t, task, step.host);  // counts local ranks; add the global one
        std::string note = !err.empty()                  ? " [binding failed]"
                           : step.keep_slurm_cpus.empty() ? ""
                                                          : " [CPUs left to " + step.keep_slurm_cpus + "]";
        std::fprintf(stderr, "aifactory_bind: %s (global %u)%s\n", line.c_str(), global, note.c_str());
        std::fflush(stderr);
    }
    return 0;
}

}  // namespace aif::bind

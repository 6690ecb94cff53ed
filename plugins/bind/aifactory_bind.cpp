// SPANK plugin aifactory_bind: pins each task of a step to its GPU(s), the cores and memory
// next to them and the nearest NIC (lib/topo does the work; this file only adapts to Slurm).
//
//   srun --llm-bind=closest|spread|none[,verbose][,smt]    (default set in plugstack.conf)
//   AIFACTORY_BIND=<same values> in the job environment: the user's default
//   plugstack.conf: optional aifactory_bind.so [default=closest|spread|none] [verbose]
//                   [topology=FILE.xml] [cache=FILE.xml|none] [smt=on|off] [nic=on|off]
//                   [omp=on|off] [mem=on|off]
//
// slurmd (once per node, root): discovers the topology and writes it to the cache file.
// slurmstepd, user_init (once per step): loads the topology (plugin argument, cache, else live
// discovery; never a path from the job's environment) and plans all local tasks within the step's cores
// and GPUs. task_init (per task, after task/affinity): binds CPUs and memory, sets the env.
// An explicit --cpu-bind=none|map_cpu|map_ldom keeps Slurm's CPU binding (env still set).
// Any failure is logged and the plugin steps aside: the job runs as Slurm placed it.
extern "C" {
#include <slurm/spank.h>
}

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/text.hpp"
#include "topo/bind_env.hpp"
#include "topo/planner.hpp"
#include "topo/topology.hpp"

// Data symbols need C and external linkage (slurm-api.md §1.3).
extern "C" {
extern const char plugin_name[] = "aifactory_bind";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

using namespace aif;

constexpr const char* default_cache = "/run/aifactory/topology.xml";

struct Config {
    topo::Policy policy = topo::Policy::closest;
    bool verbose = false;
    std::string topology;            // site XML, empty: none
    std::string cache = default_cache;  // empty: no cache
    bool smt = false, nic = true, omp = true, mem = true;
    bool broken = false;             // bad plugstack.conf: step aside
};

struct UserChoice {
    std::optional<topo::Policy> policy;
    bool verbose = false;
    bool smt = false;
};

Config cfg;
UserChoice user;

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

bool on_off(const std::string& v, const std::string& key) {
    if (v == "on" || v == "yes" || v == "1") return true;
    if (v == "off" || v == "no" || v == "0") return false;
    throw InputError(key + "=" + v + ": expected on or off");
}

// "closest", "spread,verbose", "verbose", "none", "closest,smt"
UserChoice parse_choice(const std::string& s, const std::string& what) {
    UserChoice c;
    auto parts = split(s, ',');
    if (parts.empty()) throw InputError(what + ": empty value (closest, spread, none, verbose, smt)");
    for (const auto& p : parts) {
        std::string v = lower(p);
        if (v == "verbose" || v == "v")
            c.verbose = true;
        else if (v == "smt")
            c.smt = true;
        else if (v == "closest" || v == "spread" || v == "none")
            c.policy = topo::parse_policy(v, what);
        else
            throw InputError(what + ": '" + p + "' is not one of closest, spread, none, verbose, smt");
    }
    return c;
}

void parse_args(int ac, char** av) {
    for (int i = 0; i < ac; ++i) {
        std::string a = av[i];
        auto eq = a.find('=');
        std::string key = a.substr(0, eq), val = eq == std::string::npos ? "" : a.substr(eq + 1);
        if (a == "verbose")
            cfg.verbose = true;
        else if (key == "default") {
            UserChoice c = parse_choice(val, "plugstack.conf default");
            if (c.policy) cfg.policy = *c.policy;
            cfg.verbose = cfg.verbose || c.verbose;
            cfg.smt = cfg.smt || c.smt;
        } else if (key == "topology")
            cfg.topology = val;
        else if (key == "cache")
            cfg.cache = val == "none" ? "" : val;
        else if (key == "smt")
            cfg.smt = on_off(val, key);
        else if (key == "nic")
            cfg.nic = on_off(val, key);
        else if (key == "omp")
            cfg.omp = on_off(val, key);
        else if (key == "mem")
            cfg.mem = on_off(val, key);
        else
            throw InputError("unknown argument '" + a +
                             "' (default=, verbose, topology=, cache=, smt=, nic=, omp=, mem=)");
    }
}

int option_cb(int, const char* optarg, int remote) {
    try {
        UserChoice c = parse_choice(optarg ? optarg : "", "--llm-bind");
        user = c;  // idempotent: slurmstepd may deliver the option twice
        return 0;
    } catch (const std::exception& e) {
        if (!remote) std::fprintf(stderr, "aifactory_bind: %s\n", e.what());
        return -1;
    } catch (...) {
        return -1;
    }
}

struct spank_option bind_option = {
    const_cast<char*>("llm-bind"), const_cast<char*>("closest|spread|none[,verbose][,smt]"),
    const_cast<char*>("Pin each task to its GPU, nearby cores, memory and NIC "
                      "(aifactory). verbose: print the map."),
    1, 0, option_cb};

std::string getenv_job(spank_t sp, const char* name) {
    char buf[4096];
    if (spank_getenv(sp, name, buf, sizeof buf) != ESPANK_SUCCESS) return "";
    return buf;
}

// Discovery for the cache: slurmd runs this once at start (as root).
void write_cache() {
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

topo::Machine load_machine(std::string& origin) {
    if (!cfg.topology.empty()) {
        origin = cfg.topology;
        return topo::Machine::from_xml(cfg.topology);
    }
    // No HWLOC_XMLFILE from the job: slurmstepd runs as root, and a path the user names (a FIFO,
    // /dev/zero, a crafted file) must not decide what it reads (docs/security.md).
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
void step_gpus(spank_t sp, const topo::Topology& t, topo::PlanRequest& req, topo::EnvOptions& env) {
    std::string ids = getenv_job(sp, "SLURM_STEP_GPUS");
    if (ids.empty()) ids = getenv_job(sp, "SLURM_JOB_GPUS");
    if (ids.empty()) {
        req.gpus = std::vector<int>{};  // no GPU in the step: never hand one out
        return;
    }
    std::vector<int> wanted = topo::parse_list(ids, "SLURM_STEP_GPUS"), known;
    for (int i : wanted) {
        bool have = false;
        for (const auto& g : t.gpus) have = have || g.index == i;
        if (have)
            known.push_back(i);
        else
            slurm_info("aifactory_bind: GPU %d of the step is not in the topology; left alone", i);
    }
    req.gpus = known;
    // Slurm writes the step's CUDA_VISIBLE_DEVICES as 0..n-1 when the device cgroup renumbers.
    std::string visible = getenv_job(sp, "CUDA_VISIBLE_DEVICES");
    if (visible.empty()) visible = getenv_job(sp, "ROCR_VISIBLE_DEVICES");
    env.numbering = topo::step_numbering(ids, visible);
}

int user_init(spank_t sp) {
    uint32_t stepid = 0;
    if (spank_get_item(sp, S_JOB_STEPID, &stepid) != ESPANK_SUCCESS) return 0;
    if (stepid >= 0xfffffffa) return 0;  // batch, extern, interactive steps: only real job steps
    // AIFACTORY_BIND in the job's environment: the user's policy when --llm-bind names none
    // (e.g. AIFACTORY_BIND=none to launch an inner scheduler unbound).
    if (!user.policy) {
        std::string env = getenv_job(sp, "AIFACTORY_BIND");
        if (!env.empty()) {
            UserChoice c = parse_choice(env, "AIFACTORY_BIND");
            user.policy = c.policy;
            user.verbose = user.verbose || c.verbose;
            user.smt = user.smt || c.smt;
        }
    }
    topo::Policy policy = user.policy.value_or(cfg.policy);
    bool verbose = user.verbose || cfg.verbose;
    if (policy == topo::Policy::none || cfg.broken) return 0;

    std::string origin;
    step.machine = load_machine(origin);
    const topo::Topology& t = step.machine->topology();

    topo::PlanRequest req;
    req.policy = policy;
    req.smt = cfg.smt || user.smt;
    uint32_t ntasks = 0;
    if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) != ESPANK_SUCCESS || ntasks == 0) return 0;
    req.tasks = static_cast<int>(ntasks);
    uint32_t cpt = 0;
    if (spank_get_item(sp, S_STEP_CPUS_PER_TASK, &cpt) == ESPANK_SUCCESS && cpt > 1) req.threads = static_cast<int>(cpt);
    char* cores = nullptr;
    if (spank_get_item(sp, S_STEP_ALLOC_CORES, &cores) == ESPANK_SUCCESS && cores && *cores) {
        // Abstract per-node core indexes = hwloc logical cores. Ignore any the topology lacks.
        std::vector<int> allowed;
        for (int c : topo::parse_list(cores, "S_STEP_ALLOC_CORES"))
            if (static_cast<std::size_t>(c) < t.cores.size()) allowed.push_back(c);
        if (allowed.empty()) {
            slurm_error("aifactory_bind: step cores %s are not in the topology (%s); not binding", cores,
                        origin.c_str());
            return 0;
        }
        req.cores = allowed;
    }
    step.env.smt = req.smt;
    step.env.nic = cfg.nic;
    step.env.omp = cfg.omp;
    step_gpus(sp, t, req, step.env);

    // An explicit --cpu-bind=none or map_cpu/map_ldom is the user's decision: keep it (GPUs,
    // NIC and OpenMP variables are still set). Slurm reports its automatic binding as mask_cpu.
    std::string bind_type = getenv_job(sp, "SLURM_CPU_BIND_TYPE");
    if (bind_type.rfind("none", 0) == 0 || bind_type.rfind("map_", 0) == 0)
        step.keep_slurm_cpus = "--cpu-bind=" + bind_type.substr(0, bind_type.find(':'));

    step.plan = topo::make_plan(t, req);
    step.host = getenv_job(sp, "SLURMD_NODENAME");
    if (step.host.empty()) {
        char h[256] = "";
        gethostname(h, sizeof h - 1);
        step.host = h;
    }
    if (verbose)  // one line per rank follows from each task; this one says where the map came from
        std::fprintf(stderr, "aifactory_bind: %s: %s, policy %s (%s)\n", step.host.c_str(),
                     topo::describe(t).c_str(), topo::policy_name(policy), origin.c_str());
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

int task_init(spank_t sp) {
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
        std::string line = topo::describe_task(t, task, step.host);
        // describe_task counts local ranks; show the global rank too.
        std::string note = !err.empty() ? " [binding failed]"
                           : step.keep_slurm_cpus.empty() ? ""
                                                          : " [CPUs left to " + step.keep_slurm_cpus + "]";
        std::fprintf(stderr, "aifactory_bind: %s (global %u)%s\n", line.c_str(), global, note.c_str());
        std::fflush(stderr);
    }
    return 0;
}

template <class F>
int guarded(const char* where, F&& f) {
    try {
        return f();
    } catch (const std::exception& e) {
        slurm_error("aifactory_bind: %s: %s; not binding this step", where, e.what());
    } catch (...) {
        slurm_error("aifactory_bind: %s: unexpected error; not binding this step", where);
    }
    step.active = false;
    return 0;  // step aside: a job placed by Slurm alone beats a job that fails
}

}  // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
    return guarded("init", [&] {
        try {
            parse_args(ac, av);
        } catch (const InputError& e) {
            cfg.broken = true;
            slurm_error("aifactory_bind: plugstack.conf: %s; the plugin is off", e.what());
        }
        spank_context_t ctx = spank_context();
        if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR || ctx == S_CTX_REMOTE) {
            if (spank_option_register(sp, &bind_option) != ESPANK_SUCCESS)
                slurm_error("aifactory_bind: cannot register --llm-bind");
        }
        if (ctx == S_CTX_SLURMD && !cfg.broken) {
            try {
                write_cache();
            } catch (const std::exception& e) {
                slurm_error("aifactory_bind: %s; steps will discover the topology themselves", e.what());
            }
        }
        return 0;
    });
}

int slurm_spank_user_init(spank_t sp, int, char**) {
    return guarded("user_init", [&] { return user_init(sp); });
}

int slurm_spank_task_init(spank_t sp, int, char**) {
    return guarded("task_init", [&] { return task_init(sp); });
}

}  // extern "C"

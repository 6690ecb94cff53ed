// SPDX-License-Identifier: GPL-2.0-or-later
// SPANK plugin aifactory_acct.so: per-node accounting records (see docs/accounting.md).
//   remote context (slurmstepd): each step's usage on this node when the step ends
//                                (batch and srun steps; the extern step is skipped)
//   job_script context (epilog): the job's end on this node
// Records go to the local outbox (acct.conf) and are delivered by `aifactory sender`. Nothing
// here can fail a job: every hook returns 0 (aif::plugin::guarded logs what went wrong).
// Where each field comes from, and why the user cannot forge it: records.hpp.
//
// plugstack.conf:  optional /usr/lib/.../aifactory_acct.so [config=/etc/aifactory/acct.conf]
//                  [gpu_sample_interval=10] [nvml_library=PATH] [rocm_smi_library=PATH]
// Each step's GPUs and the node's energy are measured from init to exit (step_usage.hpp).
extern "C" {
#include <slurm/spank.h>
}
#include <sys/wait.h>

#include <string>
#include <vector>

#include "acct/acct.hpp"
#include "plugins/acct/records.hpp"
#include "plugins/acct/step_usage.hpp"
#include "plugins/common/boundary.hpp"
#include "plugins/common/plugstack_args.hpp"
#include "plugins/common/spank_step.hpp"

extern "C" {
extern const char plugin_name[] = "aifactory_acct";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

constexpr const char* kName = "aifactory_acct";
constexpr const char* kThen = "no record from this hook";
aif::acct_plugin::StepTimes g_step;  // slurmstepd runs one step: this state belongs to it
aif::acct_plugin::StepUsage g_usage;

// Stops the producer (flushes, joins its writer) however the hook ends.
struct FiniHooks {
    ~FiniHooks() { aif::acct::hooks::fini(); }
};

void log_info(const char* m) { slurm_info("aifactory_acct: %s", m); }

aif::plugin::PlugstackArgs plugstack_args(int ac, char** av) {
    std::vector<std::string> known{"config"};
    for (const char* k : aif::acct_plugin::kUsageKeys) known.emplace_back(k);
    return aif::plugin::PlugstackArgs(kName, ac, av, known, {},
                                      [](const std::string& m) { slurm_error("%s", m.c_str()); });
}

bool init_hooks(const aif::plugin::PlugstackArgs& args) {
    const std::string path = args.values().count("config") ? args.values().at("config") : "";
    return aif::acct::hooks::init(path.empty() ? nullptr : path.c_str(), log_info);
}

int remote_init(spank_t sp, int ac, char** av) {
    g_step.start = std::time(nullptr);
    g_step.start_precise = aif::acct_plugin::now_precise();
    auto args = plugstack_args(ac, av);
    if (!init_hooks(args)) return 0;  // no records: nothing to measure for
    if (const auto step = aif::plugin::step_id(sp)) g_usage.start(sp, *step, aif::acct_plugin::usage_options(args));
    return 0;
}

int remote_task_exit(spank_t sp) {
    int status = 0;
    if (spank_get_item(sp, S_TASK_EXIT_STATUS, &status) != ESPANK_SUCCESS) return 0;
    g_step.any_task = true;
    // Keep the first failure: that is the one that explains the step's end.
    if (g_step.exit_code == 0 && g_step.exit_signal == 0) {
        if (WIFEXITED(status)) g_step.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) g_step.exit_signal = WTERMSIG(status);
    }
    return 0;
}

}  // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
    return aif::plugin::guarded(kName, "init", kThen, 0, [&] {
        switch (spank_context()) {
            case S_CTX_REMOTE: return remote_init(sp, ac, av);
            default: return 0;
        }
    });
}

int slurm_spank_task_exit(spank_t sp, int, char**) {
    return aif::plugin::guarded(kName, "task_exit", kThen, 0, [&] {
        switch (spank_context()) {
            case S_CTX_REMOTE: return remote_task_exit(sp);
            default: return 0;
        }
    });
}

int slurm_spank_exit(spank_t sp, int, char**) {
    return aif::plugin::guarded(kName, "exit", kThen, 0, [&] {
        switch (spank_context()) {
            case S_CTX_REMOTE: {
                FiniHooks fini;
                aif::acct_plugin::write_step_end(sp, g_step, g_usage);
                return 0;
            }
            default: return 0;
        }
    });
}

// Runs in job_script context only (the epilog slurmstepd): no switch needed.
int slurm_spank_job_epilog(spank_t sp, int ac, char** av) {
    return aif::plugin::guarded(kName, "job_epilog", kThen, 0, [&] {
        if (!init_hooks(plugstack_args(ac, av))) return 0;
        FiniHooks fini;
        aif::acct_plugin::write_job_end(sp);
        return 0;
    });
}

}  // extern "C"

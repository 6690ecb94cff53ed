// SPDX-License-Identifier: GPL-2.0-or-later
// Scripted stand-ins for the Slurm symbols our plugins call (after Slurm's own
// testsuite/slurm_unit/backfill/dummy_functions.c): tests/unit/test_plugins.cpp dlopen()s the
// real plugin .so files, which resolve spank_*, slurm_* and slurm_conf against this executable.
#pragma once
extern "C" {
#include <slurm/spank.h>
}
#include <slurm/slurm.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

struct FakeSlurm {
    spank_context_t context = S_CTX_REMOTE;
    std::map<std::string, std::string> job_env;  // what spank_getenv / S_JOB_ENV see
    std::uint32_t job_id = 42, step_id = 0, nnodes = 1, local_tasks = 1, global_task = 0;
    std::uint16_t ncpus = 2;
    uid_t uid = 1000;
    int task_id = 0, exit_status = 0;
    std::string step_cores;                      // S_STEP_ALLOC_CORES, "" = not available
    std::string throw_in;                        // a fake function that throws when called
    std::vector<std::string> log;                // "error: ...", "info: ...", "verbose: ..."
    std::vector<struct spank_option> options;    // registered by the plugin
    std::map<std::string, std::string> job_control_env, set_env;
    // Storage behind S_JOB_ENV.
    std::vector<std::string> env_strings;
    std::vector<char*> env_ptrs;

    bool logged(const std::string& needle) const;
};
extern FakeSlurm fake;
extern "C" slurm_conf_t slurm_conf;

// SPDX-License-Identifier: GPL-2.0-or-later
// A client that bypasses sbatch: submits batch jobs through libslurm's slurm_submit_batch_job()
// with a hand-made spank_job_env, as any user can. Used by submit_hostile_env.sh.
//   submit_hostile_client MODE PARTITION [COUNT [FIRST]]
// MODE: normal | forged (option name holding "\n[date] error: ...") | huge-key (16 MB name) |
//       huge-foreign (16 MB entry of another plugin, a model too big for the GPUs: what moving
//       16 MB costs Slurm, as a baseline) | many-keys (40 000 entries) | big-config (COUNT jobs, each a distinct 8 MB --llm-config,
//       numbered from FIRST so that two runs send different values).
// Prints one line per submission: "<mode> <ms> ok|<Slurm's error message, first line>".
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

const std::string kPrefix = "_SLURM_SPANK_OPTION_aifactory_llm_";

// Submits one held batch job with `spank` as its spank_job_env and prints what Slurm answered
// (libslurm itself prints the plugin's message on stderr when the job is refused).
void submit(const std::string& mode, const std::string& partition, const std::vector<std::string>& spank) {
    std::vector<char*> env_ptrs;
    for (const auto& e : spank) env_ptrs.push_back(const_cast<char*>(e.c_str()));
    std::string script = "#!/bin/sh\ntrue\n", tres = "gres:gpu:4", out = "/dev/null", dir = "/tmp",
                name = "hostile", path = "PATH=/usr/bin:/bin", part = partition;
    char* env[] = {path.data()};
    job_desc_msg_t d;
    slurm_init_job_desc_msg(&d);
    d.name = name.data();
    d.script = script.data();
    d.partition = part.data();
    d.min_nodes = 1;
    d.tres_per_node = tres.data();
    d.pn_min_memory = 100;
    d.priority = 0;  // held: nothing runs
    d.user_id = getuid();
    d.group_id = getgid();
    d.std_out = out.data();
    d.work_dir = dir.data();
    d.environment = env;
    d.env_size = 1;
    d.spank_job_env = env_ptrs.data();
    d.spank_job_env_size = static_cast<uint32_t>(env_ptrs.size());
    submit_response_msg_t* resp = nullptr;
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = slurm_submit_batch_job(&d, &resp);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string what = "ok";
    // errno, not slurm_get_errno(): the latter is gone from newer Slurm (26.05) and returned errno.
    if (rc != SLURM_SUCCESS) what = slurm_strerror(errno);
    if (resp && resp->job_submit_user_msg) {
        std::string msg = resp->job_submit_user_msg;
        what += " | " + msg.substr(0, msg.find('\n'));
    }
    std::printf("%s %.1f %s\n", mode.c_str(), ms, what.c_str());
    std::fflush(stdout);
    if (resp) slurm_free_submit_response_response_msg(resp);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: submit_hostile_client MODE PARTITION [COUNT]\n");
        return 2;
    }
    slurm_init(nullptr);  // reads SLURM_CONF; required before API calls since 20.11 (26.05 crashes without)
    const std::string mode = argv[1], partition = argv[2];
    const long count = argc > 3 ? std::atol(argv[3]) : 1, first = argc > 4 ? std::atol(argv[4]) : 0;
    const std::string model = kPrefix + "model=llama3.1-8b";
    if (mode == "normal") {
        submit(mode, partition, {model, kPrefix + "layout=tp=4"});
    } else if (mode == "forged") {
        submit(mode, partition, {model, kPrefix + "x\n[2026-01-01T00:00] error: pwn="});
    } else if (mode == "huge-key") {
        submit(mode, partition, {model, kPrefix + std::string(16u << 20, 'q') + "="});
    } else if (mode == "huge-foreign") {
        submit(mode, partition, {kPrefix + "model=llama3.1-405b",
                                 "_SLURM_SPANK_OPTION_other_x=" + std::string(16u << 20, 'q')});
    } else if (mode == "many-keys") {
        std::vector<std::string> env{model};
        for (int i = 0; i < 40000; ++i) env.push_back(kPrefix + "k" + std::to_string(i) + "=1");
        submit(mode, partition, env);
    } else if (mode == "big-config") {
        for (long i = first; i < first + count; ++i) {
            std::string config = kPrefix + "config=" + std::to_string(i) + std::string(8u << 20, '/');
            submit(mode, partition, {model, config, "AIFACTORY_ARCH=hidden=2048,layers=16"});
        }
    } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 2;
    }
    return 0;
}

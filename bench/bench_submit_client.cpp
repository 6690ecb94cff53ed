// SPDX-License-Identifier: GPL-2.0-or-later
// Submission load generator for bench/bench_submit.sh: submits N held batch jobs through the
// Slurm API from one process, so the controller (not sbatch's start-up) is what limits the rate.
// Each job carries the same --llm-* options sbatch would forward in spank_job_env.
//   bench_submit_client N PARTITION [distinct]
// With "distinct", every job asks for a different number of tokens (--llm-tokens), so no two
// requests are the same and job_submit/aifactory cannot answer from its decision cache.
// Prints the number of failed submissions and the first error.
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc != 3 && argc != 4) {
        std::fprintf(stderr, "usage: bench_submit_client N PARTITION [distinct]\n");
        return 2;
    }
    const long n = std::atol(argv[1]);
    char partition[64];
    std::snprintf(partition, sizeof partition, "%s", argv[2]);
    char script[] = "#!/bin/sh\ntrue\n";
    char tres[] = "gres:gpu:4";
    char out[] = "/dev/null";
    char dir[] = "/tmp";
    char name[] = "bench";
    char env0[] = "PATH=/usr/bin:/bin";
    char* env[] = {env0};
    char opt0[] = "_SLURM_SPANK_OPTION_aifactory_llm_model=llama3.1-8b";
    char opt1[] = "_SLURM_SPANK_OPTION_aifactory_llm_layout=tp=4";
    const bool distinct = argc == 4 && std::string(argv[3]) == "distinct";
    char opt2[96] = "";
    char* spank_env[] = {opt0, opt1, opt2};

    long failed = 0;
    for (long i = 0; i < n; ++i) {
        job_desc_msg_t d;
        slurm_init_job_desc_msg(&d);
        d.name = name;
        d.script = script;
        d.partition = partition;
        d.min_nodes = 1;
        d.tres_per_node = tres;
        d.pn_min_memory = 100;
        d.priority = 0;  // held: the queue grows but nothing runs
        d.user_id = getuid();
        d.group_id = getgid();
        d.std_out = out;
        d.work_dir = dir;
        d.environment = env;
        d.env_size = 1;
        d.spank_job_env = spank_env;
        d.spank_job_env_size = 2;
        if (distinct) {
            std::snprintf(opt2, sizeof opt2, "_SLURM_SPANK_OPTION_aifactory_llm_tokens=%ld",
                          1000000000L + static_cast<long>(getpid()) * 100000L + i);
            d.spank_job_env_size = 3;
        }
        submit_response_msg_t* resp = nullptr;
        if (slurm_submit_batch_job(&d, &resp) != SLURM_SUCCESS) {
            if (failed++ == 0) std::fprintf(stderr, "submit: %s\n", slurm_strerror(slurm_get_errno()));
        }
        if (resp) slurm_free_submit_response_response_msg(resp);
    }
    std::printf("%ld\n", failed);
    return 0;
}

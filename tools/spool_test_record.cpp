// SPDX-License-Identifier: GPL-2.0-or-later
// `aifactory spool test-record`: one synthetic step record written through the same producer
// the plugins use (acct.conf, the outbox, fsync, rename), so a site can check the whole path to
// its federation endpoint — sender, collector, report — before any job runs under Slurm.
#include "spool_test_record.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "acct/hooks.hpp"
#include "common/error.hpp"

namespace aif::cli {

int write_test_record(const std::string& acct_config, const std::string& cluster, std::uint32_t job_id) {
    std::string why;
    std::string file = acct_config;
    if (const char* env = std::getenv("AIFACTORY_ACCT_CONF"); file.empty() && env && *env) file = env;
    const char* path = file.empty() ? nullptr : file.c_str();
    static std::string* last = nullptr;  // hooks::init logs through a plain function pointer
    last = &why;
    if (!acct::hooks::init(path, [](const char* m) { *last = m; }))
        throw std::runtime_error(why.empty() ? "accounting is not configured" : why);
    acct::hooks::StepEnd s;
    s.job_id = job_id;
    s.step_id = "test";
    s.cluster = cluster;  // "": acct.conf's (the plugins take slurm.conf's ClusterName)
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    s.node = host;
    s.uid = static_cast<std::uint32_t>(getuid());
    s.end_time = std::time(nullptr);
    s.start_time = s.end_time - 60;
    s.tasks = 1;
    s.exit_code = 0;
    const std::string id = acct::hooks::step_end(s);
    acct::hooks::fini();
    if (id.empty() && why.find("cluster is required") != std::string::npos)
        why += " (no 'cluster' in acct.conf: give --cluster NAME)";
    if (id.empty()) throw std::runtime_error(why.empty() ? "the record was not written" : why);
    std::printf("wrote test record %s (job %u, step 'test', node %s)\n"
                "deliver it: aifactory sender --once; read it back: aifactory report %u\n",
                id.c_str(), job_id, host, job_id);
    return 0;
}

}  // namespace aif::cli

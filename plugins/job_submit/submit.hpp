// SPDX-License-Identifier: GPL-2.0-or-later
// job_submit/aifactory's work on one job_desc_msg_t: read the --llm-* options and the job's
// shape, decide, attach the (signed) prediction, tell the user. Runs under slurmctld's locks:
// no file, network or RPC here; only the watcher's snapshot is read.
#pragma once
#include <slurm/slurm.h>

#include <cstdint>

#include "site/site.hpp"

// Exported by libslurmfull (the daemon loads it); declared in Slurm's internal headers only.
extern "C" {
char* slurm_xstrdup(const char* str);
void slurm_xfree_ptr(void* ptr);
char* slurm_get_extra_conf_path(const char* conf_name);
// 22.05 takes the trailing `func`; releases that dropped it ignore the extra argument
// (caller-cleaned C calling convention on every platform Slurm supports).
void* slurm_xrecalloc(void** item, size_t count, size_t size, bool clear, bool try_, const char* file, int line,
                      const char* func);
// slurmctld's parsed slurm.conf (public struct, exported by the daemon): ClusterName for records.
extern slurm_conf_t slurm_conf;
}

namespace aif::job_submit {

// True when the job carries any --llm-* option (the only jobs this plugin looks at).
bool has_llm_options(const job_desc_msg_t* job_desc);

// Returns SLURM_SUCCESS or the error code of a rejection; sets *err_msg (Slurm's allocator).
int check(job_desc_msg_t* job_desc, std::uint32_t submit_uid, char** err_msg, const site::Loaded& loaded);
// Logs how many checks ran, their average time and the decision-cache hit rate (info).
void log_stats();

}  // namespace aif::job_submit

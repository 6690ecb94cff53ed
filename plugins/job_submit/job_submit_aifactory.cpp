// SPDX-License-Identifier: GPL-2.0-or-later
// job_submit/aifactory: the sbatch-time check of LLM training jobs, inside slurmctld.
//
// The Slurm entry points only: each runs behind aif::plugin::guarded() (no exception reaches
// slurmctld; a failure lets the job pass), the configuration lives in a site::ConfigWatcher
// (loaded in init(), reloaded by its thread when a file changes), and submit.cpp does the work.
// State lives on the heap behind one pointer: slurmctld may exit without calling fini(), and
// static destructors running under a live watcher thread would abort the daemon.
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include <cstdlib>
#include <string>

#include "common/common.hpp"
#include "acct/acct.hpp"
#include "plugins/common/boundary.hpp"
#include "plugins/job_submit/submit.hpp"
#include "site/site.hpp"

struct job_record;  // opaque: slurmctld's internal job record

extern "C" {
extern const char plugin_name[] = "aifactory LLM training feasibility check";
extern const char plugin_type[] = "job_submit/aifactory";
extern const uint32_t plugin_version = SLURM_VERSION_NUMBER;

int init(void);
int fini(void);
int job_submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg);
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
int job_modify(job_desc_msg_t* job_desc, job_record* job_ptr, uint32_t submit_uid, char** err_msg);
#else
int job_modify(job_desc_msg_t* job_desc, job_record* job_ptr, uint32_t submit_uid);
#endif
}

namespace {

constexpr const char* kName = "aifactory";
aif::site::ConfigWatcher* watcher = nullptr;  // set by init(), cleared by fini()

void log_line(aif::site::ConfigWatcher::Level level, const std::string& m) {
    if (level == aif::site::ConfigWatcher::Level::error)
        slurm_error("%s", m.c_str());
    else
        slurm_info("%s", m.c_str());
}

void log_info(const char* message) { slurm_info("%s", message); }

// AIFACTORY_CONF (tests, packaging), else aifactory.conf next to slurm.conf.
std::string conf_path(const char* name, const char* env) {
    if (const char* e = env ? std::getenv(env) : nullptr; e && *e) return e;
    std::string path;
    if (char* p = slurm_get_extra_conf_path(name)) {
        path = p;
        slurm_xfree_ptr(p);
    }
    return path;
}

}  // namespace

extern "C" int init(void) {
    return aif::plugin::guarded(kName, "init", "LLM jobs pass through unchecked", SLURM_SUCCESS, [] {
        if (watcher == nullptr)
            watcher = new aif::site::ConfigWatcher(conf_path("aifactory.conf", aif::names::kConfEnv),
                                                   conf_path("slurm.conf", nullptr), log_line);
        watcher->start();
        const char* acct_conf = std::getenv(aif::names::kAcctConfEnv);  // default /etc/aifactory/acct.conf
        aif::acct::hooks::init(acct_conf && *acct_conf ? acct_conf : nullptr, log_info);  // optional
        return SLURM_SUCCESS;  // never fatal: a broken site file must not stop slurmctld
    });
}

extern "C" int fini(void) {
    return aif::plugin::guarded(kName, "fini", "exiting anyway", SLURM_SUCCESS, [] {
        aif::acct::hooks::fini();
        aif::job_submit::log_stats();
        aif::site::ConfigWatcher* w = watcher;
        watcher = nullptr;  // no job_submit() runs during fini (Slurm holds the plugin lock)
        delete w;           // stops and joins the watcher thread
        return SLURM_SUCCESS;
    });
}

extern "C" int job_submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg) {
    return aif::plugin::guarded(kName, "job_submit", "job passed through", SLURM_SUCCESS, [&] {
        if (job_desc == nullptr || watcher == nullptr) return SLURM_SUCCESS;
        auto loaded = watcher->current();
        if (!loaded) {
            if (aif::job_submit::has_llm_options(job_desc))
                slurm_error("aifactory: no usable configuration; job of uid %u passed through", submit_uid);
            return SLURM_SUCCESS;
        }
        return aif::job_submit::check(job_desc, submit_uid, err_msg, *loaded);
    });
}

// Modifications (scontrol update) are not re-checked: job_desc then holds only the changed
// fields, not the whole request.
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
extern "C" int job_modify(job_desc_msg_t*, job_record*, uint32_t, char**) { return SLURM_SUCCESS; }
#else
extern "C" int job_modify(job_desc_msg_t*, job_record*, uint32_t) { return SLURM_SUCCESS; }
#endif

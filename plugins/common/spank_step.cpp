// SPDX-License-Identifier: GPL-2.0-or-later
#include "spank_step.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <slurm/slurm.h>

namespace aif::plugin {

std::string job_getenv(spank_t sp, const char* name) {
    char buf[4096];
    if (spank_getenv(sp, name, buf, sizeof buf) != ESPANK_SUCCESS) return "";
    return buf;
}

std::optional<std::uint32_t> step_id(spank_t sp) {
    std::uint32_t id = 0;
    if (spank_get_item(sp, S_JOB_STEPID, &id) != ESPANK_SUCCESS) return std::nullopt;
    return id;
}

std::string step_name(std::uint32_t id) {
    switch (id) {
        case SLURM_BATCH_SCRIPT: return "batch";
        case SLURM_EXTERN_CONT: return "extern";
        case SLURM_INTERACTIVE_STEP: return "interactive";
        case SLURM_PENDING_STEP: return "pending";
        default: return std::to_string(id);
    }
}

bool is_launched_step(std::uint32_t id) { return id <= SLURM_MAX_NORMAL_STEP_ID; }

std::string node_name() {
    if (const char* n = std::getenv("SLURMD_NODENAME"); n && *n) return n;
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    return host;
}

std::string gpu_list(spank_t sp, std::uint32_t step) {
    if (!slurm_has_gres_gpu()) return "";
    if (is_launched_step(step)) return job_getenv(sp, "SLURM_STEP_GPUS");
    if (step == SLURM_BATCH_SCRIPT || step == SLURM_INTERACTIVE_STEP) return job_getenv(sp, "SLURM_JOB_GPUS");
    return "";  // extern step: no GRES environment is set up for it
}

std::optional<std::uint32_t> count_devices(const std::string& list) {
    if (list.empty() || list == "NoDevFiles") return std::nullopt;
    std::uint32_t n = 1;
    for (char c : list) n += c == ',';
    return n;
}

namespace {
const slurm_conf_t* daemon_conf() {
    return static_cast<const slurm_conf_t*>(dlsym(RTLD_DEFAULT, "slurm_conf"));
}
}  // namespace

std::string slurm_cluster_name() {
    const slurm_conf_t* c = daemon_conf();
    return c && c->cluster_name ? c->cluster_name : "";
}

bool slurm_has_gres_gpu() {
    const slurm_conf_t* c = daemon_conf();
    if (!c || !c->gres_plugins) return false;
    const std::string g = std::string(",") + c->gres_plugins + ",";
    return g.find(",gpu,") != std::string::npos;
}

}  // namespace aif::plugin

// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugins/acct/records.hpp"

#include <slurm/slurm.h>
#include <fcntl.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "acct/acct.hpp"
#include "common/common.hpp"
#include "plugins/acct/step_usage.hpp"
#include "plugins/common/spank_step.hpp"
#include "site/site.hpp"

namespace aif::acct_plugin {
namespace {

using aif::plugin::count_devices;

// Names the file where a job writes the tokens it has processed so far (docs/ai-act.md).
constexpr const char* kTokensFileEnv = "AIFACTORY_TOKENS_FILE";

// How Slurm forwards the --llm-* options into a step's environment.
constexpr const char* kOptionEnv[] = {names::kOptionPrefix, names::kStepOptionPrefix};

// The --llm-* options as forwarded into the step environment, as "key=value;...". The user's own
// declaration: recorded as such (training), never as identity or resources.
std::string training_from_env(char** env) {
    std::string kv;
    for (char** e = env; e && *e; ++e)
        for (const char* prefix : kOptionEnv) {
            const std::size_t n = std::strlen(prefix);
            if (std::strncmp(*e, prefix, n) != 0) continue;
            const std::string item = *e + n;
            const std::string key = item.substr(0, item.find('=') + 1);
            if ((";" + kv).find(";" + key) != std::string::npos) continue;  // both prefixes: keep one
            if (item.find(';') != std::string::npos) continue;               // keep the kv form unambiguous
            kv += (kv.empty() ? "" : ";") + item;
        }
    return kv;
}

std::string process_env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// acct.conf's cluster= wins (the producer applies it); else the daemon's ClusterName.
std::string cluster(const char* epilog_env) {
    std::string c = aif::plugin::slurm_cluster_name();
    if (c.empty() && epilog_env) c = process_env(epilog_env);
    return c;
}

// Fills the prediction from a signed value in `text`; marks anything else user-declared.
void set_prediction(acct::hooks::Common& c, const std::string& text) {
    if (text.empty()) return;
    auto checked = acct::hooks::check_prediction(c.uid, text);
    c.prediction = checked.prediction;
    c.prediction_trusted = checked.trusted;
}

// The job's own token count (docs/ai-act.md): AIFACTORY_TOKENS_FILE names a file the job writes.
// slurmstepd runs as root and the path is the user's, so the file is opened with the user's file
// permissions (setfsuid/setfsgid: this thread only), not through a final symlink, without
// blocking (a FIFO), and used only when it is a regular file the user owns, of at most 64 bytes
// holding one decimal integer. Anything else: no count (never an error: the step's record stays).
std::optional<std::uint64_t> reported_tokens(const std::string& path, uid_t uid, gid_t gid) {
    if (path.empty() || path[0] != '/' || path.size() > 4096) return std::nullopt;
    const int old_uid = setfsuid(uid), old_gid = setfsgid(gid);
    int fd = -1;
    if (setfsuid(static_cast<uid_t>(-1)) == static_cast<int>(uid) && setfsgid(static_cast<gid_t>(-1)) == static_cast<int>(gid))
        fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    setfsgid(static_cast<gid_t>(old_gid));
    setfsuid(static_cast<uid_t>(old_uid));
    if (fd < 0) return std::nullopt;
    struct stat st {};
    char buf[65] = {0};
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == uid && st.st_size <= 64) n = read(fd, buf, 64);
    close(fd);
    if (n <= 0) return std::nullopt;
    const std::string_view text = aif::trim(std::string_view(buf, static_cast<std::size_t>(n)));
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    return std::strtoull(std::string(text).c_str(), nullptr, 10);
}

}  // namespace

double now_precise() {
    struct timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

void write_step_end(spank_t sp, const StepTimes& t, StepUsage& usage) {
    std::uint32_t job = 0, nnodes = 0, ntasks = 0;
    std::uint16_t ncpus = 0;
    uid_t uid = 0;
    const auto step = aif::plugin::step_id(sp);
    if (!step || *step == SLURM_EXTERN_CONT) return;
    if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS) return;
    acct::hooks::StepEnd s;
    s.job_id = job;
    s.step_id = aif::plugin::step_name(*step);
    s.start_time = t.start ? t.start : std::time(nullptr);
    s.end_time = std::time(nullptr);
    if (t.start_precise > 0) s.elapsed_s = now_precise() - t.start_precise;
    // 0 means "not known here" (the batch step reports 0 nodes): leave it out.
    if (spank_get_item(sp, S_JOB_NNODES, &nnodes) == ESPANK_SUCCESS && nnodes) s.nodes = nnodes;
    if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) == ESPANK_SUCCESS && ntasks) s.tasks = ntasks;
    if (spank_get_item(sp, S_JOB_NCPUS, &ncpus) == ESPANK_SUCCESS && ncpus) s.cpus = ncpus;
    if (spank_get_item(sp, S_JOB_UID, &uid) == ESPANK_SUCCESS) s.uid = uid;
    // MB Slurm allocated to this step on this node (the job's, for a step without its own); 0: not known.
    std::uint64_t mem_mb = 0;
    if (spank_get_item(sp, S_STEP_ALLOC_MEM, &mem_mb) != ESPANK_SUCCESS || mem_mb == 0)
        if (spank_get_item(sp, S_JOB_ALLOC_MEM, &mem_mb) != ESPANK_SUCCESS) mem_mb = 0;
    if (mem_mb > 0 && mem_mb < (UINT64_MAX >> 20)) s.mem_alloc_bytes = mem_mb << 20;
    s.cluster = cluster(nullptr);
    s.node = aif::plugin::node_name();
    s.gpus = count_devices(aif::plugin::gpu_list(sp, *step));
    std::string prediction = aif::plugin::job_getenv(sp, names::kPredictionEnv);
    if (prediction.empty()) prediction = aif::plugin::job_getenv(sp, names::kSpankPredictionEnv);
    set_prediction(s, prediction);
    char** env = nullptr;
    if (spank_get_item(sp, S_JOB_ENV, &env) == ESPANK_SUCCESS) s.training_kv = training_from_env(env);
    // The tasks are this slurmstepd's children and have been reaped: their CPU time and the
    // largest one's peak RSS are in RUSAGE_CHILDREN.
    struct rusage ru {};
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
        s.cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        if (ru.ru_maxrss > 0) s.max_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
    }
    if (t.any_task) {
        s.exit_code = t.exit_code;
        if (t.exit_signal) s.exit_signal = t.exit_signal;
    }
    gid_t gid = 0;
    if (s.uid && spank_get_item(sp, S_JOB_GID, &gid) == ESPANK_SUCCESS)
        s.tokens_reported = reported_tokens(aif::plugin::job_getenv(sp, kTokensFileEnv), *s.uid, gid);
    usage.finish(s);
    acct::hooks::step_end(s);
}

// The epilog's process environment is slurmd's, not the user's (see records.hpp).
void write_job_end(spank_t sp) {
    std::uint32_t job = 0;
    if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS) return;
    acct::hooks::JobEnd j;
    j.job_id = job;
    j.end_time = std::time(nullptr);
    uid_t uid = 0;
    if (spank_get_item(sp, S_JOB_UID, &uid) == ESPANK_SUCCESS) j.uid = uid;
    j.cluster = cluster("SLURM_CLUSTER_NAME");
    j.partition = process_env("SLURM_JOB_PARTITION");
    j.account = process_env("SLURM_JOB_ACCOUNT");
    j.node = aif::plugin::node_name();
    j.gpus = count_devices(process_env("SLURM_JOB_GPUS"));
    set_prediction(j, process_env(names::kSpankPredictionEnv));
    acct::hooks::job_end(j);
}

}  // namespace aif::acct_plugin

// SPANK plugin aifactory_acct.so: per-node accounting records (see docs/accounting.md).
//   remote context (slurmstepd): each step's usage on this node when the step ends
//                                (batch and srun steps; the extern step is skipped)
//   job_script context (epilog): the job's end on this node
// Records go to the local outbox (acct.conf) and are delivered by `aifactory sender`. Nothing
// here can fail a job: every callback returns 0, and problems are logged once.
//
// plugstack.conf:  optional /usr/lib/.../aifactory_acct.so [config=/etc/aifactory/acct.conf]
extern "C" {
#include <slurm/spank.h>
}
#include <slurm/slurm.h>  // SLURM_BATCH_SCRIPT, SLURM_EXTERN_CONT
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <optional>

#include "acct/hooks.hpp"

extern "C" {
extern const char plugin_name[] = "aifactory_acct";
extern const char plugin_type[] = "spank";
extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
extern const unsigned int spank_plugin_version = 1;
}

namespace {

// slurmstepd runs one step: this state belongs to it.
std::time_t g_step_start = 0;
double g_step_start_precise = 0;
int g_exit_code = 0, g_exit_signal = 0;
bool g_any_task = false;

constexpr const char* kOptionEnv[] = {"_SLURM_SPANK_OPTION_aifactory_llm_",
                                      "SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_"};

double now_precise() {
    struct timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

void log_info(const char* m) { slurm_info("aifactory_acct: %s", m); }

std::string config_path(int ac, char** av) {
    for (int i = 0; i < ac; ++i)
        if (std::strncmp(av[i], "config=", 7) == 0) return av[i] + 7;
    return "";
}

bool init_hooks(int ac, char** av) {
    std::string path = config_path(ac, av);
    return aif::acct::hooks::init(path.empty() ? nullptr : path.c_str(), log_info);
}

std::string step_name(std::uint32_t id) {
    if (id == SLURM_BATCH_SCRIPT) return "batch";
    if (id == SLURM_EXTERN_CONT) return "extern";
    if (id == 0xfffffffa) return "interactive";
    return std::to_string(id);
}

std::string node_name(const char* from_env) {
    if (from_env && *from_env) return from_env;
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    return host;
}

// "0,1,3" → 3 devices; "" or absent → unknown.
std::optional<std::uint32_t> count_devices(const std::string& list) {
    if (list.empty() || list == "NoDevFiles") return std::nullopt;
    std::uint32_t n = 1;
    for (char c : list) n += c == ',';
    return n;
}

// Reads a variable from the step's environment (remote context).
std::string step_env(spank_t sp, const char* name) {
    char buf[4096];
    if (spank_getenv(sp, name, buf, sizeof buf) == ESPANK_SUCCESS) return buf;
    return "";
}

// The --llm-* options as forwarded into the step environment, as "key=value;...".
std::string training_from_env(char** env) {
    std::string kv;
    for (char** e = env; e && *e; ++e)
        for (const char* prefix : kOptionEnv) {
            std::size_t n = std::strlen(prefix);
            if (std::strncmp(*e, prefix, n) != 0) continue;
            std::string item = *e + n;
            std::string key = item.substr(0, item.find('=') + 1);
            if ((";" + kv).find(";" + key) != std::string::npos) continue;  // both prefixes: keep one
            if (item.find(';') != std::string::npos) continue;  // keep the kv form unambiguous
            kv += (kv.empty() ? "" : ";") + item;
        }
    return kv;
}

void step_end(spank_t sp) {
    std::uint32_t job = 0, step = 0, nnodes = 0, ntasks = 0;
    std::uint16_t ncpus = 0;
    uid_t uid = 0;
    if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS) return;
    if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS) return;
    if (step == SLURM_EXTERN_CONT) return;
    aif::acct::hooks::StepEnd s;
    s.job_id = job;
    s.step_id = step_name(step);
    s.start_time = g_step_start ? g_step_start : std::time(nullptr);
    s.end_time = std::time(nullptr);
    if (g_step_start_precise > 0) s.elapsed_s = now_precise() - g_step_start_precise;
    // 0 means "not known here" (the batch step reports 0 nodes): leave it out.
    if (spank_get_item(sp, S_JOB_NNODES, &nnodes) == ESPANK_SUCCESS && nnodes) s.nodes = nnodes;
    if (spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ntasks) == ESPANK_SUCCESS && ntasks) s.tasks = ntasks;
    if (spank_get_item(sp, S_JOB_NCPUS, &ncpus) == ESPANK_SUCCESS && ncpus) s.cpus = ncpus;
    if (spank_get_item(sp, S_JOB_UID, &uid) == ESPANK_SUCCESS) s.uid = uid;
    s.cluster = step_env(sp, "SLURM_CLUSTER_NAME");
    s.partition = step_env(sp, "SLURM_JOB_PARTITION");
    s.account = step_env(sp, "SLURM_JOB_ACCOUNT");
    s.node = node_name(step_env(sp, "SLURMD_NODENAME").c_str());
    std::string gpus = step_env(sp, "SLURM_STEP_GPUS");
    if (gpus.empty()) gpus = step_env(sp, "SLURM_JOB_GPUS");
    s.gpus = count_devices(gpus);
    s.prediction_kv = step_env(sp, "SPANK_AIFACTORY_PREDICTION");
    if (s.prediction_kv.empty()) s.prediction_kv = step_env(sp, "AIFACTORY_PREDICTION");
    s.binding_kv = step_env(sp, "AIFACTORY_BINDING");
    char** env = nullptr;
    if (spank_get_item(sp, S_JOB_ENV, &env) == ESPANK_SUCCESS) s.training_kv = training_from_env(env);
    // The tasks are this slurmstepd's children and have been reaped: their CPU time and the
    // largest one's peak RSS are in RUSAGE_CHILDREN.
    struct rusage ru {};
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
        s.cpu_seconds = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        if (ru.ru_maxrss > 0) s.max_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
    }
    if (g_any_task) {
        s.exit_code = g_exit_code;
        if (g_exit_signal) s.exit_signal = g_exit_signal;
    }
    aif::acct::hooks::step_end(s);
}

void job_end(spank_t sp) {
    std::uint32_t job = 0;
    if (spank_get_item(sp, S_JOB_ID, &job) != ESPANK_SUCCESS) return;
    aif::acct::hooks::JobEnd j;
    j.job_id = job;
    j.end_time = std::time(nullptr);
    uid_t uid = 0;
    if (spank_get_item(sp, S_JOB_UID, &uid) == ESPANK_SUCCESS) j.uid = uid;
    auto env = [](const char* n) { const char* v = std::getenv(n); return std::string(v ? v : ""); };
    j.cluster = env("SLURM_CLUSTER_NAME");
    j.partition = env("SLURM_JOB_PARTITION");
    j.account = env("SLURM_JOB_ACCOUNT");
    j.node = node_name(std::getenv("SLURMD_NODENAME"));
    j.gpus = count_devices(env("SLURM_JOB_GPUS"));
    j.prediction_kv = env("SPANK_AIFACTORY_PREDICTION");
    aif::acct::hooks::job_end(j);
}

}  // namespace

extern "C" {

int slurm_spank_init(spank_t sp, int ac, char** av) {
    try {
        if (spank_context() != S_CTX_REMOTE) return 0;
        g_step_start = std::time(nullptr);
        g_step_start_precise = now_precise();
        init_hooks(ac, av);
    } catch (...) {
    }
    (void)sp;
    return 0;
}

int slurm_spank_task_exit(spank_t sp, int, char**) {
    try {
        if (spank_context() != S_CTX_REMOTE) return 0;
        int status = 0;
        if (spank_get_item(sp, S_TASK_EXIT_STATUS, &status) != ESPANK_SUCCESS) return 0;
        g_any_task = true;
        // Keep the first failure: that is the one that explains the step's end.
        if (g_exit_code == 0 && g_exit_signal == 0) {
            if (WIFEXITED(status)) g_exit_code = WEXITSTATUS(status);
            if (WIFSIGNALED(status)) g_exit_signal = WTERMSIG(status);
        }
    } catch (...) {
    }
    return 0;
}

int slurm_spank_exit(spank_t sp, int, char**) {
    try {
        if (spank_context() != S_CTX_REMOTE) return 0;
        step_end(sp);
        aif::acct::hooks::fini();
    } catch (...) {
    }
    return 0;
}

int slurm_spank_job_epilog(spank_t sp, int ac, char** av) {
    try {
        if (!init_hooks(ac, av)) return 0;
        job_end(sp);
        aif::acct::hooks::fini();
    } catch (...) {
    }
    return 0;
}

}  // extern "C"

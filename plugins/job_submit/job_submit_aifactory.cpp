// job_submit/aifactory: the sbatch-time check of LLM training jobs, inside slurmctld.
//
// Thin adapter: copies the fields it needs out of job_desc_msg_t and hands them to
// aif::site::decide(). Rules it keeps (see slurm-api.md):
//  - no exception crosses extern "C": every entry point catches everything and lets jobs pass;
//  - no file, network or RPC inside job_submit(): aifactory.conf and the catalogues are loaded in
//    init() and reloaded by a watcher thread when they change (scontrol reconfigure does not call
//    into an unchanged job_submit plugin);
//  - thread-safe: job_submit() only copies an immutable snapshot's shared_ptr (Slurm >= 23.02
//    calls it concurrently);
//  - strings handed to Slurm come from Slurm's allocator.
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
extern "C" {
#include <slurm/spank.h>  // slurm_info / slurm_error prototypes
}

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "acct/hooks.hpp"
#include "common/text.hpp"
#include "site/decide.hpp"
#include "site/snapshot.hpp"

struct job_record;  // opaque: slurmctld's internal job record
// slurmctld's parsed slurm.conf (public struct, exported by the daemon): ClusterName for records.
extern "C" slurm_conf_t slurm_conf;

extern "C" {
extern const char plugin_name[] = "aifactory LLM training feasibility check";
extern const char plugin_type[] = "job_submit/aifactory";
extern const uint32_t plugin_version = SLURM_VERSION_NUMBER;

// Exported by libslurmfull (the daemon loads it); declared in Slurm's internal headers only.
char* slurm_xstrdup(const char* str);
void slurm_xfree_ptr(void* ptr);
char* slurm_get_extra_conf_path(const char* conf_name);
// 22.05 takes the trailing `func`; releases that dropped it ignore the extra argument
// (caller-cleaned C calling convention on every platform Slurm supports).
void* slurm_xrecalloc(void** item, size_t count, size_t size, bool clear, bool try_,
                      const char* file, int line, const char* func);

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

using aif::site::Snapshot;

// What job_submit() reads: the snapshot plus exempt users resolved to uids at load time (a
// passwd lookup may hit the network, so never inside job_submit()).
struct Loaded {
    std::shared_ptr<const Snapshot> snap;
    std::vector<std::pair<uint32_t, std::string>> exempt_uids;
    mutable aif::site::DecisionCache cache;  // answers for this snapshot only
};

// All plugin state lives on the heap behind one pointer: slurmctld may exit without calling
// fini(), and static destructors running under a live watcher thread (or a joinable std::thread
// being destroyed) would abort the daemon.
struct Plugin {
    std::mutex current_mutex;  // guards only the pointer copy
    std::shared_ptr<const Loaded> current;
    std::string site_conf_path, slurm_conf_path;
    std::thread watcher;
    std::mutex watcher_mutex;
    std::condition_variable watcher_cv;
    bool watcher_stop = false;
};
Plugin* plugin = nullptr;  // set by init(), cleared by fini()

// What the check costs the controller: calls that had --llm-* options, their total time, and how
// many were answered from the decision cache. Logged (info) every 1000 checks and at fini.
std::atomic<long> checks{0}, check_ns{0}, cache_hits{0};

void log_stats() {
    const long n = checks.load();
    if (n == 0) return;
    slurm_info("aifactory: %ld checks, %.1f usec average, %.0f%% from the decision cache", n,
               check_ns.load() / 1000.0 / n, 100.0 * cache_hits.load() / n);
}

std::shared_ptr<const Loaded> snapshot() {
    if (plugin == nullptr) return nullptr;
    std::lock_guard<std::mutex> lock(plugin->current_mutex);
    return plugin->current;
}

std::shared_ptr<const Loaded> load() {
    auto l = std::make_shared<Loaded>();
    l->snap = aif::site::load_snapshot(plugin->site_conf_path, plugin->slurm_conf_path);
    for (const auto& name : l->snap->config.exempt_users) {
        struct passwd pw{}, *res = nullptr;
        char buf[4096];
        if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &res) == 0 && res)
            l->exempt_uids.emplace_back(pw.pw_uid, name);
        else
            slurm_error("aifactory: %s: ExemptUsers: no user '%s'", plugin->site_conf_path.c_str(),
                        name.c_str());
    }
    for (const auto& note : l->snap->notes) slurm_error("aifactory: %s", note.c_str());
    slurm_info("aifactory: loaded %s: %zu partitions checked, %zu models, %zu catalogue partitions",
               plugin->site_conf_path.c_str(), l->snap->config.partitions.size(),
               l->snap->models.entries().size(), l->snap->hardware.partitions().size());
    return l;
}

// Loads and installs a new snapshot; on failure keeps the old one (or none: jobs pass through).
void reload(const char* why) {
    try {
        auto l = load();
        std::lock_guard<std::mutex> lock(plugin->current_mutex);
        plugin->current = std::move(l);
    } catch (const std::exception& e) {
        slurm_error("aifactory: %s: %s; %s", why, e.what(),
                    snapshot() ? "keeping the previous configuration"
                               : "LLM jobs pass through unchecked until it is fixed");
    } catch (...) {
        slurm_error("aifactory: %s: unexpected error", why);
    }
}

std::vector<std::string> watched_files() {
    auto l = snapshot();
    if (l) return l->snap->files;
    return {plugin->site_conf_path};
}

void watch() {
    std::string stamp = aif::site::files_stamp(watched_files());
    std::unique_lock<std::mutex> lock(plugin->watcher_mutex);
    while (!plugin->watcher_stop) {
        auto l = snapshot();
        const int interval = l ? l->snap->config.reload_interval_s : 10;
        plugin->watcher_cv.wait_for(lock, std::chrono::seconds(interval),
                                    [] { return plugin->watcher_stop; });
        if (plugin->watcher_stop) break;
        lock.unlock();
        try {
            const std::string now = aif::site::files_stamp(watched_files());
            if (now != stamp) {
                stamp = now;
                reload("reloading changed configuration");
            }
        } catch (...) {
        }
        lock.lock();
    }
}

// Hands `text` to Slurm as the user message, after any message an earlier plugin left.
void set_user_message(char** err_msg, const std::string& text) {
    if (err_msg == nullptr || text.empty()) return;
    std::string all = text;
    if (*err_msg != nullptr && **err_msg != '\0') all = std::string(*err_msg) + "\n" + text;
    char* fresh = slurm_xstrdup(all.c_str());
    if (*err_msg != nullptr) slurm_xfree_ptr(*err_msg);
    *err_msg = fresh;
}

// Appends "NAME=value" to an xmalloc'ed environment array of `*count` entries.
void append_env(char*** env, uint32_t* count, const std::string& entry) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    for (uint32_t i = 0; i < *count; ++i) {
        if ((*env)[i] && std::strncmp((*env)[i], name.c_str(), name.size()) == 0) {
            slurm_xfree_ptr((*env)[i]);
            (*env)[i] = slurm_xstrdup(entry.c_str());
            return;
        }
    }
    slurm_xrecalloc(reinterpret_cast<void**>(env), *count + 2, sizeof(char*), true, false,
                    __FILE__, __LINE__, __func__);
    (*env)[*count] = slurm_xstrdup(entry.c_str());
    (*env)[*count + 1] = nullptr;
    ++*count;
}

uint32_t given(uint32_t v) { return v == NO_VAL ? 0 : v; }
uint32_t given16(uint16_t v) { return v == NO_VAL16 ? 0 : v; }
const char* str(const char* s) { return s ? s : ""; }

std::string joined(const std::vector<std::string>& lines) {
    std::string s;
    for (const auto& l : lines) s += (s.empty() ? "" : "\n") + l;
    return s;
}

void log_info(const char* message) { slurm_info("%s", message); }

// Queues an accounting record of the decision (no disk I/O here: a writer thread stores it).
void record_decision(const aif::site::Submission& sub, const aif::site::Decision& d, uint32_t uid) {
    if (!aif::acct::hooks::enabled()) return;
    aif::acct::hooks::SubmitDecision r;
    r.decision = d.action == aif::site::Action::Reject ? "rejected"
                 : d.action == aif::site::Action::Warn ? "warned"
                                                       : "accepted";
    r.reason = d.lines.empty() ? "" : d.lines.front();
    r.uid = uid;
    if (slurm_conf.cluster_name) r.cluster = slurm_conf.cluster_name;
    r.partition = sub.partition;
    r.account = sub.account;
    if (sub.gpus.gpus > 0) r.gpus = static_cast<uint32_t>(sub.gpus.gpus);
    for (const auto& [k, v] : sub.options.values)
        if (v.find(';') == std::string::npos) r.training_kv += (r.training_kv.empty() ? "" : ";") + k + "=" + v;
    r.prediction_kv = d.prediction;
    aif::acct::hooks::submit_decision(r);
}

}  // namespace

extern "C" int init(void) {
    try {
        if (plugin == nullptr) plugin = new Plugin;
        if (const char* env = std::getenv("AIFACTORY_CONF"); env && *env) {
            plugin->site_conf_path = env;
        } else if (char* p = slurm_get_extra_conf_path("aifactory.conf")) {
            plugin->site_conf_path = p;
            slurm_xfree_ptr(p);
        }
        if (char* p = slurm_get_extra_conf_path("slurm.conf")) {
            plugin->slurm_conf_path = p;
            slurm_xfree_ptr(p);
        }
        reload("loading configuration");
        const char* acct_conf = std::getenv("AIFACTORY_ACCT_CONF");  // default /etc/aifactory/acct.conf
        aif::acct::hooks::init(acct_conf && *acct_conf ? acct_conf : nullptr, log_info);  // optional
        plugin->watcher_stop = false;
        plugin->watcher = std::thread(watch);
    } catch (...) {
        slurm_error("aifactory: init failed; LLM jobs pass through unchecked");
    }
    return SLURM_SUCCESS;  // never fatal: a broken site file must not stop slurmctld
}

extern "C" int fini(void) {
    try {
        if (plugin == nullptr) return SLURM_SUCCESS;
        aif::acct::hooks::fini();
        log_stats();
        {
            std::lock_guard<std::mutex> lock(plugin->watcher_mutex);
            plugin->watcher_stop = true;
        }
        plugin->watcher_cv.notify_all();
        if (plugin->watcher.joinable()) plugin->watcher.join();
        Plugin* p = plugin;
        plugin = nullptr;  // no job_submit() runs during fini (Slurm holds the plugin lock)
        delete p;
    } catch (...) {
    }
    return SLURM_SUCCESS;
}

extern "C" int job_submit(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg) {
    try {
        if (job_desc == nullptr) return SLURM_SUCCESS;
        aif::site::Submission sub;
        sub.options = aif::site::read_spank_env(job_desc->spank_job_env, job_desc->spank_job_env_size);
        if (!sub.options.any()) return SLURM_SUCCESS;  // not an LLM job: untouched

        auto loaded = snapshot();
        if (!loaded) {
            slurm_error("aifactory: no usable configuration; job of uid %u passed through", submit_uid);
            return SLURM_SUCCESS;
        }
        aif::site::JobShape shape;
        shape.tres_per_node = str(job_desc->tres_per_node);
        shape.tres_per_job = str(job_desc->tres_per_job);
        shape.tres_per_task = str(job_desc->tres_per_task);
        shape.tres_per_socket = str(job_desc->tres_per_socket);
        shape.min_nodes = given(job_desc->min_nodes);
        shape.num_tasks = (job_desc->bitflags & JOB_NTASKS_SET) ? given(job_desc->num_tasks) : 0;
        shape.ntasks_per_node = given16(job_desc->ntasks_per_node);
        shape.sockets_per_node = given16(job_desc->sockets_per_node);
        sub.gpus = aif::site::count_gpus(shape);
        sub.partition = str(job_desc->partition);
        sub.account = str(job_desc->account);
        sub.qos = str(job_desc->qos);
        const uint32_t uid = job_desc->user_id != NO_VAL ? job_desc->user_id : submit_uid;
        for (const auto& [u, name] : loaded->exempt_uids)
            if (u == uid) sub.user = name;

        const auto t0 = std::chrono::steady_clock::now();
        const std::string key = aif::site::DecisionCache::key(sub);
        aif::site::Decision d;
        if (loaded->cache.find(key, d)) {
            ++cache_hits;
        } else {
            d = aif::site::decide(sub, *loaded->snap);
            loaded->cache.put(key, d);
        }
        // Rejections and warnings at info; accepted jobs at verbose (one line per job is a cost
        // a busy controller need not pay; SlurmctldDebug=verbose shows them).
        if (d.action != aif::site::Action::Pass) {
            auto* log = d.action == aif::site::Action::Accept ? slurm_verbose : slurm_info;
            log("aifactory: uid=%u partition=%s gpus=%ld: %s (%s)", uid,
                sub.partition.empty() ? "(default)" : aif::printable(sub.partition).c_str(), sub.gpus.gpus,
                aif::site::name(d.action), d.log.c_str());
        }
        // The prediction travels with the job for pinning and accounting. Batch jobs get it in
        // their environment (the script, its steps and SPANK remote see it; slurmctld stores the
        // environment once). srun/salloc jobs have no environment here, so it goes into
        // spank_job_env (prolog/epilog see SPANK_AIFACTORY_PREDICTION); spank_job_env is re-saved
        // with every controller state save, which costs ~3% of submit throughput on a big queue.
        if (!d.prediction.empty() && d.action != aif::site::Action::Reject) {
            const std::string entry = std::string(aif::site::kPredictionEnv) + "=" + d.prediction;
            if (job_desc->environment != nullptr && job_desc->env_size > 0)
                append_env(&job_desc->environment, &job_desc->env_size, entry);
            else
                append_env(&job_desc->spank_job_env, &job_desc->spank_job_env_size, entry);
        }
        set_user_message(err_msg, joined(d.lines));
        if (d.action != aif::site::Action::Pass) record_decision(sub, d, uid);
        check_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - t0).count();
        if (++checks % 1000 == 0) log_stats();
        return d.action == aif::site::Action::Reject ? ESLURM_INVALID_GRES : SLURM_SUCCESS;
    } catch (const std::exception& e) {
        slurm_error("aifactory: internal error, job passed through: %s", e.what());
    } catch (...) {
        slurm_error("aifactory: internal error, job passed through");
    }
    return SLURM_SUCCESS;
}

// Modifications (scontrol update) are not re-checked: job_desc then holds only the changed
// fields, not the whole request.
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(23, 2, 0)
extern "C" int job_modify(job_desc_msg_t*, job_record*, uint32_t, char**) { return SLURM_SUCCESS; }
#else
extern "C" int job_modify(job_desc_msg_t*, job_record*, uint32_t) { return SLURM_SUCCESS; }
#endif

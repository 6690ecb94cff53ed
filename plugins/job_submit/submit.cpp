// SPDX-License-Identifier: GPL-2.0-or-later
#include "plugins/job_submit/submit.hpp"

#include <slurm/slurm_errno.h>
extern "C" {
#include <slurm/spank.h>  // slurm_info / slurm_error / slurm_verbose
}

#include <atomic>
#include <chrono>
#include <ctime>
#include <cstring>
#include <string>

#include "acct/acct.hpp"
#include "common/common.hpp"
#include "detect/detect.hpp"
#include "site/site.hpp"

namespace aif::job_submit {
namespace {

// What the check costs the controller: calls that had --llm-* options, their total time, and how
// many were answered from the decision cache. Logged (info) every 1000 checks and at fini.
std::atomic<long> checks{0}, check_ns{0}, cache_hits{0};

// Hands `text` to Slurm as the user message, after any message an earlier plugin left.
void set_user_message(char** err_msg, const std::string& text) {
    if (err_msg == nullptr || text.empty()) return;
    std::string all = text;
    if (*err_msg != nullptr && **err_msg != '\0') all = std::string(*err_msg) + "\n" + text;
    char* fresh = slurm_xstrdup(all.c_str());
    if (*err_msg != nullptr) slurm_xfree_ptr(*err_msg);
    *err_msg = fresh;
}

// Appends (or replaces) "NAME=value" in an xmalloc'ed environment array of `*count` entries.
void append_env(char*** env, uint32_t* count, const std::string& entry) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    for (uint32_t i = 0; i < *count; ++i) {
        if ((*env)[i] && std::strncmp((*env)[i], name.c_str(), name.size()) == 0) {
            char* fresh = slurm_xstrdup(entry.c_str());
            slurm_xfree_ptr((*env)[i]);
            (*env)[i] = fresh;
            return;
        }
    }
    slurm_xrecalloc(reinterpret_cast<void**>(env), *count + 2, sizeof(char*), true, false, __FILE__, __LINE__,
                    __func__);
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

site::Submission submission(const job_desc_msg_t* job_desc) {
    site::Submission sub;
    sub.options = site::read_spank_env(job_desc->spank_job_env, job_desc->spank_job_env_size);
    site::JobShape shape;
    shape.tres_per_node = str(job_desc->tres_per_node);
    shape.tres_per_job = str(job_desc->tres_per_job);
    shape.tres_per_task = str(job_desc->tres_per_task);
    shape.tres_per_socket = str(job_desc->tres_per_socket);
    shape.min_nodes = given(job_desc->min_nodes);
    shape.num_tasks = (job_desc->bitflags & JOB_NTASKS_SET) ? given(job_desc->num_tasks) : 0;
    shape.ntasks_per_node = given16(job_desc->ntasks_per_node);
    shape.sockets_per_node = given16(job_desc->sockets_per_node);
    sub.gpus = site::count_gpus(shape);
    sub.partition = str(job_desc->partition);
    sub.account = str(job_desc->account);
    sub.qos = str(job_desc->qos);
    // sbatch's script (NULL for srun/salloc), read only without --llm-* options. Measured no
    // further than the reader takes: a longer one is refused whatever its length.
    if (job_desc->script != nullptr)
        sub.script = std::string_view(job_desc->script,
                                      strnlen(job_desc->script, detect::kSlurmctldLimits.script_bytes + 1));
    // Minutes; NO_VAL when not given; INFINITE (and 0, "-t 0") ask for no limit.
    if (job_desc->time_limit != NO_VAL)
        sub.time_limit_min = job_desc->time_limit == INFINITE ? 0 : static_cast<long>(job_desc->time_limit);
    return sub;
}

// Queues an accounting record of the decision (no disk I/O here: a writer thread stores it).
// Returns its record id ("" when accounting is off or the record was not queued).
// `default_partition`: the site's (site config, else slurm.conf Default=YES), recorded for a job
// that names none, so the overview counts the decision where the job runs.
std::string record_decision(const site::Submission& sub, const site::Decision& d, uint32_t uid,
                            const std::string& default_partition) {
    if (!acct::hooks::enabled()) return {};
    acct::hooks::SubmitDecision r;
    r.decision = d.action == site::Action::Reject ? "rejected" : d.action == site::Action::Warn ? "warned" : "accepted";
    r.reason = d.lines.empty() ? "" : d.lines.front();
    r.uid = uid;
    if (slurm_conf.cluster_name) r.cluster = slurm_conf.cluster_name;
    r.partition = sub.partition.empty() ? default_partition : sub.partition;
    r.account = sub.account;
    if (sub.gpus.gpus > 0) r.gpus = static_cast<uint32_t>(sub.gpus.gpus);
    for (const auto& [k, v] : sub.options.values)
        if (v.find(';') == std::string::npos) r.training_kv += (r.training_kv.empty() ? "" : ";") + k + "=" + v;
    // The wire form job_submit signs, decoded: the record holds exactly what the job carries.
    if (!d.prediction.empty()) r.prediction = record::Prediction::decode(d.prediction);
    r.prediction_trusted = true;  // computed here, not read back from the job
    r.submit_time = static_cast<std::int64_t>(std::time(nullptr));  // job_submit runs at submission
    // Minutes as asked (0: no limit). A partition default applied later is not seen here.
    if (sub.time_limit_min > 0) r.time_limit_s = static_cast<std::int64_t>(sub.time_limit_min) * 60;
    return acct::hooks::submit_decision(r);
}

// The prediction travels with the job for pinning and accounting, signed for this uid (see
// acct::hooks::sign_prediction). Batch jobs get it in their environment (the script, its steps
// and SPANK remote see it; slurmctld stores the environment once). srun/salloc jobs have no
// environment here, so it goes into spank_job_env (prolog/epilog see SPANK_AIFACTORY_PREDICTION);
// spank_job_env is re-saved with every controller state save (~3% of submit throughput).
// `decision_id` (the decision record's id) goes in before signing, so the job's records link to
// what sbatch said and the user cannot point them at another decision.
void attach_prediction(job_desc_msg_t* job_desc, const std::string& prediction, const std::string& decision_id,
                       uint32_t uid) {
    std::string kv = prediction;
    if (!decision_id.empty()) {
        record::Prediction linked;
        linked.decision_id = decision_id;
        kv += ";" + linked.encode();
    }
    const std::string entry = std::string(site::kPredictionEnv) + "=" + acct::hooks::sign_prediction(uid, kv);
    if (job_desc->environment != nullptr && job_desc->env_size > 0)
        append_env(&job_desc->environment, &job_desc->env_size, entry);
    else
        append_env(&job_desc->spank_job_env, &job_desc->spank_job_env_size, entry);
}

// The Slurm error whose text ("Batch job submission failed: <text>") is true for the refusal;
// see job_submit_aifactory(8).
int error_code(site::Problem p) {
    switch (p) {
    case site::Problem::DoesNotFit:
    case site::Problem::NoGpus: return ESLURM_INVALID_GRES;  // "Invalid generic resource (gres) specification"
    case site::Problem::TooShort: return ESLURM_INVALID_TIME_LIMIT;  // "Requested time limit is invalid ..."
    case site::Problem::BadRequest:
    case site::Problem::None: break;
    }
    return ESPANK_BAD_ARG;  // "Bad argument": the --llm-* options are SPANK options
}

}  // namespace

bool has_llm_options(const job_desc_msg_t* job_desc) {
    return site::read_spank_env(job_desc->spank_job_env, job_desc->spank_job_env_size).any();
}

void log_stats() {
    const long n = checks.load();
    if (n == 0) return;
    slurm_info("aifactory: %ld checks, %.1f usec average, %.0f%% from the decision cache", n,
               check_ns.load() / 1000.0 / n, 100.0 * cache_hits.load() / n);
}

int check(job_desc_msg_t* job_desc, uint32_t submit_uid, char** err_msg, const site::Loaded& loaded) {
    site::Submission sub = submission(job_desc);
    if (!sub.options.any() && sub.script.empty()) return SLURM_SUCCESS;  // not an LLM job: untouched
    const uint32_t uid = job_desc->user_id != NO_VAL ? job_desc->user_id : submit_uid;
    for (const auto& [u, name] : loaded.exempt_uids)
        if (u == uid) sub.user = name;

    const auto t0 = std::chrono::steady_clock::now();
    site::Decision d;
    if (!sub.options.any()) {
        // A plain batch job: its script is only read where Detect= is on, and scripts rarely
        // repeat, so it is neither hashed nor kept in the cache meant for --llm-* decisions.
        d = site::decide(sub, *loaded.snap);
    } else if (const std::string key = site::DecisionCache::key(sub); loaded.cache.find(key, d)) {
        ++cache_hits;
    } else {
        d = site::decide(sub, *loaded.snap);
        loaded.cache.put(key, d);
    }
    // Rejections and warnings at info; accepted jobs at verbose (one line per job is a cost a
    // busy controller need not pay; SlurmctldDebug=verbose shows them).
    if (d.action != site::Action::Pass) {
        auto* log = d.action == site::Action::Accept ? slurm_verbose : slurm_info;
        log("aifactory: uid=%u partition=%s gpus=%ld: %s (%s)", uid,
            sub.partition.empty() ? "(default)" : printable(sub.partition).c_str(), sub.gpus.gpus, site::name(d.action),
            d.log.c_str());
    }
    const std::string decision_id =
        d.action != site::Action::Pass ? record_decision(sub, d, uid, loaded.snap->default_partition) : std::string();
    if (!d.prediction.empty() && d.action != site::Action::Reject)
        attach_prediction(job_desc, d.prediction, decision_id, uid);
    set_user_message(err_msg, joined(d.lines));
    check_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    if (++checks % 1000 == 0) log_stats();
    return d.action == site::Action::Reject ? error_code(d.problem) : SLURM_SUCCESS;
}

}  // namespace aif::job_submit

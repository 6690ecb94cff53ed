// SPDX-License-Identifier: GPL-2.0-or-later
// The plugins' Slurm entry points, without root or a cluster: each test dlopen()s a built plugin
// (.so) that resolves the Slurm API against tests/unit/fake_spank.cpp, scripts what Slurm would
// answer, and calls the hooks. Check runs each test in its own process: every test loads fresh.
#include <dirent.h>
#include <dlfcn.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <jansson.h>

#include "fake_spank.hpp"
// Check last: its fail() macro would break the C++ stream headers.
#include "check_main.hpp"

namespace {

std::string builddir() {
    const char* b = std::getenv("AIF_BUILDDIR");
    return b && *b ? b : ".";
}
std::string srcdir() { return test_srcdir(); }

void* load(const std::string& rel) {
    const std::string path = builddir() + "/" + rel;
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(h != nullptr, "dlopen %s: %s", path.c_str(), dlerror());
    return h;
}
template <class F>
F sym(void* h, const char* name) {
    void* p = dlsym(h, name);
    ck_assert_msg(p != nullptr, "no symbol %s", name);
    return reinterpret_cast<F>(p);
}
using SpankHook = int (*)(spank_t, int, char**);
spank_t sp() { return reinterpret_cast<spank_t>(&fake); }

// A scratch directory with acct.conf (outbox inside) and a prediction key.
std::string scratch;
std::string make_acct_conf() {
    char tmpl[] = "/tmp/aif_test_plugins.XXXXXX";
    scratch = mkdtemp(tmpl);
    std::ofstream(scratch + "/user.key") << "0123456789abcdef0123456789abcdef";
    std::ofstream(scratch + "/prediction.key") << "prediction-key-for-tests-0123456789";
    chmod((scratch + "/user.key").c_str(), 0600);
    chmod((scratch + "/prediction.key").c_str(), 0600);
    std::ofstream(scratch + "/acct.conf") << "site = test-site\n"
                                             "site_namespace = 3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f\n"
                                             "user_key_file = " << scratch << "/user.key\n"
                                          << "prediction_key_file = " << scratch << "/prediction.key\n"
                                          << "outbox = " << scratch << "/outbox\nmin_free_mb = 0\n";
    return scratch + "/acct.conf";
}
// The records the plugin wrote (body lines of the outbox files).
std::string records() {
    std::string all;
    DIR* d = opendir((scratch + "/outbox/new").c_str());
    if (!d) return all;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::ifstream f(scratch + "/outbox/new/" + e->d_name);
        std::string header, body;
        std::getline(f, header);  // framing: "AIFR1 <bytes> <crc>"
        std::getline(f, body);
        all += body + "\n";
    }
    closedir(d);
    return all;
}
void cleanup() {
    if (!scratch.empty()) std::system(("rm -rf '" + scratch + "'").c_str());
}
bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Runs the acct plugin through one step in remote context, with `config=` acct.conf.
std::string run_acct_step() {
    const std::string conf = "config=" + make_acct_conf();
    char* av[] = {const_cast<char*>(conf.c_str())};
    void* h = load(".libs/aifactory_acct.so");
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_init")(sp(), 1, av), 0);
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_task_exit")(sp(), 0, nullptr), 0);
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_exit")(sp(), 0, nullptr), 0);
    return records();
}

void slurm_conf_for_tests() {
    slurm_conf.cluster_name = const_cast<char*>("realcluster");
    slurm_conf.gres_plugins = const_cast<char*>("gpu");
}

}  // namespace

// An exception inside a hook is logged with the plugin and hook names, and the hook returns
// its documented value (SPANK: 0; the step goes on).
START_TEST(acct_exception_is_logged_and_returns_0) {
    fake.throw_in = "spank_get_item";
    const std::string out = run_acct_step();
    ck_assert_msg(fake.logged("error: aifactory_acct: exit: fake failure in spank_get_item; no record"),
                  "not logged: %s", fake.log.empty() ? "(nothing)" : fake.log.back().c_str());
    ck_assert_msg(out.empty(), "a record was written: %s", out.c_str());
    cleanup();
}
END_TEST

START_TEST(bind_exception_steps_aside) {
    void* h = load("plugins/bind/.libs/aifactory_bind.so");
    fake.throw_in = "spank_get_item";
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_user_init")(sp(), 0, nullptr), 0);
    ck_assert(fake.logged("error: aifactory_bind: user_init: fake failure in spank_get_item; not binding this step"));
    fake.throw_in.clear();
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_task_init")(sp(), 0, nullptr), 0);
    ck_assert(fake.set_env.empty());  // no half-made plan applied
}
END_TEST

// psslurm answers ESPANK_NOT_AVAIL for S_STEP_ALLOC_CORES: the task is bound inside the CPUs
// the launcher left this process, not over the whole node.
START_TEST(bind_without_step_cores_stays_in_own_affinity) {
    cpu_set_t all;
    CPU_ZERO(&all);
    ck_assert_int_eq(sched_getaffinity(0, sizeof all, &all), 0);
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &all)) last = c;
    if (CPU_COUNT(&all) < 2) return;  // one CPU: nothing to tell apart
    cpu_set_t only_last;
    CPU_ZERO(&only_last);
    CPU_SET(last, &only_last);
    ck_assert_int_eq(sched_setaffinity(0, sizeof only_last, &only_last), 0);

    void* h = load("plugins/bind/.libs/aifactory_bind.so");
    char a0[] = "cache=none";
    char* av[] = {a0};
    fake.context = S_CTX_REMOTE;
    fake.step_cores.clear();  // S_STEP_ALLOC_CORES: ESPANK_NOT_AVAIL
    fake.job_env["SLURM_CPU_BIND_TYPE"] = "mask_cpu:";
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_init")(sp(), 1, av), 0);
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_user_init")(sp(), 0, nullptr), 0);
    sched_setaffinity(0, sizeof all, &all);  // the task starts from the whole node again
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_task_init")(sp(), 0, nullptr), 0);
    cpu_set_t now;
    CPU_ZERO(&now);
    ck_assert_int_eq(sched_getaffinity(0, sizeof now, &now), 0);
    ck_assert_msg(CPU_COUNT(&now) >= 1 && CPU_ISSET(last, &now) && CPU_COUNT(&now) < CPU_COUNT(&all),
                  "task bound to %d CPUs, want the last one (%d) only", CPU_COUNT(&now), last);
}
END_TEST

START_TEST(bind_bad_plugstack_word_is_reported_and_left_out) {
    void* h = load("plugins/bind/.libs/aifactory_bind.so");
    char a0[] = "frobnicate=1", a1[] = "smt=maybe", a2[] = "cache=none";
    char* av[] = {a0, a1, a2};
    fake.context = S_CTX_LOCAL;
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_init")(sp(), 3, av), 0);
    ck_assert(fake.logged("aifactory_bind: plugstack.conf argument 'frobnicate=1' ignored: unknown argument 'frobnicate=1'"));
    ck_assert(fake.logged("aifactory_bind: plugstack.conf argument 'smt=maybe' ignored: smt=maybe: expected on or off"));
    ck_assert_int_eq(fake.options.size(), 1);  // --llm-bind still registered
}
END_TEST

START_TEST(options_exception_refuses_submission) {
    void* h = load(".libs/aifactory.so");
    char a0[] = "default_framework=fsdp", a1[] = "default_colour=blue";
    char* av[] = {a0, a1};
    fake.context = S_CTX_ALLOCATOR;
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_init")(sp(), 2, av), 0);
    ck_assert(fake.logged("aifactory: plugstack.conf argument 'default_colour=blue' ignored"));
    ck_assert_int_ge(fake.options.size(), 1);
    ck_assert_str_eq(fake.options[0].name, "llm-model");
    ck_assert_int_eq(fake.options[0].cb(fake.options[0].val, "llama3.1-8b", 0), 0);
    fake.throw_in = "spank_job_control_setenv";
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_init_post_opt")(sp(), 0, nullptr), -1);
    ck_assert(fake.logged("error: aifactory: init_post_opt: fake failure in spank_job_control_setenv; the submission is refused"));
    fake.throw_in.clear();
    ck_assert_int_eq(sym<SpankHook>(h, "slurm_spank_init_post_opt")(sp(), 0, nullptr), 0);
    ck_assert_str_eq(fake.job_control_env["_SLURM_SPANK_OPTION_aifactory_llm_framework"], "fsdp");
}
END_TEST

// job_submit: an LLM job in spank_job_env is decided, and a fitting batch job gets the signed
// prediction in its environment; an exception lets the job pass with one log line.
using JobSubmit = int (*)(job_desc_msg_t*, uint32_t, char**);
struct Job {
    job_desc_msg_t desc{};
    std::vector<char*> spank_env;
    Job() {
        desc.ntasks_per_node = NO_VAL16;  // what slurm_init_job_desc_msg() leaves unset
        desc.sockets_per_node = NO_VAL16;
        spank_env = {strdup("_SLURM_SPANK_OPTION_aifactory_llm_model=llama3.1-8b"),
                     strdup("_SLURM_SPANK_OPTION_aifactory_llm_layout=tp=4,sp=on"),
                     strdup("_SLURM_SPANK_OPTION_aifactory_llm_mbs=1"),
                     strdup("_SLURM_SPANK_OPTION_aifactory_llm_seq=2048"), nullptr};
        desc.spank_job_env = spank_env.data();
        desc.spank_job_env_size = 4;
        desc.environment = static_cast<char**>(calloc(2, sizeof(char*)));
        desc.environment[0] = strdup("PATH=/usr/bin");
        desc.env_size = 1;
        desc.partition = const_cast<char*>("boost_usr_prod");
        desc.tres_per_node = const_cast<char*>("gres:gpu:4");
        desc.min_nodes = 1;
        desc.user_id = 1000;
    }
    // What slurmctld would free: the plugin may have replaced or grown these arrays.
    ~Job() {
        for (char* e : spank_env) free(e);
        if (desc.spank_job_env != spank_env.data()) {
            for (uint32_t i = 0; i < desc.spank_job_env_size; ++i)
                if (std::find(spank_env.begin(), spank_env.end(), desc.spank_job_env[i]) == spank_env.end())
                    free(desc.spank_job_env[i]);
            free(desc.spank_job_env);
        }
        for (uint32_t i = 0; i < desc.env_size; ++i) free(desc.environment[i]);
        free(desc.environment);
    }
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;
    std::string env_value(const std::string& name) const {
        for (uint32_t i = 0; i < desc.env_size; ++i)
            if (std::strncmp(desc.environment[i], (name + "=").c_str(), name.size() + 1) == 0)
                return desc.environment[i] + name.size() + 1;
        return "";
    }
};

void* load_job_submit() {
    setenv("AIFACTORY_CONF", (srcdir() + "/etc/slurm-demo/aifactory.conf").c_str(), 1);
    setenv("AIFACTORY_DATADIR", (srcdir() + "/etc").c_str(), 1);
    setenv("AIFACTORY_ACCT_CONF", make_acct_conf().c_str(), 1);
    slurm_conf_for_tests();
    void* h = load(".libs/job_submit_aifactory.so");
    ck_assert_int_eq(sym<int (*)()>(h, "init")(), SLURM_SUCCESS);
    return h;
}

START_TEST(job_submit_decides_and_signs) {
    void* h = load_job_submit();
    Job job;
    char* msg = nullptr;
    const int rc = sym<JobSubmit>(h, "job_submit")(&job.desc, 1000, &msg);
    ck_assert_msg(rc == SLURM_SUCCESS, "rc %d: %s", rc, msg ? msg : "(no message)");
    ck_assert_msg(msg && has(msg, "fits"), "user message: %s", msg ? msg : "(none)");
    const std::string pred = job.env_value("AIFACTORY_PREDICTION");
    ck_assert_msg(has(pred, "verdict=fits;") && has(pred, ";sig="), "prediction: %s", pred.c_str());
    free(msg);  // slurmctld frees the message (fake_spank's slurm_xstrdup is strdup)
    ck_assert_int_eq(sym<int (*)()>(h, "fini")(), SLURM_SUCCESS);
    cleanup();
}
END_TEST

START_TEST(job_submit_exception_passes_job) {
    void* h = load_job_submit();
    Job job;
    char* msg = nullptr;
    fake.throw_in = "slurm_xrecalloc";
    ck_assert_int_eq(sym<JobSubmit>(h, "job_submit")(&job.desc, 1000, &msg), SLURM_SUCCESS);
    ck_assert(fake.logged("error: aifactory: job_submit: fake failure in slurm_xrecalloc; job passed through"));
    free(msg);
    ck_assert_int_eq(sym<int (*)()>(h, "fini")(), SLURM_SUCCESS);
    cleanup();
}
END_TEST

// Issue 11 item 3: a step whose environment claims another cluster, account and 16 GPUs is
// recorded with the daemon's cluster, no account, the GPUs slurmstepd set, and its forged
// prediction marked user-declared.
START_TEST(acct_ignores_forged_environment) {
    slurm_conf_for_tests();
    fake.step_id = 0;
    fake.job_env = {{"SLURM_CLUSTER_NAME", "other"},
                    {"SLURM_JOB_ACCOUNT", "victim"},
                    {"SLURM_JOB_PARTITION", "free"},
                    {"SLURM_JOB_GPUS", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15"},
                    {"SLURM_STEP_GPUS", "0,1"},
                    {"AIFACTORY_PREDICTION", "verdict=fits;gib_per_gpu=1"}};
    const std::string out = run_acct_step();
    ck_assert_msg(has(out, "\"cluster\":\"realcluster\""), "cluster: %s", out.c_str());
    ck_assert_msg(!has(out, "victim") && !has(out, "\"account\"") && !has(out, "\"partition\""), "%s", out.c_str());
    ck_assert_msg(has(out, "\"gpus\":2,"), "gpus: %s", out.c_str());
    ck_assert_msg(has(out, "\"prediction_origin\":\"user-declared\""), "%s", out.c_str());
    json_t* rec = json_loads(out.c_str(), JSON_DISABLE_EOF_CHECK, nullptr);
    ck_assert_msg(rec && !json_object_get(rec, "verdict"), "user's verdict taken: %s", out.c_str());
    json_decref(rec);
    cleanup();
}
END_TEST

// Issue 11 item 2: a 70 KB option value no longer costs the step its record.
START_TEST(acct_oversized_option_keeps_record) {
    slurm_conf_for_tests();
    fake.step_id = 0;
    fake.job_env = {{"SLURM_STEP_GPUS", "0,1"},
                    {"SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_pad", std::string(70000, 'x')},
                    {"SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_model", "llama3.1-8b"}};
    const std::string out = run_acct_step();
    ck_assert_msg(has(out, "\"gpu_seconds\":"), "record lost: %s", out.substr(0, 300).c_str());
    ck_assert_msg(has(out, "\"truncated\":[\"training\"]"), "%s", out.substr(0, 300).c_str());
    ck_assert_msg(has(out, "\"model\":\"llama3.1-8b\""), "%s", out.substr(0, 300).c_str());
    ck_assert_msg(out.size() < 16 * 1024, "record of %zu bytes", out.size());
    cleanup();
}
END_TEST

Suite* plugins_suite() {
    Suite* s = suite_create("plugins");
    TCase* tc = tcase_create("entry points");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, acct_exception_is_logged_and_returns_0);
    tcase_add_test(tc, bind_exception_steps_aside);
    tcase_add_test(tc, bind_bad_plugstack_word_is_reported_and_left_out);
    tcase_add_test(tc, bind_without_step_cores_stays_in_own_affinity);
    tcase_add_test(tc, options_exception_refuses_submission);
    tcase_add_test(tc, job_submit_decides_and_signs);
    tcase_add_test(tc, job_submit_exception_passes_job);
    tcase_add_test(tc, acct_ignores_forged_environment);
    tcase_add_test(tc, acct_oversized_option_keeps_record);
    suite_add_tcase(s, tc);
    return s;
}

int main() { return run_suite(plugins_suite()); }

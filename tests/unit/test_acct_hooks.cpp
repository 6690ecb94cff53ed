// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/acct's plugin hooks: every record kind from acct.conf to the outbox.
#include <sys/stat.h>

#include <string>

#include "acct/config.hpp"
#include "acct/hooks.hpp"
#include "acct/outbox.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

#include "acct_test_util.hpp"
#include "check_main.hpp"

using namespace aif;
using namespace aif::acct;
using namespace aif::record;
namespace hooks = aif::acct::hooks;

static int g_hook_logs = 0;

START_TEST(hooks_produce_every_kind) {
    std::string d = make_tmpdir();
    spit(d + "/key", "site-secret");
    ck_assert_int_eq(chmod((d + "/key").c_str(), 0600), 0);
    spit(d + "/acct.conf", "site = site-a\ncluster = alps\nsite_namespace = 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n"
                           "user_key_file = " + d + "/key\noutbox = " + d + "/outbox\nmin_free_mb = 0\n");
    auto log = [](const char*) { ++g_hook_logs; };
    g_hook_logs = 0;
    ck_assert(!hooks::init((d + "/missing.conf").c_str(), log));  // off, said once, no throw
    ck_assert_int_eq(g_hook_logs, 1);
    ck_assert(!hooks::enabled());
    STR_EQ(hooks::submit_decision({}), "");
    ck_assert(hooks::init((d + "/acct.conf").c_str(), log));
    hooks::SubmitDecision sd;
    sd.decision = "rejected";
    sd.reason = "needs 93.4 GiB per GPU";
    sd.uid = 20001;
    sd.gpus = 16;
    sd.training_kv = "model=llama3.1-70b;layout=tp=4,pp=4;seq=8192";
    sd.prediction = aif::record::Prediction::decode("verdict=does-not-fit;mem_gib=93.4;layout=tp:4/pp:4;bad=inf");
    sd.prediction_trusted = true;  // job_submit's own prediction
    std::string id1 = hooks::submit_decision(sd);
    hooks::StepEnd se;
    se.job_id = 7;
    se.step_id = "0";
    se.node = "n1";
    se.start_time = 100;
    se.end_time = 110;
    se.elapsed_s = 10.5;
    se.gpus = 4;
    se.exit_code = 0;
    std::string id2 = hooks::step_end(se);
    hooks::JobEnd je;
    je.job_id = 7;
    je.node = "n1";
    je.end_time = 111;
    std::string id3 = hooks::job_end(je);
    hooks::fini();
    ck_assert(!id1.empty() && !id2.empty() && !id3.empty());
    Outbox ob(d + "/outbox");
    auto files = ob.list("new");
    ck_assert_uint_eq(files.size(), 3);
    std::string all;
    for (const auto& f : files) all += *ob.load("new", f.name) + "\n";
    ck_assert(all.find("\"gpu_seconds\":42") != std::string::npos);
    ck_assert(all.find("\"state\":\"COMPLETED\"") != std::string::npos);
    ck_assert(all.find("\"training\":{\"layout\":\"tp=4,pp=4\",\"model\":\"llama3.1-70b\",\"seq\":8192}") !=
              std::string::npos);
    ck_assert(all.find("\"prediction\":{\"bad\":\"inf\",\"layout\":\"tp:4/pp:4\",\"mem_gib\":93.4,"
                       "\"verdict\":\"does-not-fit\"}") != std::string::npos);
    // Lifted to the record: once inside "prediction", once at the top level.
    auto first = all.find("\"verdict\":\"does-not-fit\"");
    ck_assert(first != std::string::npos && all.find("\"verdict\":\"does-not-fit\"", first + 1) != std::string::npos);
    ck_assert(all.find("\"user\":\"" + pseudonym("site-secret", "uid:20001") + "\"") != std::string::npos);
    ck_assert(all.find("20001") == std::string::npos);
    ck_assert(all.find("\"kind\":\"job_end\"") != std::string::npos);
    rm_rf(d);
}
END_TEST

int main() {
    Suite* s = suite_create("acct_hooks");
    TCase* tc = tcase_create("acct_hooks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hooks_produce_every_kind);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

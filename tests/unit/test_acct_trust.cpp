// SPDX-License-Identifier: GPL-2.0-or-later
// Records that nobody can inflate or forge from the job's environment: field caps (a huge
// --llm-* value costs the record its training detail, never its usage) and signed predictions.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "acct/hooks.hpp"
#include "record/record.hpp"
#include "common/json.hpp"

#include <check.h>  // last: its fail() macro clashes with <iostream>

#include "check_main.hpp"

using namespace aif::acct;
using namespace aif::record;

namespace {

Record usage_record() {
    Record r;
    r.kind = Kind::StepEnd;
    r.site = "site-a";
    r.cluster = "alps";
    r.site_namespace = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    r.component = "step/0/node01/1";
    r.job_id = 7;
    r.step_id = "0";
    r.node = "node01";
    r.end_time = 1787299207;
    r.gpus = 4;
    r.gpu_seconds = 3600;
    return r;
}

bool has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

}  // namespace

// Issue 11 item 2: a 70 KB option value used to make build() refuse the whole step record.
START_TEST(oversized_training_value_is_cut_not_the_record) {
    Record r = usage_record();
    aif::json::Ptr training = hooks::kv_object("model=llama3.1-8b;pad=" + std::string(70000, 'x'));
    r.training = training.get();
    const Built b = build(r, 0);
    ck_assert_msg(b.json.size() < 16 * 1024, "%zu bytes", b.json.size());
    ck_assert(has(b.json, "\"gpu_seconds\":3600"));
    ck_assert(has(b.json, "\"truncated\":[\"training\"]"));
    ck_assert(has(b.json, "\"model\":\"llama3.1-8b\""));
    ck_assert(has(b.json, "\"pad\":\"" + std::string(kMaxTextBytes, 'x') + "\""));
}
END_TEST

// Many keys: the object keeps what fits in kMaxObjectBytes; long text fields are cut at a
// character boundary; nothing stays over the record limit.
START_TEST(every_field_is_capped) {
    Record r = usage_record();
    std::string kv;
    for (int i = 0; i < 2000; ++i) kv += "k" + std::to_string(i) + "=" + std::string(40, 'v') + ";";
    aif::json::Ptr training = hooks::kv_object(kv), prediction = hooks::kv_object(kv), binding = hooks::kv_object(kv);
    r.training = training.get();
    r.prediction = prediction.get();
    r.binding = binding.get();
    std::string euro;
    for (int i = 0; i < 2000; ++i) euro += "\xe2\x82\xac";  // 3-byte characters
    r.account = euro;
    r.reason = std::string(100000, 'r');
    const Built b = build(r, 0);
    ck_assert_uint_le(b.json.size(), kMaxRecordBytes);
    ck_assert(has(b.json, "\"truncated\":[\"account\",\"binding\",\"prediction\",\"reason\",\"training\"]"));
    ck_assert(has(b.json, "\"gpu_seconds\":3600"));
    aif::json::Ptr doc = aif::json::parse(b.json, "record");  // still valid UTF-8 and JSON
    ck_assert_uint_eq(json_string_length(json_object_get(doc.get(), "account")) % 3, 0);
    ck_assert_uint_le(json_string_length(json_object_get(doc.get(), "account")), kMaxTextBytes);
}
END_TEST

// Issue 11 item 3: job_submit signs the prediction for the job's uid; anything else is
// user-declared.
START_TEST(predictions_are_signed_for_one_uid) {
    char tmpl[] = "/tmp/test_acct_trust.XXXXXX";
    const std::string d = mkdtemp(tmpl);
    std::ofstream(d + "/user.key") << "user-secret";
    std::ofstream(d + "/prediction.key") << "prediction-secret";
    chmod((d + "/user.key").c_str(), 0600);
    chmod((d + "/prediction.key").c_str(), 0640);  // root:SlurmUser 0640 is fine
    std::ofstream(d + "/acct.conf") << "site = s\ncluster = c\nsite_namespace = 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n"
                                    << "user_key_file = " << d << "/user.key\nprediction_key_file = " << d
                                    << "/prediction.key\noutbox = " << d << "/outbox\nmin_free_mb = 0\n";
    const std::string kv = "verdict=fits;gib_per_gpu=41.3";
    ck_assert_str_eq(hooks::sign_prediction(1000, kv), kv);  // no key loaded yet: unsigned
    ck_assert(hooks::init((d + "/acct.conf").c_str(), nullptr));
    const std::string signed_kv = hooks::sign_prediction(1000, kv);
    ck_assert(has(signed_kv, kv + ";sig="));
    auto ok = hooks::check_prediction(1000u, signed_kv);
    ck_assert(ok.trusted);
    ck_assert_str_eq(ok.kv, kv);
    ck_assert(!hooks::check_prediction(1001u, signed_kv).trusted);  // another user's
    ck_assert(!hooks::check_prediction(std::nullopt, signed_kv).trusted);
    std::string altered = signed_kv;
    altered.replace(altered.find("41.3"), 4, "01.3");
    ck_assert(!hooks::check_prediction(1000u, altered).trusted);
    auto bare = hooks::check_prediction(1000u, kv);
    ck_assert(!bare.trusted);
    ck_assert_str_eq(bare.kv, kv);
    hooks::fini();
    ck_assert(!hooks::check_prediction(1000u, signed_kv).trusted);  // no key: nothing verifies
    ck_assert_int_eq(std::system(("rm -rf '" + d + "'").c_str()), 0);
}
END_TEST

Suite* acct_trust_suite() {
    Suite* s = suite_create("acct_trust");
    TCase* tc = tcase_create("records");
    tcase_add_test(tc, oversized_training_value_is_cut_not_the_record);
    tcase_add_test(tc, every_field_is_capped);
    tcase_add_test(tc, predictions_are_signed_for_one_uid);
    suite_add_tcase(s, tc);
    return s;
}

int main() { return run_suite(acct_trust_suite()); }

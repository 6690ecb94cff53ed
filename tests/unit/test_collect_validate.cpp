// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/collect: record validation (per field, UTC times) and the tokens file rules.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include <check.h>
#include <sqlite3.h>

#include "check_main.hpp"
#include "collect_test_util.hpp"
#include "collect/tokens.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

using namespace aif;
using namespace aif::collect;

START_TEST(valid_record_is_reduced_to_columns) {
    Row r = check_record(step(uuid(1), "0", "n1", 42, 2400, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                              ",\"prediction\":{\"verdict\":\"fits;gib_per_gpu=41.3;capacity_gib=80\"},"
                              "\"observed\":{\"gpu_mem_peak_bytes\":42949672960}"));
    ck_assert_str_eq(r.site.c_str(), "siteA");
    ck_assert_int_eq(*r.job_id, 42);
    ck_assert_str_eq(r.verdict.c_str(), "fits");
    ck_assert_double_eq_tol(*r.pred_gib_per_gpu, 41.3, 1e-9);
    ck_assert_double_eq_tol(*r.obs_gpu_peak_bytes, 40.0 * 1024 * 1024 * 1024, 1);
    ck_assert_int_eq(r.event_time, 1787213400);  // end_time
    ck_assert_int_eq(r.version, 1);
    // A user-declared prediction's verdict is not the job's verdict; truncation lists are fine.
    Row u = check_record(step(uuid(4), "0", "n1", 43, 2400, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                              ",\"prediction\":{\"verdict\":\"fits\"},\"prediction_origin\":\"user-declared\","
                              "\"truncated\":[\"training\"]"));
    ck_assert_str_eq(u.verdict.c_str(), "");
}
END_TEST

START_TEST(invalid_records_name_the_field) {
    ck_assert_input_error(check_record("{"), "record");
    ck_assert_input_error(check_record("[]"), "not a JSON object");
    std::string good = step(uuid(2), "0", "n1", 7, 1);
    auto without = [&](const std::string& key) {
        json::Ptr d = json::parse(good, "t");
        json_object_del(d.get(), key.c_str());
        return json::dump(d.get());
    };
    auto with = [&](const std::string& key, json_t* v) {
        json::Ptr d = json::parse(good, "t");
        json_object_set_new(d.get(), key.c_str(), v);
        return json::dump(d.get());
    };
    ck_assert_input_error(check_record(without("record_id")), "record_id: is required");
    ck_assert_input_error(check_record(without("job_id")), "job_id: is required for step_end");
    ck_assert_input_error(check_record(without("site")), "site: is required");
    ck_assert_input_error(check_record(with("record_id", json_string("abc"))), "not a lowercase UUIDv5");
    ck_assert_input_error(check_record(with("schema", json_string("aifactory.acct/9"))), "schema");
    ck_assert_input_error(check_record(with("kind", json_string("boom"))), "kind");
    ck_assert_input_error(check_record(with("gpu_seconds", json_real(-1))), "gpu_seconds: must be >= 0");
    ck_assert_input_error(check_record(with("gpu_seconds", json_string("5"))), "gpu_seconds: must be a number");
    ck_assert_input_error(check_record(with("end_time", json_string("yesterday"))), "end_time");
    ck_assert_input_error(check_record(with("end_time", json_string("2026-08-20T07:00:00Z"))), "before start_time");
    ck_assert_input_error(check_record(with("user", json_string("alice"))), "pseudonym");
    ck_assert_input_error(check_record(with("site", json_string("a/../b"))), "site: may only contain");
    ck_assert_input_error(check_record(with("prediction", json_string("x"))), "prediction: must be a JSON object");
    ck_assert_input_error(check_record(with("job_id", json_integer(-3))), "job_id: -3 is out of range");
    ck_assert_input_error(check_record(std::string(70000, ' ')), "over the 65536-byte limit");
    // The schema has no other fields (additionalProperties: false).
    ck_assert_input_error(check_record(with("future_field", json_integer(1))), "future_field: is not a field of schema");
    ck_assert_input_error(check_record(without("node")), "node: is required for step_end");
    ck_assert_input_error(check_record(with("tasks", json_integer(0))), "tasks: 0 is out of range");
    ck_assert_input_error(check_record(with("prediction_origin", json_string("me"))), "prediction_origin");
    ck_assert_input_error(check_record(with("truncated", json_string("all"))), "truncated");
    ck_assert_input_error(check_record(with("observed", json_pack("{s:i}", "gpu_util", 3))), "gpu_util");
    ck_assert_input_error(check_record(with("created", json_string("2026-08-20T08:00:07.5Z"))), "created");
    // Submit decisions need no job id but a decision.
    std::string sd = "{\"cluster\":\"c1\",\"component\":\"submit/x\",\"created\":\"2026-08-20T08:00:00Z\",\"kind\":"
                     "\"submit_decision\",\"record_id\":\"" + uuid(3) + "\",\"schema\":\"aifactory.acct/1\",\"site\":\"s\"";
    ck_assert_input_error(check_record(sd + "}"), "decision: must be accepted, warned or rejected");
    Row rej = check_record(sd + ",\"decision\":\"rejected\",\"reason\":\"too big\"}");
    ck_assert_str_eq(rej.decision.c_str(), "rejected");
}
END_TEST

START_TEST(schema_2_fields_and_version_1_still_accepted) {
    const std::string v1 = step(uuid(5), "0", "n1", 9, 1200, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                                ",\"observed\":{\"gpu_mem_peak_bytes\":1024}");
    auto as_v2 = [](std::string r, const std::string& extra) {
        r.replace(r.find("acct/1"), 6, "acct/2");
        return r.substr(0, r.size() - 1) + extra + "}";
    };
    ck_assert_int_eq(*check_record(v1).job_id, 9);  // version 1 as before
    Row r = check_record(as_v2(v1, ",\"elapsed_s\":600.5,\"mem_alloc_bytes\":1073741824"));
    ck_assert_int_eq(*r.job_id, 9);
    // The sampler's measurements sit in observed next to the peak.
    std::string sampled = v1;
    sampled.replace(sampled.find("\"gpu_mem_peak_bytes\":1024"), 25,
                    "\"gpu_energy_basis\":\"counter\",\"gpu_energy_j\":3600000,\"gpu_mem_peak_bytes\":1024,"
                    "\"gpu_sample_interval_s\":10,\"gpu_samples\":60,\"gpu_util_mean_pct\":87.5,"
                    "\"gpu_util_p95_pct\":99,\"node_energy_j\":7200000");
    ck_assert_int_eq(*check_record(as_v2(sampled, "")).job_id, 9);
    // Schema 2's fields are not fields of schema 1 (additionalProperties: false).
    ck_assert_input_error(check_record(v1.substr(0, v1.size() - 1) + ",\"elapsed_s\":1}"),
                          "elapsed_s: is not a field of schema aifactory.acct/1");
    ck_assert_input_error(check_record(sampled), "is not a field of observed in schema aifactory.acct/1");
    std::string over = sampled;
    over.replace(over.find("87.5"), 4, "150");
    ck_assert_input_error(check_record(as_v2(over, "")), "gpu_util_mean_pct: 150 is over 100 %");
    ck_assert_input_error(check_record(as_v2(v1, ",\"time_limit_s\":0")), "time_limit_s");
    ck_assert_input_error(check_record(as_v2(v1, ",\"mem_alloc_bytes\":-1")), "mem_alloc_bytes");
    // The bounded timeline: three equal columns, nulls allowed, ordered, values in range.
    auto with_timeline = [&](const std::string& tl) {
        std::string t = sampled;
        t.replace(t.find("\"node_energy_j\""), 0, "\"gpu_timeline\":" + tl + ",");
        return as_v2(t, "");
    };
    ck_assert_int_eq(*check_record(with_timeline("{\"gpu_mem_max_bytes\":[1024,null],\"gpu_util_mean_pct\":[50.0,null],"
                                                 "\"t_s\":[0.0,10.0]}")).job_id, 9);
    ck_assert_input_error(check_record(with_timeline("{\"gpu_mem_max_bytes\":[1],\"gpu_util_mean_pct\":[1,2],\"t_s\":[0,1]}")),
                          "same length");
    ck_assert_input_error(check_record(with_timeline("{\"gpu_mem_max_bytes\":[1,1],\"gpu_util_mean_pct\":[1,2],\"t_s\":[5,1]}")),
                          "do not decrease");
    ck_assert_input_error(check_record(with_timeline("{\"gpu_mem_max_bytes\":[-1],\"gpu_util_mean_pct\":[1],\"t_s\":[0]}")),
                          "integers >= 0");
    ck_assert_input_error(check_record(with_timeline("{\"gpu_mem_max_bytes\":[1],\"gpu_util_mean_pct\":[101],\"t_s\":[0]}")),
                          "within 0..100");
    std::string many = "[0";
    for (int i = 1; i <= 64; ++i) many += "," + std::to_string(i);
    many += "]";
    ck_assert_input_error(check_record(with_timeline("{\"gpu_mem_max_bytes\":" + many + ",\"gpu_util_mean_pct\":" + many +
                                                     ",\"t_s\":" + many + "}")),
                          "1 to 64 points");
}
END_TEST

START_TEST(times_parse_as_utc) {
    ck_assert_int_eq(*parse_time("1970-01-01T00:00:10Z"), 10);
    ck_assert(!parse_time("2026-08-20T08:00:07.250Z"));
    ck_assert(!parse_time("2026-08-20 08:00:07"));
    ck_assert(!parse_time("2026-13-20T08:00:07Z"));
    std::string t = format_time(1787213400);
    ck_assert_str_eq(t.c_str(), "2026-08-20T08:10:00Z");
}
END_TEST

START_TEST(tokens_file_rules) {
    Tokens t = Tokens::from_text("# sites\nsiteA  aaaaaaaaaaaaaaaaaaaa\n* ffffffffffffffffffff\n", "t");
    ck_assert_int_eq(t.size(), 2);
    ck_assert(t.find("aaaaaaaaaaaaaaaaaaaa")->site == "siteA");
    ck_assert(t.find("ffffffffffffffffffff")->all_sites());
    ck_assert(!t.find("aaaaaaaaaaaaaaaaaaa"));   // prefix
    ck_assert(!t.find("aaaaaaaaaaaaaaaaaaaab"));  // longer
    ck_assert(!t.find(""));
    ck_assert_input_error(Tokens::from_text("siteA short\n", "t"), "shorter than 16");
    ck_assert_input_error(Tokens::from_text("siteA\n", "t"), "expected '<site> <token>'");
    ck_assert_input_error(Tokens::from_text("a bbbbbbbbbbbbbbbbbbbb\nc bbbbbbbbbbbbbbbbbbbb\n", "t"), "already used");
    ck_assert_input_error(Tokens::from_text("# none\n", "t"), "no tokens");
    ck_assert(equal_ct("abc", "abc"));
    ck_assert(!equal_ct("abc", "abd"));
    ck_assert(!equal_ct("abc", "abcd"));
    // The file must not be readable by others.
    std::string d = tmpdir(), f = d + "/tokens";
    std::ofstream(f) << "siteA aaaaaaaaaaaaaaaaaaaa\n";
    chmod(f.c_str(), 0644);
    ck_assert_input_error(Tokens::load(f), "chmod 600");
    chmod(f.c_str(), 0600);
    ck_assert_int_eq(Tokens::load(f).size(), 1);
    unlink(f.c_str());
    rmdir(d.c_str());
}
END_TEST

int main() {
    Suite* s = suite_create("collect_validate");
    TCase* tc = tcase_create("collect_validate");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, valid_record_is_reduced_to_columns);
    tcase_add_test(tc, invalid_records_name_the_field);
    tcase_add_test(tc, schema_2_fields_and_version_1_still_accepted);
    tcase_add_test(tc, times_parse_as_utc);
    tcase_add_test(tc, tokens_file_rules);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/collect's ingest: status codes, impossible usage, hostile bodies refused
// before parsing, storage errors kept in the log.
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
#include "collect/server.hpp"
#include "collect/store.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

using namespace aif;
using namespace aif::collect;

START_TEST(ingest_status_codes) {
    std::string d = tmpdir();
    auto s = fresh_store(d);
    ServerConfig cfg;
    cfg.max_records = 3;
    Principal site{"siteA"}, fed{"*"}, other{"siteB"};
    std::string r1 = step(uuid(50), "0", "n1", 1, 1), r2 = step(uuid(51), "0", "n2", 1, 1);
    Reply r = ingest(*s, site, "{\"records\":[" + r1 + "," + r2 + "]}", cfg);
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.body.find("\"inserted\": 2") != std::string::npos || r.body.find("\"inserted\":2") != std::string::npos);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1 + "]}", cfg).status, 409);  // already have it
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1 + "," + step(uuid(52), "0", "n3", 1, 1) + "]}", cfg).status, 200);
    r = ingest(*s, site, "{\"records\":[" + r1 + ",{\"schema\":\"aifactory.acct/1\"}]}", cfg);
    ck_assert_int_eq(r.status, 422);  // the body is fine, a record is not
    ck_assert(r.body.find("record_id: is required") != std::string::npos);
    ck_assert_int_eq(ingest(*s, site, "not json", cfg).status, 400);
    ck_assert_int_eq(ingest(*s, site, "{\"rec\":[]}", cfg).status, 400);
    // Someone else's site: 422, so the sender dead-letters that record instead of pausing.
    ck_assert_int_eq(ingest(*s, other, "{\"records\":[" + r1 + "]}", cfg).status, 422);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1 + "],\"x\":1}", cfg).status, 400);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1 + "]} x", cfg).status, 400);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1, cfg).status, 400);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1 + "],\"records\":[]}", cfg).status, 400);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[1]}", cfg).status, 422);
    ck_assert_int_eq(ingest(*s, site, " { \"records\" : [ ] } ", cfg).status, 200);
    ck_assert_int_eq(ingest(*s, fed, "{\"records\":[" + r1 + "]}", cfg).status, 403);
    ck_assert_int_eq(ingest(*s, site, "{\"records\":[" + r1 + "," + r1 + "," + r1 + "," + r1 + "]}", cfg).status, 413);
    ck_assert_int_eq(s->count(), 3);  // nothing from the refused batches
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

// Issue 11 item 9: usage no allocation could produce poisoned the aggregates.
START_TEST(impossible_usage_is_refused_with_the_reason) {
    std::string two_h_start = "2026-08-20T08:00:00Z", two_h_end = "2026-08-20T10:00:00Z";  // 4 GPUs: 28800 GPU-s
    ck_assert_input_error(check_record(step(uuid(60), "0", "n1", 5, 1e15, two_h_start, two_h_end)),
                          "gpu_seconds: 1e+15 is more than gpus x (end_time - start_time) = 4 x 7200 s = 28800");
    ck_assert_input_error(check_record(step(uuid(61), "0", "n1", 5, 1e20, two_h_start, two_h_end)),
                          "gpu_seconds: 1e+20 is over the limit of 1e+15 s");
    ck_assert_input_error(check_record(step(uuid(62), "0", "n1", 5, 28800 * 1.05, two_h_start, two_h_end)),
                          "is more than gpus x");
    Row ok = check_record(step(uuid(63), "0", "n1", 5, 28800, two_h_start, two_h_end));
    ck_assert_double_eq(*ok.gpu_seconds, 28800);
    std::string no_times = step(uuid(64), "0", "n1", 5, 10);
    no_times.erase(no_times.find(",\"start_time\""), std::strlen(",\"start_time\":\"2026-08-20T08:00:00Z\""));
    ck_assert_input_error(check_record(no_times), "gpu_seconds: needs gpus, start_time and end_time");
    std::string d = tmpdir();
    auto s = fresh_store(d);
    Reply r = ingest(*s, Principal{"siteA"}, "{\"records\":[" + step(uuid(60), "0", "n1", 5, 1e15, two_h_start, two_h_end) + "]}",
                     ServerConfig{});
    ck_assert_int_eq(r.status, 422);
    ck_assert_msg(r.body.find("is more than gpus x") != std::string::npos, "%s", r.body.c_str());
    ck_assert_int_eq(s->count(), 0);
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

long max_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// Issue 11 item 6: an 8 MiB {"records":[{},{},...]} used to be parsed whole (~650 MB) before
// the record count was checked; a record of 8 MiB of empty arrays likewise.
START_TEST(hostile_bodies_are_refused_before_parsing) {
    std::string d = tmpdir();
    auto s = fresh_store(d);
    ServerConfig cfg;
    std::string many = "{\"records\":[{}";
    while (many.size() < cfg.max_body_bytes - 8) many += ",{}";
    many += "]}";
    std::string nested = "{\"records\":[{\"a\":[[]";
    while (nested.size() < cfg.max_body_bytes - 8) nested += ",[]";
    nested += "]}]}";
    long before = max_rss_kib();
    Reply r = ingest(*s, Principal{"siteA"}, many, cfg);
    ck_assert_int_eq(r.status, 413);
    ck_assert_msg(r.body.find("records; at most 10000 per request") != std::string::npos, "%s", r.body.c_str());
    r = ingest(*s, Principal{"siteA"}, nested, cfg);
    ck_assert_int_eq(r.status, 422);
    ck_assert_msg(r.body.find("-byte limit") != std::string::npos, "%s", r.body.c_str());
    long grown_mib = (max_rss_kib() - before) / 1024;
    ck_assert_msg(grown_mib < 50, "peak RSS grew by %ld MiB for two 8 MiB bodies", grown_mib);
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

// The reason a store failed is for the operator's log, not for whoever sent the request.
START_TEST(storage_errors_stay_in_the_log) {
    if (std::getenv("AIF_TEST_PG")) return;  // SQLite only: the table is dropped behind the store's back
    std::string d = tmpdir();
    auto s = fresh_store(d);
    sqlite3* db = nullptr;
    ck_assert_int_eq(sqlite3_open((d + "/c.db").c_str(), &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE records", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    std::string logged;
    Reply r = ingest(*s, Principal{"siteA"}, "{\"records\":[" + step(uuid(70), "0", "n1", 1, 1) + "]}", ServerConfig{},
                     [&](const std::string& m) { logged += m; });
    ck_assert_int_eq(r.status, 503);
    ck_assert(r.retry_after);
    ck_assert_msg(r.body.find("records") == std::string::npos && r.body.find("table") == std::string::npos,
                  "503 body leaks storage details: %s", r.body.c_str());
    ck_assert_msg(logged.find("records") != std::string::npos, "the reason was not logged: %s", logged.c_str());
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

int main() {
    Suite* s = suite_create("collect_ingest");
    TCase* tc = tcase_create("collect_ingest");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, ingest_status_codes);
    tcase_add_test(tc, impossible_usage_is_refused_with_the_reason);
    tcase_add_test(tc, hostile_bodies_are_refused_before_parsing);
    tcase_add_test(tc, storage_errors_stay_in_the_log);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/collect's store: idempotency and versions, the GPU-hours rule.
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
#include "collect/job_report.hpp"
#include "collect/listings.hpp"
#include "collect/store.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

using namespace aif;
using namespace aif::collect;

START_TEST(store_keeps_the_highest_version_once) {
    std::string d = tmpdir();
    {
        auto s = fresh_store(d);
        Row a = check_record(step(uuid(10), "0", "n1", 5, 100));
        IngestResult r = s->put({a, check_record(step(uuid(11), "0", "n2", 5, 100))});
        ck_assert_int_eq(r.inserted, 2);
        r = s->put({a});  // a retry
        ck_assert_int_eq(r.inserted, 0);
        ck_assert_int_eq(r.unchanged, 1);
        // Version 2 replaces; version 1 arriving later does not.
        Row v2 = check_record(step(uuid(10), "0", "n1", 5, 300, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                                   ",\"record_version\":2"));
        ck_assert_int_eq(s->put({v2}).updated, 1);
        ck_assert_int_eq(s->put({a}).unchanged, 1);
        ck_assert_int_eq(s->count(), 2);
        // Both versions of one record in one batch: the higher one is kept, counted once.
        Row b1 = check_record(step(uuid(12), "0", "n3", 5, 10));
        Row b3 = check_record(step(uuid(12), "0", "n3", 5, 30, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                                   ",\"record_version\":3"));
        IngestResult both = s->put({b3, b1});
        ck_assert_int_eq(both.inserted, 1);
        ck_assert_int_eq(both.unchanged, 1);
        int v3 = 0;
        for (const auto& body : s->job_records({"siteA", "c1", 5})) v3 += body.find("\"record_version\":3") != std::string::npos;
        ck_assert_int_eq(v3, 1);
        auto bodies = s->job_records({"siteA", "c1", 5});
        ck_assert_int_eq(bodies.size(), 3);
        auto jobs = s->list_jobs({});
        ck_assert_int_eq(jobs.size(), 1);
        ck_assert_double_eq_tol(jobs[0].gpu_seconds, 430, 1e-6);
        // The same record id from another site is another record (ids are per site namespace).
        ck_assert_int_eq(s->put({check_record(step(uuid(10), "0", "n1", 5, 1, "2026-08-20T08:00:00Z",
                                                   "2026-08-20T08:10:00Z", "", "siteB"))}).inserted, 1);
        JobFilter f;
        f.site = "siteB";
        ck_assert_int_eq(s->list_jobs(f).size(), 1);
        ck_assert_int_eq(s->list_jobs(f)[0].key.job_id, 5);
    }
    // Reopening finds the data (one file, WAL).
    auto s = reopen_store(d);
    ck_assert_int_eq(s->count(), 4);
    if (!std::getenv("AIF_TEST_PG")) {
        // A store from before the job summary table: reopening rebuilds it from the records.
        s.reset();
        sqlite3* db = nullptr;
        ck_assert_int_eq(sqlite3_open((d + "/c.db").c_str(), &db), SQLITE_OK);
        ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE jobs", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        s = reopen_store(d);
        auto jobs = s->list_jobs({});
        ck_assert_int_eq(jobs.size(), 2);  // job 5 of siteA and of siteB
        ck_assert_double_eq_tol(jobs[0].gpu_seconds + jobs[1].gpu_seconds, 431, 1e-6);
    }
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

START_TEST(gpu_hours_count_srun_steps_not_the_batch_step) {
    std::string d = tmpdir();
    auto s = fresh_store(d);
    // Job 1: batch (2400 GPU-s) + two srun steps on two nodes (1200 + 1200): 2400 GPU-s counted.
    // Job 2: batch only (3600): counted. Job 3, next month, account b: 7200.
    s->put({check_record(step(uuid(20), "batch", "n1", 1, 2400, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                              ",\"account\":\"a\"")),
            check_record(step(uuid(21), "0", "n1", 1, 1200, "2026-08-20T08:00:00Z", "2026-08-20T08:05:00Z", ",\"account\":\"a\"")),
            check_record(step(uuid(22), "0", "n2", 1, 1200, "2026-08-20T08:00:00Z", "2026-08-20T08:05:00Z", ",\"account\":\"a\"")),
            check_record(step(uuid(23), "batch", "n1", 2, 3600, "2026-08-21T08:00:00Z", "2026-08-21T09:00:00Z",
                              ",\"account\":\"a\"")),
            check_record(step(uuid(24), "0", "n1", 3, 7200, "2026-09-01T08:00:00Z", "2026-09-01T10:00:00Z",
                              ",\"account\":\"b\""))});
    auto h = s->gpu_hours({});
    ck_assert_int_eq(h.size(), 2);
    ck_assert_str_eq(h[0].month.c_str(), "2026-09");
    ck_assert_double_eq_tol(h[0].gpu_hours, 2.0, 1e-9);
    ck_assert_str_eq(h[1].account.c_str(), "a");
    ck_assert_double_eq_tol(h[1].gpu_hours, (2400.0 + 3600) / 3600, 1e-9);
    ck_assert_int_eq(h[1].jobs, 2);
    JobFilter f;
    f.account = "b";
    ck_assert_int_eq(s->list_jobs(f).size(), 1);
    f = {};
    f.from = *parse_time("2026-08-21T00:00:00Z");
    f.to = *parse_time("2026-09-01T00:00:00Z");
    auto jobs = s->list_jobs(f);
    ck_assert_int_eq(jobs.size(), 1);
    ck_assert_int_eq(jobs[0].key.job_id, 2);
    // The merged report applies the same rule.
    json::Ptr rep = to_json(build_job_report(s->job_records({"siteA", "c1", 1}), "siteA", "c1", 1));
    ck_assert_double_eq_tol(json_real_value(json_object_get(rep.get(), "gpu_seconds")), 2400, 1e-6);
    ck_assert_int_eq(json_array_size(json_object_get(rep.get(), "steps")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep.get(), "outcome"), "state")), "COMPLETED");
    ck_assert_int_eq(json_array_size(json_object_get(rep.get(), "node_list")), 2);
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

int main() {
    Suite* s = suite_create("collect_store");
    TCase* tc = tcase_create("collect_store");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, store_keeps_the_highest_version_once);
    tcase_add_test(tc, gpu_hours_count_srun_steps_not_the_batch_step);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/collect's store: idempotency and versions, the GPU-hours rule.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <check.h>
#include <sqlite3.h>

#include "check_main.hpp"
#include "collect_test_util.hpp"
#include "collect/job_report.hpp"
#include "collect/listings.hpp"
#include "collect/overview.hpp"
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
    {
        // A store from before the job summary table: reopening rebuilds it from the records.
        s.reset();
        if (const char* pg = std::getenv("AIF_TEST_PG"); pg && *pg) {
            std::string cmd = std::string("psql -q -d '") + pg + "' -c 'DELETE FROM jobs' >/dev/null";
            ck_assert_int_eq(std::system(cmd.c_str()), 0);
        } else {
            sqlite3* db = nullptr;
            ck_assert_int_eq(sqlite3_open((d + "/c.db").c_str(), &db), SQLITE_OK);
            ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE jobs", nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
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

namespace {

std::string v2(std::string r) { return r.replace(r.find("acct/1"), 6, "acct/2"); }

std::string job_end(const std::string& id, int job, const std::string& partition, const std::string& account) {
    return "{\"account\":\"" + account + "\",\"cluster\":\"c1\",\"component\":\"end/n1/1\",\"created\":\"2026-08-20T09:00:00Z\","
           "\"end_time\":\"2026-08-20T08:10:05Z\",\"gpus\":4,\"job_id\":" + std::to_string(job) +
           ",\"kind\":\"job_end\",\"node\":\"n1\",\"partition\":\"" + partition + "\",\"record_id\":\"" + id +
           "\",\"schema\":\"aifactory.acct/2\",\"site\":\"siteA\"}";
}

std::string decision(const std::string& id, const std::string& what, const std::string& partition, const std::string& account) {
    return "{\"account\":\"" + account + "\",\"cluster\":\"c1\",\"component\":\"decision/" + id +
           "\",\"created\":\"2026-08-20T07:59:00Z\",\"decision\":\"" + what + "\",\"kind\":\"submit_decision\",\"partition\":\"" +
           partition + "\",\"record_id\":\"" + id + "\",\"schema\":\"aifactory.acct/2\",\"site\":\"siteA\","
           "\"submit_time\":\"2026-08-20T07:59:00Z\"}";
}

const UsageGroup* find(const std::vector<UsageGroup>& rows, const std::string& key) {
    for (const auto& r : rows)
        if (r.key == key) return &r;
    return nullptr;
}

}  // namespace

START_TEST(overview_per_partition_account_and_user) {
    std::string d = tmpdir();
    auto s = fresh_store(d);
    // Job 60 (gpu, p1): one srun step measured (2400 GPU-s at 50 %, 3.6 MJ) and one not (2400 GPU-s):
    // utilisation is the measured step's, weighted. Job 61 (gpu, p1): nothing measured.
    // Decisions: gpu/p1 accepted and rejected; big/p2 warned (no job ran).
    s->put({check_record(v2(step(uuid(60), "0", "n1", 60, 2400, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
                                 ",\"observed\":{\"gpu_energy_j\":3600000,\"gpu_util_mean_pct\":50}"))),
            check_record(v2(step(uuid(61), "1", "n1", 60, 2400))),
            check_record(job_end(uuid(62), 60, "gpu", "p1")),
            check_record(step(uuid(63), "0", "n1", 61, 1200)),
            check_record(job_end(uuid(64), 61, "gpu", "p1")),
            check_record(decision(uuid(65), "accepted", "gpu", "p1")),
            check_record(decision(uuid(66), "rejected", "gpu", "p1")),
            check_record(decision(uuid(67), "warned", "big", "p2"))});
    auto parts = s->usage_groups({}, GroupBy::Partition);
    const UsageGroup* gpu = find(parts, "gpu");
    ck_assert_ptr_nonnull(gpu);
    ck_assert_int_eq(gpu->jobs, 2);
    ck_assert_double_eq_tol(gpu->gpu_hours, (4800.0 + 1200) / 3600, 1e-4);
    ck_assert_double_eq_tol(*gpu->gpu_energy_kwh, 1.0, 1e-9);
    ck_assert(!gpu->node_energy_kwh);  // nobody measured it: n/a
    ck_assert_double_eq_tol(*gpu->gpu_util_mean_pct, 50, 1e-9);
    ck_assert_int_eq(gpu->accepted, 1);
    ck_assert_int_eq(gpu->rejected, 1);
    ck_assert_int_eq(gpu->warned, 0);
    const UsageGroup* big = find(parts, "big");
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(big->jobs, 0);
    ck_assert_int_eq(big->warned, 1);
    auto accounts = s->usage_groups({}, GroupBy::Account);
    ck_assert_int_eq(find(accounts, "p1")->jobs, 2);
    ck_assert_int_eq(find(accounts, "p2")->warned, 1);
    JobFilter f;
    f.partition = "big";
    auto only_big = s->usage_groups(f, GroupBy::Partition);
    ck_assert_int_eq(only_big.size(), 1);
    ck_assert_str_eq(only_big[0].key.c_str(), "big");
    // Exports: n/a, never 0, where there is no data.
    std::string csv = usage_csv(GroupBy::Partition, parts);
    ck_assert_msg(csv.find("siteA,gpu,2,1.6667,1.000,n/a,50.0,1,0,1\r\n") != std::string::npos, "%s", csv.c_str());
    ck_assert_msg(csv.find("siteA,big,0,n/a,n/a,n/a,n/a,0,1,0\r\n") != std::string::npos, "%s", csv.c_str());
    json::Ptr j = json::parse(usage_json(GroupBy::Partition, parts), "t");
    ck_assert_int_eq(json_integer_value(json_object_get(j.get(), "count")), 2);
    std::string m = usage_metrics({{GroupBy::Partition, parts}});
    ck_assert(m.find("aifactory_partition_gpu_energy_kwh{site=\"siteA\",partition=\"gpu\"} 1.000000\n") != std::string::npos);
    ck_assert(m.find("aifactory_partition_node_energy_kwh{") == std::string::npos);
    ck_assert(m.find("aifactory_partition_submissions{site=\"siteA\",partition=\"big\",decision=\"warned\"} 1\n") !=
              std::string::npos);
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

// A database written before the overview's columns existed opens, gains them, and takes records.
START_TEST(store_from_before_the_overview_columns_opens) {
    if (std::getenv("AIF_TEST_PG")) return;  // PostgreSQL adds them with IF NOT EXISTS
    std::string d = tmpdir();
    sqlite3* db = nullptr;
    ck_assert_int_eq(sqlite3_open((d + "/c.db").c_str(), &db), SQLITE_OK);
    const char* old =
        "CREATE TABLE records (site TEXT NOT NULL, record_id TEXT NOT NULL, cluster TEXT NOT NULL, job_id INTEGER,"
        " kind TEXT NOT NULL, component TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL,"
        " step_id TEXT NOT NULL, node TEXT NOT NULL, account TEXT NOT NULL, pseudonym TEXT NOT NULL,"
        " verdict TEXT NOT NULL, decision TEXT NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,"
        " event_time INTEGER NOT NULL, gpu_seconds REAL, pred_gib REAL, obs_peak REAL, body TEXT NOT NULL,"
        " received INTEGER NOT NULL, PRIMARY KEY (site, record_id));"
        "CREATE TABLE jobs (site TEXT NOT NULL, cluster TEXT NOT NULL, job_id INTEGER NOT NULL, acc TEXT NOT NULL,"
        " usr TEXT NOT NULL, ver TEXT NOT NULL, st TEXT, t0 INTEGER NOT NULL, t1 INTEGER NOT NULL, nrec INTEGER NOT NULL,"
        " nsteps INTEGER NOT NULL, gs REAL NOT NULL, bgs REAL NOT NULL, pg REAL, op REAL, PRIMARY KEY (site, cluster, job_id));";
    ck_assert_int_eq(sqlite3_exec(db, old, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto s = open_sqlite(d + "/c.db");
    s->put({check_record(step(uuid(70), "0", "n1", 70, 600)), check_record(job_end(uuid(71), 70, "gpu", "p1"))});
    auto parts = s->usage_groups({}, GroupBy::Partition);
    ck_assert_int_eq(parts.size(), 1);
    ck_assert_str_eq(parts[0].key.c_str(), "gpu");
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

// Several collectors on one database (tests/integration/collector_multi.sh runs the whole
// chain): 8 stores open at once on an empty database, then all deliver at once, each its own
// step records of the same 20 jobs, then one record every store sends. Concurrent CREATE TABLE IF
// NOT EXISTS on PostgreSQL fails with a duplicate pg_type key unless the schema is created
// under a lock; the job summaries must add up every store's steps exactly once.
START_TEST(stores_opened_and_used_at_once_share_one_database) {
    std::string d = tmpdir();
    fresh_store(d).reset();
    if (const char* pg = std::getenv("AIF_TEST_PG"); pg && *pg) {
        std::string cmd = std::string("psql -q -d '") + pg + "' -c 'DROP TABLE records, jobs' >/dev/null";
        ck_assert_int_eq(std::system(cmd.c_str()), 0);
    }
    constexpr int kStores = 8, kJobs = 20;
    std::vector<std::unique_ptr<Store>> stores(kStores);
    std::vector<std::string> errors(kStores);
    {
        std::latch go(kStores);
        std::vector<std::thread> threads;
        for (int i = 0; i < kStores; ++i)
            threads.emplace_back([&, i] {
                go.arrive_and_wait();
                try {
                    stores[i] = reopen_store(d);
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                }
            });
        for (auto& t : threads) t.join();
    }
    for (int i = 0; i < kStores; ++i) ck_assert_msg(errors[i].empty(), "store %d did not open: %s", i, errors[i].c_str());
    {
        std::latch go(kStores);
        std::vector<std::thread> threads;
        for (int i = 0; i < kStores; ++i)
            threads.emplace_back([&, i] {
                std::vector<Row> rows;
                for (int j = 1; j <= kJobs; ++j)
                    rows.push_back(check_record(step(uuid(1000 * j + i), std::to_string(i), "n" + std::to_string(i), j, 100 + i)));
                go.arrive_and_wait();
                try {
                    stores[i]->put(rows);
                    // Apart: a record in every delivery makes them wait for each other's row.
                    stores[i]->put({check_record(step(uuid(999999), "9", "n9", kJobs + 1, 60))});
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                }
            });
        for (auto& t : threads) t.join();
    }
    for (int i = 0; i < kStores; ++i) ck_assert_msg(errors[i].empty(), "store %d: %s", i, errors[i].c_str());
    ck_assert_int_eq(stores[0]->count(), kStores * kJobs + 1);
    JobFilter all;
    all.limit = 1000;
    auto jobs = stores[0]->list_jobs(all);
    ck_assert_int_eq(jobs.size(), kJobs + 1);
    for (const auto& j : jobs) {
        // Steps 0..7 of 100..107 GPU-seconds; the last job: the shared step of 60, once.
        const bool shared = j.key.job_id == kJobs + 1;
        ck_assert_msg(j.records == (shared ? 1 : kStores), "job %lld: %lld records", (long long)j.key.job_id,
                      (long long)j.records);
        ck_assert_double_eq_tol(j.gpu_seconds, shared ? 60 : kStores * 100 + kStores * (kStores - 1) / 2, 1e-6);
    }
    stores.clear();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

int main() {
    Suite* s = suite_create("collect_store");
    TCase* tc = tcase_create("collect_store");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, store_keeps_the_highest_version_once);
    tcase_add_test(tc, gpu_hours_count_srun_steps_not_the_batch_step);
    tcase_add_test(tc, overview_per_partition_account_and_user);
    tcase_add_test(tc, store_from_before_the_overview_columns_opens);
    tcase_add_test(tc, stores_opened_and_used_at_once_share_one_database);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

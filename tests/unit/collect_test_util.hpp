// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the lib/collect unit tests (test_collect_*.cpp): record builders and the store under
// test (SQLite in a temp dir, or PostgreSQL when AIF_TEST_PG holds a conninfo).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <check.h>

#include "collect/store.hpp"

namespace collect_test {

using namespace aif;
using namespace aif::collect;

// A step record like lib/acct/record.cpp builds (sorted keys, compact). `extra` is spliced in.
inline std::string step(const std::string& id, const std::string& step_id, const std::string& node, int job, double gpu_s,
                 const std::string& start = "2026-08-20T08:00:00Z", const std::string& end = "2026-08-20T08:10:00Z",
                 const std::string& extra = "", const std::string& site = "siteA") {
    return "{\"cluster\":\"c1\",\"component\":\"step/" + step_id + "/" + node + "\",\"created\":\"2026-08-20T08:10:01Z\","
           "\"end_time\":\"" + end + "\",\"exit_code\":0,\"gpu_seconds\":" + std::to_string(gpu_s) +
           ",\"gpus\":4,\"job_id\":" + std::to_string(job) + ",\"kind\":\"step_end\",\"node\":\"" + node +
           "\",\"record_id\":\"" + id + "\",\"schema\":\"aifactory.acct/1\",\"site\":\"" + site +
           "\",\"start_time\":\"" + start + "\",\"state\":\"COMPLETED\",\"step_id\":\"" + step_id + "\"" + extra + "}";
}

inline std::string uuid(int n) {
    char b[40];
    std::snprintf(b, sizeof b, "00000000-0000-5000-8000-%012d", n);  // a valid UUIDv5 shape
    return b;
}

inline std::string failed(std::string rec) {
    rec.replace(rec.find("COMPLETED"), 9, "FAILED");
    return rec;
}

// The store under test: SQLite in `dir`, or PostgreSQL when AIF_TEST_PG holds a conninfo
// (tests/integration/collector_postgres.sh runs this program against a real server).
inline std::unique_ptr<Store> reopen_store(const std::string& dir) {
    const char* pg = std::getenv("AIF_TEST_PG");
    return pg && *pg ? open_postgres(pg) : open_sqlite(dir + "/c.db");
}
inline std::unique_ptr<Store> fresh_store(const std::string& dir) {
    const char* pg = std::getenv("AIF_TEST_PG");
    if (pg && *pg) {
        std::string cmd = std::string("psql -q -d '") + pg + "' -c 'DROP TABLE IF EXISTS records, jobs' >/dev/null";
        ck_assert_int_eq(std::system(cmd.c_str()), 0);
    }
    return reopen_store(dir);
}

inline std::string tmpdir() {
    char t[] = "/tmp/test_collect.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

}  // namespace collect_test

using namespace collect_test;

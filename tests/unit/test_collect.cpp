// Unit tests for lib/collect: record validation, tokens, the SQLite store (idempotency and
// versions), the merged job report, ingest status codes and HTML escaping.
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
#include "collect/html.hpp"
#include "collect/job_report.hpp"
#include "collect/listings.hpp"
#include "collect/server.hpp"
#include "collect/store.hpp"
#include "collect/tokens.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

using namespace aif;
using namespace aif::collect;

namespace {

// A step record like lib/acct/record.cpp builds (sorted keys, compact). `extra` is spliced in.
std::string step(const std::string& id, const std::string& step_id, const std::string& node, int job, double gpu_s,
                 const std::string& start = "2026-08-20T08:00:00Z", const std::string& end = "2026-08-20T08:10:00Z",
                 const std::string& extra = "", const std::string& site = "siteA") {
    return "{\"cluster\":\"c1\",\"component\":\"step/" + step_id + "/" + node + "\",\"created\":\"2026-08-20T08:10:01Z\","
           "\"end_time\":\"" + end + "\",\"exit_code\":0,\"gpu_seconds\":" + std::to_string(gpu_s) +
           ",\"gpus\":4,\"job_id\":" + std::to_string(job) + ",\"kind\":\"step_end\",\"node\":\"" + node +
           "\",\"record_id\":\"" + id + "\",\"schema\":\"aifactory.acct/1\",\"site\":\"" + site +
           "\",\"start_time\":\"" + start + "\",\"state\":\"COMPLETED\",\"step_id\":\"" + step_id + "\"" + extra + "}";
}

std::string uuid(int n) {
    char b[40];
    std::snprintf(b, sizeof b, "00000000-0000-5000-8000-%012d", n);  // a valid UUIDv5 shape
    return b;
}

std::string failed(std::string rec) {
    rec.replace(rec.find("COMPLETED"), 9, "FAILED");
    return rec;
}

// The store under test: SQLite in `dir`, or PostgreSQL when AIF_TEST_PG holds a conninfo
// (tests/integration/collector_postgres.sh runs this program against a real server).
std::unique_ptr<Store> reopen_store(const std::string& dir) {
    const char* pg = std::getenv("AIF_TEST_PG");
    return pg && *pg ? open_postgres(pg) : open_sqlite(dir + "/c.db");
}
std::unique_ptr<Store> fresh_store(const std::string& dir) {
    const char* pg = std::getenv("AIF_TEST_PG");
    if (pg && *pg) {
        std::string cmd = std::string("psql -q -d '") + pg + "' -c 'DROP TABLE IF EXISTS records, jobs' >/dev/null";
        ck_assert_int_eq(std::system(cmd.c_str()), 0);
    }
    return reopen_store(dir);
}

std::string tmpdir() {
    char t[] = "/tmp/test_collect.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(t));
    return t;
}

}  // namespace

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
    json::Ptr rep = build_job_report(s->job_records({"siteA", "c1", 1}), "siteA", "c1", 1);
    ck_assert_double_eq_tol(json_real_value(json_object_get(rep.get(), "gpu_seconds")), 2400, 1e-6);
    ck_assert_int_eq(json_array_size(json_object_get(rep.get(), "steps")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(rep.get(), "outcome"), "state")), "COMPLETED");
    ck_assert_int_eq(json_array_size(json_object_get(rep.get(), "node_list")), 2);
    s.reset();
    std::system(("rm -rf " + d).c_str());
}
END_TEST

START_TEST(report_merges_prediction_observation_and_failures) {
    std::vector<std::string> b{
        step(uuid(30), "0", "n1", 9, 600, "2026-08-20T08:00:00Z", "2026-08-20T08:02:30Z",
             ",\"prediction\":{\"verdict\":\"fits;gib_per_gpu=41.3;capacity_gib=80;dominant=weights\"},"
             "\"observed\":{\"gpu_mem_peak_bytes\":32212254720},\"binding\":{\"rank0\":\"gpu0\"}"),
        failed(step(uuid(31), "0", "n2", 9, 600, "2026-08-20T08:00:00Z", "2026-08-20T08:02:30Z")),
        step(uuid(32), "0", "n3", 10, 600),  // another job: ignored
    };
    json::Ptr rep = build_job_report(b, "siteA", "c1", 9);
    const json_t* r = rep.get();
    ck_assert_int_eq(json_integer_value(json_object_get(r, "records")), 2);
    const json_t* p = json_object_get(r, "prediction");
    ck_assert_double_eq_tol(json_real_value(json_object_get(p, "gib_per_gpu")), 41.3, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(p, "capacity_gib")), 80, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(p, "verdict")), "fits");
    ck_assert_double_eq_tol(json_real_value(json_object_get(json_object_get(r, "observed"), "gpu_mem_peak_gib")), 30, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "outcome"), "state")), "FAILED");
    ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(json_object_get(r, "steps"), 0), "elapsed_s")), 150, 1e-9);
    std::string text = render_text(r);
    ck_assert(text.find("41.3 GiB per GPU of 80.0 GiB") != std::string::npos);
    ck_assert(text.find("FAILED") != std::string::npos);
    for (std::size_t a = 0, e; a < text.size(); a = e + 1) {
        e = text.find('\n', a);
        ck_assert_msg(e - a <= 80, "line over 80 columns: %s", text.substr(a, e - a).c_str());
    }
    std::string html = job_page(r);
    ck_assert(html.find("id=\"gpu-hours\">0.3333<") != std::string::npos);
    ck_assert(html.find("<script") == std::string::npos);
    ck_assert(html.find("<svg id=\"memory-chart\"") != std::string::npos);
    // Nothing found: zero records, and the text says so.
    json::Ptr none = build_job_report(b, "siteA", "c1", 77);
    ck_assert_int_eq(json_integer_value(json_object_get(none.get(), "records")), 0);
}
END_TEST

START_TEST(html_escapes_record_text) {
    std::string e = html_escape("<b a=\"1\">&'");
    ck_assert_str_eq(e.c_str(), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
    json::Ptr rep = build_job_report(
        {step(uuid(40), "0", "<img src=x onerror=alert(1)>", 3, 1, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
              ",\"account\":\"</td><script>x</script>\"")},
        "siteA", "c1", 3);
    std::string html = job_page(rep.get());
    ck_assert(html.find("<script>") == std::string::npos);
    ck_assert(html.find("<img") == std::string::npos);
    ck_assert(html.find("&lt;img src=x") != std::string::npos);
}
END_TEST

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

// Issue 11 item 10: `aifactory report` printed record text to the terminal raw.
START_TEST(report_text_has_no_control_characters) {
    json::Ptr rep = build_job_report(
        {step(uuid(80), "0", "n1\\u001b]0;pwned\\u0007", 3, 1, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
              ",\"account\":\"acct\\u001b[2J\\r\\u009b31m\\u007f\"")},
        "siteA", "c1", 3);
    std::string text = render_text(rep.get());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        ck_assert_msg(c >= 0x20 || c == '\n', "control byte 0x%02x at %zu in: %s", c, i, text.c_str());
        ck_assert_msg(c != 0x7f, "DEL in the report");
        ck_assert_msg(!(c == 0xC2 && i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xE0) == 0x80),
                      "C1 control in the report");
    }
    ck_assert_msg(text.find("acct?[2J") != std::string::npos, "%s", text.c_str());
    ck_assert_str_eq(terminal_safe("a\tb\nc\xc2\x9b\xc3\xa9").c_str(), "a?b\nc?\xc3\xa9");
}
END_TEST

int main() {
    Suite* s = suite_create("collect");
    TCase* t = tcase_create("collect");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, valid_record_is_reduced_to_columns);
    tcase_add_test(t, invalid_records_name_the_field);
    tcase_add_test(t, times_parse_as_utc);
    tcase_add_test(t, tokens_file_rules);
    tcase_add_test(t, store_keeps_the_highest_version_once);
    tcase_add_test(t, gpu_hours_count_srun_steps_not_the_batch_step);
    tcase_add_test(t, report_merges_prediction_observation_and_failures);
    tcase_add_test(t, html_escapes_record_text);
    tcase_add_test(t, ingest_status_codes);
    tcase_add_test(t, impossible_usage_is_refused_with_the_reason);
    tcase_add_test(t, hostile_bodies_are_refused_before_parsing);
    tcase_add_test(t, storage_errors_stay_in_the_log);
    tcase_add_test(t, report_text_has_no_control_characters);
    suite_add_tcase(s, t);
    return run_suite(s);
}

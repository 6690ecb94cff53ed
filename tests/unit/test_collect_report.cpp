// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/collect's job report: the merge of prediction, observation and failures,
// HTML escaping, no control characters in the text.
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
#include "collect/html.hpp"
#include "collect/job_report.hpp"
#include "collect/ledger.hpp"
#include "collect/validate.hpp"
#include "common/error.hpp"
#include "common/json.hpp"

using namespace aif;
using namespace aif::collect;

START_TEST(report_merges_prediction_observation_and_failures) {
    std::vector<std::string> b{
        step(uuid(30), "0", "n1", 9, 600, "2026-08-20T08:00:00Z", "2026-08-20T08:02:30Z",
             ",\"prediction\":{\"verdict\":\"fits;gib_per_gpu=41.3;capacity_gib=80;dominant=weights\"},"
             "\"observed\":{\"gpu_mem_peak_bytes\":32212254720},\"binding\":{\"rank0\":\"gpu0\"}"),
        failed(step(uuid(31), "0", "n2", 9, 600, "2026-08-20T08:00:00Z", "2026-08-20T08:02:30Z")),
        step(uuid(32), "0", "n3", 10, 600),  // another job: ignored
    };
    JobReport report = build_job_report(b, "siteA", "c1", 9);
    json::Ptr rep = to_json(report);
    const json_t* r = rep.get();
    ck_assert_int_eq(json_integer_value(json_object_get(r, "records")), 2);
    const json_t* p = json_object_get(r, "prediction");
    ck_assert_double_eq_tol(json_real_value(json_object_get(p, "gib_per_gpu")), 41.3, 1e-9);
    ck_assert_double_eq_tol(json_real_value(json_object_get(p, "capacity_gib")), 80, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(p, "verdict")), "fits");
    ck_assert_double_eq_tol(json_real_value(json_object_get(json_object_get(r, "observed"), "gpu_mem_peak_gib")), 30, 1e-9);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "outcome"), "state")), "FAILED");
    ck_assert_double_eq_tol(json_real_value(json_object_get(json_array_get(json_object_get(r, "steps"), 0), "elapsed_s")), 150, 1e-9);
    std::string text = render_text(report);
    ck_assert(text.find("41.3 GiB per GPU of 80.0 GiB") != std::string::npos);
    ck_assert(text.find("FAILED") != std::string::npos);
    for (std::size_t a = 0, e; a < text.size(); a = e + 1) {
        e = text.find('\n', a);
        ck_assert_msg(e - a <= 80, "line over 80 columns: %s", text.substr(a, e - a).c_str());
    }
    std::string html = job_page(report);
    ck_assert(html.find("id=\"gpu-hours\">0.3333<") != std::string::npos);
    ck_assert(html.find("<script") == std::string::npos);
    ck_assert(html.find("<svg id=\"memory-chart\"") != std::string::npos);
    // Nothing found: zero records, and the text says so.
    json::Ptr none = to_json(build_job_report(b, "siteA", "c1", 77));
    ck_assert_int_eq(json_integer_value(json_object_get(none.get(), "records")), 0);
}
END_TEST

START_TEST(html_escapes_record_text) {
    std::string e = html_escape("<b a=\"1\">&'");
    ck_assert_str_eq(e.c_str(), "&lt;b a=&quot;1&quot;&gt;&amp;&#39;");
    JobReport rep = build_job_report(
        {step(uuid(40), "0", "<img src=x onerror=alert(1)>", 3, 1, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
              ",\"account\":\"</td><script>x</script>\"")},
        "siteA", "c1", 3);
    std::string html = job_page(rep);
    ck_assert(html.find("<script>") == std::string::npos);
    ck_assert(html.find("<img") == std::string::npos);
    ck_assert(html.find("&lt;img src=x") != std::string::npos);
}
END_TEST

// Issue 11 item 10: `aifactory report` printed record text to the terminal raw.
START_TEST(report_text_has_no_control_characters) {
    JobReport rep = build_job_report(
        {step(uuid(80), "0", "n1\\u001b]0;pwned\\u0007", 3, 1, "2026-08-20T08:00:00Z", "2026-08-20T08:10:00Z",
              ",\"account\":\"acct\\u001b[2J\\r\\u009b31m\\u007f\"")},
        "siteA", "c1", 3);
    std::string text = render_text(rep);
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

// `aifactory report` renders a collector's JSON reply: reading the JSON form back gives the same
// report (same JSON, same text, same page) as the one built from the records.
START_TEST(report_json_reads_back_the_same) {
    std::vector<std::string> b{
        step(uuid(50), "0", "n1", 9, 600, "2026-08-20T08:00:00Z", "2026-08-20T08:02:30Z",
             ",\"prediction\":{\"verdict\":\"fits\",\"gib_per_gpu\":41.3,\"capacity_gib\":80,\"mem_weights_gib\":20},"
             "\"observed\":{\"gpu_mem_peak_bytes\":32212254720},\"binding\":{\"rank0\":\"gpu0\"},"
             "\"training\":{\"model\":\"llama\",\"seq\":4096},\"nodes\":2,\"account\":\"a1\""),
        failed(step(uuid(51), "batch", "n2", 9, 600, "2026-08-20T07:59:00Z", "2026-08-20T08:03:00Z")),
    };
    JobReport report = build_job_report(b, "siteA", "c1", 9);
    json::Ptr first = to_json(report);
    JobReport back = job_report_from_json(first.get());
    ck_assert_str_eq(json::dump(to_json(back).get(), true).c_str(), json::dump(first.get(), true).c_str());
    ck_assert_str_eq(render_text(back).c_str(), render_text(report).c_str());
    ck_assert_str_eq(job_page(back).c_str(), job_page(report).c_str());
    ck_assert(render_text(report).find("Asked:        model=llama, seq=4096") != std::string::npos);
}
END_TEST

START_TEST(report_charges_allocation_and_links_the_decision) {
    const std::string did = uuid(44);
    auto v2 = [](std::string r) { return r.replace(r.find("acct/1"), 6, "acct/2"); };
    // One node, 4 GPUs: the batch step spans the job (100 s); one srun step of 60 s uses them.
    std::string pred = ",\"prediction\":{\"decision_id\":\"" + did + "\",\"gib_hi\":44.0,\"gib_lo\":36.0,\"gib_per_gpu\":40.0,\"verdict\":\"fits\"},"
                       "\"prediction_origin\":\"job_submit\"";
    std::vector<std::string> b{
        v2(step(uuid(40), "batch", "n1", 12, 400, "2026-08-20T08:00:00Z", "2026-08-20T08:01:40Z",
                ",\"cpus\":8,\"cpu_seconds\":80,\"elapsed_s\":100,\"mem_alloc_bytes\":1073741824,"
                "\"observed\":{\"max_rss_bytes\":268435456}" + pred)),
        v2(step(uuid(41), "0", "n1", 12, 240, "2026-08-20T08:00:20Z", "2026-08-20T08:01:20Z",
                ",\"cpus\":8,\"cpu_seconds\":160,\"elapsed_s\":60,\"observed\":{\"gpu_energy_j\":720000,"
                "\"gpu_mem_peak_bytes\":32212254720,\"gpu_timeline\":{\"gpu_mem_max_bytes\":[10737418240,32212254720,null],"
                "\"gpu_util_mean_pct\":[50.0,100.0,null],\"t_s\":[0.0,20.0,40.0]},\"gpu_util_mean_pct\":75}" + pred)),
        // The decision: no job id, found by the id the signed prediction names.
        "{\"cluster\":\"c1\",\"component\":\"decision/1\",\"created\":\"2026-08-20T07:59:00Z\",\"decision\":\"warned\","
        "\"kind\":\"submit_decision\",\"reason\":\"tight fit\",\"record_id\":\"" + did +
        "\",\"schema\":\"aifactory.acct/2\",\"site\":\"siteA\",\"submit_time\":\"2026-08-20T07:59:00Z\",\"time_limit_s\":600}",
    };
    for (const auto& body : b) check_record(body);  // what the collector would store
    JobReport r = build_job_report(b, "siteA", "c1", 12);
    ck_assert(r.submission.has_value());
    ck_assert_str_eq(r.submission->decision->c_str(), "warned");
    ck_assert_str_eq(r.submission->record_id->c_str(), did.c_str());
    ck_assert_int_eq(*r.usage.gpus_allocated, 4);
    ck_assert_double_eq_tol(*r.usage.gpu_hours_charged, 4 * 100 / 3600.0, 1e-4);
    ck_assert_double_eq_tol(r.gpu_hours, 240 / 3600.0, 1e-4);  // used: the srun step
    ck_assert_int_eq(*r.usage.queue_wait_s, 60);
    ck_assert_int_eq(*r.usage.time_limit_s, 600);
    ck_assert_double_eq_tol(*r.usage.cpu_efficiency_pct, 100.0 * 240 / 800, 0.05);
    ck_assert_double_eq_tol(*r.usage.mem_efficiency_pct, 25.0, 0.05);
    ck_assert_double_eq_tol(*r.usage.gpu_util_mean_pct, 75, 1e-9);
    ck_assert_double_eq_tol(*r.usage.gpu_energy_kwh, 0.2, 1e-9);
    ck_assert(!r.usage.node_energy_kwh);  // not measured: n/a, never 0
    ck_assert_double_eq_tol(*r.usage.gpu_mem_measured_over_predicted, 0.75, 1e-3);
    ck_assert_str_eq(r.usage.gpu_mem_vs_band->c_str(), "below");  // 30 GiB measured, band 36 to 44
    std::string text = render_text(r);
    ck_assert_msg(text.find("Submission:   warned: tight fit") != std::string::npos, "%s", text.c_str());
    ck_assert_msg(text.find("0.1111 (4 GPUs allocated x 100.0 s)") != std::string::npos, "%s", text.c_str());
    ck_assert_msg(text.find("GPU energy 0.200 kWh, node energy n/a") != std::string::npos, "%s", text.c_str());
    ck_assert_msg(text.find("band 36.0 GiB to 44.0 GiB") != std::string::npos && text.find("below the band") != std::string::npos,
                  "%s", text.c_str());
    // The JSON form reads back the same, with null for what is not known.
    json::Ptr j = to_json(r);
    ck_assert(json_is_null(json_object_get(json_object_get(j.get(), "usage"), "node_energy_kwh")));
    ck_assert_str_eq(json::dump(to_json(job_report_from_json(j.get())).get()).c_str(), json::dump(j.get()).c_str());
    std::string page = job_page(r);
    ck_assert(page.find("id=\"gpu-hours-charged\">0.1111<") != std::string::npos);
    ck_assert(page.find("id=\"node-energy\">n/a<") != std::string::npos);
    // The GPU timeline: per step, text sparklines and an SVG with memory, utilisation and the band.
    ck_assert_uint_eq(r.steps[1].gpu_timeline.size(), 3);
    ck_assert_msg(text.find("step 0 on n1, 3 points over 40.0 s:") != std::string::npos, "%s", text.c_str());
    ck_assert_msg(text.find("memory \u2583\u2588. max 30.0 GiB") != std::string::npos, "%s", text.c_str());
    ck_assert_msg(text.find("util   \u2585\u2588. of 100 %") != std::string::npos, "%s", text.c_str());
    ck_assert(page.find("<svg class=\"gpu-timeline\" id=\"gpu-timeline-0\"") != std::string::npos);
    ck_assert(page.find("class=\"pred-band\"") != std::string::npos && page.find("class=\"util-line\"") != std::string::npos);
    ck_assert(page.find("<path class=\"band\"") != std::string::npos);  // the band on the memory chart too
    ck_assert(page.find("<script") == std::string::npos);
    const json_t* tl = json_object_get(json_array_get(json_object_get(j.get(), "steps"), 1), "gpu_timeline");
    ck_assert_uint_eq(json_array_size(json_object_get(tl, "gpu_mem_max_bytes")), 3);
    // A user-declared prediction does not link: it may name any decision.
    std::vector<std::string> forged = b;
    for (int i = 0; i < 2; ++i) forged[i].replace(forged[i].find("job_submit"), 10, "user-declared");
    ck_assert(!build_job_report(forged, "siteA", "c1", 12).submission);
    // Without the decision record: not recorded, and no queue wait.
    b.pop_back();
    JobReport alone = build_job_report(b, "siteA", "c1", 12);
    ck_assert(!alone.submission && !alone.usage.queue_wait_s);
    ck_assert_str_eq(decision_to_link(alone).c_str(), did.c_str());
    ck_assert(render_text(alone).find("Submission:   not recorded") != std::string::npos);
}
END_TEST

// A job of the ledger test: `origin` job_submit unless forged; end time orders the jobs.
JobReport run_job(long long id, const std::string& run, const std::string& end, double gpu_seconds,
                  const std::string& origin = "job_submit") {
    JobReport r;
    r.site = "siteA", r.cluster = "c1", r.job_id = id, r.records = 2, r.partition = "p1", r.account = "acct";
    r.prediction = record::Prediction();
    r.prediction->run = run;
    r.prediction->gpus = 4;
    r.prediction->tokens_per_s = 1000;
    r.prediction->flops_per_token = 1e9;
    r.prediction_origin = origin;
    r.gpu_seconds = gpu_seconds;
    r.outcome.end_time = end;
    return r;
}

START_TEST(ledger_sums_with_basis_and_marks_the_crossing) {
    std::vector<JobReport> jobs;
    jobs.push_back(run_job(3, "r1", "2026-08-20T03:00:00Z", 7200));  // energy from TDP x utilisation
    jobs.back().prediction->tdp_w = 400;
    jobs.back().usage.gpu_util_mean_pct = 50;
    jobs.push_back(run_job(1, "r1", "2026-08-20T01:00:00Z", 3600));  // measured energy
    JobStep st;
    st.step_id = "0", st.gpu_energy_j = 1000, st.tokens_reported = 5;
    jobs.back().steps.push_back(st);
    jobs.push_back(run_job(2, "r1", "2026-08-20T02:00:00Z", 0));     // no GPU time: declared tokens
    jobs.back().prediction->tokens = 1e6;
    jobs.push_back(run_job(4, "r2", "2026-08-20T02:30:00Z", 3600));  // another run
    jobs.push_back(run_job(5, "r1", "2026-08-20T02:40:00Z", 3600, "user-declared"));  // not signed
    LedgerConfig cfg;
    cfg.thresholds = {1e30, 1e15};
    const RunLedger l = build_run_ledger("r1", jobs, cfg);
    ck_assert_int_eq(l.jobs.size(), 3);
    ck_assert_int_eq(l.jobs[0].job_id, 1);  // by end time
    ck_assert_double_eq_tol(l.jobs[0].flops, 3600 * 1000 * 1e9 / 4, 1);
    ck_assert_str_eq(l.jobs[0].flops_basis.c_str(), kBasisGpuTime);
    ck_assert(l.jobs[0].tokens_basis == kBasisTokensReported && *l.jobs[0].tokens == 5);
    ck_assert_str_eq(l.jobs[1].flops_basis.c_str(), kBasisTokens);
    ck_assert_double_eq_tol(l.jobs[1].flops, 1e15, 1);
    ck_assert(!l.jobs[1].energy_j);  // no TDP, nothing measured: unknown, not 0
    ck_assert_str_eq(l.jobs[2].energy_basis.c_str(), kEnergyTdpUtil);
    ck_assert_double_eq_tol(*l.jobs[2].energy_j, 7200 * 400 * 0.5, 1e-9);
    ck_assert_double_eq_tol(l.energy_j, 1000 + 7200 * 400 * 0.5, 1e-9);
    ck_assert_double_eq_tol(l.flops, 9e14 + 1e15 + 1.8e15, 1);
    ck_assert_double_eq_tol(l.gpu_hours_used, 3.0, 1e-12);
    ck_assert(l.jobs_energy_measured == 1 && l.jobs_energy_estimated == 1 && l.jobs_no_energy == 1);
    // 1e15 is reached by job 2 (9e14 + 1e15), in threshold order whatever the configuration's.
    ck_assert_int_eq(l.crossed.size(), 1);
    ck_assert(l.crossed[0].first == 1e15 && l.jobs[l.crossed[0].second].job_id == 2);
    const std::string page = ledger_page(l), csv = ledger_csv(l), text = ledger_text(l);
    ck_assert(page.find("class=\"crossing\"") != std::string::npos);
    ck_assert(text.find("threshold 1e+15 FLOP: crossed by job siteA/2") != std::string::npos);
    ck_assert(csv.find("r1,total,") != std::string::npos);
    const std::string summary = run_summary_file({l}, l.thresholds, "2026-08-20T04:00:00Z");
    ck_assert(summary.rfind("aifactory.runs/1\n", 0) == 0 && summary.find("\nrun r1 3700000000000000\n") != std::string::npos);
}
END_TEST

int main() {
    Suite* s = suite_create("collect_report");
    TCase* tc = tcase_create("collect_report");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, report_merges_prediction_observation_and_failures);
    tcase_add_test(tc, html_escapes_record_text);
    tcase_add_test(tc, report_text_has_no_control_characters);
    tcase_add_test(tc, report_json_reads_back_the_same);
    tcase_add_test(tc, report_charges_allocation_and_links_the_decision);
    tcase_add_test(tc, ledger_sums_with_basis_and_marks_the_crossing);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

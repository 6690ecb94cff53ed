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

int main() {
    Suite* s = suite_create("collect_report");
    TCase* tc = tcase_create("collect_report");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, report_merges_prediction_observation_and_failures);
    tcase_add_test(tc, html_escapes_record_text);
    tcase_add_test(tc, report_text_has_no_control_characters);
    tcase_add_test(tc, report_json_reads_back_the_same);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

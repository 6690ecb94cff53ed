// SPDX-License-Identifier: GPL-2.0-or-later
// lib/record: the typed prediction's wire and JSON forms, and the shared schema rules.
#include <string>

#include "common/error.hpp"
#include "common/json.hpp"
#include "record/prediction.hpp"
#include "record/record.hpp"
#include "record/schema.hpp"

#include <check.h>  // last: its fail() macro clashes with <iostream>

#include "check_main.hpp"

using aif::record::Prediction;

namespace {

// What job_submit has always signed for this estimate (key order and precision fixed).
const char* const kKnown =
    "verdict=fits;gib_per_gpu=41.30;capacity_gib=60.20;dominant=activations;gpus=8;layout=tp:2/pp:1/dp:4;"
    "tokens_per_s=1235;mem_weights_gib=3.74;mem_gradients_gib=1.87;mem_optimizer_gib=7.48;"
    "mem_activations_gib=20.10;mem_logits_gib=4.00;mem_overhead_gib=4.11;train_hours=2.50;gpu_hours=20.0";

Prediction known() {
    Prediction p;
    p.verdict = "fits";
    p.gib_per_gpu = 41.3;
    p.capacity_gib = 60.2;
    p.dominant = "activations";
    p.gpus = 8;
    p.layout = "tp:2/pp:1/dp:4";
    p.tokens_per_s = 1234.6;
    p.components = {{"weights", 3.74}, {"gradients", 1.87}, {"optimizer", 7.48},
                    {"activations", 20.1}, {"logits", 4.0}, {"overhead", 4.111}};
    p.train_hours = 2.5;
    p.gpu_hours = 20.0;
    return p;
}

std::string dump(const aif::json::Ptr& j) {
    char* t = json_dumps(j.get(), JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    std::string s = t ? t : "";
    free(t);
    return s;
}

}  // namespace

START_TEST(encodes_a_known_estimate_exactly) {
    ck_assert_str_eq(known().encode(), kKnown);
    Prediction no_time = known();
    no_time.train_hours.reset();
    no_time.gpu_hours.reset();
    ck_assert_str_eq(no_time.encode(), std::string(kKnown).substr(0, std::string(kKnown).find(";train_hours")));
}
END_TEST

START_TEST(round_trips) {
    Prediction p = Prediction::decode(kKnown);
    ck_assert_str_eq(p.encode(), kKnown);
    ck_assert_str_eq(p.verdict, "fits");
    ck_assert_double_eq_tol(*p.gib_per_gpu, 41.3, 1e-9);
    ck_assert_int_eq(*p.gpus, 8);
    ck_assert_uint_eq(p.components.size(), 6);
    ck_assert_str_eq(p.components[3].first, "activations");
    ck_assert(p.extra.empty() && p.sig.empty());
    // Through the record's JSON object and back.
    Prediction q = Prediction::from_json(p.to_json().get());
    ck_assert_str_eq(q.encode(), kKnown);
    // The JSON members: numbers as numbers, the GPU and token counts as integers.
    const std::string j = dump(p.to_json());
    ck_assert_msg(j.find("\"gib_per_gpu\":41.3,") != std::string::npos, "%s", j.c_str());
    ck_assert_msg(j.find("\"gpus\":8,") != std::string::npos, "%s", j.c_str());
    ck_assert_msg(j.find("\"tokens_per_s\":1235,") != std::string::npos, "%s", j.c_str());
    ck_assert_msg(j.find("\"mem_logits_gib\":4.0,") != std::string::npos, "%s", j.c_str());
}
END_TEST

START_TEST(keeps_unknown_keys_and_the_signature_aside) {
    Prediction p = Prediction::decode("verdict=tight;future_key=x=1,2;mem_gib=93.4;sig=abc");
    ck_assert_str_eq(p.verdict, "tight");
    ck_assert_str_eq(p.sig, "abc");
    ck_assert_uint_eq(p.extra.size(), 2);
    ck_assert_str_eq(p.extra[0].first, "future_key");
    ck_assert_str_eq(p.extra[0].second, "x=1,2");
    ck_assert_str_eq(p.encode(), "verdict=tight;future_key=x=1,2;mem_gib=93.4");  // never the signature
    ck_assert_str_eq(dump(p.to_json()), "{\"future_key\":\"x=1,2\",\"mem_gib\":93.4,\"verdict\":\"tight\"}");
    auto [body, sig] = aif::record::split_signature("verdict=fits;gib_per_gpu=1;sig=00ff");
    ck_assert_str_eq(body, "verdict=fits;gib_per_gpu=1");
    ck_assert_str_eq(sig, "00ff");
    ck_assert_str_eq(aif::record::split_signature("verdict=fits").second, "");
}
END_TEST

// The band (gib_lo, gib_hi) travels after capacity_gib; records without it (and older verdict
// words such as "tight") still decode, and a bad band value is refused like any known number.
START_TEST(carries_the_band_and_reads_records_without_it) {
    const char* banded = "verdict=may-not-fit;gib_per_gpu=60.80;capacity_gib=60.20;gib_lo=59.10;gib_hi=65.50;gpus=4";
    Prediction p = Prediction::decode(banded);
    ck_assert_double_eq_tol(*p.gib_lo, 59.1, 1e-9);
    ck_assert_double_eq_tol(*p.gib_hi, 65.5, 1e-9);
    ck_assert(p.extra.empty());
    ck_assert_str_eq(p.encode(), banded);
    ck_assert_str_eq(Prediction::from_json(p.to_json().get()).encode(), banded);
    Prediction old = Prediction::decode("verdict=tight;gib_per_gpu=55.00;capacity_gib=60.20");
    ck_assert_str_eq(old.verdict, "tight");
    ck_assert(!old.gib_lo && !old.gib_hi);
    ck_assert_str_eq(old.encode(), "verdict=tight;gib_per_gpu=55.00;capacity_gib=60.20");
    ck_assert_input_error(Prediction::decode("verdict=fits;gib_lo=lots"), "gib_lo='lots' is not a number");
}
END_TEST

START_TEST(refuses_malformed_known_values) {
    ck_assert_input_error(Prediction::decode("verdict=fits;gib_per_gpu=abc"), "gib_per_gpu");
    ck_assert_input_error(Prediction::decode("gib_per_gpu=inf"), "gib_per_gpu");
    ck_assert_input_error(Prediction::decode("gib_per_gpu=0x10"), "gib_per_gpu");
    ck_assert_input_error(Prediction::decode("gpus=-1"), "gpus");
    ck_assert_input_error(Prediction::decode("gpus=2.5"), "gpus");
    ck_assert_input_error(Prediction::decode("mem_weights_gib=lots"), "mem_weights_gib");
    ck_assert_input_error(Prediction::decode("verdict=fits;oops"), "key=value");
    ck_assert_input_error(Prediction::decode("=3"), "no key");
    ck_assert(Prediction::decode("").empty());
}
END_TEST

START_TEST(reads_older_record_forms) {
    // One string holding the rest of the ';'-separated items (older producers).
    aif::json::Ptr legacy = aif::json::parse("{\"verdict\":\"fits;gib_per_gpu=41.3;gpus=4\",\"layout\":\"tp:4\"}", "t");
    Prediction p = Prediction::from_json(legacy.get());
    ck_assert_str_eq(p.verdict, "fits");
    ck_assert_double_eq_tol(*p.gib_per_gpu, 41.3, 1e-9);
    ck_assert_int_eq(*p.gpus, 4);
    ck_assert_str_eq(p.layout, "tp:4");
    // A member of its own wins over one inside a string; a "components" object is read too.
    aif::json::Ptr both = aif::json::parse(
        "{\"gib_per_gpu\":\"12\",\"verdict\":\"fits;gib_per_gpu=99\",\"components\":{\"weights\":15.0}}", "t");
    Prediction q = Prediction::from_json(both.get());
    ck_assert_double_eq_tol(*q.gib_per_gpu, 12, 1e-9);
    ck_assert_uint_eq(q.components.size(), 1);
    ck_assert(Prediction::from_json(nullptr).empty());
    // What it cannot read it leaves empty, never throws.
    aif::json::Ptr bad = aif::json::parse("{\"gib_per_gpu\":\"lots\",\"gpus\":[1]}", "t");
    Prediction r = Prediction::from_json(bad.get());
    ck_assert(!r.gib_per_gpu && !r.gpus);
}
END_TEST

START_TEST(schema_rules) {
    using namespace aif::record;
    ck_assert_str_eq(rfc3339_utc(1787213400), "2026-08-20T08:10:00Z");
    ck_assert_int_eq(*parse_rfc3339_utc(rfc3339_utc(1787213400)), 1787213400);
    ck_assert(!parse_rfc3339_utc("2026-08-20T08:10:00.5Z"));
    ck_assert(parse_kind("step_end") == Kind::StepEnd);
    ck_assert(!parse_kind("step"));
    ck_assert(is_decision("warned") && !is_decision("maybe"));
    ck_assert(is_pseudonym(pseudonym("key", "uid:1000")));
    ck_assert(!is_pseudonym("u-0123456789ABCDEF0123456789abcdef"));
    ck_assert(is_site_name("site-a.b_c") && !is_site_name("site a"));
    ck_assert(is_uuid_v5(uuid_v5(parse_uuid("3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f"), "c1/7/-/end")));
}
END_TEST

START_TEST(prediction_carries_the_decision_id) {
    const std::string id = "886313e1-3b8a-5372-9b90-0c9aee199e5d";
    Prediction p = known();
    p.decision_id = id;
    // Appended after the fields older versions signed: their wire form is unchanged.
    ck_assert_str_eq(p.encode().c_str(), (std::string(kKnown) + ";decision_id=" + id).c_str());
    ck_assert_str_eq(Prediction::decode(p.encode()).decision_id.c_str(), id.c_str());
    aif::json::Ptr j = p.to_json();
    ck_assert_str_eq(json_string_value(json_object_get(j.get(), "decision_id")), id.c_str());
    ck_assert_str_eq(Prediction::from_json(j.get()).decision_id.c_str(), id.c_str());
    // Old predictions (no decision_id) still decode, with none.
    ck_assert(Prediction::decode(kKnown).decision_id.empty());
    ck_assert_str_eq(Prediction::decode(kKnown).encode().c_str(), kKnown);
    // A decision id that is not a record id is refused by the strict decoder, dropped by the reader.
    ck_assert_input_error(Prediction::decode("verdict=fits;decision_id=../../x"), "decision_id");
    aif::json::Ptr bad = aif::json::parse("{\"verdict\":\"fits\",\"decision_id\":\"nope\"}", "t");
    ck_assert(Prediction::from_json(bad.get()).decision_id.empty());
    // The signature stays outside what is signed.
    auto [kv, sig] = aif::record::split_signature(p.encode() + ";sig=abc");
    ck_assert_str_eq(kv.c_str(), p.encode().c_str());
    ck_assert_str_eq(sig.c_str(), "abc");
}
END_TEST

START_TEST(schema_2_records_and_version_1_still_read) {
    using namespace aif::record;
    ck_assert_str_eq(kSchema, "aifactory.acct/2");
    ck_assert_int_eq(schema_version("aifactory.acct/2"), 2);
    ck_assert_int_eq(schema_version("aifactory.acct/1"), 1);
    ck_assert_int_eq(schema_version("aifactory.acct/3"), 0);
    Record r;
    r.site = "s";
    r.cluster = "c";
    r.component = "step/0/n1/1";
    r.job_id = 7;
    r.node = "n1";
    r.start_time = 1787212800;
    r.end_time = 1787212900;
    r.gpus = 2;
    r.gpu_seconds = 200.5;
    r.elapsed_s = 100.25;
    r.mem_alloc_bytes = 4ULL << 30;
    Built b = build(r, 1787213000);
    ck_assert(b.json.find("\"schema\":\"aifactory.acct/2\"") != std::string::npos);
    ck_assert(b.json.find("\"elapsed_s\":100.25") != std::string::npos);
    ck_assert(b.json.find("\"mem_alloc_bytes\":4294967296") != std::string::npos);
    ck_assert(b.json.find("time_limit_s") == std::string::npos);  // unknown: left out, never 0
    ck_assert_str_eq(validate(b.json).c_str(), b.id.c_str());
    // A decision with the time limit asked for; a limit of 0 is not a limit.
    Record d;
    d.kind = Kind::SubmitDecision;
    d.site = "s";
    d.cluster = "c";
    d.component = "decision/1";
    d.decision = "accepted";
    d.time_limit_s = 3600;
    ck_assert(build(d, 0).json.find("\"time_limit_s\":3600") != std::string::npos);
    d.time_limit_s = 0;
    ck_assert_input_error(build(d, 0), "time_limit_s");
    // Version 1 records (outboxes written before the upgrade) are still read back.
    std::string v1 = b.json;
    v1.replace(v1.find("acct/2"), 6, "acct/1");
    ck_assert_str_eq(validate(v1).c_str(), b.id.c_str());
    v1.replace(v1.find("acct/1"), 6, "acct/9");
    ck_assert_input_error(validate(v1), "schema");
}
END_TEST

Suite* record_suite() {
    Suite* s = suite_create("record");
    TCase* tc = tcase_create("prediction");
    tcase_add_test(tc, encodes_a_known_estimate_exactly);
    tcase_add_test(tc, round_trips);
    tcase_add_test(tc, keeps_unknown_keys_and_the_signature_aside);
    tcase_add_test(tc, carries_the_band_and_reads_records_without_it);
    tcase_add_test(tc, refuses_malformed_known_values);
    tcase_add_test(tc, reads_older_record_forms);
    tcase_add_test(tc, schema_rules);
    tcase_add_test(tc, prediction_carries_the_decision_id);
    tcase_add_test(tc, schema_2_records_and_version_1_still_read);
    suite_add_tcase(s, tc);
    return s;
}

int main() { return run_suite(record_suite()); }

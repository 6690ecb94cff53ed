// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/acct records: digests (RFC/FIPS vectors), UUIDv5, record building and
// keyed pseudonyms.
#include <cmath>
#include <cstring>
#include <string>

#include "record/hash.hpp"
#include "acct/hooks.hpp"
#include "record/record.hpp"
#include "common/error.hpp"

#include "acct_test_util.hpp"
#include "check_main.hpp"

using namespace aif;
using namespace aif::acct;
using namespace aif::record;
namespace hooks = aif::acct::hooks;

START_TEST(digests_match_published_vectors) {
    STR_EQ(to_hex(sha1("abc")).c_str(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    STR_EQ(to_hex(sha1("")).c_str(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    STR_EQ(to_hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).c_str(),
                     "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    STR_EQ(to_hex(sha256("abc")).c_str(),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    STR_EQ(to_hex(sha256("")).c_str(),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    STR_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).c_str(),
                     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // RFC 4231 test cases 1, 2 and 6 (key longer than a block).
    STR_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")).c_str(),
                     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    STR_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")).c_str(),
                     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    STR_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'),
                                        "Test Using Larger Than Block-Size Key - Hash Key First"))
                         .c_str(),
                     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    ck_assert_uint_eq(crc32("123456789"), 0xcbf43926u);
    ck_assert_uint_eq(crc32(""), 0u);
    ck_assert(constant_time_equal("token-a", "token-a"));
    ck_assert(constant_time_equal("", ""));
    ck_assert(!constant_time_equal("token-a", "token-b"));
    ck_assert(!constant_time_equal("token", "token-a"));
}
END_TEST

START_TEST(uuid_v5_matches_rfc4122) {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    Uuid dns = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    STR_EQ(uuid_v5(dns, "python.org").c_str(), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    ck_assert(!is_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c"));
    ck_assert(!is_uuid("6ba7b810x9dad-11d1-80b4-00c04fd430c8"));
    ck_assert(!is_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8 "));
    STR_EQ(format_uuid(parse_uuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8")).c_str(), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    // The schema's record_id: canonical lowercase, version 5, RFC 4122 variant.
    ck_assert(is_uuid_v5("886313e1-3b8a-5372-9b90-0c9aee199e5d"));
    ck_assert(!is_uuid_v5("886313E1-3B8A-5372-9B90-0C9AEE199E5D"));
    ck_assert(!is_uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8"));  // version 1
    ck_assert(!is_uuid_v5("886313e1-3b8a-5372-1b90-0c9aee199e5d"));  // NCS variant
    STR_EQ(rfc3339_utc(0).c_str(), "1970-01-01T00:00:00Z");
    STR_EQ(rfc3339_utc(1787212802).c_str(), "2026-08-20T08:00:02Z");
}
END_TEST

START_TEST(record_is_canonical_and_deterministic) {
    Record r = sample();
    Built a = build(r, 1787300000), b = build(r, 1787300000);
    STR_EQ(a.json.c_str(), b.json.c_str());
    STR_EQ(a.id.c_str(), b.id.c_str());
    STR_EQ(a.id.c_str(), uuid_v5(r.site_namespace, "alps/4123/-/step/0/node01").c_str());
    // Compact, sorted keys, UTC times, unknown fields absent (never 0).
    ck_assert(a.json.find("\"cluster\":\"alps\",\"component\"") != std::string::npos);
    ck_assert(a.json.find("\"start_time\":\"2026-08-20T08:00:02Z\"") != std::string::npos);
    ck_assert(a.json.find("\"gpu_seconds\":345621.5") != std::string::npos);
    ck_assert(a.json.find("cpu_seconds") == std::string::npos);
    ck_assert(a.json.find("observed") == std::string::npos);
    ck_assert(a.json.find("partition") == std::string::npos);
    ck_assert(a.json.find(" ") == std::string::npos);
    STR_EQ(validate(a.json).c_str(), a.id.c_str());
    // Another component, job or submit time gives another id.
    STR_NE(build(sample(4123, "end/node01"), 0).id.c_str(), a.id.c_str());
    STR_NE(build(sample(4124), 0).id.c_str(), a.id.c_str());
    Record s = sample();
    s.submit_time = 1787212000;
    STR_NE(build(s, 0).id.c_str(), a.id.c_str());
    // Observed values appear only when known; zero is a real observation.
    r.max_rss_bytes = 0;
    ck_assert(build(r, 0).json.find("\"observed\":{\"max_rss_bytes\":0}") != std::string::npos);
}
END_TEST

START_TEST(record_refuses_bad_input) {
    Record r = sample();
    r.user = "alice";  // a raw user name must never get in
    try {
        build(r, 0);
        ck_abort_msg("raw user name accepted");
    } catch (const InputError& e) {
        ck_assert(std::strstr(e.what(), "pseudonym"));
    }
    r = sample();
    r.partition = std::string("gpu\xff\xfe");  // not UTF-8: left out and said so, the record kept
    ck_assert(build(r, 0).json.find("\"truncated\":[\"partition\"]") != std::string::npos);
    ck_assert(build(r, 0).json.find("\"partition\":") == std::string::npos);
    r = sample();
    r.job_id.reset();
    ck_assert_int_eq([&] { try { build(r, 0); return 0; } catch (const InputError&) { return 1; } }(), 1);
    r = sample();
    r.kind = Kind::SubmitDecision;
    r.decision = "maybe";
    ck_assert_int_eq([&] { try { build(r, 0); return 0; } catch (const InputError&) { return 1; } }(), 1);
    r.decision = "rejected";
    r.reason = std::string(70000, 'x');  // over the size cap: cut, and the record kept
    ck_assert(build(r, 0).json.find("\"truncated\":[\"reason\"]") != std::string::npos);
    ck_assert_uint_lt(build(r, 0).json.size(), kMaxReasonBytes + 1024);
    r = sample();
    json::Ptr arr(json_array());
    r.training = arr.get();
    ck_assert_int_eq([&] { try { build(r, 0); return 0; } catch (const InputError&) { return 1; } }(), 1);
    // JSON-breaking text is escaped by jansson, so the record stays valid JSON.
    r = sample();
    r.reason = "\"}],\n{\\";
    r.kind = Kind::SubmitDecision;
    r.decision = "warned";
    STR_EQ(validate(build(r, 0).json).c_str(), build(r, 0).id.c_str());
}
END_TEST

// The GPU sampler's fields (issue 13) go into "observed", with the energy's basis beside it.
START_TEST(record_carries_measured_gpu_usage) {
    Record r = sample();
    r.gpu_mem_peak_bytes = 5368709120;
    r.gpu_util_mean_pct = 50;
    r.gpu_util_p95_pct = 100;
    r.gpu_energy_j = 360;
    r.gpu_energy_basis = "counter";
    r.gpu_samples = 4;
    r.gpu_sample_interval_s = 0.2;
    r.node_energy_j = 1234.5;
    const std::string json = build(r, 0).json, obs = json.substr(json.find("\"observed\""));
    STR_EQ(obs.substr(0, obs.find('}') + 1).c_str(),
           "\"observed\":{\"gpu_energy_basis\":\"counter\",\"gpu_energy_j\":360.0,\"gpu_mem_peak_bytes\":5368709120,"
           "\"gpu_sample_interval_s\":0.2,\"gpu_samples\":4,\"gpu_util_mean_pct\":50.0,\"gpu_util_p95_pct\":100.0,"
           "\"node_energy_j\":1234.5}");
    auto refused = [&](Record bad) { try { build(bad, 0); return false; } catch (const InputError&) { return true; } };
    Record bad = r;
    bad.gpu_energy_basis = "guess";
    ck_assert(refused(bad));
    bad = r;
    bad.gpu_energy_basis.reset();  // energy without saying how it was measured
    ck_assert(refused(bad));
    bad = r;
    bad.gpu_util_p95_pct = 101;
    ck_assert(refused(bad));
    bad = r;
    bad.node_energy_j = -1;
    ck_assert(refused(bad));
    // The timeline: columns, null where a round read nothing; bounded and ordered.
    r.gpu_timeline = {{0, 1073741824, 25.04}, {10, std::nullopt, std::nullopt}};
    const std::string with = build(r, 0).json;
    ck_assert(with.find("\"gpu_timeline\":{\"gpu_mem_max_bytes\":[1073741824,null],"
                        "\"gpu_util_mean_pct\":[25.0,null],\"t_s\":[0.0,10.0]}") != std::string::npos);
    bad = r;
    bad.gpu_timeline.assign(kMaxGpuTimelinePoints + 1, {});
    ck_assert(refused(bad));
    bad = r;
    bad.gpu_timeline = {{10, 1, 1}, {5, 1, 1}};
    ck_assert(refused(bad));
    bad = r;
    bad.gpu_timeline = {{0, 1, 100.5}};
    ck_assert(refused(bad));
}
END_TEST

START_TEST(pseudonyms_are_keyed) {
    std::string a = pseudonym("key-1", "alice");
    ck_assert_uint_eq(a.size(), 34);
    STR_EQ(a.c_str(), pseudonym("key-1", "alice").c_str());
    STR_NE(a.c_str(), pseudonym("key-2", "alice").c_str());
    STR_NE(a.c_str(), pseudonym("key-1", "bob").c_str());
    ck_assert(a.find("alice") == std::string::npos);
}
END_TEST

int main() {
    Suite* s = suite_create("acct_record");
    TCase* tc = tcase_create("acct_record");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, digests_match_published_vectors);
    tcase_add_test(tc, uuid_v5_matches_rfc4122);
    tcase_add_test(tc, record_is_canonical_and_deterministic);
    tcase_add_test(tc, record_refuses_bad_input);
    tcase_add_test(tc, record_carries_measured_gpu_usage);
    tcase_add_test(tc, pseudonyms_are_keyed);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

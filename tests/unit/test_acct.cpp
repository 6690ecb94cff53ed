// Unit tests for lib/acct: digests (RFC/FIPS vectors), UUIDv5, record building, the outbox's
// crash consistency and failure handling, the producer queue, and the sender's policies.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "acct/config.hpp"
#include "record/hash.hpp"
#include "acct/hooks.hpp"
#include "acct/outbox.hpp"
#include "common/files.hpp"
#include "acct/producer.hpp"
#include "record/record.hpp"
#include "acct/sender.hpp"
#include "common/error.hpp"

#include <check.h>  // last: its fail() macro clashes with <iostream>

#include "check_main.hpp"

using namespace aif;
using namespace aif::acct;
using namespace aif::record;
namespace hooks = aif::acct::hooks;

// Compare as std::string: Check's str macros keep pointers into destroyed temporaries.
#define STR_EQ(a, b) ck_assert_msg(std::string(a) == std::string(b), "'%s' != '%s'", std::string(a).c_str(), std::string(b).c_str())
#define STR_NE(a, b) ck_assert_msg(std::string(a) != std::string(b), "both are '%s'", std::string(a).c_str())

namespace {

std::string make_tmpdir() {
    char tmpl[] = "/tmp/test_acct.XXXXXX";
    char* d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return d;
}

void rm_rf(const std::string& d) {
    std::string cmd = "rm -rf '" + d + "'";
    ck_assert_int_eq(std::system(cmd.c_str()), 0);
}

std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void spit(const std::string& p, const std::string& text) {
    std::ofstream f(p, std::ios::trunc);
    f << text;
}

Record sample(std::uint32_t job = 4123, const char* component = "step/0/node01") {
    Record r;
    r.kind = Kind::StepEnd;
    r.site = "site-a";
    r.cluster = "alps";
    r.site_namespace = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    r.component = component;
    r.job_id = job;
    r.step_id = "0";
    r.node = "node01";
    r.start_time = 1787212802;  // 2026-08-20T08:00:02Z
    r.end_time = 1787299207;
    r.gpus = 4;
    r.gpu_seconds = 345621.5;
    r.state = "COMPLETED";
    r.exit_code = 0;
    return r;
}

}  // namespace

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

START_TEST(pseudonyms_are_keyed) {
    std::string a = pseudonym("key-1", "alice");
    ck_assert_uint_eq(a.size(), 34);
    STR_EQ(a.c_str(), pseudonym("key-1", "alice").c_str());
    STR_NE(a.c_str(), pseudonym("key-2", "alice").c_str());
    STR_NE(a.c_str(), pseudonym("key-1", "bob").c_str());
    ck_assert(a.find("alice") == std::string::npos);
}
END_TEST

START_TEST(outbox_write_is_framed_and_listed) {
    std::string d = make_tmpdir();
    Outbox ob(d);
    ck_assert(ob.ensure_layout());
    Built b = build(sample(), 0);
    ck_assert_int_eq(static_cast<int>(ob.write(b.id, b.json)), static_cast<int>(WriteResult::Ok));
    auto l = ob.list("new");
    ck_assert_uint_eq(l.size(), 1);
    STR_EQ(l[0].id.c_str(), b.id.c_str());
    ck_assert_uint_eq(ob.list("tmp").size(), 0);
    auto body = ob.load("new", l[0].name);
    ck_assert(body.has_value());
    STR_EQ(body->c_str(), b.json.c_str());
    ck_assert(ob.ack(l[0].name));
    ck_assert_uint_eq(ob.list("new").size(), 0);
    ck_assert_uint_eq(ob.list("sent").size(), 1);
    ck_assert_uint_eq(ob.prune_sent(3600), 0);  // retention counts from the ack
    ck_assert_uint_eq(ob.prune_sent(0), 1);
    ck_assert_uint_eq(ob.counters().written, 1);
    rm_rf(d);
}
END_TEST

START_TEST(outbox_quarantines_corrupt_and_torn_files) {
    std::string d = make_tmpdir();
    Outbox ob(d);
    ck_assert(ob.ensure_layout());
    Built b = build(sample(), 0);
    ck_assert(ob.write(b.id, b.json) == WriteResult::Ok);
    std::string name = ob.list("new")[0].name;
    // Flip one byte of the body: the checksum catches it.
    std::string file = slurp(d + "/new/" + name);
    file[file.size() - 5] ^= 0x20;
    spit(d + "/new/" + name, file);
    std::string why;
    ck_assert(!ob.load("new", name, &why).has_value());
    ck_assert(why.find("checksum") != std::string::npos);
    ck_assert_uint_eq(ob.list("new").size(), 0);
    ck_assert_uint_eq(ob.list("quarantine").size(), 1);
    ck_assert(ob.reason_of("quarantine", name).find("checksum") != std::string::npos);
    // Truncated file (torn write that reached new/ on a lying disk).
    ck_assert(ob.write(b.id, b.json) == WriteResult::Ok);
    name = ob.list("new")[0].name;
    ck_assert_int_eq(truncate((d + "/new/" + name).c_str(), 40), 0);
    ck_assert(!ob.load("new", name, &why).has_value());
    ck_assert(why.find("torn") != std::string::npos);
    // A crash mid-write leaves a partial tmp file; a crash between fsync and rename a whole one.
    std::string framed = Outbox::frame(b.json);
    spit(d + "/tmp/100-" + b.id + ".999.0.tmp", framed.substr(0, framed.size() / 2));
    spit(d + "/tmp/200-" + b.id + ".999.1.tmp", framed);
    spit(d + "/tmp/300-" + b.id + ".999.2.tmp", "");
    auto [rec0, q0] = ob.recover_tmp(3600);  // too young: a writer may still be busy
    ck_assert_int_eq(rec0 + q0, 0);
    auto [rec, q] = ob.recover_tmp(0);
    ck_assert_int_eq(rec, 1);
    ck_assert_int_eq(q, 2);
    ck_assert_uint_eq(ob.list("tmp").size(), 0);
    auto l = ob.list("new");
    ck_assert_uint_eq(l.size(), 1);
    STR_EQ(l[0].name.c_str(), ("200-" + b.id + ".rec").c_str());
    ck_assert(ob.load("new", l[0].name).has_value());
    // Operators can requeue: the quarantined copy goes back to new/ under a .rec name.
    auto quar = ob.list("quarantine");
    ck_assert_uint_eq(quar.size(), 4);
    ck_assert(ob.requeue("quarantine", quar[0].name));
    ck_assert_uint_eq(ob.list("quarantine").size(), 3);
    rm_rf(d);
}
END_TEST

START_TEST(outbox_bound_refuses_and_counts) {
    std::string d = make_tmpdir();
    OutboxLimits lim;
    lim.max_records = 3;
    lim.min_free_bytes = 0;
    int logs = 0;
    Outbox ob(d, lim, [&](const std::string&) { ++logs; });
    ck_assert(ob.ensure_layout());
    for (std::uint32_t i = 0; i < 3; ++i) {
        Built b = build(sample(100 + i), 0);
        ck_assert(ob.write(b.id, b.json) == WriteResult::Ok);
        ck_assert_int_eq(::unlink((d + "/usage").c_str()), 0);  // force a recount
    }
    for (std::uint32_t i = 0; i < 5; ++i) {
        Built b = build(sample(200 + i), 0);
        ck_assert(ob.write(b.id, b.json) == WriteResult::Full);
    }
    ck_assert_uint_eq(ob.counters().full, 5);
    ck_assert_uint_eq(ob.list("new").size(), 3);
    ck_assert_int_eq(logs, 2);  // one high-water alarm, one "bound reached"; then silence
    ck_assert(ob.above_high_water(ob.usage()));
    // Invalid input is refused without a throw.
    ck_assert(ob.write("not-a-uuid", "{}") == WriteResult::Invalid);
    rm_rf(d);
}
END_TEST

// A failed assertion ends the forked test at once; unmount the tmpfs on the way out anyway.
static char g_mounted[256];
static void unmount_at_exit() {
    if (g_mounted[0]) ::umount2(g_mounted, MNT_DETACH);
}

START_TEST(outbox_survives_full_and_read_only_disks) {
    std::string d = make_tmpdir();
    if (geteuid() != 0 || ::mount("tmpfs", d.c_str(), "tmpfs", 0, "size=16k") != 0) {
        std::fprintf(stderr, "note: not root or no tmpfs mount; ENOSPC/EROFS part skipped\n");
        rm_rf(d);
        return;
    }
    std::snprintf(g_mounted, sizeof g_mounted, "%s", d.c_str());
    std::atexit(unmount_at_exit);
    OutboxLimits lim;
    lim.min_free_bytes = 0;
    int logs = 0;
    Outbox ob(d, lim, [&](const std::string&) { ++logs; });
    ck_assert(ob.ensure_layout());
    int ok = 0, nospace = 0;
    for (std::uint32_t i = 0; i < 40; ++i) {
        Built b = build(sample(i), 0);
        WriteResult r = ob.write(b.id, b.json);
        ok += r == WriteResult::Ok;
        nospace += r == WriteResult::NoSpace;
    }
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(nospace, 0);
    ck_assert_uint_eq(ob.list("tmp").size(), 0);  // failed writes leave no debris
    ck_assert_uint_eq(ob.list("new").size(), static_cast<std::size_t>(ok));
    for (const auto& e : ob.list("new")) ck_assert(ob.load("new", e.name).has_value());
    for (const auto& e : ob.list("new")) ::unlink((d + "/new/" + e.name).c_str());  // room again
    ck_assert_int_eq(::mount(nullptr, d.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
    Built b = build(sample(999), 0);
    ck_assert(ob.write(b.id, b.json) == WriteResult::ReadOnly);
    ck_assert_uint_eq(ob.counters().read_only, 1);
    ck_assert_int_le(logs, 3);
    ck_assert_int_eq(::umount(d.c_str()), 0);
    g_mounted[0] = '\0';
    rm_rf(d);
}
END_TEST

START_TEST(producer_queue_writes_in_background) {
    std::string d = make_tmpdir();
    ProducerConfig cfg;
    cfg.site = "site-a";
    cfg.cluster = "alps";
    cfg.site_namespace = parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    cfg.user_key = "secret";
    cfg.outbox = d;
    cfg.limits.min_free_bytes = 0;
    {
        Producer p(cfg, {});
        std::set<std::string> ids;
        for (int i = 0; i < 50; ++i) {
            Record r;
            r.kind = Kind::SubmitDecision;
            r.component = p.decision_component();
            r.decision = "accepted";
            r.user = p.user_pseudonym("alice");
            ids.insert(p.enqueue(r));
        }
        ck_assert_uint_eq(ids.size(), 50);
        ck_assert(!ids.count(""));
        ck_assert(p.flush(std::chrono::seconds(10)));
        ck_assert_uint_eq(p.outbox().list("new").size(), 50);
        Record bad;  // no job id on a step record: not built, logged, no throw
        STR_EQ(p.write(bad).c_str(), "");
    }
    {
        Producer p(cfg, {}, 0);  // a queue that is always full drops and counts
        Record r;
        r.kind = Kind::SubmitDecision;
        r.component = p.decision_component();
        r.decision = "rejected";
        STR_EQ(p.enqueue(r).c_str(), "");
        ck_assert_uint_eq(p.dropped_queue_full(), 1);
    }
    rm_rf(d);
}
END_TEST

START_TEST(sender_policies) {
    ck_assert(classify(200) == Outcome::Ack);
    ck_assert(classify(201) == Outcome::Ack);
    ck_assert(classify(409) == Outcome::Ack);
    ck_assert(classify(400) == Outcome::Poison);
    ck_assert(classify(413) == Outcome::Poison);
    ck_assert(classify(422) == Outcome::Poison);
    ck_assert(classify(401) == Outcome::Auth);
    // 403: the token is good; pausing all delivery for it (as for 401) stalled whole sites.
    ck_assert(classify(403) == Outcome::Retry);
    ck_assert(classify(429) == Outcome::Retry);
    ck_assert(classify(503) == Outcome::Retry);
    ck_assert(classify(0) == Outcome::Retry);
    ck_assert(classify(302) == Outcome::Retry);
    ck_assert(classify(404) == Outcome::Retry);  // misconfiguration: keep the records
    ck_assert_double_eq(*parse_retry_after("120", 0), 120);
    ck_assert_double_eq(*parse_retry_after(" 7 ", 0), 7);
    ck_assert_double_eq(*parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40), 60);
    ck_assert(!parse_retry_after("soon", 0).has_value());
    ck_assert(!parse_retry_after("", 0).has_value());
    std::mt19937_64 rng(1);
    for (int f = 1; f < 30; ++f) {
        double d = backoff_delay(f, 1, 600, rng);
        double cap = std::min(600.0, std::pow(2.0, f - 1));
        ck_assert(d >= cap / 2 && d <= cap);
    }
}
END_TEST

START_TEST(sender_config_is_strict) {
    auto parse = [](const std::string& text) {
        return parse_sender_config(parse_key_values(text, "sender.conf", sender_config_keys()), "sender.conf");
    };
    auto err = [&](const std::string& text) -> std::string {
        try {
            parse(text);
        } catch (const InputError& e) {
            return e.what();
        }
        return "";
    };
    SenderConfig c = parse("url = https://acct.example.org/v1/records\ntoken_file=/etc/t\nbatch_records = 50\n");
    ck_assert_int_eq(c.batch_records, 50);
    STR_EQ(c.proxy, "");  // environment proxies are ignored unless configured
    ck_assert_int_eq(c.max_dead_in_a_row, 10);
    c = parse("url = https://a/\ntoken_file=/t\nproxy = http://proxy:3128\nmax_dead_in_a_row = 3\n");
    STR_EQ(c.proxy, "http://proxy:3128");
    ck_assert_int_eq(c.max_dead_in_a_row, 3);
    ck_assert(err("url = http://acct.example.org/\ntoken_file=/t\n").find("https://") != std::string::npos);
    ck_assert(err("url = https://u:p@acct.example.org/\ntoken_file=/t\n").find("credentials") != std::string::npos);
    ck_assert(err("url = https://a/\ntoken_file=/t\nbatch_record = 5\n").find("did you mean 'batch_records'") !=
              std::string::npos);
    ck_assert(err("url = https://a/\n").find("token_file") != std::string::npos);
    ck_assert(err("url = https://a/\ntoken_file=/t\nbatch_records = 0\n").find("batch_records") != std::string::npos);
    ck_assert(err("url = https://a/\nurl = https://b/\ntoken_file=/t\n").find("twice") != std::string::npos);
}
END_TEST

START_TEST(secret_files_must_be_private) {
    std::string d = make_tmpdir();
    std::string p = d + "/token";
    spit(p, "s3cr3t-token\n");
    ck_assert_int_eq(chmod(p.c_str(), 0644), 0);
    try {
        read_secret_file(p, "token_file");
        ck_abort_msg("world-readable token accepted");
    } catch (const InputError& e) {
        ck_assert(std::strstr(e.what(), "chmod 600"));
        ck_assert(!std::strstr(e.what(), "s3cr3t"));
    }
    ck_assert_int_eq(chmod(p.c_str(), 0600), 0);
    STR_EQ(read_secret_file(p, "token_file").c_str(), "s3cr3t-token");
    spit(p, "\n");
    ck_assert_int_eq([&] { try { read_secret_file(p, "t"); return 0; } catch (const InputError&) { return 1; } }(), 1);
    rm_rf(d);
}
END_TEST

// Issue 11 item 7: the sender (root) wrote its status and usage files through whatever sat at
// their fixed temporary names in the outbox, symlinks included.
START_TEST(sender_never_writes_through_planted_links) {
    std::string d = make_tmpdir();
    std::string victim = d + "/victim";
    spit(victim, "precious\n");
    std::string box = d + "/outbox";
    Outbox(box).ensure_layout();
    std::string pid = std::to_string(getpid());
    for (const std::string& name : {std::string("sender.status.tmp"), "sender.status.tmp." + pid, "usage.tmp." + pid,
                                    "dead/x.rec.reason.tmp." + pid})
        ck_assert_int_eq(symlink(victim.c_str(), (box + "/" + name).c_str()), 0);
    spit(d + "/token", "t0ken-t0ken-t0ken\n");
    ck_assert_int_eq(chmod((d + "/token").c_str(), 0600), 0);
    SenderConfig cfg;
    cfg.outbox = box;
    cfg.url = "https://127.0.0.1:9/v1/records";
    cfg.token_file = d + "/token";
    Sender sender(cfg, {});
    std::atomic<bool> stop{false};
    ck_assert_int_eq(sender.run(stop, true), 0);  // empty outbox: writes its status, then returns
    Outbox(box).publish_usage(Usage{3, 4});
    ck_assert(write_file_atomic(box + "/dead/x.rec.reason", "why\n", 0640));
    STR_EQ(slurp(victim), "precious\n");
    struct stat st {};
    ck_assert_int_eq(lstat((box + "/sender.status").c_str(), &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert(slurp(box + "/sender.status").find("\"state\"") != std::string::npos);
    STR_EQ(slurp(box + "/usage"), "3 4\n");
    STR_EQ(slurp(box + "/dead/x.rec.reason"), "why\n");
    // A sub-directory replaced by a symlink: the outbox is refused, the sender does not start.
    ck_assert_int_eq(rename((box + "/dead").c_str(), (d + "/elsewhere").c_str()), 0);
    ck_assert_int_eq(symlink((d + "/elsewhere").c_str(), (box + "/dead").c_str()), 0);
    ck_assert(!Outbox(box).ensure_layout());
    ck_assert_int_eq([&] { try { Sender s2(cfg, {}); return 0; } catch (const InputError&) { return 1; } }(), 1);
    rm_rf(d);
}
END_TEST

static int g_hook_logs = 0;

START_TEST(hooks_produce_every_kind) {
    std::string d = make_tmpdir();
    spit(d + "/key", "site-secret");
    ck_assert_int_eq(chmod((d + "/key").c_str(), 0600), 0);
    spit(d + "/acct.conf", "site = site-a\ncluster = alps\nsite_namespace = 6ba7b810-9dad-11d1-80b4-00c04fd430c8\n"
                           "user_key_file = " + d + "/key\noutbox = " + d + "/outbox\nmin_free_mb = 0\n");
    auto log = [](const char*) { ++g_hook_logs; };
    g_hook_logs = 0;
    ck_assert(!hooks::init((d + "/missing.conf").c_str(), log));  // off, said once, no throw
    ck_assert_int_eq(g_hook_logs, 1);
    ck_assert(!hooks::enabled());
    STR_EQ(hooks::submit_decision({}), "");
    ck_assert(hooks::init((d + "/acct.conf").c_str(), log));
    hooks::SubmitDecision sd;
    sd.decision = "rejected";
    sd.reason = "needs 93.4 GiB per GPU";
    sd.uid = 20001;
    sd.gpus = 16;
    sd.training_kv = "model=llama3.1-70b;layout=tp=4,pp=4;seq=8192";
    sd.prediction = aif::record::Prediction::decode("verdict=does-not-fit;mem_gib=93.4;layout=tp:4/pp:4;bad=inf");
    sd.prediction_trusted = true;  // job_submit's own prediction
    std::string id1 = hooks::submit_decision(sd);
    hooks::StepEnd se;
    se.job_id = 7;
    se.step_id = "0";
    se.node = "n1";
    se.start_time = 100;
    se.end_time = 110;
    se.elapsed_s = 10.5;
    se.gpus = 4;
    se.exit_code = 0;
    std::string id2 = hooks::step_end(se);
    hooks::JobEnd je;
    je.job_id = 7;
    je.node = "n1";
    je.end_time = 111;
    std::string id3 = hooks::job_end(je);
    hooks::fini();
    ck_assert(!id1.empty() && !id2.empty() && !id3.empty());
    Outbox ob(d + "/outbox");
    auto files = ob.list("new");
    ck_assert_uint_eq(files.size(), 3);
    std::string all;
    for (const auto& f : files) all += *ob.load("new", f.name) + "\n";
    ck_assert(all.find("\"gpu_seconds\":42") != std::string::npos);
    ck_assert(all.find("\"state\":\"COMPLETED\"") != std::string::npos);
    ck_assert(all.find("\"training\":{\"layout\":\"tp=4,pp=4\",\"model\":\"llama3.1-70b\",\"seq\":8192}") !=
              std::string::npos);
    ck_assert(all.find("\"prediction\":{\"bad\":\"inf\",\"layout\":\"tp:4/pp:4\",\"mem_gib\":93.4,"
                       "\"verdict\":\"does-not-fit\"}") != std::string::npos);
    // Lifted to the record: once inside "prediction", once at the top level.
    auto first = all.find("\"verdict\":\"does-not-fit\"");
    ck_assert(first != std::string::npos && all.find("\"verdict\":\"does-not-fit\"", first + 1) != std::string::npos);
    ck_assert(all.find("\"user\":\"" + pseudonym("site-secret", "uid:20001") + "\"") != std::string::npos);
    ck_assert(all.find("20001") == std::string::npos);
    ck_assert(all.find("\"kind\":\"job_end\"") != std::string::npos);
    rm_rf(d);
}
END_TEST

int main() {
    Suite* s = suite_create("acct");
    TCase* tc = tcase_create("acct");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, digests_match_published_vectors);
    tcase_add_test(tc, uuid_v5_matches_rfc4122);
    tcase_add_test(tc, record_is_canonical_and_deterministic);
    tcase_add_test(tc, record_refuses_bad_input);
    tcase_add_test(tc, pseudonyms_are_keyed);
    tcase_add_test(tc, outbox_write_is_framed_and_listed);
    tcase_add_test(tc, outbox_quarantines_corrupt_and_torn_files);
    tcase_add_test(tc, outbox_bound_refuses_and_counts);
    tcase_add_test(tc, outbox_survives_full_and_read_only_disks);
    tcase_add_test(tc, producer_queue_writes_in_background);
    tcase_add_test(tc, sender_policies);
    tcase_add_test(tc, sender_config_is_strict);
    tcase_add_test(tc, secret_files_must_be_private);
    tcase_add_test(tc, sender_never_writes_through_planted_links);
    tcase_add_test(tc, hooks_produce_every_kind);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/acct's outbox and producer queue: framing, crash consistency (corrupt and
// torn files), the size bound, full and read-only disks, background writes.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "acct/hooks.hpp"
#include "acct/outbox.hpp"
#include "acct/producer.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

#include "acct_test_util.hpp"
#include "check_main.hpp"

using namespace aif;
using namespace aif::acct;
using namespace aif::record;
namespace hooks = aif::acct::hooks;

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

int main() {
    Suite* s = suite_create("acct_outbox");
    TCase* tc = tcase_create("acct_outbox");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, outbox_write_is_framed_and_listed);
    tcase_add_test(tc, outbox_quarantines_corrupt_and_torn_files);
    tcase_add_test(tc, outbox_bound_refuses_and_counts);
    tcase_add_test(tc, outbox_survives_full_and_read_only_disks);
    tcase_add_test(tc, producer_queue_writes_in_background);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

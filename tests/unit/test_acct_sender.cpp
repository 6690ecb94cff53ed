// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/acct's sender: retry policies, its strict configuration, private secret
// files, never writing through planted links.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include "acct/config.hpp"
#include "acct/hooks.hpp"
#include "acct/outbox.hpp"
#include "acct/sender.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

#include "acct_test_util.hpp"
#include "check_main.hpp"

using namespace aif;
using namespace aif::acct;
using namespace aif::record;
namespace hooks = aif::acct::hooks;

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

int main() {
    Suite* s = suite_create("acct_sender");
    TCase* tc = tcase_create("acct_sender");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sender_policies);
    tcase_add_test(tc, sender_config_is_strict);
    tcase_add_test(tc, secret_files_must_be_private);
    tcase_add_test(tc, sender_never_writes_through_planted_links);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/common: number parsing, suggestions, formatting.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <check.h>

#include "check_main.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/enum_names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/text.hpp"

using namespace aif;

START_TEST(counts_accept_si_suffixes) {
    ck_assert_double_eq(parse_count("2T", "--tokens"), 2e12);
    ck_assert_double_eq(parse_count("300B", "--tokens"), 3e11);
    ck_assert_double_eq(parse_count("8k", "--seq"), 8000);
    ck_assert_double_eq(parse_count("4096", "--seq"), 4096);
}
END_TEST

START_TEST(bad_numbers_name_the_argument) {
    try {
        parse_int("-3", "--gpus", 1, 1000000);
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        ck_assert_str_eq(e.what(), "--gpus: -3 is out of range (1..1000000)");
    }
    try {
        parse_count("lots", "--tokens");
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        ck_assert(std::string(e.what()).find("--tokens: 'lots'") == 0);
    }
    ck_assert_int_eq(parse_int(" 42 ", "x", 0, 100), 42);
}
END_TEST

START_TEST(suggestions_rank_closest_first) {
    std::vector<std::string> names{"llama3.1-70b", "llama3.1-8b", "llama2-70b", "mixtral-8x7b"};
    auto s = closest("lama3.1-70B", names);
    ck_assert(!s.empty());
    ck_assert_str_eq(s[0].c_str(), "llama3.1-70b");
    ck_assert(closest("zzzzzzzzzzzzzz", names).empty());
}
END_TEST

// Issue 11: a 16 MB unknown option name cost seconds of edit distance inside slurmctld's
// job_submit(). Long words get no suggestion, at once (the bound is ~10^5 times the cost).
START_TEST(suggestions_for_huge_words_are_bounded) {
    const std::vector<std::string> names{"model", "layout", "precision", "recompute", "framework"};
    const std::string huge(16u << 20, 'm');
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) ck_assert(closest(huge, names).empty());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ck_assert_msg(s < 0.5, "closest() on a 16 MB word took %.2f s", s);
    // Up to the bound, suggestions work as before.
    const std::string at_bound = std::string(kMaxSuggestWord - 1, 'p') + "x";
    ck_assert(!closest(at_bound, {std::string(kMaxSuggestWord, 'p')}).empty());
}
END_TEST

// The one formatter for user text: no control byte survives (a '\n' would forge a log line).
START_TEST(printable_text_cannot_forge_a_line) {
    const std::string forged = "x\n[2026-01-01T00:00:00.000] error: forged\r\x1b[2J";
    const std::string p = printable(forged, 200);
    ck_assert(p.find_first_of("\n\r\x1b") == std::string::npos);
    ck_assert_str_eq(printable(std::string(4u << 20, 'k'), 10), "kkkkkkkkkk...");
}
END_TEST

static std::string temp_dir() {
    char dir[] = "/tmp/aif-common-test.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

// Issue 11: sbatch --llm-config=/dev/zero grew sbatch to GBs before its 1 MiB check, and a FIFO
// hung it. Type and size are checked before anything is read.
START_TEST(bounded_reader_refuses_devices_fifos_and_big_files) {
    ck_assert_input_error(read_file("/dev/zero", 1u << 20), "/dev/zero: not a regular file");
    const std::string dir = temp_dir();
    const std::string fifo = dir + "/fifo";
    ck_assert_int_eq(mkfifo(fifo.c_str(), 0600), 0);
    ck_assert_input_error(read_file(fifo, 1u << 20), "fifo: not a regular file");  // no hang
    const std::string big = dir + "/big.json";
    std::ofstream(big) << std::string(1001, 'x');
    ck_assert_input_error(read_file(big, 1000), "big.json: 1001 bytes is over the 1000 bytes limit");
    ck_assert_int_eq(read_file(big, 1001).size(), 1001);
    ck_assert_input_error(read_file(dir, 1000), "is a directory");
    ck_assert_input_error(read_file(dir + "/missing", 1000), "missing: No such file");
    ck_assert_str_eq(fmt_limit(1u << 20), "1 MiB");
    std::remove(big.c_str());
    std::remove(fifo.c_str());
    rmdir(dir.c_str());
}
END_TEST

START_TEST(formatting_is_human) {
    ck_assert_str_eq(fmt_gib(41.0 * GiB).c_str(), "41.0");
    ck_assert_str_eq(fmt_count(70553706496.0).c_str(), "70.6B");
    ck_assert_str_eq(fmt_duration_hours(0.5).c_str(), "30 min");
    ck_assert_str_eq(fmt_duration_hours(72).c_str(), "3.0 days");
    // Issue 17: small and huge durations read honestly.
    ck_assert_str_eq(fmt_duration_hours(0.005).c_str(), "under 1 min");
    ck_assert_str_eq(fmt_duration_hours(1988.7 * 24).c_str(), "5.4 years");
    ck_assert_str_eq(fmt_duration_hours(83.4 * 24).c_str(), "83 days");
    ck_assert_str_eq(fmt_gpu_hours(0.02).c_str(), "<0.1");
    ck_assert_str_eq(fmt_gpu_hours(2.44).c_str(), "2.4");
    ck_assert_str_eq(fmt_gpu_hours(190900).c_str(), "191K");
    // One rounding rule: one decimal comes from the 0.01 figure a record keeps (issue 17: the
    // same capacity showed as 60.2 in sbatch and 60.1 in the report).
    ck_assert_str_eq(fmt_gib(60.1497 * GiB).c_str(), "60.2");
    ck_assert_str_eq(fmt_gib_value(60.15).c_str(), "60.2");
    ck_assert_str_eq(fmt_gib(60.1449 * GiB).c_str(), "60.1");
    ck_assert_str_eq(fmt_gib(60.1449 * GiB, 2).c_str(), "60.14");
}
END_TEST

namespace {
enum class Colour { Red, Green };
const EnumName<Colour> kColours[] = {{Colour::Red, "red"}, {Colour::Red, "rouge"}, {Colour::Green, "green"}};

std::string message_of(void (*f)()) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

START_TEST(enum_table_names_and_parses) {
    ck_assert_str_eq(name_of(kColours, Colour::Red), "red");
    ck_assert(parse_enum(" ROUGE ", "--colour", kColours) == Colour::Red);
    ck_assert(parse_enum("green", "--colour", kColours) == Colour::Green);
    ck_assert_str_eq(message_of([] { parse_enum("blue", "--colour", kColours); }).c_str(),
                     "--colour: 'blue' is not one of red|green");
    ck_assert_str_eq(enum_names(kColours, ", ").c_str(), "red, green");
}
END_TEST

START_TEST(files_read_whole_and_replace_atomically) {
    char dir[] = "/tmp/aif-files-XXXXXX";
    ck_assert(mkdtemp(dir) != nullptr);
    const std::string d = dir, f = d + "/a.txt";
    ck_assert(write_file_atomic(f, "first\n"));
    ck_assert(write_file_atomic(f, std::string(100000, 'x'), 0600));
    ck_assert_uint_eq(read_file(f).size(), 100000);
    struct stat st {};
    ck_assert_int_eq(stat(f.c_str(), &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert(access((f + ".tmp." + std::to_string(getpid())).c_str(), F_OK) != 0);  // no leftover
    // Bounded reads, and errors that say what is wrong with the path.
    ck_assert(!try_read_file(f, 99999).has_value());
    ck_assert_int_eq(errno, EFBIG);
    ck_assert(try_read_file(f, 100000).has_value());
    try {
        read_file(f, 64 * 1024);
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        ck_assert_str_eq(e.what(), (f + ": 97.7 KiB is over the 64 KiB limit").c_str());
    }
    try {
        read_file(d);
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        ck_assert_str_eq(e.what(), (d + ": is a directory, not a file").c_str());
    }
    try {
        read_file(d + "/missing");
        ck_abort_msg("no error");
    } catch (const InputError& e) {
        ck_assert_str_eq(e.what(), (d + "/missing: No such file or directory").c_str());
    }
    // Links refused on request (spool directories).
    ck_assert_int_eq(symlink(f.c_str(), (d + "/link").c_str()), 0);
    ck_assert(try_read_file(d + "/link").has_value());
    ck_assert(!try_read_file(d + "/link", kNoSizeLimit, false).has_value());
    ck_assert(!write_file_atomic(d + "/no-such-dir/x", "y"));
    ck_assert_int_eq(errno, ENOENT);
    unlink((d + "/link").c_str());
    unlink(f.c_str());
    rmdir(dir);
}
END_TEST

START_TEST(html_escape_covers_markup_and_quotes) {
    ck_assert_str_eq(html_escape("<a href='x'>\"&\"</a>").c_str(),
                     "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;");
}
END_TEST

int main() {
    Suite* s = suite_create("common");
    TCase* tc = tcase_create("text");
    tcase_add_test(tc, counts_accept_si_suffixes);
    tcase_add_test(tc, bad_numbers_name_the_argument);
    tcase_add_test(tc, suggestions_rank_closest_first);
    tcase_add_test(tc, formatting_is_human);
    tcase_add_test(tc, enum_table_names_and_parses);
    tcase_add_test(tc, files_read_whole_and_replace_atomically);
    tcase_add_test(tc, html_escape_covers_markup_and_quotes);
    tcase_add_test(tc, suggestions_for_huge_words_are_bounded);
    tcase_add_test(tc, printable_text_cannot_forge_a_line);
    tcase_add_test(tc, bounded_reader_refuses_devices_fifos_and_big_files);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

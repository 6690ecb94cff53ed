// Unit tests for lib/common: number parsing, suggestions, formatting.
#include <check.h>

#include "check_main.hpp"
#include "common/error.hpp"
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

START_TEST(formatting_is_human) {
    ck_assert_str_eq(fmt_gib(41.0 * GiB).c_str(), "41.0");
    ck_assert_str_eq(fmt_count(70553706496.0).c_str(), "70.6B");
    ck_assert_str_eq(fmt_duration_hours(0.5).c_str(), "30 min");
    ck_assert_str_eq(fmt_duration_hours(72).c_str(), "3.0 days");
}
END_TEST

int main() {
    Suite* s = suite_create("common");
    TCase* tc = tcase_create("text");
    tcase_add_test(tc, counts_accept_si_suffixes);
    tcase_add_test(tc, bad_numbers_name_the_argument);
    tcase_add_test(tc, suggestions_rank_closest_first);
    tcase_add_test(tc, formatting_is_human);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Shared runner for the Check unit tests: runs a suite, returns the process exit code.
#pragma once
#include <check.h>

#include <cstdlib>
#include <string>

// The source tree, for test data: `make check` exports AIF_SRCDIR (no path is compiled in).
inline std::string test_srcdir() {
    const char* s = std::getenv("AIF_SRCDIR");
    return s && *s ? s : ".";
}

inline int run_suite(Suite* s) {
    SRunner* sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

// Check's ck_assert_str_eq keeps `const char* x = (X);` and compares afterwards: with an argument
// like `f().c_str()` that pointer outlives the temporary string (ASan: stack-use-after-scope, and
// a test that can pass or fail on garbage). This version copies both sides first.
inline std::string ck_str_of_(const char* p) { return p ? p : "(null)"; }
inline std::string ck_str_of_(const std::string& s) { return s; }
#undef ck_assert_str_eq
#define ck_assert_str_eq(X, Y)                                                                \
    do {                                                                                      \
        const std::string ck_x_ = ck_str_of_(X), ck_y_ = ck_str_of_(Y);                       \
        ck_assert_msg(ck_x_ == ck_y_, "Assertion '%s' failed: %s == \"%s\", %s == \"%s\"",        \
                      #X " == " #Y, #X, ck_x_.c_str(), #Y, ck_y_.c_str());                  \
    } while (0)

// Asserts that `fn` throws aif::InputError whose message contains `needle`.
#define ck_assert_input_error(expr, needle)                                                   \
    do {                                                                                      \
        try {                                                                                 \
            (void)(expr);                                                                     \
            ck_abort_msg("no error from %s", #expr);                                          \
        } catch (const aif::InputError& e_) {                                                 \
            ck_assert_msg(std::string(e_.what()).find(needle) != std::string::npos,           \
                          "message '%s' lacks '%s'", e_.what(), std::string(needle).c_str()); \
        }                                                                                     \
    } while (0)

// Shared runner for the Check unit tests: runs a suite, returns the process exit code.
#pragma once
#include <check.h>

#include <string>

inline int run_suite(Suite* s) {
    SRunner* sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

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

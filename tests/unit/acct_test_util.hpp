// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the lib/acct unit tests (test_acct_*.cpp): temp dirs, file helpers, a sample record.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "record/hash.hpp"
#include "record/record.hpp"

#include <check.h>  // last: its fail() macro clashes with <iostream>

// Compare as std::string: Check's str macros keep pointers into destroyed temporaries.
#define STR_EQ(a, b) ck_assert_msg(std::string(a) == std::string(b), "'%s' != '%s'", std::string(a).c_str(), std::string(b).c_str())
#define STR_NE(a, b) ck_assert_msg(std::string(a) != std::string(b), "both are '%s'", std::string(a).c_str())

namespace acct_test {

using namespace aif;
using namespace aif::acct;
using namespace aif::record;

inline std::string make_tmpdir() {
    char tmpl[] = "/tmp/test_acct.XXXXXX";
    char* d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return d;
}

inline void rm_rf(const std::string& d) {
    std::string cmd = "rm -rf '" + d + "'";
    ck_assert_int_eq(std::system(cmd.c_str()), 0);
}

inline std::string slurp(const std::string& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

inline void spit(const std::string& p, const std::string& text) {
    std::ofstream f(p, std::ios::trunc);
    f << text;
}

inline Record sample(std::uint32_t job = 4123, const char* component = "step/0/node01") {
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

}  // namespace acct_test

using namespace acct_test;

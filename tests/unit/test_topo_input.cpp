// SPDX-License-Identifier: GPL-2.0-or-later
// Hostile topology input (issue 11): a truncated file, /dev/zero, a FIFO, an oversized file and
// well-formed XML that crashes the importer are refused with a message, quickly, without
// crashing or growing the loading process. Each case runs in Check's own child under a short
// timeout (and, outside ASan, an address-space limit), so a regression fails instead of hanging
// or filling memory.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.hpp"
#include "topo/topology.hpp"
#include "topo/xml_input.hpp"

#include <check.h>  // last: it defines a fail() macro
#include "check_main.hpp"

using namespace aif::topo;

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

namespace {

std::string scratch;  // a fresh directory per test (Check forks each test)

void make_scratch() {
    char tmpl[] = "/tmp/aif-topo-input.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    scratch = tmpl;
#ifndef UNDER_ASAN
    rlimit as{rlim_t{2} << 30, rlim_t{2} << 30};  // the old reader grew without bound on /dev/zero
    setrlimit(RLIMIT_AS, &as);
#endif
}

void remove_scratch() {
    if (!scratch.empty()) std::system(("rm -rf '" + scratch + "'").c_str());
}

std::string write_file(const std::string& name, const std::string& text) {
    std::string path = scratch + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// A small valid topology: 1 package, 1 NUMA node, 2 cores.
const char* const two_cores =
    R"(<?xml version="1.0" encoding="UTF-8"?>
<topology version="2.0">
 <object type="Machine" os_index="0" cpuset="0x3" complete_cpuset="0x3" allowed_cpuset="0x3" nodeset="0x1" complete_nodeset="0x1" allowed_nodeset="0x1" gp_index="1">
  <object type="Package" os_index="0" cpuset="0x3" complete_cpuset="0x3" nodeset="0x1" complete_nodeset="0x1" gp_index="2">
   <object type="NUMANode" os_index="0" cpuset="0x3" complete_cpuset="0x3" nodeset="0x1" complete_nodeset="0x1" gp_index="3" local_memory="1073741824"/>
   <object type="Core" os_index="0" cpuset="0x1" complete_cpuset="0x1" nodeset="0x1" complete_nodeset="0x1" gp_index="4">
    <object type="PU" os_index="0" cpuset="0x1" complete_cpuset="0x1" nodeset="0x1" complete_nodeset="0x1" gp_index="5"/>
   </object>
   <object type="Core" os_index="1" cpuset="0x2" complete_cpuset="0x2" nodeset="0x1" complete_nodeset="0x1" gp_index="6">
    <object type="PU" os_index="1" cpuset="0x2" complete_cpuset="0x2" nodeset="0x1" complete_nodeset="0x1" gp_index="7"/>
   </object>
  </object>
 </object>
</topology>
)";

}  // namespace

START_TEST(valid_file_still_loads) {
    Machine m = Machine::from_xml(write_file("ok.xml", two_cores));
    ck_assert_int_eq(m.topology().cores.size(), 2);
}
END_TEST

// hwloc 2.9's built-in reader segfaulted here (strchr(buffer, '>') + 1 on NULL).
START_TEST(truncated_topology_tag_is_not_valid_xml) {
    std::string path = write_file("t.xml", "<topology version=\"2.1");
    ck_assert_input_error(Machine::from_xml(path), path + ": is not valid XML (line 1");
    std::string cut = std::string(two_cores).substr(0, 600);
    ck_assert_input_error(Machine::from_xml_text(cut, "cut.xml"), "cut.xml: is not valid XML (line ");
}
END_TEST

START_TEST(dev_zero_is_not_a_regular_file) {
    ck_assert_input_error(Machine::from_xml("/dev/zero"), "/dev/zero: not a regular file");
}
END_TEST

START_TEST(fifo_is_refused_without_blocking) {
    std::string path = scratch + "/fifo.xml";
    ck_assert_int_eq(mkfifo(path.c_str(), 0600), 0);
    ck_assert_input_error(Machine::from_xml(path), path + ": not a regular file");
}
END_TEST

START_TEST(oversized_file_is_refused_unread) {
    std::string path = write_file("big.xml", "");
    ck_assert_int_eq(truncate(path.c_str(), static_cast<off_t>(max_topology_xml_bytes) + 1), 0);
    ck_assert_input_error(Machine::from_xml(path), path + ": 16.0 MiB is over the 16 MiB limit");
    std::string text(max_topology_xml_bytes + 1, ' ');
    ck_assert_input_error(Machine::from_xml_text(text, "buffer"), "buffer: 16.0 MiB is over the 16 MiB limit");
}
END_TEST

START_TEST(nul_bytes_and_empty_input_are_refused) {
    std::string text = std::string("<topology version=\"2.0\">\n\n") + '\0' + "</topology>";
    ck_assert_input_error(Machine::from_xml_text(text, "nul.xml"), "nul.xml: is not valid XML (line 3: NUL byte)");
    ck_assert_input_error(Machine::from_xml(write_file("empty.xml", "\n")), "empty.xml: is empty");
    ck_assert_input_error(Machine::from_xml(scratch + "/absent.xml"), "absent.xml: No such file or directory");
}
END_TEST

// Well-formed XML that is not a topology: hwloc refuses it (in the contained child).
START_TEST(well_formed_non_topology_is_refused) {
    ck_assert_input_error(Machine::from_xml_text("<topology>not really</topology>", "inline"), "inline: ");
    ck_assert_input_error(Machine::from_xml_text("<root><a/></root>", "root.xml"), "root.xml: ");
}
END_TEST

// The containment itself: a crash, a runaway loop and an error message in the child.
START_TEST(contained_child_crash_and_timeout) {
    std::string crash = run_contained([] {
        raise(SIGSEGV);
        return std::string();
    });
    ck_assert_str_eq(crash, "crashed (signal 11)");
    std::string slow = run_contained(
        [] {
            for (;;) pause();
            return std::string();
        },
        1);
    ck_assert_str_eq(slow, "took longer than 1 s");
    std::string spin = run_contained(
        [] {
            volatile unsigned long spins = 0;
            for (;;) spins = spins + 1;
            return std::string();
        },
        1);
    ck_assert_msg(spin == "used more than 1 s of CPU time" || spin == "took longer than 1 s", "%s", spin.c_str());
    ck_assert_str_eq(run_contained([] { return std::string("bad input"); }), "bad input");
    ck_assert_str_eq(run_contained([] { return std::string(); }), "");
}
END_TEST

int main() {
    Suite* s = suite_create("topo_input");
    TCase* tc = tcase_create("hostile");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_set_timeout(tc, 5);  // a FIFO or /dev/zero regression fails here instead of hanging
    tcase_add_test(tc, valid_file_still_loads);
    tcase_add_test(tc, truncated_topology_tag_is_not_valid_xml);
    tcase_add_test(tc, dev_zero_is_not_a_regular_file);
    tcase_add_test(tc, fifo_is_refused_without_blocking);
    tcase_add_test(tc, oversized_file_is_refused_unread);
    tcase_add_test(tc, nul_bytes_and_empty_input_are_refused);
    tcase_add_test(tc, well_formed_non_topology_is_refused);
    suite_add_tcase(s, tc);
    TCase* contained = tcase_create("contained");
    tcase_set_timeout(contained, 15);
    tcase_add_test(contained, contained_child_crash_and_timeout);
    suite_add_tcase(s, contained);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// lib/gpu: the usage summary, Slurm-id-to-device mapping, and the sampler through the real
// dlopen() path against the fake NVML and ROCm SMI libraries of tests/gpu (scripted timelines),
// plus the node energy counters on a fake sysfs tree.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gpu/gpu.hpp"
#include "gpu/usage.hpp"
#include "gpu/vendor.hpp"

#include <check.h>  // last: its fail() macro clashes with <iostream>

#include "check_main.hpp"

using namespace aif::gpu;

namespace {

constexpr std::uint64_t GiB = 1ull << 30;

std::string builddir() {
    const char* b = std::getenv("AIF_BUILDDIR");
    return b && *b ? b : ".";
}
std::string fake_nvml() { return builddir() + "/tests/gpu/.libs/libnvidia-ml.so.1"; }
std::string fake_rocm() { return builddir() + "/tests/gpu/.libs/librocm_smi64.so"; }

std::string temp_dir() {
    char tmpl[] = "/tmp/test_gpu.XXXXXX";
    const char* d = mkdtemp(tmpl);
    ck_assert_ptr_nonnull(d);
    return d;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

// Writes `text` as the fake libraries' timeline.
void script(const std::string& text) {
    static const std::string dir = temp_dir();
    write(dir + "/timeline", text);
    setenv("AIF_FAKE_GPU_TIMELINE", (dir + "/timeline").c_str(), 1);
}

// Starts a sampler, lets it read every scripted row (4 at most, 50 ms apart), stops it.
StepUsage sample(const std::string& gpus, SamplerOptions o, std::string* log = nullptr) {
    o.interval_s = 0.05;
    auto s = Sampler::start(gpus, o, [log](const std::string& m) {
        if (log) *log += m + "\n";
    });
    if (!s) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return s->stop();
}

// Three devices; the step has 0 and 2. Device 1 belongs to someone else: 70 GiB, never counted.
const char* kThreeGpus =
    "devices 3\n"
    "# dev mem util energy_mj power_mw\n"
    "0 1073741824 10 1000000 200000\n"
    "0 3221225472 20 1100000 200000\n"
    "0 2147483648 30 1250000 200000\n"
    "0 536870912 100 1300000 200000\n"
    "1 75161927680 99 0 0\n"
    "2 5368709120 50 500000 100000\n"
    "2 4294967296 50 520000 100000\n"
    "2 1073741824 60 540000 100000\n"
    "2 0 80 560000 100000\n";

}  // namespace

START_TEST(gpu_ids_parse) {
    ck_assert(parse_gpu_ids("0,2-3") == (std::vector<int>{0, 2, 3}));
    ck_assert(parse_gpu_ids("NoDevFiles").empty());
    ck_assert(parse_gpu_ids("").empty());
    ck_assert(parse_gpu_ids("1,x,3-2,4") == (std::vector<int>{1, 4}));
}
END_TEST

START_TEST(devices_mapped_by_minor_then_index) {
    using M = std::vector<std::optional<unsigned>>;
    // Device files in another order than the library's enumeration: by minor number.
    ck_assert(map_devices({2, 3}, M{3, 2, 1, 0}) == (std::vector<unsigned>{1, 0}));
    // No minors: by index.
    ck_assert(map_devices({0, 2}, M{std::nullopt, std::nullopt, std::nullopt}) == (std::vector<unsigned>{0, 2}));
    // A device cgroup shows the step's two GPUs renumbered 0..1: both.
    ck_assert(map_devices({4, 6}, M{std::nullopt, std::nullopt}) == (std::vector<unsigned>{0, 1}));
    // ROCm render minors (128...) against Slurm's 0-based ids: by index.
    ck_assert(map_devices({1}, M{128, 129}) == (std::vector<unsigned>{1}));
    // An id that matches nothing is left out; a repeated one counted once.
    ck_assert(map_devices({1, 1, 9}, M{0, 1, 2}) == (std::vector<unsigned>{1}));
}
END_TEST

START_TEST(usage_summary_exact) {
    UsageAccumulator acc(2);
    // 100 readings 0..99 on two GPUs; p95 by nearest rank is 94.
    for (unsigned i = 0; i < 50; ++i) {
        std::vector<Reading> r(2);
        r[0].util_pct = 2 * i;
        r[1].util_pct = 2 * i + 1;
        r[0].mem_used_bytes = i * GiB;
        r[0].energy_j = 10.0 + i;
        r[1].energy_j = 100.0 + 2 * i;
        acc.add(i, r);
    }
    StepUsage u;
    acc.summarise(u);
    ck_assert_uint_eq(u.samples, 50);
    ck_assert_uint_eq(*u.mem_peak_bytes, 49 * GiB);
    ck_assert_double_eq_tol(*u.util_mean_pct, 49.5, 1e-9);
    ck_assert_double_eq_tol(*u.util_p95_pct, 94, 1e-9);
    ck_assert_double_eq_tol(*u.energy_j, 49 + 98, 1e-9);
    ck_assert_str_eq(u.energy_basis, "counter");
}
END_TEST

START_TEST(usage_power_when_a_counter_is_missing_or_resets) {
    UsageAccumulator acc(2);
    for (int t = 0; t <= 4; ++t) {
        std::vector<Reading> r(2);
        r[0].energy_j = t == 3 ? 1.0 : 1000.0 + t;  // counter went back: a driver reload
        r[0].power_w = 100;
        r[1].power_w = 50;  // no counter at all
        acc.add(t * 2.0, r);
    }
    StepUsage u;
    acc.summarise(u);
    ck_assert_str_eq(u.energy_basis, "power");
    ck_assert_double_eq_tol(*u.energy_j, (100 + 50) * 8.0, 1e-9);
    ck_assert(!u.util_mean_pct && !u.mem_peak_bytes);  // never read: absent, not 0
}
END_TEST

// The timeline: one point per round up to the cap, then neighbours merged (max of memory, mean
// of utilisation) so that a step of any length keeps at most kMaxTimelinePoints points.
START_TEST(usage_timeline_bounded_and_exact) {
    UsageAccumulator short_step(2);
    for (int i = 0; i < 3; ++i) {
        std::vector<Reading> r(2);
        r[0].mem_used_bytes = (1 + i) * GiB;
        r[1].mem_used_bytes = 5 * GiB;
        r[0].util_pct = 20;
        r[1].util_pct = 40 + 10 * i;
        short_step.add(100 + 10 * i, r);
    }
    StepUsage u;
    short_step.summarise(u);
    ck_assert_uint_eq(u.timeline.size(), 3);
    ck_assert_double_eq_tol(u.timeline[2].t_s, 20, 1e-9);
    ck_assert_uint_eq(*u.timeline[0].mem_max_bytes, 5 * GiB);
    ck_assert_double_eq_tol(*u.timeline[2].util_mean_pct, 40, 1e-9);  // (20 + 60) / 2

    // 1000 rounds: memory ramps 0..999 MiB, utilisation alternates 0 and 100.
    UsageAccumulator acc(1);
    for (int i = 0; i < 1000; ++i) {
        std::vector<Reading> r(1);
        r[0].mem_used_bytes = static_cast<std::uint64_t>(i) << 20;
        r[0].util_pct = i % 2 ? 100 : 0;
        acc.add(i, r);
    }
    acc.summarise(u);
    ck_assert_uint_le(u.timeline.size(), kMaxTimelinePoints);
    ck_assert_uint_gt(u.timeline.size(), kMaxTimelinePoints / 2);
    // 16 rounds per point: the first covers rounds 0..15, max 15 MiB, mean 50 %.
    ck_assert_double_eq_tol(u.timeline[0].t_s, 0, 1e-9);
    ck_assert_double_eq_tol(u.timeline[1].t_s, 16, 1e-9);
    ck_assert_uint_eq(*u.timeline[0].mem_max_bytes, 15ull << 20);
    ck_assert_uint_eq(*u.timeline.back().mem_max_bytes, 999ull << 20);
    for (const auto& p : u.timeline) ck_assert_double_eq_tol(*p.util_mean_pct, 50, 1e-9);
}
END_TEST

START_TEST(usage_nothing_read) {
    UsageAccumulator acc(1);
    acc.add(0, std::vector<Reading>(1));
    StepUsage u;
    acc.summarise(u);
    ck_assert_uint_eq(u.samples, 0);
    ck_assert(!u.energy_j && u.energy_basis.empty());
}
END_TEST

START_TEST(nvml_through_dlopen_exact) {
    script(kThreeGpus);
    SamplerOptions o;
    o.nvml_library = fake_nvml();
    o.rocm_smi_library = "/nonexistent/librocm_smi64.so";
    StepUsage u = sample("0,2", o);
    ck_assert_str_eq(u.source, "nvml");
    ck_assert_uint_eq(u.gpus, 2);
    ck_assert_uint_eq(u.samples, 4);  // exactly the scripted rows: later reads fail
    ck_assert_uint_eq(*u.mem_peak_bytes, 5 * GiB);  // not device 1's 70 GiB
    ck_assert_double_eq_tol(*u.util_mean_pct, 50, 1e-9);   // (10+20+30+100+50+50+60+80)/8
    ck_assert_double_eq_tol(*u.util_p95_pct, 100, 1e-9);
    ck_assert_double_eq_tol(*u.energy_j, 300 + 60, 1e-9);  // counter differences, mJ -> J
    ck_assert_str_eq(u.energy_basis, "counter");
    ck_assert_double_eq_tol(u.interval_s, 0.05, 1e-12);
    ck_assert_uint_eq(u.timeline.size(), 4);  // one point per round that read something
    ck_assert_double_eq_tol(u.timeline[0].t_s, 0, 1e-12);
    for (std::size_t i = 1; i < u.timeline.size(); ++i) ck_assert(u.timeline[i].t_s > u.timeline[i - 1].t_s);
}
END_TEST

START_TEST(nvml_minor_numbers_pick_the_device) {
    // Device files numbered against the enumeration: Slurm's GPU 7 is NVML device 1.
    script("devices 2\nminor 0 6\nminor 1 7\n0 1000 10 0 0\n1 2000 90 0 0\n");
    SamplerOptions o;
    o.nvml_library = fake_nvml();
    StepUsage u = sample("7", o);
    ck_assert_uint_eq(u.samples, 1);
    ck_assert_uint_eq(*u.mem_peak_bytes, 2000);
    ck_assert_double_eq_tol(*u.util_mean_pct, 90, 1e-9);
}
END_TEST

START_TEST(nvml_without_energy_counter_uses_power) {
    script("devices 1\nno_energy 0\n0 1 0 0 100000\n0 1 0 0 100000\n0 1 0 0 100000\n0 1 0 0 100000\n");
    SamplerOptions o;
    o.nvml_library = fake_nvml();
    StepUsage u = sample("0", o);
    ck_assert_str_eq(u.energy_basis, "power");
    // 100 W over the three intervals between four samples, 50 ms apart (scheduling adds a little).
    ck_assert_msg(*u.energy_j >= 100 * 0.15 * 0.9 && *u.energy_j < 100 * 0.15 * 3, "energy %f J", *u.energy_j);
}
END_TEST

START_TEST(rocm_smi_through_dlopen_exact) {
    script(kThreeGpus);
    SamplerOptions o;
    o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
    o.rocm_smi_library = fake_rocm();
    StepUsage u = sample("0,2", o);
    ck_assert_str_eq(u.source, "rocm_smi");
    ck_assert_uint_eq(u.samples, 4);
    ck_assert_uint_eq(*u.mem_peak_bytes, 5 * GiB);
    ck_assert_double_eq_tol(*u.util_mean_pct, 50, 1e-9);
    ck_assert_double_eq_tol(*u.energy_j, 360, 1e-6);  // count x 250 uJ
    ck_assert_str_eq(u.energy_basis, "counter");
}
END_TEST

START_TEST(no_library_no_thread) {
    SamplerOptions o;
    o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
    o.rocm_smi_library = "/nonexistent/librocm_smi64.so";
    int lines = 0;
    std::string said;
    auto s = Sampler::start("0", o, [&](const std::string& m) {
        ++lines;
        said = m;
    });
    ck_assert_ptr_null(s.get());
    ck_assert_int_eq(lines, 1);
    ck_assert_msg(said.find("no GPU sampling") != std::string::npos, "%s", said.c_str());
    // No GPUs in the step: not even a look for the libraries.
    lines = 0;
    ck_assert_ptr_null(Sampler::start("", o, [&](const std::string&) { ++lines; }).get());
    ck_assert_int_eq(lines, 0);
}
END_TEST

START_TEST(stop_is_prompt_and_idempotent) {
    script(kThreeGpus);
    SamplerOptions o;
    o.nvml_library = fake_nvml();
    o.interval_s = 3600;  // a stop must not wait for the next sample
    auto s = Sampler::start("0", o, nullptr);
    ck_assert_ptr_nonnull(s.get());
    const auto t0 = std::chrono::steady_clock::now();
    StepUsage u = s->stop();
    ck_assert(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    ck_assert_uint_ge(u.samples, 1);  // start and/or final sample
    ck_assert_uint_eq(s->stop().samples, u.samples);
}
END_TEST

START_TEST(no_visible_device_stops_at_once) {
    script("devices 2\n0 1 1 1 1\n1 1 1 1 1\n");
    SamplerOptions o;
    o.nvml_library = fake_nvml();
    auto s = Sampler::start("5,6,7", o, nullptr);  // the library loads, but sees none of them
    ck_assert_ptr_nonnull(s.get());
    const auto t0 = std::chrono::steady_clock::now();
    ck_assert_uint_eq(s->stop().samples, 0);
    ck_assert(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
}
END_TEST

START_TEST(hung_library_does_not_hold_the_step) {
    script("devices 1\nhang 0\n0 1 1 1 1\n");
    SamplerOptions o;
    o.nvml_library = fake_nvml();
    std::string said;
    auto s = Sampler::start("0", o, [&](const std::string& m) { said += m; });
    ck_assert_ptr_nonnull(s.get());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // now inside the hung read
    const auto t0 = std::chrono::steady_clock::now();
    StepUsage u = s->stop();
    ck_assert(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    ck_assert_uint_eq(u.samples, 0);  // nothing half-measured
    ck_assert_msg(said.find("did not stop in time") != std::string::npos, "%s", said.c_str());
}
END_TEST

START_TEST(node_energy_pm_counters_and_rapl) {
    const std::string root = temp_dir();
    // No counters at all: nothing.
    ck_assert(!read_node_energy(root));
    // RAPL: two packages (their dram sub-zone and the psys zone are left out), one wraps.
    const std::string pc = root + "/sys/class/powercap";
    mkdir((root + "/sys").c_str(), 0755);
    mkdir((root + "/sys/class").c_str(), 0755);
    mkdir(pc.c_str(), 0755);
    auto zone = [&](const std::string& z, const char* name, const char* uj, const char* range) {
        mkdir((pc + "/" + z).c_str(), 0755);
        write(pc + "/" + z + "/name", std::string(name) + "\n");
        write(pc + "/" + z + "/energy_uj", std::string(uj) + "\n");
        write(pc + "/" + z + "/max_energy_range_uj", std::string(range) + "\n");
    };
    zone("intel-rapl:0", "package-0", "1000000", "262143328850");
    zone("intel-rapl:1", "package-1", "262143000000", "262143328850");
    zone("intel-rapl:0:0", "dram", "5", "262143328850");
    zone("intel-rapl:2", "psys", "7", "262143328850");
    auto a = read_node_energy(root);
    ck_assert(a && a->source == "rapl" && a->zones.size() == 2);
    write(pc + "/intel-rapl:0/energy_uj", "3500000\n");  // +2.5 J
    write(pc + "/intel-rapl:1/energy_uj", "671150\n");   // wrapped: +0.32885 + 0.67115 = 1 J
    auto b = read_node_energy(root);
    ck_assert(b.has_value());
    ck_assert_double_eq_tol(*node_energy_between(*a, *b), 3.5, 1e-6);
    // HPE Cray pm_counters win when present.
    mkdir((root + "/sys/cray").c_str(), 0755);
    mkdir((root + "/sys/cray/pm_counters").c_str(), 0755);
    write(root + "/sys/cray/pm_counters/energy", "123456 J 1700000000000000 us\n");
    auto c = read_node_energy(root);
    ck_assert(c && c->source == "pm_counters");
    ck_assert(!node_energy_between(*b, *c));  // different sources never mix
    write(root + "/sys/cray/pm_counters/energy", "124456 J 1700000001000000 us\n");
    ck_assert_double_eq_tol(*node_energy_between(*c, *read_node_energy(root)), 1000, 1e-9);
    write(root + "/sys/cray/pm_counters/energy", "5 J 1700000002000000 us\n");  // reset
    ck_assert(!node_energy_between(*c, *read_node_energy(root)));
}
END_TEST

int main() {
    Suite* s = suite_create("gpu");
    TCase* tc = tcase_create("sampler");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, gpu_ids_parse);
    tcase_add_test(tc, devices_mapped_by_minor_then_index);
    tcase_add_test(tc, usage_summary_exact);
    tcase_add_test(tc, usage_power_when_a_counter_is_missing_or_resets);
    tcase_add_test(tc, usage_timeline_bounded_and_exact);
    tcase_add_test(tc, usage_nothing_read);
    tcase_add_test(tc, nvml_through_dlopen_exact);
    tcase_add_test(tc, nvml_minor_numbers_pick_the_device);
    tcase_add_test(tc, nvml_without_energy_counter_uses_power);
    tcase_add_test(tc, rocm_smi_through_dlopen_exact);
    tcase_add_test(tc, no_library_no_thread);
    tcase_add_test(tc, stop_is_prompt_and_idempotent);
    tcase_add_test(tc, no_visible_device_stops_at_once);
    tcase_add_test(tc, hung_library_does_not_hold_the_step);
    tcase_add_test(tc, node_energy_pm_counters_and_rapl);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

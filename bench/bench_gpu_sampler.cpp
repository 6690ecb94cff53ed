// SPDX-License-Identifier: GPL-2.0-or-later
// What the GPU sampler costs a step (issue 13: step-time ratio on/off <= 1.005), each figure
// against a baseline measured in the same run:
//  1. One sample's CPU time (all of a step's GPUs read once, through the real dlopen()ed
//     library: the fake NVML of tests/gpu here, so the library's own cost is not in it; a real
//     NVML read is driver I/O, see docs/accounting.md), as a share of the sampling interval.
//  2. A CPU-bound "step" (a fixed compute loop on this thread) timed with the sampler off, on at
//     the default 10 s and on at 0.01 s (1000 x the default rate), interleaved, median of runs.
//     On a shared machine the wall-time ratio is noisy; beside it, the bound that holds even if
//     every CPU cycle of the sampler thread (start, samples, stop) were taken from the step:
//     1 + sampler CPU / step time.
// Usage: bench_gpu_sampler [BUILDDIR]   (the fake library: BUILDDIR/tests/gpu/.libs)
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gpu/gpu.hpp"
#include "gpu/vendor.hpp"

using namespace aif::gpu;

namespace {

constexpr unsigned kGpus = 8, kRows = 4096;

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

double process_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

double wall_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The "training step": a fixed amount of floating-point work, ~1 s here.
volatile double sink;
double step_seconds() {
    const double t0 = wall_s();
    double x = 0;
    for (long i = 1; i < 550000000; ++i) x += 1.0 / static_cast<double>(i * i % 977 + 1);
    sink = x;
    return wall_s() - t0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const std::string build = argc > 1 ? argv[1] : (std::getenv("AIF_BUILDDIR") ? std::getenv("AIF_BUILDDIR") : ".");
    const std::string lib = build + "/tests/gpu/.libs/libnvidia-ml.so.1";
    const std::string timeline = "/tmp/bench_gpu_sampler." + std::to_string(getpid());
    {
        std::ofstream t(timeline);
        t << "devices " << kGpus << "\n";
        for (unsigned r = 0; r < kRows; ++r)
            for (unsigned d = 0; d < kGpus; ++d)
                t << d << " " << (1ull << 30) * (r % 70) << " " << r % 101 << " " << 1000000 + r * 1000 << " 300000\n";
    }
    setenv("AIF_FAKE_GPU_TIMELINE", timeline.c_str(), 1);

    // 1. One sample: 8 GPUs read once (memory, utilisation, energy, power).
    std::string why;
    auto v = load_nvml(lib, why);
    if (!v || !v->init(why)) {
        std::fprintf(stderr, "cannot load the fake NVML %s: %s (build it: make check or make tests/gpu/libnvidia-ml.la)\n",
                     lib.c_str(), why.c_str());
        return 1;
    }
    const unsigned rounds = kRows - 1;
    const double c0 = thread_cpu_s();
    for (unsigned r = 0; r < rounds; ++r)
        for (unsigned d = 0; d < kGpus; ++d) v->read(d);
    const double per_sample = (thread_cpu_s() - c0) / rounds;
    v->shutdown();
    std::printf("one sample of %u GPUs (fake NVML): %.2f us CPU; share of a 10 s interval: %.2e (ratio %.7f)\n", kGpus,
                per_sample * 1e6, per_sample / 10.0, 1 + per_sample / 10.0);

    // 2. Step time with the sampler off / on (10 s) / on (0.01 s), interleaved. A short script
    //    (the fake parses it at init, which a real NVML does not do): 200 rows.
    {
        std::ofstream t(timeline);
        t << "devices " << kGpus << "\n";
        for (unsigned r = 0; r < 200; ++r)
            for (unsigned d = 0; d < kGpus; ++d) t << d << " " << (1ull << 30) << " 50 " << 1000000 + r << " 300000\n";
    }
    std::vector<double> off, on10, on001, cpu10, cpu001;
    std::string gpus;
    for (unsigned d = 0; d < kGpus; ++d) gpus += (d ? "," : "") + std::to_string(d);
    step_seconds();  // warm up
    for (int run = 0; run < 7; ++run) {
        off.push_back(step_seconds());
        for (double interval : {10.0, 0.01}) {
            SamplerOptions o;
            o.nvml_library = lib;
            o.interval_s = interval;
            const double p0 = process_cpu_s(), m0 = thread_cpu_s();
            auto s = Sampler::start(gpus, o, nullptr);
            if (!s) return 1;
            const double t = step_seconds();
            s->stop();
            const double sampler_cpu = (process_cpu_s() - p0) - (thread_cpu_s() - m0);
            (interval > 1 ? on10 : on001).push_back(t);
            (interval > 1 ? cpu10 : cpu001).push_back(1 + sampler_cpu / t);
        }
    }
    const double base = median(off);
    std::printf("step of %.3f s (median of 7, sampler off)\n", base);
    std::printf("  sampler on, 10 s interval:   wall ratio %.4f; bound from the sampler's CPU %.6f\n", median(on10) / base,
                median(cpu10));
    std::printf("  sampler on, 0.01 s interval: wall ratio %.4f; bound from the sampler's CPU %.6f (1000 x the default rate)\n",
                median(on001) / base, median(cpu001));
    unlink(timeline.c_str());
    return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Calculator speed: one evaluation, the sbatch-time check, and the --where search for a 405B model.
// Figures are reported as ratios against a baseline measured in the same run: the simplest
// published closed form (Megatron's 18 bytes/param + Korthikanti's selective activations), and
// against the targets of the issue (2 us per evaluation, 5 ms for --where).
#include <chrono>
#include <cstdio>

#include "calc/check.hpp"
#include "calc/search.hpp"

using namespace aif;
using namespace aif::calc;
using Clock = std::chrono::steady_clock;

template <class F>
static double seconds_per_call(F&& f, int iterations) {
    for (int i = 0; i < iterations / 10 + 1; ++i) f();  // warm caches
    auto t0 = Clock::now();
    for (int i = 0; i < iterations; ++i) f();
    return std::chrono::duration<double>(Clock::now() - t0).count() / iterations;
}

static volatile double sink;

int main() {
    ModelCatalogue models = ModelCatalogue::load({default_catalogue_path("models.json")});
    HardwareCatalogue hw = HardwareCatalogue::load({default_catalogue_path("hardware.json")});
    const Architecture& a70 = models.require("llama3.1-70b").arch;
    const Architecture& a405 = models.require("llama3.1-405b").arch;
    const Partition& leo = hw.require_partition("leonardo-booster");
    TrainingSetup s;
    s.layout.tp = 4;
    s.layout.pp = 4;
    s.gbs = 512;
    s.tokens = 2e12;
    Target t = target_for(hw.gpu_of(leo), leo.gpus_per_node, 32);

    // Baseline: the closed form anyone would write first (no stages, no framework terms).
    const double P = count_params(a70).total;
    double baseline = seconds_per_call([&] {
        double sbh = double(s.seq) * s.mbs * a70.hidden;
        sink = 18 * P / (s.layout.tp * s.layout.pp) + sbh * (10 + 24.0 / s.layout.tp) * a70.layers;
    }, 2'000'000);
    double eval = seconds_per_call([&] { sink = estimate(a70, s, t).mem.total; }, 200'000);
    ParamCount pc = count_params(a70);
    double mem = seconds_per_call([&] { sink = memory_only(a70, pc, s, 32, 4).total; }, 500'000);

    JobSpec job;
    apply_option(job, "model", "llama3.1-70b", "--llm-");
    apply_option(job, "layout", "tp=4,pp=4", "--llm-");
    apply_option(job, "gbs", "512", "--llm-");
    CheckRequest req;
    req.job = &job;
    req.partition = &leo;
    req.gpus = 32;
    for (const Partition& p : hw.partitions()) req.alternatives.push_back(&p);
    double reject = seconds_per_call([&] { sink = double(check_job(req, models, hw).fixes.size()); }, 200);

    TrainingSetup s405;
    s405.recompute = Recompute::Full;
    s405.dist_opt = true;
    s405.seq = 8192;
    s405.gbs = 1024;
    double where = seconds_per_call([&] {
        for (const Partition& p : hw.partitions()) {
            SearchLimits lim;
            lim.max_nodes = p.nodes;
            sink = double(smallest_fit(a405, s405, target_for(hw.gpu_of(p), p.gpus_per_node, p.gpus_per_node), lim)
                              .ranked.size());
        }
    }, 50);

    std::printf("benchmark                                   time       vs baseline  vs target\n");
    std::printf("baseline closed form (18 B/param + act.)  %9.3f us        1.0x\n", baseline * 1e6);
    std::printf("memory_only (search hot path)             %9.3f us  %9.1fx\n", mem * 1e6, mem / baseline);
    std::printf("one evaluation (estimate)                 %9.3f us  %9.1fx  %8.2f of 2 us\n", eval * 1e6,
                eval / baseline, eval / 2e-6);
    std::printf("sbatch check, rejected job with fixes     %9.3f ms  %9.0fx\n", reject * 1e3, reject / baseline);
    std::printf("--where, llama3.1-405b, %zu partitions     %9.3f ms  %9.0fx  %8.2f of 5 ms\n",
                hw.partitions().size(), where * 1e3, where / baseline, where / 5e-3);
    return eval <= 2e-6 && where <= 5e-3 ? 0 : 1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Calculator speed: one evaluation, the sbatch-time check, and `fit --where` over the whole catalogue.
// Each figure is printed in absolute time and as a ratio against two baselines measured in the same
// process, so runs on different machines (and before/after a change) compare:
//   - the closed form anyone would write first (Megatron's 18 bytes/param + Korthikanti's selective
//     activations): fixed code, it never changes, so it measures the machine;
//   - the unit: estimate() of the simplest case (Llama 2 7B on one A100 80GB, data parallel 1), the
//     same call the plugin makes, so a figure "in units" is how many simple evaluations it costs.
// Targets of issue 12: one evaluation <= 2 us, --where over the whole catalogue <= 5 ms. Exit 1 when
// a target is missed.
#include <chrono>
#include <cstdio>

#include "calc/bands.hpp"
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

// What `aifactory fit --where` computes: the smallest whole-node fit on every catalogue partition.
static double where_all(const Architecture& a, const TrainingSetup& s, const HardwareCatalogue& hw,
                        const BandTable& bands) {
    double found = 0;
    for (const Partition& p : hw.partitions()) {
        SearchLimits lim;
        lim.max_nodes = p.nodes > 0 ? p.nodes : 4096;
        Target t = with_band(target_for(hw.gpu_of(p), p.gpus_per_node, p.gpus_per_node), &bands, s);
        found += double(smallest_fit(a, s, t, lim).ranked.size());
    }
    return found;
}

int main() {
    ModelCatalogue models = ModelCatalogue::load({default_catalogue_path("models.json")});
    HardwareCatalogue hw = HardwareCatalogue::load({default_catalogue_path("hardware.json")});
    const BandTable bands = BandTable::load(default_catalogue_path("bands.json"));
    const Architecture& a7 = models.require("llama2-7b").arch;
    const Architecture& a8 = models.require("llama3.1-8b").arch;
    const Architecture& a70 = models.require("llama3.1-70b").arch;
    const Architecture& a405 = models.require("llama3.1-405b").arch;
    const Partition& leo = hw.require_partition("leonardo-booster");

    // Baseline 1: the closed form (fixed code).
    TrainingSetup s;
    s.layout.tp = 4;
    s.layout.pp = 4;
    s.gbs = 512;
    s.tokens = 2e12;
    const double P = count_params(a70).total;
    double closed = seconds_per_call([&] {
        double sbh = double(s.seq) * s.mbs * a70.hidden;
        sink = 18 * P / (s.layout.tp * s.layout.pp) + sbh * (10 + 24.0 / s.layout.tp) * a70.layers;
    }, 2'000'000);

    // Baseline 2, the unit: one simple dense 1-GPU evaluation.
    TrainingSetup s1;
    s1.gbs = 1;
    Target t1 = target_for(hw.require_gpu("nvidia-a100-sxm4-80gb"), 1, 1);
    double unit = seconds_per_call([&] { sink = estimate(a7, s1, t1).mem.total; }, 500'000);

    Target t = target_for(hw.gpu_of(leo), leo.gpus_per_node, 32);
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

    TrainingSetup sw;  // fit's defaults, as `aifactory fit --model M --where` runs them
    double where8 = seconds_per_call([&] { sink = where_all(a8, sw, hw, bands); }, 50);
    double where70 = seconds_per_call([&] { sink = where_all(a70, sw, hw, bands); }, 50);
    TrainingSetup s405;
    s405.recompute = Recompute::Full;
    s405.dist_opt = true;
    s405.seq = 8192;
    s405.gbs = 1024;
    double where405 = seconds_per_call([&] { sink = where_all(a405, s405, hw, bands); }, 50);

    const std::size_t np = hw.partitions().size();
    auto row = [&](const char* what, double sec, double scale, const char* unit_name, double target) {
        std::printf("%-44s %9.3f %s %10.1fx %10.1fx", what, sec * scale, unit_name, sec / closed, sec / unit);
        if (target > 0) std::printf("   %5.2f of target", sec / target);
        std::printf("\n");
    };
    std::printf("%-44s %12s %11s %11s\n", "benchmark", "time", "x closed", "x unit");
    row("baseline: closed form (18 B/param + act.)", closed, 1e9, "ns", 0);
    row("unit: estimate, llama2-7b on 1 A100 80GB", unit, 1e6, "us", 0);
    row("memory_only (search hot path), 70B", mem, 1e6, "us", 0);
    row("one evaluation: estimate, 70B tp4 pp4 32 GPUs", eval, 1e6, "us", 2e-6);
    row("sbatch check, rejected 70B job with fixes", reject, 1e3, "ms", 0);
    char label[96];
    std::snprintf(label, sizeof label, "--where llama3.1-8b, %zu partitions", np);
    row(label, where8, 1e3, "ms", 5e-3);
    std::snprintf(label, sizeof label, "--where llama3.1-70b, %zu partitions", np);
    row(label, where70, 1e3, "ms", 5e-3);
    std::snprintf(label, sizeof label, "--where llama3.1-405b (full AC), %zu part.", np);
    row(label, where405, 1e3, "ms", 5e-3);
    const double where_worst = std::max(where8, std::max(where70, where405));
    return eval <= 2e-6 && where_worst <= 5e-3 ? 0 : 1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/search.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "calc/site_model.hpp"
#include "calc/throughput.hpp"

namespace aif::calc {

Target target_for(const GpuModel& g, int gpus_per_node, int gpus, double headroom) {
    Target t;
    t.memory_bytes = g.memory_bytes;
    t.peak_flops = g.bf16_flops;
    t.fp8_flops = g.fp8_flops;
    t.fp8_gemm_non_tn = g.fp8_gemm_non_tn;
    t.mfu_prior = g.mfu_prior;
    t.tdp_w = g.tdp_w;
    t.gpus = gpus;
    t.gpus_per_node = gpus_per_node;
    t.headroom = headroom;
    return t;
}

namespace {

std::vector<int> divisors(long n, long limit) {
    std::vector<int> d;
    for (long i = 1; i <= n && i <= limit; ++i)
        if (n % i == 0) d.push_back(static_cast<int>(i));
    return d;
}

// Candidate layouts: TP within a node, PP up to 32 (layers spread as evenly as possible), CP for
// long sequences, EP for MoE.
std::vector<Layout> candidate_layouts(const Architecture& a, const TrainingSetup& s, int gpus_per_node) {
    std::vector<Layout> out;
    const long kv = a.kv_heads > 0 ? a.kv_heads : a.heads;
    std::vector<int> cps{1};
    if (s.seq >= 32768)
        for (int c : {2, 4, 8, 16})
            if (s.seq % c == 0) cps.push_back(c);
    std::vector<int> eps{1};
    if (a.is_moe()) eps = divisors(a.experts, 64);
    for (int tp : divisors(a.heads, gpus_per_node)) {
        if (!a.mla.enabled() && kv % tp != 0 && tp % kv != 0) continue;
        // The optimizer in backward steps every micro-batch: no pipeline (check_modes).
        for (int pp = 1; pp <= (s.optim_in_backward ? 1 : 32) && pp <= a.layers; ++pp)
            for (int cp : cps)
                for (int ep : eps) {
                    Layout l;
                    l.tp = tp;
                    l.pp = pp;
                    l.cp = cp;
                    l.ep = ep;
                    l.sp = tp > 1 && s.framework == Framework::Megatron;
                    l.vpp = (s.layout.vpp > 1 && pp > 1 && a.layers >= long(pp) * s.layout.vpp) ? s.layout.vpp : 1;
                    out.push_back(l);
                }
    }
    return out;
}

// For ranking layouts at equal GPU count (not for the time estimate): pipeline bubble, the pace of
// the stage with the most layers, and the communication cost of wide TP/CP. A heuristic,
// documented in docs/calculator.md.
double layout_efficiency(const Layout& l, long layers, long micro_batches) {
    const double m = std::max(1L, micro_batches);
    const double bubble = m / (m + double(l.pp - 1) / l.vpp);
    const double balance = double(layers) / l.pp / double(stage_layers(l, layers, 0));
    return bubble * balance * (1.0 - 0.03 * std::log2(double(l.tp))) * (1.0 - 0.05 * std::log2(double(l.cp)));
}

struct Probe {
    const Architecture& a;
    const ParamCount& p;
    const TrainingSetup& s;
    const Target& t;

    // Valid DP for this layout at `gpus`, and whether the estimate fits: the upper end of its
    // band, so that what the search offers is safe (verdict fits).
    bool valid(const Layout& l, int gpus) const {
        const int mp = l.tp * l.pp * l.cp;
        if (gpus % mp) return false;
        const int dp = gpus / mp;
        if (l.ep > 1) {
            TrainingSetup with = s;
            with.layout = l;
            if ((long(dp) * l.cp * l.tp) % (long(l.ep) * with.expert_tp())) return false;
        }
        if (s.gbs > 0 && s.gbs % (s.mbs * dp)) return false;
        if (s.optim_in_backward && s.gbs > 0 && s.gbs != s.mbs * dp) return false;  // no accumulation
        return true;
    }
    bool fits(TrainingSetup& trial, int gpus) const {
        trial.fp8_gemm_non_tn = t.fp8_gemm_non_tn;
        MemoryBreakdown mb = memory_only(a, p, trial, gpus, t.gpus_per_node);
        apply_site_correction(mb, t);
        return t.needed_hi(mb.total) <= t.usable();
    }
};

bool faster(const Estimate& x, const Estimate& y) {
    const long layers = x.params.dense_layers + x.params.moe_layers;
    double ex = layout_efficiency(x.layout, layers, x.micro_batches),
           ey = layout_efficiency(y.layout, layers, y.micro_batches);
    if (std::fabs(ex - ey) > 1e-9) return ex > ey;
    return x.mem.total < y.mem.total;
}

}  // namespace

std::vector<Estimate> fitting_layouts(const Architecture& a, const TrainingSetup& s, const Target& at) {
    std::vector<Estimate> out;
    const ParamCount p = count_params(a);
    Probe probe{a, p, s, at};
    TrainingSetup trial = s;
    for (const Layout& l : candidate_layouts(a, s, std::max(1, at.gpus_per_node))) {
        trial.layout = l;
        if (!probe.valid(l, at.gpus) || !probe.fits(trial, at.gpus)) continue;
        out.push_back(estimate(a, trial, at));
    }
    std::stable_sort(out.begin(), out.end(), faster);
    return out;
}

SearchResult smallest_fit(const Architecture& a, const TrainingSetup& s, const Target& per_gpu,
                          const SearchLimits& limits) {
    SearchResult result;
    const ParamCount p = count_params(a);
    const int gpn = std::max(1, per_gpu.gpus_per_node);
    const long max_nodes = limits.max_nodes > 0 ? limits.max_nodes : 4096;
    Probe probe{a, p, s, per_gpu};
    std::vector<Layout> layouts = limits.keep_layout ? std::vector<Layout>{s.layout} : candidate_layouts(a, s, gpn);

    struct Found {
        Layout layout;
        long nodes;
    };
    std::vector<Found> found;
    long best_nodes = max_nodes + 1;
    TrainingSetup trial = s;
    for (const Layout& l : layouts) {
        trial.layout = l;
        const int mp = l.tp * l.pp * l.cp;
        const long step = mp / std::gcd(mp, gpn);  // nodes must be a multiple of this
        const long hi_steps = std::min(max_nodes, best_nodes) / step;
        if (hi_steps < 1) continue;
        if (!probe.fits(trial, static_cast<int>(hi_steps * step * gpn))) continue;
        // Memory falls as DP grows (sharded states, fewer micro-batches in flight): bisect.
        long lo = 1, hi = hi_steps;
        if (!probe.fits(trial, static_cast<int>(step * gpn))) {
            while (hi - lo > 1) {
                long mid = (lo + hi) / 2;
                (probe.fits(trial, static_cast<int>(mid * step * gpn)) ? hi : lo) = mid;
            }
        } else {
            hi = 1;
        }
        for (long k = hi; k <= hi_steps; ++k) {  // the first node count whose DP suits the batch
            if (!probe.valid(l, static_cast<int>(k * step * gpn))) continue;
            long nodes = k * step;
            if (nodes < best_nodes) best_nodes = nodes;
            found.push_back({l, nodes});
            break;
        }
    }
    if (found.empty()) return result;
    for (const Found& f : found) {
        if (f.nodes != best_nodes) continue;
        trial.layout = f.layout;
        Target t = per_gpu;
        t.gpus = static_cast<int>(f.nodes * gpn);
        result.ranked.push_back(estimate(a, trial, t));
    }
    std::stable_sort(result.ranked.begin(), result.ranked.end(), faster);
    result.best = result.ranked.front();
    return result;
}

}  // namespace aif::calc

// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "calc/modes.hpp"
#include "calc/site_model.hpp"
#include "calc/throughput.hpp"
#include "common/error.hpp"

namespace aif::calc {

const char* name(Verdict v) {
    switch (v) {
        case Verdict::Fits: return "fits";
        case Verdict::MayNotFit: return "may-not-fit";
        case Verdict::DoesNotFit: return "does-not-fit";
    }
    return "?";
}

const char* name(PeakMoment m) {
    switch (m) {
        case PeakMoment::Loss: return "loss";
        case PeakMoment::BlockBackward: return "block-backward";
        case PeakMoment::BackwardEnd: return "backward-end";
        case PeakMoment::OptimizerStep: return "optimizer-step";
    }
    return "?";
}

Verdict verdict_for(double total_lo, double total_hi, double capacity) {
    if (total_hi <= capacity) return Verdict::Fits;
    return total_lo > capacity ? Verdict::DoesNotFit : Verdict::MayNotFit;
}

const char* Estimate::dominant() const {
    struct Term {
        const char* name;
        double bytes;
    } terms[] = {{"weights", mem.weights},         {"gradients", mem.gradients},
                 {"optimizer states", mem.optimizer}, {"activations", mem.activations},
                 {"logits", mem.logits},           {"buffers", mem.buffers}};
    return std::max_element(std::begin(terms), std::end(terms),
                            [](const Term& x, const Term& y) { return x.bytes < y.bytes; })
        ->name;
}

// Every pipeline stage holds at least one layer per virtual stage (Megatron-Core refuses empty
// stages); the layers need not divide evenly (first=/last= or an even spread).
static void check_stages(const Architecture& a, const Layout& l) {
    auto fail = [](const std::string& m) { throw InputError(m); };
    const std::string L = std::to_string(a.layers);
    if ((l.first > 0 || l.last > 0) && l.pp == 1) fail("--layout: first=/last= need pp > 1");
    if (l.etp > 0 && !a.is_moe())
        fail("--layout: etp=" + std::to_string(l.etp) + " needs a mixture-of-experts model");
    const long given = (l.pp > 1 ? l.first + l.last : 0);
    const int given_stages = (l.pp > 1 && l.first > 0) + (l.pp > 1 && l.last > 0);
    const long middle = a.layers - given, middle_stages = l.pp - given_stages;
    if (given > a.layers || (middle_stages == 0 && middle != 0) || (middle_stages > 0 && middle < middle_stages * long(l.vpp)))
        fail("--layout: first=" + std::to_string(l.first) + ",last=" + std::to_string(l.last) + " leave " +
             std::to_string(middle) + " of the " + L + " layers for " + std::to_string(middle_stages) +
             " other pipeline stages; each needs at least " + std::to_string(l.vpp) + " layer" +
             (l.vpp > 1 ? "s (one per virtual stage)" : ""));
    if (given_stages == 0 && a.layers < long(l.pp) * l.vpp)
        fail("--layout: pp=" + std::to_string(l.pp) + (l.vpp > 1 ? " x vpp=" + std::to_string(l.vpp) : "") +
             " needs at least that many layers; the model has " + L);
    if ((l.first > 0 && l.first < l.vpp) || (l.last > 0 && l.last < l.vpp))
        fail("--layout: first=/last= need at least vpp=" + std::to_string(l.vpp) + " layers");
}

static std::string divisors_up_to(long n, long limit) {
    std::string s;
    for (long d = 1; d <= n && d <= limit; ++d)
        if (n % d == 0) s += (s.empty() ? "" : ",") + std::to_string(d);
    return s;
}

void check_layout(const Architecture& a, const TrainingSetup& s, int gpus) {
    const Layout& l = s.layout;
    auto fail = [](const std::string& m) { throw InputError(m); };
    if (gpus < 1) fail("--gpus: need at least one GPU");
    if (l.tp < 1 || l.pp < 1 || l.cp < 1 || l.ep < 1 || l.vpp < 1) fail("--layout: sizes must be at least 1");
    const int mp = l.tp * l.pp * l.cp;
    if (gpus % mp != 0)
        fail("--layout: " + std::to_string(gpus) + " GPUs are not divisible by tp x pp x cp = " +
             std::to_string(mp) + "; use a multiple of " + std::to_string(mp) + " GPUs or change the layout");
    if (a.heads % l.tp != 0)
        fail("--layout: tp=" + std::to_string(l.tp) + " does not divide the " + std::to_string(a.heads) +
             " attention heads; use tp in {" + divisors_up_to(a.heads, 64) + "}");
    const long kv = a.kv_heads > 0 ? a.kv_heads : a.heads;
    if (!a.mla.enabled() && kv % l.tp != 0 && l.tp % kv != 0)
        fail("--layout: tp=" + std::to_string(l.tp) + " does not suit the " + std::to_string(kv) +
             " KV heads; use a divisor or a multiple of " + std::to_string(kv));
    if (l.vpp > 1 && l.pp == 1) fail("--layout: vpp needs pp > 1");
    check_stages(a, l);
    if (s.seq % l.cp != 0) fail("--layout: cp=" + std::to_string(l.cp) + " does not divide --seq " + std::to_string(s.seq));
    const int dp = gpus / mp;
    if (l.ep > 1) {
        if (!a.is_moe()) fail("--layout: ep=" + std::to_string(l.ep) + " needs a mixture-of-experts model");
        if (a.experts % l.ep != 0)
            fail("--layout: ep=" + std::to_string(l.ep) + " does not divide the " + std::to_string(a.experts) + " experts");
        const int etp = s.expert_tp();
        if ((long(dp) * l.cp * l.tp) % (long(l.ep) * etp) != 0)
            fail("--layout: ep=" + std::to_string(l.ep) + (etp > 1 ? " x etp=" + std::to_string(etp) : "") +
                 " needs dp x cp x tp (" + std::to_string(dp * l.cp * l.tp) + ") to be a multiple of it");
    }
    if (s.gbs > 0 && s.gbs % (s.mbs * dp) != 0)
        fail("--gbs: global batch " + std::to_string(s.gbs) + " is not a multiple of micro-batch " +
             std::to_string(s.mbs) + " x " + std::to_string(dp) + " data-parallel ranks");
    if (s.zero == 3 && l.pp > 1 && s.framework == Framework::DeepSpeed)
        fail("--zero: DeepSpeed ZeRO-3 does not combine with pipeline parallelism; use --zero 1 or pp=1");
    check_modes(a, s, dp);
}

Estimate estimate(const Architecture& a, const TrainingSetup& s, const Target& t) {
    check_layout(a, s, t.gpus);
    Estimate e;
    e.params = count_params(a);
    e.layout = s.layout;
    e.gpus = t.gpus;
    e.nodes = (t.gpus + t.gpus_per_node - 1) / std::max(1, t.gpus_per_node);
    e.dp = t.gpus / s.layout.model_parallel();
    e.micro_batches = s.gbs > 0 ? s.gbs / (s.mbs * e.dp) : 1;
    TrainingSetup on_gpu = s;
    on_gpu.fp8_gemm_non_tn = t.fp8_gemm_non_tn;
    e.mem = memory_only(a, e.params, on_gpu, t.gpus, t.gpus_per_node);
    apply_site_correction(e.mem, t);
    e.activation_scale = t.activation_scale;
    e.overhead_scale = t.overhead_scale;
    e.site_jobs = t.site_jobs;
    e.capacity = t.usable();
    e.total_lo = t.needed_lo(e.mem.total);
    e.total_hi = t.needed_hi(e.mem.total);
    e.verdict = verdict_for(e.total_lo, e.total_hi, e.capacity);
    fill_throughput(e, a, s, t);
    return e;
}

}  // namespace aif::calc

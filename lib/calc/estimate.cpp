// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <string>

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
    if (a.layers % (long(l.pp) * l.vpp) != 0)
        fail("--layout: pp=" + std::to_string(l.pp) + (l.vpp > 1 ? " x vpp=" + std::to_string(l.vpp) : "") +
             " does not divide the " + std::to_string(a.layers) + " layers; use pp in {" +
             divisors_up_to(a.layers, 128) + "}");
    if (l.vpp > 1 && l.pp == 1) fail("--layout: vpp needs pp > 1");
    if (s.seq % l.cp != 0) fail("--layout: cp=" + std::to_string(l.cp) + " does not divide --seq " + std::to_string(s.seq));
    const int dp = gpus / mp;
    if (l.ep > 1) {
        if (!a.is_moe()) fail("--layout: ep=" + std::to_string(l.ep) + " needs a mixture-of-experts model");
        if (a.experts % l.ep != 0)
            fail("--layout: ep=" + std::to_string(l.ep) + " does not divide the " + std::to_string(a.experts) + " experts");
        if ((long(dp) * l.cp * l.tp) % l.ep != 0)
            fail("--layout: ep=" + std::to_string(l.ep) + " needs dp x cp x tp (" + std::to_string(dp * l.cp * l.tp) +
                 ") to be a multiple of it");
    }
    if (s.gbs > 0 && s.gbs % (s.mbs * dp) != 0)
        fail("--gbs: global batch " + std::to_string(s.gbs) + " is not a multiple of micro-batch " +
             std::to_string(s.mbs) + " x " + std::to_string(dp) + " data-parallel ranks");
    if (s.zero == 3 && l.pp > 1 && s.framework == Framework::DeepSpeed)
        fail("--zero: DeepSpeed ZeRO-3 does not combine with pipeline parallelism; use --zero 1 or pp=1");
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
    e.mem = memory_only(a, e.params, s, t.gpus, t.gpus_per_node);
    e.capacity = t.usable();
    e.total_lo = t.needed_lo(e.mem.total);
    e.total_hi = t.needed_hi(e.mem.total);
    e.verdict = verdict_for(e.total_lo, e.total_hi, e.capacity);
    fill_throughput(e, a, s, t);
    return e;
}

}  // namespace aif::calc

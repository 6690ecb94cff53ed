// SPDX-License-Identifier: GPL-2.0-or-later
// Sources (docs/calculator.md "FSDP under pipeline parallelism"):
// - torchtitan 9dec370 torchtitan/parallelisms/parallelize_llama.py apply_fsdp, and e7c0cae
//   torchtitan/models/llama3/parallelize_llama.py apply_fsdp (fsdp_reshard_after_forward
//   "default"): reshard_after_forward=False for every block and the root when pp is enabled;
//   training.mixed_precision_reduce = float32 (the only choice) in config_manager.py.
// - torch/distributed/pipelining/stage.py backward_maybe_with_nosync: set_requires_gradient_sync,
//   set_reshard_after_backward and set_is_last_backward False for every backward, FSDP's
//   post_backward run by hand after the last micro-batch.
// - torch/distributed/fsdp/_fully_shard/_fsdp_param.py (torch/distributed/_composable/fsdp/ in
//   older releases) FSDPParam.to_accumulated_grad_if_needed /
//   accumulate_unsharded_grad_if_needed: without gradient sync the unsharded gradient is kept as
//   unsharded_accumulated_grad in the reduce dtype when it differs from the param dtype.
// - torch/distributed/pipelining/schedules.py Schedule1F1B._step_microbatches (warm-up
//   min(m, stages - stage_index), then backward, forward) and ScheduleInterleaved1F1B
//   _calculate_single_rank_operations (warm-up (v - 1) x round + 2 (pp - 1 - rank), capped at
//   v m; then forward, backward; backwards walk the local stages from the last).
#include "calc/fsdp_pipeline.hpp"

#include <algorithm>
#include <string_view>

namespace aif::calc {

bool fsdp_keeps_stage_unsharded(const TrainingSetup& s, const FrameworkProfile& fp, double shard) {
    return std::string_view(fp.family) == "torchtitan" && s.fsdp != Fsdp::Off && s.layout.pp > 1 && shard > 1 &&
           s.lora_rank == 0;
}

UnshardedStageBytes unsharded_stage_bytes(const TrainingSetup& s) {
    // mixed_precision_param bf16 (fp8 training too: float8 all-gather is off by default, so the
    // gathered Float8Linear weights are bf16; MXFP8 too: torchtitan's MX converter swaps the linear
    // modules only, components/quantization/mx.py at 6fc499f6f and b5bcd76); reduce dtype fp32.
    return {s.precision == Precision::FP32 ? 4.0 : 2.0, 4.0};
}

PipelinePeak torch_pipeline_peak(const Layout& l, int rank, long m, double activations, double grad_bytes,
                                 double loss_bytes) {
    const long v = std::max(1, l.vpp), pp = std::max(1, l.pp), total = v * std::max(1L, m);
    // Micro-batches per round of the interleaved schedule (m // (m // pp) when m >= pp).
    const long round = v == 1 ? total : std::max(1L, m) / std::max(1L, std::max(1L, m) / pp);
    const long warmup = v == 1 ? std::min<long>(m, pp - rank)
                               : std::min(total, (v - 1) * round + 2 * (pp - 1 - rank));
    const long steady = total - warmup;  // forwards after the warm-up
    // The most model chunks held once b backwards are done: Schedule1F1B's loop runs backward then
    // forward, the interleaved steady phase forward then backward (one more chunk in between).
    auto held = [&](long b) -> long {
        if (v == 1) return b <= steady ? warmup : warmup - (b - steady);
        return b < steady ? warmup + 1 : warmup - (b - steady);
    };
    // A forward runs next to backward b while forwards are left: Schedule1F1B's loop does b's
    // forward after it (b <= steady), the interleaved steady phase before it (b < steady).
    auto forward_with = [&](long b) { return b == 0 || (v == 1 ? b <= steady : b < steady); };
    // Held chunks only fall as backwards are done and gradients only grow, by one local stage at
    // the first backward of each: the peak is at b = 0 or at one of those.
    PipelinePeak best{double(held(0)) / v, 0, true};
    double best_bytes = activations * best.held + loss_bytes;
    for (long t = 0; t < v; ++t) {
        const long b = t * round + 1;
        if (b > total) break;
        const PipelinePeak p{double(held(b)) / v, double(t + 1) / v, forward_with(b)};
        const double bytes = activations * p.held + grad_bytes * p.share + (p.loss ? loss_bytes : 0);
        if (bytes > best_bytes) best = p, best_bytes = bytes;
    }
    return best;
}

}  // namespace aif::calc

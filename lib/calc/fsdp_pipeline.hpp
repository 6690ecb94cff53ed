// SPDX-License-Identifier: GPL-2.0-or-later
// torchtitan's FSDP2 under pipeline parallelism: what a stage keeps for the whole step, and the
// moment of the step at which held activations plus accumulated gradients peak.
// docs/calculator.md "FSDP under pipeline parallelism".
#pragma once
#include "calc/profiles.hpp"
#include "calc/training.hpp"

namespace aif::calc {

// torchtitan with FSDP2 sharding (over `shard` > 1 GPUs) and pp > 1. Then apply_fsdp passes
// reshard_after_forward=False for every block and the root (so each stage's parameters, the
// root's embeddings/norm/output included, stay unsharded after the first forward), and
// torch.distributed.pipelining turns gradient sync off for all but the last micro-batch, so FSDP2
// accumulates unsharded gradients. A separate "root unit kept unsharded" term must not be added
// on top when this holds: it is part of the stage's parameters here.
bool fsdp_keeps_stage_unsharded(const TrainingSetup& s, const FrameworkProfile& fp, double shard);

// Bytes per parameter of that state: the unsharded copy in the param dtype (bf16, fp32 when
// training in fp32) and the accumulated gradient in the reduce dtype (fp32).
struct UnshardedStageBytes {
    double weights = 0, grads = 0;
};
UnshardedStageBytes unsharded_stage_bytes(const TrainingSetup& s);

// The peak of `activations x held + grad_bytes x share (+ loss_bytes while a loss is alive)` over
// one step of pipeline rank `rank`, following torch.distributed.pipelining's op order
// (Schedule1F1B for vpp 1, ScheduleInterleaved1F1B otherwise). `held` counts micro-batches of the
// rank's whole layer set (model chunks / vpp); `share` the fraction of its parameters whose
// gradient has been made (a local stage has one after its first backward; the last local stage
// goes first); `loss_bytes` is the last rank's loss peak (0 elsewhere), alive at a moment only if
// a forward (with its loss) runs there: not after the last forward.
struct PipelinePeak {
    double held = 0;    // micro-batches of activations held at the peak
    double share = 0;   // fraction of the rank's parameters with an accumulated gradient then
    bool loss = true;   // a forward's loss is alive then
};
PipelinePeak torch_pipeline_peak(const Layout& l, int rank, long micro_batches, double activations,
                                 double grad_bytes, double loss_bytes = 0);

}  // namespace aif::calc

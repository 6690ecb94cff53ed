// SPDX-License-Identifier: GPL-2.0-or-later
// Per-GPU memory breakdown, verdict, throughput and time for one training configuration.
#pragma once
#include "calc/model.hpp"
#include "calc/training.hpp"

namespace aif::calc {

// What the job runs on. `memory_bytes` is the device total the runtime reports.
struct Target {
    double memory_bytes = 0;
    double peak_flops = 0;  // dense BF16 (FP8 runs use fp8_flops when the GPU has it)
    double fp8_flops = 0;
    bool fp8_gemm_non_tn = false;  // GpuModel::fp8_gemm_non_tn
    double mfu_prior = 0.40;
    double tdp_w = 0;
    int gpus = 1;
    int gpus_per_node = 1;
    double headroom = 0.0;  // fraction of memory the site keeps free (aifactory.conf Headroom=)
    // The profile's error band (calc/bands.hpp), residuals predicted / measured - 1: the job
    // needs between total/(1+band_hi) and total/(1+band_lo). 0, 0: no band.
    double band_lo = 0, band_hi = 0;
    // The site's calibration of this profile on this GPU (calc/site_model.hpp): multipliers on
    // the activation and overhead terms, and the jobs they were fitted on (0: none applied).
    double activation_scale = 1.0, overhead_scale = 1.0;
    int site_jobs = 0;
    double needed_hi(double total) const { return total / (1.0 + band_lo); }
    double needed_lo(double total) const { return total / (1.0 + band_hi); }
    double usable() const { return memory_bytes * (1.0 - headroom); }
};

// Bytes per GPU on the worst pipeline stage. allocated/reserved/total follow the three counters
// people read: the PyTorch allocator peak, reserved with fragmentation, and nvidia-smi.
// The loss's backward; the end of backward (every gradient made, the loss freed); the optimizer
// step (foreach AdamW's temporary beside every gradient).
// BlockBackward: a layer's backward after the loss has freed its tensors, beside what it rebuilds
// (full recompute) or replays (torchtitan's op SAC) and its gradients.
enum class PeakMoment { Loss, BlockBackward, BackwardEnd, OptimizerStep };
const char* name(PeakMoment);  // "loss", "block-backward", "backward-end", "optimizer-step"

// The lines of a breakdown that differ between those moments.
struct PeakLines {
    double gradients = 0, activations = 0, logits = 0, buffers = 0;
    double sum() const { return gradients + activations + logits + buffers; }
};

struct MemoryBreakdown {
    double weights = 0, gradients = 0, optimizer = 0, activations = 0, logits = 0;
    double buffers = 0;       // temporaries inside the allocator: comm buckets, gathered ZeRO-3 units
    double allocated = 0;     // what torch.cuda.max_memory_allocated() would report
    double reserved = 0;      // allocated + fragmentation
    double cuda_context = 0;  // outside the allocator
    double comm = 0;          // NCCL/RCCL buffers, outside the allocator
    double total = 0;         // what nvidia-smi would show: reserved + context + comm
    const char* stage = "only";  // pipeline stage these figures are for: "only", "first", "middle" or "last"
    int rank = 0;                // its pipeline rank
    long layers = 0;             // transformer layers on it
    // When the peak happens: at the loss, or at a layer's backward after it; loops that free the
    // gradients between steps (calc/memory.cpp, gradient moments) at the end of backward or at the
    // optimizer step instead.
    PeakMoment moment = PeakMoment::Loss;
    PeakLines at_loss;  // when the moment is not the loss's: its lines there (a site's activation scale may tip it)
    PeakLines at_block;  // when it is the loss's and a layer's backward after it competes: that moment's lines

    PeakLines lines() const { return {gradients, activations, logits, buffers}; }
    void set_lines(const PeakLines& l) { gradients = l.gradients, activations = l.activations, logits = l.logits, buffers = l.buffers; }
};

// Against usable memory, with the band: fits (even the upper end fits), may not fit (the band
// straddles usable memory), does not fit (even the lower end exceeds it). Older producers wrote
// "tight" where a prediction was within 10% of capacity; records keep it as they were sent.
enum class Verdict { Fits, MayNotFit, DoesNotFit };
const char* name(Verdict);  // "fits", "may-not-fit", "does-not-fit"
Verdict verdict_for(double total_lo, double total_hi, double capacity);

struct Estimate {
    ParamCount params;
    Layout layout;
    int gpus = 0, nodes = 0, dp = 0;
    long micro_batches = 1;  // per optimizer step, per pipeline
    MemoryBreakdown mem;
    double total_lo = 0, total_hi = 0;  // mem.total's band (bytes), from Target::band_*
    double capacity = 0;  // usable bytes per GPU after the site's headroom
    Verdict verdict = Verdict::DoesNotFit;
    double flops_per_token = 0;     // model FLOPs (6N + attention), what MFU is measured against
    double hw_flops_per_token = 0;  // with recomputation counted
    double tokens_per_s = 0;        // whole job
    double bubble = 0;              // pipeline bubble: idle time / compute time, (pp-1)/(m vpp)
    double train_hours = 0, gpu_hours = 0, node_hours = 0, energy_kwh = 0;  // 0 without --tokens
    double mfu = 0;
    double activation_scale = 1.0, overhead_scale = 1.0;  // the site correction applied (Target's)
    int site_jobs = 0;                                    // jobs it was fitted on; 0: none

    const char* dominant() const;  // largest memory term: "activations", "optimizer", ...
};

// Throws InputError when the layout does not suit the model or the GPU count, saying what to change.
void check_layout(const Architecture& a, const TrainingSetup& s, int gpus);

Estimate estimate(const Architecture& a, const TrainingSetup& s, const Target& t);

// Same, without validation or time: the hot path of the search (no allocation, no exceptions).
// First and last pipeline stage (the same with pp = 1): activations peak on the first, the LM
// head and logits sit on the last. Megatron logs the last rank's memory. `worst` is the stage
// with the most memory, which with uneven stages may be a middle one.
struct StageMemory {
    MemoryBreakdown first, last, worst;
};
StageMemory memory_by_stage(const Architecture& a, const ParamCount& p, const TrainingSetup& s, int gpus,
                            int gpus_per_node);

// The worst stage. `gpus_per_node` bounds FSDP hybrid sharding; `layout` must already be valid for `gpus`.
MemoryBreakdown memory_only(const Architecture& a, const ParamCount& p, const TrainingSetup& s,
                            int gpus, int gpus_per_node);

// One micro-batch's stored activations for one layer on one GPU (no recompute: Korthikanti's
// sbh(10 + 24/t) + 5as^2b/t for a GPT layer with dropout, f = 4h, no flash attention).
double activation_bytes_per_layer(const Architecture& a, const TrainingSetup& s, bool moe_layer);


}  // namespace aif::calc

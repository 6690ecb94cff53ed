// SPDX-License-Identifier: GPL-2.0-or-later
// Per-GPU memory of one training configuration: model states, activations, logits, buffers,
// and what lives outside the PyTorch allocator. Formulas: docs/calculator.md (feasibility §2).
#include <algorithm>
#include <cmath>

#include "calc/activations_torch.hpp"
#include "calc/estimate.hpp"
#include "calc/profiles.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

// Bytes per parameter before sharding (feasibility §2.2). `accum` is an fp32 gradient copy that
// DeepSpeed keeps beside the low-precision gradients.
struct StateBytes {
    double weights = 0, grads = 0, accum = 0, master = 0, optim = 0;
};

double optimizer_state_bytes(Optimizer o) {
    switch (o) {
        case Optimizer::AdamW: return 8;      // fp32 m and v
        case Optimizer::AdamW8bit: return 2;  // 8-bit m and v
        case Optimizer::SGD: return 4;        // fp32 momentum
    }
    return 8;
}

StateBytes state_bytes(const TrainingSetup& s) {
    StateBytes b;
    const double opt = optimizer_state_bytes(s.optimizer);
    const int stage = s.shard_stage();
    if (s.precision == Precision::FP32) {
        b = {4, 4, 0, 0, opt};
    } else if (s.framework == Framework::Megatron) {
        // bf16 params, fp32 main grads, fp32 main params; fp16 keeps fp16 grads plus an fp32 copy.
        if (s.precision == Precision::FP16)
            b = {2, 2, 4, 4, opt};
        else
            b = {2, 4, 0, 4, opt};
        if (s.precision == Precision::FP8) b.weights += 1;  // TransformerEngine's cached fp8 weights
    } else if (s.framework == Framework::DeepSpeed || (s.framework == Framework::HF && s.zero > 0)) {
        // DeepSpeed's own accounting: 4P + 16P/N for ZeRO-1/2, 18P/N for ZeRO-3 (feasibility §1.2).
        if (stage >= 3)
            b = {2, 0, 4, 4, opt};
        else
            b = {2, 2, 4, 4, opt};
    } else {
        // PyTorch autocast (FSDP2/torchtitan, HF Trainer): fp32 params and grads, no master copy.
        b = {4, 4, 0, 0, opt};
    }
    if (s.offload_optimizer) {
        b.master = b.optim = b.accum = 0;
        if (s.framework == Framework::DeepSpeed) b.grads = 0;  // grads stream to the CPU too
    }
    return b;
}

// Parameters on one GPU of a pipeline stage, split by how they shard.
struct StageParams {
    double dense = 0;   // divided by TP
    double expert = 0;  // divided by EP x expert-TP
    double layer_max = 0;  // largest layer on this GPU, for ZeRO-3/FSDP gathering
    long layers = 0, moe_layers = 0;
};

// MoE layers among [first, last): layers from first_dense on, every moe_freq-th.
long moe_layers_in(const Architecture& a, long first, long last) {
    if (!a.is_moe()) return 0;
    const long step = std::max(1L, a.moe_freq);
    auto upto = [&](long end) {  // MoE layers in [0, end)
        return end <= a.first_dense ? 0 : (end - a.first_dense + step - 1) / step;
    };
    return upto(last) - upto(first);
}

StageParams stage_params(const Architecture& a, const ParamCount& p, const Layout& l, int expert_tp,
                         long first, long last, bool has_embedding, bool has_head) {
    StageParams sp;
    sp.layers = last - first;
    sp.moe_layers = moe_layers_in(a, first, last);
    const long dense_layers = sp.layers - sp.moe_layers;
    sp.dense = dense_layers * p.layer_dense() +
               sp.moe_layers * (p.attention + p.layer_norms + p.shared_experts + p.router);
    sp.expert = sp.moe_layers * p.routed_experts;
    if (has_embedding) sp.dense += p.embedding;
    if (has_head) sp.dense += p.final_norm + (a.tied ? (has_embedding ? 0 : p.embedding) : p.lm_head);
    sp.dense /= l.tp;
    sp.expert /= double(l.ep) * expert_tp;
    const double moe_layer = (p.attention + p.layer_norms + p.shared_experts + p.router) / l.tp +
                             p.routed_experts / (double(l.ep) * expert_tp);
    sp.layer_max = std::max(p.layer_dense() / l.tp, sp.moe_layers ? moe_layer : 0.0);
    return sp;
}

// torchtitan's tensor parallelism always shards the norms' activations along the sequence.
bool sequence_parallel(const TrainingSetup& s) {
    return s.layout.tp > 1 && (s.layout.sp || s.framework == Framework::FSDP);
}

// Bytes of activations one micro-batch leaves on one GPU for one layer (feasibility §2.4).
double layer_bytes(const Architecture& a, const TrainingSetup& s, bool moe_layer,
                              const FrameworkProfile& fp) {
    const Layout& l = s.layout;
    if (torch_block_applies(a, s, fp, moe_layer)) {
        const TorchBlockRun run{s.recompute, torch_compiled(s, fp), s.precision == Precision::FP8, fp.sac_saves_abs,
                                l.tp, s.ac_every, a.layers};
        return double(s.seq) / l.cp * s.mbs * torch_block_bytes_per_token(a, run);
    }
    const double t = l.tp;
    const double sbh = double(s.seq) / l.cp * s.mbs * a.hidden;
    const double kv_ratio = a.mla.enabled() ? 1.0 : double(a.kv_heads > 0 ? a.kv_heads : a.heads) / a.heads;
    // Two norm inputs, QKV input, MLP input (bf16), plus two 1-byte dropout masks when trained with dropout.
    const double replicated = a.dropout ? 10 : 8;
    const double attention = 4 + 4 * kv_ratio;
    const double per_ffn = a.gated ? 6.0 : 4.0;
    double mlp;
    if (moe_layer) {
        const double shared_ffn = a.shared_ffn > 0 ? a.shared_ffn : a.expert_ffn;
        mlp = a.topk * (per_ffn * a.expert_ffn / a.hidden + 2) + a.shared_experts * per_ffn * shared_ffn / a.hidden + 2;
    } else {
        mlp = per_ffn * a.ffn / a.hidden;
    }
    const bool sp = sequence_parallel(s);
    double units = replicated / (sp ? t : 1) + attention / t + mlp / t;
    const double elem = s.precision == Precision::FP32 ? 2.0 : 1.0;  // units are bf16 bytes
    double bytes = sbh * units * elem * fp.activation_factor;
    const double tokens = double(s.seq) / l.cp * s.mbs;
    double attention_scores;
    if (s.flash) {
        attention_scores = 4.0 * a.heads * tokens / t;  // log-sum-exp per head, fp32
    } else {
        // Per score element: Megatron's fused softmax saves only its 2-byte output for backward
        // (fused_softmax.py); HF eager attention upcasts to an fp32 softmax and keeps a bf16 copy
        // for the AV matmul (4 + 2). Dropout on the probabilities adds its 1-byte mask and 2-byte
        // output (Korthikanti's 5as^2b); dropout with p = 0 stores neither.
        const double probs = s.framework == Framework::HF ? 6.0 : 2.0;
        attention_scores = (probs + (a.dropout ? 3.0 : 0.0)) * a.heads * tokens * double(s.seq) / t;
    }
    if (s.recompute == Recompute::Selective) {
        bytes *= fp.selective_factor;
        if (!s.flash) attention_scores = 0;
    }
    return bytes + attention_scores;
}

// Activations a stage holds at its peak, over the micro-batches in flight. `dense`/`moe` are one
// layer's bytes; `logits` what the loss holds on this stage (0 off the last stage).
double stage_activation_bytes(const Architecture& a, const TrainingSetup& s, long layers, long moe_layers,
                              double dense, double moe, double in_flight, double logits) {
    const long dense_layers = layers - moe_layers;
    const Layout& l = s.layout;
    const double tokens = double(s.seq) / l.cp * s.mbs;
    const double ids = 8 * tokens;  // int64 token ids
    if (s.recompute == Recompute::Full) {
        // Only each layer's input is kept; one layer is rebuilt at a time during backward, after
        // the loss has freed the logits: the larger of the two peaks counts, not their sum.
        const double elem = s.precision == Precision::FP32 ? 4.0 : 2.0;
        const double input = tokens * a.hidden * elem / (sequence_parallel(s) ? l.tp : 1);
        const double working = std::max(dense_layers ? dense : 0.0, moe_layers ? moe : 0.0);
        return (input * layers + ids) * in_flight + std::max(0.0, working - logits);
    }
    return (dense * dense_layers + moe * moe_layers + ids) * in_flight;
}

double comm_buffers(const Layout& l, int dp) {
    int groups = (dp > 1) + (l.tp > 1) + (l.pp > 1) + (l.cp > 1) + (l.ep > 1);
    if (groups == 0) return 0;
    return (0.5 + 0.25 * (groups - 1)) * GiB;  // NCCL/RCCL, ~1-2 GiB with several groups (§2.5)
}

}  // namespace

double activation_bytes_per_layer(const Architecture& a, const TrainingSetup& s, bool moe_layer) {
    return layer_bytes(a, s, moe_layer, profile(s));
}

namespace {

// What every stage of one configuration shares; one stage's memory is then a few operations.
struct StageModel {
    const Architecture& a;
    const ParamCount& p;
    const TrainingSetup& s;
    const FrameworkProfile& fp;
    StateBytes b;
    int dp = 1, expert_tp = 1, stage = 0;
    double shard = 1, expert_shard = 1;
    long m = 1;                        // micro-batches per optimizer step
    double dense_layer = 0, moe_layer = 0;  // one layer's activations
    double logits = 0;                 // the loss's bytes on the last stage
    double comm = 0;

    // Micro-batches pipeline rank r holds at its peak (Megatron-Core schedules.py warm-up + 1;
    // interleaved counts model chunks of 1/v of the stage).
    double in_flight(int r) const {
        const Layout& l = s.layout;
        if (l.pp == 1) return 1;
        if (l.vpp == 1) return std::min<double>(l.pp - r, double(m));
        const double chunks = 2.0 * (l.pp - r - 1) + double(l.vpp - 1) * l.pp + 1;
        return std::min(chunks / l.vpp, double(m));
    }

    MemoryBreakdown at(int r) const {
        const Layout& l = s.layout;
        const long first = stage_start(l, a.layers, r), layers = stage_layers(l, a.layers, r);
        const bool embedding = r == 0, head = r == l.pp - 1;
        StageParams sp = stage_params(a, p, l, expert_tp, first, first + layers, embedding, head);
        auto sharded = [&](double bytes_per_param, int min_stage) {
            return sp.dense * bytes_per_param / (stage >= min_stage ? shard : 1) +
                   sp.expert * bytes_per_param / (stage >= min_stage ? expert_shard : 1);
        };
        MemoryBreakdown mb;
        mb.weights = sharded(b.weights, 3);
        mb.gradients = sharded(b.grads, 2) + sharded(b.accum, 1);
        mb.optimizer = sharded(b.master + b.optim, 1);
        mb.logits = head ? logits : 0;
        mb.activations = stage_activation_bytes(a, s, layers, sp.moe_layers, dense_layer, moe_layer, in_flight(r),
                                                mb.logits);
        // Transient buffers inside the allocator at the peak.
        const double stage_params_gpu = sp.dense + sp.expert;
        if (s.fsdp != Fsdp::Off && s.framework != Framework::DeepSpeed)
            mb.buffers = 6 * sp.layer_max;  // two gathered bf16 units + one unsharded bf16 grad unit
        else if (stage >= 3)
            mb.buffers = 4 * sp.layer_max + 1e8;  // DeepSpeed: largest layer param+grad, prefetch bucket
        else if (s.framework == Framework::DeepSpeed)
            mb.buffers = std::min(2e9, 4 * stage_params_gpu);  // reduce + allgather buckets (5e8 each)
        else if (s.framework == Framework::HF || s.framework == Framework::FSDP) {
            mb.buffers = 2 * stage_params_gpu;  // autocast's bf16 copies of the fp32 weights
            // Plain DDP: its buckets copy every gradient in the gradients' dtype (torch DDP,
            // gradient_as_bucket_view=False by default).
            if (stage == 0 && dp * l.cp > 1) mb.buffers += b.grads * stage_params_gpu;
        }
        mb.allocated = mb.weights + mb.gradients + mb.optimizer + mb.activations + mb.logits + mb.buffers;
        mb.reserved = mb.allocated * fp.fragmentation;
        mb.cuda_context = 0.6 * GiB;
        mb.comm = comm;
        mb.total = mb.reserved + mb.cuda_context + mb.comm;
        mb.stage = l.pp == 1 ? "only" : (r == 0 ? "first" : (head ? "last" : "middle"));
        mb.rank = r;
        mb.layers = layers;
        return mb;
    }
};

}  // namespace

StageMemory memory_by_stage(const Architecture& a, const ParamCount& p, const TrainingSetup& s, int gpus,
                            int gpus_per_node) {
    const Layout& l = s.layout;
    StageModel sm{a, p, s, profile(s), state_bytes(s)};
    sm.dp = std::max(1, gpus / std::max(1, l.tp * l.pp * l.cp));
    sm.expert_tp = s.expert_tp();
    const int expert_dp = std::max(1, gpus / std::max(1, l.ep * sm.expert_tp * l.pp));
    sm.stage = s.shard_stage();
    // Megatron and torchtitan shard the optimizer over the DP x CP group; FSDP hybrid only within a node.
    sm.shard = double(sm.dp) * l.cp;
    if (s.fsdp == Fsdp::Hybrid) sm.shard = std::min<double>(sm.dp, std::max(1, gpus_per_node / (l.tp * l.pp * l.cp)));
    sm.expert_shard = std::min<double>(sm.shard, expert_dp);
    // Micro-batches per optimizer step (1F1B needs at least pp to fill the pipeline).
    sm.m = s.gbs > 0 ? std::max(1L, s.gbs / std::max(1L, s.mbs * sm.dp)) : (l.pp > 1 ? 2L * l.pp : 1L);
    if (a.dense_layers() > 0) sm.dense_layer = layer_bytes(a, s, false, sm.fp);
    if (a.moe_layers() > 0) sm.moe_layer = layer_bytes(a, s, true, sm.fp);
    sm.logits = double(s.seq) / l.cp * s.mbs *
                (double(a.vocab) / l.tp * loss_bytes_per_logit(s, sm.fp) + torch_head_bytes_per_token(a, s, sm.fp));
    sm.comm = comm_buffers(l, sm.dp);

    StageMemory out;
    out.first = out.worst = sm.at(0);
    out.last = l.pp == 1 ? out.first : sm.at(l.pp - 1);
    if (out.last.total > out.worst.total) out.worst = out.last;
    // Middle stages: a later stage holds fewer micro-batches, so one with no more dense and no
    // more MoE layers than an earlier stage (without the LM head) cannot be worse and is skipped.
    long prev_dense = out.first.layers - moe_layers_in(a, 0, out.first.layers), prev_moe = out.first.layers - prev_dense;
    for (int r = 1; r < l.pp - 1; ++r) {
        const long first = stage_start(l, a.layers, r), layers = stage_layers(l, a.layers, r);
        const long moe = moe_layers_in(a, first, first + layers);
        if (moe <= prev_moe && layers - moe <= prev_dense) continue;
        prev_dense = layers - moe;
        prev_moe = moe;
        MemoryBreakdown mb = sm.at(r);
        if (mb.total > out.worst.total) out.worst = mb;
    }
    return out;
}

MemoryBreakdown memory_only(const Architecture& a, const ParamCount& p, const TrainingSetup& s, int gpus,
                            int gpus_per_node) {
    return memory_by_stage(a, p, s, gpus, gpus_per_node).worst;
}

}  // namespace aif::calc

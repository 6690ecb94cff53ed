// SPDX-License-Identifier: GPL-2.0-or-later
// Per-GPU memory of one training configuration: model states, activations, logits, buffers,
// and what lives outside the PyTorch allocator. Formulas: docs/calculator.md (feasibility §2).
#include <algorithm>
#include <cmath>

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
    if (s.flash)
        attention_scores = 4.0 * a.heads * tokens / t;  // log-sum-exp per head, fp32
    else
        attention_scores = 5.0 * a.heads * tokens * double(s.seq) / t;  // Korthikanti's 5as^2b/t
    if (s.recompute == Recompute::Selective) {
        bytes *= fp.selective_factor;
        if (!s.flash) attention_scores = 0;
    }
    return bytes + attention_scores;
}

// Activations a stage holds at its peak, over the micro-batches in flight.
double stage_activation_bytes(const Architecture& a, const TrainingSetup& s, long first, long last,
                              long moe_layers, double in_flight, const FrameworkProfile& fp) {
    const long layers = last - first, dense_layers = layers - moe_layers;
    const double dense = dense_layers ? layer_bytes(a, s, false, fp) : 0;
    const double moe = moe_layers ? layer_bytes(a, s, true, fp) : 0;
    const Layout& l = s.layout;
    const double tokens = double(s.seq) / l.cp * s.mbs;
    const double ids = 8 * tokens;  // int64 token ids
    if (s.recompute == Recompute::Full) {
        // Only each layer's input is kept; one layer is rebuilt at a time during backward.
        const double elem = s.precision == Precision::FP32 ? 4.0 : 2.0;
        const double input = tokens * a.hidden * elem / (sequence_parallel(s) ? l.tp : 1);
        return (input * layers + ids) * in_flight + std::max(dense, moe);
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

StageMemory memory_by_stage(const Architecture& a, const ParamCount& p, const TrainingSetup& s, int gpus,
                            int gpus_per_node) {
    const Layout& l = s.layout;
    const FrameworkProfile& fp = profile(s);
    const int dp = std::max(1, gpus / std::max(1, l.tp * l.pp * l.cp));
    const int expert_tp = l.ep > 1 ? 1 : l.tp;
    const int expert_dp = std::max(1, gpus / std::max(1, l.ep * expert_tp * l.pp));
    const int stage = s.shard_stage();
    // Megatron shards the optimizer over DP x CP; FSDP hybrid only within a node.
    double shard = double(dp) * l.cp;  // Megatron and torchtitan shard over the DP x CP group
    if (s.fsdp == Fsdp::Hybrid) shard = std::min<double>(dp, std::max(1, gpus_per_node / (l.tp * l.pp * l.cp)));
    const double expert_shard = std::min<double>(shard, expert_dp);
    const StateBytes b = state_bytes(s);

    // Micro-batches per optimizer step and how many a pipeline stage holds at once (1F1B).
    long m = s.gbs > 0 ? std::max(1L, s.gbs / std::max(1L, s.mbs * dp)) : (l.pp > 1 ? 2L * l.pp : 1L);
    double in_flight = std::min<double>(l.pp, double(m));
    if (l.vpp > 1) in_flight *= 1.0 + double(l.pp - 1) / (double(l.pp) * l.vpp);

    const long per_stage = a.layers / std::max(1, l.pp);
    struct Candidate {
        long first, last;
        bool embedding, head;
        double in_flight;
    };
    // The last rank of an interleaved schedule still warms up (v-1) x p layer chunks.
    const double last_in_flight = std::min<double>(double(m), double((l.vpp - 1) * l.pp + 1) / l.vpp);
    Candidate stages[2] = {{0, per_stage, true, l.pp == 1, in_flight},
                           {a.layers - per_stage, a.layers, false, true, last_in_flight}};
    const int n_stages = l.pp == 1 ? 1 : 2;

    StageMemory out;
    for (int i = 0; i < n_stages; ++i) {
        const Candidate& c = stages[i];
        StageParams sp = stage_params(a, p, l, expert_tp, c.first, c.last, c.embedding, c.head);
        auto sharded = [&](double bytes_per_param, int min_stage) {
            return sp.dense * bytes_per_param / (stage >= min_stage ? shard : 1) +
                   sp.expert * bytes_per_param / (stage >= min_stage ? expert_shard : 1);
        };
        MemoryBreakdown mb;
        mb.weights = sharded(b.weights, 3);
        mb.gradients = sharded(b.grads, 2) + sharded(b.accum, 1);
        mb.optimizer = sharded(b.master + b.optim, 1);
        mb.activations = stage_activation_bytes(a, s, c.first, c.last, sp.moe_layers, c.in_flight, fp);
        if (c.head) {
            const double logits = double(s.seq) / l.cp * s.mbs * double(a.vocab) / l.tp;
            mb.logits = logits * fp.logit_bytes;
        }
        // Transient buffers inside the allocator at the peak.
        const double stage_params_gpu = sp.dense + sp.expert;
        if (s.fsdp != Fsdp::Off && s.framework != Framework::DeepSpeed)
            mb.buffers = 6 * sp.layer_max;  // two gathered bf16 units + one unsharded bf16 grad unit
        else if (stage >= 3)
            mb.buffers = 4 * sp.layer_max + 1e8;  // DeepSpeed: largest layer param+grad, prefetch bucket
        else if (s.framework == Framework::DeepSpeed)
            mb.buffers = std::min(2e9, 4 * stage_params_gpu);  // reduce + allgather buckets (5e8 each)
        else if (s.framework == Framework::HF || s.framework == Framework::FSDP)
            mb.buffers = 2 * stage_params_gpu;  // autocast's bf16 copies of the fp32 weights
        mb.allocated = mb.weights + mb.gradients + mb.optimizer + mb.activations + mb.logits + mb.buffers;
        mb.reserved = mb.allocated * fp.fragmentation;
        mb.cuda_context = 0.6 * GiB;
        mb.comm = comm_buffers(l, dp);
        mb.total = mb.reserved + mb.cuda_context + mb.comm;
        mb.stage = n_stages == 1 ? "only" : (i == 0 ? "first" : "last");
        (i == 0 ? out.first : out.last) = mb;
    }
    if (n_stages == 1) out.last = out.first;
    return out;
}

MemoryBreakdown memory_only(const Architecture& a, const ParamCount& p, const TrainingSetup& s, int gpus,
                            int gpus_per_node) {
    StageMemory m = memory_by_stage(a, p, s, gpus, gpus_per_node);
    return m.first.total >= m.last.total ? m.first : m.last;
}

}  // namespace aif::calc

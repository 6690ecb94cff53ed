// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/throughput.hpp"

#include <algorithm>

#include "calc/modes.hpp"

namespace aif::calc {

static double attention_flops_per_token(const Architecture& a, long seq) {
    // QK^T and AV, forward + backward, halved for the causal mask.
    if (a.mla.enabled())
        return 3.0 * a.layers * double(seq) * a.heads * double(a.mla.qk_nope + a.mla.qk_rope + a.mla.v_head);
    return 6.0 * a.layers * double(seq) * a.heads * double(a.dim_head());
}

static double matmul_params(const Architecture& a, const ParamCount& p) {
    return p.dense_layers * (p.attention + p.dense_mlp) +
           p.moe_layers * (p.attention + p.routed_active + p.shared_experts + p.router) + double(a.vocab) * a.hidden;
}

double model_flops_per_token(const Architecture& a, const ParamCount& p, long seq, bool causal) {
    return 6.0 * matmul_params(a, p) + attention_flops_per_token(a, seq) * (causal ? 1.0 : 2.0);
}

double training_flops_per_token(const Architecture& a, const ParamCount& p, const TrainingSetup& s) {
    const double model = model_flops_per_token(a, p, s.seq);
    if (s.lora_rank <= 0) return model;
    // Frozen weights need no weight gradient: forward 2 + input gradient 2 per frozen parameter;
    // the adapters train in full (6).
    const double lora = p.dense_layers * lora_params_per_layer(a, s, false) + p.moe_layers * lora_params_per_layer(a, s, true);
    return model - 2.0 * matmul_params(a, p) + 6.0 * lora;
}

double hardware_flops_per_token(const Architecture& a, const ParamCount& p, const TrainingSetup& s) {
    const double forward = model_flops_per_token(a, p, s.seq) / 3.0;  // one forward pass
    const double trained = training_flops_per_token(a, p, s);
    switch (s.recompute) {
        case Recompute::Full: return trained + forward;
        case Recompute::Selective: return trained + attention_flops_per_token(a, s.seq) / 3.0;
        case Recompute::None: break;
    }
    return trained;
}

double default_mfu(const TrainingSetup& s, const Target& t) {
    // torchtitan/NeMo float8 runs reach ~1.4-1.5x the BF16 tokens/s (feasibility M5, M7, T18).
    // MXFP8 gets the same prior: its published torchtitan runs are of that order (nvfp4.md at
    // bcc09297a: 28,084 vs 21,919 and 27,587 vs 20,913 tokens/s over BF16 on GB200, 1.28x and
    // 1.32x). The catalogue does not say which GPUs have MXFP8 (fp8_tflops covers Hopper too).
    if (fp8_gemms(s.precision) && t.fp8_flops > 0) return t.mfu_prior * 1.4;
    return t.mfu_prior;
}

double pipeline_bubble(const Layout& l, long micro_batches) {
    if (l.pp <= 1) return 0;
    return double(l.pp - 1) / (double(std::max(1L, micro_batches)) * std::max(1, l.vpp));
}

void fill_throughput(Estimate& e, const Architecture& a, const TrainingSetup& s, const Target& t) {
    e.flops_per_token = training_flops_per_token(a, e.params, s);
    e.hw_flops_per_token = hardware_flops_per_token(a, e.params, s);
    // Without --gbs, 2 x pp micro-batches, as the memory estimate assumes.
    const long m = s.gbs > 0 ? e.micro_batches : 2L * s.layout.pp;
    e.bubble = pipeline_bubble(s.layout, m);
    // A user's --mfu is end to end, as published figures are; the GPU's prior is the utilisation
    // while computing, so the pipeline bubble stretches the step.
    e.mfu = s.mfu > 0 ? s.mfu : default_mfu(s, t) / (1.0 + e.bubble);
    // MFU is measured against the dense BF16 peak, also for FP8 runs (as NeMo and DeepSeek report).
    e.tokens_per_s = e.mfu * t.peak_flops * t.gpus / e.flops_per_token;
    if (s.tokens > 0 && e.tokens_per_s > 0) {
        e.train_hours = s.tokens / e.tokens_per_s / 3600.0;
        e.gpu_hours = e.train_hours * t.gpus;
        e.node_hours = e.train_hours * e.nodes;
        e.energy_kwh = e.gpu_hours * t.tdp_w / 1000.0;
    }
}

}  // namespace aif::calc

// SPDX-License-Identifier: GPL-2.0-or-later
// Transformer architecture description and exact parameter counting.
#pragma once
#include <string>

namespace aif::calc {

enum class Norm { RMS, Layer };
enum class PosEmb { Rope, Learned };

// Multi-head latent attention (DeepSeek-V2/V3); enabled when kv_lora > 0.
struct MlaDims {
    long q_lora = 0, kv_lora = 0, qk_nope = 0, qk_rope = 0, v_head = 0;
    bool enabled() const { return kv_lora > 0; }
};

struct Architecture {
    long hidden = 0, layers = 0, heads = 0, kv_heads = 0;
    long head_dim = 0;  // 0: hidden / heads
    long ffn = 0;       // dense MLP intermediate size
    long vocab = 0;
    bool gated = true;  // SwiGLU/GeGLU (3 matrices) vs GeLU/ReLU/xIELU (2 matrices)
    bool tied = false;  // LM head shares the input embedding
    Norm norm = Norm::RMS;
    PosEmb pos = PosEmb::Rope;
    long max_pos = 0;          // learned position table rows
    bool qkv_bias = false;     // Qwen2: bias on Q, K, V only
    bool linear_bias = false;  // GPT-2/BLOOM: bias on every linear layer
    bool qk_norm = false;      // per-head-dim RMSNorm on Q and K (Apertus, Qwen3)
    bool embed_norm = false;   // LayerNorm right after the embedding (BLOOM)
    bool dropout = false;      // trained with dropout: 1-byte masks stay in activations (GPT-2/3)
    long extra_params = 0;     // learned scalars not covered above (e.g. xIELU alphas)
    // Mixture of experts: layers from first_dense on are MoE (every moe_freq-th).
    long experts = 0, topk = 0, expert_ffn = 0, shared_experts = 0;
    long shared_ffn = 0;  // 0: expert_ffn
    long first_dense = 0, moe_freq = 1;
    MlaDims mla;
    long mtp_layers = 0;  // multi-token-prediction modules (counted apart, not in total)

    long dim_head() const { return head_dim > 0 ? head_dim : (heads > 0 ? hidden / heads : 0); }
    bool is_moe() const { return experts > 0; }
    long moe_layers() const;
    long dense_layers() const { return layers - moe_layers(); }
};

// Throws InputError naming the first inconsistent or missing field.
void validate(const Architecture& a);

// Parameter counts, split the way sharding needs them.
struct ParamCount {
    double embedding = 0;    // input embedding (+ learned positions, + embedding norm)
    double lm_head = 0;      // output projection when untied, else 0
    double final_norm = 0;
    double attention = 0;    // one layer: projections (+ biases, qk-norm)
    // Of it, what tensor parallelism does not divide: MLA's down projections and latent norms, the
    // same on every TP rank (Megatron-Core builds them as TELinear parallel_mode "duplicated").
    double attention_duplicated = 0;
    double layer_norms = 0;  // one layer: the two norms
    double dense_mlp = 0;    // one dense layer's MLP
    double routed_experts = 0;  // one MoE layer: all routed experts
    double routed_active = 0;   // one MoE layer: top-k routed experts
    double shared_experts = 0;  // one MoE layer: shared experts
    double router = 0;          // one MoE layer
    long dense_layers = 0, moe_layers = 0;
    double total = 0;
    double active = 0;  // per token (MoE: top-k experts)

    double layer_dense() const { return attention + layer_norms + dense_mlp; }
    double layer_moe() const { return attention + layer_norms + routed_experts + shared_experts + router; }
};

ParamCount count_params(const Architecture& a);

}  // namespace aif::calc

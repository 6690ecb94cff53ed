// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/model.hpp"

#include <string>

#include "common/error.hpp"

namespace aif::calc {

long Architecture::moe_layers() const {
    if (!is_moe()) return 0;
    long n = 0;
    long step = moe_freq > 0 ? moe_freq : 1;
    for (long i = first_dense; i < layers; ++i)
        if ((i - first_dense) % step == 0) ++n;
    return n;
}

static void need(bool ok, const std::string& msg) {
    if (!ok) throw InputError(msg);
}

void validate(const Architecture& a) {
    const long limit = 10'000'000;  // far above any real model dimension
    auto positive = [&](long v, const char* key) {
        need(v > 0, std::string("architecture: '") + key + "' must be a positive number (got " +
                        std::to_string(v) + ")");
        need(v <= limit, std::string("architecture: '") + key + "' = " + std::to_string(v) +
                             " is not a plausible size");
    };
    positive(a.hidden, "hidden");
    positive(a.layers, "layers");
    positive(a.heads, "heads");
    positive(a.vocab, "vocab");
    need(a.layers <= 10'000, "architecture: 'layers' = " + std::to_string(a.layers) + " is not plausible");
    need(a.kv_heads >= 0 && a.kv_heads <= a.heads,
         "architecture: 'kv_heads' must be between 1 and heads (" + std::to_string(a.heads) + ")");
    if (a.kv_heads > 0)
        need(a.heads % a.kv_heads == 0, "architecture: heads (" + std::to_string(a.heads) +
                                            ") must be a multiple of kv_heads (" +
                                            std::to_string(a.kv_heads) + ")");
    need(a.head_dim > 0 || a.hidden % a.heads == 0,
         "architecture: hidden (" + std::to_string(a.hidden) + ") is not a multiple of heads (" +
             std::to_string(a.heads) + "); give head_dim");
    need(a.head_dim >= 0 && a.head_dim <= 65536, "architecture: 'head_dim' is not plausible");
    if (a.is_moe()) {
        positive(a.topk, "topk");
        positive(a.expert_ffn, "expert_ffn");
        need(a.topk <= a.experts, "architecture: topk (" + std::to_string(a.topk) +
                                      ") cannot exceed experts (" + std::to_string(a.experts) + ")");
        need(a.first_dense >= 0 && a.first_dense < a.layers,
             "architecture: 'first_dense' must be below layers");
        need(a.moe_freq >= 1, "architecture: 'moe_freq' must be at least 1");
        if (a.dense_layers() > 0) positive(a.ffn, "ffn");
    } else {
        positive(a.ffn, "ffn");
        need(a.topk == 0 && a.shared_experts == 0,
             "architecture: 'topk'/'shared_experts' given without 'experts'");
    }
    need(a.experts >= 0 && a.experts <= 100'000, "architecture: 'experts' is not plausible");
    need(a.shared_experts >= 0 && a.shared_experts <= 1000,
         "architecture: 'shared_experts' is not plausible");
    if (a.pos == PosEmb::Learned) positive(a.max_pos, "max_pos");
    if (a.mla.enabled()) {
        positive(a.mla.qk_nope, "qk_nope_head_dim");
        positive(a.mla.qk_rope, "qk_rope_head_dim");
        positive(a.mla.v_head, "v_head_dim");
    }
    need(a.extra_params >= 0 && a.mtp_layers >= 0, "architecture: negative parameter counts");
}

// One layer's attention projections.
static double attention_params(const Architecture& a) {
    const double h = a.hidden, nh = a.heads;
    if (a.mla.enabled()) {
        const MlaDims& m = a.mla;
        const double qk = m.qk_nope + m.qk_rope;
        double q = m.q_lora > 0 ? m.q_lora * (h + nh * qk + 1) : h * nh * qk;
        double kv = m.kv_lora * (h + nh * (m.qk_nope + m.v_head) + 1) + h * m.qk_rope;
        double o = nh * m.v_head * h;
        return q + kv + o;
    }
    const double d = a.dim_head();
    const double kv = a.kv_heads > 0 ? a.kv_heads : a.heads;
    double p = h * d * (2 * nh + 2 * kv);
    if (a.qkv_bias || a.linear_bias) p += (nh + 2 * kv) * d;
    if (a.linear_bias) p += h;  // output projection bias
    if (a.qk_norm) p += 2 * d;
    return p;
}

static double mlp_params(const Architecture& a, double ffn) {
    const double h = a.hidden;
    double p = (a.gated ? 3.0 : 2.0) * h * ffn;
    if (a.linear_bias) p += (a.gated ? 2.0 : 1.0) * ffn + h;
    return p;
}

ParamCount count_params(const Architecture& a) {
    ParamCount c;
    const double h = a.hidden;
    const double norm = a.norm == Norm::RMS ? h : 2 * h;
    c.embedding = double(a.vocab) * h;
    if (a.pos == PosEmb::Learned) c.embedding += double(a.max_pos) * h;
    if (a.embed_norm) c.embedding += 2 * h;
    c.lm_head = a.tied ? 0 : double(a.vocab) * h;
    c.final_norm = norm;
    c.attention = attention_params(a);
    if (a.mla.enabled())  // q and kv down projections with their latent norms (attention_params above)
        c.attention_duplicated = (a.mla.q_lora > 0 ? a.mla.q_lora * (h + 1) : 0) + a.mla.kv_lora * (h + 1) +
                                 h * a.mla.qk_rope;
    c.layer_norms = 2 * norm;
    c.moe_layers = a.moe_layers();
    c.dense_layers = a.layers - c.moe_layers;
    c.dense_mlp = c.dense_layers > 0 ? mlp_params(a, double(a.ffn)) : 0;
    if (a.is_moe()) {
        const double expert = mlp_params(a, double(a.expert_ffn));
        c.routed_experts = a.experts * expert;
        c.routed_active = a.topk * expert;
        const double shared_ffn = a.shared_ffn > 0 ? a.shared_ffn : a.expert_ffn;
        c.shared_experts = a.shared_experts * mlp_params(a, double(shared_ffn));
        c.router = h * a.experts;
    }
    const double outside = c.embedding + c.lm_head + c.final_norm + a.extra_params;
    c.total = outside + c.dense_layers * c.layer_dense() + c.moe_layers * c.layer_moe();
    c.active = outside + c.dense_layers * c.layer_dense() +
               c.moe_layers * (c.attention + c.layer_norms + c.routed_active + c.shared_experts + c.router);
    return c;
}

}  // namespace aif::calc

// SPDX-License-Identifier: GPL-2.0-or-later
// torchtitan Llama block, read at 9dec370 (2024-12-26, benchmarks of M5-M8) and e7c0cae
// (2025-06-13, M22): TransformerBlock.forward is
//   h = x + wo(sdpa(rope(wq(n1(x))), rope(wk(n1(x))), wv(n1(x))));  out = h + w2(silu(w1(n2(h))) * w3(n2(h)))
// with RMSNorm n (x.float() * rsqrt(mean(x^2) + eps), type_as(x), * weight; torch's composite
// nn.RMSNorm at e7c0cae upcasts alike; a fused RMSNorm kernel would save less), repeat_kv before
// SDPA (flash) and FSDP2 bf16 parameters, so activations are bf16. Counts per token below are in
// bytes: h model width, q = heads x head_dim, kv = kv_heads x head_dim, f the FFN width.
#include "calc/activations_torch.hpp"

#include "calc/profiles.hpp"

namespace aif::calc {

namespace {

struct Widths {
    double h, q, kv, f, heads, t;
};

// Eager, no AC: what autograd saves. Per norm: the fp32 upcast (pow/mul), the fp32 rsqrt per
// token, the bf16 normalised output (mul by weight); with TP the colwise linears save the
// all-gathered norm output as well. RoPE saves xq, xk as fp32 complex; SDPA saves q, the
// repeated k and v (bf16, full heads; with enable_gqa, torchtitan from ff0829c, 2026-01-27, k and v
// at the KV heads), its output and the fp32 logsumexp per head; wo saves the contiguous SDPA output;
// the MLP saves w1's and w3's outputs, silu's output and the product.
double eager_none(const Widths& w, bool sdpa_gqa) {
    double norms = 2 * (4 * w.h + 4 + 2 * w.h) / w.t;
    if (w.t > 1) norms += 2 * 2 * w.h;  // gathered along the sequence (SequenceParallel norms)
    const double rope = (4 * w.q + 4 * w.kv) / w.t;
    const double kv = sdpa_gqa ? w.kv : w.q;
    const double sdpa = (2 * w.q + 2 * kv + 2 * kv + 2 * w.q + 4 * w.heads) / w.t;  // q, k, v, out, lse
    const double wo_input = 2 * w.q / w.t;
    const double mlp = 8 * w.f / w.t;
    return norms + rope + sdpa + wo_input + mlp;
}

// torch.compile, no AC: min_cut_rematerialization_partition saves the cheapest cut and recomputes
// pointwise ops, never matmuls or SDPA: the block input, each norm's rsqrt, wq/wk/wv outputs
// (pre-RoPE, pre-repeat), SDPA output and logsumexp, h (the FFN norm's input), w1 and w3 outputs;
// with TP also the all-gathered norm outputs the colwise linears read (collectives are not
// recomputed).
double compiled_none(const Widths& w) {
    double bytes = (2 * w.h + 8 + 2 * w.q + 4 * w.kv + 2 * w.q + 4 * w.heads + 2 * w.h + 4 * w.f) / w.t;
    if (w.t > 1) bytes += 2 * 2 * w.h;
    return bytes;
}

// Op-level SAC (parallelize_llama.py _save_list and _custom_policy, same at 9dec370 and e7c0cae):
// MUST_SAVE the outputs of aten.mm except every second one counted per block (7 mm: wq, wk, wv,
// wo, w1, w3, w2 -> wq, wv, w1, w2 saved), of flash SDPA (output + logsumexp), of TP's
// reduce_scatter (wo's and w2's, sequence-sharded) and of aten.max (scalar amax, float8); the
// block input is kept by the checkpoint. Eager (torch/utils/checkpoint.py
// _CachingTorchDispatchMode) caches every MUST_SAVE output, used or not; compiled, the
// partitioner keeps only those backward reads, which drops w2's output and its reduce_scatter.
// Under TP w2's local output is the full-sequence partial sum (rowwise), hence 2h not 2h/t.
// torchtitan from 114151ad (2026-03-23) saves torch's compute-intensive ops (partitioners.py
// get_default_op_list: mm, bmm, addmm, SDPA, ...) plus max, linear, flex attention and inductor's
// compiled regions, and still recomputes every second mm of a block: for a Llama block the same
// tensors as before. With a fused wqkv (3396a4b, 2026-06-24) the block has 5 mm: wqkv, wo, w1, w3,
// w2 -> wqkv (q + 2kv), w1, w2 saved.
double op_sac(const Widths& w, const TorchBlockRun& run) {
    const double qkv = run.fused_qkv ? 2 * (w.q + 2 * w.kv) : 2 * w.q + 2 * w.kv;  // wqkv, or wq and wv
    double bytes = (2 * w.h + qkv + 2 * w.q + 4 * w.heads + 2 * w.f) / w.t;
    if (w.t > 1) bytes += 2 * w.h / w.t;  // wo's reduce_scatter output (h for the FFN norm)
    if (!run.compiled) {
        bytes += 2 * w.h;                       // w2's output
        if (w.t > 1) bytes += 2 * w.h / w.t;    // and its reduce_scatter output
        // torchtitan 2024.12 also saved aten.abs: torchao's tensorwise amax is max(abs(x)) of every
        // Float8Linear input, bf16: wq, wk, wv read n1(x) each and w1, w3 n2(h) (all-gathered
        // under TP), wo and w2 their head/FFN-sharded inputs.
        if (run.float8 && run.sac_saves_abs) bytes += 2 * 5 * w.h + 2 * (w.q + w.f) / w.t;
    }
    return bytes;
}

// The rebuilt block's backward, on top of what it saved (full AC): the gradients autograd makes.
// Its peak is the SwiGLU product's backward: the product's gradient (w2's input gradient) and the
// two it makes for w1's and w3's outputs, 3 x 2f/t, beside the block's incoming gradient (2h/t,
// held until the residual's sum). Eager, mul's backward runs after w2's has freed the saved
// product (2f/t); compiled, inductor's backward graph recomputes the product for w2's weight
// gradient and frees it before the fused silu-mul backward kernel. Later moments come after the
// saved w1/w3 outputs are freed: w1's input gradient (2h, full-sequence under TP) beside the
// accumulated one and w1's output gradient nets at most 4h - 4f/t, below 6f/t while t < 2.5 f/h
// (TP 8 for Llama's f = 3.5h); eager the freed saved tensors (8f/t) outweigh it. The attention's
// backward (dq, dk, dv: 6q/t) is smaller for FFN widths of 2.7h and more.
double rebuilt_backward(const Widths& w, bool compiled) {
    return 2 * w.h / w.t + (compiled ? 6 : 4) * w.f / w.t;
}

Widths widths(const Architecture& a, const TorchBlockRun& run) {
    const double dh = double(a.dim_head());
    const double kv_heads = double(a.kv_heads > 0 ? a.kv_heads : a.heads);
    return {double(a.hidden), a.heads * dh, kv_heads * dh, double(a.ffn), double(a.heads),
            double(run.tp < 1 ? 1 : run.tp)};
}

// What one block saves without AC, eager or compiled.
double no_ac(const Widths& w, const TorchBlockRun& run) {
    return run.compiled ? compiled_none(w) : eager_none(w, run.sdpa_gqa);
}

}  // namespace

double torch_block_bytes_per_token(const Architecture& a, const TorchBlockRun& run) {
    const Widths w = widths(a, run);
    const double none = no_ac(w, run);
    if (run.recompute == Recompute::Selective && run.ac_every > 0 && run.layers > 0) {
        // _apply_ac_to_transformer_block: a counter over the blocks, 1-based, wraps block k in
        // full AC when k % N == 0, so floor(L/N) blocks keep only their input (2h/t, sequence
        // parallel) and the others everything. The one rebuilt in backward is not added: the
        // loss's peak, before it, is larger for Llama vocabularies.
        const double checkpointed = double(run.layers / run.ac_every) / double(run.layers);
        return checkpointed * 2 * w.h / w.t + (1 - checkpointed) * none;
    }
    if (run.recompute == Recompute::Selective) return op_sac(w, run);
    if (run.recompute == Recompute::Full) return none + rebuilt_backward(w, run.compiled);
    return none;
}

// torchao's tensorwise scale of each Float8Linear weight is amax = max(abs(W)) of the all-gathered
// bf16 weight (float8_utils.py tensor_to_amax), taken in the block's forward unless the FSDP
// all-gather is float8 or the scales are precomputed (both off in torchtitan's presets). Eager op
// SAC with 2024.12's list caches that aten.abs output too (torch/utils/checkpoint.py
// _CachingTorchDispatchMode caches every MUST_SAVE output): a bf16 copy of every linear weight of
// the block (TP-sharded), kept to the block's backward. Compiled, the partitioner drops it (backward
// never reads it). The list lost aten.abs in 88247277c (#820, 2025-02-06, "unexpected increase in
// peak memory usage for float8 training", seen with compile and rowwise scaling; the eager tensorwise
// case follows from the caching, and M27-pr812-fp8-eager measures it). With float8 all-gather the
// scale is taken on the shard in FSDP's pre-forward hook, outside the checkpoint: not expressible
// here, so such eager runs are over-counted.
double torch_block_saved_weight_bytes(const Architecture& a, const TorchBlockRun& run) {
    const bool op_sac = run.recompute == Recompute::Selective && run.ac_every == 0;
    if (!run.float8 || !run.sac_saves_abs || run.compiled || !op_sac) return 0;
    const Widths w = widths(a, run);
    const double linears = w.h * (w.q + 2 * w.kv) + w.q * w.h + 3 * w.h * w.f;  // wq wk wv, wo, w1 w3 w2
    return 2 * linears / w.t;
}

// The last block's backward, beyond what the stage already keeps for it. No AC: the gradients of
// its peak (rebuilt_backward). Layer SAC: the gradients, and the whole rebuilt set beside the kept
// input when the last block is one of the checkpointed ones (an earlier checkpointed block's
// backward runs after the later blocks' activations are freed; the compiled set holds the input
// already). Full AC: 0, the rebuilt block is the layer's own count. Op SAC, eager: the replay
// (torch/utils/checkpoint.py _CachedTorchDispatchMode) hands each cached output to the op that
// recomputes it and drops the cache's reference, so a cached tensor the rebuilt graph does not save
// is freed as the replay goes (wq's/wqkv's and wv's outputs, read by RoPE's fp32 copies and the split's
// copies; TP's reduce_scatter of wo, read by the residual add). Held: the no-AC set, the checkpoint's
// block input and, with early stop (torchtitan before 25413d224), w2's output and its reduce_scatter,
// which the replay never reaches. Compiled, the backward graph holds the no-AC set, which has every
// cached tensor but TP's reduce_scatter outputs. This moment comes after the loss has freed its
// tensors: it matters where the loss's peak is small, as with torchtitan's chunked loss.
double torch_block_backward_bytes_per_token(const Architecture& a, const TorchBlockRun& run) {
    const Widths w = widths(a, run);
    const double none = no_ac(w, run), grads = rebuilt_backward(w, run.compiled), input = 2 * w.h / w.t;
    const double reduce_scatter = w.t > 1 ? 2 * w.h / w.t : 0;
    if (run.recompute == Recompute::Full) return 0;
    if (run.recompute == Recompute::None) return grads;
    if (run.ac_every > 0) {
        if (run.layers % run.ac_every != 0) return grads;
        return none + (run.compiled ? 0 : input) + grads - input;
    }
    TorchBlockRun cached = run;
    cached.sac_saves_abs = false;  // the weight abs is not a tensor of the rebuilt set
    const double saved = op_sac(w, cached);
    if (run.compiled) return none + reduce_scatter + grads - saved;
    const double unreplayed = run.replays_whole_block ? 0 : 2 * w.h + reduce_scatter;
    return none + input + unreplayed + grads - saved;
}

bool torch_block_applies(const Architecture& a, const TrainingSetup& s, const FrameworkProfile& fp, bool moe_layer) {
    return fp.torch_block && !moe_layer && a.gated && !a.mla.enabled() && !a.dropout && s.flash &&
           s.precision != Precision::FP32;
}

bool torch_compiled(const TrainingSetup& s, const FrameworkProfile& fp) {
    return s.compile < 0 ? fp.compile_default : s.compile > 0;
}

bool compile_matters(const FrameworkProfile& fp) { return fp.torch_block || fp.compiled_logit_bytes > 0; }

// Transformer.forward: h = norm(h); output(h). apply_ac and apply_compile wrap model.layers only,
// so the final RMSNorm runs eager: fp32 upcast 4h, rsqrt 4, bf16 output 2h, which the output
// projection saves as its input. With TP the norm is SequenceParallel (/t) and the colwise output
// projection saves its all-gathered, full-sequence input (2h).
// The chunked loss (profile logit_chunks > 1) also makes an fp32 buffer for the hidden states'
// gradient (components/loss.py GradAccumulator: zeros_like(hidden_states, float32), the TP-replicated
// states, so 4h unsharded) before its first chunk; it lives until the loss returns.
double torch_head_bytes_per_token(const Architecture& a, const TrainingSetup& s, const FrameworkProfile& fp) {
    if (!fp.torch_block || s.precision == Precision::FP32) return 0;
    const double h = double(a.hidden), t = s.layout.tp > 1 ? s.layout.tp : 1;
    return (6 * h + 4) / t + (t > 1 ? 2 * h : 0) + (fp.logit_chunks > 1 ? 4 * h : 0);
}

// Eager loss (cross_entropy(pred.flatten(0, 1).float(), labels); train step `del pred` before
// backward): forward holds bf16 logits + fp32 upcast + fp32 log_softmax (10 B); backward holds the
// saved log_softmax, nll_loss's dense fp32 gradient and log_softmax_backward's fp32 output (12 B),
// the larger peak. Compiled with the model (torchtitan components/loss.py, from bbb1b61,
// 2025-04-02): the upcast fuses into the kernel, leaving the bf16 logits and their bf16 grad (4 B).
// torchtune's chunked loss has its own pair (profiles.cpp). The profile says which.
// torchtitan's ChunkedLossWrapper (components/loss.py, from 786e26f, 2026-04-27) runs the output
// projection, the loss and its backward per chunk of 1/N of the tokens: its pair is per logit of one
// chunk. Eager, `logits = lm_head(h_chunk)` stays bound through `chunk_loss.backward()`, so the peak
// is the bf16 logits (2) beside the 12 above: 14; the compiled inner loss keeps the bf16 logits and
// writes their bf16 grad: 4. Per logit of the sequence, / N. Under TP its _LossParallelCrossEntropy
// (the only path since #3694) saves fp32 log_probs, and backward holds them beside zeros_like(log_probs),
// exp(log_probs) and their sum, the bf16 logits still bound: 2 + 4 x 4 = 18 (profile tp_logit_bytes).
double loss_bytes_per_logit(const TrainingSetup& s, const FrameworkProfile& fp) {
    const double chunks = fp.logit_chunks > 1 ? fp.logit_chunks : 1;
    if (fp.compiled_logit_bytes > 0 && torch_compiled(s, fp)) return fp.compiled_logit_bytes / chunks;
    if (fp.tp_logit_bytes > 0 && s.layout.tp > 1) return fp.tp_logit_bytes / chunks;
    return fp.logit_bytes / chunks;
}

// The eager loss's order of allocations: forward makes the bf16 logits A (2 B), the fp32 upcast B
// (4) and log_softmax's output C (4); B dies with cross_entropy's return, A with `del pred`. In
// backward nll_loss's gradient (4) fits in B's freed block, but log_softmax_backward's output (4)
// fits in neither A's 2 nor what is left, so the allocator maps 4 more and A's block stays reserved
// beside the 12 in use: PyTorch's CUDACachingAllocator returns cached blocks to the driver only on
// empty_cache() or an allocation failure; torchtitan runs with expandable_segments:True
// (run_llama_train.sh at 9dec370, run_train.sh at e7c0cae), where A and B's freed blocks merge into
// 6, nll_loss's gradient takes 4 of them and the 2 left still cannot hold the next 4. fp32 logits
// have no upcast copy (C's 4 then reuse A's). Compiled, the loss holds its two tensors together.
double loss_cached_bytes_per_logit(const TrainingSetup& s, const FrameworkProfile& fp) {
    if (s.precision == Precision::FP32) return 0;
    if (fp.compiled_logit_bytes > 0 && torch_compiled(s, fp)) return 0;
    return fp.eager_loss_cached_bytes;
}

}  // namespace aif::calc

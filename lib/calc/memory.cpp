// SPDX-License-Identifier: GPL-2.0-or-later
// Per-GPU memory of one training configuration: model states, activations, logits, buffers,
// and what lives outside the PyTorch allocator. Formulas: docs/calculator.md (feasibility §2).
#include <algorithm>
#include <cmath>

#include "calc/activations_torch.hpp"
#include "calc/estimate.hpp"
#include "calc/fsdp_pipeline.hpp"
#include "calc/modes.hpp"
#include "calc/profiles.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

// MXFP8 (OCP microscaling): one e8m0 scale byte per 32 float8 values along the scaled dimension
// (TransformerEngine tensor/mxfp8_tensor.py MXFP8Quantizer.get_scale_shape, MXFP8_BLOCK_SCALING_SIZE
// 32, at d0067d0d). The scale tensors' padding to multiples of [128, 4] / [4, 128] is left out: it
// is a few rows per tensor, not a per-token or per-parameter cost.
constexpr double kMxfp8Bytes = 1.0 + 1.0 / 32;

// Bytes per element of the copy TransformerEngine keeps of a quantized tensor for one GEMM usage
// (rowwise or columnwise): 1 byte of fp8 data, plus MXFP8's block scales; 2 (bf16) otherwise.
double te_saved_bytes(Precision p) {
    if (p == Precision::FP8) return 1.0;
    if (p == Precision::MXFP8) return kMxfp8Bytes;
    return 2.0;
}

// TransformerEngine's fp8 weight workspaces, per parameter, kept for the whole step (Linear.forward
// caches them in _fp8_workspaces when Megatron passes is_first_microbatch; linear.py at d0067d0d).
// The weight quantizer is set to rowwise and columnwise usage in training (linear.py
// _linear_forward_impl: set_usage(rowwise=True, columnwise=columnwise_usage)). Per-tensor fp8: one
// byte of data, plus its transpose for the columnwise usage where FP8 GEMMs are TN-only (Hopper, Ada,
// and what TE's check calls so: utils.py is_non_tn_fp8_gemm_supported, compute capability 10.x,
// 11.x or 13+ has non-TN; float8_tensor.py Float8Quantizer: "_transpose" only when not non_tn).
// MXFP8 keeps rowwise and columnwise as separate data and scale tensors on any GPU (mxfp8_tensor.py
// get_metadata_specs: _rowwise_data/_rowwise_scale_inv and _columnwise_data/_columnwise_scale_inv),
// each 1 + 1/32 bytes per value.
double te_cached_weight_bytes(Precision p, bool fp8_gemm_non_tn) {
    if (p == Precision::FP8) return fp8_gemm_non_tn ? 1.0 : 2.0;
    if (p == Precision::MXFP8) return 2 * kMxfp8Bytes;
    return 0.0;
}

// Bytes per parameter before sharding (feasibility §2.2). `accum` is an fp32 gradient copy that
// DeepSpeed keeps beside the low-precision gradients.
struct StateBytes {
    double weights = 0, grads = 0, accum = 0, master = 0, optim = 0;
};

StateBytes state_bytes(const TrainingSetup& s) {
    StateBytes b;
    const double opt = optimizer_state_bytes(s.optimizer, s.master);
    const int stage = s.shard_stage();
    if (s.master == Master::BF16 && s.framework == Framework::Megatron) {
        // Precision-aware optimizer: --main-grads-dtype bf16, --exp-avg(-sq)-dtype bf16; main params
        // stay fp32 (arguments.py offers fp32|fp16 only).
        b = {2, 2, 0, 4, opt};
    } else if (s.master == Master::BF16) {
        b = {2, 2, 0, 0, opt};  // pure bf16: the optimizer updates the bf16 weights themselves
    } else if (s.precision == Precision::FP32) {
        b = {4, 4, 0, 0, opt};
    } else if (s.framework == Framework::Megatron) {
        // bf16 params, fp32 main grads, fp32 main params; fp16 keeps fp16 grads plus an fp32 copy.
        if (s.precision == Precision::FP16)
            b = {2, 2, 4, 4, opt};
        else
            b = {2, 4, 0, 4, opt};
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
    double linear = 0;     // of `dense`, the weights of linear layers (what NF4 quantizes)
    double largest = 0;    // largest single weight tensor (optimizer-in-backward frees the others' grads)
    double largest_linear = 0;  // largest weight of a transformer layer's linear layers
    double lora = 0;       // LoRA adapter parameters (trainable; the rest is frozen)
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

// Whether the model's last layer is an MoE one: the kind Megatron builds its MTP layers from and
// the block the last reduce-scatter belongs to.
bool last_layer_is_moe(const Architecture& a) { return moe_layers_in(a, a.layers - 1, a.layers) > 0; }

// Per layer, what TP leaves whole (MLA's down projections) beyond its 1/tp share: on every rank.
double tp_duplicated(const ParamCount& p, const Layout& l) { return p.attention_duplicated * (1.0 - 1.0 / l.tp); }

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
    const double duplicated = tp_duplicated(p, l);
    sp.dense += sp.layers * duplicated;
    const double moe_layer = (p.attention + p.layer_norms + p.shared_experts + p.router) / l.tp +
                             p.routed_experts / (double(l.ep) * expert_tp) + duplicated;
    sp.layer_max = std::max(p.layer_dense() / l.tp + duplicated, sp.moe_layers ? moe_layer : 0.0);
    sp.linear = (dense_layers * p.dense_mlp + sp.moe_layers * p.shared_experts + sp.layers * p.attention) / l.tp +
                sp.layers * duplicated;
    const double h = double(a.hidden);
    sp.largest_linear = std::max(h * double(a.ffn), h * double(a.heads) * a.dim_head()) / l.tp;
    sp.largest = std::max(sp.largest_linear, has_embedding || has_head ? p.embedding / l.tp : 0.0);
    return sp;
}

// torchtitan's tensor parallelism always shards the norms' activations along the sequence.
bool sequence_parallel(const TrainingSetup& s) {
    return s.layout.tp > 1 && (s.layout.sp || s.framework == Framework::FSDP);
}

// float8: torchao's tensorwise Float8Linear only. torchao's MX linear (mx_mm, mx_formats/mx_linear.py
// at e4e681be6, moe_training/mxfp8_linear.py at cb76f2943) saves the bf16 input and weight like a
// bf16 linear and takes its block amax with aten.amax, which no op-SAC save list holds (torchtitan
// 6fc499f6f parallelize.py _save_list: aten.max; b5bcd76 activation_checkpoint.py the same), and
// torchtitan's MX converter (fb17e251c, 2025-05-14) postdates the lists with aten.abs: nothing of
// it is cached, so MXFP8 runs the block as bf16 does.
TorchBlockRun torch_block_run(const Architecture& a, const TrainingSetup& s, const FrameworkProfile& fp) {
    return {s.recompute, torch_compiled(s, fp), s.precision == Precision::FP8, fp.sac_saves_abs,
            s.layout.tp, s.ac_every, a.layers, fp.fused_qkv, fp.ac_replays_whole_block, fp.sdpa_gqa};
}

// Bytes of activations one micro-batch leaves on one GPU for one layer (feasibility §2.4).
double layer_bytes(const Architecture& a, const TrainingSetup& s, bool moe_layer,
                              const FrameworkProfile& fp) {
    const Layout& l = s.layout;
    if (torch_block_applies(a, s, fp, moe_layer)) {
        const TorchBlockRun run = torch_block_run(a, s, fp);
        return double(s.seq) / l.cp * s.mbs * torch_block_bytes_per_token(a, run) +
               torch_block_saved_weight_bytes(a, run);
    }
    const double t = l.tp;
    const double sbh = double(s.seq) / l.cp * s.mbs * a.hidden;
    const double kv_ratio = a.mla.enabled() ? 1.0 : double(a.kv_heads > 0 ? a.kv_heads : a.heads) / a.heads;
    // Two norm inputs, QKV input, MLP input (bf16), plus two 1-byte dropout masks when trained with dropout.
    // TransformerEngine fp8 (Megatron) saves the fp8 cast of each linear layer's input for the
    // weight gradient (linear.py / layernorm_linear.py, saved inputmat): 1 byte instead of 2 for
    // the QKV, out-projection, MLP and down-projection inputs. MXFP8 saves only the columnwise data
    // and scales (layernorm_linear.py: ln_out.update_usage(rowwise_usage=False), "For MXFP8,
    // columnwise only data can be allgathered", so also with sequence parallelism; linear.py:
    // "Discard row-wise data since it is not needed in backward pass"): 1 + 1/32 bytes. torchao
    // float8 and MX (torchtitan) save the bf16 input (float8_linear.py save_for_backward(input_hp,
    // ...), mxfp8_linear.py mx_mm save_for_backward(input_hp, weight_hp)): no change there.
    // What the quantized copy saves per linear-layer input unit: bf16's 2 bytes → fp8's 1, MXFP8's
    // 1 + 1/32.
    const double cut = s.framework == Framework::Megatron ? 2.0 - te_saved_bytes(s.precision) : 0.0;
    const double replicated = (a.dropout ? 10 : 8) - 2 * cut;
    double attention = 4 + 4 * kv_ratio - cut;
    double latents = 0;  // MLA's compressed q and kv, sequence-parallel like the norms
    if (a.mla.enabled()) {
        // Multi-latent attention (Megatron-Core multi_latent_attention.py, get_query_key_value_tensors
        // at d98e8a64): the down projections read the norm's output (the QKV input above); each latent
        // is saved twice, by its RMSNorm and by its up projection (q_lora, kv_lora); the up projections'
        // outputs are split, rotated and concatenated into new query and key tensors (heads x
        // (qk_nope + qk_rope) each) and a contiguous value (heads x v_head), which core attention
        // saves with its output (heads x v_head, the output projection's input).
        const MlaDims& m = a.mla;
        const double h = double(a.hidden), q_head = double(m.qk_nope + m.qk_rope), v = double(m.v_head);
        attention = (2.0 * a.heads * (2 * q_head + 2 * v) - cut * a.heads * v) / h;
        latents = (m.q_lora + m.kv_lora) * (4 - cut) / h;
    }
    const double per_ffn = (a.gated ? 6.0 : 4.0) - cut;  // per f/h; down-projection input 2 → 1
    double mlp;
    if (moe_layer) {
        // Routed experts on the worst GPU: the balanced share times the capacity factor (Megatron
        // token dropping caps each expert at capacity_factor x its share; dropless, the worst
        // expert's tokens over the average).
        const double shared_ffn = a.shared_ffn > 0 ? a.shared_ffn : a.expert_ffn;
        mlp = s.moe_capacity * a.topk * (per_ffn * a.expert_ffn / a.hidden + 2 - cut) +
              a.shared_experts * per_ffn * shared_ffn / a.hidden + 2;
    } else {
        mlp = per_ffn * a.ffn / a.hidden;
    }
    const bool sp = sequence_parallel(s);
    double units = (replicated + latents) / (sp ? t : 1) + attention / t + mlp / t;
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

// One micro-batch's activations of one dense and one MoE layer, and what the last dense block's
// backward holds beyond its dense count (torchtitan's block: calc/activations_torch.hpp).
struct LayerBytes {
    double dense = 0, moe = 0, dense_backward = 0;
};

// The larger of one dense and one MoE layer's activations, among the kinds the stage has.
double largest_layer(long layers, long moe_layers, const LayerBytes& lb) {
    return std::max(layers - moe_layers ? lb.dense : 0.0, moe_layers ? lb.moe : 0.0);
}

// The working set of the layer whose backward runs: under full recompute the one layer rebuilt at a
// time, otherwise what the last block's backward adds (0 where not counted). It exists only after
// the loss has freed its tensors, so it competes with the loss's peak instead of adding to it.
double recompute_working(const TrainingSetup& s, long layers, long moe_layers, const LayerBytes& lb) {
    if (s.recompute == Recompute::Full) return largest_layer(layers, moe_layers, lb);
    return layers > moe_layers ? lb.dense_backward : 0.0;
}

// Bytes of one parameter in the dtype FSDP gathers (bf16; fp32 training: 4).
double param_elem(const TrainingSetup& s) { return s.precision == Precision::FP32 ? 4.0 : 2.0; }

// Activations a stage holds at its peak, over the micro-batches in flight. `dense`/`moe` are one
// layer's bytes; `logits` what the loss holds on this stage (0 off the last stage).
double stage_activation_bytes(const Architecture& a, const TrainingSetup& s, long layers, long moe_layers,
                              const LayerBytes& lb, double in_flight, double logits) {
    const long dense_layers = layers - moe_layers;
    const Layout& l = s.layout;
    const double tokens = double(s.seq) / l.cp * s.mbs;
    const double ids = 8 * tokens;  // int64 token ids
    // Activation offload (torchtune OffloadActivations) keeps on the GPU only the layers in use:
    // the one being computed and the one being copied (its forward stash holds a few tensors).
    const auto kept = [&](long n) { return s.offload_activations ? std::min(n, 2L) : n; };
    if (s.recompute == Recompute::Full) {
        // Only each layer's input is kept; one layer is rebuilt at a time during backward, after
        // the loss has freed the logits: the larger of the two peaks counts, not their sum.
        // DeepSpeed partition_activations splits these checkpoints over the TP ranks (as sequence
        // parallelism does); cpu_checkpointing moves them to the host.
        const double elem = s.precision == Precision::FP32 ? 4.0 : 2.0;
        const bool split = sequence_parallel(s) || s.partition_activations;
        const double input = tokens * a.hidden * elem / (split ? l.tp : 1);
        const long stored = s.cpu_checkpointing ? std::min(layers, 1L) : kept(layers);
        const double working = recompute_working(s, layers, moe_layers, lb);
        return (input * stored + ids) * in_flight + std::max(0.0, working - logits);
    }
    const double working = std::max(0.0, recompute_working(s, layers, moe_layers, lb) - logits);
    if (s.offload_activations) {
        const double per_layer = largest_layer(layers, moe_layers, lb);
        return (per_layer * kept(layers) + ids) * in_flight + working;
    }
    return (lb.dense * dense_layers + lb.moe * moe_layers + ids) * in_flight + working;
}

// FSDP's root unit. The frameworks whose profile says so (FsdpRoot) call fully_shard on each
// block and then on the model, so the root unit holds the embedding, the final norm and the output
// projection. torch never reshards the root after forward (FSDP2 _fsdp_state.py FSDPState._lazy_init:
// post_forward_mesh_info = None, "the parameters would be freed and all-gathered immediately";
// FSDP1 _runtime_utils.py _post_forward_reshard skips the root), and the root's post-backward runs
// only in the final callback (its input, the token ids, needs no gradient), so its unsharded bf16
// parameters stay allocated from the start of forward to the end of backward. Two moments then
// compete for the peak:
//  - the loss's backward: every block's activations and the loss's peak; gathered are the root and
//    the blocks not resharded after forward (torchtitan: the last one; with PP, every one);
//  - a block's backward, after the loss has freed its tensors: the root, the output projection's
//    unsharded bf16 gradient (autograd makes it right after the loss; it waits for the root's
//    post-backward) and the per-block buffers, beside the layer rebuilt under full recompute.
struct FsdpMoments {
    double at_loss = 0, at_block = 0;  // buffers at each moment
};

bool fsdp_root_applies(const TrainingSetup& s, const FrameworkProfile& fp) {
    if (s.fsdp == Fsdp::Off || s.framework != Framework::FSDP) return false;
    return fp.fsdp_root == FsdpRoot::Root || fp.fsdp_root == FsdpRoot::RootLastBlock ||
           fp.fsdp_root == FsdpRoot::HeadUnit || (fp.fsdp_root == FsdpRoot::LoraRecipe && s.lora_rank > 0);
}

// torchtitan from 83e6941 (2025-07-28; distributed/fsdp.py apply_fsdp_to_decoder at b5bcd76): the
// embedding and every block are resharded after forward, the final norm and the output projection
// form a unit that is not (a tied embedding joins it), and the root unit holds no parameters. Its
// chunked loss (profile logit_chunks > 1, components/loss.py ChunkedLossWrapper) runs each chunk's
// backward inside the loss with set_requires_gradient_sync(False) until the last chunk, so FSDP2 keeps
// the output projection's unsharded gradient, accumulated in the fp32 reduce dtype
// (_fsdp_param.py to_accumulated_grad_if_needed; mixed_precision_reduce = float32), from the first
// chunk to the last; each later chunk's output-projection backward makes one more unsharded gradient
// in the param dtype beside its bf16 logits and their grad (2 + 2 per chunk logit), a moment that
// outweighs the loss's own peak when the chunk is short. After the loop lm_head.reshard() and the
// last chunk's reduce-scatter leave nothing of the unit for the blocks' backward.
FsdpMoments head_unit_moments(const Architecture& a, const ParamCount& p, const TrainingSetup& s,
                              const FrameworkProfile& fp, bool head, double block_backward, double layer_max) {
    if (!head) return {0, block_backward};
    const Layout& l = s.layout;
    const double elem = param_elem(s);
    const double output = (a.tied ? p.embedding : p.lm_head) / l.tp;
    const double unit = elem * (p.final_norm / l.tp + output);
    if (s.lora_rank > 0) return {unit, block_backward};  // a frozen output projection: no gradient
    const double chunk_logits = double(s.seq) / l.cp * s.mbs * double(a.vocab) / l.tp / fp.logit_chunks;
    const double loss_peak = loss_bytes_per_logit(s, fp) * fp.logit_chunks * chunk_logits;
    if (fp.logit_chunks == 1) {
        // One full-sequence loss (torchtitan 2025-07-28 to 2026-04-27): the unit's gradient exists
        // only after the loss. The output projection's backward makes it unsharded in the param dtype
        // beside the logits' gradient (train_step's `del pred` freed the logits); its post-backward
        // reduce-scatter then copies it into the fp32 reduce dtype while both exist. Meanwhile FSDP2's
        // backward prefetch (FSDPParamGroup.pre_backward -> _backward_prefetch) gathers the next unit
        // in backward order, the last block.
        const double after_loss =
            elem * layer_max + std::max(elem * chunk_logits + elem * output, (elem + 4) * output);
        return {unit + std::max(0.0, after_loss - loss_peak), block_backward};
    }
    const double output_backward = 2 * elem * chunk_logits + elem * output;
    // The last chunk's reduce-scatter: FSDP2 foreach_reduce copies the fp32 accumulated gradient into
    // its fp32 reduce-scatter input while both exist, beside that chunk's logits gradient.
    const double reduce_copy_in = 4 * output + elem * chunk_logits;
    return {unit + 4 * output + std::max({0.0, output_backward - loss_peak, reduce_copy_in - loss_peak}),
            block_backward};
}

FsdpMoments fsdp_root_moments(const Architecture& a, const ParamCount& p, const TrainingSetup& s,
                              const FrameworkProfile& fp, const StageParams& sp, bool embedding, bool head,
                              double block_backward) {
    const Layout& l = s.layout;
    double root = embedding ? p.embedding : 0;
    if (head) root += p.final_norm + (a.tied ? (embedding ? 0 : p.embedding) : p.lm_head);
    // The param dtype (bf16; fp32 training: 4), divided by TP as the stage's parameters are (torchtitan shards the embedding rowwise and
    // the output colwise; torchtune's LoRA keeps both unquantized: nn.Embedding, nn.Linear)
    const double elem = param_elem(s);
    const double gathered = elem * root / l.tp;
    const double head_grad = head && s.lora_rank == 0 ? elem * (a.tied ? p.embedding : p.lm_head) / l.tp : 0;
    FsdpMoments m{gathered, gathered + head_grad + block_backward};
    if (fp.fsdp_root == FsdpRoot::HeadUnit)
        return head_unit_moments(a, p, s, fp, head, block_backward, sp.layer_max);
    if (fp.fsdp_root != FsdpRoot::RootLastBlock) return m;
    if (l.pp > 1) {
        // torchtitan apply_fsdp with PP: no block is resharded after forward, the stage stays
        // gathered; a block's backward adds only its unsharded bf16 gradients.
        m.at_loss = elem * (sp.dense + sp.expert);
        m.at_block = m.at_loss + head_grad + elem * sp.layer_max;
    } else {
        m.at_loss += elem * sp.layer_max;  // reshard_after_forward = layer_id < last: the last block
    }
    return m;
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
    LayerBytes layer = {};             // one layer's activations
    double logits = 0;                 // the loss's bytes on the last stage
    double loss_cached = 0;            // reserved beside them, unused at the loss's peak
    double comm = 0;
    double lora_dense = 0, lora_moe = 0;  // adapter parameters of one layer (before TP)
    bool keeps_unsharded = false;      // torchtitan FSDP2 under PP (calc/fsdp_pipeline.hpp)
    long mtp_layers = 0;               // Megatron's multi-token prediction layers, on the last stage
    double mtp_layer = 0, mtp_loss = 0;  // one MTP layer's activations; its cross entropy's saved state

    // Megatron's multi-token prediction (--mtp-num-layers; core/transformer/multi_token_prediction.py,
    // core/models/gpt/gpt_model.py at d98e8a64) lives on the last stage: per MTP layer a transformer
    // layer built from the decoder's spec (its last layer's kind), three RMSNorms (enorm, hnorm and its
    // final_layernorm) and the column-parallel eh_proj (2h -> h); the stage builds the embedding too
    // where it lacks it ("if self.pre_process or self.mtp_process").
    void add_mtp_params(StageParams& sp, bool embedding, long mtp) const {
        const Layout& l = s.layout;
        const double h = double(a.hidden);
        const bool moe = last_layer_is_moe(a);
        const double layer_dense = moe ? p.attention + p.layer_norms + p.shared_experts + p.router : p.layer_dense();
        sp.dense += (mtp * (layer_dense + 2 * h * h + 3 * h) + (embedding ? 0 : p.embedding)) / l.tp;
        if (moe) sp.expert += mtp * p.routed_experts / (double(l.ep) * expert_tp);
        sp.linear += mtp * (p.attention + (moe ? p.shared_experts : p.dense_mlp) + 2 * h * h) / l.tp;
        sp.dense += mtp * tp_duplicated(p, l);
        sp.linear += mtp * tp_duplicated(p, l);
    }

    // Micro-batches pipeline rank r holds at its peak (Megatron-Core schedules.py warm-up + 1;
    // interleaved counts model chunks of 1/v of the stage).
    double in_flight(int r) const {
        const Layout& l = s.layout;
        if (l.pp == 1) return 1;
        if (l.vpp == 1) return std::min<double>(l.pp - r, double(m));
        const double chunks = 2.0 * (l.pp - r - 1) + double(l.vpp - 1) * l.pp + 1;
        return std::min(chunks / l.vpp, double(m));
    }

    // torchtitan FSDP2 under PP (calc/fsdp_pipeline.hpp): the stage's parameters stay unsharded in
    // bf16 and its gradients accumulate unsharded in fp32 until the last micro-batch; the peak is
    // the moment of the schedule where held activations plus those gradients are largest.
    void keep_stage_unsharded(MemoryBreakdown& mb, const StageParams& sp, int r, long layers) const {
        const UnshardedStageBytes u = unsharded_stage_bytes(s);
        const double params = sp.dense + sp.expert;
        // The two gathered units of the FSDP buffers term (below) are among the kept ones.
        mb.weights += u.weights * std::max(0.0, params - 2 * sp.layer_max);
        // Activations are affine in the micro-batches held (the recompute working set is fixed).
        const double none = stage_activation_bytes(a, s, layers, sp.moe_layers, layer, 0, mb.logits);
        const double per_mb =
            stage_activation_bytes(a, s, layers, sp.moe_layers, layer, 1, mb.logits) - none;
        const PipelinePeak peak = torch_pipeline_peak(s.layout, r, m, per_mb, u.grads * params, mb.logits);
        mb.activations = none + per_mb * peak.held;
        if (!peak.loss) {  // the peak comes after the last forward: no loss alive, the working set whole
            mb.activations += std::min(recompute_working(s, layers, sp.moe_layers, layer), mb.logits);
            mb.logits = 0;
        }
        // Sharded gradients only appear at the last micro-batch's reduce-scatter (zero_grad set
        // them to None): at the peak the gradients are the unsharded accumulation.
        mb.gradients = u.grads * params * peak.share;
    }

    // FSDP2 keeps the reduce-scatter input of the unit it reduced last (FSDPParamGroup.post_backward:
    // comm_ctx.reduce_scatter_state = ReduceScatterState(reduce_scatter_input, ...), dropped at the
    // next unit's post-backward), unsharded in the reduce dtype, fp32 in torchtitan
    // (mixed_precision_reduce): during block L-1's backward, block L's 4 B per parameter, where
    // block L's own activations are freed; during the last block's, the [norm, output] unit's when its
    // post-backward ran after the full-sequence loss (torchtitan@2025.08; the chunked loss's separate
    // backward ends with the root's final callback, which clears it). The larger of the two.
    // With LoRA only the adapters have gradients to reduce (small); under layer SAC block L-1's working
    // set differs from block L's, so only the head unit's is counted there.
    double reduce_scatter_held(const StageParams& sp, bool head) const {
        if (fp.fsdp_root != FsdpRoot::RootLastBlock && fp.fsdp_root != FsdpRoot::HeadUnit) return 0;
        if (s.lora_rank > 0) return 0;
        const double output = (a.tied ? p.embedding : p.lm_head) / s.layout.tp;
        const bool head_unit_reduced = head && fp.fsdp_root == FsdpRoot::HeadUnit && fp.logit_chunks == 1;
        const double last_block = head_unit_reduced ? 4 * (output + p.final_norm / s.layout.tp) : 0;
        // What block L keeps for backward, freed by then: under full AC its input only.
        const double tokens = double(s.seq) / s.layout.cp * s.mbs;
        const double one = last_layer_is_moe(a) ? layer.moe : layer.dense;
        const double kept = s.recompute == Recompute::Full
                                ? tokens * a.hidden * param_elem(s) / (sequence_parallel(s) ? s.layout.tp : 1)
                                : one;
        if (s.ac_every > 0) return last_block;
        return std::max({0.0, last_block, 4 * sp.layer_max - kept});
    }

    // Gradient moments. A loop that frees the gradients after each step (profile
    // grads_freed_before_forward), unsharded and without gradient accumulation, holds at the loss's
    // peak only the output projection's gradient, made right after the loss (optimizer in
    // backward: the one tensor's being made). All of them exist at the end of backward, when the
    // activations and the loss are gone but for the first block's (rebuilt, under full recompute)
    // or, with a tied embedding, the embedding's own gradient, made while the output projection's
    // waits in autograd's input buffer to be summed with it; and at the optimizer step, beside
    // foreach AdamW's state-sized temporary (profile foreach_adamw). autocast's weight copies live
    // only until the end of backward. The largest moment is the peak; `mb` holds the loss's on entry.
    bool gradient_moments_apply() const {
        return fp.grads_freed_before_forward && s.layout.pp == 1 && s.zero == 0 && s.fsdp == Fsdp::Off && m == 1;
    }

    void choose_gradient_moment(MemoryBreakdown& mb, const StageParams& sp, bool embedding, bool head, long layers,
                                double trainable, double autocast_copies) const {
        const double all_grads = mb.gradients;
        const double head_params = a.tied ? p.embedding : p.lm_head;
        const double head_grad = head && s.lora_rank == 0 ? b.grads * head_params / s.layout.tp : 0.0;
        const PeakLines at_loss{s.optim_in_backward ? all_grads : std::min(all_grads, head_grad), mb.activations,
                                mb.logits, mb.buffers};
        const double first_block = largest_layer(layers, sp.moe_layers, layer);
        const bool tied_grad = a.tied && embedding && s.lora_rank == 0 && !s.optim_in_backward;
        const double embedding_grad = tied_grad ? b.grads * p.embedding / s.layout.tp : 0.0;
        const double after = mb.buffers - autocast_copies;  // buffers that outlive backward
        const PeakLines at_end = embedding_grad > first_block ? PeakLines{all_grads + embedding_grad, 0, 0, after}
                                                              : PeakLines{all_grads, first_block, 0, after};
        const bool foreach_step = fp.foreach_adamw && s.optimizer == Optimizer::AdamW && !s.optim_in_backward &&
                                  !s.offload_optimizer;
        const double step_temp = foreach_step ? optimizer_state_bytes(s.optimizer, s.master) / 2 * trainable : 0.0;
        const PeakLines at_step{all_grads, 0, 0, after + step_temp};
        const PeakLines* peak = &at_loss;
        mb.moment = PeakMoment::Loss;
        if (at_end.sum() > peak->sum()) peak = &at_end, mb.moment = PeakMoment::BackwardEnd;
        if (at_step.sum() > peak->sum()) peak = &at_step, mb.moment = PeakMoment::OptimizerStep;
        mb.set_lines(*peak);
        if (mb.moment != PeakMoment::Loss) mb.at_loss = at_loss;
    }

    MemoryBreakdown at(int r) const {
        const Layout& l = s.layout;
        const long first = stage_start(l, a.layers, r), layers = stage_layers(l, a.layers, r);
        const bool embedding = r == 0, head = r == l.pp - 1;
        StageParams sp = stage_params(a, p, l, expert_tp, first, first + layers, embedding, head);
        const long mtp = head ? mtp_layers : 0;
        if (mtp > 0) add_mtp_params(sp, embedding, mtp);
        auto sharded = [&](double bytes_per_param, int min_stage) {
            return sp.dense * bytes_per_param / (stage >= min_stage ? shard : 1) +
                   sp.expert * bytes_per_param / (stage >= min_stage ? expert_shard : 1);
        };
        auto over = [&](int min_stage) { return stage >= min_stage ? shard : 1.0; };
        MemoryBreakdown mb;
        double trainable = sp.dense + sp.expert;  // parameters with gradients and optimizer states
        if (s.lora_rank > 0) {
            // LoRA: the base is frozen (bf16, or NF4 for its linear layers: QLoRA) and has no
            // gradients or optimizer states; the adapters train in the setup's regime.
            sp.lora = ((layers - sp.moe_layers) * lora_dense + sp.moe_layers * lora_moe) / l.tp;
            trainable = sp.lora;
            const double linear = s.quant == Quant::NF4 ? kNf4BytesPerParam : 2.0;
            mb.weights = ((sp.dense - sp.linear) * 2 + sp.linear * linear) / over(3) +
                         sp.expert * linear / (stage >= 3 ? expert_shard : 1) + sp.lora * b.weights / over(3);
            mb.gradients = sp.lora * (b.grads / over(2) + b.accum / over(1));
            mb.optimizer = sp.lora * (b.master + b.optim) / over(1);
        } else {
            mb.weights = sharded(b.weights, 3);
            mb.gradients = sharded(b.grads, 2) + sharded(b.accum, 1);
            mb.optimizer = sharded(b.master + b.optim, 1);
        }
        // TransformerEngine's workspaces exist for its linear layers only (attention, MLP and expert
        // weights, a frozen LoRA base's too), not for the embedding, Megatron's own output layer, norms
        // or router.
        if (s.framework == Framework::Megatron)
            mb.weights += te_cached_weight_bytes(s.precision, s.fp8_gemm_non_tn) * (sp.linear + sp.expert);
        // Optimizer in backward (torchtune optimizer_in_bwd): each parameter is stepped and its
        // gradient freed by a post-accumulate-grad hook, so one tensor's gradient at a time.
        if (s.optim_in_backward) mb.gradients = std::min(mb.gradients, sp.largest * (b.grads + b.accum) / over(2));
        mb.logits = head ? logits + mtp * mtp_loss : 0;
        mb.activations = stage_activation_bytes(a, s, layers, sp.moe_layers, layer, in_flight(r),
                                                mb.logits) + mtp * mtp_layer;
        if (keeps_unsharded) keep_stage_unsharded(mb, sp, r, layers);
        // The layer whose backward runs after the loss (its rebuilt or replayed set, its gradients)
        // competes with the loss's peak. The activations above hold kept + max(0, working - logits);
        // the FSDP root's buffers differ between the two moments by `block_buffers_delta`.
        const double working = recompute_working(s, layers, sp.moe_layers, layer);
        const double kept = mb.activations - std::max(0.0, working - mb.logits);
        double block_buffers_delta = 0;
        // Transient buffers inside the allocator at the peak.
        double autocast_copies = 0;
        const double stage_params_gpu = sp.dense + sp.expert;
        const double frozen_bytes = s.quant == Quant::NF4 ? kNf4BytesPerParam : 2.0;
        if (s.fsdp != Fsdp::Off && s.framework != Framework::DeepSpeed) {
            // two gathered bf16 units + one unsharded bf16 grad unit (LoRA: frozen units, no grads)
            mb.buffers = s.lora_rank > 0 ? 2 * frozen_bytes * sp.layer_max : 6 * sp.layer_max;
            // Under PP torchtitan keeps the whole stage, the root's share included, unsharded
            // (keep_stage_unsharded above): no root term on top.
            if (fsdp_root_applies(s, fp) && !keeps_unsharded) {
                const FsdpMoments fm = fsdp_root_moments(a, p, s, fp, sp, embedding, head, mb.buffers);
                mb.buffers = fm.at_loss;
                block_buffers_delta = fm.at_block + reduce_scatter_held(sp, head) - fm.at_loss;
            }
        } else if (stage >= 3)
            mb.buffers = 4 * sp.layer_max + 1e8;  // DeepSpeed: largest layer param+grad, prefetch bucket
        else if (s.framework == Framework::DeepSpeed)
            mb.buffers = std::min(2e9, 4 * stage_params_gpu);  // reduce + allgather buckets (5e8 each)
        else if (s.framework == Framework::HF || s.framework == Framework::FSDP) {
            // autocast's bf16 copies of fp32 weights (none when they are bf16 already), freed by the
            // end of backward (autocast's cache is cleared on leaving its region)
            if (b.weights >= 4) autocast_copies = mb.buffers = 2 * trainable;
            // Plain DDP: its buckets copy every gradient in the gradients' dtype (torch DDP,
            // gradient_as_bucket_view=False by default).
            if (stage == 0 && dp * l.cp > 1) mb.buffers += b.grads * trainable;
        }
        // QLoRA dequantizes one frozen weight to bf16 for its matmul (torchao linear_nf4).
        if (s.quant == Quant::NF4) mb.buffers += 2 * sp.largest_linear;
        if (gradient_moments_apply()) {
            choose_gradient_moment(mb, sp, embedding, head, layers, trainable, autocast_copies);
        } else if (!keeps_unsharded) {
            // The lines show the larger moment: after the loss its tensors are gone.
            const PeakLines at_loss{mb.gradients, kept, mb.logits, mb.buffers};
            const PeakLines at_block{mb.gradients, kept + working, 0, mb.buffers + block_buffers_delta};
            if (at_block.sum() > at_loss.sum()) {
                mb.set_lines(at_block);
                mb.moment = PeakMoment::BlockBackward;
                mb.at_loss = at_loss;
            } else {
                mb.set_lines(at_loss);
                if (working > 0) mb.at_block = at_block;
            }
        }
        mb.allocated = mb.weights + mb.gradients + mb.optimizer + mb.activations + mb.logits + mb.buffers;
        mb.reserved = mb.allocated * fp.fragmentation + (head ? loss_cached : 0);
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

StageMemory memory_by_stage(const Architecture& a, const ParamCount& p, const TrainingSetup& given, int gpus,
                            int gpus_per_node) {
    const TrainingSetup s = effective_setup(given, gpus);
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
    if (a.dense_layers() > 0) sm.layer.dense = layer_bytes(a, s, false, sm.fp);
    if (a.moe_layers() > 0) sm.layer.moe = layer_bytes(a, s, true, sm.fp);
    if (a.dense_layers() > 0 && torch_block_applies(a, s, sm.fp, false))
        sm.layer.dense_backward = double(s.seq) / l.cp * s.mbs *
                                  torch_block_backward_bytes_per_token(a, torch_block_run(a, s, sm.fp));
    sm.lora_dense = lora_params_per_layer(a, s, false);
    sm.lora_moe = lora_params_per_layer(a, s, true);
    sm.logits = double(s.seq) / l.cp * s.mbs *
                (double(a.vocab) / l.tp * loss_bytes_per_logit(s, sm.fp) + torch_head_bytes_per_token(a, s, sm.fp));
    sm.loss_cached = double(s.seq) / l.cp * s.mbs * double(a.vocab) / l.tp * loss_cached_bytes_per_logit(s, sm.fp);
    sm.comm = comm_buffers(l, sm.dp);
    sm.keeps_unsharded = fsdp_keeps_stage_unsharded(s, sm.fp, sm.shard);
    if (s.framework == Framework::Megatron && a.mtp_layers > 0) {
        // Per MTP layer on the last stage, for one micro-batch (it sits on the last virtual stage, whose
        // backward follows each forward, as the loss's does): its layer's activations, the inputs of
        // enorm, hnorm, eh_proj and its final norm (h, h, 2h, h) and its half of the hidden states the
        // output layer reads concatenated (h): 7 inputs of h; under full recompute the checkpoint of
        // norms, eh_proj and layer keeps hidden_states and decoder_input, plus that half: 3.
        // process_mtp_loss's vocab-parallel cross entropy, run before the main loss, keeps its saved
        // fp32 softmax (4 B per logit) for backward beside the main loss's peak.
        const double tokens = double(s.seq) / l.cp * s.mbs;
        const double one = last_layer_is_moe(a) ? sm.layer.moe : sm.layer.dense;
        const double input = tokens * a.hidden * 2.0 / (sequence_parallel(s) ? l.tp : 1);
        sm.mtp_layers = a.mtp_layers;
        sm.mtp_layer = s.recompute == Recompute::Full ? 3 * input : one + 7 * input;
        sm.mtp_loss = 4.0 * tokens * double(a.vocab) / l.tp;
    }

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

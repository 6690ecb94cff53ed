// SPDX-License-Identifier: GPL-2.0-or-later
// Versioned framework profiles: what one release of a training framework does with memory, as
// constants the estimate uses, each with what it models and where that was read. The registry
// is static (docs/calculator.md lists it); the error band of each profile is data, computed by
// `aifactory validate --write-bands` (calc/bands.hpp).
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "calc/training.hpp"

namespace aif::calc {

// What FSDP's root unit holds when the framework wraps each block and then the whole model
// (fully_shard(model) last): the embedding, the final norm and the output projection, which torch
// keeps gathered from the start of forward to the end of backward (calc/memory.cpp, "FSDP root").
enum class FsdpRoot {
    None,           // not read for this family (or no FSDP): per-block buffers only
    LoraRecipe,     // torchtune: its LoRA recipes wrap only layers.N; its full recipes' configs
                    // shard tok_embeddings and output as units of their own (custom_sharded_layers)
    Root,           // every block resharded after forward, the root not
    RootLastBlock,  // torchtitan: the last block is not resharded after forward either
    HeadUnit,       // torchtitan from 83e6941 (2025-07-28): the final norm and the output projection are a
                    // unit of their own, not resharded after forward; the embedding and every block are
                    // resharded, the root unit holds no parameters
};

struct FrameworkProfile {
    const char* id;          // "torchtitan@2025.06": family@version, what users type
    const char* family;      // "torchtitan": the bare name (means the newest version)
    Framework framework;     // the code path (state bytes, buffers) it shares with its family
    const char* based_on;    // profile whose band it borrows while it has no cases of its own ("" none)
    const char* checked_on;  // what the constants were checked against
    const char* models;      // what it models, in words ("fp32 logits copy, op-level SAC")
    const char* source;      // file and version read
    double activation_factor;  // stored activations relative to the Megatron/Korthikanti count
    double selective_factor;   // what selective recompute keeps, relative to none (besides s^2 terms)
    // Bytes per logit element on the last stage (logits, upcasts, grads); with logit_chunks > 1, per
    // logit of the one chunk alive at the loss's peak.
    double logit_bytes;
    double fragmentation;      // reserved / allocated
    // torchtitan's Llama block counted tensor by tensor (calc/activations_torch.hpp) instead of
    // Korthikanti x the factors above; false for the other families.
    bool torch_block;
    bool sac_saves_abs;    // its op-SAC _save_list holds aten.abs (float8 amax inputs)
    bool compile_default;  // training.compile when the job does not say (--compile)
    // logit_bytes when compile is on and the framework compiles its loss then (0: the loss stays eager)
    double compiled_logit_bytes;
    // Bytes per logit its eager loss leaves reserved but unused at the loss's peak: freed blocks
    // the caching allocator keeps that the next, larger request cannot use (calc/activations_torch.cpp).
    double eager_loss_cached_bytes;
    FsdpRoot fsdp_root;    // what its FSDP wrapping leaves gathered between forward and backward
    // Its loop calls zero_grad(set_to_none=True) after each step and makes the gradients on the
    // compute stream, so the next forward reuses their blocks: the loss's peak holds none, and all
    // of them exist only at the end of backward (calc/memory.cpp, "gradient moments").
    bool grads_freed_before_forward;
    // Its default AdamW is torch's foreach implementation, whose step allocates one state-sized
    // temporary (_multi_tensor_adamw: exp_avg_sq_sqrt = torch._foreach_sqrt(exp_avg_sqs)).
    bool foreach_adamw;
    // Its Llama block projects q, k and v in one matmul (wqkv): op SAC's every-second-mm count then
    // saves that whole output (calc/activations_torch.cpp).
    bool fused_qkv;
    // Its loss runs the output projection and the cross entropy one sequence chunk at a time, forward
    // and backward (torchtitan ChunkedLossWrapper, num_chunks): the full logits never exist and the
    // loss's peak holds one chunk's. 1: the whole sequence at once.
    int logit_chunks;
    // Eager bytes per logit when TP shards the vocabulary and a vocab-parallel cross entropy runs
    // instead (torch loss_parallel, torchtitan's own; 0: logit_bytes; with logit_chunks, per chunk logit).
    double tp_logit_bytes;
    // Its launcher shards over every data-parallel rank unless told otherwise (torchtitan:
    // data_parallel_shard_degree = -1; the plain FSDP loop by its name): FSDP full when the job does
    // not say (--fsdp).
    bool fsdp_by_default;
    // Its AC wrappers pass early_stop=False (torchtitan from 25413d224, 2025-08-29): the recompute in
    // backward replays the whole block, consuming every output op SAC cached, instead of stopping
    // once the tensors backward needs exist (calc/activations_torch.cpp, the last block's backward).
    bool ac_replays_whole_block;
    // Its attention calls SDPA with enable_gqa (torchtitan from ff0829c, 2026-01-27): k and v stay at
    // the KV heads, no repeat_kv copies.
    bool sdpa_gqa;
};

// Every profile, oldest first within a family.
std::span<const FrameworkProfile> framework_profiles();

// The profile a setup uses: its own, else the newest of the family its framework defaults to.
const FrameworkProfile& profile(const TrainingSetup& s);
const FrameworkProfile& newest_profile(Framework f);

// "torchtitan", "torchtitan@2025.06", "megatron@core_r0.13": the bare name is the newest version;
// a version picks the newest profile released at or before it (versions compare by their numbers:
// 2025.06 < 2025.10, core_r0.9 < core_r0.12), or the oldest when it predates them all.
// Throws InputError naming `flag` and the known names.
const FrameworkProfile& parse_profile(std::string_view spec, const std::string& flag);

// The setup a job runs with on `gpus` GPUs: without --fsdp and --zero, a profile that shards by
// default (fsdp_by_default) uses FSDP full when there is more than one data-parallel or context-
// parallel rank (torchtitan: parallel_dims.fsdp_enabled; data_parallel_shard_degree -1 resolves to
// 1 on one GPU or with TP alone). The estimate and what `fit` prints use it.
TrainingSetup effective_setup(const TrainingSetup& s, int gpus);

// The family's newest profile; nullptr for an unknown family name.
const FrameworkProfile* newest_of_family(std::string_view family);

}  // namespace aif::calc

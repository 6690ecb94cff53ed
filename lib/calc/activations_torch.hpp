// SPDX-License-Identifier: GPL-2.0-or-later
// What a torchtitan Llama TransformerBlock keeps for backward, counted tensor by tensor from
// torchtitan's source for each activation-checkpointing mode, eager or torch.compile'd, and what
// its cross-entropy loss holds at its peak. docs/calculator.md cites each term.
#pragma once
#include "calc/model.hpp"
#include "calc/training.hpp"

namespace aif::calc {

struct FrameworkProfile;

// How one block runs: the AC mode, whether torch.compile wraps the block, float8 linears, TP degree.
struct TorchBlockRun {
    Recompute recompute = Recompute::None;
    bool compiled = false;
    bool float8 = false;
    bool sac_saves_abs = false;  // the profile's op-SAC save list holds aten.abs (torchtitan 2024.12)
    int tp = 1;
    int ac_every = 0;  // selective_ac_option = N: every N-th block full AC (0: op SAC)
    long layers = 0;   // the model's blocks (layer SAC counts them across the model)
    bool fused_qkv = false;  // q, k, v projected by one matmul, wqkv (torchtitan from 2026-06)
    bool replays_whole_block = false;  // AC without early stop: the recompute consumes every cached output
    bool sdpa_gqa = false;   // SDPA reads k and v at the KV heads (enable_gqa), no repeat_kv copies
};

// Bytes one block saves for backward per token of the micro-batch (tokens = seq/cp x mbs). With
// Recompute::Full it is the working set of the one block rebuilt in backward (the eager or
// compiled no-AC count, plus the gradients of its backward's peak); the kept block inputs are
// counted by the caller. Layer SAC gives the
// mean over the model's blocks.
double torch_block_bytes_per_token(const Architecture& a, const TorchBlockRun& run);

// Bytes per token the last block's backward holds beyond the stage's count for it: what its
// recompute rebuilds besides the tensors SAC cached, and the gradients of its peak (0 under full AC,
// whose count is that working set already). It exists after the loss has freed its tensors.
double torch_block_backward_bytes_per_token(const Architecture& a, const TorchBlockRun& run);

// Bytes one block saves for backward that do not scale with tokens: with 2024.12's op-SAC list,
// eager float8 keeps the abs of every all-gathered linear weight (0 otherwise).
double torch_block_saved_weight_bytes(const Architecture& a, const TorchBlockRun& run);

// Whether the per-tensor count models this layer: a torchtitan profile, a dense Llama-style block
// (gated MLP, no MLA, no dropout), flash attention, low-precision activations.
bool torch_block_applies(const Architecture& a, const TrainingSetup& s, const FrameworkProfile& fp, bool moe_layer);

// torch.compile of the blocks (and, from torchtitan 2025.04, of the loss): the job's --compile,
// else the profile's default.
bool torch_compiled(const TrainingSetup& s, const FrameworkProfile& fp);

// Whether torch.compile changes this profile's estimate: its blocks are counted per tensor, or it
// compiles its loss (torchtune's chunked loss). What fit and sbatch report it for.
bool compile_matters(const FrameworkProfile& fp);

// Bytes per token the final norm and the LM head keep for backward on the last stage (0 for
// profiles without the torchtitan block count).
double torch_head_bytes_per_token(const Architecture& a, const TrainingSetup& s, const FrameworkProfile& fp);

// Bytes per logit the loss holds at its peak on the last stage.
double loss_bytes_per_logit(const TrainingSetup& s, const FrameworkProfile& fp);
// Bytes per logit the loss leaves reserved but unused at that peak: blocks the caching allocator
// keeps that the loss's next, larger request cannot use (torchtitan's eager loss: 2).
double loss_cached_bytes_per_logit(const TrainingSetup& s, const FrameworkProfile& fp);

}  // namespace aif::calc

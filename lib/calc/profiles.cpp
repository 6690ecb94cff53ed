// SPDX-License-Identifier: GPL-2.0-or-later
#include "calc/profiles.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/error.hpp"
#include "common/text.hpp"

namespace aif::calc {

namespace {

// Oldest first within a family. A newer version differs from the one before only in what its
// `models` and `source` say changed; docs/calculator.md has the table.
constexpr FrameworkProfile kProfiles[] = {
    {"megatron@core_r0.12", "megatron", Framework::Megatron, "",
     "Megatron-LM functional-test golden values at d98e8a64 (Mixtral 8x7B, 8x22B; 15B on H100/A100/GB200 and "
     "Mixtral alltoall, cases M20-M21; 7B memory tests with their world size, M24); ZeRO/dist-opt byte tables",
     "vocab-parallel cross entropy as Megatron runs it by default and with --cross-entropy-fusion-impl native: "
     "the logits upcast to fp32, exp and normalised in place and saved for backward, beside the bf16 logits in "
     "forward and the bf16 copy of the gradient made from them in backward (6 bytes per logit); Korthikanti "
     "activations; selective recompute drops the s^2 attention term",
     "megatron/core/tensor_parallel/cross_entropy.py (calculate_logits_max: .float(); save_for_backward of "
     "exp_logits; backward's grad_input is the saved softmax) and core/fusions/fused_cross_entropy.py "
     "(grad_input.to(torch.bfloat16)) at d98e8a64; docs/source/api-guide/dist_optimizer.md",
     1.00, 1.00, 6, 1.05, false, false, false, 0, 0, FsdpRoot::None, false, false, false, 1, 0, false, false, false},
    {"torchtitan@2024.12", "torchtitan", Framework::FSDP, "",
     "torchtitan benchmarks/llama3_h100_202412_torchtitan.md (cases M5-M8 and their compile, float8 and "
     "async-TP rows; the 405B PP rows M23, low confidence); the 8B preset's logs in PRs #808, #812, #822, #833 "
     "and torchao's float8 README, January-March 2025 (M27)",
     "eager loss: fp32 log-softmax, its fp32 gradient and log_softmax_backward's output at the backward "
     "peak (12 bytes per logit), and the freed bf16 logits' block left reserved beside them (2 more, in "
     "reserved only); under TP loss_parallel's backward, (zeros + exp(log_softmax)) x grad beside the saved "
     "log_softmax (16 per local logit); Llama block saved tensors counted per AC mode (op SAC: every second mm, "
     "flash SDPA, reduce_scatter, max and abs), eager or compiled blocks, and the last block's backward (what "
     "its recompute rebuilds beside the cached tensors, and its gradients) as a moment after the loss's; "
     "compile off by default; FSDP2 root "
     "unit (embedding, final norm, output) and the last block stay gathered through the loss's backward; "
     "under PP every stage stays gathered and accumulates unsharded fp32 gradients (calc/fsdp_pipeline.hpp)",
     "torchtitan at 9dec370 (benchmark commit): train.py loss_fn (compile off since e8977b0), "
     "parallelize_llama.py _save_list/apply_ac/apply_compile/apply_fsdp (reshard_after_forward = "
     "layer_id < last, then fully_shard(model)), models/llama/model.py, models/norms.py; torch FSDP2 "
     "_fsdp_state.py _lazy_init (the root is not resharded after forward); torch "
     "distributed/tensor/parallel/loss.py _nll_loss_and_log_softmax_backward; torch.distributed.pipelining "
     "stage.py backward_maybe_with_nosync, _fsdp_param.py to_accumulated_grad_if_needed",
     1.00, 1.00, 12, 1.06, true, true, false, 0, 2, FsdpRoot::RootLastBlock, false, false, false, 1, 16, true, false, false},
    {"torchtitan@2025.06", "torchtitan", Framework::FSDP, "torchtitan@2024.12",
     "torchtitan benchmarks/llama3_8b_h200_2025-06_torchtitan.md at e7c0cae (cases M22, float8 + compile); the "
     "8B preset's log in PR #1287, June 2025 (M27); torchao's float8 tutorial, low confidence (M27)",
     "compiled loss with compiled blocks (torch.compile fuses the fp32 upcast into the cross entropy: bf16 "
     "logits and their bf16 grad, 2+2 bytes per logit) when compile is on; off by default, as the 8B and 70B "
     "configs (compile = false; the 405B one sets true); "
     "op-SAC save list without aten.abs; block count, FSDP2 root unit and FSDP under PP as 2024.12; with "
     "compile off, the eager loss of 2024.12 and its reserved logits block",
     "torchtitan/components/loss.py build_cross_entropy_loss (bbb1b61, #1033, 2025-04-02; in v0.1.0, "
     "2025-06-17; compile.components since 08b8b24, 2025-08-20); models/llama3/parallelize_llama.py at e7c0cae "
     "(apply_fsdp as at 9dec370), models/llama3/train_configs/llama3_{8b,70b,405b}.toml at e7c0cae",
     1.00, 1.00, 12, 1.06, true, false, false, 4, 2, FsdpRoot::RootLastBlock, false, false, false, 1, 16, true, false, false},
    {"torchtitan@2025.08", "torchtitan", Framework::FSDP, "torchtitan@2025.06",
     "one high-confidence case (M27-pr1625-default: the 8B preset as shipped, August 2025) and the "
     "low-confidence runs of August-December 2025 (M26, M27); below five high-confidence cases its band "
     "is at least the default",
     "as 2025.06 (full-sequence loss, compiled with the blocks when compile is on; op-SAC list without "
     "aten.abs), with FSDP2's units as from 83e6941 (2025-07-28): the embedding and every block resharded "
     "after forward, the final norm and the output projection a unit that is not, the root unit without "
     "parameters; after the loss the output projection's unsharded gradient, then its fp32 reduce-scatter "
     "copy, beside that unit; AC with early_stop=False (from 25413d224, 2025-08-29): the replay in backward runs "
     "the whole block",
     "torchtitan models/llama3/infra/parallelize.py apply_fsdp at 6fc499f6f (2025-08-14; [norm, output] "
     "unit from 83e6941, #1094), components/loss.py build_cross_entropy_loss and train.py train_step "
     "(del pred before backward) at 6fc499f6f; compile.components (model, loss by default) from 08b8b24 "
     "(2025-08-20); torch FSDP2 _fsdp_collectives.py foreach_reduce",
     1.00, 1.00, 12, 1.06, true, false, false, 4, 2, FsdpRoot::HeadUnit, false, false, false, 1, 16, true, true, false},
    {"torchtitan@2026.05", "torchtitan", Framework::FSDP, "torchtitan@2025.08",
     "no measured case: the chunked loss read at 786e26f (2026-04-27) and b5bcd76 (2026-08-21), the same loop; "
     "borrows the band of torchtitan@2025.08",
     "chunked loss (ChunkedCELoss, the llama3 configs' default from 786e26f): the output projection and the cross "
     "entropy run one of 8 sequence chunks at a time, forward and backward, so the full logits never exist; "
     "eager (compile off, the 8B and 70B configs' default) a chunk's backward peak holds its bf16 logits, the saved "
     "fp32 log_softmax, nll_loss's fp32 gradient and log_softmax_backward's fp32 output (14 bytes per chunk "
     "logit; under TP 18: loss_parallel's 16 beside the bf16 logits, later the vocab-parallel loss's fp32 "
     "log_probs, zeros, exp and their sum); compiled (the inner loss only) its bf16 logits and bf16 grad (4); "
     "an fp32 buffer of the hidden states' gradient (4h per token) waits beside it; FSDP: norm and output a "
     "unit not resharded after forward, every block and the embedding resharded, the output projection's "
     "unsharded gradient accumulated in fp32 across the chunks; no freed block of the loss counted as left "
     "reserved (not derived for the chunk loop); op SAC saves every compute-intensive op (mm, attention) but "
     "every second mm (wq, wv, w1, w2 saved); SDPA with enable_gqa, k and v kept at the KV heads (from ff0829c, "
     "2026-01-27); block count otherwise as 2025.06",
     "torchtitan components/loss.py ChunkedCELoss (num_chunks = 8) and models/llama3/config_registry.py "
     "(llama3_8b/70b: ChunkedCELoss, no compile) at 786e26f (#2937, 2026-04-27); the same loop as "
     "ChunkedLossWrapper at b5bcd76; torch distributed/tensor/parallel/loss.py (TP until b3b60dabf, "
     "#3694, 2026-06-18); config/configs.py (CompileConfig.enable = False, mixed_precision_reduce float32), "
     "distributed/activation_checkpoint.py SelectiveAC (114151ad, 2026-03-23), distributed/fsdp.py "
     "apply_fsdp_to_decoder (norm + output unit from 83e6941, 2025-07-28); torch FSDP2 _fsdp_param.py "
     "to_accumulated_grad_if_needed",
     1.00, 1.00, 14, 1.06, true, false, false, 4, 0, FsdpRoot::HeadUnit, false, false, false, 8, 18, true, true, true},
    {"torchtitan@2026.06", "torchtitan", Framework::FSDP, "torchtitan@2025.08",
     "four low-confidence cases (M25-llama3-8b, M25-qwen3-8b: torchtitan's NVFP4 doc's BF16 baselines, compile "
     "components not stated; M28: docs/chunked_loss.md's Qwen3 14B runs); constants read from the source "
     "at b5bcd76 (2026-08-21); borrows the band of torchtitan@2025.08",
     "as 2026.05 (chunked loss, 8 chunks, 14 bytes per chunk logit eager, 18 under TP with its own "
     "vocab-parallel loss, 4 compiled; the norm + output FSDP unit with its fp32 accumulated gradient), with "
     "q, k and v in one fused wqkv matmul, whose whole output op SAC saves (wqkv, w1, w2 saved)",
     "torchtitan models/llama3/__init__.py fuse_qkv (default from 3396a4b, 2026-06-24), components/loss.py "
     "ChunkedLossWrapper and _LossParallelCrossEntropy (the only TP path since b3b60dabf, #3694, 2026-06-18), "
     "models/llama3/config_registry.py (llama3_8b/70b: ChunkedLossWrapper, SelectiveAC / FullAC, no "
     "compile), all at b5bcd76",
     1.00, 1.00, 14, 1.06, true, false, false, 4, 0, FsdpRoot::HeadUnit, false, false, true, 8, 18, true, true, true},
    {"fsdp@2.4", "fsdp", Framework::FSDP, "torchtitan@2024.12",
     "constants of torchtitan@2024.12 (same FSDP code path); llm-foundry verdict cases F7",
     "PyTorch FSDP/FSDP2 loop with an eager fp32 cross entropy (2+4+4 bytes per logit); op-level SAC 65%; "
     "blocks wrapped, the rest in the root unit, gathered from forward to the end of backward",
     "torch.distributed.fsdp: FSDP1 _runtime_utils.py _post_forward_reshard (the root is not freed), FSDP2 "
     "_fsdp_state.py _lazy_init (post_forward_mesh_info = None for the root); torchtitan@2024.12 above",
     1.00, 0.65, 10, 1.06, false, false, false, 0, 0, FsdpRoot::Root, false, false, false, 1, 0, true, false, false},
    {"torchtune@0.4", "torchtune", Framework::FSDP, "",
     "torchtune README tables (cases M12-M14: Llama 3.1 8B/70B/405B, 3.2 3B; 2024-10 and 2024-11)",
     "torchtune's llama3 modules with SDPA (Megatron-style count); chunked cross entropy, the output "
     "projection in 8 chunks: eager (compile: False, its configs' default), every chunk's fp32 log_softmax "
     "kept for backward beside the bf16 logits and one chunk's fp32 upcast (2 + 4 + 4/8 = 6.5 bytes per "
     "logit); compiled (compile_loss compiles compute_cross_entropy), inductor saves only the bf16 chunks and "
     "writes each chunk's bf16 gradient in one fused kernel (2 + 2/8); gradients freed after each step: none "
     "at the loss's peak, all at the end of backward; full-layer AC only; distributed LoRA: the "
     "FSDP2 root unit (embedding, final norm, output, bf16) gathered from forward to the end of backward",
     "torchtune/modules/loss/ce_chunked_output_loss.py (num_output_chunks=8, logits.float() per chunk), "
     "training/_compile.py compile_loss, recipes/full_finetune_single_device.py (del logits before "
     "backward; zero_grad(set_to_none=True) after the step) and lora_finetune_single_device.py at 1814feb "
     "and bd2a0fc7 (v0.6.0+220); torch inductor scatter_upon_const_tensor (pytorch#129043, torch 2.5); "
     "recipes/lora_finetune_distributed.py _is_layer_name and training/_distributed.py shard_model at 0031bfb "
     "(full recipes' configs shard tok_embeddings and output apart: custom_sharded_layers)",
     1.00, 1.00, 6.5, 1.06, false, false, false, 2.25, 0, FsdpRoot::LoraRecipe, true, false, false, 1, 0, false, false, false},
    {"deepspeed@0.16", "deepspeed", Framework::DeepSpeed, "",
     "BigScience Megatron-DeepSpeed runs (case M17, 2022); DeepSpeed's own ZeRO estimators",
     "ZeRO estimators' state bytes; fp32 loss on fp16/bf16 logits (6 bytes per logit); 8% fragmentation",
     "deepspeed/runtime/zero/stage3.py, stage_1_and_2.py (estimate_zero*_model_states_mem_needs)",
     1.00, 1.00, 6, 1.08, false, false, false, 0, 0, FsdpRoot::None, false, false, false, 1, 0, false, false, false},
    {"hf@4.46", "hf", Framework::HF, "",
     "no measured case: the activation count of feasibility.md section 2.4",
     "HF Trainer eager Llama: ~28 bf16 hidden-state copies per layer where Megatron counts 17 (x1.65); "
     "the causal-LM loss upcasts the logits to fp32 and copies the shifted view before cross_entropy: "
     "bf16 logits, fp32 upcast, fp32 shifted copy and fp32 log_softmax at once (2+4+4+4 = 14 bytes per logit); "
     "gradients freed after each step (model.zero_grad()): none at the loss's peak, all at the end of backward "
     "and at the step, beside foreach AdamW's state-sized temporary (optim adamw_torch, its default)",
     "transformers models/llama/modeling_llama.py, trainer.py (_inner_training_loop), training_args.py (optim); "
     "torch optim/adamw.py _multi_tensor_adamw (_foreach_sqrt); loss/loss_utils.py ForCausalLMLoss "
     "(logits.float(), logits[..., :-1, :].contiguous())",
     1.65, 0.70, 14, 1.08, false, false, false, 0, 0, FsdpRoot::None, true, true, false, 1, 0, false, false, false},
};

// "core_r0.12" → {0, 12}; "2025.06" → {2025, 6}: the numbers in the text, in order.
std::vector<long> version_numbers(std::string_view v) {
    std::vector<long> out;
    long n = -1;
    for (char c : v) {
        if (std::isdigit(static_cast<unsigned char>(c))) n = (n < 0 ? 0 : n) * 10 + (c - '0');
        else if (n >= 0) out.push_back(n), n = -1;
        if (n > 1'000'000) n = 1'000'000;  // bounded: user text
    }
    if (n >= 0) out.push_back(n);
    return out;
}

std::string_view version_of(const FrameworkProfile& p) {
    std::string_view id = p.id;
    return id.substr(id.find('@') + 1);
}

std::string known_names() {
    std::string s;
    for (const auto& p : kProfiles) s += (s.empty() ? "" : ", ") + std::string(p.id);
    return s;
}

}  // namespace

std::span<const FrameworkProfile> framework_profiles() { return kProfiles; }

const FrameworkProfile* newest_of_family(std::string_view family) {
    const FrameworkProfile* found = nullptr;
    for (const auto& p : kProfiles)
        if (family == p.family) found = &p;
    return found;
}

const FrameworkProfile& newest_profile(Framework f) {
    const char* family = f == Framework::Megatron ? "megatron" : f == Framework::FSDP ? "fsdp"
                         : f == Framework::DeepSpeed ? "deepspeed" : "hf";
    return *newest_of_family(family);
}

const FrameworkProfile& profile(const TrainingSetup& s) {
    return s.profile != nullptr ? *s.profile : newest_profile(s.framework);
}

TrainingSetup effective_setup(const TrainingSetup& s, int gpus) {
    TrainingSetup e = s;
    const Layout& l = s.layout;
    const int dp = std::max(1, gpus / std::max(1, l.tp * l.pp * l.cp));
    if (!s.fsdp_given && s.zero == 0 && profile(s).fsdp_by_default && dp * l.cp > 1) e.fsdp = Fsdp::Full;
    e.fsdp_given = true;  // resolved: a second call changes nothing
    return e;
}

const FrameworkProfile& parse_profile(std::string_view spec_in, const std::string& flag) {
    const std::string spec = lower(trim(spec_in));
    const std::size_t at = spec.find('@');
    std::string family = spec.substr(0, at);
    if (family == "pytorch" || family == "fsdp2") family = "fsdp";
    const FrameworkProfile* newest = newest_of_family(family);
    if (newest == nullptr)
        throw InputError(flag + ": unknown framework '" + printable(family, 24) + "' (use " + known_names() +
                         "; a bare name is the newest)");
    if (at == std::string::npos) return *newest;
    const std::vector<long> want = version_numbers(std::string_view(spec).substr(at + 1));
    if (want.empty())
        throw InputError(flag + ": '" + printable(spec, 40) + "' has no version number (example: " + newest->id + ")");
    const FrameworkProfile* pick = nullptr;
    for (const auto& p : kProfiles) {
        if (family != p.family) continue;
        if (pick == nullptr || version_numbers(version_of(p)) <= want) pick = &p;  // oldest, then newest not after
    }
    return *pick;
}

}  // namespace aif::calc

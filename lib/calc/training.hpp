// SPDX-License-Identifier: GPL-2.0-or-later
// What the user declares about a training run: precision, optimizer, sharding, layout, batch.
#pragma once
#include <string>

#include "common/enum_names.hpp"

namespace aif::calc {

struct FrameworkProfile;  // calc/profiles.hpp

// FP8: per-tensor scaled float8 (TransformerEngine's delayed/current scaling, torchao Float8Linear);
// MXFP8: OCP microscaling, float8 e4m3 data with one e8m0 scale per 32 values (Blackwell).
enum class Precision { BF16, FP16, FP32, FP8, MXFP8 };
enum class Optimizer { AdamW, AdamW8bit, PagedAdamW8bit, SGD };
enum class Recompute { None, Selective, Full };
enum class Framework { Megatron, FSDP, DeepSpeed, HF };
enum class Fsdp { Off, Full, Hybrid };
enum class Master { FP32, BF16 };  // where the optimizer's copy of the weights lives (below)
enum class Quant { None, NF4 };    // the frozen base weights of LoRA
enum class LoraTargets { Torchtune, QV, QKV, All };  // which linear layers get adapters

// Names printed (first entry of a value) and accepted (every entry) for the options above.
inline constexpr EnumName<Precision> kPrecisionNames[] = {
    {Precision::BF16, "bf16"}, {Precision::FP16, "fp16"}, {Precision::FP32, "fp32"}, {Precision::FP8, "fp8"},
    {Precision::MXFP8, "mxfp8"}};
inline constexpr EnumName<Optimizer> kOptimizerNames[] = {
    {Optimizer::AdamW, "adamw"}, {Optimizer::AdamW, "adam"}, {Optimizer::AdamW8bit, "adamw8bit"},
    {Optimizer::PagedAdamW8bit, "paged-adamw8bit"}, {Optimizer::SGD, "sgd"}};
inline constexpr EnumName<Recompute> kRecomputeNames[] = {
    {Recompute::None, "none"}, {Recompute::Selective, "selective"}, {Recompute::Full, "full"}};
inline constexpr EnumName<Framework> kFrameworkNames[] = {
    {Framework::Megatron, "megatron"}, {Framework::FSDP, "fsdp"}, {Framework::FSDP, "torchtitan"},
    {Framework::DeepSpeed, "deepspeed"}, {Framework::HF, "hf"}};
inline constexpr EnumName<Master> kMasterNames[] = {{Master::FP32, "fp32"}, {Master::BF16, "bf16"}};
inline constexpr EnumName<Quant> kQuantNames[] = {{Quant::None, "none"}, {Quant::None, "bf16"}, {Quant::NF4, "nf4"}};
inline constexpr EnumName<LoraTargets> kLoraTargetNames[] = {
    {LoraTargets::Torchtune, "qvo-mlp"}, {LoraTargets::QV, "qv"}, {LoraTargets::QKV, "qkv"}, {LoraTargets::All, "all"}};
inline constexpr EnumName<Fsdp> kFsdpNames[] = {{Fsdp::Off, "off"}, {Fsdp::Off, "no"}, {Fsdp::Full, "full"},
                                                {Fsdp::Full, "on"}, {Fsdp::Full, "yes"}, {Fsdp::Hybrid, "hybrid"}};

// Model-parallel layout; data parallelism is what is left of the GPU count.
struct Layout {
    int tp = 1, pp = 1, vpp = 1, cp = 1, ep = 1;
    int etp = 0;  // expert tensor parallelism; 0: the framework's default (Megatron: tp)
    long first = 0, last = 0;  // layers on the first / last pipeline stage; 0: spread evenly
    bool sp = false;  // sequence parallelism (Megatron, with tp > 1)
    int model_parallel() const { return tp * pp * cp; }
};

// Transformer layers on pipeline rank `rank`, and the index of its first layer: `first`/`last`
// as given (Megatron-Core --decoder-first/last-pipeline-num-layers), the rest spread as evenly
// as possible with the earlier stages taking one more (DeepSpeed's partition_uniform).
long stage_layers(const Layout& l, long layers, int rank);
long stage_start(const Layout& l, long layers, int rank);

struct TrainingSetup {
    Precision precision = Precision::BF16;
    Optimizer optimizer = Optimizer::AdamW;
    Recompute recompute = Recompute::None;
    Framework framework = Framework::Megatron;
    const FrameworkProfile* profile = nullptr;  // nullptr: the newest of the framework's family
    bool profile_versioned = false;  // the job named a version (a site's pin does not replace it)
    Layout layout;
    int zero = 0;            // DeepSpeed ZeRO stage 0-3
    Fsdp fsdp = Fsdp::Off;   // PyTorch FSDP; Full == ZeRO-3, Hybrid shards within a node
    bool fsdp_given = false;  // the job said --fsdp (else calc::effective_setup applies the profile's default)
    bool dist_opt = false;   // Megatron distributed optimizer (ZeRO-1 over DP)
    // The GPU's FP8 GEMMs take non-TN layouts (Target::fp8_gemm_non_tn): set from the GPU, not by the job.
    bool fp8_gemm_non_tn = false;
    bool flash = true;       // flash attention (no s^2 activation term)
    bool offload_optimizer = false;
    // Pure bf16 (Master::BF16): no fp32 master copy; grads and optimizer states in bf16 (torchtune
    // dtype=bf16, LitGPT bf16-true; Megatron: precision-aware optimizer, main grads and Adam moments
    // in bf16, main params stay fp32). docs/calculator.md "Training modes".
    Master master = Master::FP32;
    bool optim_in_backward = false;  // optimizer step per parameter in backward: grads freed at once
    long lora_rank = 0;              // > 0: LoRA fine-tuning, base weights frozen
    LoraTargets lora_targets = LoraTargets::Torchtune;
    Quant quant = Quant::None;       // NF4: QLoRA (4-bit frozen base linear layers)
    bool offload_activations = false;    // saved activations to host (torchtune OffloadActivations)
    bool partition_activations = false;  // DeepSpeed: checkpoints split over TP ranks
    bool cpu_checkpointing = false;      // DeepSpeed: partitioned checkpoints to host
    double moe_capacity = 1.0;       // worst expert's tokens / the balanced average (capacity factor)
    int compile = -1;        // torch.compile (torchtitan): 1 on, 0 off, -1 the profile's default
    int ac_every = 0;        // torchtitan selective_ac_option = N (every N-th block full AC); 0: op SAC
    long mbs = 1;            // micro-batch, sequences per GPU
    long gbs = 0;            // global batch in sequences; 0: mbs x DP (no accumulation)
    long seq = 4096;
    double tokens = 0;       // tokens to train; 0: no time estimate
    double mfu = 0;          // model FLOPs utilisation; 0: the GPU's prior

    // What sharding the optimizer state gets, in ZeRO terms (0 none, 1 opt, 2 +grads, 3 +weights).
    int shard_stage() const;
    // Expert tensor parallelism: the layout's etp, else Megatron-Core's default (tp) or, for the
    // other frameworks, tp without expert parallelism and 1 with it.
    int expert_tp() const;
};

// The precisions whose GEMMs run on the GPU's FP8 units (per-tensor or block-scaled).
inline bool fp8_gemms(Precision p) { return p == Precision::FP8 || p == Precision::MXFP8; }

inline const char* name(Precision v) { return name_of(kPrecisionNames, v); }
inline const char* name(Optimizer v) { return name_of(kOptimizerNames, v); }
inline const char* name(Recompute v) { return name_of(kRecomputeNames, v); }
inline const char* name(Framework v) { return name_of(kFrameworkNames, v); }
inline const char* name(Master v) { return name_of(kMasterNames, v); }
inline const char* name(Quant v) { return name_of(kQuantNames, v); }
inline const char* name(LoraTargets v) { return name_of(kLoraTargetNames, v); }
// "pure bf16, LoRA r=8 (qvo-mlp), nf4 base, ..." for the modes that differ from the defaults; "" none.
std::string describe_modes(const TrainingSetup&);
std::string describe(const Layout&);  // "tp=4,pp=2" (only what differs from 1)

}  // namespace aif::calc

// SPDX-License-Identifier: GPL-2.0-or-later
// Training modes beyond plain mixed precision: LoRA/QLoRA adapters and their frozen base, pure
// bf16, optimizer-in-backward, activation offload. Sources: docs/calculator.md "Training modes".
#pragma once
#include "calc/model.hpp"
#include "calc/training.hpp"

namespace aif::calc {

// LoRA parameters of one transformer layer (before tensor parallelism): rank r on each adapted
// linear layer of shape in x out adds r(in + out). MoE layers get attention adapters only
// (torchtune and PEFT adapt no routed experts by default).
double lora_params_per_layer(const Architecture& a, const TrainingSetup& s, bool moe_layer);

// Bytes per parameter of an NF4 weight: 4-bit codes, one absmax per 64 weights, the absmaxes
// themselves quantized to 8 bits in blocks of 256 with one fp32 constant each (QLoRA's double
// quantization; bitsandbytes quantize_4bit blocksize=64, torchao to_nf4 block_size=64,
// scaler_block_size=256).
inline constexpr double kNf4BytesPerParam = 0.5 + 1.0 / 64 + 4.0 / (64 * 256);

// Optimizer state bytes per trainable parameter (m and v for Adam), in the dtype the mode keeps
// them: fp32 by default, the parameters' bf16 with --master=bf16. Paged 8-bit AdamW lives in
// CUDA managed memory outside the PyTorch allocator (bitsandbytes get_paged), so 0 on the GPU.
double optimizer_state_bytes(Optimizer o, Master m);

// Throws InputError when modes are combined in a way the frameworks refuse.
void check_modes(const Architecture& a, const TrainingSetup& s, int dp);

}  // namespace aif::calc

// SPDX-License-Identifier: GPL-2.0-or-later
// FLOPs per token, tokens per second, and the time, GPU-hours and energy to train.
#pragma once
#ifdef AIF_PLUGIN
#error "throughput.hpp is internal to lib/calc: include calc/calc.hpp"
#endif
#include "calc/estimate.hpp"

namespace aif::calc {

// Model FLOPs per token: 6 x matmul parameters (LM head in, input embedding out) plus the causal
// attention term 6 L s a d (Megatron/NeMo convention, feasibility §1.1 and §2.7). `causal` false
// counts the full attention matrix (12 L s a d), as llm-foundry and torchtitan do.
double model_flops_per_token(const Architecture& a, const ParamCount& p, long seq, bool causal = true);
// What training computes per token: the model FLOPs, less the weight gradients of frozen weights
// with LoRA (4 instead of 6 per frozen parameter, 6 per adapter parameter; Hu et al. 2021, LoRA, "practical benefits": 25 % faster on GPT-3).
double training_flops_per_token(const Architecture& a, const ParamCount& p, const TrainingSetup& s);
// With recomputation counted: full recompute adds a forward pass (x 4/3 without LoRA).
double hardware_flops_per_token(const Architecture& a, const ParamCount& p, const TrainingSetup& s);
// The MFU used when the user gives none: the GPU's prior, x1.4 for FP8 and MXFP8 on GPUs with FP8 units.
double default_mfu(const TrainingSetup& s, const Target& t);

// Pipeline bubble of the 1F1B schedule, idle over busy time: (pp - 1) / (m x vpp) (Narayanan et
// al. 2021 §2.2; m micro-batches per step). 0 without pipelining.
double pipeline_bubble(const Layout& l, long micro_batches);

// Fills flops, tokens_per_s and (with s.tokens) train/GPU/node hours and energy.
void fill_throughput(Estimate& e, const Architecture& a, const TrainingSetup& s, const Target& t);

}  // namespace aif::calc

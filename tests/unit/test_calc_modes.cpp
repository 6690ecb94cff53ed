// SPDX-License-Identifier: GPL-2.0-or-later
// Training modes (docs/calculator.md "Training modes"): pure bf16, optimizer in backward,
// LoRA/QLoRA, activation offload, DeepSpeed partitioned/CPU checkpoints, fp8 activations, MoE
// capacity. Each expectation is the framework's own rule written out, not a fitted figure.
#include <cmath>
#include <string>

#include "calc/arch_spec.hpp"
#include "calc/estimate.hpp"
#include "calc/job.hpp"
#include "calc/modes.hpp"
#include "calc/search.hpp"
#include "calc/throughput.hpp"
#include "check_main.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

using namespace aif;

static calc::Architecture llama8b() {
    return calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=128256");
}

// One GPU, torchtune-style single device: FSDP code path without sharding.
static calc::TrainingSetup single_device() {
    calc::TrainingSetup s;
    s.framework = calc::Framework::FSDP;
    s.mbs = 2;
    s.seq = 2048;
    s.recompute = calc::Recompute::Full;
    return s;
}

// torchtune dtype=bf16 / LitGPT bf16-true: 2 bytes of weights, 2 of grads, Adam's m and v in the
// parameters' dtype (torch.optim creates them with zeros_like(param)): 8 bytes/param, no copies.
START_TEST(pure_bf16_keeps_no_fp32_copy) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s = single_device();
    const calc::MemoryBreakdown mixed = calc::memory_only(a, p, s, 1, 1);
    ck_assert_double_eq_tol(mixed.weights, 4 * p.total, 1);  // autocast keeps fp32 weights
    s.master = calc::Master::BF16;
    calc::MemoryBreakdown m = calc::memory_only(a, p, s, 1, 1);
    ck_assert_double_eq_tol(m.weights, 2 * p.total, 1);
    ck_assert_double_eq_tol(m.gradients, 2 * p.total, 1);
    ck_assert_double_eq_tol(m.optimizer, 4 * p.total, 1);
    ck_assert_double_eq(m.buffers, 0);  // no autocast bf16 copies of bf16 weights
    s.optimizer = calc::Optimizer::AdamW8bit;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).optimizer, 2 * p.total, 1);
    s.optimizer = calc::Optimizer::PagedAdamW8bit;  // CUDA managed memory, not the allocator's
    ck_assert_double_eq(calc::memory_only(a, p, s, 1, 1).optimizer, 0);
    // Megatron's precision-aware optimizer: bf16 main grads and moments, fp32 main params.
    calc::TrainingSetup meg;
    meg.master = calc::Master::BF16;
    m = calc::memory_only(a, p, meg, 1, 1);
    ck_assert_double_eq_tol(m.gradients, 2 * p.total, 1);
    ck_assert_double_eq_tol(m.optimizer, (4 + 4) * p.total, 1);
    s.precision = calc::Precision::FP16;
    ck_assert_input_error(calc::check_layout(a, s, 1), "--master=bf16 needs --precision bf16");
}
END_TEST

// torchtune optimizer_in_bwd: a post-accumulate-grad hook steps each parameter and frees its grad,
// so the largest single tensor's gradient (here the 128256 x 4096 embedding/LM head) is what stays.
START_TEST(optimizer_in_backward_frees_gradients) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s = single_device();
    s.master = calc::Master::BF16;
    s.optim_in_backward = true;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).gradients, 2.0 * 128256 * 4096, 1);
    s.gbs = 8;  // 4 micro-batches on one GPU: accumulation, which the hook cannot do
    ck_assert_input_error(calc::check_layout(a, s, 1), "--optim-in-bwd steps each parameter");
}
END_TEST

// LoRA adds r(in + out) per adapted linear layer. PEFT prints 3,407,872 trainable parameters for
// Llama-3-8B with r=8 on q_proj and v_proj: 32 x (8(4096+4096) + 8(4096+1024)).
START_TEST(lora_counts_and_trains_only_adapters) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s = single_device();
    s.master = calc::Master::BF16;
    s.lora_rank = 8;
    s.lora_targets = calc::LoraTargets::QV;
    ck_assert_double_eq(32 * calc::lora_params_per_layer(a, s, false), 3'407'872);
    // torchtune's recipes: q, v, output_proj and the three MLP projections.
    s.lora_targets = calc::LoraTargets::Torchtune;
    const double per_layer = 8.0 * (2 * 8192 + (4096 + 1024)) + 3 * 8.0 * (4096 + 14336);
    ck_assert_double_eq(calc::lora_params_per_layer(a, s, false), per_layer);
    const double lora = 32 * per_layer;
    calc::MemoryBreakdown m = calc::memory_only(a, p, s, 1, 1);
    ck_assert_double_eq_tol(m.weights, 2 * p.total + 2 * lora, 1);  // frozen bf16 base + adapters
    ck_assert_double_eq_tol(m.gradients, 2 * lora, 1);                // no grads for the base
    ck_assert_double_eq_tol(m.optimizer, 4 * lora, 1);
    // Activations are still stored: the same as full fine-tuning.
    calc::TrainingSetup full = single_device();
    full.master = calc::Master::BF16;
    ck_assert_double_eq_tol(m.activations, calc::memory_only(a, p, full, 1, 1).activations, 1);
}
END_TEST

// QLoRA: 4-bit NF4 codes + one 8-bit absmax per 64 weights + one fp32 constant per 256 absmaxes
// (double quantization: 0.127 bits/param of constants, Dettmers et al. 2023 §3); embedding, LM head
// and norms stay bf16. One linear layer is dequantized to bf16 for its matmul.
START_TEST(qlora_base_in_nf4) {
    ck_assert_double_eq_tol((calc::kNf4BytesPerParam - 0.5) * 8, 0.127, 1e-3);
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s = single_device();
    s.master = calc::Master::BF16;
    s.lora_rank = 8;
    s.lora_targets = calc::LoraTargets::All;
    s.quant = calc::Quant::NF4;
    const double lora = 32 * calc::lora_params_per_layer(a, s, false);
    const double linear = 32 * (p.attention + p.dense_mlp), rest = p.total - linear;
    calc::MemoryBreakdown m = calc::memory_only(a, p, s, 1, 1);
    ck_assert_double_eq_tol(m.weights, linear * calc::kNf4BytesPerParam + rest * 2 + 2 * lora, 1);
    ck_assert_double_eq_tol(m.buffers, 2.0 * 4096 * 14336, 1);
    s.lora_rank = 0;
    ck_assert_input_error(calc::check_layout(a, s, 1), "--quant=nf4: the 4-bit base is frozen");
}
END_TEST

// torchtune OffloadActivations: only the layers in use stay (computed + copied); with full
// recompute those are layer inputs of s·b·h bf16 each.
START_TEST(activation_offload_keeps_two_layers) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s = single_device();
    const double on_gpu = calc::memory_only(a, p, s, 1, 1).activations;
    s.offload_activations = true;
    const double offloaded = calc::memory_only(a, p, s, 1, 1).activations;
    ck_assert_double_eq_tol(on_gpu - offloaded, 30.0 * 2 * 2048 * 4096 * 2, 1);
    s.recompute = calc::Recompute::None;  // without checkpoints: two layers' whole activations
    const double layer = calc::activation_bytes_per_layer(a, s, false);
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).activations, 2 * layer + 8.0 * 2 * 2048, 1);
}
END_TEST

// DeepSpeed activation_checkpointing: partition_activations splits the checkpoints over the
// model-parallel ranks; cpu_checkpointing (only with it) moves them to the host.
START_TEST(deepspeed_partitioned_and_cpu_checkpoints) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s;
    s.framework = calc::Framework::DeepSpeed;
    s.recompute = calc::Recompute::Full;
    s.layout.tp = 4;
    s.seq = 4096;
    const double whole = calc::memory_only(a, p, s, 4, 4).activations;
    s.partition_activations = true;
    const double split = calc::memory_only(a, p, s, 4, 4).activations;
    const double input = 4096.0 * 4096 * 2;
    ck_assert_double_eq_tol(whole - split, 32 * input * (1 - 1.0 / 4), 1);
    s.cpu_checkpointing = true;
    ck_assert_double_eq_tol(split - calc::memory_only(a, p, s, 4, 4).activations, 31 * input / 4, 1);
    s.partition_activations = false;
    ck_assert_input_error(calc::check_layout(a, s, 4), "add --partition-activations");
    s.partition_activations = true;
    s.recompute = calc::Recompute::Selective;
    ck_assert_input_error(calc::check_layout(a, s, 4), "it needs --recompute full");
}
END_TEST

// TransformerEngine fp8 saves the fp8 cast of each linear layer's input: QKV, out-projection, MLP
// and down-projection inputs go from 2 bytes to 1. torchao float8 (torchtitan) saves the bf16 input.
START_TEST(fp8_linear_inputs_in_transformer_engine_only) {
    const calc::Architecture a = llama8b();
    calc::TrainingSetup s;
    s.seq = 4096;
    const double bf16 = calc::activation_bytes_per_layer(a, s, false);
    s.precision = calc::Precision::FP8;
    const double sbh = 4096.0 * 4096;
    ck_assert_double_eq_tol(bf16 - calc::activation_bytes_per_layer(a, s, false), sbh * (2 + 1 + 14336.0 / 4096), 1);
    s.framework = calc::Framework::FSDP;
    const double titan_bf16 = [&] { calc::TrainingSetup b = s; b.precision = calc::Precision::BF16; return calc::activation_bytes_per_layer(a, b, false); }();
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), titan_bf16, 1);
}
END_TEST

// TransformerEngine MXFP8 (--fp8-recipe mxfp8) saves each linear layer's input as columnwise MXFP8
// data, 1 byte per value, plus one e8m0 scale byte per 32 values (layernorm_linear.py / linear.py
// update_usage(rowwise_usage=False); mxfp8_tensor.py get_scale_shape, block 32, at d0067d0d): the
// four saved inputs go from 2 bytes to 1 + 1/32, a cut of 31/32 byte per value each.
START_TEST(mxfp8_linear_inputs_keep_columnwise_data_and_scales) {
    const calc::Architecture a = llama8b();
    calc::TrainingSetup s;
    s.seq = 4096;
    const double bf16 = calc::activation_bytes_per_layer(a, s, false);
    s.precision = calc::Precision::MXFP8;
    const double sbh = 4096.0 * 4096;
    // QKV and MLP inputs (h each), out-projection input (h), down-projection input (f).
    const double inputs = sbh * (2 + 1 + 14336.0 / 4096);
    const double mxfp8 = calc::activation_bytes_per_layer(a, s, false);
    ck_assert_double_eq_tol(bf16 - mxfp8, inputs * (2 - (1 + 1.0 / 32)), 1);
    s.framework = calc::Framework::FSDP;  // torchao's MX linear saves the bf16 input
    calc::TrainingSetup b = s;
    b.precision = calc::Precision::BF16;
    const double titan_bf16 = calc::activation_bytes_per_layer(a, b, false);
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), titan_bf16, 1);
}
END_TEST

// TransformerEngine's weight workspaces, cached for the step, in rowwise and columnwise usage
// (linear.py weight_quantizer.set_usage(rowwise=True, columnwise=...)): per-tensor fp8 keeps its data
// and, where FP8 GEMMs are TN-only (Hopper; utils.py is_non_tn_fp8_gemm_supported), a transpose
// (float8_tensor.py "_transpose"): 2 bytes per linear parameter, 1 on datacenter Blackwell; MXFP8 keeps
// rowwise and columnwise data with their scales (mxfp8_tensor.py _rowwise_data, _rowwise_scale_inv,
// _columnwise_data, _columnwise_scale_inv): 2 x (1 + 1/32) = 2.0625 bytes on any GPU.
START_TEST(mxfp8_caches_rowwise_and_columnwise_weights) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s;  // Megatron
    const double bf16 = calc::memory_only(a, p, s, 1, 1).weights;
    ck_assert_double_eq_tol(bf16, 2 * p.total, 1);
    // Only TE's linear layers have workspaces: not the embedding, the output layer or the norms.
    const double linear = 32 * (p.attention + p.dense_mlp);
    s.precision = calc::Precision::FP8;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).weights - bf16, 2 * linear, 1);
    s.fp8_gemm_non_tn = true;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).weights - bf16, 1 * linear, 1);
    s.precision = calc::Precision::MXFP8;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).weights - bf16, 2.0625 * linear, 1);
    s.fp8_gemm_non_tn = false;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).weights - bf16, 2.0625 * linear, 1);
    // The GPU decides, not the job: an estimate on an H100 and on a B200 (the catalogue's flag).
    s.precision = calc::Precision::FP8;
    calc::Target h100, b200;
    b200.fp8_gemm_non_tn = true;
    h100.memory_bytes = b200.memory_bytes = 80e9;
    ck_assert_double_eq_tol(calc::estimate(a, s, h100).mem.weights - calc::estimate(a, s, b200).mem.weights,
                            linear, 1);
    s.framework = calc::Framework::FSDP;  // torchtitan: the module's own weight only
    calc::TrainingSetup b = s;
    b.precision = calc::Precision::BF16;
    const double titan_bf16 = calc::memory_only(a, p, b, 1, 1).weights;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).weights, titan_bf16, 1);
}
END_TEST

// The default MFU prior: x1.4 where the GPU has FP8 units, for fp8 and MXFP8 alike (throughput.cpp).
START_TEST(mxfp8_gets_the_fp8_mfu_prior) {
    calc::TrainingSetup s;
    calc::Target t;
    t.mfu_prior = 0.4;
    s.precision = calc::Precision::MXFP8;
    ck_assert_double_eq(calc::default_mfu(s, t), 0.4);  // no FP8 units
    t.fp8_flops = 4.5e15;
    ck_assert_double_eq_tol(calc::default_mfu(s, t), 0.56, 1e-12);
    s.precision = calc::Precision::FP8;
    ck_assert_double_eq_tol(calc::default_mfu(s, t), 0.56, 1e-12);
}
END_TEST

// Megatron --moe-expert-capacity-factor: each expert holds at most capacity x its balanced share
// (get_capacity in moe_utils.py); the routed experts' activations on the worst GPU scale with it.
START_TEST(moe_capacity_scales_routed_activations) {
    calc::Architecture a = calc::parse_arch(
        "hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=32000,experts=8,topk=2,expert_ffn=14336");
    calc::TrainingSetup s;
    s.seq = 4096;
    const double balanced = calc::activation_bytes_per_layer(a, s, true);
    s.moe_capacity = 1.5;
    const double routed = 2 * (6.0 * 14336 / 4096 + 2) * 4096.0 * 4096;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, true) - balanced, 0.5 * routed, 1);
    calc::Architecture dense = llama8b();
    ck_assert_input_error(calc::check_layout(dense, s, 1), "--moe-capacity needs a mixture-of-experts model");
}
END_TEST

// LoRA computes no weight gradients for the frozen base: 4 FLOPs per frozen matmul parameter
// (forward + input gradient) instead of 6, 6 per adapter parameter; the attention core unchanged.
START_TEST(lora_skips_frozen_weight_gradients_in_flops) {
    const calc::Architecture a = llama8b();
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s = single_device();
    const double full = calc::training_flops_per_token(a, p, s);
    ck_assert_double_eq(full, calc::model_flops_per_token(a, p, s.seq));
    s.lora_rank = 8;
    s.lora_targets = calc::LoraTargets::QV;
    const double matmul = 32 * (p.attention + p.dense_mlp) + 128256.0 * 4096;
    ck_assert_double_eq_tol(calc::training_flops_per_token(a, p, s), full - 2 * matmul + 6 * 3'407'872.0, 1);
    // Full recompute adds the same forward pass either way.
    ck_assert_double_eq_tol(calc::hardware_flops_per_token(a, p, s) - calc::training_flops_per_token(a, p, s),
                            full / 3, 1);
}
END_TEST

// The search offers only layouts the mode allows: no pipeline, DP = global batch / micro-batch.
START_TEST(search_respects_optimizer_in_backward) {
    const calc::Architecture a =
        calc::parse_arch("hidden=8192,layers=80,heads=64,kv_heads=8,ffn=28672,vocab=128256");
    calc::TrainingSetup s;
    s.master = calc::Master::BF16;
    s.optim_in_backward = true;
    s.dist_opt = true;
    s.gbs = 32;
    calc::Target t;
    t.memory_bytes = 80 * GiB;
    t.peak_flops = 1e15;
    t.gpus_per_node = 8;
    t.gpus = 8;
    calc::SearchResult r = calc::smallest_fit(a, s, t);
    ck_assert(r.best.has_value());
    for (const calc::Estimate& e : r.ranked) {
        ck_assert_int_eq(e.layout.pp, 1);
        ck_assert_int_eq(e.dp, 32);
    }
}
END_TEST

START_TEST(mode_options_parse_and_describe) {
    calc::JobSpec job;
    calc::apply_option(job, "master", "bf16", "--llm-");
    calc::apply_option(job, "optim-in-bwd", "", "--llm-");
    calc::apply_option(job, "lora", "16", "--llm-");
    calc::apply_option(job, "lora-targets", "qkv", "--llm-");
    calc::apply_option(job, "quant", "nf4", "--llm-");
    calc::apply_option(job, "offload-activations", "on", "--llm-");
    calc::apply_option(job, "moe-capacity", "1.25", "--llm-");
    const calc::TrainingSetup& s = job.setup;
    ck_assert(s.master == calc::Master::BF16 && s.optim_in_backward && s.lora_rank == 16);
    ck_assert(s.lora_targets == calc::LoraTargets::QKV && s.quant == calc::Quant::NF4 && s.offload_activations);
    ck_assert_double_eq(s.moe_capacity, 1.25);
    ck_assert_str_eq(calc::describe_modes(s),
                     "pure bf16 (no fp32 master), optimizer in backward, LoRA r=16 (qkv), NF4 base, "
                     "activations offloaded, MoE capacity 1.25");
    ck_assert_str_eq(calc::describe_modes(calc::TrainingSetup{}), "");
    ck_assert_input_error(calc::apply_option(job, "lora-targets", "mlp", "--llm-"), "--llm-lora-targets");
    ck_assert_input_error(calc::apply_option(job, "moe-capacity", "0.5", "--llm-"), "--llm-moe-capacity");
    ck_assert_input_error(calc::apply_option(job, "master", "fp8", "--llm-"), "--llm-master");
}
END_TEST

int main() {
    Suite* s = suite_create("calc-modes");
    TCase* tc = tcase_create("modes");
    tcase_add_test(tc, pure_bf16_keeps_no_fp32_copy);
    tcase_add_test(tc, optimizer_in_backward_frees_gradients);
    tcase_add_test(tc, lora_counts_and_trains_only_adapters);
    tcase_add_test(tc, qlora_base_in_nf4);
    tcase_add_test(tc, activation_offload_keeps_two_layers);
    tcase_add_test(tc, deepspeed_partitioned_and_cpu_checkpoints);
    tcase_add_test(tc, fp8_linear_inputs_in_transformer_engine_only);
    tcase_add_test(tc, mxfp8_linear_inputs_keep_columnwise_data_and_scales);
    tcase_add_test(tc, mxfp8_caches_rowwise_and_columnwise_weights);
    tcase_add_test(tc, mxfp8_gets_the_fp8_mfu_prior);
    tcase_add_test(tc, moe_capacity_scales_routed_activations);
    tcase_add_test(tc, lora_skips_frozen_weight_gradients_in_flops);
    tcase_add_test(tc, search_respects_optimizer_in_backward);
    tcase_add_test(tc, mode_options_parse_and_describe);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

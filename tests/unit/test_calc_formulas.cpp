// SPDX-License-Identifier: GPL-2.0-or-later
// The published estimators (feasibility §3.4, V1-V7) and FLOP counts, reproduced exactly.
#include <algorithm>
#include <cmath>

#include "calc/anchors.hpp"
#include "calc/arch_spec.hpp"
#include "calc/estimate.hpp"
#include "calc/fsdp_pipeline.hpp"
#include "calc/job.hpp"
#include "calc/models.hpp"
#include "calc/profiles.hpp"
#include "calc/throughput.hpp"
#include "check_main.hpp"
#include "common/error.hpp"
#include "common/text.hpp"

using namespace aif;

static double gib2(double bytes) { return std::round(bytes / GiB * 100) / 100; }  // two decimals
static double mib0(double bytes) { return std::round(bytes / (1024.0 * 1024.0)); }

START_TEST(v1_deepspeed_zero2) {
    const double p = 2851e6;  // t5-3b, the docs' "2851M total params"
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero2(p, 8, 1, false).gpu), 15.93);
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero2(p, 8, 1, true).gpu), 5.31);
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero2(p, 8, 1, false).cpu), 127.45);  // "cold" column
}
END_TEST

START_TEST(v2_v3_deepspeed_zero3) {
    const double p = 2851e6, ll = 32.9e6;
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero3(p, ll, 8, 1, true, true, true).gpu), 0.12);
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero3(p, ll, 8, 1, true, false, true).gpu), 0.79);
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero3(p, ll, 8, 1, false, false, true).gpu), 6.10);
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero3(p, ll, 8, 1, false, false, true).cpu), 1.47);
    ck_assert_double_eq(gib2(calc::anchors::deepspeed_zero3(p, ll, 8, 1, false, false, false).cpu), 127.45);
    // V3: t5-large, 737.67M params, largest layer 32.90M, 4 GPUs: 3,291 / 125 / 477 MB (MiB).
    const double q = 737.67e6, l3 = 32.90e6;
    // The inputs are published rounded (737.67M, 32.90M), so the MiB figures carry +-1.
    ck_assert_double_eq_tol(mib0(calc::anchors::deepspeed_zero3(q, l3, 4, 1, false, false, true).gpu), 3291, 1.01);
    ck_assert_double_eq_tol(mib0(calc::anchors::deepspeed_zero3(q, l3, 4, 1, true, true, true).gpu), 125, 1.01);
    ck_assert_double_eq_tol(mib0(calc::anchors::deepspeed_zero3(q, l3, 4, 1, true, false, true).gpu), 477, 1.01);
}
END_TEST

START_TEST(v4_zero_paper_table) {
    auto gb = [](double b) { return std::round(b / 1e8) / 10; };  // GB, one decimal
    ck_assert_double_eq(gb(calc::anchors::zero_paper_model_states(7.5e9, 64, 12, 0)), 120.0);
    ck_assert_double_eq(gb(calc::anchors::zero_paper_model_states(7.5e9, 64, 12, 1)), 31.4);
    ck_assert_double_eq(gb(calc::anchors::zero_paper_model_states(7.5e9, 64, 12, 2)), 16.6);
    ck_assert_double_eq(gb(calc::anchors::zero_paper_model_states(7.5e9, 64, 12, 3)), 1.9);
}
END_TEST

// Model-state bytes per parameter of the unified estimate, on one GPU of a DP group.
static double state_bytes_per_param(calc::Precision prec, int dp, bool dist_opt) {
    calc::Architecture a = calc::parse_arch("hidden=1024,layers=4,heads=8,ffn=4096,vocab=32000");
    calc::TrainingSetup s;
    s.framework = calc::Framework::Megatron;
    s.precision = prec;
    s.dist_opt = dist_opt;
    calc::ParamCount p = calc::count_params(a);
    calc::MemoryBreakdown m = memory_only(a, p, s, dp, 8);
    return (m.weights + m.gradients + m.optimizer) / p.total;
}

START_TEST(v5_megatron_distributed_optimizer) {
    ck_assert_double_eq_tol(state_bytes_per_param(calc::Precision::BF16, 4, false), 18, 1e-9);
    ck_assert_double_eq_tol(state_bytes_per_param(calc::Precision::BF16, 4, true), 6 + 12.0 / 4, 1e-9);
    ck_assert_double_eq_tol(state_bytes_per_param(calc::Precision::FP16, 4, false), 20, 1e-9);
    ck_assert_double_eq_tol(state_bytes_per_param(calc::Precision::FP16, 4, true), 4 + 16.0 / 4, 1e-9);
    ck_assert_double_eq_tol(state_bytes_per_param(calc::Precision::FP32, 4, false), 16, 1e-9);
    ck_assert_double_eq_tol(state_bytes_per_param(calc::Precision::FP32, 4, true), 8 + 8.0 / 4, 1e-9);
}
END_TEST

START_TEST(v6_accelerate_estimate) {
    const double bert = 108'310'272;  // bert-base-cased
    const double ids = 2 * 512 * 8;   // its position_ids and token_type_ids buffers (int64), which accelerate counts
    auto mib2 = [](double b) { return std::round(b / (1024.0 * 1024.0) * 100) / 100; };
    ck_assert_double_eq(mib2(calc::anchors::accelerate_model_bytes(bert, 4, ids)), 413.18);
    ck_assert_double_eq(mib2(calc::anchors::accelerate_model_bytes(bert, 2, ids)), 206.59);
    ck_assert_double_eq(mib2(calc::anchors::accelerate_model_bytes(bert, 0.5, ids)), 51.65);
    ck_assert_double_eq(gib2(calc::anchors::accelerate_training_bytes(bert, 4)), 1.61);
    // The docs' fp16 row is 2x the fp32 model including its int64 buffers: +-0.02 MiB.
    ck_assert_double_eq_tol(mib2(calc::anchors::accelerate_training_bytes(bert, 2)), 826.36, 0.021);
}
END_TEST

// Korthikanti et al. Table 2 for a GPT layer (dropout, f = 4h, fp16, no flash attention).
START_TEST(v7_korthikanti_activation_table) {
    calc::Architecture a = calc::parse_arch("hidden=4096,layers=32,heads=32,ffn=16384,vocab=51200,mlp=plain,norm=layer,dropout=yes");
    calc::TrainingSetup s;
    s.framework = calc::Framework::Megatron;
    s.precision = calc::Precision::FP16;
    s.flash = false;
    s.seq = 2048;
    s.mbs = 4;
    const double sbh = 2048.0 * 4 * 4096, as2b = 32.0 * 2048 * 2048 * 4;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), sbh * 34 + 5 * as2b, 1);
    s.layout.tp = 8;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), sbh * (10 + 24.0 / 8) + 5 * as2b / 8, 1);
    s.layout.sp = true;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), sbh * 34 / 8 + 5 * as2b / 8, 1);
    s.layout.sp = false;
    s.recompute = calc::Recompute::Selective;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), sbh * (10 + 24.0 / 8), 1);
}
END_TEST

START_TEST(flops_per_token_conventions) {
    calc::ModelCatalogue c = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    const calc::Architecture& l8 = c.require("llama3.1-8b").arch;
    // NeMo: 744 TFLOP/s / 14,451 tok/s = 51.48 GFLOP per token at seq 8192 (feasibility T15).
    ck_assert_double_eq_tol(calc::model_flops_per_token(l8, calc::count_params(l8), 8192) / 1e9, 51.48, 0.02);
    // GPT-3: 6ND with N = 175B and D = 300B gives 3.14e23 (Brown et al. Table D.1).
    const calc::Architecture& g3 = c.require("gpt3-175b").arch;
    calc::ParamCount p = calc::count_params(g3);
    ck_assert_double_eq_tol(6 * p.total * 300e9 / 1e23, 3.14, 0.01);
    // The full-matrix attention convention doubles the attention term.
    double causal = calc::model_flops_per_token(l8, calc::count_params(l8), 8192, true);
    double full = calc::model_flops_per_token(l8, calc::count_params(l8), 8192, false);
    ck_assert_double_eq_tol(full - causal, 6.0 * 32 * 8192 * 32 * 128, 1);
}
END_TEST


// Issue 12: what the frameworks' own code does, each case from the source named in docs/calculator.md.
static calc::ModelCatalogue& catalogue() {
    static calc::ModelCatalogue c = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    return c;
}

// Layers per stage: first=/last= as Megatron-Core's get_num_layers_to_build, else an even spread
// with the earlier stages taking one more (DeepSpeed partition_uniform).
START_TEST(uneven_pipeline_split) {
    calc::Layout l;
    l.pp = 16;
    long sum = 0;
    for (int r = 0; r < 16; ++r) {
        ck_assert_int_eq(calc::stage_start(l, 126, r), sum);
        ck_assert_int_eq(calc::stage_layers(l, 126, r), r < 14 ? 8 : 7);  // 126 = 14 x 8 + 2 x 7
        sum += calc::stage_layers(l, 126, r);
    }
    ck_assert_int_eq(sum, 126);
    // BLOOM-176B: 70 layers on 12 stages, the embedding stages taking one layer less (5, 6 x 10, 5),
    // BigScience's 'type:transformer|embedding' partition.
    l.pp = 12;
    l.first = l.last = 5;
    ck_assert_int_eq(calc::stage_layers(l, 70, 0), 5);
    for (int r = 1; r < 11; ++r) ck_assert_int_eq(calc::stage_layers(l, 70, r), 6);
    ck_assert_int_eq(calc::stage_layers(l, 70, 11), 5);
    ck_assert_int_eq(calc::stage_start(l, 70, 11), 65);
    ck_assert_int_eq(calc::stage_start(l, 70, 2), 11);
}
END_TEST

// The three models of the issue evaluate; the worst stage decides and is named.
START_TEST(uneven_pipelines_evaluate) {
    struct Case {
        const char* model;
        const char* layout;
        int gpus;
    } cases[] = {{"llama3.1-405b", "tp=8,pp=16", 1024}, {"bloom-176b", "tp=4,pp=12,first=5,last=5", 384},
                 {"bloom-176b", "tp=4,pp=12", 384}, {"deepseek-v3", "pp=16,ep=64", 2048}};
    for (const Case& c : cases) {
        calc::JobSpec j;
        calc::apply_option(j, "model", c.model, "--");
        calc::apply_option(j, "layout", c.layout, "--");
        calc::apply_option(j, "dist-opt", "on", "--");
        calc::apply_option(j, "gbs", "1024", "--");
        calc::Architecture a = calc::resolve_arch(j, catalogue());
        calc::check_layout(a, j.setup, c.gpus);
        calc::StageMemory m = calc::memory_by_stage(a, calc::count_params(a), j.setup, c.gpus, 8);
        ck_assert(m.worst.total >= m.first.total && m.worst.total >= m.last.total);
        ck_assert(m.worst.total == calc::memory_only(a, calc::count_params(a), j.setup, c.gpus, 8).total);
        ck_assert_int_eq(m.first.rank, 0);
        ck_assert_int_eq(m.last.rank, j.setup.layout.pp - 1);
        ck_assert_int_eq(m.worst.layers, calc::stage_layers(j.setup.layout, a.layers, m.worst.rank));
    }
}
END_TEST

// In-flight micro-batches per rank, Megatron-Core schedules.py: 1F1B warm-up p - r - 1, interleaved
// 2(p - r - 1) + (v - 1)p model chunks, plus the one being computed.
START_TEST(stage_activations_follow_the_schedule) {
    calc::Architecture a = calc::parse_arch("hidden=1024,layers=10,heads=8,ffn=4096,vocab=32000");
    calc::TrainingSetup s;
    s.layout.pp = 4;  // 3, 3, 2, 2 layers
    s.gbs = 64;       // m = 64 micro-batches
    s.seq = 2048;
    const double layer = calc::activation_bytes_per_layer(a, s, false), ids = 8.0 * 2048;
    calc::StageMemory m = calc::memory_by_stage(a, calc::count_params(a), s, 4, 8);
    ck_assert_double_eq_tol(m.first.activations, 4 * (3 * layer + ids), 1);
    ck_assert_double_eq_tol(m.last.activations, 1 * (2 * layer + ids), 1);
    s.layout.vpp = 2;  // rank 0: (2 x 3 + 4 + 1) / 2 = 5.5 = p + (p - 1)/v (Korthikanti)
    m = calc::memory_by_stage(a, calc::count_params(a), s, 4, 8);
    ck_assert_double_eq_tol(m.first.activations, 5.5 * (3 * layer + ids), 1);
    ck_assert_double_eq_tol(m.last.activations, 2.5 * (2 * layer + ids), 1);  // (0 + 4 + 1) / 2
}
END_TEST

// Expert weights divide by ep x etp; Megatron's etp defaults to tp (arguments.py).
START_TEST(expert_tensor_parallelism) {
    const calc::Architecture& a = catalogue().require("mixtral-8x7b").arch;
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s;
    s.layout.tp = 2;
    s.layout.ep = 8;
    ck_assert_int_eq(s.expert_tp(), 2);
    const double dense = (p.total - a.layers * p.routed_experts) / 2, experts = a.layers * p.routed_experts;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 16, 8).weights, 2 * (dense + experts / 16), 1);
    s.layout.etp = 1;
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 16, 8).weights, 2 * (dense + experts / 8), 1);
    s.layout.etp = 0;
    s.framework = calc::Framework::FSDP;  // torchtitan: experts are not tensor-parallel under EP
    ck_assert_int_eq(s.expert_tp(), 1);
    calc::JobSpec j;
    calc::apply_option(j, "layout", "tp=2,ep=8,etp=1", "--");
    ck_assert_int_eq(j.setup.layout.etp, 1);
    ck_assert_str_eq(calc::describe(j.setup.layout).c_str(), "tp=2,ep=8,etp=1");
}
END_TEST

// Without flash attention: Megatron's fused softmax saves only its 2-byte output; HF eager keeps an
// fp32 softmax and its bf16 copy; dropout adds a 1-byte mask and a 2-byte output (Korthikanti's 5).
START_TEST(attention_without_flash) {
    calc::Architecture a = calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=128256");
    calc::TrainingSetup s;
    s.seq = 4096;
    s.layout.tp = 2;
    const double as2b = 32.0 * 4096 * 4096 / 2, lse = 4.0 * 32 * 4096 / 2;
    const double flash = calc::activation_bytes_per_layer(a, s, false);
    s.flash = false;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false) - flash, 2 * as2b - lse, 1);
    a.dropout = true;
    const double flash_dropout = [&] { calc::TrainingSetup f = s; f.flash = true; return calc::activation_bytes_per_layer(a, f, false); }();
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false) - flash_dropout, 5 * as2b - lse, 1);
    a.dropout = false;
    s.framework = calc::Framework::HF;
    s.flash = true;
    const double hf_flash = calc::activation_bytes_per_layer(a, s, false);
    s.flash = false;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false) - hf_flash, 6 * as2b - lse, 1);
}
END_TEST

// Megatron-Core's MLA (multi_latent_attention.py): query and key heads x (qk_nope + qk_rope) wide,
// value and output heads x v_head, where the generic count takes each h wide; the q and kv latents
// saved by their norm and their up projection. h 1024, 32 heads, 128 + 64 and 128, latents 1536 and
// 512, TP 2 with SP, 1 x 1024 tokens: per token and h, the norm and linear inputs 8 / 2, the
// latents (1536 + 512) x 4 / 1024 = 8 / 2, attention 2 x 32 x (2 x 192 + 2 x 128) / 1024 = 40 / 2, the
// gated MLP 6 x 4096 / 1024 = 24 / 2: 40 bytes x 1024 x 1024, plus the flash logsumexp 4 x 32 x 1024 / 2.
START_TEST(mla_attention_widths) {
    const calc::Architecture a = calc::parse_arch(
        "hidden=1024,layers=4,heads=32,ffn=4096,vocab=51712,q_lora=1536,kv_lora=512,qk_nope=128,qk_rope=64,v_head=128");
    calc::TrainingSetup s;  // Megatron
    s.seq = 1024;
    s.layout.tp = 2;
    s.layout.sp = true;
    ck_assert_double_eq_tol(calc::activation_bytes_per_layer(a, s, false), 40.0 * 1024 * 1024 + 4 * 32 * 1024 / 2, 1);
    // Its down projections and latent norms are the same on every TP rank (TELinear "duplicated"):
    // 1536 x 1025 + 512 x 1025 + 1024 x 64 = 2,164,736 per layer that TP 2 does not halve.
    const calc::ParamCount p = calc::count_params(a);
    ck_assert_double_eq(p.attention_duplicated, 2164736);
    calc::TrainingSetup one;
    const double whole = calc::memory_only(a, p, one, 1, 1).weights;  // bf16, 2 B per parameter
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 2, 2).weights - whole / 2, 4 * 2164736.0, 1);
}
END_TEST

// Megatron's multi-token prediction on the last stage (multi_token_prediction.py, gpt_model.py): per
// MTP layer one more layer of the decoder's kind, the inputs of enorm, hnorm, eh_proj and its final
// norm and its half of the concatenated hidden states (7h per token in bf16), eh_proj (2h x h) and
// three norms among the parameters, and the MTP cross entropy's saved fp32 softmax (4 B per logit)
// beside the main loss. Dense, one GPU, 1 x 1024 tokens.
START_TEST(multi_token_prediction_on_the_last_stage) {
    calc::Architecture a = calc::parse_arch("hidden=1024,layers=4,heads=16,ffn=4096,vocab=32000");
    calc::TrainingSetup s;
    s.seq = 1024;
    const calc::ParamCount p = calc::count_params(a);
    const calc::MemoryBreakdown plain = calc::memory_only(a, p, s, 1, 1);
    a.mtp_layers = 1;
    const calc::MemoryBreakdown mtp = calc::memory_only(a, p, s, 1, 1);
    ck_assert_double_eq_tol(mtp.logits - plain.logits, 4.0 * 1024 * 32000, 1);
    const double layer = calc::activation_bytes_per_layer(a, s, false);
    ck_assert_double_eq_tol(mtp.activations - plain.activations, layer + 14.0 * 1024 * 1024, 1);
    const double extra_params = p.layer_dense() + 2.0 * 1024 * 1024 + 3 * 1024;
    ck_assert_double_eq_tol(mtp.weights - plain.weights, 2 * extra_params, 1);  // bf16 weights
    // Under full recompute the checkpoint of norms, eh_proj and layer keeps hidden_states and
    // decoder_input, beside the MTP half of the concatenated hidden states: 3 x 2h per token.
    s.recompute = calc::Recompute::Full;
    const double full_plain = [&] {
        calc::Architecture b = a;
        b.mtp_layers = 0;
        return calc::memory_only(b, p, s, 1, 1).activations;
    }();
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).activations - full_plain, 6.0 * 1024 * 1024, 1);
    s.recompute = calc::Recompute::None;
    s.framework = calc::Framework::FSDP;  // MTP is Megatron's: other frameworks do not build it
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 1, 1).logits, [&] {
        a.mtp_layers = 0;
        return calc::memory_only(a, p, s, 1, 1).logits;
    }(), 1);
}
END_TEST

// Full recompute: the loss (logits) and the layer rebuilt in backward peak at different times.
START_TEST(full_recompute_takes_the_larger_peak) {
    calc::Architecture a = calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=128256");
    calc::TrainingSetup s;
    s.seq = 8192;
    s.recompute = calc::Recompute::Full;
    const calc::ParamCount p = calc::count_params(a);
    const double tokens = 8192, stored = tokens * 4096 * 2 * 32 + 8 * tokens;
    const double working = [&] { calc::TrainingSetup n = s; n.recompute = calc::Recompute::None; return calc::activation_bytes_per_layer(a, n, false); }();
    calc::MemoryBreakdown m = calc::memory_only(a, p, s, 1, 8);
    // Megatron's vocab-parallel cross entropy: fp32 softmax saved + bf16 logits or gradient, 6 B
    ck_assert_double_eq_tol(m.logits, tokens * 128256 * 6, 1);
    ck_assert(m.logits > working);
    ck_assert_double_eq_tol(m.activations + m.logits, stored + std::max(working, m.logits), 1);
    a.vocab = 1024;  // small vocabulary: the recompute peak is the larger
    m = calc::memory_only(a, calc::count_params(a), s, 1, 8);
    ck_assert_double_eq_tol(m.activations + m.logits, stored + working, 1);
}
END_TEST

// Plain DDP (no sharding) keeps a bucket copy of every gradient in the gradients' dtype, fp32 under
// autocast (torch.nn.parallel.DistributedDataParallel, gradient_as_bucket_view=False).
START_TEST(plain_ddp_gradient_buckets) {
    calc::Architecture a = calc::parse_arch("hidden=1024,layers=4,heads=8,ffn=4096,vocab=32000");
    calc::TrainingSetup s;
    s.framework = calc::Framework::HF;
    const calc::ParamCount p = calc::count_params(a);
    const double one = calc::memory_only(a, p, s, 1, 8).buffers, eight = calc::memory_only(a, p, s, 8, 8).buffers;
    ck_assert_double_eq_tol(eight - one, 4 * p.total, 1);
    s.fsdp = calc::Fsdp::Full;  // sharded: no DDP buckets
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 8, 8).buffers, calc::memory_only(a, p, s, 1, 8).buffers, 1);
}
END_TEST

// Pipeline bubble (p - 1)/(m v) (Narayanan et al. 2021 §2.2) stretches the step at the GPU's prior MFU.
START_TEST(pipeline_bubble_in_time) {
    calc::Layout l;
    l.pp = 4;
    ck_assert_double_eq_tol(calc::pipeline_bubble(l, 8), 3.0 / 8, 1e-12);
    l.vpp = 2;
    ck_assert_double_eq_tol(calc::pipeline_bubble(l, 8), 3.0 / 16, 1e-12);
    l.pp = 1;
    ck_assert_double_eq(calc::pipeline_bubble(l, 8), 0);
    const calc::Architecture& a = catalogue().require("llama3.1-70b").arch;
    calc::TrainingSetup s;
    s.layout.tp = 8;
    s.gbs = 64;
    calc::Target t;
    t.memory_bytes = 1e12;
    t.peak_flops = 1e15;
    t.mfu_prior = 0.4;
    t.gpus = 64;
    t.gpus_per_node = 8;
    const double flat = calc::estimate(a, s, t).tokens_per_s;
    s.layout.pp = 4;  // 64 GPUs / 32 = dp 2, m = 32
    calc::Estimate e = calc::estimate(a, s, t);
    ck_assert_double_eq_tol(e.bubble, 3.0 / 32, 1e-12);
    ck_assert_double_eq_tol(e.tokens_per_s, flat / (1 + 3.0 / 32), 1e-6 * flat);
    s.mfu = 0.4;  // a user's MFU is end to end: no bubble on top
    ck_assert_double_eq_tol(calc::estimate(a, s, t).tokens_per_s, flat, 1e-6 * flat);
}
END_TEST

// torch.distributed.pipelining's op order (schedules.py): the moment where held activations plus
// accumulated gradients peak. Schedule1F1B rank 0 with m = pp runs every forward first, so the
// gradients come with one micro-batch fewer; interleaved backwards the last local stage first, so
// all gradients exist only once the first local stage's chunks have mostly been freed.
START_TEST(torch_pipeline_peak_follows_the_op_order) {
    calc::Layout l;
    l.pp = 8;
    calc::PipelinePeak p = calc::torch_pipeline_peak(l, 0, 8, 1.0, 0.0);  // no gradients: all 8 forwards
    ck_assert_double_eq(p.held, 8);
    ck_assert_double_eq(p.share, 0);
    p = calc::torch_pipeline_peak(l, 0, 8, 1.0, 100.0);
    ck_assert_double_eq(p.held, 7);
    ck_assert_double_eq(p.share, 1);
    p = calc::torch_pipeline_peak(l, 0, 16, 1.0, 100.0);  // more micro-batches: steady 1F1B refills
    ck_assert_double_eq(p.held, 8);
    p = calc::torch_pipeline_peak(l, 7, 8, 1.0, 100.0);  // last rank: one micro-batch
    ck_assert_double_eq(p.held, 1);
    // Its loss is alive beside that micro-batch and the gradients while forwards are left, not
    // after the last one: with one micro-batch the peak after its backward holds no loss.
    p = calc::torch_pipeline_peak(l, 7, 2, 1.0, 100.0, 50.0);
    ck_assert(p.loss);
    ck_assert_double_eq(p.share, 1);
    p = calc::torch_pipeline_peak(l, 7, 1, 1.0, 100.0, 50.0);
    ck_assert(!p.loss);
    ck_assert_double_eq(p.held, 0);
    l.vpp = 2;  // warm-up min((v - 1) x 8 + 2 x 7, 16) = 16 chunks: all forwards first
    p = calc::torch_pipeline_peak(l, 0, 8, 1.0, 0.0);
    ck_assert_double_eq(p.held, 8);
    p = calc::torch_pipeline_peak(l, 0, 8, 1.0, 3.0);  // after the last local stage's first backward
    ck_assert_double_eq(p.held, 7.5);
    ck_assert_double_eq(p.share, 0.5);
    p = calc::torch_pipeline_peak(l, 0, 8, 1.0, 10.0);  // after the first local stage's: 7 chunks
    ck_assert_double_eq(p.held, 3.5);
    ck_assert_double_eq(p.share, 1);
    l.pp = 4;  // many micro-batches: Megatron's count, 2(p - 1) + (v - 1)p + 1 chunks (5.5 stages)
    ck_assert_double_eq(calc::torch_pipeline_peak(l, 0, 64, 1.0, 0.0).held, 5.5);
}
END_TEST

// torchtitan FSDP2 under PP (apply_fsdp reshard_after_forward=False; no gradient sync before the
// last micro-batch): each stage keeps bf16 unsharded weights and fp32 unsharded gradients.
START_TEST(torchtitan_fsdp_under_pipeline_keeps_stages_unsharded) {
    calc::Architecture a = calc::parse_arch("hidden=1024,layers=4,heads=8,ffn=4096,vocab=32000");
    const calc::ParamCount p = calc::count_params(a);
    calc::TrainingSetup s;
    s.framework = calc::Framework::FSDP;
    s.profile = &calc::parse_profile("torchtitan@2024.12", "--framework");
    s.fsdp = calc::Fsdp::Full;
    s.recompute = calc::Recompute::Full;
    s.layout.pp = 2;
    s.gbs = 8;  // 4 GPUs: dp 2, m = 4
    const double stage0 = 2 * p.layer_dense() + p.embedding;
    calc::MemoryBreakdown m = calc::memory_by_stage(a, p, s, 4, 8).first;
    ck_assert_double_eq_tol(m.weights, 4 * stage0 / 2 + 2 * (stage0 - 2 * p.layer_dense()), 1);
    ck_assert_double_eq_tol(m.gradients, 4 * stage0, 1);  // unsharded fp32; the sharded ones come later
    for (const char* other : {"fsdp@2.4", "megatron"}) {  // no such state: sharded weights and grads
        calc::TrainingSetup o = s;
        o.profile = &calc::parse_profile(other, "--framework");
        o.framework = o.profile->framework;
        ck_assert(!calc::fsdp_keeps_stage_unsharded(o, *o.profile, 2));
    }
    ck_assert(calc::fsdp_keeps_stage_unsharded(s, calc::parse_profile("torchtitan@2025.06", "--"), 2));
    ck_assert(!calc::fsdp_keeps_stage_unsharded(s, *s.profile, 1));  // no FSDP group: nothing to keep
    s.layout.pp = 1;
    ck_assert(!calc::fsdp_keeps_stage_unsharded(s, *s.profile, 2));
    ck_assert_double_eq_tol(calc::memory_only(a, p, s, 4, 8).gradients, 4 * p.total / 4, 1);
}
END_TEST

int main() {
    Suite* s = suite_create("calc-formulas");
    TCase* tc = tcase_create("formulas");
    tcase_add_test(tc, v1_deepspeed_zero2);
    tcase_add_test(tc, v2_v3_deepspeed_zero3);
    tcase_add_test(tc, v4_zero_paper_table);
    tcase_add_test(tc, v5_megatron_distributed_optimizer);
    tcase_add_test(tc, v6_accelerate_estimate);
    tcase_add_test(tc, v7_korthikanti_activation_table);
    tcase_add_test(tc, flops_per_token_conventions);
    tcase_add_test(tc, uneven_pipeline_split);
    tcase_add_test(tc, uneven_pipelines_evaluate);
    tcase_add_test(tc, stage_activations_follow_the_schedule);
    tcase_add_test(tc, expert_tensor_parallelism);
    tcase_add_test(tc, attention_without_flash);
    tcase_add_test(tc, mla_attention_widths);
    tcase_add_test(tc, multi_token_prediction_on_the_last_stage);
    tcase_add_test(tc, full_recompute_takes_the_larger_peak);
    tcase_add_test(tc, plain_ddp_gradient_buckets);
    tcase_add_test(tc, pipeline_bubble_in_time);
    tcase_add_test(tc, torch_pipeline_peak_follows_the_op_order);
    tcase_add_test(tc, torchtitan_fsdp_under_pipeline_keeps_stages_unsharded);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// The published estimators (feasibility §3.4, V1-V7) and FLOP counts, reproduced exactly.
#include <cmath>

#include "calc/anchors.hpp"
#include "calc/arch_spec.hpp"
#include "calc/estimate.hpp"
#include "calc/models.hpp"
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
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Versioned framework profiles (parsing, listing, what a version changes) and the error bands
// computed from validation residuals (rule, table, file round trip, the stored-band check).
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <cstdio>
#include <set>
#include <string>
#include <unistd.h>
#include <utility>

#include "calc/activations_torch.hpp"
#include "calc/arch_spec.hpp"
#include "calc/bands.hpp"
#include "calc/check.hpp"
#include "calc/estimate.hpp"
#include "calc/job.hpp"
#include "calc/validation.hpp"
#include "check_main.hpp"
#include "common/files.hpp"

using namespace aif;

static std::string id_of(const char* spec) { return calc::parse_profile(spec, "--framework").id; }
static double tokens_logits(double tokens, double vocab, double bytes) { return tokens * vocab * bytes; }

START_TEST(bare_name_is_the_newest_and_a_version_the_newest_not_after_it) {
    ck_assert_str_eq(id_of("torchtitan"), "torchtitan@2026.06");
    ck_assert_str_eq(id_of("TorchTitan@2025.06"), "torchtitan@2025.06");
    ck_assert_str_eq(id_of("torchtitan@2024.12"), "torchtitan@2024.12");
    ck_assert_str_eq(id_of("torchtitan@2025.03"), "torchtitan@2024.12");  // before the compiled loss
    ck_assert_str_eq(id_of("torchtitan@2025.07"), "torchtitan@2025.06");  // before the [norm, output] unit
    ck_assert_str_eq(id_of("torchtitan@2025.10"), "torchtitan@2025.08");
    ck_assert_str_eq(id_of("torchtitan@2026.04"), "torchtitan@2025.08");  // the chunked loss came on 04-27
    ck_assert_str_eq(id_of("torchtitan@2026.05"), "torchtitan@2026.05");  // chunked, before the fused wqkv
    ck_assert_str_eq(id_of("torchtitan@2026.06"), "torchtitan@2026.06");
    ck_assert_str_eq(id_of("torchtitan@2026.08.21"), "torchtitan@2026.06");
    ck_assert_str_eq(id_of("torchtitan@2024.01"), "torchtitan@2024.12");  // older than all: the oldest
    ck_assert_str_eq(id_of("megatron@core_r0.12"), "megatron@core_r0.12");
    ck_assert_str_eq(id_of("megatron"), "megatron@core_r0.12");
    ck_assert_str_eq(id_of("deepspeed@0.16.4"), "deepspeed@0.16");
    ck_assert_str_eq(id_of("hf@4.46"), "hf@4.46");
    ck_assert_str_eq(id_of("fsdp"), "fsdp@2.4");
    ck_assert_input_error(calc::parse_profile("jax@0.4", "--llm-framework"),
                          "--llm-framework: unknown framework 'jax' (use megatron@core_r0.12, ");
    ck_assert_input_error(calc::parse_profile("torchtitan@latest", "--framework"), "has no version number");
}
END_TEST

// torchtitan shards over every data-parallel rank unless told (data_parallel_shard_degree = -1;
// FSDP only with more than one DP or CP rank), and the plain FSDP loop is FSDP by its name: FSDP
// full unless the job says --fsdp or --zero, in any order.
START_TEST(torchtitan_and_fsdp_profiles_shard_unless_told) {
    auto setup_of = [](std::initializer_list<std::pair<const char*, const char*>> options, int gpus = 8) {
        calc::JobSpec j;
        for (auto [k, v] : options) calc::apply_option(j, k, v);
        return calc::effective_setup(j.setup, gpus);
    };
    ck_assert(setup_of({{"framework", "torchtitan"}}).fsdp == calc::Fsdp::Full);
    ck_assert(setup_of({{"framework", "torchtitan@2024.12"}}).fsdp == calc::Fsdp::Full);
    ck_assert(setup_of({{"framework", "fsdp"}}).fsdp == calc::Fsdp::Full);
    ck_assert(setup_of({{"fsdp", "off"}, {"framework", "torchtitan"}}).fsdp == calc::Fsdp::Off);
    ck_assert(setup_of({{"framework", "torchtitan"}, {"fsdp", "hybrid"}}).fsdp == calc::Fsdp::Hybrid);
    ck_assert(setup_of({{"framework", "torchtitan"}, {"framework", "megatron"}}).fsdp == calc::Fsdp::Off);
    ck_assert(setup_of({{"framework", "torchtune"}}).fsdp == calc::Fsdp::Off);
    ck_assert(setup_of({{"framework", "hf"}}).fsdp == calc::Fsdp::Off);
    // One data-parallel rank: nothing to shard over (1 GPU, or TP over all of them).
    ck_assert(setup_of({{"framework", "torchtitan"}}, 1).fsdp == calc::Fsdp::Off);
    ck_assert(setup_of({{"framework", "torchtitan"}, {"layout", "tp=8"}}).fsdp == calc::Fsdp::Off);
    ck_assert(setup_of({{"framework", "torchtitan"}, {"layout", "tp=4"}}).fsdp == calc::Fsdp::Full);
    // --zero says how it shards (detection's SHARD_GRAD_OP: framework fsdp, zero 2), in either order.
    ck_assert_int_eq(setup_of({{"framework", "fsdp"}, {"zero", "2"}}).shard_stage(), 2);
    ck_assert_int_eq(setup_of({{"zero", "2"}, {"framework", "fsdp"}}).shard_stage(), 2);
    // Resolved once: a second call changes nothing.
    const calc::TrainingSetup once = setup_of({{"framework", "torchtitan"}});
    ck_assert(calc::effective_setup(once, 1).fsdp == calc::Fsdp::Full);
}
END_TEST

START_TEST(every_profile_says_what_it_models_and_where_from) {
    std::set<std::string> ids, families;
    for (const calc::FrameworkProfile& p : calc::framework_profiles()) {
        ck_assert_msg(ids.insert(p.id).second, "%s twice", p.id);
        families.insert(p.family);
        ck_assert(std::string(p.id).rfind(std::string(p.family) + "@", 0) == 0);
        ck_assert(*p.models && *p.source && *p.checked_on);
        if (*p.based_on) ck_assert_msg(ids.count(p.based_on), "%s is based on a later or unknown profile", p.id);
        ck_assert(p.logit_bytes > 0 && p.fragmentation >= 1 && p.activation_factor > 0);
    }
    for (const char* f : {"megatron", "torchtitan", "fsdp", "deepspeed", "hf"}) ck_assert(families.count(f));
    // The default setup (no --framework) is the newest Megatron profile.
    ck_assert_str_eq(calc::profile(calc::TrainingSetup{}).id, "megatron@core_r0.12");
}
END_TEST

// A newer torchtitan, compiled, differs only in the loss: torchtitan 2025.06 compiles it with the
// model (2 + 2 bytes per logit), 2024.12 never did (eager: 12 bytes per logit at the backward
// peak). Without --compile both run eager, as their 8B configs (compile = false).
START_TEST(newer_torchtitan_changes_only_the_logits) {
    calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    calc::JobSpec old_job, new_job;
    for (calc::JobSpec* j : {&old_job, &new_job}) {
        calc::apply_option(*j, "model", "llama3.1-8b");
        calc::apply_option(*j, "fsdp", "");
        calc::apply_option(*j, "seq", "8192");
        calc::apply_option(*j, "mbs", "2");
    }
    calc::apply_option(old_job, "framework", "torchtitan@2024.12");
    calc::apply_option(new_job, "framework", "torchtitan@2025.06");
    ck_assert(old_job.setup.profile_versioned && new_job.setup.profile_versioned);
    ck_assert(old_job.setup.framework == calc::Framework::FSDP && new_job.setup.framework == calc::Framework::FSDP);
    const calc::Architecture a = calc::resolve_arch(old_job, models);
    const calc::ParamCount p = calc::count_params(a);
    // Both also keep the final norm's and the LM head's inputs: (6h + 4) bytes per token.
    const double head = 2 * 8192 * (6 * 4096.0 + 4);
    auto loss = [&](const calc::MemoryBreakdown& m) { return m.logits - head; };
    calc::MemoryBreakdown o = calc::memory_only(a, p, old_job.setup, 8, 8);
    calc::MemoryBreakdown n = calc::memory_only(a, p, new_job.setup, 8, 8);
    ck_assert_double_eq_tol(loss(n), loss(o), 1);
    ck_assert(n.activations <= o.activations);  // 2025.06's op-SAC list has no aten.abs
    for (calc::JobSpec* j : {&old_job, &new_job}) calc::apply_option(*j, "compile", "on");
    o = calc::memory_only(a, p, old_job.setup, 8, 8);
    n = calc::memory_only(a, p, new_job.setup, 8, 8);
    ck_assert_double_eq_tol(loss(n) / loss(o), 4.0 / 12.0, 1e-9);
    ck_assert_double_eq_tol(n.activations, o.activations, 1);
    ck_assert_double_eq_tol(n.optimizer, o.optimizer, 1);
    ck_assert(n.total < o.total);
    calc::apply_option(new_job, "compile", "off");  // 2025.06 without compile: eager loss, as 2024.12
    n = calc::memory_only(a, p, new_job.setup, 8, 8);
    ck_assert_double_eq_tol(loss(n), tokens_logits(8192 * 2, 128256, 12), 1);
}
END_TEST

// Saved-for-backward bytes per token of one torchtitan Llama block, by hand from the source
// (lib/calc/activations_torch.cpp cites it). Llama 3.1 8B: h = 4096, 32 heads x 128 (q = 4096),
// 8 KV heads (kv = 1024), f = 14336; bf16 activations (2 bytes), fp32 logsumexp (4 per head).
START_TEST(torchtitan_block_saved_tensors_by_hand) {
    calc::Architecture a = calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=128256");
    calc::TorchBlockRun run;
    // Eager, no AC: norms 2 x (fp32 x 4h + rsqrt 4 + bf16 out 2h) = 49,160; RoPE xq, xk fp32
    // 4q + 4kv = 20,480; SDPA q, repeated k and v, out 4 x 2q + lse 4 x 32 = 32,896; wo input
    // 2q = 8,192; MLP w1, w3, silu, product 4 x 2f = 114,688.
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 225416);
    // Compiled, no AC (min-cut): x 2h + two rsqrt 8 + wq 2q + wk, wv 4kv + SDPA out 2q + lse 128
    // + h 2h + w1, w3 4f = 8192 + 8 + 8192 + 4096 + 8192 + 128 + 8192 + 57344.
    run.compiled = true;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 94344);
    // Full AC: the one block rebuilt in backward, the same count, plus its backward's peak: the
    // incoming gradient 2h and, compiled, the SwiGLU product's gradient with the two it makes, 3 x 2f
    // = 8192 + 86016; eager, w2's backward has freed the saved product first: 2 x 2f net.
    run.recompute = calc::Recompute::Full;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 94344 + 8192 + 86016);
    run.compiled = false;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 225416 + 8192 + 57344);
    run.compiled = true;
    // Op SAC, eager: x 2h + mm outputs 1, 3, 5, 7 (wq 2q, wv 2kv, w1 2f, w2 2h) + SDPA out 2q
    // + lse 128 = 8192 + 8192 + 2048 + 28672 + 8192 + 8192 + 128.
    run = {};
    run.recompute = calc::Recompute::Selective;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 63616);
    // 2024.12's list also saves aten.abs of every float8 linear input: 2 x (5h + q + f) = 77,824.
    run.float8 = run.sac_saves_abs = true;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 63616 + 77824);
    // ... and, per block, the abs of every all-gathered bf16 weight torchao takes its scale from:
    // 2 x (h(q + 2kv) + qh + 3hf) = 2 x 218,103,808 bytes, whatever the tokens (M27-pr812-fp8-eager).
    ck_assert_double_eq(calc::torch_block_saved_weight_bytes(a, run), 2 * 218103808.0);
    run.sac_saves_abs = false;  // 2025.06's list: no abs cached
    ck_assert_double_eq(calc::torch_block_saved_weight_bytes(a, run), 0);
    run.sac_saves_abs = true;
    // Compiled: backward never reads w2's output, so the partitioner does not keep it (nor abs).
    run.compiled = true;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 63616 - 8192);
    ck_assert_double_eq(calc::torch_block_saved_weight_bytes(a, run), 0);
    // Layer SAC, selective_ac_option = 2 / 3 on 32 blocks: blocks 2, 4, ... (16) / 3, 6, ... (10)
    // keep their input 2h = 8,192, the others the eager no-AC 225,416.
    run = {};
    run.recompute = calc::Recompute::Selective;
    run.layers = 32;
    run.ac_every = 2;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), (16 * 8192 + 16 * 225416) / 32.0);
    run.ac_every = 3;
    ck_assert_double_eq_tol(calc::torch_block_bytes_per_token(a, run), (10 * 8192 + 22 * 225416) / 32.0, 1e-9);
    // The last block's backward beyond that count. No AC: the gradients of its peak, 2h + 2 x 2f.
    run = {};
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 8192 + 57344);
    // Eager op SAC: the replay frees each cached output it consumes that the rebuilt set does not
    // keep (wq's and wv's, read by RoPE's fp32 copies and repeat_kv), so the block holds the no-AC set
    // 225,416, the checkpoint's input 8,192 and, with early stop, w2's output 8,192 that the replay
    // never reaches, beside the gradients 65,536, over the 63,616 the stage counts: 243,720.
    // Replaying the whole block (early_stop=False) frees w2's output too. 2024.12's cached abs is
    // consumed like the rest and changes nothing.
    run.recompute = calc::Recompute::Selective;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 225416 + 8192 + 8192 + 65536 - 63616);
    run.replays_whole_block = true;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 225416 + 8192 + 65536 - 63616);
    run.replays_whole_block = false;
    run.float8 = run.sac_saves_abs = true;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 243720);
    // SDPA with enable_gqa (torchtitan from ff0829c) saves k and v at the 8 KV heads, not repeated
    // to 32: 4 x (q - kv) = 12,288 less in the no-AC set.
    run = {};
    run.sdpa_gqa = true;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 225416 - 12288);
    // Compiled: every cached tensor (55,424) is one the compiled set saves; the gradients 2h + 3 x 2f.
    run = {};
    run.recompute = calc::Recompute::Selective;
    run.compiled = true;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 94344 - 55424 + 94208);
    // Full AC: the layer's own count is that working set already.
    run.recompute = calc::Recompute::Full;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 0);
    // Layer SAC on 32 blocks: every 2nd, the last block is checkpointed and rebuilt whole beside its
    // kept input (counted by the stage; the eager no-AC set has no block input, the compiled one has);
    // every 3rd, it is not (block 30's backward comes after block 31's and 32's are freed).
    run = {};
    run.recompute = calc::Recompute::Selective;
    run.layers = 32;
    run.ac_every = 2;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 225416 + 65536);
    run.compiled = true;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 94344 - 8192 + 94208);
    run.compiled = false;
    run.ac_every = 3;
    ck_assert_double_eq(calc::torch_block_backward_bytes_per_token(a, run), 65536);
    // TP 8 on Llama 3.1 70B (h = 8192, 64 heads: q = 8192, kv = 1024, f = 28672), eager op SAC:
    // (x 2h + wq 2q + wv 2kv + out 2q + lse 256 + w1 2f) / 8 = 13,600; reduce_scatter outputs of
    // wo and w2, 2h / 8 each; w2's local output is the full-sequence partial sum, 2h = 16,384.
    a = calc::parse_arch("hidden=8192,layers=80,heads=64,kv_heads=8,ffn=28672,vocab=128256");
    run = {};
    run.recompute = calc::Recompute::Selective;
    run.tp = 8;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 13600 + 2048 + 16384 + 2048);
    // Compiled, no AC, TP 8: (2h + 8 + 2q + 4kv + 2q + 256 + 2h + 4f) / 8 = 23,073, plus the two
    // all-gathered norm outputs the colwise linears keep, 2 x 2h.
    run.recompute = calc::Recompute::None;
    run.compiled = true;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 23073 + 32768);
    // Rebuilt under full AC, TP 8: the incoming gradient is sequence-sharded, 2h / 8 = 2,048, and
    // the three f-wide gradients head-sharded, 6f / 8 = 21,504.
    run.recompute = calc::Recompute::Full;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 23073 + 32768 + 2048 + 21504);
}
END_TEST

// The per-tensor count is what a torchtitan job's activations are: 32 layers x tokens x 63,616
// plus the int64 token ids (M5's configuration: 2 x 8192 tokens, op SAC, eager).
START_TEST(torchtitan_job_uses_the_block_count) {
    calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    calc::JobSpec j;
    for (auto [k, v] : {std::pair{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                        {"recompute", "selective"}, {"framework", "torchtitan@2024.12"}})
        calc::apply_option(j, k, v);
    const calc::Architecture a = calc::resolve_arch(j, models);
    calc::MemoryBreakdown m = calc::memory_only(a, calc::count_params(a), j.setup, 8, 8);
    const double tokens = 2 * 8192;
    ck_assert_double_eq_tol(m.activations, tokens * (32 * 63616.0 + 8), 1);
    // Loss 12 B per logit, plus the final norm (fp32 upcast 4h, rsqrt 4, bf16 output 2h = the
    // LM head's saved input): 6h + 4 per token.
    ck_assert_double_eq_tol(m.logits, tokens_logits(tokens, 128256, 12) + tokens * (6 * 4096 + 4), 1);
    calc::apply_option(j, "framework", "fsdp");  // other FSDP loops keep the Korthikanti count
    ck_assert(calc::memory_only(a, calc::count_params(a), j.setup, 8, 8).activations != m.activations);
}
END_TEST

static calc::JobSpec llama_job(std::initializer_list<std::pair<const char*, const char*>> options) {
    calc::JobSpec j;
    for (auto [k, v] : options) calc::apply_option(j, k, v);
    return j;
}

// The job's worst stage on `gpus` GPUs in one node, its model from the shipped catalogue.
static calc::MemoryBreakdown memory_of(const calc::JobSpec& j, int gpus) {
    static const calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    const calc::Architecture a = calc::resolve_arch(j, models);
    return calc::memory_only(a, calc::count_params(a), j.setup, gpus, gpus);
}

// torchao's MX linear (mx_mm, mx_formats/mx_linear.py at e4e681be6, moe_training/mxfp8_linear.py
// at cb76f2943) saves ctx.save_for_backward(input_hp, weight_hp): the bf16 input and the gathered
// weight, what a bf16 linear keeps. Its casts take their block amax with aten.amax, in no op-SAC
// save list (aten.max, aten.mm, SDPA, reduce_scatter at 6fc499f6f), and torchtitan's MX converter
// swaps modules only (no low-precision FSDP all-gather). So every line equals the bf16 job's, in
// each profile, eager and compiled; float8 on 2024.12 eager op SAC does differ (its cached abs),
// which shows the comparison sees the precision.
START_TEST(torchtitan_mxfp8_keeps_what_bf16_keeps) {
    for (const char* fw : {"torchtitan@2024.12", "torchtitan@2025.08", "torchtitan@2026.06"}) {
        for (const char* compile : {"off", "on"}) {
            calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"framework", fw}, {"fsdp", "full"},
                                         {"seq", "8192"}, {"mbs", "2"}, {"recompute", "selective"},
                                         {"compile", compile}});
            const calc::MemoryBreakdown bf16 = memory_of(j, 8);
            calc::apply_option(j, "precision", "mxfp8");
            ck_assert(j.setup.precision == calc::Precision::MXFP8);
            const calc::MemoryBreakdown mx = memory_of(j, 8);
            ck_assert_double_eq(mx.weights, bf16.weights);
            ck_assert_double_eq(mx.activations, bf16.activations);
            ck_assert_double_eq(mx.logits, bf16.logits);
            ck_assert_double_eq(mx.buffers, bf16.buffers);
            ck_assert_double_eq(mx.total, bf16.total);
        }
    }
    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"framework", "torchtitan@2024.12"}, {"fsdp", "full"},
                                 {"seq", "8192"}, {"mbs", "2"}, {"recompute", "selective"}, {"compile", "off"}});
    const double bf16 = memory_of(j, 8).activations;
    calc::apply_option(j, "precision", "fp8");
    ck_assert(memory_of(j, 8).activations > bf16);
}
END_TEST

// torchtitan 2025-07-28 to 2026-04-27 (torchtitan@2025.08): the [norm, output] unit stays gathered,
// the embedding and every block are resharded after forward, the loss is the full-sequence one.
START_TEST(torchtitan_2025_08_norm_output_unit) {
    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                                 {"recompute", "selective"}, {"framework", "torchtitan@2025.10"}});
    ck_assert_str_eq(calc::profile(j.setup).id, "torchtitan@2025.08");  // the newest at or before
    const double tokens = 2 * 8192, h = 4096, vocab = 128256, out = vocab * h;
    calc::MemoryBreakdown m = memory_of(j, 8);
    // At the eager loss's peak (12 B per logit): the unit in bf16 only, no embedding, no last block.
    ck_assert_double_eq_tol(m.buffers, 2 * (h + out), 1);
    ck_assert_double_eq_tol(m.logits, tokens_logits(tokens, vocab, 12) + tokens * (6 * h + 4), 1);
    // torchtitan@2025.06 (root + last block) gathers the embedding and the last block besides.
    calc::JobSpec old = j;
    calc::apply_option(old, "framework", "torchtitan@2025.06");
    ck_assert_double_eq_tol(memory_of(old, 8).buffers - m.buffers, 2 * (out + 218112000.0), 1);
    // A short compiled micro-batch (512 tokens, 4 B per logit): after the loss the output's unsharded
    // bf16 gradient and its fp32 reduce-scatter copy (6 B per output parameter), beside the last block
    // FSDP2 prefetches for backward (bf16), outweigh the loss.
    j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "512"}, {"mbs", "1"},
                   {"recompute", "selective"}, {"compile", "on"}, {"framework", "torchtitan@2025.08"}});
    const double last_block = 2 * 218112000.0;
    ck_assert_double_eq_tol(memory_of(j, 8).buffers, 2 * (h + out) + last_block + 6 * out - 4 * 512 * vocab, 1);
}
END_TEST

// FSDP2 keeps the fp32 reduce-scatter input of the unit it reduced last until the next unit's
// post-backward (FSDPParamGroup.post_backward, reduce_scatter_state). A Llama 3.1 8B block with a
// 40,000-token vocabulary, 2 x 16384 tokens, full AC, compiled: the rebuilt block (188,552 B per token)
// outweighs the compiled loss (4 B per logit), so a block's backward is the peak. Under 2025.08 the
// [norm, output] unit's, reduced after the full-sequence loss, waits through the last block's
// backward (4 x (out + h)); under the chunked loss the root's final callback has cleared it, and
// block L's (4 x block) waits through block L-1's backward, where block L's kept input
// (2 x 32768 x 4096) is freed. The larger counts.
START_TEST(fsdp_keeps_the_last_reduce_scatter_input) {
    const double block = 218112000, out = 40000.0 * 4096, h = 4096, kept = 2.0 * 32768 * 4096;
    calc::JobSpec j = llama_job({{"arch", "hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=40000"},
                                 {"fsdp", "full"}, {"seq", "16384"}, {"mbs", "2"}, {"recompute", "full"},
                                 {"compile", "on"}, {"framework", "torchtitan@2025.08"}});
    calc::MemoryBreakdown m = memory_of(j, 8);
    ck_assert_int_eq(int(m.moment), int(calc::PeakMoment::BlockBackward));
    ck_assert_double_eq_tol(m.buffers, 6 * block + 4 * (out + h), 1);
    ck_assert_double_gt(4 * (out + h), 4 * block - kept);
    calc::apply_option(j, "framework", "torchtitan@2026.06");
    m = memory_of(j, 8);
    ck_assert_int_eq(int(m.moment), int(calc::PeakMoment::BlockBackward));
    ck_assert_double_eq_tol(m.buffers, 6 * block + 4 * block - kept, 1);
    // LoRA: only the adapters are reduced, so nothing of the frozen block is held.
    calc::JobSpec lora = j;
    calc::apply_option(lora, "lora", "16");
    const calc::MemoryBreakdown lm = memory_of(lora, 8);
    ck_assert_int_eq(int(lm.moment), int(calc::PeakMoment::BlockBackward));
    ck_assert_double_le(lm.buffers, 4 * block);  // two gathered frozen blocks, no reduce-scatter input
}
END_TEST

// torchtitan 2026.06 (read at b5bcd76): the chunked loss (ChunkedLossWrapper, 8 chunks) never makes
// the full logits: eager a chunk's backward holds its bf16 logits, the saved fp32 log_softmax,
// nll_loss's fp32 gradient and log_softmax_backward's fp32 output (14 B per chunk logit), compiled
// its bf16 logits and bf16 grad (4), beside an fp32 buffer for the hidden states' gradient (4h per
// token). Op SAC with the fused wqkv saves wqkv's whole output (q + 2kv) where the unfused block
// saved wq and wv. FSDP keeps only the norm + output unit gathered, plus the output projection's
// unsharded fp32 gradient accumulated over the chunks. Llama 3.1 8B, FSDP on 8 GPUs, 2 x 8192
// tokens, selective AC.
START_TEST(torchtitan_2026_chunked_loss_fused_qkv_head_unit) {
    calc::Architecture a = calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=128256");
    calc::TorchBlockRun run;
    run.recompute = calc::Recompute::Selective;
    run.fused_qkv = true;
    // x 2h + wqkv 2(q + 2kv) + out 2q + lse 128 + w1 2f + w2 2h: the unfused 63,616 + 2kv.
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 63616 + 2048);
    run.compiled = true;  // without w2's output
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 63616 + 2048 - 8192);
    run = {};  // no AC: the fused projection changes nothing there
    run.fused_qkv = true;
    ck_assert_double_eq(calc::torch_block_bytes_per_token(a, run), 225416);

    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                                 {"recompute", "selective"}, {"framework", "torchtitan"}});
    ck_assert_str_eq(calc::profile(j.setup).id, "torchtitan@2026.06");
    ck_assert(!j.setup.profile_versioned);
    const double tokens = 2 * 8192, h = 4096, vocab = 128256, out = vocab * h;
    // Compile off, the llama3 configs' default: eager blocks and the eager chunked loss.
    calc::MemoryBreakdown m = memory_of(j, 8);
    ck_assert_double_eq_tol(m.activations, tokens * (32 * (63616.0 + 2048) + 8), 1);
    ck_assert_double_eq_tol(m.logits, tokens_logits(tokens, vocab, 14.0 / 8) + tokens * (10 * h + 4), 1);
    // The unit (bf16 norm + output) and the fp32 accumulated output gradient; no block, no embedding.
    ck_assert_double_eq_tol(m.buffers, 2 * (h + out) + 4 * out, 1);
    ck_assert_double_eq_tol(m.reserved, m.allocated * 1.06, 1);  // no eager-loss block left reserved
    // torchtitan@2026.05 (786e26f to 3396a4b): the same chunked loss and FSDP units, with q, k and v
    // projected apart, so op SAC saves wq and wv: 2kv less per token and block, nothing else moves.
    calc::JobSpec may = j;
    calc::apply_option(may, "framework", "torchtitan@2026.05");
    const calc::MemoryBreakdown mm = memory_of(may, 8);
    ck_assert_double_eq_tol(m.activations - mm.activations, tokens * 32 * 2048, 1);
    ck_assert_double_eq_tol(mm.logits, m.logits, 1);
    ck_assert_double_eq_tol(mm.buffers, m.buffers, 1);
    // A third less than torchtitan@2025.06 run alike (eager, its full 12 B-per-logit loss).
    calc::JobSpec old = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                                   {"recompute", "selective"}, {"framework", "torchtitan@2025.06"}, {"compile", "off"}});
    const calc::MemoryBreakdown o = memory_of(old, 8);
    ck_assert_double_lt(m.total, 0.75 * o.total);
    // Compiled: the inner loss keeps 4 B per chunk logit; the last chunk's reduce-scatter, where
    // FSDP2 copies the fp32 accumulated gradient into its fp32 input beside the chunk's bf16 logits
    // gradient, is then the larger moment (4 x out + 2 x chunk - 4 x chunk over the loss's peak).
    calc::apply_option(j, "compile", "on");
    m = memory_of(j, 8);
    const double chunk = tokens * vocab / 8;
    ck_assert_double_eq_tol(m.activations, tokens * (32 * (63616.0 + 2048 - 8192) + 8), 1);
    ck_assert_double_eq_tol(m.logits, tokens_logits(tokens, vocab, 4.0 / 8) + tokens * (10 * h + 4), 1);
    ck_assert_double_eq_tol(m.buffers, 2 * (h + out) + 4 * out + 4 * out - 2 * chunk, 1);
    // Eager with a short micro-batch (4096 tokens): the same moment outweighs the loss's 14 B peak.
    j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "4096"}, {"mbs", "1"},
                   {"recompute", "selective"}, {"framework", "torchtitan"}});
    ck_assert_double_eq_tol(memory_of(j, 8).buffers, 2 * (h + out) + 4 * out + 4 * out - 12 * 4096 * vocab / 8, 1);
    // TP: the vocab-parallel cross entropy holds fp32 log_probs, zeros, exp and their sum beside the
    // bf16 logits in backward (18 B per local chunk logit); compiled, its inner loss keeps 4.
    j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                   {"recompute", "selective"}, {"layout", "tp=8"}, {"framework", "torchtitan"}});
    ck_assert_double_eq_tol(calc::loss_bytes_per_logit(j.setup, calc::profile(j.setup)), 18.0 / 8, 1e-12);
    calc::apply_option(j, "compile", "on");
    ck_assert_double_eq_tol(calc::loss_bytes_per_logit(j.setup, calc::profile(j.setup)), 4.0 / 8, 1e-12);
    // torch's loss_parallel (2024.12, 2025.06 eager): (zeros + exp(log_softmax)) x grad beside the
    // saved fp32 log_softmax, 16 B per local logit; 12 without TP.
    calc::apply_option(j, "framework", "torchtitan@2025.06");
    calc::apply_option(j, "compile", "off");
    ck_assert_double_eq_tol(calc::loss_bytes_per_logit(j.setup, calc::profile(j.setup)), 16, 1e-12);
    calc::apply_option(j, "framework", "torchtitan@2024.12");
    ck_assert_double_eq_tol(calc::loss_bytes_per_logit(j.setup, calc::profile(j.setup)), 16, 1e-12);
    calc::apply_option(j, "layout", "tp=1");
    ck_assert_double_eq_tol(calc::loss_bytes_per_logit(j.setup, calc::profile(j.setup)), 12, 1e-12);
    // A 32,000-token vocabulary: the eager chunk loss holds 14 / 8 B per logit + the head's 10h + 4 =
    // 96,964 B per token, the last block's backward 221,192 (the no-AC set with k and v at the KV
    // heads 213,128, the block input 8,192 and the gradients 65,536, over the 65,664 op SAC counts; the
    // whole block replayed, so no cached output outlives it) beside 2 gathered blocks and a gradient
    // block. That moment is the peak, where the full-sequence loss (12 B per logit) outweighs it.
    calc::JobSpec small = llama_job({{"arch", "hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=32000"},
                                     {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"}, {"recompute", "selective"},
                                     {"framework", "torchtitan"}});
    const calc::Architecture sa = calc::parse_arch("hidden=4096,layers=32,heads=32,kv_heads=8,ffn=14336,vocab=32000");
    m = calc::memory_only(sa, calc::count_params(sa), small.setup, 8, 8);
    const double kept = tokens * (32 * (63616.0 + 2048) + 8);
    ck_assert_double_eq_tol(m.activations + m.logits + m.buffers - kept, tokens * 221192 + 6 * 218112000.0, 1);
    ck_assert_double_eq_tol(m.activations, kept + tokens * 221192, 1);  // the loss's tensors are gone
    ck_assert_double_eq(m.logits, 0);
    // The lines are that moment's; the loss's are kept beside them (a site's activation scale may tip it).
    ck_assert_int_eq(int(m.moment), int(calc::PeakMoment::BlockBackward));
    ck_assert_double_eq_tol(m.at_loss.activations, kept, 1);
    ck_assert_double_eq_tol(m.at_loss.logits, tokens * 96964, 1);
    ck_assert_double_lt(m.at_loss.sum(), m.lines().sum());
    ck_assert_int_eq(int(memory_of(j, 8).moment), int(calc::PeakMoment::Loss));  // Llama 3's vocabulary
    // Activation offload keeps two blocks' tensors on the GPU; the last block's backward still holds its
    // working set beside them.
    calc::JobSpec off = small;
    calc::apply_option(off, "offload-activations", "on");
    m = calc::memory_only(sa, calc::count_params(sa), off.setup, 8, 8);
    ck_assert_double_eq_tol(m.activations, tokens * (2 * (63616.0 + 2048) + 8) + tokens * 221192, 1);
    // Under PP the last stage's peak may come after its last forward, no loss alive: the working set
    // is then all there (pp 2, 512 tokens, 8 micro-batches of 1 over DP 8: one per step).
    calc::JobSpec pp = small;
    for (auto [k, v] : {std::pair{"layout", "pp=2"}, {"seq", "512"}, {"mbs", "1"}, {"gbs", "8"}}) calc::apply_option(pp, k, v);
    m = calc::memory_by_stage(sa, calc::count_params(sa), pp.setup, 16, 8).last;
    ck_assert_double_eq(m.logits, 0);
    ck_assert_double_ge(m.activations, 512 * 221192.0);
}
END_TEST

// torchtune's chunked cross entropy: eager (its configs' compile: False) every chunk's fp32
// log_softmax is saved for backward beside the bf16 logits and one chunk's fp32 upcast (6.5 B per
// logit); with compile_loss inductor keeps only the bf16 chunks and writes each chunk's bf16
// gradient in one fused kernel (2 + 2/8). LoRA on Llama 3.1 8B, 2 x 4096 tokens: the loss's
// moment is the peak.
START_TEST(torchtune_chunked_loss_eager_and_compiled) {
    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"seq", "4096"}, {"mbs", "2"}, {"recompute", "full"},
                                 {"master", "bf16"}, {"lora", "8"}, {"framework", "torchtune@0.4"}});
    const double logits = 2.0 * 4096 * 128256;
    ck_assert_double_eq_tol(memory_of(j, 1).logits, 6.5 * logits, 1);
    calc::apply_option(j, "compile", "on");
    ck_assert_double_eq_tol(memory_of(j, 1).logits, 2.25 * logits, 1);
}
END_TEST

// torchtune and the HF Trainer free the gradients after each step (zero_grad, set_to_none): the
// loss's moment holds none, and the end of backward holds all of them beside the first block's
// rebuild or, for a tied embedding, the embedding's own gradient; the HF Trainer's foreach AdamW
// adds a temporary at the step. Megatron's gradient buffer persists: it is counted with the loss. Llama 3.2 3B (tied), 2 x 4096 tokens, one GPU.
START_TEST(gradients_are_counted_at_their_moment) {
    calc::JobSpec j = llama_job({{"model", "llama3.2-3b"}, {"seq", "4096"}, {"mbs", "2"}, {"recompute", "full"},
                                 {"master", "bf16"}, {"compile", "on"}, {"framework", "torchtune@0.4"}});
    static const calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    const calc::ParamCount p = calc::count_params(calc::resolve_arch(j, models));
    const double embedding_grad = 2 * p.embedding;
    // Full fine-tune: 6.4 GB of gradients outweigh the 2.9 GB of loss and checkpoints; the tied
    // embedding's own gradient (0.8 GB) outweighs the first block's rebuild.
    calc::MemoryBreakdown m = memory_of(j, 1);
    ck_assert(m.moment == calc::PeakMoment::BackwardEnd);
    ck_assert_double_eq_tol(m.gradients, 2 * p.total + embedding_grad, 1);
    ck_assert_double_eq(m.logits + m.activations, 0);
    // The loss's moment, kept for a site's activation scale: the checkpoints, the chunked loss
    // and the output projection's gradient.
    ck_assert_double_eq_tol(m.at_loss.gradients, embedding_grad, 1);
    ck_assert_double_eq_tol(m.at_loss.logits, 2.25 * 2 * 4096 * 128256, 1);
    ck_assert_double_gt(m.at_loss.activations, 28 * 2 * 4096 * 3072 * 2.0);
    // Gradient accumulation (8 micro-batches): every gradient is alive at the loss from the second on.
    calc::apply_option(j, "gbs", "16");
    m = memory_of(j, 1);
    ck_assert(m.moment == calc::PeakMoment::Loss);
    ck_assert_double_eq_tol(m.gradients, 2 * p.total, 1);
    calc::apply_option(j, "gbs", "2");
    // FSDP: reduce-scatter outputs live in their stream's pool; gradients stay counted at the loss.
    calc::apply_option(j, "fsdp", "full");
    m = memory_of(j, 2);
    ck_assert(m.moment == calc::PeakMoment::Loss);
    ck_assert_double_eq_tol(m.gradients, p.total, 1);
    calc::apply_option(j, "fsdp", "off");
    // Optimizer in backward: only the tied weight's gradient waits through backward.
    calc::apply_option(j, "optim-in-bwd", "on");
    m = memory_of(j, 1);
    ck_assert_double_eq_tol(m.gradients, embedding_grad, 1);
    ck_assert_double_eq_tol(m.logits, 2.25 * 2 * 4096 * 128256, 1);
    // LoRA: the adapters' gradients are made after the loss's peak.
    calc::apply_option(j, "optim-in-bwd", "off");
    calc::apply_option(j, "lora", "64");
    m = memory_of(j, 1);
    ck_assert_double_eq(m.gradients, 0);
    ck_assert_double_gt(m.logits, 0);
    ck_assert(m.moment == calc::PeakMoment::Loss);
    // HF Trainer's default AdamW is torch's foreach one: its step adds one fp32 state-sized
    // temporary beside every gradient, the peak of a short-sequence full fine-tune.
    j = llama_job({{"model", "llama3.2-3b"}, {"seq", "1024"}, {"mbs", "1"}, {"recompute", "full"}, {"framework", "hf"}});
    m = memory_of(j, 1);
    ck_assert(m.moment == calc::PeakMoment::OptimizerStep);
    ck_assert_double_eq_tol(m.gradients, 4 * p.total, 1);
    ck_assert_double_eq_tol(m.buffers, 4 * p.total, 1);  // no autocast copies after backward
    ck_assert_double_eq(m.logits + m.activations, 0);
    calc::apply_option(j, "optimizer", "sgd");  // no such temporary: the end of backward
    ck_assert(memory_of(j, 1).moment == calc::PeakMoment::BackwardEnd);
    calc::apply_option(j, "optimizer", "adamw");
    calc::apply_option(j, "offload", "on");  // the step runs on the host: no GPU temporary
    m = memory_of(j, 1);
    ck_assert(m.moment == calc::PeakMoment::BackwardEnd);
    ck_assert_double_eq(m.buffers, 0);
    calc::apply_option(j, "offload", "off");
    // Long sequences: the loss (20 GiB of logits) and autocast's bf16 weight copies win.
    calc::apply_option(j, "seq", "12288");
    m = memory_of(j, 1);
    ck_assert(m.moment == calc::PeakMoment::Loss);
    ck_assert_double_eq_tol(m.buffers, 2 * p.total, 1);
    // Megatron keeps its gradient buffer: gradients and the loss are counted together.
    j = llama_job({{"model", "llama3.2-3b"}, {"seq", "4096"}, {"mbs", "2"}, {"recompute", "full"}, {"master", "bf16"},
                   {"framework", "megatron"}});
    m = memory_of(j, 1);
    ck_assert_double_eq_tol(m.gradients, 2 * p.total, 1);
    ck_assert_double_gt(m.logits, 0);
    ck_assert(m.moment == calc::PeakMoment::Loss);
}
END_TEST

// transformers' causal-LM loss (ForCausalLMLoss): bf16 logits, their fp32 upcast, the fp32 copy of
// the shifted view and log_softmax's fp32 output are alive at once: 14 B per logit. (LoRA: the
// loss's moment is the peak; a full fine-tune's is its optimizer step.)
START_TEST(hf_loss_upcasts_and_copies_the_shifted_logits) {
    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"seq", "4096"}, {"mbs", "1"}, {"lora", "8"}, {"framework", "hf"}});
    ck_assert_double_eq_tol(memory_of(j, 1).logits, 14.0 * 4096 * 128256, 1);
}
END_TEST

// torchtitan's eager loss leaves the freed bf16 logits' block (2 B per logit) reserved at its
// backward peak: log_softmax_backward's fp32 output cannot use it. Compiled or fp32: nothing.
START_TEST(torchtitan_eager_loss_leaves_the_logits_block_reserved) {
    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                                 {"recompute", "selective"}, {"framework", "torchtitan@2024.12"}});
    const double logits = 2.0 * 8192 * 128256;
    auto cached = [&] {  // reserved beyond the fragmentation factor
        const calc::MemoryBreakdown m = memory_of(j, 8);
        return m.reserved - m.allocated * calc::profile(j.setup).fragmentation;
    };
    ck_assert_double_eq_tol(cached(), 2 * logits, 1);
    calc::apply_option(j, "layout", "tp=2");  // one vocabulary shard per TP rank
    ck_assert_double_eq_tol(cached(), logits, 1);
    calc::apply_option(j, "layout", "tp=1");
    calc::apply_option(j, "framework", "torchtitan@2025.06");  // eager by default too
    ck_assert_double_eq_tol(cached(), 2 * logits, 1);
    calc::apply_option(j, "compile", "on");  // its compiled loss leaves nothing
    ck_assert_double_eq_tol(cached(), 0, 1);
    calc::apply_option(j, "compile", "off");  // eager again
    ck_assert_double_eq_tol(cached(), 2 * logits, 1);
    calc::apply_option(j, "precision", "fp32");  // no upcast copy: C reuses A's block
    ck_assert_double_eq_tol(cached(), 0, 1);
}
END_TEST

// FSDP's root unit (embedding, final norm, output) is never resharded after forward and is
// resharded only in backward's final callback, so its bf16 parameters are gathered at the loss's
// backward; torchtitan also keeps the last block (reshard_after_forward = layer_id < last).
// Llama 3.1 8B: root 2 x 128256 x 4096 + 4096 parameters, one block 218,112,000.
START_TEST(fsdp_root_unit_stays_gathered_through_backward) {
    calc::ModelCatalogue models = calc::ModelCatalogue::load({calc::default_catalogue_path("models.json")});
    calc::JobSpec j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                                 {"recompute", "selective"}, {"framework", "torchtitan@2024.12"}});
    const calc::Architecture a = calc::resolve_arch(j, models);
    const calc::ParamCount p = calc::count_params(a);
    const double root = 2.0 * (2.0 * 128256 * 4096 + 4096), block = 218112000;
    ck_assert_double_eq(p.layer_dense(), block);
    // M5: the loss's peak (12 B per logit) outweighs a block's backward: root + the last block, bf16.
    calc::MemoryBreakdown m = calc::memory_only(a, p, j.setup, 8, 8);
    ck_assert_double_eq_tol(m.buffers, root + 2 * block, 1);
    // A short sequence: the last block's backward, once the loss has freed its tensors, is the larger
    // moment: root + the output projection's unsharded bf16 grad + 2 gathered blocks + 1 grad block,
    // beside the block's replayed set and gradients (eager op SAC with early stop: 243,720 B per token),
    // and block L's fp32 reduce-scatter input (4 x block) once block L's activations are freed.
    calc::apply_option(j, "seq", "256");
    m = calc::memory_only(a, p, j.setup, 8, 8);
    const double kept = 512 * (32 * 63616.0 + 8);
    ck_assert_double_eq_tol(m.activations + m.logits + m.buffers - kept,
                            root + 2.0 * 128256 * 4096 + 6 * block + 512 * 243720.0 + 4 * block - 512 * 63616.0, 1);
    // Pipeline parallel: torchtitan reshards no block after forward; the last of 2 stages keeps its
    // 16 blocks, the final norm and the output projection gathered. That is the FSDP-under-PP term
    // (calc/fsdp_pipeline.hpp, in the weights line: fp32 shards over DP 4 + the bf16 copy beside
    // the buffers' two gathered blocks), so no root term is added on top.
    calc::apply_option(j, "seq", "8192");
    calc::apply_option(j, "layout", "pp=2");
    m = calc::memory_by_stage(a, p, j.setup, 8, 8).last;
    const double stage = 16 * block + 4096 + 128256.0 * 4096;
    ck_assert_double_eq_tol(m.buffers, 6 * block, 1);
    ck_assert_double_eq_tol(m.weights, 4 * stage / 4 + 2 * (stage - 2 * block), 1);
    // The generic FSDP profile: the root, no block kept (FSDP1 and FSDP2 reshard every block).
    j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "8192"}, {"mbs", "2"},
                   {"recompute", "selective"}, {"framework", "fsdp"}});
    ck_assert_double_eq_tol(calc::memory_only(a, p, j.setup, 8, 8).buffers, root, 1);
    // torchtune: its full fine-tune configs shard tok_embeddings and output as units of their own
    // (custom_sharded_layers): the per-block buffers only.
    j = llama_job({{"model", "llama3.1-8b"}, {"fsdp", "full"}, {"seq", "2048"}, {"mbs", "2"},
                   {"recompute", "full"}, {"master", "bf16"}, {"framework", "torchtune@0.4"}});
    ck_assert_double_eq_tol(calc::memory_only(a, p, j.setup, 8, 8).buffers, 6 * block, 1);
    // Its LoRA recipe wraps only layers.N: the frozen root (bf16), no grads; without AC (no layer
    // rebuilt) a block's backward adds two gathered frozen blocks where the loss's peak has gone.
    calc::apply_option(j, "lora", "8");
    calc::apply_option(j, "recompute", "none");
    calc::apply_option(j, "seq", "512");  // a loss peak below two gathered blocks
    m = calc::memory_only(a, p, j.setup, 8, 8);
    ck_assert_double_eq_tol(m.buffers + m.logits, root + 4 * block, 1);
}
END_TEST

START_TEST(band_is_the_residual_range_widened_to_three_percent) {
    calc::Band b = calc::band_from_residuals({-0.152, 0.044, -0.02});
    ck_assert_double_eq(b.lo, -0.152);
    ck_assert_double_eq(b.hi, 0.044);
    ck_assert_int_eq(b.cases, 3);
    b = calc::band_from_residuals({-0.01, 0.005});  // a tight spread still gets +-3 %
    ck_assert_double_eq(b.lo, -calc::kMinBand);
    ck_assert_double_eq(b.hi, calc::kMinBand);
    b = calc::band_from_residuals({0.08, 0.12});  // all over-predicted: lo still reaches -3 %
    ck_assert_double_eq(b.lo, -calc::kMinBand);
    ck_assert_double_eq(b.hi, 0.12);
    b = calc::band_from_residuals({});
    ck_assert_double_eq(b.lo, -calc::kDefaultBand);
    ck_assert_double_eq(b.hi, calc::kDefaultBand);
    ck_assert_int_eq(b.cases, 0);
    ck_assert_str_eq(calc::describe(calc::band_from_residuals({-0.071, 0.01})), "-7.1..+3.0%");
}
END_TEST

START_TEST(few_cases_keep_at_least_the_default_band) {
    calc::Band b = calc::band_from_cases({-0.047, -0.035});  // two cases: not enough to narrow it
    ck_assert_double_eq(b.lo, -calc::kDefaultBand);
    ck_assert_double_eq(b.hi, calc::kDefaultBand);
    ck_assert_int_eq(b.cases, 2);
    b = calc::band_from_cases({-0.249, -0.1, -0.08});  // wider than the default on one side
    ck_assert_double_eq(b.lo, -0.249);
    ck_assert_double_eq(b.hi, calc::kDefaultBand);
    b = calc::band_from_cases({-0.047, -0.035, -0.02, 0.01, 0.015});  // enough: the cases' own range
    ck_assert_double_eq(b.lo, -0.047);
    ck_assert_double_eq(b.hi, calc::kMinBand);
}
END_TEST

START_TEST(table_gives_own_then_base_then_default_band_and_round_trips) {
    calc::BandTable t;
    calc::Band b = calc::band_from_residuals({-0.15234, 0.04401});
    t.set("torchtitan@2024.12", b);
    const calc::FrameworkProfile& old_tt = calc::parse_profile("torchtitan@2024.12", "x");
    const calc::FrameworkProfile& new_tt = calc::parse_profile("torchtitan@2025.06", "x");
    const calc::FrameworkProfile& hf = calc::parse_profile("hf", "x");
    ck_assert_double_eq(t.of(old_tt).lo, -0.15234);
    ck_assert_double_eq(t.of(new_tt).hi, 0.04401);  // borrowed from the profile it is based on
    ck_assert_double_eq(t.of(hf).hi, calc::kDefaultBand);
    ck_assert_str_eq(t.of(hf).from, "default");

    char path[] = "/tmp/aif-bands-XXXXXX";
    const int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(write_file_atomic(path, t.to_json()));
    calc::BandTable back = calc::BandTable::load(path);
    // Rounded to 0.01 % outwards: a case on the edge stays inside.
    ck_assert_double_eq_tol(back.of(old_tt).lo, -0.1524, 1e-12);
    ck_assert_double_eq_tol(back.of(old_tt).hi, 0.0441, 1e-12);
    ck_assert_int_eq(back.of(old_tt).cases, 2);
    ck_assert(write_file_atomic(path, "{\"bands\": {\"megatron@core_r0.12\": {\"lo\": 0.02, \"hi\": 0.05}}}"));
    ck_assert_input_error(calc::BandTable::load(path), "lo must be in (-0.9, 0]");
    unlink(path);
    ck_assert(calc::BandTable::load(path).entries().empty());  // not installed: every profile the default
}
END_TEST

static calc::ValidationRow memory_row(const char* id, const char* profile, double error, const char* known = "") {
    calc::ValidationRow r;
    r.id = id;
    r.kind = "memory";
    r.profile = profile;
    r.error = error;
    r.band = 0.1;
    r.known_miss = known;
    r.confidence = "high";
    r.status = std::fabs(error) <= 0.1 ? calc::ValidationRow::Status::Within : calc::ValidationRow::Status::Outside;
    return r;
}

// The stored band is checked; a known miss counts in the band like any measured case (a reason
// does not make the prediction right for jobs like it).
START_TEST(residuals_per_profile_against_the_stored_band) {
    std::vector<calc::ValidationRow> rows{memory_row("A", "megatron@core_r0.12", -0.05),
                                          memory_row("B", "megatron@core_r0.12", 0.02),
                                          memory_row("C", "megatron@core_r0.12", -0.30, "float8 not modelled"),
                                          memory_row("D", "deepspeed@0.16", 0.01)};
    calc::BandTable stored;
    stored.set("megatron@core_r0.12", calc::band_from_residuals({-0.04, 0.03}));
    auto prof = calc::profile_residuals(rows, stored);
    ck_assert_int_eq(prof.size(), 2);
    const calc::ProfileResiduals& m = prof[0];
    ck_assert_str_eq(m.profile, "megatron@core_r0.12");
    ck_assert_int_eq(m.residuals.size(), 3);
    ck_assert_int_eq(m.known_misses.size(), 1);
    ck_assert_str_eq(m.known_misses[0], "C");
    ck_assert_int_eq(m.outside.size(), 2);  // A at -5 % and C at -30 % leave the stored -4 % .. +3 %
    ck_assert_str_eq(m.outside[0], "A");
    ck_assert_double_eq_tol(m.median_abs, 0.05, 1e-12);
    ck_assert_double_eq_tol(m.max_abs, 0.30, 1e-12);
    ck_assert_double_eq(m.computed.lo, -0.30);
    ck_assert(prof[1].outside.empty());  // D inside the default +-10 %
    calc::BandTable written = calc::computed_bands(prof);
    ck_assert_double_eq(written.of(calc::parse_profile("megatron", "x")).lo, -0.30);
    // One case (fewer than kMinCasesForOwnBand): at least the default band.
    ck_assert_double_eq(written.of(calc::parse_profile("deepspeed", "x")).hi, calc::kDefaultBand);
    // Per framework over its versions: only families with cases in two or more profiles get a row.
    ck_assert(calc::family_residuals(prof).empty());
    rows.push_back(memory_row("E", "torchtitan@2024.12", 0.01));
    rows.push_back(memory_row("F", "torchtitan@2026.06", -0.09));
    rows.push_back(memory_row("G", "torchtitan@2026.06", 0.04));
    rows.back().confidence = "low";
    const auto fam = calc::family_residuals(calc::profile_residuals(rows, stored));
    ck_assert_int_eq(fam.size(), 1);
    ck_assert_str_eq(fam[0].family, "torchtitan");
    ck_assert_int_eq(fam[0].profiles, 2);
    ck_assert_int_eq(fam[0].cases, 3);
    ck_assert_int_eq(fam[0].high_cases, 2);
    ck_assert_double_eq_tol(fam[0].median_abs, 0.04, 1e-12);
    ck_assert_double_eq_tol(fam[0].max_abs, 0.09, 1e-12);
    ck_assert_double_eq_tol(fam[0].median_abs_high, 0.05, 1e-12);
}
END_TEST

int main() {
    Suite* s = suite_create("calc-profiles");
    TCase* tc = tcase_create("profiles");
    tcase_add_test(tc, bare_name_is_the_newest_and_a_version_the_newest_not_after_it);
    tcase_add_test(tc, every_profile_says_what_it_models_and_where_from);
    tcase_add_test(tc, torchtitan_and_fsdp_profiles_shard_unless_told);
    tcase_add_test(tc, newer_torchtitan_changes_only_the_logits);
    tcase_add_test(tc, torchtitan_block_saved_tensors_by_hand);
    tcase_add_test(tc, torchtitan_job_uses_the_block_count);
    tcase_add_test(tc, torchtitan_mxfp8_keeps_what_bf16_keeps);
    tcase_add_test(tc, torchtitan_2025_08_norm_output_unit);
    tcase_add_test(tc, torchtitan_2026_chunked_loss_fused_qkv_head_unit);
    tcase_add_test(tc, fsdp_keeps_the_last_reduce_scatter_input);
    tcase_add_test(tc, fsdp_root_unit_stays_gathered_through_backward);
    tcase_add_test(tc, band_is_the_residual_range_widened_to_three_percent);
    tcase_add_test(tc, few_cases_keep_at_least_the_default_band);
    tcase_add_test(tc, torchtune_chunked_loss_eager_and_compiled);
    tcase_add_test(tc, gradients_are_counted_at_their_moment);
    tcase_add_test(tc, hf_loss_upcasts_and_copies_the_shifted_logits);
    tcase_add_test(tc, torchtitan_eager_loss_leaves_the_logits_block_reserved);
    tcase_add_test(tc, table_gives_own_then_base_then_default_band_and_round_trips);
    tcase_add_test(tc, residuals_per_profile_against_the_stored_band);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

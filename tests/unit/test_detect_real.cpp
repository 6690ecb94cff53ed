// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for lib/detect: the forms real public training scripts use that the reader first
// missed when it was measured on them (docs/detect.md, "Real scripts"). Each script here is a
// minimal one written for this test in that style, not a copy.
#include <chrono>  // before check.h, whose macros clash with <ios>
#include <string>

#include <check.h>

#include "check_main.hpp"
#include "detect/detect.hpp"

using namespace aif;
using detect::Detection;

namespace {

const std::string kHead = "#!/bin/bash\n";
const std::string kModel = " --num-layers 2 --hidden-size 64 --num-attention-heads 4 --vocab-size 1000";

std::string value(const Detection& d, const char* key) {
    const detect::Value* v = d.get(key);
    return v ? v->value : std::string("(none)");
}
bool arch_has(const Detection& d, const std::string& field) {
    return ("," + value(d, "arch") + ",").find("," + field + ",") != std::string::npos;
}

}  // namespace

// Megatron-DeepSpeed's examples: DIR=`pwd`, then deepspeed ${DIR}/pretrain_gpt.py; the program is
// known by its base name even when its directory is not.
START_TEST(program_in_an_unknown_directory) {
    const Detection d = detect::read_script(kHead + "dir=`pwd`\ndeepspeed ${dir}/../../pretrain_gpt.py --micro-batch-size 3" +
                                            kModel + "\n");
    ck_assert(d.detected());
    ck_assert_str_eq(d.entry.c_str(), "pretrain_gpt.py");
    ck_assert_str_eq(value(d, "mbs").c_str(), "3");
    // BigScience: `pwd`/pretrain_gpt.py inside a variable run through bash -c.
    const Detection b = detect::read_script(
        kHead + "LAUNCHER=\"python -u -m torch.distributed.run --nproc_per_node 8\"\n"
                "CMD=\" `pwd`/pretrain_gpt.py --micro-batch-size 2" + kModel + "\"\n"
                "srun --jobid $SLURM_JOB_ID bash -c \"$LAUNCHER --node_rank \\$SLURM_PROCID $CMD\"\n");
    ck_assert(b.detected());
    ck_assert_str_eq(value(b, "mbs").c_str(), "2");
    // Still only the base name counts: an unknown program is not taken for a training job.
    ck_assert(!detect::read_script(kHead + "P=`pwd`\npython ${P}/$SCRIPT --micro-batch-size 2" + kModel + "\n").detected());
}
END_TEST

// run_cmd="deepspeed ... pretrain_gpt.py ${options}"; eval ${run_cmd}
START_TEST(eval_of_a_command_variable) {
    const Detection d = detect::read_script(kHead + "options=\"--seq-length 1024" + kModel + "\"\n"
                                            "run_cmd=\"deepspeed --num_nodes 1 pretrain_gpt.py ${options} &> log.txt\"\n"
                                            "echo ${run_cmd}\neval ${run_cmd}\nset +x\n");
    ck_assert(d.detected());
    ck_assert_str_eq(d.launcher.c_str(), "deepspeed");
    ck_assert_int_eq(d.line, 5);  // the eval line
    ck_assert_str_eq(value(d, "seq").c_str(), "1024");
    ck_assert(!detect::read_script(kHead + "eval \"$(conda shell.bash hook)\"\npython eval.py --model gpt2\n").detected());
}
END_TEST

// Megatron-LM's megatron_fsdp example: $VENV_PREFIX "${PROFILE_CMD[@]}" python -m torch.distributed.run ...
START_TEST(empty_array_in_quotes_is_no_word) {
    const Detection d = detect::read_script(kHead + "PREFIX=\"\"\nPROFILE=()\nARGS=(--micro-batch-size 4)\n"
                                            "$PREFIX \"${PROFILE[@]}\" python -m torch.distributed.run --nproc_per_node 8 "
                                            "pretrain_gpt.py \"${ARGS[@]}\"" + kModel + "\n");
    ck_assert(d.detected());
    ck_assert_str_eq(value(d, "mbs").c_str(), "4");
}
END_TEST

// BigScience: TRAIN_SAMPLES=220_000_000 (Python's int() reads digit groups).
START_TEST(numbers_with_digit_groups) {
    const std::string launch = "python pretrain_gpt.py --seq-length 2048 --train-samples ";
    Detection d = detect::read_script(kHead + launch + "220_000_000" + kModel + "\n");
    ck_assert_str_eq(value(d, "tokens").c_str(), "450560000000");
    for (const char* bad : {"_1", "1_", "1__0", "1_x"}) {
        d = detect::read_script(kHead + launch + bad + kModel + "\n");
        ck_assert_msg(d.get("tokens") == nullptr, "%s was read", bad);
    }
}
END_TEST

// Megatron-DeepSpeed spellings: ALiBi (no position table), --num-experts 1 (dense),
// --normalization rmsnorm, --num-key-value-heads.
START_TEST(megatron_deepspeed_model_options) {
    Detection d = detect::read_script(kHead + "python pretrain_gpt.py --position-embedding-type alibi "
                                              "--max-position-embeddings 2048 --num-experts 1" + kModel + "\n");
    ck_assert(arch_has(d, "pos_emb=rope"));
    ck_assert(!arch_has(d, "max_pos=2048"));
    ck_assert(value(d, "arch").find("experts") == std::string::npos);
    d = detect::read_script(kHead + "python pretrain_gpt.py --normalization rmsnorm --num-key-value-heads 2 "
                                    "--use-rotary-position-embeddings --swiglu" + kModel + "\n");
    ck_assert(arch_has(d, "norm=rms"));
    ck_assert(arch_has(d, "kv_heads=2"));
    d = detect::read_script(kHead + "python pretrain_gpt.py --num-key-value-heads 8" + kModel + "\n");
    ck_assert_ptr_null(d.get("arch"));  // more kv heads than heads: not a model
}
END_TEST

// torchtitan's Flux inference (torchrun -m torchtitan.models.flux.inference.infer) is no training.
START_TEST(torchtitan_inference_is_not_training) {
    const std::string args = " --job.config_file flux.toml --parallelism.tensor_parallel_degree 2\n";
    ck_assert(!detect::read_script(kHead + "torchrun --nproc_per_node 8 -m torchtitan.models.flux.inference.infer" + args)
                   .detected());
    ck_assert(detect::read_script(kHead + "torchrun --nproc_per_node 8 -m torchtitan.models.flux.train" + args).detected());
    ck_assert(detect::read_script(kHead + "torchrun --nproc_per_node 8 -m torchtitan.train" + args).detected());
}
END_TEST

// torchtitan since 2026 (run_train.sh): --module llama3 --config llama3_8b, a Python function of its
// config registry. What it may set is missing, not the defaults of the TOML era.
START_TEST(torchtitan_python_config_is_not_defaults) {
    Detection d = detect::read_script(kHead + "CONFIG=${CONFIG:-\"llama3_8b\"}\ntorchrun --nproc_per_node 8 "
                                              "-m torchtitan.train --module llama3 --config ${CONFIG} "
                                              "--parallelism.tensor_parallel_degree 2\n");
    ck_assert(d.detected());
    ck_assert_ptr_null(d.get("mbs"));
    ck_assert_ptr_null(d.get("seq"));
    bool named = false;
    for (const auto& m : d.missing) named = named || m.find("llama3_8b (Python) may set it") != std::string::npos;
    ck_assert(named);
    ck_assert_str_eq(value(d, "layout").c_str(), "tp=2");
    // Without --config, the defaults stand as before.
    d = detect::read_script(kHead + "torchrun -m torchtitan.train --parallelism.tensor_parallel_degree 2\n");
    ck_assert_str_eq(value(d, "mbs").c_str(), "8");
}
END_TEST

// Thousands of one-word commands cost far more than their bytes: job_submit's read is refused
// (and only warned about) rather than run long; the CLI's larger limits still read it.
START_TEST(many_small_commands_are_charged) {
    std::string script = kHead;
    for (int i = 0; i < 20000; ++i) script += "V" + std::to_string(i) + "=1\n";
    script += "torchrun pretrain_gpt.py --micro-batch-size 2" + kModel + "\n";
    ck_assert(script.size() < detect::kSlurmctldLimits.script_bytes);
    const Detection d = detect::read_script(script, detect::kSlurmctldLimits);
    ck_assert_int_eq(static_cast<int>(d.status), static_cast<int>(Detection::Status::Refused));
    ck_assert(detect::read_script(script).detected());
}
END_TEST

// Megatron-DeepSpeed: activation_checkpoint="false"; if [ "${activation_checkpoint}" = "true" ]; then
// ds_args="--recompute-granularity full ..."; fi. The branch the script runs is the one read.
START_TEST(branches_on_known_values) {
    const std::string launch = "torchrun pretrain_gpt.py $extra" + kModel + "\n";
    auto recompute = [&](const std::string& body) { return value(detect::read_script(kHead + body + launch), "recompute"); };
    const std::string ac = "if [ \"${ac}\" = \"true\" ]; then\n  extra=\"--recompute-granularity full\"\nfi\n";
    ck_assert_str_eq(recompute("ac=\"false\"\n" + ac).c_str(), "none");
    ck_assert_str_eq(recompute("ac=\"true\"\n" + ac).c_str(), "full");
    ck_assert_str_eq(recompute(ac).c_str(), "full");  // ac unset: undecided, every branch read
    // elif/else, numbers, nesting in a branch not run.
    const std::string chain = "if [[ $Z -gt 1 ]]; then\n extra=--recompute-activations\n"
                              "elif [ $Z -eq 1 ]; then\n extra=\"--recompute-granularity full\"\n"
                              "  if [ 1 = 1 ]; then extra=--recompute-activations; fi\n"
                              "else\n extra=--bf16\nfi\n";
    ck_assert_str_eq(recompute("Z=0\n" + chain).c_str(), "none");
    ck_assert_str_eq(recompute("Z=2\n" + chain).c_str(), "selective");
    ck_assert_str_eq(recompute("Z=1\n" + chain).c_str(), "selective");
    // Two tests joined: undecided. A launch line in a branch not run is not the launch line.
    ck_assert_str_eq(recompute("ac=true\nif [ $ac = true ] || [ 1 = 2 ]; then extra=--recompute-activations; fi\n")
                         .c_str(), "selective");
    ck_assert_str_eq(recompute("ac=false\nif [ $ac = true ] && [ 1 = 1 ]\nthen extra=--recompute-activations\nfi\n")
                         .c_str(), "selective");
    ck_assert(!detect::read_script(kHead + "DRY=0\nif [ \"$DRY\" = 1 ]; then\n" + launch + "fi\n").detected());
    // `if torchrun ...; then` runs the command itself.
    ck_assert(detect::read_script(kHead + "if torchrun pretrain_gpt.py" + kModel + "; then echo ok; fi\n").detected());
}
END_TEST

int main() {
    Suite* s = suite_create("detect_real");
    TCase* tc = tcase_create("real_script_forms");
    tcase_add_test(tc, program_in_an_unknown_directory);
    tcase_add_test(tc, eval_of_a_command_variable);
    tcase_add_test(tc, empty_array_in_quotes_is_no_word);
    tcase_add_test(tc, numbers_with_digit_groups);
    tcase_add_test(tc, megatron_deepspeed_model_options);
    tcase_add_test(tc, torchtitan_inference_is_not_training);
    tcase_add_test(tc, many_small_commands_are_charged);
    tcase_add_test(tc, torchtitan_python_config_is_not_defaults);
    tcase_add_test(tc, branches_on_known_values);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests for job_submit reading the batch script of a job without --llm-* options (issue 15):
// lib/site/decide with Submission::script, under Detect=off|warn|enforce.
// <fstream> first: check.h defines a `fail` macro that breaks the iostream headers.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <check.h>

#include "check_main.hpp"

#include "site/decide.hpp"

using namespace aif::site;

static std::shared_ptr<const Snapshot> snap;

static void setup() {
    char dir[] = "/tmp/aif-site-detect.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const std::string path = std::string(dir) + "/aifactory.conf", slurm = std::string(dir) + "/slurm.conf";
    std::ofstream(path) << "Detect=enforce\n"
                           "PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce\n"
                           "PartitionName=warned System=leonardo-booster Policy=enforce Detect=warn\n"
                           "PartitionName=dev System=leonardo-booster Policy=enforce Detect=off\n";
    std::ofstream(slurm) << "PartitionName=boost_usr_prod Nodes=a Default=YES\n";
    snap = load_snapshot(path, slurm);
    std::remove(path.c_str());
    std::remove(slurm.c_str());
    rmdir(dir);
}

// An unmodified Megatron-LM script: a 7B model, tp=4 pp=2, as people write them.
static const std::string kHead = "#!/bin/bash\n#SBATCH --nodes=2 --gpus-per-node=4\n"
                                 "TP=4\nPP=2\n"
                                 "srun python pretrain_gpt.py \\\n"
                                 "  --tensor-model-parallel-size $TP --pipeline-model-parallel-size $PP \\\n"
                                 "  --num-layers 32 --hidden-size 4096 --num-attention-heads 32 \\\n"
                                 "  --ffn-hidden-size 11008 --vocab-size 32000 --max-position-embeddings 4096 \\\n"
                                 "  --micro-batch-size 1 --global-batch-size 256 --bf16 --train-iters 1000 \\\n";
static const std::string kFits = kHead + "  --seq-length 4096 --use-distributed-optimizer\n";
// The same model with no parallelism and activations kept: does not fit 4 GPUs.
static const std::string kTooBig = "#!/bin/bash\nsrun python pretrain_gpt.py --num-layers 32 --hidden-size 4096 "
                                   "--num-attention-heads 32 --ffn-hidden-size 11008 --vocab-size 32000 "
                                   "--max-position-embeddings 8192 --micro-batch-size 8 --global-batch-size 256 --seq-length 8192 "
                                   "--train-iters 100 --fp16\n";

static Submission job(const std::string& script, long gpus, long nodes, const char* partition = "") {
    Submission s;
    s.script = script;
    s.gpus.gpus = gpus;
    s.gpus.nodes = nodes;
    s.partition = partition;
    return s;
}

static std::string joined(const Decision& d) {
    std::string s;
    for (const auto& l : d.lines) s += l + "\n";
    return s;
}

START_TEST(detected_job_that_fits_gets_the_read_line_and_a_prediction) {
    const Decision d = decide(job(kFits, 8, 2), *snap);
    ck_assert_msg(d.action == Action::Accept, "%s: %s", name(d.action), joined(d).c_str());
    // One sentence, wrapped to the 65 columns Slurm's messages get.
    ck_assert_str_eq(d.lines[0].c_str(), "aifactory: read Megatron-LM (pretrain_gpt.py, line 5): 5.18B");
    ck_assert_str_eq(d.lines[1].c_str(), "  params, tp=4 pp=2, mbs 1, seq 4096");
    ck_assert_msg(d.lines[2].rfind("aifactory: OK, ", 0) == 0, "%s", d.lines[2].c_str());
    ck_assert(d.prediction.rfind("verdict=", 0) == 0);
    ck_assert(d.log.rfind("read pretrain_gpt.py line 5: fits: ", 0) == 0);
    for (const auto& l : d.lines) ck_assert_msg(l.size() <= kMaxLine, "too wide: '%s'", l.c_str());
}
END_TEST

START_TEST(detected_job_that_does_not_fit_is_rejected_only_under_enforce) {
    Decision d = decide(job(kTooBig, 4, 1), *snap);
    ck_assert_msg(d.action == Action::Reject, "%s: %s", name(d.action), joined(d).c_str());
    ck_assert(d.problem == Problem::DoesNotFit);
    ck_assert(d.lines[0].rfind("aifactory: read Megatron-LM (pretrain_gpt.py, line 2)", 0) == 0);
    // Detect=warn: the same verdict, never a rejection.
    d = decide(job(kTooBig, 4, 1, "warned"), *snap);
    ck_assert_msg(d.action == Action::Warn, "%s", name(d.action));
    ck_assert_msg(joined(d).find("accepted anyway (read from the script; Detect=warn on\n  warned)") !=
                      std::string::npos, "%s", joined(d).c_str());
}
END_TEST

START_TEST(missing_values_only_warn_and_are_named) {
    // No --seq-length: the estimate assumes one, so even Detect=enforce does not reject.
    const std::string script = "#!/bin/bash\nsrun python pretrain_gpt.py --num-layers 32 --hidden-size 4096 "
                               "--num-attention-heads 32 --ffn-hidden-size 11008 --vocab-size 32000 "
                               "--max-position-embeddings 8192 --micro-batch-size 8 --global-batch-size 256 --seq-length $SEQ "
                               "--train-iters 100 --fp16\n";
    const Decision d = decide(job(script, 4, 1), *snap);
    ck_assert_msg(d.action == Action::Warn, "%s: %s", name(d.action), joined(d).c_str());
    ck_assert_msg(joined(d).find("not in the script: seq; defaults assumed") != std::string::npos, "%s",
                  joined(d).c_str());
    ck_assert_msg(joined(d).find("--llm-seq=4096") != std::string::npos, "%s", joined(d).c_str());  // assumed
}
END_TEST

START_TEST(explicit_options_win_over_the_script) {
    Submission s = job(kTooBig, 4, 1);
    s.options.values = {{"model", "llama3.1-8b"}, {"layout", "tp=4"}};
    const Decision d = decide(s, *snap);
    ck_assert_msg(d.action == Action::Accept, "%s: %s", name(d.action), joined(d).c_str());
    ck_assert(joined(d).find("read ") == std::string::npos);
    ck_assert(d.lines[0].rfind("aifactory: OK, llama3.1-8b fits", 0) == 0);
    // And the decision cache does not mix the two.
    ck_assert(DecisionCache::key(s) != DecisionCache::key(job(kTooBig, 4, 1)));
}
END_TEST

START_TEST(detect_off_and_other_scripts_are_untouched) {
    Decision d = decide(job(kTooBig, 4, 1, "dev"), *snap);
    ck_assert(d.action == Action::Pass && d.lines.empty() && d.prediction.empty());
    d = decide(job(kTooBig, 4, 1, "not-in-aifactory-conf"), *snap);
    ck_assert(d.action == Action::Pass && d.lines.empty());
    d = decide(job("#!/bin/bash\n#SBATCH --gpus=4\nsrun python train_resnet.py --epochs 90\n", 4, 1), *snap);
    ck_assert(d.action == Action::Pass && d.lines.empty() && d.prediction.empty());
    d = decide(job("", 4, 1), *snap);
    ck_assert(d.action == Action::Pass);
}
END_TEST

START_TEST(scripts_over_256_kib_are_not_read) {
    std::string big = kTooBig;
    big.insert(12, std::string(256u << 10, '#') + "\n");
    ck_assert(decide(job(big, 4, 1), *snap).action == Action::Pass);
    // The same text under the limit is read (so the size alone made the difference).
    big = kTooBig;
    big.insert(12, std::string(200u << 10, '#') + "\n");
    ck_assert(decide(job(big, 4, 1), *snap).action == Action::Reject);
}
END_TEST

// torchtitan names its TOML; the settings sbatch read from it (AIFACTORY_HINTS) complete the
// reading, and the command line still wins over them.
START_TEST(config_file_hints_complete_a_torchtitan_reading) {
    const std::string script = "#!/bin/bash\nsrun torchrun --nproc_per_node 4 -m torchtitan.train "
                               "--job.config_file llama3_8b.toml --training.local_batch_size 1\n";
    Decision d = decide(job(script, 8, 2), *snap);
    ck_assert(d.action == Action::Pass);  // no model to size: said, never refused
    ck_assert_msg(joined(d).find("the model is not in the script") != std::string::npos, "%s", joined(d).c_str());
    Submission s = job(script, 8, 2);
    s.options.hints = "read=toml;toml:model.name=llama3;toml:model.flavor=8B;toml:training.seq_len=8192;"
                      "toml:training.mixed_precision_param=bfloat16;toml:activation_checkpoint.mode=full;"
                      "toml:training.local_batch_size=64";
    d = decide(s, *snap);
    ck_assert_msg(d.action == Action::Accept, "%s: %s", name(d.action), joined(d).c_str());
    ck_assert_msg(joined(d).find("mbs 1, seq 8192") != std::string::npos, "%s", joined(d).c_str());
    ck_assert_msg(joined(d).find("llama3-8b fits") != std::string::npos, "%s", joined(d).c_str());
    ck_assert_msg(joined(d).find("not in the script") == std::string::npos, "%s", joined(d).c_str());
    // A hint never makes a job that names no model an LLM job.
    s.script = "#!/bin/bash\nsrun ./md_run -n 4\n";
    ck_assert(decide(s, *snap).action == Action::Pass);
}
END_TEST

int main() {
    Suite* s = suite_create("site_detect");
    TCase* tc = tcase_create("detect");
    tcase_add_unchecked_fixture(tc, setup, nullptr);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, detected_job_that_fits_gets_the_read_line_and_a_prediction);
    tcase_add_test(tc, detected_job_that_does_not_fit_is_rejected_only_under_enforce);
    tcase_add_test(tc, missing_values_only_warn_and_are_named);
    tcase_add_test(tc, explicit_options_win_over_the_script);
    tcase_add_test(tc, detect_off_and_other_scripts_are_untouched);
    tcase_add_test(tc, scripts_over_256_kib_are_not_read);
    tcase_add_test(tc, config_file_hints_complete_a_torchtitan_reading);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

// SPDX-License-Identifier: GPL-2.0-or-later
// What reading the batch script costs job_submit (issue 15): detect::read_script with slurmctld's
// limits on a typical Megatron script, a 256 KiB one and hostile forms (here-documents, many
// variables, long lines), each against splitting the same bytes into lines (the least any reader
// of the script does) measured in the same run. Target: every form under 5 ms.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "detect/detect.hpp"

using namespace aif;

namespace {

// Written for this benchmark in the style of Megatron-LM's examples/ (not a copy).
const char kTypical[] = R"(#!/bin/bash
#SBATCH --nodes=4 --gpus-per-node=8 --ntasks-per-node=1
set -euo pipefail
export CUDA_DEVICE_MAX_CONNECTIONS=1
GPUS_PER_NODE=8
MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
TP=${TP:-4}
PP=${PP:-2}
MBS=1
GBS=512
SEQ=4096
DISTRIBUTED_ARGS=(--nproc_per_node $GPUS_PER_NODE --nnodes $SLURM_NNODES --rdzv_endpoint $MASTER_ADDR:29500)
MODEL_ARGS=(
    --num-layers 32 --hidden-size 4096 --ffn-hidden-size 14336 --num-attention-heads 32
    --group-query-attention --num-query-groups 8 --seq-length $SEQ --max-position-embeddings $SEQ
    --position-embedding-type rope --swiglu --normalization RMSNorm --untie-embeddings-and-output-weights
    --disable-bias-linear --tokenizer-type HuggingFaceTokenizer --tokenizer-model meta-llama/Meta-Llama-3-8B
)
TRAINING_ARGS=(
    --micro-batch-size $MBS --global-batch-size $GBS --train-iters 50000 --lr 3e-4 --min-lr 3e-5
    --lr-decay-style cosine --weight-decay 0.1 --clip-grad 1.0 --bf16 --recompute-granularity selective
)
PARALLEL_ARGS=(--tensor-model-parallel-size $TP --pipeline-model-parallel-size $PP --sequence-parallel
    --use-distributed-optimizer)
DATA_ARGS=(--data-path $DATA/train_text_document --split 99,1,0)
LOGGING_ARGS=(--log-interval 10 --save-interval 1000 --eval-interval 1000 --save $CKPT --load $CKPT)
srun torchrun ${DISTRIBUTED_ARGS[@]} pretrain_gpt.py ${MODEL_ARGS[@]} ${TRAINING_ARGS[@]} \
    ${PARALLEL_ARGS[@]} ${DATA_ARGS[@]} ${LOGGING_ARGS[@]}
)";

constexpr std::size_t kBig = 256u << 10;  // job_submit's limit (kSlurmctldLimits.script_bytes)

// Fills `body` up to just under 256 KiB with `unit` and ends with the typical script's launch.
std::string fill(std::string head, const std::string& unit) {
    const std::string tail = std::string(kTypical).substr(std::string(kTypical).find("DISTRIBUTED_ARGS"));
    while (head.size() + unit.size() + tail.size() < kBig) head += unit;
    return head + tail;
}

std::vector<std::string_view> split_lines(std::string_view s) {
    std::vector<std::string_view> out;
    for (std::size_t at = 0; at < s.size();) {
        std::size_t nl = s.find('\n', at);
        if (nl == std::string_view::npos) nl = s.size();
        out.push_back(s.substr(at, nl - at));
        at = nl + 1;
    }
    return out;
}

// This thread's CPU time: job_submit's cost, not the other processes sharing the machine.
double cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

template <class F>
double median_s(int runs, F&& f) {
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) {
        const double t0 = cpu_s();
        f();
        t.push_back(cpu_s() - t0);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

volatile std::size_t g_sink;  // keeps the measured work from being optimised away

}  // namespace

int main() {
    struct Case {
        const char* name;
        std::string text;
    };
    std::string heredocs = "#!/bin/bash\n";  // 8 kept (each at most 64 KiB), the rest passed over
    std::string deep = "#!/bin/bash\nexport A0=x\n";
    for (int i = 1; i < 64; ++i)  // each variable twice the one before: stopped by the value limit
        deep += "A" + std::to_string(i) + "=\"$A" + std::to_string(i - 1) + " $A" + std::to_string(i - 1) + "\"\n";
    const std::vector<Case> cases = {
        {"typical Megatron script", kTypical},
        {"256 KiB: comments + launch", fill("#!/bin/bash\n", "# " + std::string(76, 'c') + "\n")},
        {"256 KiB: cat > ds.json heredocs",
         fill(heredocs, "cat > ds_config.json <<EOF\n{\"train_micro_batch_size_per_gpu\": $MBS,\n"
                        " \"zero_optimization\": {\"stage\": 3}, \"bf16\": {\"enabled\": true}}\nEOF\n")},
        {"256 KiB: 12 000 variables", fill("#!/bin/bash\n", "V" + std::string(8, 'x') + "$RANDOM=1\n")},
        {"256 KiB: doubling variables", fill(deep, "B=\"$A63 $A63\"\n")},
        {"256 KiB: one long line", fill("#!/bin/bash\necho", " --num-layers $SEQ${TP:-4}")},
        {"256 KiB: nested ${A:-${B:-...}}", fill("#!/bin/bash\n", "X=${A:-${B:-${C:-${D:-1}}}}\n")},
        {"256 KiB: if nested 20 000 deep", fill("#!/bin/bash\nA=1\n", "if [ $A -eq 1 ]; then\n")},
        {"256 KiB: unclosed quote", fill("#!/bin/bash\nsrun torchrun pretrain_gpt.py \"", "--num-layers 2 ")},
    };
    std::printf("detect::read_script with job_submit's limits (256 KiB, 512 KiB of work), thread CPU time, median of 101;\n"
                "ratio against splitting the same bytes into lines, in this run; target < 5 ms:\n");
    std::printf("  %-34s %8s %10s %10s %7s  %s\n", "script", "KiB", "lines us", "read us", "ratio", "result");
    bool ok = true;
    for (const Case& c : cases) {
        const double base = median_s(101, [&] { g_sink = split_lines(c.text).size(); });
        detect::Detection d;
        const double t = median_s(101, [&] { d = detect::read_script(c.text, detect::kSlurmctldLimits); });
        const char* result = d.detected() ? "detected" : d.status == detect::Detection::Status::Refused ? "refused" : "not training";
        std::printf("  %-34s %8.1f %10.1f %10.1f %6.1fx  %s\n", c.name, c.text.size() / 1024.0, base * 1e6, t * 1e6,
                    t / base, result);
        ok = ok && t < 5e-3;
    }
    std::printf("%s\n", ok ? "all under 5 ms" : "OVER the 5 ms budget");
    return ok ? 0 : 1;
}

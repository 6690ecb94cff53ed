#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An unmodified Megatron-LM script, no --llm-* options: job_submit reads the script (issue 15),
# prints what it read and the verdict; Detect=enforce refuses one that cannot fit, Detect=warn
# only warns; a GPU script of something else gets no aifactory line at all.
source "$(dirname "$0")/submit_lib.sh"
CLUSTER_SITE_CONF='DefaultPolicy=enforce
PartitionName=boost_usr_prod System=leonardo-booster Headroom=5% Detect=enforce
PartitionName=standard-g System=lumi-g Headroom=5% Detect=warn'
start_cluster

# The script as a user would write it: variables, continuations, srun in front.
megatron() {  # $1: #SBATCH line, $2: parallelism and memory options
    cat <<S
#!/bin/bash
$1
#SBATCH --mem=100 -o /dev/null
export CUDA_DEVICE_MAX_CONNECTIONS=1
MODEL_ARGS="--num-layers 32 --hidden-size 4096 --num-attention-heads 32 --ffn-hidden-size 11008"
SEQ=4096
srun python pretrain_gpt.py \\
    \$MODEL_ARGS --max-position-embeddings \$SEQ --seq-length \$SEQ \\
    --vocab-size 32000 --global-batch-size 256 --train-iters 1000 --bf16 \\
    $2
S
}

megatron '#SBATCH -p boost_usr_prod -N 2 --gpus-per-node=4' \
    '--tensor-model-parallel-size 4 --pipeline-model-parallel-size 2 --micro-batch-size 1 --use-distributed-optimizer' >fits.sh
as_user sbatch --hold fits.sh
expect_rc 0 "detected job that fits accepted"
expect_line "$ERR" '^sbatch: aifactory: read Megatron-LM \(pretrain_gpt\.py, line 7\): [0-9.]+B$' "read line"
expect_line "$ERR" '^sbatch:   params, tp=4 pp=2, mbs 1, seq 4096$' "what was read"
expect_line "$ERR" '^sbatch: aifactory: OK, custom model fits: needs [0-9.]+ GiB per GPU' "verdict line"
expect_narrow "$ERR" "read line"
id=$(job_id_of "$OUT")
[ -n "$id" ] && ok "job id $id" || fail "no job id in: $(cat "$OUT")"
scancel "$id" 2>/dev/null
expect_line "$CLUSTER_ROOT/log/slurmctld.log" 'gpus=8: accept \(read pretrain_gpt\.py line 7: fits: ' "controller log line"

# Activations of mbs 16 on 4 GPUs without parallelism: refused under Detect=enforce...
megatron '#SBATCH -p boost_usr_prod -N 1 --gpus-per-node=4' '--micro-batch-size 16' >big.sh
as_user sbatch big.sh
expect_rc 1 "detected job that does not fit rejected (Detect=enforce)"
expect_line "$ERR" '^sbatch: error: aifactory: read Megatron-LM \(pretrain_gpt\.py, line 7\)' "read line on rejection"
expect_line "$ERR" 'does not fit in GPU memory' "verdict on rejection"

# ...and only warned about under Detect=warn.
megatron '#SBATCH -p standard-g -N 1 --gpus-per-node=1' '--micro-batch-size 64' >big_warn.sh
as_user sbatch --hold big_warn.sh
expect_rc 0 "Detect=warn accepts"
expect_line "$ERR" 'does not fit in GPU memory' "verdict under warn"
expect_line "$ERR" 'accepted anyway \(read from the script; Detect=warn on' "said why it was accepted"
id=$(job_id_of "$OUT") && [ -n "$id" ] && scancel "$id" 2>/dev/null

# Explicit --llm-* options win over the script.
as_user sbatch --hold --llm-model=llama3.1-8b --llm-layout=tp=4 big.sh
expect_rc 0 "explicit options win"
expect_no_line "$ERR" 'aifactory: read ' "script not read with options"
expect_line "$ERR" 'aifactory: OK, llama3\.1-8b fits' "options checked"
id=$(job_id_of "$OUT") && [ -n "$id" ] && scancel "$id" 2>/dev/null

# A GPU job of something else: untouched, no aifactory line, it runs.
cat >resnet.sh <<'S'
#!/bin/bash
#SBATCH -N 1 --gpus-per-node=4 --mem=100 -o /dev/null
python train_resnet.py --epochs 90 --batch-size 256 2>/dev/null || true
S
as_user sbatch resnet.sh
expect_rc 0 "non-LLM GPU script accepted"
expect_no_line "$ERR" 'aifactory' "no aifactory line for a non-LLM script"
id=$(job_id_of "$OUT")
[ "$(cluster_wait_job "$id" 30)" = COMPLETED ] && ok "non-LLM job ran" || fail "non-LLM job did not complete"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A training job that fits: accepted with a one-line prediction, runs, and carries the
# prediction in its environment (AIFACTORY_PREDICTION) for later stages.
source "$(dirname "$0")/submit_lib.sh"
start_cluster

as_user sbatch --llm-model=llama3.1-8b --llm-layout=tp=4 --llm-tokens=10B -p boost_usr_prod \
    -N 1 --gpus-per-node=4 --mem=100 -o job.%j.out --wrap 'echo "pred=$AIFACTORY_PREDICTION"'
expect_rc 0 "fitting job accepted"
expect_line "$ERR" '^sbatch: aifactory: OK, llama3\.1-8b fits: needs [0-9.]+ GiB per GPU$' "prediction line"
expect_line "$ERR" '^sbatch:   \([0-9.]+-[0-9.]+\) of [0-9.]+ usable$' "the band and usable memory"
expect_line "$ERR" 'GPU-hours on 4 GPUs' "time and GPU-hours with --llm-tokens"
expect_narrow "$ERR" "prediction"
id=$(job_id_of "$OUT")
[ -n "$id" ] && ok "job id $id" || fail "no job id in: $(cat "$OUT")"
state=$(cluster_wait_job "$id" 30)
[ "$state" = COMPLETED ] && ok "job ran" || fail "job state $state"
expect_line "job.$id.out" '^pred=verdict=fits;gib_per_gpu=[0-9.]+;capacity_gib=[0-9.]+;gib_lo=[0-9.]+;gib_hi=[0-9.]+;' "prediction (with its band) travels with the job"
expect_line "$CLUSTER_ROOT/log/slurmctld.log" 'aifactory: uid=65534 partition=boost_usr_prod gpus=4: accept' "controller log line"

# #SBATCH lines work like options; without --llm-tokens there is no time estimate.
cat >train.sh <<'S'
#!/bin/bash
#SBATCH --llm-model=llama3.1-8b
#SBATCH --llm-layout=tp=4
#SBATCH -N 1 --gpus-per-node=4 --mem=100 -o /dev/null
true
S
as_user sbatch train.sh
expect_rc 0 "#SBATCH --llm-* lines"
expect_line "$ERR" '^sbatch:   \([0-9.]+-[0-9.]+\) of [0-9.]+ usable$' "prediction without time"

# Training modes reach the controller: 70B on one node does not fit as a full fine-tune (over
# 300 GiB per GPU) but fits as QLoRA in pure bf16 (about 17 GiB).
as_user sbatch --llm-model=llama3.1-70b --llm-layout=tp=4 --llm-recompute=full --llm-master=bf16 \
    --llm-lora=8 --llm-quant=nf4 -p boost_usr_prod -N 1 --gpus-per-node=4 --mem=100 -o /dev/null --wrap true
expect_rc 0 "QLoRA job accepted"
expect_line "$ERR" '^sbatch: aifactory: OK, llama3\.1-70b fits: needs 1[0-9]\.[0-9] GiB per GPU$' "QLoRA prediction"
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The issue's example: 70B with tp=4,pp=4 on 8 nodes of 4 x A100-64GB does not fit. sbatch fails
# before any queue with needed vs usable GiB, the dominant term, and changes that fit.
source "$(dirname "$0")/submit_lib.sh"
start_cluster

as_user sbatch --llm-model=llama3.1-70b --llm-layout=tp=4,pp=4 -p boost_usr_prod -N 8 \
    --gpus-per-node=4 --mem=100 --wrap true
expect_rc 1 "rejected"
expect_line "$ERR" '^sbatch: error: aifactory: llama3\.1-70b does not fit in GPU memory\.$' "verdict"
expect_line "$ERR" '^sbatch: error: Needs [0-9.]+ GiB per GPU \([0-9.]+-[0-9.]+\) of [0-9.]+ usable\.$' "needed (with the band) vs usable"
expect_line "$ERR" '^sbatch: error: Asked for: 32 GPUs, tp=4,pp=4\.$' "what the job asked for"
expect_line "$ERR" '^sbatch: error: Largest term: [a-z ]+, [0-9.]+ GiB per GPU\.$' "dominant term"
expect_line "$ERR" '^sbatch: error: (Smallest changes that fit|A change that fits)' "suggestion header"
expect_line "$ERR" '^sbatch: error:   -N [0-9]+ ' "more nodes suggested"
expect_line "$ERR" '^sbatch: error:   -p standard-g ' "other partition of this site suggested"
expect_line "$ERR" 'Batch job submission failed: Invalid generic resource' "ESLURM_INVALID_GRES"
expect_narrow "$ERR" "rejection"
[ -z "$(squeue -h)" ] && ok "no job queued" || fail "a job was queued: $(squeue -h)"
expect_line "$CLUSTER_ROOT/log/slurmctld.log" 'gpus=32: reject \(does not fit' "controller log line"

# --gpus (per job) and --gpus-per-task are counted too.
as_user sbatch --llm-model=llama3.1-70b -p boost_usr_prod --gpus=8 --mem=100 --wrap true
expect_rc 1 "rejected with --gpus=8"
expect_line "$ERR" 'Asked for: 8 GPUs' "--gpus=8 counted as 8"
as_user sbatch --llm-model=llama3.1-70b -p boost_usr_prod -n 4 --gpus-per-task=1 --mem=100 --wrap true
expect_line "$ERR" 'Asked for: 4 GPUs' "--gpus-per-task=1 x 4 tasks counted as 4"
as_user sbatch --llm-model=llama3.1-70b -p standard-g -N 2 --gres=gpu:mi250x:8 --mem=100 --wrap true
expect_line "$ERR" 'Asked for: 16 GPUs' "--gres=gpu:mi250x:8 x 2 nodes counted as 16"

# A training job asking for no GPU at all.
as_user sbatch --llm-model=llama3.1-8b -p boost_usr_prod -N 1 --mem=100 --wrap true
expect_rc 1 "no GPUs rejected"
expect_line "$ERR" 'aifactory: the job asks for no GPUs: add --gpus-per-node=N' "asks for GPUs"
finish

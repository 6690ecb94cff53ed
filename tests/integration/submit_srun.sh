#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# srun and salloc get the same check as sbatch (allocator/local SPANK context).
source "$(dirname "$0")/submit_lib.sh"
start_cluster

as_user srun --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 echo ran-it
expect_rc 0 "srun job that fits runs"
expect_line "$ERR" '^srun: aifactory: OK, llama3\.1-8b fits: ' "srun prediction line"
expect_line "$OUT" '^ran-it$' "srun command ran"

as_user srun --llm-model=llama3.1-70b -N 1 --gpus-per-node=4 --mem=100 echo ran-it
expect_rc 1 "srun job that does not fit"
expect_line "$ERR" '^srun: error: aifactory: llama3\.1-70b does not fit in GPU memory\.$' "srun rejection"
expect_no_line "$OUT" 'ran-it' "command did not run"
expect_narrow "$ERR" "srun rejection"

as_user srun --llm-zero=5 --llm-model=llama3.1-8b -N 1 --gpus-per-node=4 echo ran-it
expect_line "$ERR" '^srun: error: --llm-zero: ' "srun client validation"

as_user salloc --llm-model=llama3.1-70b -N 1 --gpus-per-node=4 --mem=100 true
expect_rc 1 "salloc job that does not fit"
expect_line "$ERR" '^salloc: error: aifactory: llama3\.1-70b does not fit' "salloc rejection"
finish

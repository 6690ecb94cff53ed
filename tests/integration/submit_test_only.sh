#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sbatch --test-only is a dry run that gives the same answer as a real submission.
source "$(dirname "$0")/submit_lib.sh"
start_cluster

ours() { grep 'aifactory\|^sbatch: error:   \|Needs\|Largest term\|change' "$1" | grep -v 'submission failed\|allocation failure'; }
# Does not fit: same lines, non-zero exit, nothing queued.
as_user sbatch --test-only --llm-model=llama3.1-70b --llm-layout=tp=4,pp=4 -p boost_usr_prod -N 8 \
    --gpus-per-node=4 --mem=100 --wrap true
expect_rc 1 "--test-only rejects"
cp "$ERR" dry.err
as_user sbatch --llm-model=llama3.1-70b --llm-layout=tp=4,pp=4 -p boost_usr_prod -N 8 \
    --gpus-per-node=4 --mem=100 --wrap true
if diff <(ours dry.err) <(ours "$ERR") >/dev/null && [ -n "$(ours dry.err)" ]; then
    ok "same rejection text with and without --test-only"
else
    fail "rejection differs:"; diff <(ours dry.err) <(ours "$ERR") >&2
fi
expect_line dry.err 'allocation failure: Invalid generic resource' "--test-only failure line"

# Fits: same prediction line, and the dry run queues nothing.
as_user sbatch --test-only --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_rc 0 "--test-only accepts"
expect_line "$ERR" '^sbatch: aifactory: OK, llama3\.1-8b fits: ' "prediction on --test-only"
expect_line "$ERR" 'to start at' "Slurm's own --test-only answer follows"
[ -z "$(squeue -h)" ] && ok "nothing queued by --test-only" || fail "queued: $(squeue -h)"
finish

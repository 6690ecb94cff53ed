#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Jobs without --llm-* options are untouched: no message, no added environment, they just run.
source "$(dirname "$0")/submit_lib.sh"
start_cluster

as_user sbatch -N 1 --gpus-per-node=4 --mem=100 -o plain.%j.out \
    --wrap 'echo "pred=${AIFACTORY_PREDICTION:-none}"; env | grep -c _SLURM_SPANK_OPTION_aifactory || true'
expect_rc 0 "plain job accepted"
expect_no_line "$ERR" 'aifactory' "no aifactory message"
id=$(job_id_of "$OUT")
[ "$(cluster_wait_job "$id" 30)" = COMPLETED ] && ok "plain job ran" || fail "plain job did not complete"
expect_line "plain.$id.out" '^pred=none$' "no prediction attached"
expect_no_line "$CLUSTER_ROOT/log/slurmctld.log" 'aifactory: uid=' "controller logged no decision"

# Only --llm-check (no model): nothing to check, untouched too.
as_user sbatch --llm-check=warn -N 1 --gpus-per-node=1 --mem=100 -o /dev/null --wrap true
expect_rc 0 "--llm-check alone accepted"
expect_no_line "$ERR" 'aifactory' "no message for --llm-check alone"

# An srun job step inside an LLM batch job re-reads the options without re-checking or failing.
cp "$AIF_SRCDIR/tests/integration/submit_lib.sh" /dev/null
as_user sbatch --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 \
    -o step.%j.out --wrap 'srun -n1 echo step-ran'
expect_rc 0 "LLM batch job accepted"
id=$(job_id_of "$OUT")
[ "$(cluster_wait_job "$id" 30)" = COMPLETED ] && ok "batch job with a step ran" || fail "batch job with a step failed"
expect_line "step.$id.out" '^step-ran$' "srun step inside the job ran"
finish

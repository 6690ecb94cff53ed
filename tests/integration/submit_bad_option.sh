#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Malformed --llm-* values fail in sbatch itself with a message naming the option; a value that
# slips past the client (set in the environment by hand) is still caught by the controller.
source "$(dirname "$0")/submit_lib.sh"
start_cluster

as_user sbatch --help
for o in model config layout zero mbs gbs seq tokens precision optimizer recompute framework check master lora quant; do
    grep -q -- "--llm-$o=" "$OUT" || fail "sbatch --help does not list --llm-$o"
done
ok "sbatch --help lists the 16 --llm-* options"

bad() {  # bad OPTION VALUE PATTERN
    as_user sbatch "--llm-model=llama3.1-8b" "--llm-$1=$2" -N 1 --gpus-per-node=4 --wrap true
    [ "$RC" -ne 0 ] || fail "--llm-$1=$2 accepted"
    expect_line "$ERR" "^sbatch: error: --llm-$1[: ].*$3" "--llm-$1=$2 names the option"
    expect_line "$ERR" "^sbatch: error: Invalid --llm-$1 argument: " "--llm-$1=$2 stops sbatch"
}
bad zero 7 "7 is out of range"
bad precision fp7 "'fp7'"
bad layout "tp=x" ""
bad mbs 0 ""
bad tokens lots "'lots'"
bad master fp8 "'fp8'"
bad quant int3 "'int3'"
bad optimizer adam9 ""
bad check maybe "'maybe' is not enforce, warn or off"

as_user sbatch --llm-layout=tp=4 -N 1 --gpus-per-node=4 --wrap true
[ "$RC" -ne 0 ] && ok "options without a model rejected" || fail "options without a model accepted"
expect_line "$ERR" '^sbatch: error: --llm-\* options need --llm-model or --llm-config' "says a model is needed"

cat >bad.sh <<'S'
#!/bin/bash
#SBATCH --llm-model=llama3.1-8b
#SBATCH --llm-seq=-5
true
S
as_user sbatch -N 1 --gpus-per-node=4 bad.sh
expect_line "$ERR" '^sbatch: error: --llm-seq: ' "bad #SBATCH line names the option"
expect_narrow "$ERR" "client errors"
[ -z "$(squeue -h)" ] && ok "nothing queued" || fail "queued: $(squeue -h)"

# Bypassing client validation: an unknown model reaches the controller, which names it.
as_user sbatch --llm-model=lama3-70b -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_rc 1 "unknown model rejected by the controller"
expect_line "$ERR" "^sbatch: error: aifactory: unknown model 'lama3-70b' \(closest: " "closest names offered"
expect_narrow "$ERR" "controller error"
# A bad value set through Slurm's SPANK option environment is still validated by sbatch.
runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" AIFACTORY_DATADIR="$AIFACTORY_DATADIR" \
    SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_model=llama3.1-8b \
    SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_zero=9 \
    sbatch -N 1 --gpus-per-node=4 --wrap true >env.out 2>env.err
expect_line env.err '^sbatch: error: --llm-zero: 9 is out of range' "environment values validated"
cluster_alive slurmctld && ok "slurmctld still running" || fail "slurmctld died"
finish

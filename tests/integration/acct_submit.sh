#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Decisions of job_submit/aifactory become accounting records: on a real local Slurm with
# AIFACTORY_ACCT_CONF set for slurmctld, an accepted and a rejected LLM submission each leave one
# record (decision, reason, declared setup, prediction) that matches docs/record-schema.json; a
# job without --llm-* options leaves none. The records are written by the producer's thread, not
# inside job_submit().
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
need_root "to run the Slurm daemons"
[ -f "$B/.libs/job_submit_aifactory.so" ] || die "plugin not built: $B/.libs/job_submit_aifactory.so"
. "$CLUSTER_LIB"
trap 'cluster_stop; cleanup' EXIT

write_producer_conf
mkdir -p "$T/outbox"
export AIFACTORY_ACCT_CONF=$T/acct.conf   # slurmctld inherits it from cluster_start
cluster_start || die "local Slurm did not start"

records() { cat "$T"/outbox/new/*.rec 2>/dev/null | grep -c "\"decision\":\"$1\"" || true; }

ok=$(sbatch --parsable -N1 --gpus-per-node=4 --mem=100 -t 60 -o "$T/ok-%j.out" --llm-model=llama3.1-8b \
    --llm-layout=tp=4 --llm-tokens=1B --wrap 'echo "$AIFACTORY_PREDICTION"') || die "fitting job rejected"
! sbatch -N8 --gpus-per-node=4 --mem=100 --llm-model=llama3.1-70b --llm-layout=tp=4,pp=4 \
    --wrap true > "$T/reject.txt" 2>&1 || die "70B job on 32 A100-64GB accepted"
sbatch --parsable -N1 --gpus-per-node=1 --mem=100 -o /dev/null --wrap true > /dev/null ||
    die "plain job rejected"

wait_for 10 '[ "$(records accepted)" -ge 1 ] && [ "$(records rejected)" -ge 1 ]' ||
    die "decision records missing: $(ls "$T/outbox/new" 2>/dev/null | wc -l) files"
[ "$(ls "$T"/outbox/new/*.rec | wc -l)" -eq 2 ] || die "expected exactly 2 records (plain job recorded?)"
rejected=$(grep -l '"decision":"rejected"' "$T"/outbox/new/*.rec)
grep -q '"reason":"aifactory: llama3.1-70b does not fit in GPU memory."' "$rejected" ||
    die "rejection reason not recorded: $(cat "$rejected")"
grep -q '"training":{[^}]*"model":"llama3.1-70b"' "$rejected" || die "declared setup missing"
grep -q '"verdict":"does-not-fit"' "$rejected" || die "verdict missing: $(cat "$rejected")"
accepted=$(grep -l '"decision":"accepted"' "$T"/outbox/new/*.rec)
grep -q '"prediction":{[^}]*"gib_per_gpu":' "$accepted" || die "prediction missing: $(cat "$accepted")"
grep -q '"schema":"aifactory.acct/2"' "$accepted" || die "not schema 2: $(cat "$accepted")"
grep -q '"time_limit_s":3600' "$accepted" || die "time limit asked for not recorded: $(cat "$accepted")"
grep -q '"submit_time":"' "$accepted" || die "submit time not recorded: $(cat "$accepted")"
# The job carries the decision's record id in its signed prediction: its records link to it.
cluster_wait_job "$ok" 60 > /dev/null || die "job $ok did not finish"
id=$(sed -n 's/.*"record_id":"\([0-9a-f-]*\)".*/\1/p' "$accepted")
grep -q ";decision_id=$id;sig=[0-9a-f]\{64\}\$" "$T/ok-$ok.out" ||
    die "job's prediction does not name its decision $id: $(cat "$T/ok-$ok.out")"
check_schema "$T"/outbox/new/*.rec
say "accepted and rejected submissions recorded with reason, setup and prediction"

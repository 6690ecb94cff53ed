#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Accounting that the job's user cannot forge or erase (issue 11), through a real local Slurm with
# job_submit/aifactory, aifactory.so and aifactory_acct.so, jobs submitted by an unprivileged user:
#  1. a batch script that exports another cluster, account, 16 GPUs and a made-up prediction is
#     billed to its real cluster, account and GPUs, and its prediction is marked user-declared;
#  2. an LLM job's prediction, signed by job_submit, is recorded as job_submit's;
#  3. a 70 KB forwarded option value costs the step records their training detail (listed in
#     `truncated`), not their GPU-hours.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
[ -f "$CLUSTER_LIB" ] || skip "no local-cluster harness ($CLUSTER_LIB)"
need_root "to run slurmd"
for so in aifactory_acct.so job_submit_aifactory.so aifactory.so; do
    [ -f "$B/.libs/$so" ] || die "plugin not built: $B/.libs/$so"
done
. "$CLUSTER_LIB"
trap 'cluster_stop; cleanup' EXIT

write_producer_conf
export AIFACTORY_ACCT_CONF=$T/acct.conf  # job_submit signs with its prediction key
export AIFACTORY_DATADIR=$S/etc
CLUSTER_JOB_SUBMIT=aifactory
CLUSTER_SPANK=$B/.libs/aifactory.so
CLUSTER_PLUGSTACK_EXTRA="optional $B/.libs/aifactory_acct.so config=$T/acct.conf"
cluster_start || die "local Slurm did not start"
CL=$(scontrol show config | sed -n 's/^ClusterName *= *//p')
W=$CLUSTER_ROOT/work  # world-writable: the job user's output goes here

as_user() { (cd "$W" && runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" AIFACTORY_DATADIR="$AIFACTORY_DATADIR" "$@"); }
job_ends() {  # JOBID
    st=$(cluster_wait_job "$1" 60) || die "job $1 did not finish ($st)"
    [ "$st" = COMPLETED ] || die "job $1 ended $st: $(cat "$W/job-$1.out" 2>/dev/null)"
    JOB=$1
    wait_for 10 '[ -n "$(record "$JOB" job_end)" ]' || die "job $1: no job_end record"
}
record() {  # JOBID KIND [STEP]: the record's JSON ("" if none)
    for f in "$T"/outbox/new/*.rec; do
        [ -f "$f" ] || continue
        body=$(tail -n +2 "$f")
        case "$body" in *"\"job_id\":$1,"*"\"kind\":\"$2\""*) ;; *) continue ;; esac
        [ -z "${3:-}" ] || case "$body" in *"\"step_id\":\"$3\""*) ;; *) continue ;; esac
        echo "$body"
        return
    done
}
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); v=d.get(sys.argv[2]); print("" if v is None else json.dumps(v) if isinstance(v,(list,dict)) else v)' "$1" "$2"; }

# 1. Forged environment: in sbatch's environment (the batch step's) and exported by the script
#    (the srun step's).
sixteen=$(seq -s, 0 15)
j1=$(as_user env SLURM_CLUSTER_NAME=other SLURM_JOB_ACCOUNT=victim SLURM_JOB_GPUS="$sixteen" \
    AIFACTORY_PREDICTION='verdict=fits;gib_per_gpu=1;sig=0000' sbatch --parsable -A realacct -o "$W/job-%j.out" --mem=100 --gres=gpu:a100:2 -n1 --wrap "
export SLURM_CLUSTER_NAME=other SLURM_JOB_ACCOUNT=victim SLURM_JOB_PARTITION=free SLURM_JOB_GPUS=$sixteen \
       SLURM_STEP_GPUS=$sixteen SLURMD_NODENAME=elsewhere
export AIFACTORY_PREDICTION='verdict=fits;gib_per_gpu=1;sig=0000' SPANK_AIFACTORY_PREDICTION='verdict=fits'
srun -n1 --gres=gpu:a100:2 sleep 1") || die "forged job not submitted"
job_ends "$j1"
for kind_step in "step_end batch" "step_end 0" "job_end"; do
    set -- $kind_step
    r=$(record "$j1" "$1" "${2:-}")
    [ -n "$r" ] || die "job $j1: no $kind_step record"
    [ "$(field "$r" cluster)" = "$CL" ] || die "$kind_step billed to cluster $(field "$r" cluster), not $CL: $r"
    [ "$(field "$r" gpus)" = 2 ] || die "$kind_step has $(field "$r" gpus) GPUs, not 2: $r"
    [ "$(field "$r" node)" = localhost ] || die "$kind_step on node $(field "$r" node): $r"
    case "$r" in *victim*|*'"partition":"free"'*) die "$kind_step took the forged account/partition: $r" ;; esac
done
r=$(record "$j1" job_end)
[ "$(field "$r" account)" = realacct ] || die "job_end account $(field "$r" account), not realacct: $r"
[ "$(field "$r" partition)" = boost_usr_prod ] || die "job_end partition $(field "$r" partition): $r"
for s in batch 0; do
    r=$(record "$j1" step_end $s)
    [ "$(field "$r" prediction_origin)" = user-declared ] || die "forged prediction not marked (step $s): $r"
    [ -z "$(field "$r" verdict)" ] || die "forged verdict lifted to the record (step $s): $r"
done
check_schema "$T"/outbox/new/*.rec
say "forged environment: billed to $CL/realacct with 2 GPUs; its prediction marked user-declared"

# 2. A real, signed prediction.
j2=$(as_user sbatch --parsable -o "$W/job-%j.out" --mem=100 --gres=gpu:a100:4 -n1 --llm-model=llama3.1-8b \
    --llm-layout=tp=4,sp=on --llm-mbs=1 --llm-seq=2048 --wrap "srun -n1 true") || die "LLM job not accepted"
job_ends "$j2"
for s in batch 0; do
    r=$(record "$j2" step_end $s)
    [ "$(field "$r" prediction_origin)" = job_submit ] || die "signed prediction not recognised (step $s): $r"
    [ "$(field "$r" verdict)" = fits ] || die "verdict of the signed prediction missing (step $s): $r"
    [ "$(field "$r" gpus)" = 4 ] || die "LLM job step $s: $(field "$r" gpus) GPUs: $r"
done
say "signed prediction: recorded as job_submit's, verdict lifted"

# 3. A 70 KB option value in the job's environment.
pad=$(head -c 70000 /dev/zero | tr '\0' x)
j3=$(as_user env "SLURM_SPANK__SLURM_SPANK_OPTION_aifactory_llm_pad=$pad" sbatch --parsable -o "$W/job-%j.out" \
    --mem=100 --gres=gpu:a100:2 -n1 --wrap "srun -n1 --gres=gpu:a100:2 sleep 1") || die "padded job not submitted"
job_ends "$j3"
for s in batch 0; do
    r=$(record "$j3" step_end $s)
    [ -n "$r" ] || die "padded job: step $s record lost: $(grep 'record not built' "$CLUSTER_ROOT/log/slurmd.log" | tail -n1)"
    [ "$(field "$r" gpus)" = 2 ] && [ -n "$(field "$r" gpu_seconds)" ] || die "padded job step $s: no GPU-hours: $r"
    [ "$(field "$r" truncated)" = '["training"]' ] || die "padded job step $s: truncation not said: ${r:0:400}"
    [ "${#r}" -lt 16384 ] || die "padded job step $s: record of ${#r} bytes"
done
check_schema "$T"/outbox/new/*.rec
say "PASS: forged environment billed correctly; signed prediction trusted; oversized option truncated, GPU-hours kept"

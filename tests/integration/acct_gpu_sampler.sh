#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real Slurm step on fake-NVML GPUs (issue 13): slurmd's plugstack points aifactory_acct.so at
# the fake libnvidia-ml.so.1 of tests/gpu (the real dlopen path in slurmstepd), which replays a
# scripted timeline on four GPUs; the job gets two of them. The spooled step records must carry
# exactly the scripted peak memory, mean and p95 utilisation, energy and sample count, and
# nothing of the two GPUs the job does not have. A job on the cluster's fake MI250X GPUs (which
# NVML does not see) is measured through the fake ROCm SMI instead, its devices found by their
# render minor numbers. A step without GPUs gets no GPU fields.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
[ -f "$CLUSTER_LIB" ] || skip "no local-cluster harness ($CLUSTER_LIB)"
need_root "to run slurmd"
[ -f "$B/.libs/aifactory_acct.so" ] || die "plugin not built: $B/.libs/aifactory_acct.so"
FAKE_NVML=$B/tests/gpu/.libs/libnvidia-ml.so.1
FAKE_ROCM=$B/tests/gpu/.libs/librocm_smi64.so
[ -f "$FAKE_NVML" ] && [ -f "$FAKE_ROCM" ] || die "fake GPU libraries not built in $B/tests/gpu (make check builds them)"
. "$CLUSTER_LIB"
trap 'cluster_stop; cleanup' EXIT

GiB=1073741824
# Four GPUs, ten rows each, read every 0.2 s. The job's a100:2 are Slurm's GPUs 0 and 1
# (gres.conf: fakedev/gpu[0-3]); GPUs 2 and 3 belong to nobody here and are huge.
#   memory peak: GPU 1's 7 GiB;  utilisation: 20 readings summing to 1000, mean 50, and by
#   nearest rank the 19th smallest, 97, is the p95;  energy: 200 J + 150 J by counter.
{
    echo "devices 4"
    echo "# dev mem_bytes util_pct energy_mj power_mw"
    i=0
    for row in "1 0 1000000" "2 40 1020000" "6 90 1040000" "4 100 1060000" "1 70 1080000" \
        "1 50 1100000" "2 50 1120000" "3 60 1140000" "2 30 1160000" "1 10 1200000"; do
        set -- $row
        echo "0 $(($1 * GiB)) $2 $3 300000"
    done
    for row in "2 10 2000000" "3 50 2015000" "5 80 2030000" "7 97 2045000" "3 60 2060000" \
        "3 60 2075000" "3 60 2090000" "3 60 2105000" "3 20 2120000" "2 3 2150000"; do
        set -- $row
        echo "1 $(($1 * GiB)) $2 $3 300000"
    done
    for i in 1 2 3 4 5 6 7 8 9 10; do
        echo "2 $((70 * GiB)) 100 $((9000000 + i * 900000)) 700000"
        echo "3 $((60 * GiB)) 0 $((8000000 + i * 800000)) 700000"
    done
} > "$T/timeline"
# The MI250X: Slurm's GPUs 4-11 (fakedev/gpu[4-11]) are ROCm SMI devices 0-7, told apart by their
# render minors 4-11. The job's two: 32 GiB peak, 100 % and 0 % busy (mean 50, p95 100),
# 400 J + 100 J by counter, five rows each. The other six: 64 GiB.
{
    echo "devices 8"
    for d in 0 1 2 3 4 5 6 7; do echo "minor $d $((d + 4))"; done
    for row in "8 0" "16 100000" "32 200000" "16 300000" "8 400000"; do
        set -- $row
        echo "0 $(($1 * GiB)) 100 $2 0"
        echo "1 $((4 * GiB)) 0 $(($2 / 4)) 0"
    done
    for d in 2 3 4 5 6 7; do echo "$d $((64 * GiB)) 100 0 0"; done
} > "$T/rocm-timeline"
# slurmstepd inherits slurmd's environment: that is how the fakes find their scripts.
export AIF_FAKE_GPU_TIMELINE=$T/timeline AIF_FAKE_ROCM_TIMELINE=$T/rocm-timeline

write_producer_conf
CLUSTER_JOB_SUBMIT=''
CLUSTER_SPANK=''
CLUSTER_PLUGSTACK_EXTRA="optional $B/.libs/aifactory_acct.so config=$T/acct.conf gpu_sample_interval=0.2 nvml_library=$FAKE_NVML rocm_smi_library=$FAKE_ROCM"
cluster_start || die "local Slurm did not start"
mkdir -p "$T/outbox"

job_ends() {  # JOBID
    st=$(cluster_wait_job "$1" 60) || die "job $1 did not finish ($st)"
    [ "$st" = COMPLETED ] || die "job $1 ended $st"
}
record() {  # JOBID STEP: the spooled record's JSON
    f=$(grep -l "\"job_id\":$1,.*\"step_id\":\"$2\"" "$T"/outbox/new/*.rec 2>/dev/null | head -n1)
    [ -n "$f" ] && tail -n +2 "$f"
}

# 1. Two fake A100s for ~4 s: both steps (batch and srun) sampled all ten rows.
j1=$(sbatch --parsable -o "$T/job-%j.out" --mem=100 --gres=gpu:a100:2 -n1 --wrap "srun -n1 sleep 4")
# 2. No GPUs; 3. two fake MI250X for ~3 s (NVML sees none of them: ROCm SMI).
j2=$(sbatch --parsable -o "$T/job-%j.out" --mem=100 -n1 --wrap "srun -n1 sleep 1")
j3=$(sbatch --parsable -o "$T/job-%j.out" --mem=100 --gres=gpu:mi250x:2 -n1 --wrap "srun -n1 sleep 3")
for j in "$j1" "$j2" "$j3"; do job_ends "$j"; done
wait_for 20 '[ -n "$(record "$j1" batch)" ] && [ -n "$(record "$j3" batch)" ]' || die "step records missing"

expected='"observed":{"gpu_energy_basis":"counter","gpu_energy_j":350.0,"gpu_mem_peak_bytes":7516192768,"gpu_sample_interval_s":0.2,"gpu_samples":10,"gpu_util_mean_pct":50.0,"gpu_util_p95_pct":97.0'
# The timeline per round: memory max over GPUs 0-1, utilisation mean over them.
GiBs="2 3 6 7 3 3 3 3 3 2"
timeline="\"gpu_timeline\":{\"gpu_mem_max_bytes\":[$(for g in $GiBs; do printf '%s,' $((g * GiB)); done | sed 's/,$//')],"
timeline="$timeline\"gpu_util_mean_pct\":[5.0,45.0,85.0,98.5,65.0,55.0,55.0,60.0,25.0,6.5],\"t_s\":[0.0,"
for step in 0 batch; do
    body=$(record "$j1" "$step") || die "no record for $j1.$step"
    grep -qF "$timeline" <<<"$body" || die "step $j1.$step: GPU timeline differs from the script:
  got      $(grep -o '"gpu_timeline":{[^}]*}' <<<"$body")
  expected $timeline..."
    body=$(sed 's/"gpu_timeline":{[^}]*},//' <<<"$body")
    obs=$(grep -o '"observed":{[^}]*}' <<<"$body")
    case "$obs" in
        "$expected"*) ;;
        *) die "step $j1.$step: measured GPU usage differs from the script:
  got      $obs
  expected $expected..." ;;
    esac
    grep -q "$((70 * GiB))\|$((60 * GiB))" <<<"$body" && die "another job's GPU got into $j1.$step: $body"
done
say "fake NVML, 2 of 4 GPUs, 0.2 s: peak 7 GiB, mean 50 %, p95 97 %, 350 J by counter, 10 samples, 10-point timeline, in both steps"

expected='"observed":{"gpu_energy_basis":"counter","gpu_energy_j":500.0,"gpu_mem_peak_bytes":34359738368,"gpu_sample_interval_s":0.2,"gpu_samples":5,"gpu_util_mean_pct":50.0,"gpu_util_p95_pct":100.0'
for step in 0 batch; do
    obs=$(record "$j3" "$step" | sed 's/"gpu_timeline":{[^}]*},//' | grep -o '"observed":{[^}]*}')
    case "$obs" in
        "$expected"*) ;;
        *) die "step $j3.$step (MI250X, ROCm SMI): got $obs, expected $expected..." ;;
    esac
done
say "fake ROCm SMI, Slurm's GPUs 4-5 by render minor: peak 32 GiB, mean 50 %, p95 100 %, 500 J, 5 samples"

for step in 0 batch; do
    body=$(record "$j2" "$step") || die "no record for $j2.$step"
    grep -o '"observed":{[^}]*}' <<<"$body" | grep -q '"gpu_' && die "step $j2.$step has GPU fields without GPUs: $body"
done
say "no GPUs: no GPU fields"

# Node energy only where the node has counters.
if ! ls /sys/cray/pm_counters/energy /sys/class/powercap/intel-rapl:*/energy_uj >/dev/null 2>&1; then
    grep -q '"node_energy_j"' <<<"$(record "$j1" 0)" && die "node_energy_j without a node counter"
fi
check_schema "$T"/outbox/new/*.rec
grep -q "aifactory_acct: .*error\|plugstack.conf argument" "$CLUSTER_ROOT/log/slurmd.log" &&
    die "the plugin complained: $(grep "aifactory_acct" "$CLUSTER_ROOT/log/slurmd.log" | head -n3)"
say "PASS: measured GPU usage of a real Slurm step equals the scripted timeline"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Submission throughput of a real slurmctld with job_submit/aifactory, versus no job_submit
# plugin and versus job_submit/lua running a comparable check (bench/fixtures/job_submit.lua).
#
# Method: three throwaway clusters (same recipe, same catalogues, same jobs) run side by side,
# one per mode. Batches of held jobs are submitted to each in turn, in rotating order, so all
# three see the same machine noise and the same queue length at every stage. The load comes from
# bench_submit_client (the Slurm API in a loop, with the --llm-* options sbatch would forward in
# spank_job_env), so the controller, not sbatch's start-up, limits the rate. Per mode we report
# jobs/s (wall clock, summed over batches) and slurmctld CPU time per job (/proc, all threads).
# Two workloads: "identical" (the same request again and again: resubmissions, --test-only then
# sbatch, sweeps over settings that do not change memory) and "distinct" (every request differs,
# so job_submit/aifactory computes every answer afresh).
# Targets (aifactory >= 0.97 of no plugin, and above Lua) are checked on the controller's capacity,
# jobs per slurmctld CPU-second: on a shared machine the wall-clock rate moves by 10-30% with
# other load between batches, the CPU cost per job much less. Wall-clock ratios are printed too.
#   bench/bench_submit.sh [JOBS_PER_BATCH] [BATCHES] [PARALLEL_CLIENTS]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${AIF_SRCDIR:=$(cd "$here/.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
export AIF_SRCDIR AIF_BUILDDIR AIFACTORY_DATADIR=$AIF_SRCDIR/etc
# shellcheck source=tests/cluster/lib.sh
source "$AIF_SRCDIR/tests/cluster/lib.sh"

batch=${1:-100} batches=${2:-16} clients=${3:-2}
client=$AIF_BUILDDIR/bench/bench_submit_client
[ "$(id -u)" -eq 0 ] || { echo "bench_submit: needs root (starts Slurm daemons); skipped"; exit 0; }
[ -x "$client" ] || { echo "bench_submit: build $client first (make bench)"; exit 1; }
modes=(none lua aifactory)
declare -A root
# No scheduling pass per submission: each pass walks the whole queue, which would make the cost
# per job depend on arrival timing rather than on the job_submit plugin.
CLUSTER_SCHED_PARAMS=defer,sched_min_interval=5000000,bf_interval=60
CLUSTER_CTLD_DEBUG=info  # a production log level: accepted jobs are not logged one by one

use() { CLUSTER_ROOT=${root[$1]}; export CLUSTER_ROOT SLURM_CONF=$CLUSTER_ROOT/slurm.conf; }
stop_all() {
    local m
    for m in "${modes[@]}"; do [ -n "${root[$m]:-}" ] && { use "$m"; cluster_stop; }; done
}
trap stop_all EXIT

for m in "${modes[@]}"; do
    case $m in
    none) CLUSTER_JOB_SUBMIT= CLUSTER_CONF_FILES= ;;
    lua) CLUSTER_JOB_SUBMIT=lua CLUSTER_CONF_FILES=$AIF_SRCDIR/bench/fixtures/job_submit.lua ;;
    aifactory) CLUSTER_JOB_SUBMIT=aifactory CLUSTER_CONF_FILES= ;;
    esac
    cluster_start >/dev/null 2>&1 || { echo "cluster did not start ($m)" >&2; exit 1; }
    root[$m]=$CLUSTER_ROOT
    # Proof that the mode's check really runs (a real sbatch through the SPANK plugin).
    said=$(sbatch --hold --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 \
        -o /dev/null --wrap true 2>&1)
    case $m in
    lua) grep -q 'lua check: llama3.1-8b fits' <<<"$said" || { echo "lua check did not run: $said" >&2; exit 1; } ;;
    aifactory) grep -q 'aifactory: llama3.1-8b fits' <<<"$said" || { echo "aifactory did not run: $said" >&2; exit 1; } ;;
    none) ! grep -q 'fits' <<<"$said" || { echo "a check ran without a plugin" >&2; exit 1; } ;;
    esac
done

submit_batch() {  # submit_batch N [distinct]: N submissions over $clients API clients; prints failures
    local n=$1 c pids=() failed=0
    for c in $(seq 1 "$clients"); do
        "$client" $((n / clients)) boost_usr_prod ${2:-} >"$CLUSTER_ROOT/client.$c" &
        pids+=($!)
    done
    wait "${pids[@]}"  # not a bare `wait`: the daemons are children of this shell too
    for c in $(seq 1 "$clients"); do failed=$((failed + $(cat "$CLUSTER_ROOT/client.$c"))); done
    echo "$failed"
}
ctld_cpu() {  # slurmctld CPU seconds so far (user + system, all threads, finished ones too)
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$(cat "$CLUSTER_ROOT/pids/slurmctld")/stat"
}

for m in "${modes[@]}"; do use "$m"; submit_batch 100 >/dev/null; done  # warm-up
echo "bench_submit: ${#modes[@]} clusters, $batches batches of $batch held jobs per workload, $clients API clients, $(nproc) CPUs"
total=$((batch * batches))
status=0
for workload in identical distinct; do
    declare -A secs cpu
    for m in "${modes[@]}"; do secs[$m]=0 cpu[$m]=0; done
    for b in $(seq 1 "$batches"); do
        order=("${modes[@]:$((b % 3))}" "${modes[@]:0:$((b % 3))}")  # rotate who goes first
        for m in "${order[@]}"; do
            use "$m"
            c0=$(ctld_cpu) t0=$(date +%s.%N)
            failed=$(submit_batch "$batch" "$([ $workload = distinct ] && echo distinct)")
            t1=$(date +%s.%N) c1=$(ctld_cpu)
            [ "$failed" -eq 0 ] || { echo "$failed submissions failed ($m)" >&2; exit 1; }
            secs[$m]=$(echo "${secs[$m]} + $t1 - $t0" | bc -l)
            cpu[$m]=$(echo "${cpu[$m]} + $c1 - $c0" | bc -l)
        done
    done
    rate() { echo "$total / ${secs[$1]}" | bc -l; }
    echo "workload $workload:"
    for m in "${modes[@]}"; do
        printf '  %-10s %7.1f jobs/s   slurmctld CPU %5.0f usec/job\n' "$m" "$(rate "$m")" \
            "$(echo "${cpu[$m]} * 1000000 / $total" | bc -l)"
    done
    wall_none=$(echo "$(rate aifactory) / $(rate none)" | bc -l)
    wall_lua=$(echo "$(rate aifactory) / $(rate lua)" | bc -l)
    cap_none=$(echo "${cpu[none]} / ${cpu[aifactory]}" | bc -l)
    cap_lua=$(echo "${cpu[lua]} / ${cpu[aifactory]}" | bc -l)
    printf '  aifactory / no plugin: capacity %.3f (target >= 0.97), wall clock %.3f\n' "$cap_none" "$wall_none"
    printf '  aifactory / lua:       capacity %.3f (target > 1),     wall clock %.3f\n' "$cap_lua" "$wall_lua"
    if [ "$(echo "$cap_none >= 0.97 && $cap_lua > 1" | bc -l)" -ne 1 ]; then status=1; fi
    # The plugin's own time per check, measured inside slurmctld, against the baseline's CPU per job.
    use aifactory
    stats=$(grep 'aifactory: [0-9]* checks' "$CLUSTER_ROOT/log/slurmctld.log" | tail -1)
    if [ -n "$stats" ]; then
        echo "  in slurmctld: ${stats#*aifactory: } (cumulative)"
        avg=$(sed -n 's/.* checks, \([0-9.]*\) usec average.*/\1/p' <<<"$stats")
        printf '  => the check is %.1f%% of the baseline controller CPU per job\n' \
            "$(echo "100 * $avg / (${cpu[none]} * 1000000 / $total)" | bc -l)"
    fi
done
for m in "${modes[@]}"; do
    use "$m"
    queued=$(squeue -h -t PD | wc -l)
    [ "$queued" -ge $((2 * total)) ] || { echo "$m: only $queued jobs queued" >&2; exit 1; }
done
[ $status -eq 0 ] && echo "targets met" || echo "targets NOT met"
exit $status

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The training-run ledger across the federation (issue 14), end to end: jobs of one run
# (--llm-run) on two local Slurm clusters with different site names (one after the other: site-a
# on fake-NVML GPUs, so its energy is measured; site-b without, so its energy is estimated from
# TDP), one collector on 127.0.0.1. The run's ledger must sum the jobs' FLOPs, GPU-hours and
# energy exactly; a threshold (collector configuration) shows as crossed on the run's page, and
# after syncing the collector's run summary next to aifactory.conf, in the sbatch message of the
# next job.
. "$AIF_SRCDIR/tests/collector/lib.sh"
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
[ -f "$CLUSTER_LIB" ] || skip "no local-cluster harness ($CLUSTER_LIB)"
need_root "to run slurmd"
for f in aifactory_acct.so job_submit_aifactory.so aifactory.so; do
    [ -f "$B/.libs/$f" ] || skip "plugin not built: $B/.libs/$f"
done
FAKE_NVML=$B/tests/gpu/.libs/libnvidia-ml.so.1
[ -f "$FAKE_NVML" ] || skip "fake NVML not built in $B/tests/gpu (make check builds it)"
. "$CLUSTER_LIB"
trap 'cluster_stop; cleanup' EXIT

printf 'site-a %s\nsite-b %s\n* %s\n' "$TOKEN_A" "$TOKEN_B" "$TOKEN_FED" > "$T/tokens"
RUN=llama8b.ledger-test
start_collector --thresholds 1e30

# Four fake GPUs, 100 mJ a row at 250 W: the counter difference is each step's measured energy.
GiB=1073741824
{
    echo "devices 4"
    for d in 0 1 2 3; do
        for i in 1 2 3 4 5 6 7 8 9 10; do echo "$d $((2 * GiB)) 60 $((1000000 + i * 100000 + d)) 250000"; done
    done
} > "$T/timeline"
export AIF_FAKE_GPU_TIMELINE=$T/timeline

# start_site NAME NAMESPACE SYSTEM [more plugstack words]: a cluster whose records say site NAME,
# its partition boost_usr_prod described as the catalogue's SYSTEM, and its sender.
start_site() {
    local name=$1 ns=$2 system=$3 extra=${4:-}
    mkdir -p "$T/$name/outbox"
    head -c 32 /dev/urandom > "$T/$name/user.key"; head -c 32 /dev/urandom > "$T/$name/prediction.key"
    chmod 600 "$T/$name/user.key" "$T/$name/prediction.key"
    printf 'site = %s\nsite_namespace = %s\nuser_key_file = %s\nprediction_key_file = %s\noutbox = %s\nmin_free_mb = 0\n' \
        "$name" "$ns" "$T/$name/user.key" "$T/$name/prediction.key" "$T/$name/outbox" > "$T/$name/acct.conf"
    local token=$TOKEN_A; [ "$name" = site-b ] && token=$TOKEN_B
    printf '%s\n' "$token" > "$T/$name/token"; chmod 600 "$T/$name/token"
    printf 'url = %s/v1/records\nca_file = %s\ntoken_file = %s\noutbox = %s\npoll_interval = 0.1\nbackoff_min = 0.2\nbackoff_max = 1\nmin_free_mb = 0\n' \
        "$URL" "$T/pki/ca.pem" "$T/$name/token" "$T/$name/outbox" > "$T/$name/sender.conf"
    CLUSTER_JOB_SUBMIT=aifactory
    CLUSTER_SPANK=$B/.libs/aifactory.so
    CLUSTER_PLUGSTACK_EXTRA="optional $B/.libs/aifactory_acct.so config=$T/$name/acct.conf gpu_sample_interval=0.2 $extra"
    CLUSTER_SITE_CONF="DefaultPolicy=enforce
ReloadInterval=1
PartitionName=boost_usr_prod System=$system Policy=enforce Headroom=5%"
    export AIFACTORY_ACCT_CONF=$T/$name/acct.conf
    cluster_start || die "local Slurm for $name did not start"
    "$AIF" sender --config "$T/$name/sender.conf" >> "$T/sender-$name.log" 2>&1 &
    SENDER_PID=$!
    PIDS="$PIDS $SENDER_PID"
}
stop_site() {
    kill "$SENDER_PID" 2>/dev/null || true
    wait "$SENDER_PID" 2>/dev/null || true
    cluster_stop
}
# llm_job SITE [sbatch options]: a run job (8B model on 4 GPUs, an srun step of ~2 s); prints its id.
llm_job() {
    local site=$1; shift
    sbatch --parsable -o "$T/job-%j.out" --mem=100 --gres=gpu:a100:4 -n1 -t 40 --llm-model=llama3.1-8b \
        --llm-layout=tp=4,sp=on --llm-mbs=1 --llm-seq=2048 "$@" --wrap "${WRAP:-srun -n1 --gres=gpu:a100:4 sleep 2}"
}
# message FILE: sbatch's lines joined back into one text (the plugin wraps at 80 columns).
message() { sed 's/^sbatch: *//' "$1" | tr '\n' ' ' | tr -s ' '; }
# wait_job SITE JOB: the job's final report (both steps, decision linked) at the collector, as $T/SITE-JOB.json.
wait_job() {
    local st
    W_SITE=$1 W_JOB=$2
    st=$(cluster_wait_job "$2" 60) || die "job $2 on $1 did not finish ($st)"
    wait_for 30 'api "$TOKEN_FED" GET /v1/jobs/$W_SITE/$CL/$W_JOB; [ "$CODE" = 200 ] &&
        [ "$(jget "$T/out" "len(d[\"steps\"])")" = 2 ] && [ "$(jget "$T/out" "\"submission\" in d")" = True ]' ||
        die "job $2 on $1: report incomplete: $(cat "$T/out")"
    cp "$T/out" "$T/$1-$2.json"
}

say "--llm-run is validated on the client"
start_site site-a 3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f leonardo-booster "nvml_library=$FAKE_NVML"
CL=$(scontrol show config | sed -n 's/^ClusterName *= *//p')
if llm_job site-a --llm-run='bad name;x' > "$T/bad.out" 2>&1; then die "a bad --llm-run was accepted"; fi
message "$T/bad.out" | grep -q -- "--llm-run: 'bad name;x' has ' '" || die "bad --llm-run message: $(cat "$T/bad.out")"

say "site-a: two jobs of run $RUN on fake-NVML GPUs, one of another run"
# The first writes its token count to AIFACTORY_TOKENS_FILE; the second declares --llm-tokens and
# names a symlink there, which the acct plugin (root in slurmstepd) must not follow.
echo 999 > "$T/elsewhere"; ln -s "$T/elsewhere" "$T/a2.tokens"
a1=$(WRAP="srun -n1 --gres=gpu:a100:4 sleep 2; echo 123456789 > \$AIFACTORY_TOKENS_FILE" \
    llm_job site-a --llm-run=$RUN --export=ALL,AIFACTORY_TOKENS_FILE=$T/a1.tokens) || die "job not accepted"
a2=$(llm_job site-a --llm-run=$RUN --llm-tokens=1B --export=ALL,AIFACTORY_TOKENS_FILE=$T/a2.tokens) || die "job not accepted"
a3=$(llm_job site-a) || die "job not accepted"   # default run: account.model
for j in $a1 $a2 $a3; do wait_job site-a "$j"; done
grep -l "\"job_id\":$a1," "$T"/site-a/outbox/*/*.rec | head -n1 | xargs tail -n +2 | grep -q "\"run\":\"$RUN\"" ||
    die "job $a1's records do not carry the run"
stop_site

say "site-b (A100 80GB, 400 W): one job of run $RUN, no GPU measurement (energy estimated from TDP)"
start_site site-b 9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d alps-a100
b1=$(llm_job site-b --llm-run=$RUN) || die "job not accepted"
wait_job site-b "$b1"

say "the ledger of $RUN sums the jobs exactly"
api "$TOKEN_FED" GET "/v1/runs/$RUN"; expect 200 "/v1/runs/$RUN"
cp "$T/out" "$T/ledger.json"
python3 - "$T" "$RUN" "site-a-$a1" "site-a-$a2" "site-b-$b1" <<'PY' || die "the ledger does not sum its jobs"
import json, sys
T, run, names = sys.argv[1], sys.argv[2], sys.argv[3:]
led = json.load(open(f"{T}/ledger.json"))
reps = {n: json.load(open(f"{T}/{n}.json")) for n in names}
assert led["run"] == run and led["jobs_count"] == 3, led
assert led["sites"] == ["site-a", "site-b"], led["sites"]
assert all(p.startswith(("site-a/", "site-b/")) for p in led["partitions"]), led["partitions"]
jobs = {f'{j["site"]}-{j["job_id"]}': j for j in led["jobs"]}
assert sorted(jobs) == sorted(names), (sorted(jobs), names)
flops = gpu_h = energy = 0.0
for n, rep in reps.items():
    j, p = jobs[n], rep["prediction"]
    assert p["run"] == run, p
    # (a) measured GPU-seconds x the calculator's achieved FLOP/s per GPU for this setup.
    rate = p["tokens_per_s"] * p["flops_per_token"] / p["gpus"]
    assert abs(j["flops_gpu_time"] - rep["gpu_seconds"] * rate) <= 1e-9 * j["flops_gpu_time"], (j, rep["gpu_seconds"], rate)
    assert j["flops"] == j["flops_gpu_time"] and j["flops_basis"].startswith("measured GPU-seconds"), j
    reported = [s["tokens_reported"] for s in rep["steps"] if "tokens_reported" in s]
    if n == names[0]:  # (b) from the count the job wrote (read at the batch step's end), beside (a)
        assert reported == [123456789] and j["tokens"] == 123456789 and j["tokens_basis"].startswith("reported"), (reported, j)
        assert abs(j["flops_tokens"] - 123456789 * p["flops_per_token"]) <= 1e-9 * j["flops_tokens"], j
    elif "tokens" in p:  # (b) as declared; the symlinked count file was not read
        assert reported == [] and j["tokens_basis"].startswith("declared"), (reported, j)
        assert abs(j["flops_tokens"] - p["tokens"] * p["flops_per_token"]) <= 1e-9 * j["flops_tokens"], j
    else:
        assert "flops_tokens" not in j, j
    assert abs(j["gpu_hours_used"] - rep["gpu_seconds"] / 3600) < 1e-12, (j, rep["gpu_seconds"])
    srun = [s for s in rep["steps"] if s["step_id"] != "batch"]
    if n.startswith("site-a"):  # measured by the fake NVML counters
        assert j["energy_basis"].startswith("measured"), j
        assert abs(j["energy_j"] - sum(s["gpu_energy_j"] for s in srun)) < 1e-9, (j, srun)
    else:
        assert j["energy_basis"].startswith("estimated: TDP x GPU-hours"), j
        assert abs(j["energy_j"] - rep["gpu_seconds"] * p["tdp_w"]) <= 1e-9 * j["energy_j"], (j, p["tdp_w"])
    flops += j["flops"]; gpu_h += j["gpu_hours_used"]; energy += j["energy_j"]
for got, want, what in ((led["flops"]["total"], flops, "FLOPs"), (led["gpu_hours_used"], gpu_h, "GPU-hours"),
                        (led["energy"]["total_j"], energy, "energy")):
    assert abs(got - want) <= 1e-12 * max(want, 1), (what, got, want)
assert led["energy"]["jobs_measured"] == 2 and led["energy"]["jobs_estimated"] == 1, led["energy"]
assert led["flops"]["jobs_gpu_time"] == 3, led["flops"]
print(f"ledger: {led['flops']['total']:.4g} FLOP, {led['gpu_hours_used']:.6f} GPU-h, {led['energy']['total_j']:.1f} J over 3 jobs on 2 sites")
PY
api "$TOKEN_FED" GET "/v1/runs/$RUN?format=csv"; expect 200 "ledger CSV"
python3 - "$T/out" "$T/ledger.json" <<'PY' || die "CSV differs from the JSON"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
led = json.load(open(sys.argv[2]))
total = rows[-1]
assert total["site"] == "total" and len(rows) == 4, rows
assert float(total["flops"]) == led["flops"]["total"] and float(total["energy_j"]) == led["energy"]["total_j"], total
assert abs(sum(float(r["flops"]) for r in rows[:-1]) - led["flops"]["total"]) <= 1e-12 * led["flops"]["total"]
PY
api "$TOKEN_A" GET "/v1/runs/$RUN"; expect 200 "/v1/runs/$RUN with a site token"
[ "$(jget "$T/out" 'd["sites"]')" = "['site-a']" ] || die "a site token sees another site's jobs: $(cat "$T/out")"
api "$TOKEN_FED" GET /v1/runs; expect 200 /v1/runs
[ "$(jget "$T/out" 'sorted(r["run"] for r in d["runs"])')" = "['$RUN', 'noaccount.llama3.1-8b']" ] ||
    die "/v1/runs: $(cat "$T/out")"
api "$TOKEN_FED" GET "/runs/$RUN"; expect 200 "run page"
grep -q 'class="threshold"' "$T/out" && ! grep -q 'class="crossing"' "$T/out" || die "page before crossing: $(grep -c crossing "$T/out")"

say "a threshold the run has passed, and one the next job will cross (collector configuration)"
read -r TOTAL ADDS <<< "$(python3 -c "import json,sys; l=json.load(open('$T/ledger.json')); p=json.load(open('$T/site-a-$a2.json'))['prediction']; print(l['flops']['total'], 1e9 * p['flops_per_token'])")"
T1=$(python3 -c "print('%.6g' % ($TOTAL / 2))")
T2=$(python3 -c "print('%.6g' % ($TOTAL + $ADDS / 2))")
stop_collector
start_collector --thresholds "$T1,$T2"
api "$TOKEN_FED" GET "/runs/$RUN"; expect 200 "run page"
grep -q 'class="crossing"' "$T/out" && grep -q "crossed by job site-" "$T/out" || die "the page does not show the crossing"
[ "$(grep -c 'class="threshold"' "$T/out")" = 2 ] || die "the page lacks the threshold marks"
printf '%s\n' "$TOKEN_FED" > "$T/fed.token"; chmod 600 "$T/fed.token"
"$AIF" report --run "$RUN" --url "$URL" --token-file "$T/fed.token" --ca-file "$T/pki/ca.pem" > "$T/report.txt" ||
    die "aifactory report --run failed: $(cat "$T/report.txt")"
cat "$T/report.txt"
grep -q "^Training run $RUN" "$T/report.txt" && grep -q "sites: *site-a, site-b" "$T/report.txt" &&
    grep -q "crossed by job site-" "$T/report.txt" ||
    die "report --run: $(cat "$T/report.txt")"

say "sync the run summary next to aifactory.conf (as a site's timer does with curl)"
curl -sSf --cacert "$T/pki/ca.pem" -H "Authorization: Bearer $TOKEN_FED" -o "$T/runs.tmp" "$URL/v1/runs-summary" ||
    die "summary not served"
grep -q "^run $RUN " "$T/runs.tmp" && grep -q "^threshold " "$T/runs.tmp" || die "summary: $(cat "$T/runs.tmp")"
mv "$T/runs.tmp" "$CLUSTER_ROOT/aifactory-runs.txt"
want="run $RUN: .* FLOP so far .*this job adds ~.* -> crosses"
wait_for 20 'sbatch --test-only -p boost_usr_prod --gres=gpu:a100:4 -n1 -t 40 --llm-model=llama3.1-8b --llm-layout=tp=4,sp=on \
    --llm-mbs=1 --llm-seq=2048 --llm-run=$RUN --llm-tokens=1B --wrap true > "$T/dry.err" 2>&1; message "$T/dry.err" | grep -Eq "$want"' ||
    die "job_submit did not pick up the run summary"
b2=$(llm_job site-b --llm-run=$RUN --llm-tokens=1B 2> "$T/sbatch.err") || die "next job not accepted: $(cat "$T/sbatch.err")"
message "$T/sbatch.err" | grep -Eq "$want" || die "the sbatch message lacks the crossing: $(cat "$T/sbatch.err")"
message "$T/sbatch.err"; echo
# Without declared tokens nothing is claimed.
b3=$(llm_job site-b --llm-run=$RUN 2> "$T/sbatch3.err") || die "job not accepted"
grep -q "FLOP so far" "$T/sbatch3.err" && die "a crossing claimed without declared tokens"
stop_site
grep -q "$TOKEN_A\|$TOKEN_B" "$T"/sender-*.log "$T/collector.log" && die "a token appears in a log"
echo "PASS"

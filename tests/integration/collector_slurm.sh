#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end on one machine: a real local Slurm (tests/cluster) with aifactory_acct.so → outbox
# → aifactory sender → aifactory collector → the per-job report and `aifactory report`, whose
# numbers are checked against what Slurm itself says about the jobs (scontrol; sacct as well
# where a slurmdbd answers): GPU-hours charged = GPUs allocated x elapsed, and an LLM job's
# report shows its sbatch decision (linked through the signed prediction).
. "$AIF_SRCDIR/tests/collector/lib.sh"
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
[ -f "$CLUSTER_LIB" ] || skip "no local-cluster harness ($CLUSTER_LIB)"
need_root "to run slurmd"
[ -f "$B/.libs/aifactory_acct.so" ] || die "plugin not built: $B/.libs/aifactory_acct.so"
. "$CLUSTER_LIB"
trap 'cluster_stop; cleanup' EXIT

# A collector for site test-site, and the site's acct.conf and sender.conf (tests/collector/lib.sh).
start_site_collector
# With the sbatch-time check built (job_submit/aifactory + aifactory.so), an LLM job also carries
# its declared setup and the calculator's prediction into the report.
LLM=0
if [ -f "$B/.libs/job_submit_aifactory.so" ] && [ -f "$B/.libs/aifactory.so" ]; then
    LLM=1
    CLUSTER_JOB_SUBMIT=aifactory
    CLUSTER_SPANK=$B/.libs/aifactory.so
else
    CLUSTER_JOB_SUBMIT=''
    CLUSTER_SPANK=''
fi
CLUSTER_PLUGSTACK_EXTRA="optional $B/.libs/aifactory_acct.so config=$T/acct.conf"
export AIFACTORY_ACCT_CONF=$T/acct.conf   # job_submit (slurmctld) records its decisions too
cluster_start || die "local Slurm did not start"
mkdir -p "$T/outbox"
"$AIF" sender --config "$T/sender.conf" >> "$T/sender.log" 2>&1 &
PIDS="$PIDS $!"
CL=$(scontrol show config | sed -n 's/^ClusterName *= *//p')

# A batch step plus one srun step of ~2 s on 2 fake GPUs; the second job fails with exit 3.
run_job() {
    sbatch --parsable -J "$1" -o "$T/job-%j.out" --mem=100 --gres=gpu:a100:2 -n1 \
        --wrap "srun -n1 --gres=gpu:a100:2 sleep 2; exit $2"
}
j1=$(run_job ok 0)
j2=$(run_job bad 3)
for j in $j1 $j2; do cluster_wait_job "$j" 60 >/dev/null || die "job $j did not finish"; done

# tval JOB FIELD: a field of `scontrol show job` (one line, key=value words)
tval() { scontrol -o show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
epoch() { date -u -d "$1" +%s; }

for j in $j1 $j2; do
    say "job $j: waiting for its records at the collector"
    wait_for 30 'api "$TOKEN_A" GET /v1/jobs/test-site/$CL/$j; [ "$CODE" = 200 ] &&
        [ "$(jget "$T/out" "len(d[\"steps\"])")" = 2 ] && [ "$(jget "$T/out" "d[\"outcome\"].get(\"state\")")" != RUNNING ] &&
        [ -n "$(jget "$T/out" "d.get(\"partition\", \"\")")" ]' ||
        die "job $j: report incomplete: $(cat "$T/out")"
    cp "$T/out" "$T/rep$j.json"
    state=$(tval "$j" JobState) exitc=$(tval "$j" ExitCode) nodes=$(tval "$j" NodeList) part=$(tval "$j" Partition)
    start=$(epoch "$(tval "$j" StartTime)") end=$(epoch "$(tval "$j" EndTime)")
    say "slurm says: $state exit $exitc on $nodes, partition $part, $((end - start)) s"
    python3 - "$T/rep$j.json" "$state" "${exitc%%:*}" "$nodes" "$part" "$start" "$end" <<'PY' || die "job $j: report differs from Slurm"
import json, sys
rep = json.load(open(sys.argv[1]))
state, exitc, nodes, part, start, end = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
out, steps = rep["outcome"], {s["step_id"]: s for s in rep["steps"]}
assert out["state"] == state, (out["state"], state)
assert out["exit_code"] == exitc, (out["exit_code"], exitc)
assert rep["node_list"] == [nodes], (rep["node_list"], nodes)
assert rep["partition"] == part, (rep["partition"], part)
assert sorted(steps) == ["0", "batch"], sorted(steps)
for s in steps.values():
    assert s["gpus"] == 2, s
# The batch step spans the job: its wall time is Slurm's Start..End within the 1 s resolution.
b = steps["batch"]
assert abs(b["elapsed_s"] - (end - start)) <= 1.5, (b["elapsed_s"], end - start)
assert abs(b["gpu_seconds"] - 2 * b["elapsed_s"]) < 0.01, b
# The srun step slept 2 s inside the job; GPU-hours count it (2 GPUs), not the batch step too.
s0 = steps["0"]
assert 2.0 <= s0["elapsed_s"] <= end - start + 1, (s0["elapsed_s"], end - start)
assert abs(rep["gpu_seconds"] - s0["gpu_seconds"]) < 0.01, (rep["gpu_seconds"], s0["gpu_seconds"])
assert abs(rep["gpu_hours"] - round(s0["gpu_seconds"] / 3600, 4)) < 1e-9
assert rep["gpu_seconds"] <= 2 * (end - start + 1), "more GPU time than Slurm allocated"
# Charged as sacct bills it: the job's 2 allocated GPUs x its elapsed time, whatever the steps used.
u = rep["usage"]
assert u["gpus_allocated"] == 2, u
assert abs(u["gpu_hours_charged"] - 2 * (end - start) / 3600) <= 2 * 1.5 / 3600, (u, end - start)
assert u["gpu_hours_charged"] >= rep["gpu_hours"], u
assert u["cpu_efficiency_pct"] is not None and 0 <= u["cpu_efficiency_pct"] <= 100, u
assert u["mem_efficiency_pct"] is not None and 0 < u["mem_efficiency_pct"] <= 100, u
for k in ("gpu_util_mean_pct", "gpu_energy_kwh", "node_energy_kwh", "queue_wait_s", "time_limit_s"):
    assert u[k] is None, (k, u)  # not measured / no decision here: n/a, never 0
assert "submission" not in rep, rep.get("submission")
print(f"report matches Slurm: {out['state']} exit {out['exit_code']}, step 0 {s0['elapsed_s']} s x 2 GPUs, "
      f"charged {u['gpu_hours_charged']} GPU-hours")
PY
done

if sacct -n -P -j "$j1" -o JobID,ElapsedRaw,AllocTRES > "$T/sacct.txt" 2>/dev/null && [ -s "$T/sacct.txt" ]; then
    say "sacct: $(tr '\n' ' ' < "$T/sacct.txt")"
    python3 - "$T/rep$j1.json" "$T/sacct.txt" <<'PY' || die "report differs from sacct"
import json, sys
rep = json.load(open(sys.argv[1]))
steps = {s["step_id"]: s for s in rep["steps"]}
for line in open(sys.argv[2]):
    jid, elapsed, tres = line.strip().split("|")
    sid = jid.split(".")[1] if "." in jid else None
    if sid in steps:
        assert abs(steps[sid]["elapsed_s"] - int(elapsed)) <= 1.5, (sid, steps[sid]["elapsed_s"], elapsed)
PY
else
    say "(sacct has no data: no slurmdbd in this test cluster; scontrol is the reference)"
fi

if [ "$LLM" = 1 ]; then
    say "an LLM job checked at sbatch time: setup and prediction in the report"
    j3=$(sbatch --parsable -o "$T/job-%j.out" --mem=100 --gres=gpu:a100:4 -n1 -t 40 --llm-model=llama3.1-8b \
        --llm-layout=tp=4,sp=on --llm-mbs=1 --llm-seq=2048 --wrap "srun -n1 true") || die "LLM job not accepted"
    cluster_wait_job "$j3" 60 >/dev/null || die "job $j3 did not finish"
    wait_for 30 'api "$TOKEN_A" GET /v1/jobs/test-site/$CL/$j3; [ "$CODE" = 200 ] &&
        [ "$(jget "$T/out" "len(d[\"steps\"])")" = 2 ] && [ "$(jget "$T/out" "\"submission\" in d")" = True ]' ||
        die "job $j3: report incomplete or without its sbatch decision: $(cat "$T/out")"
    submit=$(epoch "$(tval "$j3" SubmitTime)") start=$(epoch "$(tval "$j3" StartTime)")
    python3 - "$T/out" "$submit" "$start" <<'PY' || die "LLM job $j3: prediction, setup or decision missing from the report"
import json, sys
rep = json.load(open(sys.argv[1]))
submit, start = int(sys.argv[2]), int(sys.argv[3])
p, t, sub, u = rep["prediction"], rep["training"], rep["submission"], rep["usage"]
assert 0 < p["gib_per_gpu"] < p["capacity_gib"], p
assert p["verdict"] in ("fits", "may-not-fit"), p
assert "llama3.1-8b" in json.dumps(t), t
# What sbatch said, linked by the decision id the signed prediction carries.
assert sub["decision"] in ("accepted", "warned"), sub
assert sub["record_id"] == p["decision_id"], (sub, p)
assert sub["time_limit_s"] == 2400 and u["time_limit_s"] == 2400, (sub, u)
assert abs(u["queue_wait_s"] - (start - submit)) <= 2, (u["queue_wait_s"], start - submit)
assert u["gpus_allocated"] == 4, u
# Nothing measured the GPUs here: measured-against-predicted is n/a, never 0 or "below".
assert u["gpu_mem_measured_over_predicted"] is None and u["gpu_mem_vs_band"] is None, u
if "gib_lo" in p:
    assert p["gib_lo"] <= p["gib_per_gpu"] <= p["gib_hi"], p
print(f"prediction {p['gib_per_gpu']} of {p['capacity_gib']} GiB per GPU, verdict {p['verdict']}; "
      f"sbatch: {sub['decision']}; queue wait {u['queue_wait_s']} s")
PY
    $AIF report "$j3" --site test-site --cluster "$CL" --url "$URL" --token-file "$T/site.token" \
        --ca-file "$T/pki/ca.pem" > "$T/r3.txt" || die "report of the LLM job failed"
    grep -q "^Predicted: .* GiB per GPU of .* GiB" "$T/r3.txt" || die "text report lacks the prediction: $(cat "$T/r3.txt")"
    grep -Eq "^Submission: +(accepted|warned)" "$T/r3.txt" || die "text report lacks the sbatch decision: $(cat "$T/r3.txt")"
    grep -Eq "^Charged: +[0-9.]+ \(4 GPUs allocated x " "$T/r3.txt" || die "text report lacks GPU-hours charged: $(cat "$T/r3.txt")"
    # The same from the local outbox alone (job_submit and the nodes share it on this test cluster).
    $AIF report "$j3" --site test-site --cluster "$CL" --outbox "$T/outbox" --offline > "$T/r3o.txt" 2>&1 ||
        die "outbox report of the LLM job failed: $(cat "$T/r3o.txt")"
    grep -Eq "^Submission: +(accepted|warned)" "$T/r3o.txt" || die "outbox report lacks the sbatch decision: $(cat "$T/r3o.txt")"
fi

say "aifactory report in a terminal, against the collector"
R="$AIF report $j2 --site test-site --cluster $CL --url $URL --token-file $T/site.token --ca-file $T/pki/ca.pem --outbox $T/outbox"
$R > "$T/r.txt" || die "aifactory report failed"
cat "$T/r.txt"
grep -q "^Outcome: *FAILED, exit code 3" "$T/r.txt" || die "text report lacks the failure"
$R --json > "$T/r.json"
python3 -c "import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); assert a==b" "$T/r.json" "$T/rep$j2.json" ||
    die "report --json differs from the API"
say "federation overview and Prometheus metrics, scraped with curl"
part=$(tval "$j1" Partition)
api "$TOKEN_A" GET /metrics; expect 200 "/metrics"
cp "$T/out" "$T/metrics.txt"
api "" GET /metrics; expect 401 "/metrics without a token"
api "$TOKEN_A" GET "/v1/overview?group=partition&partition=$part"; expect 200 "/v1/overview"
cp "$T/out" "$T/overview.json"
api "$TOKEN_A" GET "/v1/overview?group=account&format=csv"; expect 200 "/v1/overview CSV"
cp "$T/out" "$T/overview.csv"
api "$TOKEN_A" GET "/overview?partition=$part"; expect 200 "/overview page"
grep -q 'id="by-partition"' "$T/out" && grep -q 'id="by-user"' "$T/out" || die "overview page lacks its tables"
python3 - "$T/metrics.txt" "$T/overview.json" "$T/overview.csv" "$part" "$LLM" $j1 $j2 ${j3:-} <<'PY' ||
import json, re, sys
metrics, overview, csv, part, llm = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), open(sys.argv[3], newline="").read(), sys.argv[4], sys.argv[5] == "1"
reps = [json.load(open(f"{sys.argv[1].rsplit('/', 1)[0]}/rep{j}.json")) for j in sys.argv[6:8]]
samples = {}
for line in metrics.splitlines():
    if line.startswith("#"):
        assert re.match(r"^# (HELP|TYPE) aifactory_[a-z_]+ ", line), line
        continue
    m = re.match(r'^(aifactory_[a-z_]+)\{([^}]*)\} ([0-9.]+)$', line)
    assert m, f"not Prometheus text: {line!r}"
    samples[(m.group(1), m.group(2))] = float(m.group(3))
key = f'site="test-site",partition="{part}"'
jobs = samples[("aifactory_partition_jobs", key)]
assert jobs == (3 if llm else 2), (jobs, llm)
hours = samples[("aifactory_partition_gpu_hours", key)]
used = sum(r["gpu_hours"] for r in reps)  # the LLM job adds its own; the two plain ones at least
assert hours >= used - 1e-3, (hours, used)
# Nothing measured GPU energy or utilisation here: absent (n/a), never 0.
assert not any(k[0].endswith(("_energy_kwh", "_utilisation_mean_pct")) for k in samples), "a measurement appeared from nowhere"
if llm:  # sbatch gave no partition: the decision counts under the default one, where the job ran
    assert samples[("aifactory_partition_submissions", key + ',decision="accepted"')] >= 1, samples
row = [i for i in overview["items"] if i["partition"] == part]
assert len(row) == 1 and row[0]["jobs"] == jobs and abs(row[0]["gpu_hours"] - hours) < 1e-6, (row, hours)
assert row[0]["gpu_energy_kwh"] is None and row[0]["gpu_util_mean_pct"] is None, row
assert csv.startswith("site,account,jobs,gpu_hours,gpu_energy_kwh,node_energy_kwh,gpu_util_mean_pct,accepted,warned,rejected\r\n"), csv
assert ",n/a,n/a,n/a," in csv, csv
print(f"metrics: partition {part}: {int(jobs)} jobs, {hours} GPU-hours; overview and CSV agree")
PY
    die "metrics or overview differ from the job reports"

grep -q "$TOKEN_A" "$T/sender.log" "$T/collector.log" && die "a token appears in a log"
echo "PASS"

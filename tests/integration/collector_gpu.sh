#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 13's loop closed on one machine: a real Slurm job with --llm-* options runs on four
# fake-NVML GPUs (the fake libnvidia-ml.so.1 of tests/gpu, loaded by aifactory_acct.so through the
# real dlopen path in slurmstepd); its records go through the real sender to a real collector on
# 127.0.0.1. The collector's job report (JSON, `aifactory report` text, HTML page) must show the
# scripted peak next to the prediction and its band, the scripted utilisation, energy and timeline,
# GPU-hours charged = 4 GPUs x Slurm's elapsed time, and the job's sbatch decision. With Chromium
# installed, the job page and the overview render headless without console errors (screenshots in
# $AIF_BUILDDIR/test-artefacts/collector/).
. "$AIF_SRCDIR/tests/collector/lib.sh"
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
[ -f "$CLUSTER_LIB" ] || skip "no local-cluster harness ($CLUSTER_LIB)"
need_root "to run slurmd"
for f in aifactory_acct.so job_submit_aifactory.so aifactory.so; do
    [ -f "$B/.libs/$f" ] || skip "$f not built (the --llm-* options need the sbatch-time check)"
done
FAKE_NVML=$B/tests/gpu/.libs/libnvidia-ml.so.1
[ -f "$FAKE_NVML" ] || die "fake NVML not built in $B/tests/gpu (make check builds it)"
. "$CLUSTER_LIB"
trap 'cluster_stop; cleanup' EXIT

GiB=1073741824
# Four GPUs (the job's a100:4 are Slurm's GPUs 0-3), five rows each, read every 0.2 s.
#   memory: max over GPUs per row 4, 11, 22, 13, 4 GiB (peak 22 GiB, on GPU 1)
#   utilisation: every GPU 0, 100, 100, 100, 50: mean 70 %, per row the same
#   energy: each GPU's counter +100 kJ: 400 kJ = 0.111111 kWh per step
{
    echo "devices 4"
    for d in 0 1 2 3; do
        set -- "4 10 20 12 4" "4 11 22 13 4" "4 9 21 12 4" "4 10 19 11 4"
        shift "$d"
        i=0
        for mem in $1; do
            util=$(echo "0 100 100 100 50" | cut -d' ' -f$((i + 1)))
            echo "$d $((mem * GiB)) $util $((1000000 + i * 25000000)) 300000"
            i=$((i + 1))
        done
    done
} > "$T/timeline"
export AIF_FAKE_GPU_TIMELINE=$T/timeline  # slurmstepd inherits slurmd's environment

# A collector for site test-site, and the site's acct.conf and sender.conf (tests/collector/lib.sh).
start_site_collector
CLUSTER_JOB_SUBMIT=aifactory
CLUSTER_SPANK=$B/.libs/aifactory.so
CLUSTER_PLUGSTACK_EXTRA="optional $B/.libs/aifactory_acct.so config=$T/acct.conf gpu_sample_interval=0.2 nvml_library=$FAKE_NVML"
export AIFACTORY_ACCT_CONF=$T/acct.conf   # job_submit (slurmctld) records its decision
cluster_start || die "local Slurm did not start"
mkdir -p "$T/outbox"
"$AIF" sender --config "$T/sender.conf" >> "$T/sender.log" 2>&1 &
PIDS="$PIDS $!"
CL=$(scontrol show config | sed -n 's/^ClusterName *= *//p')
tval() { scontrol -o show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1; }
epoch() { date -u -d "$1" +%s; }

j=$(sbatch --parsable -o "$T/job-%j.out" --mem=100 --gres=gpu:a100:4 -n1 -t 40 --llm-model=llama3.1-8b \
    --llm-layout=tp=4,sp=on --llm-mbs=1 --llm-seq=2048 --wrap "srun -n1 sleep 2") || die "LLM job not accepted"
st=$(cluster_wait_job "$j" 60) || die "job $j did not finish ($st)"
wait_for 30 'api "$TOKEN_A" GET /v1/jobs/test-site/$CL/$j; [ "$CODE" = 200 ] &&
    [ "$(jget "$T/out" "len(d[\"steps\"])")" = 2 ] && [ "$(jget "$T/out" "\"submission\" in d")" = True ]' ||
    die "job $j: report incomplete or without its sbatch decision: $(cat "$T/out")"
cp "$T/out" "$T/rep.json"
start=$(epoch "$(tval "$j" StartTime)") end=$(epoch "$(tval "$j" EndTime)")
say "slurm says: job $j $(tval "$j" JobState), $((end - start)) s on $(tval "$j" NodeList)"
python3 - "$T/rep.json" "$start" "$end" <<'PY' || die "job $j: the report differs from the script or from Slurm"
import json, sys
rep, start, end = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
GiB = 1 << 30
steps = {s["step_id"]: s for s in rep["steps"]}
assert sorted(steps) == ["0", "batch"], sorted(steps)
for sid, s in steps.items():  # each slurmstepd sampled the whole script
    assert s["gpu_mem_peak_bytes"] == 22 * GiB, (sid, s)
    assert s["gpu_util_mean_pct"] == 70.0 and s["gpu_energy_j"] == 400000.0, (sid, s)
    tl = s["gpu_timeline"]
    assert tl["gpu_mem_max_bytes"] == [g * GiB for g in (4, 11, 22, 13, 4)], (sid, tl)
    assert tl["gpu_util_mean_pct"] == [0.0, 100.0, 100.0, 100.0, 50.0], (sid, tl)
    assert tl["t_s"][0] == 0 and tl["t_s"] == sorted(tl["t_s"]) and tl["t_s"][-1] >= 0.6, (sid, tl)
p, u, sub = rep["prediction"], rep["usage"], rep["submission"]
assert rep["observed"]["gpu_mem_peak_gib"] == 22.0, rep["observed"]
assert 0 < p["gib_per_gpu"] < p["capacity_gib"] and p["gib_lo"] <= p["gib_per_gpu"] <= p["gib_hi"], p
assert u["gpu_mem_measured_over_predicted"] == round(22.0 / p["gib_per_gpu"], 3), (u, p)
band = "below" if 22.0 < p["gib_lo"] else "above" if 22.0 > p["gib_hi"] else "within"
assert u["gpu_mem_vs_band"] == band, (u, p)
assert u["gpu_util_mean_pct"] == 70.0 and u["gpu_energy_kwh"] == 0.111111, u
# Charged as sacct bills it: 4 allocated GPUs x the job's elapsed time (1 s resolution).
assert u["gpus_allocated"] == 4, u
assert abs(u["gpu_hours_charged"] - 4 * (end - start) / 3600) <= 4 * 1.5 / 3600, (u, end - start)
assert sub["decision"] in ("accepted", "warned") and sub["record_id"] == p["decision_id"], (sub, p)
print(f"measured 22.0 GiB vs predicted {p['gib_per_gpu']} GiB per GPU (band {p['gib_lo']}-{p['gib_hi']}: {band}), "
      f"util 70 %, 0.111111 kWh, charged {u['gpu_hours_charged']} GPU-hours, sbatch {sub['decision']}")
PY

say "aifactory report in a terminal"
$AIF report "$j" --site test-site --cluster "$CL" --url "$URL" --token-file "$T/site.token" \
    --ca-file "$T/pki/ca.pem" > "$T/r.txt" || die "aifactory report failed"
cat "$T/r.txt"
# Lines wrap at 80 columns: compare with the whitespace squeezed.
python3 - "$T/r.txt" <<'PY' || die "text report lacks measured next to predicted, utilisation, energy, charge, decision or timeline"
import re, sys
t = re.sub(r"\s+", " ", open(sys.argv[1]).read())
for pat in (r"GPU memory: predicted [0-9.]+ GiB \(band [0-9.]+ GiB to [0-9.]+ GiB\), measured 22\.0 GiB",
            r"GPU use: utilisation 70\.0 %, GPU energy 0\.111 kWh",
            r"Submission: (accepted|warned)", r"Charged: [0-9.]+ \(4 GPUs allocated x ",
            "memory \u2582\u2585\u2588\u2585\u2582 max 22\\.0 GiB", "util \u2581\u2588\u2588\u2588\u2585 of 100 %"):
    assert re.search(pat, t), pat
PY

say "HTML job page"
curl -sS --cacert "$T/pki/ca.pem" -u "test-site:$TOKEN_A" -o "$T/job.html" "$URL/jobs/test-site/$CL/$j"
grep -q 'id="obs-peak-gib">22.00<' "$T/job.html" && grep -q '<svg class="gpu-timeline"' "$T/job.html" &&
    grep -q 'class="pred-band"' "$T/job.html" && grep -q 'id="gpu-energy">0.111<' "$T/job.html" ||
    die "job page lacks the measured peak, the GPU timeline or the energy"
curl -sS --cacert "$T/pki/ca.pem" -u "x:$TOKEN_FED" -o "$T/overview.html" "$URL/overview"
grep -q 'id="by-partition"' "$T/overview.html" || die "overview page lacks its tables"

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
    ART=$B/test-artefacts/collector
    mkdir -p "$ART"
    chrome() {  # console messages go to the log (--enable-logging), checked below
        timeout 60 "$CHROME" --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions \
            --user-data-dir="$T/profile" --hide-scrollbars --window-size=1000,1800 \
            --enable-logging=stderr --v=0 "$@" 2>>"$T/chrome.log"
    }
    for page in job overview; do
        chrome --dump-dom "file://$T/$page.html" > "$T/$page.dom.html" || die "chromium failed on the $page page"
        chrome --screenshot="$ART/gpu-$page.png" "file://$T/$page.html" >/dev/null || die "$page screenshot failed"
    done
    grep -q 'id="gpu-timeline-0"' "$T/job.dom.html" || die "the rendered job page lacks the GPU timeline"
    grep -q 'CONSOLE' "$T/chrome.log" && die "console messages: $(grep CONSOLE "$T/chrome.log" | head -n3)"
    say "rendered in Chromium without console messages: $ART/gpu-job.png $ART/gpu-overview.png"
else
    say "(chromium not installed: pages checked as served, not rendered)"
fi
grep -q "$TOKEN_A" "$T/sender.log" "$T/collector.log" && die "a token appears in a log"
echo "PASS"

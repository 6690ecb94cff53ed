#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `aifactory calibrate` against a real collector on 127.0.0.1: synthetic jobs whose measured
# peaks follow another formula (activations 0.8x, overhead +2 GiB) are posted over HTTPS; the
# overview shows the calculator's accuracy; calibrate (over HTTPS and on the collector's
# database, with the same result) cuts the
# held-out error, refuses the profile with too few jobs, writes nothing when every group is
# refused; `fit` applies the written site model (--site-model and aifactory.conf SiteModel=).
. "$AIF_SRCDIR/tests/collector/lib.sh"
GEN="python3 $S/tests/collector/calibration_records.py"
export AIFACTORY_DATADIR=$S/etc
start_collector

say "the overview says n/a before any measured job"
api "$TOKEN_A" GET /overview; expect 200 "overview"
grep -q "n/a: no job has both a prediction and a measured peak" "$T/out" || die "no n/a accuracy row"

say "160 torchtitan jobs and 12 megatron jobs over HTTPS"
$GEN siteA torchtitan@2025.06 1000 160 > "$T/tt.json"
$GEN siteA megatron@core_r0.12 5000 12 > "$T/mega.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/tt.json"; expect 200 "torchtitan jobs"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/mega.json"; expect 200 "megatron jobs"

say "the overview's calculator accuracy per profile and month"
api "$TOKEN_A" GET /v1/aggregates/accuracy; expect 200 "accuracy JSON"
[ "$(jget "$T/out" '[r["jobs"] for r in d["items"] if r["profile"] == "torchtitan@2025.06" and r["month"] is None][0]')" = 160 ] ||
    die "accuracy: $(cat "$T/out")"
[ "$(jget "$T/out" '[r["month"] for r in d["items"] if r["month"]][0]')" = 2026-08 ] || die "no per-month row"
ratio=$(jget "$T/out" '[r["measured_over_predicted_median"] for r in d["items"] if r["month"] is None][0]')
python3 -c "import sys; r=float(sys.argv[1]); sys.exit(0 if 0.9 < r < 1.1 else 1)" "$ratio" || die "median ratio $ratio"
api "$TOKEN_A" GET /overview; expect 200 "overview"
grep -q "<h2>Calculator accuracy</h2>" "$T/out" || die "overview without the accuracy table"
grep -q "<td>torchtitan@2025.06</td><td>all</td><td class=\"n\">160</td>" "$T/out" || die "no torchtitan row"

say "calibrate --collector over HTTPS reads the same pairs"
printf '%s\n' "$TOKEN_A" > "$T/token"; chmod 600 "$T/token"
"$AIF" calibrate --collector "$URL" --token-file "$T/token" --ca-file "$T/pki/ca.pem" --out "$T/via-http.json" > "$T/http.out" ||
    die "calibrate --collector failed: $(cat "$T/http.out")"
grep -q "^172 completed jobs" "$T/http.out" || die "collector pairs: $(cat "$T/http.out")"
printf '%s\n' "$TOKEN_B" > "$T/token_b"
rc=0; "$AIF" calibrate --collector "$URL" --token-file "$T/token_b" --ca-file "$T/pki/ca.pem" > "$T/b.out" || rc=$?
[ "$rc" = 1 ] && grep -q "^0 completed jobs" "$T/b.out" || die "another site's token saw siteA's jobs (exit $rc)"
stop_collector

say "calibrate: fitted on 3 jobs in 4, judged on the rest; 12 jobs refused"
"$AIF" calibrate --db "$T/collector.db" --out "$T/site-model.json" > "$T/cal.out" || die "calibrate failed: $(cat "$T/cal.out")"
cat "$T/cal.out"
grep -q "^megatron@core_r0.12 on nvidia-h100-sxm5-80gb: 12 jobs" "$T/cal.out" || die "no megatron group"
grep -q "refused: 12 jobs, needs at least 30 (--min-jobs); not calibrated" "$T/cal.out" || die "small group not refused"
jget "$T/site-model.json" 'd["schema"]' | grep -qx "aifactory-site-model/1" || die "schema"
[ "$(jget "$T/site-model.json" 'len(d["corrections"])')" = 1 ] || die "expected one correction"
jget "$T/site-model.json" 'd["corrections"][0]' > "$T/c.txt"
python3 - "$T/site-model.json" <<'PY' || die "held-out error did not drop: $(cat "$T/c.txt")"
import json, sys
c = json.load(open(sys.argv[1]))["corrections"][0]
h = c["held_out"]
print(f"activations x{c['activations']} overhead x{c['overhead']} from {c['jobs']} jobs; held-out {h['jobs']}: "
      f"median {h['median_before']:.4f} -> {h['median_after']:.4f}, p90 {h['p90_before']:.4f} -> {h['p90_after']:.4f}")
assert c["profile"] == "torchtitan@2025.06" and c["activations"] < 0.95 and c["overhead"] > 1.1
assert h["median_after"] < h["median_before"] / 2 and h["p90_after"] < h["p90_before"] / 2
PY

cmp "$T/site-model.json" "$T/via-http.json" || die "--collector and --db wrote different site models"

say "every group under --min-jobs: exit 1, nothing written"
rc=0; "$AIF" calibrate --db "$T/collector.db" --min-jobs 500 --out "$T/none.json" > "$T/none.out" || rc=$?
[ "$rc" = 1 ] || die "calibrate with --min-jobs 500: exit $rc"
grep -q "160 jobs, needs at least 500" "$T/none.out" || die "refusal does not give the count"
[ ! -e "$T/none.json" ] || die "a site model was written from too few jobs"
rc=0; "$AIF" calibrate 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && grep -q "give --collector URL --token-file F, --db FILE" "$T/err" || die "no source: exit $rc"

say "fit applies the site model (option and aifactory.conf SiteModel=)"
FIT="fit --model llama3.1-8b --gpu nvidia-h100-sxm5-80gb --gpus 8 --framework torchtitan@2025.06"
"$AIF" $FIT --site-model "$T/site-model.json" > "$T/fit.out"
grep -q "site-calibrated: activations x0\.[0-9][0-9], overhead x1\.[0-9][0-9] from 1[0-9][0-9] jobs" "$T/fit.out" ||
    die "fit does not say it was calibrated: $(cat "$T/fit.out")"
printf 'SiteModel=site-model.json\n' > "$T/aifactory.conf"
AIFACTORY_CONF=$T/aifactory.conf "$AIF" $FIT --json > "$T/fit.json"
[ "$(jget "$T/fit.json" 'd["site_calibration"]["jobs"] >= 100')" = True ] || die "no site_calibration in --json"
"$AIF" $FIT --json > "$T/plain.json"
python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); \
sys.exit(0 if a['per_gpu_bytes']['activations'] < b['per_gpu_bytes']['activations'] and 'site_calibration' not in b else 1)" \
    "$T/fit.json" "$T/plain.json" || die "calibrated activations not below the plain ones"
"$AIF" fit --model llama3.1-8b --gpu nvidia-h100-sxm5-80gb --gpus 8 --framework megatron --site-model "$T/site-model.json" |
    grep -q "site-calibrated" && die "a torchtitan correction applied to megatron"
say "ok"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The real chain without Slurm: records written through the real producer API into an outbox,
# delivered by the real `aifactory sender` to a real collector; then `aifactory report` reads
# them back from the collector and, with the collector down, from the outbox.
. "$AIF_SRCDIR/tests/collector/lib.sh"
PRODUCE=$B/tests/endpoint/acct_produce
[ -x "$PRODUCE" ] || die "build first ($PRODUCE: make check builds it)"
printf 'test-site %s\n* %s\n' "$TOKEN_A" "$TOKEN_FED" > "$T/tokens"
printf '%s\n' "$TOKEN_A" > "$T/site.token"; chmod 600 "$T/site.token"
start_collector

say "200 records through the producer API (160 step ends, 20 job ends, 20 submit decisions)"
"$PRODUCE" "$T/outbox" 200 5000 > "$T/produced.ids"
[ "$(wc -l < "$T/produced.ids")" = 200 ] || die "producer wrote $(wc -l < "$T/produced.ids") records"
# One record the sender passes on but the collector refuses (a field the schema lacks).
python3 - "$T/outbox/new" <<'PY'
import json, sys, zlib
rec = {"schema": "aifactory.acct/1", "record_id": "0e4b1f8a-3c2d-5e6f-8a9b-0c1d2e3f4a5b", "kind": "job_end",
       "component": "end/node01/1", "site": "test-site", "cluster": "testcluster", "created": "2026-08-20T08:00:00Z",
       "job_id": 1, "node": "node01", "end_time": "2026-08-20T08:00:00Z", "gpu_util": 0.93}
body = json.dumps(rec, sort_keys=True, separators=(",", ":")).encode()
with open(sys.argv[1] + "/0000000000000001-poison.rec", "wb") as f:
    f.write(b"AIFR1 %d %08x\n" % (len(body), zlib.crc32(body)) + body + b"\n")
# A record of another site: refused alone (422); it must not pause the sender as a bad token would.
rec.pop("gpu_util")
rec.update(site="other-site", record_id="1e4b1f8a-3c2d-5e6f-8a9b-0c1d2e3f4a5b")
body = json.dumps(rec, sort_keys=True, separators=(",", ":")).encode()
with open(sys.argv[1] + "/0000000000000002-othersite.rec", "wb") as f:
    f.write(b"AIFR1 %d %08x\n" % (len(body), zlib.crc32(body)) + body + b"\n")
PY
cat > "$T/sender.conf" <<CONF
url = $URL/v1/records
ca_file = $T/pki/ca.pem
token_file = $T/site.token
outbox = $T/outbox
batch_records = 50
poll_interval = 0.1
backoff_min = 0.2
backoff_max = 1
min_free_mb = 0
CONF

say "sender --once delivers everything; the poison record alone is dead-lettered"
"$AIF" sender --config "$T/sender.conf" --once > "$T/sender.log" 2>&1 || die "sender failed: $(tail -5 "$T/sender.log")"
[ "$(ls "$T/outbox/new" | wc -l)" = 0 ] || die "records left in new/"
[ "$(ls "$T/outbox/sent" | wc -l)" = 200 ] || die "$(ls "$T/outbox/sent" | wc -l) records in sent/, expected 200"
ls "$T/outbox/dead" | grep -q poison || die "poison record not dead-lettered"
ls "$T/outbox/dead" | grep -q othersite || die "another site's record not dead-lettered"
grep -h "HTTP 422.*does not match the token's site" "$T/outbox/dead/"*othersite*.reason >/dev/null ||
    die "another site's record: no 422 reason: $(cat "$T/outbox/dead/"*othersite*.reason)"
grep -h "gpu_util: is not a field" "$T/outbox/dead/"*.reason >/dev/null || die "dead letter lacks the collector's reason"
grep -q "$TOKEN_A" "$T/collector.log" "$T/sender.log" && die "a token appears in a log"

say "the collector holds exactly the produced records"
api "$TOKEN_FED" GET "/v1/jobs?limit=10000"; expect 200 "listing"
[ "$(jget "$T/out" 'd["count"]')" = 180 ] || die "$(jget "$T/out" 'd["count"]') jobs listed, expected 180"
[ "$(jget "$T/out" 'sum(j["records"] for j in d["items"])')" = 180 ] || die "job records"
api "$TOKEN_FED" GET /v1/aggregates/rejections; expect 200 "rejections"
[ "$(jget "$T/out" 'sum(i["count"] for i in d["items"])')" = 10 ] || die "rejections: $(cat "$T/out")"
api "$TOKEN_FED" GET /v1/aggregates/gpu-hours; expect 200 "gpu-hours"
[ "$(jget "$T/out" 'round(sum(i["gpu_hours"] for i in d["items"]), 3)')" = 10.667 ] || die "gpu-hours: $(cat "$T/out")"

say "re-delivery of everything (sent/ back to new/) is acknowledged and changes nothing"
mv "$T/outbox/sent/"*.rec "$T/outbox/new/"
"$AIF" sender --config "$T/sender.conf" --once >> "$T/sender.log" 2>&1 || die "second sender run failed"
[ "$(ls "$T/outbox/new" | wc -l)" = 0 ] || die "re-delivered records not acknowledged"
[ "$(grep -c ' 409 ' "$T/collector.log")" -ge 4 ] || die "expected 409 replies for the repeats"
api "$TOKEN_FED" GET "/v1/aggregates/gpu-hours"; expect 200 "gpu-hours after repeat"
[ "$(jget "$T/out" 'round(sum(i["gpu_hours"] for i in d["items"]), 3)')" = 10.667 ] || die "double counted"

say "aifactory report from the collector, then from the outbox with the collector down"
R="$AIF report 5000 --site test-site --cluster testcluster --url $URL --token-file $T/site.token --ca-file $T/pki/ca.pem --outbox $T/outbox"
$R --json > "$T/r.json" || die "report --json failed"
[ "$(jget "$T/r.json" 'd["gpu_hours"]')" = 0.0667 ] || die "report gpu_hours $(jget "$T/r.json" 'd["gpu_hours"]')"
[ "$(jget "$T/r.json" '"source" in d')" = False ] || die "report did not come from the collector"
$R > "$T/r.txt" || die "report failed"
grep -q "^GPU-hours: *0.0667 (240.0 GPU-seconds)" "$T/r.txt" || die "text report: $(cat "$T/r.txt")"
awk 'length > 80 { exit 1 }' "$T/r.txt" || die "report lines over 80 columns"
$R --offline --json > "$T/off.json" || die "offline report failed"
python3 - "$T/r.json" "$T/off.json" <<'PY' || die "offline report differs from the collector's"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
b.pop("source")
assert a == b, (a, b)
PY
stop_collector
$R > "$T/down.txt" 2> "$T/down.err" || die "report with the collector down failed"
grep -q "collector unreachable" "$T/down.err" || die "no note about the unreachable collector"
grep -q "0.0667" "$T/down.txt" || die "outbox report lacks GPU-hours"
$AIF report 999999 --site test-site --cluster testcluster --offline --outbox "$T/outbox" 2>"$T/none.err" && die "unknown job gave 0"
grep -q "no records of job 999999" "$T/none.err" || die "unknown job message: $(cat "$T/none.err")"
rc=0; $AIF report abc --site s --cluster c 2>"$T/bad.err" || rc=$?
[ "$rc" = 2 ] && grep -q "JOBID" "$T/bad.err" || die "bad JOBID: exit $rc, $(cat "$T/bad.err")"
echo "PASS"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector over real HTTPS with curl: authentication, validation (400 with the reason),
# (422 for a bad record or one of another site), idempotency (409 on a repeat, highest version kept), size bound (413), site isolation,
# listings and aggregates, HTML pages, concurrent clients, token reload and restart.
. "$AIF_SRCDIR/tests/collector/lib.sh"
REC="python3 $S/tests/collector/records.py"
start_collector --max-body-mb 1

say "health and authentication"
CODE=$(curl -sS --cacert "$T/pki/ca.pem" -o "$T/out" -w '%{http_code}' "$URL/healthz"); expect 200 "healthz"
api "" GET /v1/jobs; expect 401 "no token"
api "wrongwrongwrongwrongwrong" GET /v1/jobs; expect 401 "unknown token"
grep -q "$TOKEN_A" "$T/collector.log" && die "a token appears in the log"

say "ingest: new, repeat, bad record, wrong site"
$REC siteA c1 101 n1 n2 > "$T/job101.json"
api "$TOKEN_A" POST /v1/records -H 'Content-Type: application/json' --data-binary @"$T/job101.json"
expect 200 "first delivery"
[ "$(jget "$T/out" 'd["inserted"]')" = 4 ] || die "expected 4 inserted: $(cat "$T/out")"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/job101.json"; expect 409 "repeat delivery"
[ "$(jget "$T/out" 'd["unchanged"]')" = 4 ] || die "repeat not reported unchanged"
$REC siteA c1 102 n3 --bad gpu_seconds > "$T/bad.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/bad.json"; expect 422 "bad record"
grep -q "gpu_seconds: must be >= 0" "$T/out" || die "400 does not name the field: $(cat "$T/out")"
printf '{"records":[{"schema":' > "$T/trunc.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/trunc.json"; expect 400 "truncated JSON"
api "$TOKEN_B" POST /v1/records --data-binary @"$T/job101.json"; expect 422 "records of another site"
api "$TOKEN_FED" POST /v1/records --data-binary @"$T/job101.json"; expect 403 "federation token posting"

say "size bound: 1.5 MiB body against a 1 MiB limit"
python3 -c "print('{\"records\":[' + ','.join(['\"' + 'x'*1000 + '\"']*1500) + ']}')" > "$T/big.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/big.json"; expect 413 "oversized body"
# Chunked upload (no Content-Length) is cut off at the bound too.
api "$TOKEN_A" POST /v1/records -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json"; expect 413 "oversized chunked body"

say "versions: version 2 replaces, version 1 again does not"
$REC siteA c1 101 n1 n2 --version 2 --account proj2 > "$T/v2.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/v2.json"; expect 200 "version 2"
[ "$(jget "$T/out" 'd["updated"]')" = 4 ] || die "version 2 did not update: $(cat "$T/out")"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/job101.json"; expect 409 "stale version 1"

say "read API: the merged report"
api "$TOKEN_A" GET /v1/jobs/siteA/c1/101; expect 200 "job report"
cp "$T/out" "$T/rep101.json"
[ "$(jget "$T/rep101.json" 'd["gpu_hours"]')" = 4.0 ] || die "gpu_hours $(jget "$T/rep101.json" 'd["gpu_hours"]') != 4.0"
[ "$(jget "$T/rep101.json" 'd["account"]')" = proj2 ] || die "version 2 account not shown"
[ "$(jget "$T/rep101.json" 'len(d["steps"])')" = 3 ] || die "expected 3 steps"
[ "$(jget "$T/rep101.json" 'd["prediction"]["gib_per_gpu"]')" = 41.3 ] || die "prediction"
[ "$(jget "$T/rep101.json" 'd["observed"]["gpu_mem_peak_gib"]')" = 37.0 ] || die "observed peak"
[ "$(jget "$T/rep101.json" 'd["outcome"]["state"]')" = COMPLETED ] || die "outcome"
api "$TOKEN_A" GET /v1/jobs/siteA/c1/999; expect 404 "unknown job"
api "$TOKEN_B" GET /v1/jobs/siteA/c1/101; expect 403 "site B reading site A"
api "$TOKEN_FED" GET /v1/jobs/siteA/c1/101; expect 200 "federation reads site A"
api "$TOKEN_A" GET "/v1/jobs/siteA/c1/1x"; expect 400 "bad job id"

say "listings and aggregates"
$REC siteB c9 7 m1 --account proj9 --reject > "$T/b7.json"
api "$TOKEN_B" POST /v1/records --data-binary @"$T/b7.json"; expect 200 "site B records"
api "$TOKEN_B" GET /v1/jobs; expect 200 "site B listing"
[ "$(jget "$T/out" '[j["site"] for j in d["items"]]')" = "['siteB']" ] || die "site B sees: $(cat "$T/out")"
api "$TOKEN_B" GET "/v1/jobs?site=siteA"; expect 403 "site B listing site A"
api "$TOKEN_FED" GET "/v1/jobs?account=proj2"; expect 200 "listing by account"
[ "$(jget "$T/out" 'd["count"]')" = 1 ] || die "account filter"
api "$TOKEN_FED" GET "/v1/jobs?verdict=fits&from=2026-08-01&to=2026-09-01"; expect 200 "listing by verdict and time"
[ "$(jget "$T/out" 'd["count"]')" = 2 ] || die "verdict/time filter: $(cat "$T/out")"
api "$TOKEN_FED" GET "/v1/jobs?from=2026-09-01"; expect 200 "empty time range"
[ "$(jget "$T/out" 'd["count"]')" = 0 ] || die "time filter"
api "$TOKEN_FED" GET "/v1/jobs?from=soon"; expect 400 "bad date"
api "$TOKEN_FED" GET /v1/aggregates/gpu-hours; expect 200 "gpu-hours"
[ "$(jget "$T/out" 'sorted((i["site"], i["account"], i["month"], i["gpu_hours"]) for i in d["items"])')" = \
  "[('siteA', 'proj2', '2026-08', 4.0), ('siteB', 'proj9', '2026-08', 2.0)]" ] || die "gpu-hours: $(cat "$T/out")"
api "$TOKEN_FED" GET /v1/aggregates/rejections; expect 200 "rejections"
[ "$(jget "$T/out" 'd["items"][0]["count"]')" = 1 ] || die "rejections: $(cat "$T/out")"
api "$TOKEN_FED" GET /v1/aggregates/prediction-error; expect 200 "prediction error"
[ "$(jget "$T/out" 'd["jobs"]')" = 2 ] || die "prediction-error: $(cat "$T/out")"
api "$TOKEN_A" GET /v1/aggregates/gpu-hours; expect 200 "site A aggregates"
[ "$(jget "$T/out" 'd["count"]')" = 1 ] || die "site A sees other sites in aggregates"

say "federation overview, its exports and /metrics: scoped to the token's site"
api "$TOKEN_FED" GET "/v1/overview?group=account"; expect 200 "overview per account"
[ "$(jget "$T/out" 'sorted((i["site"], i["account"], i["jobs"], i["gpu_hours"]) for i in d["items"] if i["jobs"])')" = \
  "[('siteA', 'proj2', 1, 4.0), ('siteB', 'proj9', 1, 2.0)]" ] || die "overview per account: $(cat "$T/out")"
api "$TOKEN_FED" GET "/v1/overview?group=account&account=proj9&format=csv" -D "$T/headers"; expect 200 "overview CSV"
grep -qi '^content-type: text/csv' "$T/headers" || die "CSV export not text/csv"
[ "$(grep -c . "$T/out")" = 2 ] && grep -q '^siteB,proj9,1,2.0000,' "$T/out" || die "CSV filtered by account: $(cat "$T/out")"
api "$TOKEN_FED" GET "/v1/overview?group=nobody"; expect 400 "unknown overview group"
api "$TOKEN_FED" GET "/v1/overview?format=xml"; expect 400 "unknown export format"
api "$TOKEN_B" GET /metrics; expect 200 "site B metrics"
grep -q 'site="siteA"' "$T/out" && die "site B's metrics show site A"
grep -q '^aifactory_account_gpu_hours{site="siteB",account="proj9"} 2.000000$' "$T/out" || die "site B metrics: $(cat "$T/out")"
api "$TOKEN_B" GET "/v1/overview?site=siteA"; expect 403 "site B reading site A's overview"

say "HTML pages"
CODE=$(curl -sS --cacert "$T/pki/ca.pem" -D "$T/headers" -o "$T/page.html" -w '%{http_code}' \
    -u "siteA:$TOKEN_A" "$URL/jobs/siteA/c1/101"); expect 200 "job page with Basic auth"
grep -qi "content-security-policy: default-src 'none'" "$T/headers" || die "no CSP header"
grep -q '<script' "$T/page.html" && die "script in the page"
grep -q 'id="gpu-hours">4.0000<' "$T/page.html" || die "GPU-hours not on the page"
CODE=$(curl -sS --cacert "$T/pki/ca.pem" -D "$T/headers" -o /dev/null -w '%{http_code}' "$URL/"); expect 401 "overview needs auth"
grep -qi 'www-authenticate: Basic' "$T/headers" || die "no Basic challenge for browsers"
api "$TOKEN_FED" GET /; expect 200 "overview"
grep -q 'href="/jobs/siteB/c9/7"' "$T/out" || die "overview lacks the job link"

say "concurrent clients: 20 senders x 5 jobs"
i=0
while [ $i -lt 20 ]; do
    ( j=0; while [ $j -lt 5 ]; do
          $REC siteA par $((i * 100 + j)) x$i y$i > "$T/par_$i.json"
          c=$(curl -sS --cacert "$T/pki/ca.pem" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_A" \
              --data-binary @"$T/par_$i.json" "$URL/v1/records")
          [ "$c" = 200 ] || echo "client $i job $j: HTTP $c" >> "$T/par_errors"
          j=$((j + 1))
      done ) &
    PAR="${PAR:-} $!"
    i=$((i + 1))
done
for p in $PAR; do wait "$p"; done
[ -s "$T/par_errors" ] && die "concurrent posts failed: $(head -3 "$T/par_errors")"
api "$TOKEN_A" GET "/v1/jobs?limit=1000"; expect 200 "listing after concurrent posts"
[ "$(jget "$T/out" 'sum(1 for j in d["items"] if j["cluster"] == "par")')" = 100 ] || die "expected 100 jobs"

say "token reload on SIGHUP, restart keeps the data"
NEW=$(new_token)
printf 'siteA %s\n' "$NEW" > "$T/tokens.new"; chmod 600 "$T/tokens.new"; mv "$T/tokens.new" "$T/tokens"
kill -HUP "$COLL_PID"
wait_for 5 'grep -q "reloaded 1 tokens" "$T/collector.log"' || die "no reload"
api "$TOKEN_A" GET /v1/jobs; expect 401 "old token after reload"
api "$NEW" GET /v1/jobs/siteA/c1/101; expect 200 "new token after reload"
stop_collector
start_collector
api "$NEW" GET /v1/jobs/siteA/c1/101; expect 200 "after restart"
cmp -s "$T/out" "$T/rep101.json" || die "report changed across a restart"
echo "PASS"

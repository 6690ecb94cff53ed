#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Hostile clients against a real collector (issue 11 item 6): slow connections from one address
# neither starve /healthz nor outlive the request deadline; too many query arguments, a `..`
# site and escape sequences in the URL are refused or logged harmlessly; Basic auth with a
# malformed header is refused.
. "$AIF_SRCDIR/tests/collector/lib.sh"
start_collector --request-deadline 4

say "512 slow TLS connections from 127.0.0.1 (one ClientHello byte every 0.5 s)"
python3 "$S/tests/collector/slow_clients.py" "$PORT" 512 9 "$T/slow.ready" > "$T/slow.json" &
SLOW_PID=$!
PIDS="$PIDS $SLOW_PID"
wait_for 30 '[ -s "$T/slow.ready" ]' || die "slow clients did not connect"
sleep 1
CODE=$(curl -sS --max-time 5 --interface 127.0.0.2 --cacert "$T/pki/ca.pem" -o "$T/out" -w '%{http_code}' \
    "$URL/healthz") || CODE=000
expect 200 "healthz from another address while 512 slow connections are held"
# The request deadline frees the slow connections' slots: the same address gets through soon.
wait_for 8 '[ "$(curl -s --max-time 2 --cacert "$T/pki/ca.pem" -o /dev/null -w "%{http_code}" "$URL/healthz" || true)" = 200 ]' ||
    die "healthz from the slow clients' address still refused after the deadline"
wait "$SLOW_PID" || die "slow client script failed"
held=$(jget "$T/slow.json" 'd["held"]')
say "held by the server: $held of 512; closed after: $(jget "$T/slow.json" 'sorted(set(round(c or -1) for c in d["closed"]))') s"
[ "$held" -le 32 ] || die "$held connections from one address held (per-address limit is 32)"
[ "$held" -ge 1 ] || die "no slow connection was held at all"
jget "$T/slow.json" 'all(c is not None and 3 <= c <= 7 for c in d["closed"])' | grep -q True ||
    die "slow connections not closed at the 4 s deadline: $(cat "$T/slow.json")"
grep -q "connection(s) that sent no complete request within 4 s" "$T/collector.log" || die "deadline closures not logged"

say "1100 query arguments"
q=$(python3 -c "print('&'.join('a%d=1' % i for i in range(1100)))")
api "$TOKEN_A" GET "/v1/jobs?$q"; expect 400 "1100 query arguments"
grep -q "query arguments" "$T/out" || die "400 does not say why: $(cat "$T/out")"
api "$TOKEN_A" GET "/v1/jobs?limit=5"; expect 200 "the server still answers"

say "a '..' site, escape sequences and newlines in the URL"
api "$TOKEN_A" GET "/v1/jobs/../c1/1" --path-as-is; expect 400 "'..' as the site"
api "$TOKEN_A" GET "/jobs/../c1/1" --path-as-is; expect 400 "'..' as the site (HTML page)"
api "$TOKEN_A" GET "/v1/nope%1b%5b2J%0a2026-01-01T00:00:00Z%20collector:%20forged"; expect 404 "unknown path"
if grep -q "$(printf '\033')" "$T/collector.log"; then die "an escape character reached the log"; fi
if grep -q "^2026-01-01T00:00:00Z collector: forged" "$T/collector.log"; then die "a forged line reached the log"; fi
grep -q "nope?\[2J?2026" "$T/collector.log" || die "the request is not logged in escaped form"

say "Basic auth: decoded by libmicrohttpd; malformed headers are refused"
CODE=$(curl -sS --cacert "$T/pki/ca.pem" -o "$T/out" -w '%{http_code}' -u "siteA:$TOKEN_A" "$URL/v1/jobs"); expect 200 "Basic"
for h in "Basic !!!!" "Basic $(printf 'siteA' | base64)" "Basic $(printf 'siteA:wrongwrongwrongwrong' | base64)" "Basic"; do
    CODE=$(curl -sS --cacert "$T/pki/ca.pem" -o "$T/out" -w '%{http_code}' -H "Authorization: $h" "$URL/v1/jobs")
    expect 401 "Authorization: $h"
done

echo "PASS"

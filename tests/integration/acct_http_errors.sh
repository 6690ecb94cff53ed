#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 500 and 429 + Retry-After: records are kept, retries back off with jitter and honour
# Retry-After, the request count stays bounded, and all records arrive once the endpoint heals.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
write_conf
produce 100 1000
mode '{"mode":"status","status":500}'
start_sender
sleep 4
n500=$(requests)
say "HTTP 500 for 4 s: $n500 requests"
[ "$n500" -ge 2 ] && [ "$n500" -le 9 ] || die "expected 2..9 requests in 4 s with backoff 0.2..2 s, saw $n500"
[ "$(waiting)" -eq 100 ] || die "records lost or moved during 500s"
grep -q "HTTP 500" "$T/sender.log" || die "500 not logged"

: > "$T/ep/requests.log"
mode '{"mode":"status","status":429,"retry_after":"3"}'
sleep 8
n429=$(requests)
gaps=$(awk 'NR>1 {printf "%.2f\n", $1-prev} {prev=$1}' "$T/ep/requests.log" | sort -n | head -n1)
say "HTTP 429 Retry-After 3 for 8 s: $n429 requests, shortest gap ${gaps:-none} s"
[ "$n429" -ge 1 ] && [ "$n429" -le 4 ] || die "Retry-After 3 s allows at most 4 requests in 8 s, saw $n429"
if [ "$n429" -ge 2 ]; then
    awk -v g="$gaps" 'BEGIN { exit !(g >= 2.9) }' || die "Retry-After not honoured: gap $gaps s < 3 s"
fi
[ "$(waiting)" -eq 100 ] || die "records lost or moved during 429s"

mode '{"mode":"ok"}'
wait_for 15 '[ "$(waiting)" -eq 0 ]' || die "not drained after the endpoint healed"
sleep 0.3
check_delivered exact
# Proxy variables in the environment are ignored (only `proxy` in sender.conf counts): a dead
# proxy named there must not stop delivery.
stop_sender
produce 5 3000
https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
    "$AIF" sender --config "$T/sender.conf" --once >>"$T/sender.log" 2>&1 || die "sender used the environment's proxy"
[ "$(waiting)" -eq 0 ] || die "records not delivered with proxy variables set"
set_conf "proxy = http://127.0.0.1:9"
produce 1 3100
"$AIF" sender --config "$T/sender.conf" --once >>"$T/sender.log" 2>&1 && die "the configured proxy was not used"
[ "$(waiting)" -eq 1 ] || die "record lost while the configured proxy is down"
say "PASS: 500/429 held, bounded retries, Retry-After honoured, records delivered exactly once, proxy only from the config"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Endpoint down: records wait in the outbox, the sender backs off (bounded attempts, no storm),
# survives being restarted mid-outage, and delivers everything exactly once when the endpoint
# comes back on the same address.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
stop_endpoint                       # keep its port; nothing listens there now
write_conf
produce 300 1000
start_sender
sleep 6
attempts=$(grep -c "delivery failed" "$T/sender.log" || true)
say "endpoint down 6 s: $attempts attempts"
[ "$attempts" -ge 3 ] || die "sender did not retry while the endpoint was down ($attempts attempts)"
[ "$attempts" -le 12 ] || die "request storm: $attempts attempts in 6 s (backoff 0.2..2 s)"
grep -q "Couldn't connect\|Connection refused\|Failed to connect" "$T/sender.log" || die "no connect error logged"
[ "$(waiting)" -eq 300 ] || die "records left new/ while nothing was delivered"
"$AIF" spool --config "$T/sender.conf" status | grep -q "sender: backoff" || die "spool status does not show backoff"
# Restart the sender mid-outage (SIGKILL: no chance to clean up) and add records meanwhile.
kill -9 "$SENDER_PID"; wait "$SENDER_PID" 2>/dev/null || true
produce 200 2000
start_sender
sleep 1
start_endpoint good "$EP_PORT"
t0=$(date +%s%N)
wait_for 30 '[ "$(waiting)" -eq 0 ]' || die "outbox not drained after the endpoint came back"
t1=$(date +%s%N)
sleep 0.3
check_delivered exact
grep -q "endpoint reachable again" "$T/sender.log" || die "recovery not logged"
say "PASS: 500 records held during the outage, drained in $(( (t1 - t0) / 1000000 )) ms after recovery, exactly once"

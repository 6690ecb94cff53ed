#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A hung endpoint (accepts, never answers), one that trickles bytes, and one that stalls the TLS
# handshake: every transfer hits its deadline, the sender recovers when the endpoint does, stops
# promptly on SIGTERM mid-transfer, and producers are not slowed down meanwhile.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
write_conf "request_timeout = 3" "low_speed_bytes = 100" "low_speed_time = 2"
produce 50 1000
mode '{"mode":"hang"}'
start_sender
sleep 5
grep -q "Timeout was reached\|timed out" "$T/sender.log" || die "hung request did not time out"
[ "$(waiting)" -eq 50 ] || die "records moved while the endpoint hung"
# Producers do not wait for the sender: 200 more records while the endpoint hangs.
s0=$(date +%s%N)
produce 200 2000
s1=$(date +%s%N)
ms=$(( (s1 - s0) / 1000000 ))
say "200 records produced in $ms ms while the endpoint hung"
[ "$ms" -lt 5000 ] || die "producing was slowed down by the hung endpoint ($ms ms)"
# SIGTERM during a hung transfer: the sender stops within a second.
sleep 0.5
t0=$(date +%s%N)
stop_sender
t1=$(date +%s%N)
stop_ms=$(( (t1 - t0) / 1000000 ))
[ "$stop_ms" -lt 1500 ] || die "SIGTERM took $stop_ms ms during a hung transfer"

# Trickle: 1 byte/s is below low_speed_bytes: aborted after low_speed_time, then retried.
# The endpoint had already stored the batch, so the retry is a duplicate the id makes harmless.
mode '{"mode":"trickle","interval":1.0}'
: > "$T/sender.log"
start_sender
sleep 4
grep -q "Timeout was reached\|too slow\|Operation too slow" "$T/sender.log" || die "trickle not aborted"
stop_sender

# TLS handshake that never completes: the connect timeout covers it.
mode '{"mode":"stall_tls","seconds":30}'
: > "$T/sender.log"
start_sender
sleep 4
grep -q "timed out\|Timeout" "$T/sender.log" || die "stalled TLS handshake not timed out"
mode '{"mode":"ok"}'
wait_for 20 '[ "$(waiting)" -eq 0 ]' || die "not drained after the endpoint recovered"
sleep 0.3
check_delivered
dups=$(( $(accepted_total) - $(accepted_unique) ))
say "PASS: hang/trickle/TLS stall timed out, SIGTERM in ${stop_ms} ms, 250 delivered ($dups harmless duplicates)"

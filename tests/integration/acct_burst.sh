#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Burst: 10,000 records drained without loss or duplicates, in batches, over one connection.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
write_conf "batch_records = 200"
s0=$(date +%s%N)
produce 10000 1000
s1=$(date +%s%N)
[ "$(waiting)" -eq 10000 ] || die "expected 10000 records in new/, found $(waiting)"
start_sender
wait_for 120 '[ "$(waiting)" -eq 0 ]' || die "10000 records not drained in 120 s"
s2=$(date +%s%N)
sleep 0.3
check_delivered exact
[ "$(requests)" -le 55 ] || die "expected about 50 batched requests, saw $(requests)"
conns=$(awk '{print $5}' "$T/ep/requests.log" | sort -u | wc -l)
[ "$conns" -le 2 ] || die "keep-alive not used: $conns connections"
say "PASS: 10000 records: produced in $(( (s1 - s0) / 1000000 )) ms, drained in $(( (s2 - s1) / 1000000 )) ms, $(requests) requests, $conns connection(s)"

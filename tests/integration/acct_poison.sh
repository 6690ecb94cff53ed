#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A poison record (422/400/413) goes to dead/ with the endpoint's reason while the rest of the
# queue keeps draining (no head-of-line blocking); an operator can list and requeue it.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
write_conf "batch_records = 25"
produce 100 1000
bad1=$(sed -n 10p "$T/produced.ids")
bad2=$(sed -n 77p "$T/produced.ids")
mode "{\"mode\":\"poison\",\"ids\":[\"$bad1\",\"$bad2\"],\"status\":422}"
start_sender
wait_for 20 '[ "$(waiting)" -eq 0 ]' || die "queue blocked behind the poison records"
sleep 0.3
[ "$(accepted_unique)" -eq 98 ] || die "expected 98 delivered, got $(accepted_unique)"
[ "$(ls "$T/outbox/dead" | grep -c '\.rec$')" -eq 2 ] || die "expected 2 dead letters"
! grep -q "$bad1\|$bad2" "$T/ep/accepted.log" || die "a poison record was accepted"
"$AIF" spool --config "$T/sender.conf" status > "$T/st.txt"
grep -q "dead letters        2" "$T/st.txt" || die "status does not count 2 dead letters"
grep -q "$bad1  HTTP 422: .*violates the schema" "$T/st.txt" || die "status does not give the reason for $bad1"
"$AIF" spool --config "$T/sender.conf" list dead | grep -q "$bad2" || die "list dead misses $bad2"
"$AIF" spool --config "$T/sender.conf" show "$bad2" | grep -q "\"record_id\": \"$bad2\"" || die "show $bad2 failed"
say "isolated 2 poison records among 100 in $(requests) requests"
[ "$(requests)" -le 30 ] || die "too many requests to isolate 2 poison records: $(requests)"
# The endpoint is fixed; the operator requeues the dead letters.
mode '{"mode":"ok"}'
"$AIF" spool --config "$T/sender.conf" requeue --dead | grep -q "requeued 2 record" || die "requeue --dead"
wait_for 10 '[ "$(accepted_unique)" -eq 100 ]' || die "requeued records not delivered"
check_delivered exact
[ "$(ls "$T/outbox/dead" | wc -l)" -eq 0 ] || die "dead/ not empty after requeue"
# 413 and 400 are poison too: stop the sender while setting each up.
for status in 413 400; do
    stop_sender
    : > "$T/produced.ids"
    produce 3 "$((5000 + status))"
    bad=$(sed -n 2p "$T/produced.ids")
    mode "{\"mode\":\"poison\",\"ids\":[\"$bad\"],\"status\":$status}"
    start_sender
    wait_for 10 '[ "$(waiting)" -eq 0 ]' || die "$status blocked the queue"
    ls "$T/outbox/dead/"*"$bad.rec" >/dev/null 2>&1 || die "$status record not dead-lettered"
    grep -q "HTTP $status" "$T/outbox/dead/"*"$bad.rec.reason" || die "$status reason not recorded"
done
# A blanket 400 (a misconfigured proxy): at most max_dead_in_a_row records are dead-lettered,
# then the sender holds the queue with backoff instead of emptying it into dead/.
stop_sender
rm -f "$T/outbox/dead/"*
: > "$T/produced.ids"
produce 100 7000
set_conf "max_dead_in_a_row = 5"
mode '{"mode":"status","status":400}'
start_sender
sleep 5
ndead=$(ls "$T/outbox/dead" | grep -c '\.rec$' || true)
say "blanket 400 for 5 s: $ndead dead-lettered, $(waiting) held"
[ "$ndead" -eq 5 ] || die "blanket 400: expected 5 dead letters, got $ndead"
[ "$(waiting)" -eq 95 ] || die "blanket 400: expected 95 records held, got $(waiting)"
grep -q "5 records refused in a row, holding the rest" "$T/sender.log" || die "hold not logged"
mode '{"mode":"ok"}'
wait_for 15 '[ "$(waiting)" -eq 0 ]' || die "held records not delivered once the endpoint healed"
say "PASS: poison records dead-lettered with reasons, queue kept draining, requeue delivered them, a blanket 400 held"

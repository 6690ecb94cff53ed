#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Happy path: records produced through the real producer API reach the HTTPS endpoint exactly
# once, in batches over one kept-alive connection; spool status and the sent/ retention agree.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
write_conf "batch_records = 50"
produce 230 1000
[ "$(waiting)" -eq 230 ] || die "expected 230 records in new/, found $(waiting)"
"$AIF" spool --config "$T/sender.conf" status > "$T/status0.txt"
grep -q "waiting (new/)      230" "$T/status0.txt" || die "spool status does not show 230 waiting"
start_sender
wait_for 20 '[ "$(waiting)" -eq 0 ] && [ "$(accepted_total)" -ge 230 ]' || die "not drained"
sleep 0.5
check_delivered exact
[ "$(requests)" -eq 5 ] || die "expected 5 batched requests for 230 records, saw $(requests)"
[ "$(ls "$T/outbox/sent" | wc -l)" -eq 230 ] || die "sent/ should hold 230 acked records"
check_schema "$T"/outbox/sent/*.rec
"$AIF" spool --config "$T/sender.conf" status > "$T/status1.txt"
grep -q "waiting (new/)      0" "$T/status1.txt" || die "spool status still shows records waiting"
grep -q "sender: idle" "$T/status1.txt" || die "spool status does not show the sender idle"
# Keep-alive: all requests came over one connection (one client port).
conns=$(awk '{print $5}' "$T/ep/requests.log" | sort -u | wc -l)
[ "$conns" -eq 1 ] || die "expected one kept-alive connection, saw $conns"
# A second sender on the same outbox refuses to run (it would only send duplicates).
set +e
"$AIF" sender --config "$T/sender.conf" > "$T/second.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "another sender is already draining" "$T/second.log" ||
    die "a second sender ran on the same outbox (rc $rc)"
stop_sender
grep -q "stopped" "$T/sender.log" || die "sender did not stop cleanly on SIGTERM"
# A record acked and then re-sent (operator requeue) is harmless: the endpoint dedupes by id.
id=$(head -n1 "$T/produced.ids")
"$AIF" spool --config "$T/sender.conf" requeue "$id" | grep -q "requeued $id" || die "requeue from sent/ failed"
"$AIF" sender --config "$T/sender.conf" --once >>"$T/sender.log" 2>&1 || die "sender --once failed"
[ "$(accepted_total)" -eq 231 ] && [ "$(accepted_unique)" -eq 230 ] || die "requeued record not re-sent once"
# Bad command lines: exit 2 with a message naming what was wrong.
for args in "spool --config $T/sender.conf bogus" "spool --config $T/sender.conf list nowhere" \
    "spool --config $T/nonexistent.conf status" "sender --bogus" "spool --config $T/sender.conf show"; do
    set +e
    # shellcheck disable=SC2086
    "$AIF" $args > "$T/cli.txt" 2>&1
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || die "aifactory $args: expected exit 2, got $rc"
    [ -s "$T/cli.txt" ] || die "aifactory $args: no message"
done
grep -q "aifactory spool show: give a record id" "$T/cli.txt" || die "show without id: unclear message"
say "PASS: 230 records delivered exactly once in $(requests) requests"

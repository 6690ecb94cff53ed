#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The sender's outbox turns read-only: records are delivered but cannot be marked sent. The
# sender must not hammer the endpoint with re-sends (backoff, bounded requests), must keep
# running, and must finish cleanly once the disk is writable again.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"
need_root "to mount a tmpfs"
mkdir -p "$T/ro"
mount -t tmpfs -o size=4m tmpfs "$T/ro" || skip "cannot mount a tmpfs here"
trap 'umount "$T/ro" 2>/dev/null || true; cleanup' EXIT

start_endpoint good
write_conf "outbox = $T/ro/outbox"
"$PRODUCE" "$T/ro/outbox" 20 1000 > "$T/produced.ids"
mount -o remount,ro "$T/ro"
start_sender
sleep 5
n=$(requests)
say "read-only outbox for 5 s: $n requests"
[ "$n" -ge 2 ] && [ "$n" -le 8 ] || die "expected 2..8 paced requests with a read-only outbox, saw $n"
kill -0 "$SENDER_PID" || die "sender died on a read-only outbox"
grep -q "cannot move acked records" "$T/sender.log" || die "read-only outbox not reported"
mount -o remount,rw "$T/ro"
wait_for 15 '[ "$(ls "$T/ro/outbox/new" | wc -l)" -eq 0 ]' || die "not settled after the disk came back"
check_delivered
say "PASS: read-only outbox paced ($n requests in 5 s), settled once writable; $(accepted_unique) records, $(( $(accepted_total) - $(accepted_unique) )) duplicates"

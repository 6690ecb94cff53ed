#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash consistency. (1) The sender is SIGKILLed again and again mid-batch, including after the
# endpoint stored a batch but before the sender recorded the ack: nothing is lost, and the only
# duplicates are the batches in flight at each kill. (2) Producers are SIGKILLed mid-write:
# every record whose write returned is delivered, torn files are quarantined (never fatal),
# complete-but-unrenamed ones are recovered, and tmp/ ends empty.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
write_conf "batch_records = 50" "tmp_grace = 1"
produce 2000 1000
mode '{"mode":"ok","delay":0.15}'
kills=0
while [ "$kills" -lt 12 ] && [ "$(waiting)" -gt 0 ]; do
    start_sender
    sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 5 + 2 ))"
    kill -9 "$SENDER_PID"
    wait "$SENDER_PID" 2>/dev/null || true
    kills=$((kills + 1))
done
say "sender SIGKILLed $kills times; $(waiting) records still waiting"
mode '{"mode":"ok"}'
start_sender
wait_for 60 '[ "$(waiting)" -eq 0 ]' || die "not drained after the kills"
sleep 0.3
check_delivered
dups=$(( $(accepted_total) - $(accepted_unique) ))
say "2000 records delivered; $dups duplicates from $kills kills (at most one 50-record batch each)"
[ "$dups" -le $((kills * 50)) ] || die "more duplicates ($dups) than batches in flight at the kills"
stop_sender

# (2) Producers killed mid-write.
: > "$T/produced.ids"
for i in 1 2 3 4 5 6; do
    "$PRODUCE" "$T/outbox" 100000 $((100000 * i)) >> "$T/produced.ids" 2>/dev/null &
    p=$!
    PIDS="$PIDS $p"
    sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 5 + 2 ))"
    kill -9 "$p"
    wait "$p" 2>/dev/null || true
done
# The last line may be cut by the kill: keep only whole ids.
grep -E '^[0-9a-f-]{36}$' "$T/produced.ids" > "$T/whole.ids" || true
mv "$T/whole.ids" "$T/produced.ids"
left=$(ls "$T/outbox/tmp" | wc -l)
say "6 producers killed: $(wc -l < "$T/produced.ids") writes returned, $left file(s) left in tmp/"
sleep 1.2                           # older than tmp_grace
start_sender
wait_for 60 '[ "$(waiting)" -eq 0 ] && [ "$(ls "$T/outbox/tmp" | wc -l)" -eq 0 ]' || die "not settled"
sleep 0.3
sort -u "$T/produced.ids" > "$T/p.sorted"
sort -u "$T/ep/accepted.log" > "$T/a.sorted"
missing=$(comm -23 "$T/p.sorted" "$T/a.sorted" | wc -l)
[ "$missing" -eq 0 ] || die "$missing record(s) whose write had returned were lost"
quarantined=$(ls "$T/outbox/quarantine" | grep -vc '\.reason$' || true)
[ "$quarantined" -le "$left" ] || die "$quarantined quarantined, but only $left tmp files were left"
kill -0 "$SENDER_PID" || die "the sender died on torn files"
say "PASS: no loss across $kills sender kills and 6 producer kills ($quarantined torn file(s) quarantined)"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 401: the sender pauses (no retry storm), keeps every record, picks up a replaced token
# file without a restart, and never writes the token to its log. A token file others can read
# is refused at start.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint good
printf 'wrong-token-%s\n' "$$" > "$T/sender-token"
chmod 600 "$T/sender-token"
write_conf "auth_retry = 60"
set_conf "token_file = $T/sender-token"
produce 40 1000
start_sender
sleep 4
[ "$(requests)" -eq 1 ] || die "expected a single request while the token is refused, saw $(requests)"
grep -q " 401 " "$T/ep/requests.log" || die "endpoint did not see a 401"
grep -q "refused the token" "$T/sender.log" || die "auth failure not logged"
"$AIF" spool --config "$T/sender.conf" status | grep -q "sender: paused_auth" || die "status does not show paused_auth"
[ "$(waiting)" -eq 40 ] || die "records moved while paused"
# Replace the token (as an operator would: write a new file, rename over the old one).
cp "$T/token" "$T/sender-token.new"
chmod 600 "$T/sender-token.new"
mv "$T/sender-token.new" "$T/sender-token"
wait_for 10 '[ "$(waiting)" -eq 0 ]' || die "new token not picked up"
sleep 0.3
check_delivered exact
grep -q "token file changed" "$T/sender.log" || die "token change not logged"
! grep -q "wrong-token" "$T/sender.log" || die "old token appears in the log"
# 403 (the token is known, something is not allowed): retried with backoff, never a long pause.
: > "$T/ep/requests.log"
mode '{"mode":"status","status":403}'
produce 5 2000
sleep 3
[ "$(requests)" -ge 2 ] || die "403: expected retries with backoff, saw $(requests) request(s)"
"$AIF" spool --config "$T/sender.conf" status | grep -q "sender: paused_auth" && die "403 paused the sender"
[ "$(waiting)" -eq 5 ] || die "403: records moved"
stop_sender
# A token file readable by others: refuse to start, say how to fix it, exit 2.
chmod 644 "$T/sender-token"
set +e
"$AIF" sender --config "$T/sender.conf" --check > "$T/check.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || die "sender started with a world-readable token file (rc $rc)"
grep -q "chmod 600" "$T/check.txt" || die "refusal does not say how to fix it: $(cat "$T/check.txt")"
! grep -q "$TOKEN" "$T/check.txt" || die "token printed"
say "PASS: 401 paused without a storm, token swap picked up live, 403 retried without a pause, insecure token file refused"

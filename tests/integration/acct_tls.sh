#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# TLS is always verified: a self-signed or wrong-host certificate is refused (records kept, clear
# error, no fallback); plain http:// and credentials in the URL are refused at start; a redirect
# is never followed, so the token never reaches another host.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

start_endpoint selfsigned
write_conf
produce 20 1000
start_sender
sleep 3
[ "$(accepted_total)" -eq 0 ] || die "records accepted over an unverified certificate"
[ "$(requests)" -eq 0 ] || die "a request was sent over an unverified connection"
grep -q "SSL certificate problem\|certificate verify failed\|self.signed" "$T/sender.log" ||
    die "no certificate error in the log"
[ "$(waiting)" -eq 20 ] || die "records moved"
stop_endpoint
start_endpoint wronghost "$EP_PORT"
: > "$T/sender.log"
sleep 3
[ "$(requests)" -eq 0 ] || die "a request was sent to a host with the wrong certificate"
grep -q "subject name\|does not match\|no alternative certificate" "$T/sender.log" ||
    die "no host-name mismatch error in the log"
stop_endpoint
start_endpoint good "$EP_PORT"
wait_for 15 '[ "$(waiting)" -eq 0 ]' || die "not delivered once the certificate is right"
sleep 0.3
check_delivered exact
stop_sender

# Redirect to another endpoint: not followed; the other one never sees a request or the token.
mkdir -p "$T/ep2"
python3 "$S/tests/endpoint/endpoint.py" --state "$T/ep2" --cert "$T/pki/good.pem" --key "$T/pki/good.key" \
    --token-file "$T/token" 2>>"$T/ep2/stderr.log" &
EP2=$!
PIDS="$PIDS $EP2"
wait_for 10 '[ -s "$T/ep2/port" ]' || die "second endpoint did not start"
mode "{\"mode\":\"redirect\",\"location\":\"https://localhost:$(cat "$T/ep2/port")/v1/records\"}"
produce 5 2000
start_sender
sleep 3
[ ! -s "$T/ep2/requests.log" ] || die "the redirect was followed"
grep -q "not followed" "$T/sender.log" || die "redirect not reported"
[ "$(waiting)" -eq 5 ] || die "records moved after a redirect"
stop_sender

# Configuration refusals (exit 2 with a message naming the key).
for url in "http://127.0.0.1:$EP_PORT/v1/records" "https://user:pw@127.0.0.1:$EP_PORT/"; do
    set_conf "url = $url"
    set +e
    "$AIF" sender --config "$T/sender.conf" --check > "$T/check.txt" 2>&1
    rc=$?
    set -e
    [ "$rc" -eq 2 ] || die "accepted url $url (rc $rc)"
    grep -q "url:" "$T/check.txt" || die "refusal does not name the url: $(cat "$T/check.txt")"
done
say "PASS: bad certificates refused and records kept, http:// and redirects refused"

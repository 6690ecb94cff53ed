# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the accounting fault-injection tests (sourced, not run).
# Everything runs as real processes on 127.0.0.1 in a private temp dir; the trap stops only the
# processes started here, by PID, whatever happens.
set -eu
B=${AIF_BUILDDIR:?set AIF_BUILDDIR (make check does)}
S=${AIF_SRCDIR:?set AIF_SRCDIR (make check does)}
. "$S/tests/lib/testlib.sh"
AIF=$B/tools/aifactory
PRODUCE=$B/tests/endpoint/acct_produce
need_tools python3 openssl
[ -x "$AIF" ] && [ -x "$PRODUCE" ] || die "build first ($AIF, $PRODUCE)"

T=$(mktemp -d /tmp/acct_test.XXXXXX)
PIDS=""
EP_PID=""
SENDER_PID=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

on_failure() {
    tail_log "$T/sender.log" 25
    tail_log "$T/ep/requests.log" 10
}

# write_producer_conf: $T/acct.conf for the plugins (site test-site, outbox $T/outbox, fresh
# pseudonymisation and prediction-signing keys), as a site would write /etc/aifactory/acct.conf.
write_producer_conf() {
    head -c 32 /dev/urandom > "$T/user.key"
    head -c 32 /dev/urandom > "$T/prediction.key"
    chmod 600 "$T/user.key" "$T/prediction.key"
    cat > "$T/acct.conf" <<CONF
site = test-site
site_namespace = 3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f
user_key_file = $T/user.key
prediction_key_file = $T/prediction.key
outbox = $T/outbox
min_free_mb = 0
CONF
}

sh "$S/tests/endpoint/make-certs.sh" "$T/pki"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/token"
chmod 600 "$T/token"
TOKEN=$(cat "$T/token")
mkdir -p "$T/ep"

# start_endpoint [good|wronghost|selfsigned] [port]
start_endpoint() {
    _cert=${1:-good}
    rm -f "$T/ep/port"
    python3 "$S/tests/endpoint/endpoint.py" --state "$T/ep" --cert "$T/pki/$_cert.pem" --key "$T/pki/$_cert.key" \
        --token-file "$T/token" --port "${2:-0}" 2>>"$T/ep/stderr.log" &
    EP_PID=$!
    PIDS="$PIDS $EP_PID"
    wait_for 10 '[ -s "$T/ep/port" ]' || die "endpoint did not start"
    EP_PORT=$(cat "$T/ep/port")
}
stop_endpoint() {
    kill "$EP_PID" 2>/dev/null || true
    wait "$EP_PID" 2>/dev/null || true
}
mode() { printf '%s\n' "$1" > "$T/ep/mode.tmp" && mv "$T/ep/mode.tmp" "$T/ep/mode.json"; }

# write_conf [extra key = value lines...]
write_conf() {
    {
        echo "url = https://127.0.0.1:$EP_PORT/v1/records"
        echo "ca_file = $T/pki/ca.pem"
        echo "token_file = $T/token"
        echo "outbox = $T/outbox"
        echo "poll_interval = 0.1"
        echo "backoff_min = 0.2"
        echo "backoff_max = 2"
        echo "connect_timeout = 2"
        echo "request_timeout = 4"
        echo "low_speed_time = 2"
        echo "min_free_mb = 0"
    } > "$T/sender.conf"
    for l in "$@"; do set_conf "$l"; done
}
# set_conf "key = value": replaces or adds one key
set_conf() {
    _k=${1%% =*}
    sed -i "/^$_k = /d" "$T/sender.conf"
    echo "$1" >> "$T/sender.conf"
}
start_sender() {
    "$AIF" sender --config "$T/sender.conf" >>"$T/sender.log" 2>&1 &
    SENDER_PID=$!
    PIDS="$PIDS $SENDER_PID"
}
stop_sender() {
    kill -TERM "$SENDER_PID" 2>/dev/null || true
    wait "$SENDER_PID" 2>/dev/null || true
}

# produce COUNT FIRST_JOB: records through the real producer API; ids go to $T/produced.ids
produce() { "$PRODUCE" "$T/outbox" "$1" "${2:-1000}" >> "$T/produced.ids"; }

accepted_unique() { [ -f "$T/ep/accepted.log" ] && sort -u "$T/ep/accepted.log" | wc -l || echo 0; }
accepted_total() { [ -f "$T/ep/accepted.log" ] && wc -l < "$T/ep/accepted.log" || echo 0; }
requests() { [ -f "$T/ep/requests.log" ] && wc -l < "$T/ep/requests.log" || echo 0; }
waiting() { ls "$T/outbox/new" 2>/dev/null | wc -l; }

# Every produced id reached the endpoint; with "exact", none twice.
check_delivered() {
    sort -u "$T/produced.ids" > "$T/p.sorted"
    sort -u "$T/ep/accepted.log" > "$T/a.sorted"
    _missing=$(comm -23 "$T/p.sorted" "$T/a.sorted" | wc -l)
    _extra=$(comm -13 "$T/p.sorted" "$T/a.sorted" | wc -l)
    [ "$_missing" -eq 0 ] || die "$_missing produced record(s) never reached the endpoint"
    [ "$_extra" -eq 0 ] || die "$_extra unknown record id(s) reached the endpoint"
    if [ "${1:-}" = exact ]; then
        [ "$(accepted_total)" -eq "$(wc -l < "$T/p.sorted")" ] ||
            die "duplicates: $(accepted_total) deliveries for $(wc -l < "$T/p.sorted") records"
    fi
    ! grep -q "$TOKEN" "$T/sender.log" || die "the token appears in the sender log"
}

# check_schema FILE...: every record conforms to docs/record-schema.json
check_schema() {
    python3 "$S/tests/endpoint/check_schema.py" "$S/docs/record-schema.json" "$@" > "$T/schema.txt" ||
        die "records do not match docs/record-schema.json: $(head -n 5 "$T/schema.txt")"
}

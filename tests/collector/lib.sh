# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the collector tests (sourced). A real collector on 127.0.0.1 with a test
# PKI in a private temp dir; the trap stops only the processes started here, by PID.
set -eu
B=${AIF_BUILDDIR:?set AIF_BUILDDIR (make check does)}
S=${AIF_SRCDIR:?set AIF_SRCDIR (make check does)}
. "$S/tests/lib/testlib.sh"
AIF=$B/tools/aifactory
need_tools curl openssl python3
[ -x "$AIF" ] || die "build first ($AIF)"

T=$(mktemp -d /tmp/collector_test.XXXXXX)
PIDS=""
COLL_PID=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    if [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

on_failure() { tail_log "$T/collector.log" 20; }

sh "$S/tests/collector/make-certs.sh" "$T/pki"
new_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
TOKEN_A=$(new_token); TOKEN_B=$(new_token); TOKEN_FED=$(new_token)
printf '# test tokens\nsiteA %s\nsiteB %s\n* %s\n' "$TOKEN_A" "$TOKEN_B" "$TOKEN_FED" > "$T/tokens"
chmod 600 "$T/tokens"

# start_collector [extra options...]; the store is --db $T/collector.db unless options name one.
start_collector() {
    case " $* " in *" --db "*|*" --postgres "*) ;; *) set -- --db "$T/collector.db" "$@" ;; esac
    rm -f "$T/port"
    "$AIF" collector --listen 127.0.0.1:0 --cert "$T/pki/server.pem" --key "$T/pki/server.key" \
        --tokens "$T/tokens" --port-file "$T/port" "$@" 2>>"$T/collector.log" &
    COLL_PID=$!
    PIDS="$PIDS $COLL_PID"
    wait_for 10 '[ -s "$T/port" ]' || die "collector did not start"
    PORT=$(cat "$T/port")
    URL=https://127.0.0.1:$PORT
}
stop_collector() {
    kill "$COLL_PID" 2>/dev/null || true
    wait "$COLL_PID" 2>/dev/null || true
}

# api TOKEN METHOD PATH [curl args...]: prints the body to $T/out, returns; HTTP status in $CODE.
api() {
    _tok=$1 _m=$2 _p=$3
    shift 3
    CODE=$(curl -sS --cacert "$T/pki/ca.pem" -o "$T/out" -w '%{http_code}' -X "$_m" \
        -H "Authorization: Bearer $_tok" "$@" "$URL$_p") || CODE=000
}
expect() {  # expect CODE what
    [ "$CODE" = "$1" ] || { echo "--- body:"; head -c 600 "$T/out"; echo; die "$2: HTTP $CODE, expected $1"; }
}
# jq-like: jget FILE 'python expression on d'
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# A collector on $URL for the site "test-site" (token $TOKEN_A, federation $TOKEN_FED), and that
# site's producer side: keys, $T/acct.conf (outbox $T/outbox) and $T/sender.conf delivering to it.
start_site_collector() {
    printf 'test-site %s\n* %s\n' "$TOKEN_A" "$TOKEN_FED" > "$T/tokens"
    printf '%s\n' "$TOKEN_A" > "$T/site.token"; chmod 600 "$T/site.token"
    start_collector
    head -c 32 /dev/urandom > "$T/user.key"; chmod 600 "$T/user.key"
    head -c 32 /dev/urandom > "$T/prediction.key"; chmod 600 "$T/prediction.key"
    cat > "$T/acct.conf" <<CONF
site = test-site
site_namespace = 3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f
user_key_file = $T/user.key
prediction_key_file = $T/prediction.key
outbox = $T/outbox
min_free_mb = 0
CONF
    cat > "$T/sender.conf" <<CONF
url = $URL/v1/records
ca_file = $T/pki/ca.pem
token_file = $T/site.token
outbox = $T/outbox
poll_interval = 0.1
backoff_min = 0.2
backoff_max = 1
min_free_mb = 0
CONF
}

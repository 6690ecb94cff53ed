#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Ingest through 1 vs 2 collector instances on one PostgreSQL, in the same run: the same record
# set (SENDERS outboxes of RECORDS records each, 4 records per job) delivered by SENDERS real
# `aifactory sender --once`, all to instance A, then half to A and half to B. The tables are
# emptied and the outboxes refilled between runs; each setup runs ROUNDS times, alternating,
# and the best of each is compared. Needs root and Debian's postgresql (tests/collector/pg.sh);
# the server keeps its default durability (fsync on). Prints records/s and the 2-vs-1 ratio.
#   bench/bench_collect_multi.sh [SENDERS=4] [RECORDS=1000] [ROUNDS=2]
set -eu
START=$(date +%s)
S=$(cd "$(dirname "$0")/.." && pwd)
B=${AIF_BUILDDIR:-$S/build}
SENDERS=${1:-4} RECORDS=${2:-1000} ROUNDS=${3:-2}
AIF=$B/tools/aifactory
PRODUCE=$B/tests/endpoint/acct_produce
[ -x "$AIF" ] && [ -x "$PRODUCE" ] || { echo "build first: make tools/aifactory tests/endpoint/acct_produce" >&2; exit 1; }
. "$S/tests/collector/pg.sh"
T=$(mktemp -d /tmp/bench_collect_multi.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; pg_stop; rm -rf "$T"' EXIT
rc=0; pg_start "$T/pg" > "$T/pg_start.txt" || rc=$?
[ "$rc" = 0 ] || { echo "bench_collect_multi: $(cat "$T/pg_start.txt")" >&2; exit "$rc"; }
SQL="psql -q -tA -h 127.0.0.1 -p $PGPORT -U postgres -d aif"

sh "$S/tests/collector/make-certs.sh" "$T/pki" >/dev/null
TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'test-site %s\n' "$TOKEN" > "$T/tokens"; chmod 600 "$T/tokens"
printf '%s\n' "$TOKEN" > "$T/site.token"; chmod 600 "$T/site.token"

# 40 template records from the real producer (4 per job), copied into each outbox under new
# record ids (UUIDv5) and job ids: writing every record through the producer fsyncs each one.
"$PRODUCE" "$T/template" 40 1 --per-job 4 > /dev/null
python3 - "$T/template/new" "$T/pool" "$SENDERS" "$RECORDS" <<'PY'
import json, os, sys, uuid, zlib
src, pool, senders, records = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tmpl = []
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name), "rb") as f:
        f.readline()
        tmpl.append(json.loads(f.read()))
ns = uuid.UUID("6a1c0d9e-2b3f-4e5a-8c7d-9e0f1a2b3c4d")
for s in range(senders):
    d = os.path.join(pool, str(s))
    os.makedirs(d)
    for i in range(records):
        r = dict(tmpl[i % len(tmpl)])
        r["record_id"] = str(uuid.uuid5(ns, f"{s}/{i}"))
        if "job_id" in r:
            r["job_id"] = 1000000 * (s + 1) + i // 4
        body = json.dumps(r, sort_keys=True, separators=(",", ":")).encode()
        with open(os.path.join(d, "%016d-%s.rec" % (i, r["record_id"])), "wb") as f:
            f.write(b"AIFR1 %d %08x\n" % (len(body), zlib.crc32(body)) + body + b"\n")
PY

start() {  # start NAME: a collector on the shared database; its port in $T/port_NAME
    "$AIF" collector --listen 127.0.0.1:0 --cert "$T/pki/server.pem" --key "$T/pki/server.key" \
        --tokens "$T/tokens" --port-file "$T/port_$1" --postgres "$CONN" 2>>"$T/collector_$1.log" &
    PIDS="$PIDS $!"
    for _ in $(seq 1 100); do [ -s "$T/port_$1" ] && return 0; sleep 0.1; done
    echo "collector $1 did not start: $(tail -3 "$T/collector_$1.log")" >&2; exit 1
}
start A; start B
URL_A=https://127.0.0.1:$(cat "$T/port_A")/v1/records URL_B=https://127.0.0.1:$(cat "$T/port_B")/v1/records

# run INSTANCES: empty the tables, refill the outboxes, deliver; prints records/s.
run() {
    $SQL -c "TRUNCATE records, jobs"
    rm -rf "$T/ob"; mkdir -p "$T/ob"
    local s pids="" url
    for s in $(seq 0 $((SENDERS - 1))); do
        mkdir -p "$T/ob/$s"; cp -r "$T/pool/$s" "$T/ob/$s/new"
        url=$URL_A; [ "$1" = 2 ] && [ $((s % 2)) = 1 ] && url=$URL_B
        printf 'url = %s\nca_file = %s\ntoken_file = %s\noutbox = %s\nbatch_records = 100\nmin_free_mb = 0\n' \
            "$url" "$T/pki/ca.pem" "$T/site.token" "$T/ob/$s" > "$T/ob/$s.conf"
    done
    local t0; t0=$(date +%s.%N)
    for s in $(seq 0 $((SENDERS - 1))); do
        "$AIF" sender --config "$T/ob/$s.conf" --once > "$T/ob/$s.log" 2>&1 & pids="$pids $!"
    done
    for p in $pids; do wait "$p" || { echo "a sender failed: $(tail -3 "$T/ob/"*.log)" >&2; exit 1; }; done
    local t1; t1=$(date +%s.%N)
    local n; n=$($SQL -c "SELECT COUNT(*) FROM records")
    [ "$n" = $((SENDERS * RECORDS)) ] || { echo "stored $n records, expected $((SENDERS * RECORDS))" >&2; exit 1; }
    python3 -c "import sys; print('%.0f' % ($n / (float(sys.argv[2]) - float(sys.argv[1]))))" "$t0" "$t1"
}

echo "bench_collect_multi: $SENDERS senders x $RECORDS records, PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync on), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
best1=0 best2=0
echo "  setup (PostgreSQL, certificates, records, 2 collectors): $(($(date +%s) - START)) s"
for r in $(seq 1 "$ROUNDS"); do
    one=$(run 1); two=$(run 2)
    echo "  round $r: 1 instance $one records/s, 2 instances $two records/s"
    [ "$one" -gt "$best1" ] && best1=$one
    [ "$two" -gt "$best2" ] && best2=$two
done
echo "  best: 1 instance $best1 records/s (baseline), 2 instances $best2 records/s"
python3 -c "import sys; print('  ratio 2 vs 1 instance: %.2fx' % (int(sys.argv[2]) / int(sys.argv[1])))" "$best1" "$best2"
echo "  total: $(($(date +%s) - START)) s"

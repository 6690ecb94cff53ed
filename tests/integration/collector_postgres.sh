#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The PostgreSQL backend against a real server from Debian's packages: a private cluster made
# with initdb in the test's temp dir, on a free non-default port, run as the postgres user and
# stopped by its own pid file. The store unit tests run against it, then a collector on it must
# give the same reports as one on SQLite for the same deliveries.
. "$AIF_SRCDIR/tests/collector/lib.sh"
. "$S/tests/collector/pg.sh"
PG_OPTIONS="-c fsync=off"  # a throwaway test database
rc=0; pg_start "$T/pg" > "$T/pg_start.txt" || rc=$?
[ "$rc" = 77 ] && skip "$(cat "$T/pg_start.txt")"
[ "$rc" = 0 ] || die "$(cat "$T/pg_start.txt")"
trap 'pg_stop; cleanup' EXIT
say "postgres $("$PGBIN/postgres" --version | awk '{print $3}') on port $PGPORT"

say "store unit tests against PostgreSQL"
for u in validate store ingest report; do
    AIF_TEST_PG="$CONN" "$B/tests/unit/test_collect_$u" > "$T/unit.log" 2>&1 ||
        { cat "$T/unit.log"; die "unit tests (test_collect_$u) on PostgreSQL"; }
done
tail -n 1 "$T/unit.log"
psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d aif -c 'DROP TABLE records, jobs'

REC="python3 $S/tests/collector/records.py"
$REC siteA c1 101 n1 n2 > "$T/j1.json"
$REC siteA c1 101 n1 n2 --version 2 --account proj2 > "$T/j1v2.json"
$REC siteA c1 102 n3 --reject > "$T/j2.json"
$REC siteB c7 5 m1 m2 m3 --account proj9 > "$T/j3.json"
deliver() {  # the same sequence against each backend; the replies go to $T/$1.codes
    : > "$T/$1.codes"
    for f in j1 j1 j1v2 j1 j2; do
        api "$TOKEN_A" POST /v1/records --data-binary @"$T/$f.json"; echo "$f $CODE" >> "$T/$1.codes"
    done
    api "$TOKEN_B" POST /v1/records --data-binary @"$T/j3.json"; echo "j3 $CODE" >> "$T/$1.codes"
    for p in /v1/jobs/siteA/c1/101 /v1/jobs/siteA/c1/102 /v1/jobs/siteB/c7/5 "/v1/jobs?limit=50" \
             /v1/aggregates/gpu-hours /v1/aggregates/rejections /v1/aggregates/prediction-error; do
        api "$TOKEN_FED" GET "$p"; echo "GET $p $CODE" >> "$T/$1.codes"
        cat "$T/out" >> "$T/$1.replies"
    done
}
say "the same deliveries to a collector on PostgreSQL and one on SQLite"
start_collector --postgres "$CONN"
grep -q "PostgreSQL" "$T/collector.log" || die "collector not on PostgreSQL"
deliver pg
stop_collector
start_collector --db "$T/sqlite.db"
deliver lite
stop_collector
cat "$T/pg.codes"
[ "$(head -5 "$T/pg.codes" | awk '{print $2}' | tr '\n' ' ')" = "200 409 200 409 200 " ] || die "PostgreSQL replies: $(cat "$T/pg.codes")"
cmp -s "$T/pg.codes" "$T/lite.codes" || die "status codes differ: $(diff "$T/pg.codes" "$T/lite.codes")"
cmp -s "$T/pg.replies" "$T/lite.replies" || die "replies differ: $(diff "$T/pg.replies" "$T/lite.replies" | head -20)"
grep -q '"gpu_hours": 4.0' "$T/pg.replies" || die "PostgreSQL report lacks 4.0 GPU-hours"
rows=$(psql -tA -h 127.0.0.1 -p "$PGPORT" -U postgres -d aif -c 'SELECT COUNT(*), MAX(version) FROM records')
[ "$rows" = "13|2" ] || die "PostgreSQL holds '$rows', expected 13 records (4 + 4 + 5), highest version 2"
echo "PASS"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Several collectors behind one PostgreSQL: four instances start at once on an empty database
# (schema creation under its advisory lock), then two of them (A, B) take records from three
# real `aifactory sender`s at the same time: sender 1 → A, sender 2 → B, sender 3 → A for half
# of its outbox, then switched to B for the rest (re-sending part of what A already took, as
# after a crash between POST and ack). The records of each job are spread over the three
# outboxes, so one job's summary is updated through both instances at once, and some records
# sit in two outboxes. Afterwards the database must hold every record exactly once, each job's
# summary row must equal the one computed here from the record files, and every outbox must be
# drained with nothing dead-lettered.
. "$AIF_SRCDIR/tests/collector/lib.sh"
. "$S/tests/collector/pg.sh"
PRODUCE=$B/tests/endpoint/acct_produce
[ -x "$PRODUCE" ] || die "build first ($PRODUCE: make check builds it)"
PG_OPTIONS="-c fsync=off"  # a throwaway test database
rc=0; pg_start "$T/pg" > "$T/pg_start.txt" || rc=$?
[ "$rc" = 77 ] && skip "$(cat "$T/pg_start.txt")"
[ "$rc" = 0 ] || die "$(cat "$T/pg_start.txt")"
trap 'pg_stop; cleanup' EXIT
on_failure() { for n in A B C D; do tail_log "$T/collector_$n.log" 10; done; }
say "postgres $("$PGBIN/postgres" --version | awk '{print $3}') on port $PGPORT"
SQL="psql -tA -F| -h 127.0.0.1 -p $PGPORT -U postgres -d aif"
printf 'test-site %s\n* %s\n' "$TOKEN_A" "$TOKEN_FED" > "$T/tokens"
printf '%s\n' "$TOKEN_A" > "$T/site.token"; chmod 600 "$T/site.token"

launch() {  # launch NAME: one collector on the shared database, not waiting for it
    rm -f "$T/port_$1"
    "$AIF" collector --listen 127.0.0.1:0 --cert "$T/pki/server.pem" --key "$T/pki/server.key" \
        --tokens "$T/tokens" --port-file "$T/port_$1" --postgres "$CONN" 2>>"$T/collector_$1.log" &
    eval "PID_$1=$!"
    PIDS="$PIDS $!"
}
say "four collectors start at once on the empty database"
for n in A B C D; do launch $n; done
for n in A B C D; do
    wait_for 20 '[ -s "$T/port_'$n'" ]' || die "collector $n did not start: $(tail -3 "$T/collector_$n.log")"
done
[ "$($SQL -c "SELECT COUNT(*) FROM information_schema.columns WHERE table_name IN ('records', 'jobs')")" = 46 ] ||
    die "schema: expected 46 columns in records and jobs"
kill "$PID_C" "$PID_D"; wait "$PID_C" "$PID_D" 2>/dev/null || true
URL_A=https://127.0.0.1:$(cat "$T/port_A"); URL_B=https://127.0.0.1:$(cat "$T/port_B")

say "1200 records of 300 jobs (4 records each), spread over three outboxes, some in two"
"$PRODUCE" "$T/pool" 1200 7000 --per-job 4 > "$T/produced.ids"
[ "$(sort -u "$T/produced.ids" | wc -l)" = 1200 ] || die "producer wrote $(sort -u "$T/produced.ids" | wc -l) distinct records"
for o in 1 2 3; do mkdir -p "$T/outbox$o/new"; done
mkdir -p "$T/later3"
i=0
for f in "$T/pool/new/"*.rec; do
    o=$((i % 3 + 1))
    # Sender 3 gets its second half only after the switch to B.
    if [ $o = 3 ] && [ $((i % 2)) = 1 ]; then cp "$f" "$T/later3/"; else cp "$f" "$T/outbox$o/new/"; fi
    [ $((i % 10)) = 0 ] && [ $o = 1 ] && cp "$f" "$T/outbox2/new/"  # also in sender 2's outbox
    [ $((i % 7)) = 0 ] && [ $o = 3 ] && cp "$f" "$T/outbox1/new/"   # also in sender 1's
    i=$((i + 1))
done
placed() { ls "$T/outbox$1/new" | wc -l; }
N1=$(placed 1) N2=$(placed 2) N3=$(( $(placed 3) + $(ls "$T/later3" | wc -l) ))
[ $((N1 + N2 + N3)) -gt 1200 ] || die "no record placed twice"
say "outboxes: $N1 + $N2 + $N3 records ($((N1 + N2 + N3 - 1200)) duplicates)"

sender_conf() {  # sender_conf N URL
    cat > "$T/sender$1.conf" <<CONF
url = $2/v1/records
ca_file = $T/pki/ca.pem
token_file = $T/site.token
outbox = $T/outbox$1
batch_records = 25
poll_interval = 0.05
backoff_min = 0.1
backoff_max = 0.5
min_free_mb = 0
CONF
}
sender_conf 1 "$URL_A"; sender_conf 2 "$URL_B"; sender_conf 3 "$URL_A"
say "senders 1 (→ A) and 2 (→ B) run while sender 3 delivers its first half to A"
"$AIF" sender --config "$T/sender1.conf" > "$T/sender1.log" 2>&1 & S1=$!
"$AIF" sender --config "$T/sender2.conf" > "$T/sender2.log" 2>&1 & S2=$!
PIDS="$PIDS $S1 $S2"
"$AIF" sender --config "$T/sender3.conf" --once > "$T/sender3.log" 2>&1 || die "sender 3 (A): $(tail -3 "$T/sender3.log")"
[ "$(placed 3)" = 0 ] || die "sender 3 left $(placed 3) records for A"

say "sender 3 switched to B: its second half, and 40 records A already took, sent again"
sender_conf 3 "$URL_B"
mv "$T/later3/"*.rec "$T/outbox3/new/"
for f in $(ls "$T/outbox3/sent" | head -40); do mv "$T/outbox3/sent/$f" "$T/outbox3/new/"; done
"$AIF" sender --config "$T/sender3.conf" > "$T/sender3b.log" 2>&1 & S3=$!
PIDS="$PIDS $S3"
wait_for 90 '[ "$(placed 1)$(placed 2)$(placed 3)" = 000 ]' ||
    die "outboxes not drained: $(placed 1) $(placed 2) $(placed 3) left"
kill "$S1" "$S2" "$S3"; wait "$S1" "$S2" "$S3" 2>/dev/null || true

say "every outbox drained, nothing dead-lettered"
for o in 1 2 3; do
    [ -z "$(ls "$T/outbox$o/dead" 2>/dev/null)" ] || die "sender $o dead-lettered: $(cat "$T/outbox$o/dead/"*.reason | head -3)"
done
[ "$(ls "$T/outbox1/sent" | wc -l)" = "$N1" ] || die "sender 1: $(ls "$T/outbox1/sent" | wc -l) sent of $N1"
[ "$(ls "$T/outbox2/sent" | wc -l)" = "$N2" ] || die "sender 2: $(ls "$T/outbox2/sent" | wc -l) sent of $N2"
[ "$(ls "$T/outbox3/sent" | wc -l)" = "$N3" ] || die "sender 3: $(ls "$T/outbox3/sent" | wc -l) sent of $N3"
for n in A B; do
    grep -q "POST /v1/records 200" "$T/collector_$n.log" || die "collector $n stored nothing"
done

say "25 records A took from sender 1, sent to B by sender 3: acknowledged (409), nothing changes"
for f in $(ls "$T/outbox1/sent" | head -25); do cp "$T/outbox1/sent/$f" "$T/outbox3/new/"; done
"$AIF" sender --config "$T/sender3.conf" --once > "$T/sender3c.log" 2>&1 || die "sender 3 (repeat): $(tail -3 "$T/sender3c.log")"
[ "$(placed 3)" = 0 ] || die "repeated records not acknowledged"
[ "$(grep -c "POST /v1/records 409" "$T/collector_B.log")" -ge 1 ] || die "B did not answer 409 to records A held"

say "the database holds every record once and each job's summary equals its records'"
$SQL -c "SELECT record_id FROM records ORDER BY 1" > "$T/db.ids"
sort "$T/produced.ids" | cmp -s - "$T/db.ids" ||
    die "records differ from those produced: $(sort "$T/produced.ids" | diff - "$T/db.ids" | head -5)"
$SQL -c "SELECT job_id, nrec, nsteps, gs, bgs, t0, t1 FROM jobs ORDER BY job_id" > "$T/db.jobs"
python3 - "$T/pool/new" "$T/db.jobs" <<'PY' || die "job summaries differ from the records"
import calendar, json, os, sys, time
def epoch(t): return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ"))
jobs = {}
for name in os.listdir(sys.argv[1]):
    with open(os.path.join(sys.argv[1], name), "rb") as f:
        f.readline()  # AIFR1 header
        r = json.loads(f.read())
    if "job_id" not in r:
        continue
    j = jobs.setdefault(r["job_id"], {"nrec": 0, "nsteps": 0, "gs": 0.0, "bgs": 0.0, "t": []})
    j["nrec"] += 1
    if r["kind"] == "step_end":
        key = "bgs" if r["step_id"] == "batch" else "gs"
        j["nsteps"] += key == "gs"
        j[key] += r.get("gpu_seconds", 0)
    j["t"].append(epoch(r.get("end_time") or r["created"]))
want = [f'{k}|{j["nrec"]}|{j["nsteps"]}|{j["gs"]:g}|{j["bgs"]:g}|{min(j["t"])}|{max(j["t"])}'
        for k, j in sorted(jobs.items())]
got = open(sys.argv[2]).read().split()
if got != want:
    diff = [(w, g) for w, g in zip(want, got) if w != g][:5]
    sys.exit(f"{len(got)} job rows, {len(want)} expected; first differences (want, got): {diff}")
print(f"{len(want)} jobs, {sum(j['nrec'] for j in jobs.values())} job records, summaries match")
PY
api_on() { URL=$1; shift; api "$@"; }
api_on "$URL_A" "$TOKEN_FED" GET /v1/aggregates/gpu-hours; expect 200 "gpu-hours from A"
cp "$T/out" "$T/gh_A.json"
api_on "$URL_B" "$TOKEN_FED" GET /v1/aggregates/gpu-hours; expect 200 "gpu-hours from B"
cmp -s "$T/out" "$T/gh_A.json" || die "A and B report different GPU-hours"
# 960 step ends (1200 less 120 job ends and 120 decisions) x 240 GPU-seconds = 64 GPU-hours, 300 jobs
[ "$(jget "$T/out" '[(i["gpu_hours"], i["jobs"]) for i in d["items"]]')" = "[(64.0, 300)]" ] || die "gpu-hours: $(cat "$T/out")"
echo "PASS"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The operator commands word for word (issue 17): spool show/requeue by id prefix, exit codes
# when nothing matches, sender --once printing what it delivered, missing files and a missing
# acct.conf named as such. Real producer, sender and HTTPS endpoint on 127.0.0.1.
. "$AIF_SRCDIR/tests/integration/acct_lib.sh"

# says RC 'exact first stderr line' ARGS...
says() {
    _rc=$1 _want=$2
    shift 2
    set +e
    "$AIF" "$@" > "$T/out.txt" 2> "$T/err.txt"
    _got=$?
    set -e
    [ "$_got" -eq "$_rc" ] || die "aifactory $*: exit $_got, want $_rc ($(cat "$T/err.txt"))"
    [ "$(head -n1 "$T/err.txt")" = "$_want" ] || die "aifactory $*: said '$(cat "$T/err.txt")', want '$_want'"
}

start_endpoint good
write_conf
produce 3 2000
SP="spool --config $T/sender.conf"
id=$(head -n1 "$T/produced.ids")
prefix=$(printf '%s' "$id" | cut -c1-8)

# show: a whole id, a unique prefix, nothing, an ambiguous prefix of the file names.
# shellcheck disable=SC2086
"$AIF" $SP show "$id" > "$T/show.txt" || die "spool show ID failed"
grep -q "^$T/outbox/new/.*\.rec$" "$T/show.txt" && grep -q "\"$id\"" "$T/show.txt" || die "spool show ID: $(cat "$T/show.txt")"
# shellcheck disable=SC2086
"$AIF" $SP show "$prefix" > "$T/show_prefix.txt" || die "spool show PREFIX failed"
cmp -s "$T/show.txt" "$T/show_prefix.txt" || die "spool show $prefix differs from spool show $id"
# shellcheck disable=SC2086
says 1 "aifactory spool show: no record 'zzzz' (id, file name or a prefix of one) in $T/outbox" $SP show zzzz
name_prefix=$(ls "$T/outbox/new" | head -n1 | cut -c1-4)
# shellcheck disable=SC2086
says 2 "aifactory spool show: '$name_prefix' starts 3 records ($(ls "$T/outbox/new" | head -n3 | sed 's|^|new/|' | paste -sd, - | sed 's/,/, /g')); give more of it" \
    $SP show "$name_prefix"
# shellcheck disable=SC2086
says 2 "aifactory spool show: give a record id or file name" $SP show
# shellcheck disable=SC2086
says 2 "aifactory spool list: --json goes with status only" $SP list --json
# shellcheck disable=SC2086
says 2 "aifactory spool: --jsn: unknown option (did you mean --json?); see aifactory spool --help" $SP status --jsn
# shellcheck disable=SC2086
says 2 "aifactory spool: unknown command 'bogus' (status, list, show, requeue, test-record)" $SP bogus
says 1 "aifactory spool status: $T/nonexistent: No such file or directory (the outbox; see --outbox, --config)" \
    spool --outbox "$T/nonexistent" status
says 2 "aifactory spool status: $T/nonexistent.conf: No such file or directory" spool --config "$T/nonexistent.conf" status
# shellcheck disable=SC2086
"$AIF" $SP status --json | python3 -c 'import json,sys; assert json.load(sys.stdin)["waiting"] == 3' ||
    die "spool status --json"

# sender --once says what it delivered.
"$AIF" sender --config "$T/sender.conf" --once > "$T/once.txt" 2>> "$T/sender.log" || die "sender --once failed"
[ "$(cat "$T/once.txt")" = "delivered 3 record(s) in 1 request(s); 0 dead-lettered, 0 quarantined" ] ||
    die "sender --once printed '$(cat "$T/once.txt")'"
"$AIF" sender --config "$T/sender.conf" --once > "$T/once.txt" 2>> "$T/sender.log" || die "sender --once (empty) failed"
[ "$(cat "$T/once.txt")" = "delivered 0 record(s) in 0 request(s); 0 dead-lettered, 0 quarantined" ] ||
    die "sender --once on an empty outbox printed '$(cat "$T/once.txt")'"
says 2 "aifactory sender: $T/missing.conf: No such file or directory" sender --config "$T/missing.conf"
says 2 "aifactory sender: --onse: unknown option (did you mean --once?); see aifactory sender --help" sender --onse

# requeue by prefix from sent/; nothing matching is an error.
# shellcheck disable=SC2086
"$AIF" $SP requeue "$prefix" > "$T/requeue.txt" || die "spool requeue PREFIX failed"
[ "$(cat "$T/requeue.txt")" = "requeued $id (was in sent/)" ] || die "requeue said '$(cat "$T/requeue.txt")'"
# shellcheck disable=SC2086
says 1 "aifactory spool requeue: no dead, quarantined or sent record 'zzzz'" $SP requeue zzzz
# shellcheck disable=SC2086
says 2 "aifactory spool requeue: give an ID or --dead/--quarantine, not both" $SP requeue "$prefix" --dead

# report: a missing acct.conf is called missing, with the file and the variable that names it.
AIFACTORY_ACCT_CONF=$T/missing.conf says 2 \
    "aifactory report: --site is required: $T/missing.conf is missing (set AIFACTORY_ACCT_CONF or give --acct-config FILE)" \
    report 2000 --offline --sender-config "$T/sender.conf"
says 2 "aifactory report: --acct-config: $T/missing.conf is missing" \
    report 2000 --offline --sender-config "$T/sender.conf" --acct-config "$T/missing.conf"
write_producer_conf
# report without a cluster (none in acct.conf, no --cluster): the one cluster with records of the
# job in the outbox; none or several is exit 2 with what was found.
export AIFACTORY_ACCT_CONF="$T/acct.conf"
says 2 "aifactory report: --cluster is required (no 'cluster' in $T/acct.conf, and no records of job 2999 on site test-site in the outbox $T/outbox)" \
    report 2999 --offline --sender-config "$T/sender.conf"
"$AIF" report 2000 --offline --sender-config "$T/sender.conf" > "$T/report.txt" || die "report 2000 without --cluster failed"
[ "$(head -n1 "$T/report.txt")" = "Job 2000 on testcluster (site test-site)" ] || die "report 2000: $(head -n1 "$T/report.txt")"
"$PRODUCE" "$T/outbox" 1 2000 --cluster othercluster > /dev/null || die "produce on othercluster"
says 2 "aifactory report: job 2000 has records from 2 clusters in the outbox $T/outbox: othercluster, testcluster; give --cluster NAME" \
    report 2000 --offline --sender-config "$T/sender.conf"
"$AIF" report 2000 --offline --sender-config "$T/sender.conf" --cluster othercluster > "$T/report.txt" || die "report --cluster othercluster"
[ "$(head -n1 "$T/report.txt")" = "Job 2000 on othercluster (site test-site)" ] || die "report --cluster: $(head -n1 "$T/report.txt")"
unset AIFACTORY_ACCT_CONF

# test-record: one synthetic record through the plugins' producer, without Slurm (issue 17).
says 1 "aifactory spool test-record: aifactory accounting: record not built: record: cluster is required (no 'cluster' in acct.conf: give --cluster NAME)" \
    spool test-record --acct-config "$T/acct.conf"
says 1 "aifactory spool test-record: aifactory accounting off: $T/missing.conf: No such file or directory" \
    spool test-record --acct-config "$T/missing.conf"
says 2 "aifactory spool test-record: test-record writes to the outbox acct.conf names (see --acct-config)" $SP test-record
"$AIF" spool test-record --acct-config "$T/acct.conf" --cluster testcluster --job-id 4242 > "$T/test_record.txt" ||
    die "spool test-record: $(cat "$T/test_record.txt")"
tr_id=$(sed -n "s/^wrote test record \([0-9a-f-]*\) (job 4242, step 'test', node .*)\$/\1/p" "$T/test_record.txt")
[ -n "$tr_id" ] || die "spool test-record said: $(cat "$T/test_record.txt")"
"$AIF" $SP show "$tr_id" > "$T/show_test.txt" || die "spool show of the test record failed"
grep -q '"step_id": "test"' "$T/show_test.txt" || die "the test record: $(cat "$T/show_test.txt")"
"$AIF" sender --config "$T/sender.conf" --once > "$T/once.txt" || die "sender --once after test-record: $(cat "$T/once.txt")"
"$AIF" $SP show "$tr_id" | grep -q "^$T/outbox/sent/" || die "the test record was not delivered: $(cat "$T/once.txt")"
say "PASS: spool, sender and report say what happened"

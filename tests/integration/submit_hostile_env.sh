#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 11: any user can hand slurmctld a spank_job_env of their own through the submit API,
# bypassing sbatch. An option name that forges a log line, a 16 MB option name, 40 000 options
# and 40 distinct 8 MB --llm-config values are refused at once; slurmctld stays responsive for
# other users, logs no forged line and does not keep the values.
source "$(dirname "$0")/submit_lib.sh"
client_src=$AIF_BUILDDIR/tests/integration/submit_hostile_client
[ -x "$client_src" ] || die "$client_src not built (make check builds it)"
start_cluster
client=$CLUSTER_ROOT/work/submit_hostile_client  # where the unprivileged user can run it
cp "$client_src" "$client" && chmod 755 "$client"
log=$CLUSTER_ROOT/log/slurmctld.log
ctld_pid=$(cat "$CLUSTER_ROOT/pids/slurmctld")
rss_mb() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$ctld_pid/status"; }
ms_of() { awk -v m="$1" '$1 == m {print int($2)}' "$OUT" | sort -n | tail -1; }  # slowest

as_user "$client" normal boost_usr_prod
grep -q '^normal .* ok' "$OUT" && ok "a normal submission through the API is accepted" ||
    fail "normal submission: $(cat "$OUT" "$ERR")"

# Forged log line: the name is echoed printable, so its newline cannot start a line of its own.
as_user "$client" forged boost_usr_prod
grep -q '^forged .* ok' "$OUT" && fail "forged option name accepted" || ok "forged option name refused"
sleep 0.5
expect_no_line "$log" '^\[2026-01-01[tT]00:00\] error: pwn' "no forged line in slurmctld.log"
expect_line "$log" 'bad request: --llm-x\?\[2026-01-01t00:00\] error: pwn: needs a value' \
    "the name is logged, newline as '?'"
expect_no_line "$ERR" '^\[2026-01-01' "no forged line in the user's message either"

# What sending 16 MB costs by itself: another plugin's entry, which ours only skips.
as_user "$client" huge-foreign boost_usr_prod
base_ms=$(ms_of huge-foreign)
grep -q '^huge-foreign .* ok' "$OUT" && fail "405B model on 4 GPUs accepted"
# A 16 MB option name while another user submits: both answered at once.
runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" "$client" huge-key boost_usr_prod >huge.out 2>huge.err &
huge_pid=$!
t0=$(date +%s%N)
as_user timeout 20 sbatch --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 \
    --hold --wrap true
other_ms=$((($(date +%s%N) - t0) / 1000000))
[ "$RC" -eq 0 ] && ok "another user's sbatch answered during the 16 MB submission (${other_ms} ms)" ||
    fail "another user's sbatch: exit $RC after ${other_ms} ms: $(cat "$ERR")"
wait "$huge_pid"
huge_ms=$(awk '$1 == "huge-key" {print int($2)}' huge.out)
grep -q '^huge-key .* ok' huge.out && fail "16 MB option name accepted"
# The plugin's share must be small next to Slurm's own (~1.5 s of edit distance before).
[ -n "$huge_ms" ] && [ -n "$base_ms" ] && [ "$huge_ms" -lt $((2 * base_ms + 200)) ] &&
    ok "16 MB option name refused in ${huge_ms} ms (a 16 MB entry of another plugin: ${base_ms} ms)" ||
    fail "16 MB option name: ${huge_ms:-no answer} ms vs ${base_ms:-?} ms for any 16 MB entry: $(head -c 300 huge.err)"
expect_line huge.err 'aifactory: --llm-q+\.\.\.: option name' "says the name is too long"

as_user "$client" many-keys boost_usr_prod
many_ms=$(ms_of many-keys)
[ -n "$many_ms" ] && [ "$many_ms" -lt 2000 ] && ok "40 000 options refused in ${many_ms} ms" ||
    fail "40 000 options: ${many_ms:-no answer} ms: $(head -c 300 "$OUT")"
expect_line "$ERR" 'too many --llm-\* options' "says there are too many options"

# 40 distinct 8 MB --llm-config values: the decision cache keeps none of them. slurmctld's own
# message buffers stay in its allocator after a round (~250 MB here, with or without the plugin,
# and in whichever round its RPC threads happen to need them), so the growth that counts is the
# smaller of two later rounds of 40 new values: a cache that kept them would grow ~320 MB in each.
GROWN=
big_round() {  # big_round FIRST: 40 jobs with values FIRST..FIRST+39; sets GROWN (MB)
    local before
    before=$(rss_mb)
    as_user "$client" big-config boost_usr_prod 40 "$1"
    [ "$(grep -c '^big-config ' "$OUT")" -eq 40 ] || fail "big --llm-config: $(head -c 300 "$OUT" "$ERR")"
    grep -q '^big-config .* ok' "$OUT" && fail "an 8 MB --llm-config value was accepted"
    GROWN=$(($(rss_mb) - before))
}
big_round 0
first_mb=$GROWN
big_round 40
second_mb=$GROWN
big_round 80
third_mb=$GROWN
[ "$second_mb" -lt "$third_mb" ] && GROWN=$second_mb
echo "slurmctld RSS growth over rounds of 40 x 8 MB --llm-config: ${first_mb}, ${second_mb}, ${third_mb} MB"
[ "$GROWN" -lt 50 ] && ok "slurmctld grew by $GROWN MB over 40 new 8 MB values (< 50)" ||
    fail "slurmctld grew by $GROWN MB over 40 new 8 MB values, in both later rounds"

timeout 10 scontrol ping | grep -q 'is UP' && ok "slurmctld responsive" || fail "scontrol ping failed"
cluster_alive slurmctld && ok "slurmctld still running" || fail "slurmctld died"
finish

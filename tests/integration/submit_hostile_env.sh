#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 11: any user can hand slurmctld a spank_job_env of their own through the submit API,
# bypassing sbatch. A 16 MB option name, 40 000 options, an option name that forges a log line and
# 40 distinct 8 MB --llm-config values are refused at once; slurmctld stays responsive for other
# users, logs no forged line and does not grow.
source "$(dirname "$0")/submit_lib.sh"
client_src=$AIF_BUILDDIR/tests/integration/submit_hostile_client
[ -x "$client_src" ] || { echo "FAIL: $client_src not built (make check builds it)"; exit 1; }
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

# Forged log line: the name is echoed printable, so the newline cannot start a line of its own.
as_user "$client" forged boost_usr_prod
grep -q '^forged .* ok' "$OUT" && fail "forged option name accepted" || ok "forged option name refused"
sleep 0.5
expect_no_line "$log" '^\[2026-01-01[tT]00:00\] error: pwn' "no forged line in slurmctld.log"
expect_line "$log" 'bad request: --llm-\?\[2026-01-01t00:00\] error: pwn: needs a value' "the name is logged, newline as '?'"
expect_no_line "$ERR" '^\[2026-01-01' "no forged line in the user's message either"

# A 16 MB option name while another user submits: both answered at once.
as_user "$client" huge-key boost_usr_prod &
huge_pid=$!
t0=$(date +%s%N)
runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" AIFACTORY_DATADIR="$AIFACTORY_DATADIR" \
    timeout 20 sbatch --llm-model=llama3.1-8b -N 1 --gpus-per-node=4 --mem=100 --hold --wrap true \
    >other.out 2>other.err
other_rc=$? other_ms=$((($(date +%s%N) - t0) / 1000000))
wait "$huge_pid"
[ "$other_rc" -eq 0 ] && ok "another user's sbatch answered during the 16 MB submission (${other_ms} ms)" ||
    fail "another user's sbatch: exit $other_rc after ${other_ms} ms: $(cat other.err)"
huge_ms=$(ms_of huge-key)
grep -q '^huge-key .* ok' "$OUT" && fail "16 MB option name accepted"
[ -n "$huge_ms" ] && [ "$huge_ms" -lt 5000 ] && ok "16 MB option name refused in ${huge_ms} ms" ||
    fail "16 MB option name: ${huge_ms:-no answer} ms: $(cat "$OUT" "$ERR" | head -c 300)"
expect_line "$ERR" 'name too long' "says the name is too long"

as_user "$client" many-keys boost_usr_prod
many_ms=$(ms_of many-keys)
[ -n "$many_ms" ] && [ "$many_ms" -lt 5000 ] && ok "40 000 options refused in ${many_ms} ms" ||
    fail "40 000 options: ${many_ms:-no answer} ms: $(head -c 300 "$OUT")"
expect_line "$ERR" 'too many --llm-\* options' "says there are too many options"

# 40 distinct 8 MB --llm-config values: the decision cache keeps none of them.
rss0=$(rss_mb)
as_user "$client" big-config boost_usr_prod 40
[ "$(grep -c '^big-config ' "$OUT")" -eq 40 ] && ok "40 big --llm-config submissions answered" ||
    fail "big --llm-config: $(head -c 300 "$OUT" "$ERR")"
grep -q '^big-config .* ok' "$OUT" && fail "an 8 MB --llm-config value was accepted"
rss1=$(rss_mb)
echo "slurmctld RSS: ${rss0} MB before, ${rss1} MB after 40 x 8 MB --llm-config"
[ $((rss1 - rss0)) -lt 200 ] && ok "slurmctld grew by $((rss1 - rss0)) MB (< 200)" ||
    fail "slurmctld grew by $((rss1 - rss0)) MB"

timeout 10 scontrol ping | grep -q 'is UP' && ok "slurmctld responsive" || fail "scontrol ping failed"
cluster_alive slurmctld && ok "slurmctld still running" || fail "slurmctld died"
finish

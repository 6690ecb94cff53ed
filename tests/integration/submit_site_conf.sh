#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A broken or changed aifactory.conf never takes slurmctld down: at start-up jobs pass through
# with an error in the log; a later edit is picked up without a restart, and a broken edit keeps
# the previous configuration.
source "$(dirname "$0")/submit_lib.sh"
CLUSTER_SITE_CONF='ReloadInterval=1
PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce Headroom=bogus'
start_cluster
log=$CLUSTER_ROOT/log/slurmctld.log
big=(--llm-model=llama3.1-70b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 -o /dev/null --wrap true)

cluster_alive slurmctld && ok "slurmctld up with a broken aifactory.conf" || fail "slurmctld died"
expect_line "$log" "aifactory: loading configuration: .*aifactory\.conf:2: Headroom" "log names file:line"
as_user sbatch "${big[@]}"
expect_rc 0 "LLM job passes through while the site file is broken"
as_user sbatch -N 1 --gpus-per-node=1 --mem=100 -o /dev/null --wrap true
expect_rc 0 "plain job accepted"

# Fix the file: the watcher reloads it within ReloadInterval, no restart or reconfigure.
printf 'ReloadInterval=1\nPartitionName=boost_usr_prod System=leonardo-booster Policy=enforce\n' \
    >"$CLUSTER_ROOT/aifactory.conf"
for _ in $(seq 1 50); do grep -q 'aifactory: loaded .*1 partitions checked' "$log" && break; sleep 0.2; done
as_user sbatch "${big[@]}"
expect_rc 1 "fixed file is enforced without a restart"

# Break it again: the previous configuration stays in force.
echo 'PartitionName=boost_usr_prod System=leonardo-booster Policy=sometimes' >>"$CLUSTER_ROOT/aifactory.conf"
for _ in $(seq 1 50); do grep -q 'keeping the previous configuration' "$log" && break; sleep 0.2; done
expect_line "$log" 'aifactory\.conf:3: Policy: .sometimes. is not enforce, warn or off; keeping the previous' "broken edit logged"
as_user sbatch "${big[@]}"
expect_rc 1 "previous configuration still enforced"

# An unknown catalogue partition disables only that rule; a missing file passes jobs through.
printf 'ReloadInterval=1\nPartitionName=boost_usr_prod System=leonardo-boostr\nPartitionName=standard-g System=lumi-g\n' \
    >"$CLUSTER_ROOT/aifactory.conf"
for _ in $(seq 1 50); do grep -q 'System=leonardo-boostr' "$log" && break; sleep 0.2; done
expect_line "$log" "aifactory\.conf:2: System=leonardo-boostr: .*partition boost_usr_prod is not checked" "unknown System= logged"
as_user sbatch -p boost_usr_prod "${big[@]}"
expect_rc 0 "partition with an unknown System= passes through"
expect_line "$ERR" 'aifactory: partition boost_usr_prod is not described in' "user told it was not checked"
as_user sbatch -p standard-g --llm-model=llama3.1-405b -N 1 --gpus-per-node=8 --mem=100 --wrap true
expect_rc 1 "the other rule still works"
expect_line "$ERR" '^sbatch: error: Nothing fits on this partition; see: aifactory fit --where$' "no fix found is said so"
rm -f "$CLUSTER_ROOT/aifactory.conf"
for _ in $(seq 1 50); do grep -q 'aifactory.conf: No such file' "$log" && break; sleep 0.2; done
expect_line "$log" 'aifactory\.conf: No such file or directory; keeping the previous' "missing file logged"
cluster_alive slurmctld && ok "slurmctld still running" || fail "slurmctld died"
finish

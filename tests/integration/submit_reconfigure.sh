#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `scontrol reconfigure` with the job_submit plugin loaded (issue 16). From 23.11 slurmctld
# re-executes itself and runs the plugin's init() again: the edited aifactory.conf is in force at
# once and slurmctld keeps answering. Before 23.11 an unchanged job_submit plugin is not
# re-initialised: the edit waits for the watcher (ReloadInterval), which the test sets far away.
# Run on the build machine's Slurm and, through tests/slurm_runtime.sh, on 26.05.
source "$(dirname "$0")/submit_lib.sh"
CLUSTER_SITE_CONF='ReloadInterval=3600
PartitionName=boost_usr_prod System=leonardo-booster Policy=enforce
PartitionName=standard-g System=lumi-g Policy=enforce'
start_cluster
log=$CLUSTER_ROOT/log/slurmctld.log
version=$(slurm_version_number)
big=(-p standard-g --llm-model=llama3.1-70b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 -o /dev/null --wrap true)

as_user sbatch "${big[@]}"
expect_rc 1 "Policy=enforce rejects a job that does not fit"

# The site switches standard-g to warn and reconfigures.
sed -i 's/^PartitionName=standard-g .*/PartitionName=standard-g System=lumi-g Policy=warn/' "$CLUSTER_ROOT/aifactory.conf"
loads=$(grep -c 'aifactory: loaded' "$log")
if scontrol reconfigure >reconf.out 2>&1; then ok "scontrol reconfigure answered"
else fail "scontrol reconfigure: $(cat reconf.out)"; fi
# A re-executed slurmctld writes its new pid to SlurmctldPidFile: follow it, so that cluster_stop
# stops the daemon that runs now.
up=0
for _ in $(seq 1 100); do
    scontrol ping 2>/dev/null | grep -q UP && { up=1; break; }
    sleep 0.2
done
[ "$up" = 1 ] && ok "slurmctld answers after the reconfigure" || fail "slurmctld does not answer after the reconfigure"
pidfile=$CLUSTER_ROOT/pids/slurmctld.pidfile
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then cp "$pidfile" "$CLUSTER_ROOT/pids/slurmctld"; fi
cluster_alive slurmctld && ok "slurmctld running (pid $(cat "$CLUSTER_ROOT/pids/slurmctld"))" || fail "slurmctld gone"

as_user sbatch "${big[@]}"
if [ "$version" -ge 2311 ]; then
    for _ in $(seq 1 50); do [ "$(grep -c 'aifactory: loaded' "$log")" -gt "$loads" ] && break; sleep 0.2; done
    [ "$(grep -c 'aifactory: loaded' "$log")" -gt "$loads" ] &&
        ok "init() ran again: aifactory.conf re-read on reconfigure ($version)" ||
        fail "no new 'aifactory: loaded' line after the reconfigure ($version)"
    expect_rc 0 "the edited policy (warn) is in force after the reconfigure"
    expect_line "$ERR" 'accepted anyway \(policy warn on standard-g\)' "the warning says why"
else
    [ "$(grep -c 'aifactory: loaded' "$log")" -eq "$loads" ] &&
        ok "init() not re-run on reconfigure ($version): the watcher reloads instead" ||
        fail "aifactory.conf was re-read on reconfigure ($version), which docs/operations.md says it is not"
    expect_rc 1 "the old policy stays until the watcher reloads (ReloadInterval)"
fi

# A second reconfigure: still answering, no aifactory error in the log.
scontrol reconfigure >/dev/null 2>&1
for _ in $(seq 1 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then cp "$pidfile" "$CLUSTER_ROOT/pids/slurmctld"; fi
as_user sbatch -p standard-g --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 -o /dev/null --hold --wrap true
expect_rc 0 "a job that fits is accepted after a second reconfigure"
expect_line "$ERR" 'aifactory: OK, llama3\.1-8b fits' "with its prediction line"
grep -E 'aifactory.*(error|exception|failed)' "$log" >errors.txt
[ -s errors.txt ] && fail "aifactory errors in slurmctld.log: $(head -3 errors.txt)" || ok "no aifactory error in slurmctld.log"
finish

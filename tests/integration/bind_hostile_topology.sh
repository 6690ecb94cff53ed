#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aifactory_bind on a real local Slurm (tests/cluster) against a hostile job user (nobody):
# HWLOC_XMLFILE in the job's environment naming a file that crashed hwloc's reader, /dev/zero
# (slurmstepd grew until the OOM killer took it) or a FIFO (slurmstepd blocked in open(), the
# node went NOT_RESPONDING) must not matter. Each step finishes normally, planned from the
# root-written cache; slurmd stays up and responsive and a following job runs.
set -u
: "${AIF_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
# shellcheck source=tests/lib/testlib.sh
. "$AIF_SRCDIR/tests/lib/testlib.sh"
lib=${CLUSTER_LIB:-$AIF_SRCDIR/tests/cluster/lib.sh}
[ -f "$lib" ] || skip "the cluster harness $lib is not in this tree"
# shellcheck source=tests/cluster/lib.sh
source "$lib"
so=$AIF_BUILDDIR/plugins/bind/.libs/aifactory_bind.so
[ -f "$so" ] || die "$so not built"

scratch=$(mktemp -d /tmp/aif-bind-hostile.XXXXXX)
chmod 0755 "$scratch"
cache=$scratch/topology.xml
cp "$so" "$scratch/aifactory_bind.so"
# The attacker's files, owned by the job user in a directory of theirs.
mkdir "$scratch/user" && chown nobody "$scratch/user"
runuser -u nobody -- sh -c "printf '<topology version=\"2.1' >'$scratch/user/t.xml' && mkfifo '$scratch/user/fifo.xml'"
unblock() { timeout 2 bash -c "exec 3>'$scratch/user/fifo.xml'" 2>/dev/null; }  # frees a reader stuck in open()
CLUSTER_JOB_SUBMIT=
CLUSTER_SPANK=$scratch/aifactory_bind.so
CLUSTER_SPANK_ARGS="cache=$cache"
trap 'unblock; cluster_stop; rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
# Daemons (and their slurmstepd) under a 4 GiB address-space limit: should /dev/zero be read
# again, the step fails here instead of growing until the OOM killer picks a process.
ulimit -v 4194304
cluster_start || exit $?

work=$CLUSTER_ROOT/work
chmod 0777 "$work"
as_nobody() { (cd "$work" && timeout 30 runuser -u nobody -- srun --mem=100 "$@") >"$work/out" 2>"$work/err"; }
node_state() { scontrol -o show node localhost | sed -n 's/.* State=\([^ ]*\).*/\1/p'; }

[ -s "$cache" ] || fail "slurmd wrote no topology cache at $cache"
for f in "$scratch/user/t.xml" /dev/zero "$scratch/user/fifo.xml"; do
    start=$SECONDS
    as_nobody -n1 --llm-bind=verbose --export=ALL,HWLOC_XMLFILE="$f" \
        bash -c 'echo "ran HWLOC_XMLFILE=$HWLOC_XMLFILE"'
    rc=$? took=$((SECONDS - start))
    [ $rc -eq 0 ] || fail "HWLOC_XMLFILE=$f: step exit $rc after ${took}s: $(cat "$work/err")"
    [ "$took" -le 20 ] || fail "HWLOC_XMLFILE=$f: the step took ${took}s"
    grep -q "^ran HWLOC_XMLFILE=$f" "$work/out" || fail "HWLOC_XMLFILE=$f: the task did not run: $(cat "$work/out")"
    # The plan comes from the root-written cache; the job's path is never opened.
    grep -q "policy closest ($cache)" "$work/err" || fail "HWLOC_XMLFILE=$f: plan not from the cache: $(cat "$work/err")"
    grep -q "user_init:" "$work/err" && fail "HWLOC_XMLFILE=$f: the plugin failed: $(cat "$work/err")"
    cluster_alive slurmd || fail "HWLOC_XMLFILE=$f: slurmd died"
    scontrol ping >/dev/null 2>&1 || fail "HWLOC_XMLFILE=$f: slurmctld does not answer"
    case "$(node_state)" in *NOT_RESPONDING* | *DOWN* | *FAIL*) fail "HWLOC_XMLFILE=$f: node is $(node_state)" ;; esac
    sinfo -h -n localhost -o %T | grep -q '\*' && fail "HWLOC_XMLFILE=$f: sinfo marks the node not responding"
    unblock
done
grep -E "segfault|Segmentation|killed by signal|core dumped" "$CLUSTER_ROOT"/log/slurmd*.log "$CLUSTER_ROOT"/log/slurmd.out 2>/dev/null &&
    fail "slurmd's log shows a crashed step"

# The node still takes work: another job by the same user, then by root.
as_nobody -n1 true || fail "a following job by nobody did not run: $(cat "$work/err")"
(cd "$work" && timeout 30 srun --mem=100 -n1 true) || fail "a following job by root did not run"

finish "bind_hostile_topology: ok"

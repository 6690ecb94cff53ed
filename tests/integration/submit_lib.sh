# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Shared by the submit_*.sh tests: a fresh cluster with our plugins, and assertions on what
# sbatch/srun print. Each test sources this, then calls `start_cluster`.
set -uo pipefail
: "${AIF_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
# shellcheck source=tests/cluster/lib.sh
source "$AIF_SRCDIR/tests/cluster/lib.sh"
# shellcheck source=tests/lib/testlib.sh
source "$AIF_SRCDIR/tests/lib/testlib.sh"
export AIFACTORY_DATADIR=$AIF_SRCDIR/etc  # the catalogues slurmctld and the clients read

start_cluster() {
    need_root "to start Slurm daemons"
    for f in aifactory.so job_submit_aifactory.so; do
        [ -f "$AIF_BUILDDIR/.libs/$f" ] || die "$AIF_BUILDDIR/.libs/$f not built"
    done
    cluster_trap
    cluster_start || die "cluster did not start"
    cd "$CLUSTER_ROOT/work" || exit 1
}
on_failure() { tail_log "${CLUSTER_ROOT:-}/log/slurmctld.log" 20; }

# Runs a command as the unprivileged test user in the shared work dir; stdout → $OUT,
# stderr → $ERR, exit status → $RC.
OUT= ERR= RC=
as_user() {
    OUT=$CLUSTER_ROOT/work/out.$RANDOM ERR=$CLUSTER_ROOT/work/err.$RANDOM
    runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" AIFACTORY_DATADIR="$AIFACTORY_DATADIR" \
        "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

expect_rc() {
    if [ "$RC" -eq "$1" ]; then ok "$2 (exit $RC)"
    else fail "$2: exit $RC, want $1"; sed 's/^/    /' "$ERR" >&2; fi
}
# Every line a user sees from us fits an 80-column terminal (Slurm's own closing line aside).
expect_narrow() {
    local long
    long=$(grep -v 'Batch job submission failed\|Unable to allocate resources\|allocation failure' "$1" |
        awk 'length($0) > 80')
    if [ -z "$long" ]; then ok "$2: all lines fit 80 columns"
    else fail "$2: lines over 80 columns:"; echo "$long" >&2; fi
}
job_id_of() { sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$1"; }

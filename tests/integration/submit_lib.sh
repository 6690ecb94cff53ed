# shellcheck shell=bash
# Shared by the submit_*.sh tests: a fresh cluster with our plugins, and assertions on what
# sbatch/srun print. Each test sources this, then calls `start_cluster`.
set -uo pipefail
: "${AIF_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
# shellcheck source=tests/cluster/lib.sh
source "$AIF_SRCDIR/tests/cluster/lib.sh"
export AIFACTORY_DATADIR=$AIF_SRCDIR/etc  # the catalogues slurmctld and the clients read

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

start_cluster() {
    [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to start Slurm daemons"; exit 77; }
    for f in aifactory.so job_submit_aifactory.so; do
        [ -f "$AIF_BUILDDIR/.libs/$f" ] || { echo "FAIL: $AIF_BUILDDIR/.libs/$f not built"; exit 1; }
    done
    cluster_trap
    cluster_start || { echo "FAIL: cluster did not start"; exit 1; }
    cd "$CLUSTER_ROOT/work" || exit 1
}

# Runs a command as the unprivileged test user in the shared work dir; stdout → $OUT,
# stderr → $ERR, exit status → $RC.
OUT= ERR= RC=
as_user() {
    OUT=$CLUSTER_ROOT/work/out.$RANDOM ERR=$CLUSTER_ROOT/work/err.$RANDOM
    runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" AIFACTORY_DATADIR="$AIFACTORY_DATADIR" \
        "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# expect_line FILE REGEX WHAT: some line of FILE matches the extended REGEX.
expect_line() {
    if grep -Eq -- "$2" "$1"; then ok "$3"
    else fail "$3: no line matching /$2/ in:"; sed 's/^/    /' "$1" >&2; fi
}
expect_no_line() {
    if grep -Eq -- "$2" "$1"; then fail "$3: unexpected line matching /$2/:"; sed 's/^/    /' "$1" >&2
    else ok "$3"; fi
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

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures check(s) failed; slurmctld log tail:" >&2
        tail -n 20 "$CLUSTER_ROOT/log/slurmctld.log" >&2
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Command-line front end of lib.sh: a throwaway Slurm cluster that outlives this command.
#   cluster.sh start            start one; prints `export ...` lines (eval them to use it)
#   cluster.sh status [ROOT]    which of its daemons run
#   cluster.sh env [ROOT]       print the `export ...` lines again
#   cluster.sh stop [ROOT]      stop its daemons by PID and remove its directory
# ROOT defaults to $CLUSTER_ROOT. Knobs (CLUSTER_*): see tests/cluster/README.md.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cluster/lib.sh
source "$here/lib.sh"

cmd=${1:-}
[ $# -ge 2 ] && CLUSTER_ROOT=$2
case "$cmd" in
start)
    cluster_start || exit $?
    cat "$CLUSTER_ROOT/env" ;;
status|env|stop)
    if [ -z "${CLUSTER_ROOT:-}" ] || [ ! -d "$CLUSTER_ROOT/pids" ]; then
        echo "cluster.sh: no cluster at '${CLUSTER_ROOT:-}' (give its directory or set CLUSTER_ROOT)" >&2
        exit 2
    fi
    export SLURM_CONF=$CLUSTER_ROOT/slurm.conf
    case "$cmd" in
    status) cluster_status ;;
    env) cat "$CLUSTER_ROOT/env" ;;
    stop) cluster_stop ;;
    esac ;;
*)
    echo "usage: cluster.sh start | status [ROOT] | env [ROOT] | stop [ROOT]" >&2
    exit 2 ;;
esac

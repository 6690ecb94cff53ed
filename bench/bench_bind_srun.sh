#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Starts a throwaway cluster (tests/cluster) with aifactory_bind and measures `srun -n N true`
# with and without the plugin, interleaved (bench/bench_bind_srun.cpp). Needs root.
#   bench/bench_bind_srun.sh [TASKS] [RUNS]
set -u
: "${AIF_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
source "${CLUSTER_LIB:-$AIF_SRCDIR/tests/cluster/lib.sh}" || exit 1
scratch=$(mktemp -d /tmp/aif-bind-bench.XXXXXX)
chmod 0755 "$scratch"
cp "$AIF_BUILDDIR/plugins/bind/.libs/aifactory_bind.so" "$scratch/"
CLUSTER_JOB_SUBMIT=
CLUSTER_SPANK=
# In plugstack.conf from the start, so slurmd writes the per-node topology cache as deployed.
CLUSTER_PLUGSTACK_EXTRA="optional $scratch/aifactory_bind.so cache=$scratch/topology.xml"
trap 'cluster_stop; rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
cluster_start || exit $?
[ -s "$scratch/topology.xml" ] || echo "warning: slurmd wrote no topology cache" >&2
"$AIF_BUILDDIR/bench/bench_bind_srun" --plugstack "$CLUSTER_ROOT/plugstack.conf" \
    --plugin "$scratch/aifactory_bind.so" --args "cache=$scratch/topology.xml" \
    --tasks "${1:-2}" --runs "${2:-21}"

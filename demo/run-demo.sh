#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aifactory demo: install the build dependencies, build, start a throwaway single-host Slurm
# cluster (munged, slurmctld, slurmd on loopback, fake GPUs; tests/cluster/README.md), submit a
# few LLM training jobs as a user would, show what sbatch said, and stop the cluster again.
# Needs root (apt-get, and the Slurm daemons). Takes a few minutes, most of it the build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "$(id -u)" -eq 0 ] || { echo "run-demo.sh: run as root (it installs packages and starts Slurm daemons)"; exit 1; }

echo "== 1. dependencies (Debian 12 packages)"
tests/install-deps.sh
echo "== 2. build"
autoreconf -fi >/dev/null 2>&1
mkdir -p build && cd build
[ -f Makefile ] || ../configure --quiet
make -j"$(nproc)" >/dev/null
cd "$top"
export AIF_SRCDIR=$top AIF_BUILDDIR=$top/build AIFACTORY_DATADIR=$top/etc

echo "== 3. a throwaway Slurm cluster with job_submit/aifactory and the aifactory.so SPANK plugin"
# shellcheck source=tests/cluster/lib.sh
source tests/cluster/lib.sh
cluster_trap
cluster_start
sinfo
work=$CLUSTER_ROOT/work
cp demo/llama-3.2-1b-config.json "$work/config.json"
chmod 644 "$work/config.json"
cd "$work"
echo
echo "   aifactory.conf:"
sed 's/^/     /' "$CLUSTER_ROOT/aifactory.conf"

# Runs sbatch as an ordinary user (nobody) and shows the command and everything it printed.
# Remembers the id of an accepted job in $last_job.
last_job=
submit() {
    echo
    echo "\$ sbatch $*"
    runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" sbatch "$@" >said.txt 2>&1 || true
    sed 's/^/  /' said.txt
    last_job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' said.txt)
}

echo
echo "== 4. jobs"
echo "-- a job that fits (with --llm-tokens: time and GPU-hours)"
submit --llm-model=llama3.1-8b --llm-layout=tp=4 --llm-tokens=100B -t 1-00:00:00 -p boost_usr_prod -N 1 \
    --gpus-per-node=4 --mem=1000 -o fits.out --wrap 'echo "AIFACTORY_PREDICTION=$AIFACTORY_PREDICTION"'
fits_job=$last_job
echo
echo "-- a job that does not fit, and the smallest changes that would"
submit --llm-model=llama3.1-70b --llm-layout=tp=4,pp=4 -p boost_usr_prod -N 8 --gpus-per-node=4 \
    --mem=1000 --wrap 'srun python train.py'
echo
echo "-- the same as a dry run (--test-only): same answer, nothing queued"
submit --test-only --llm-model=llama3.1-70b --llm-layout=tp=4,pp=4 -p boost_usr_prod -N 8 \
    --gpus-per-node=4 --mem=1000 --wrap true
echo
echo "-- a model described by a Hugging Face config.json (Llama 3.2 1B), on the LUMI-G-like partition"
submit --llm-config=config.json --llm-seq=8192 -p standard-g -N 1 --gpus-per-node=8 --mem=1000 \
    -o /dev/null --wrap true
echo
echo "-- a malformed option: sbatch stops before contacting the controller"
submit --llm-model=llama3.1-8b --llm-zero=4 -N 1 --gpus-per-node=4 --wrap true
echo
echo "-- a job without --llm-* options: untouched"
submit -N 1 --gpus-per-node=2 --mem=1000 -o plain.out --wrap 'echo "GPUs: $CUDA_VISIBLE_DEVICES"'
plain_job=$last_job

echo
echo "== 5. the accepted jobs ran; the prediction travelled with the first one"
for j in "fits $fits_job" "plain $plain_job"; do
    set -- $j
    [ -n "${2:-}" ] || continue
    echo "   job $2: $(cluster_wait_job "$2" 60 || true): $(cat "$1.out" 2>/dev/null)"
done
echo
echo "== 6. stopping the cluster (only the daemons this demo started)"
cd "$top"

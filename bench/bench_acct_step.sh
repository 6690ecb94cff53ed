#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Step end-to-end time with accounting on while the endpoint hangs, against accounting off, in
# one run on one local Slurm (tests/cluster): `srun -n1 true` timed N times, on and off
# interleaved (plugstack.conf is re-read at every step launch). Target: median ratio <= 1.02.
#   AIF_BUILDDIR=build AIF_SRCDIR=. bash bench/bench_acct_step.sh [N]
set -eu
N=${1:-40}
: "${AIF_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
B=$AIF_BUILDDIR S=$AIF_SRCDIR
CLUSTER_LIB=${AIF_CLUSTER_LIB:-$S/tests/cluster/lib.sh}
[ -f "$CLUSTER_LIB" ] || { echo "bench_acct_step: needs the local-cluster harness $CLUSTER_LIB"; exit 77; }
T=$(mktemp -d /tmp/bench_acct_step.XXXXXX)
EP=""
SENDER=""
. "$CLUSTER_LIB"
finish() {
    for p in $SENDER $EP; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    cluster_stop
    rm -rf "$T"
}
trap finish EXIT

sh "$S/tests/endpoint/make-certs.sh" "$T/pki"
echo bench-token > "$T/token"; chmod 600 "$T/token"
head -c 32 /dev/urandom > "$T/user.key"; chmod 600 "$T/user.key"
mkdir -p "$T/ep"
echo '{"mode":"hang"}' > "$T/ep/mode.json"
python3 "$S/tests/endpoint/endpoint.py" --state "$T/ep" --cert "$T/pki/good.pem" --key "$T/pki/good.key" \
    --token-file "$T/token" 2>/dev/null &
EP=$!
for i in $(seq 50); do [ -s "$T/ep/port" ] && break; sleep 0.1; done
cat > "$T/acct.conf" <<CONF
site = bench
site_namespace = 3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f
user_key_file = $T/user.key
outbox = $T/outbox
min_free_mb = 0
CONF
cat > "$T/sender.conf" <<CONF
url = https://127.0.0.1:$(cat "$T/ep/port")/v1/records
ca_file = $T/pki/ca.pem
token_file = $T/token
outbox = $T/outbox
request_timeout = 30
CONF
CLUSTER_JOB_SUBMIT=''
CLUSTER_SPANK=''
CLUSTER_PLUGSTACK_EXTRA=''
cluster_start >"$T/cluster.log" 2>&1 || { echo "bench_acct_step: local Slurm did not start:"; tail -n 20 "$T/cluster.log"; exit 1; }
mkdir -p "$T/outbox"
"$B/tools/aifactory" sender --config "$T/sender.conf" 2>"$T/sender.log" &
SENDER=$!
ON="optional $B/.libs/aifactory_acct.so config=$T/acct.conf"
time_step() { local t0 t1; t0=$(date +%s%N); srun -n1 --mem=50 true; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
for i in 1 2 3; do time_step >/dev/null; done   # warm up
: > "$T/on"; : > "$T/off"
for i in $(seq "$N"); do
    echo "$ON" > "$CLUSTER_ROOT/plugstack.conf"; time_step >> "$T/on"
    echo "# off" > "$CLUSTER_ROOT/plugstack.conf"; time_step >> "$T/off"
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p90() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int(NR*0.9)]}'; }
on=$(med "$T/on"); off=$(med "$T/off")
recs=$(ls "$T/outbox/new" | wc -l)
echo "step end-to-end (srun -n1 true), $N steps each, endpoint hung, sender running:"
echo "  accounting off (baseline)  median $((off / 1000)).$(( (off % 1000) / 100 )) ms  p90 $(( $(p90 "$T/off") / 1000 )) ms"
echo "  accounting on              median $((on / 1000)).$(( (on % 1000) / 100 )) ms  p90 $(( $(p90 "$T/on") / 1000 )) ms"
awk -v a="$on" -v b="$off" 'BEGIN { printf "  ratio on/off               %.3f (target <= 1.02)\n", a / b }'
echo "  records waiting in the outbox: $recs (one per step with accounting on)"

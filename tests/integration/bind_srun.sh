#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# aifactory_bind on a real local Slurm (tests/cluster): slurmd caches the topology, srun tasks
# are bound and get their environment (checked from inside each task), --llm-bind=verbose
# prints one line per rank, an XML topology (plugin argument; never the job's HWLOC_XMLFILE)
# drives the plan,
# GPUs and cores outside the step are never used, and failures leave jobs running unbound.
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
# A real LUMI-G-like node (other projects' file, kept outside the tree): sections 5-6 need it.
tioga=${AIF_TOPOLOGIES:-$AIF_SRCDIR/../shared/data/topologies}/mpibind_eas-tioga.xml
[ -f "$tioga" ] || echo "note: $tioga not found (set AIF_TOPOLOGIES): sections 5-6 skipped, the test ends in SKIP"

scratch=$(mktemp -d /tmp/aif-bind-test.XXXXXX)
chmod 0755 "$scratch"
cache=$scratch/topology.xml
cp "$so" "$scratch/aifactory_bind.so"  # the build tree may be unreadable for the job user
CLUSTER_JOB_SUBMIT=
CLUSTER_SPANK=$scratch/aifactory_bind.so
CLUSTER_SPANK_ARGS="cache=$cache"
trap 'cluster_stop; rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
cluster_start || exit $?

plugstack() { echo "required $CLUSTER_SPANK $*" >"$CLUSTER_ROOT/plugstack.conf"; }  # re-read per step

# What each task sees: its CPU affinity and the variables the plugin sets.
show=$CLUSTER_ROOT/work/show.sh
cat >"$show" <<'EOF'
#!/bin/bash
aff=$(sed -n 's/^Cpus_allowed_list:\s*//p' /proc/self/status)
echo "task=$SLURM_LOCALID aff=$aff omp=${OMP_NUM_THREADS-unset} places=${OMP_PLACES-unset}" \
     "cuda=${CUDA_VISIBLE_DEVICES-unset} rocr=${ROCR_VISIBLE_DEVICES-unset} cxi=${FI_CXI_DEVICE_NAME-unset}"
EOF
chmod 0755 "$show"
run() { timeout 60 srun --mem=100 "$@" 2>"$CLUSTER_ROOT/work/err" >"$CLUSTER_ROOT/work/out"; }
out() { cat "$CLUSTER_ROOT/work/out"; }
err() { cat "$CLUSTER_ROOT/work/err"; }
field() { out | grep "^task=$1 " | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# 1. slurmd cached this node's topology at start.
[ -s "$cache" ] && grep -q "<topology" "$cache" || fail "slurmd wrote no topology cache at $cache"
grep -q "aifactory_bind: cached topology" "$CLUSTER_ROOT/log/slurmd.log" || fail "slurmd.log lacks the cache line"

# 2. Binding comes from the plugin: --cpu-bind=ldoms has Slurm give both tasks the whole NUMA
#    node (0-1); the plugin then gives each task its own CPU. --llm-bind=none keeps Slurm's.
run -n2 --cpu-bind=ldoms --llm-bind=none "$show" || fail "srun --llm-bind=none: $(err)"
[ "$(field 0 aff)" = 0-1 ] && [ "$(field 1 aff)" = 0-1 ] || fail "Slurm's ldoms binding should be 0-1: $(out)"
[ "$(field 0 omp)" = unset ] || fail "--llm-bind=none must not set OMP_NUM_THREADS: $(out)"
run -n2 --cpu-bind=ldoms --llm-bind=closest,verbose "$show" || fail "srun -n2: $(err)"
a0=$(field 0 aff) a1=$(field 1 aff)
[ -n "$a0" ] && [ -n "$a1" ] && [ "$a0" != "$a1" ] && [ "${#a0}" -eq 1 ] && [ "${#a1}" -eq 1 ] ||
    fail "tasks should have one distinct CPU each: $(out)"
[ "$(field 0 omp)" = 1 ] && [ "$(field 1 places)" = cores ] || fail "OMP variables: $(out)"
# verbose: one line per rank on stderr, matching what the task really got.
for r in 0 1; do
    line=$(err | grep "^aifactory_bind: rank $r host ")
    [ "$(echo "$line" | grep -c .)" -eq 1 ] || fail "verbose: want one line for rank $r: $(err)"
    echo "$line" | grep -q " cpus $(field $r aff) numa [0-9,-]* nic " || fail "verbose rank $r disagrees with affinity: $line / $(out)"
done
# An explicit --cpu-bind=map_cpu or none is the user's: kept, while the variables are still set.
run -n2 --cpu-bind=map_cpu:1,0 --llm-bind=verbose "$show" || fail "map_cpu: $(err)"
[ "$(field 0 aff)" = 1 ] && [ "$(field 1 aff)" = 0 ] && [ "$(field 0 omp)" = 1 ] || fail "map_cpu:1,0 not kept: $(out)"
err | grep -q "CPUs left to --cpu-bind=map_cpu" || fail "verbose does not say the CPUs are Slurm's: $(err)"
run -n2 --cpu-bind=none "$show" || fail "--cpu-bind=none: $(err)"
[ "$(field 0 aff)" = 0-1 ] && [ "$(field 1 aff)" = 0-1 ] || fail "--cpu-bind=none not kept: $(out)"

# 3. A step with one core: never bound outside it.
run -n1 -c1 --cpu-bind=ldoms "$show" || fail "srun -n1 -c1: $(err)"
[ "$(field 0 aff | tr -cd '0-9' | wc -c)" -eq 1 ] || fail "a one-core step got $(field 0 aff)"

# 4. GPUs this node's topology does not have (the fake ones) are left as Slurm set them.
real_gpus=$("$AIF_BUILDDIR/tools/aifactory" bind --tasks 1 --json 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"][0]["gpus"]))' 2>/dev/null)
if [ "${real_gpus:-0}" = 0 ]; then
    run -n2 --gpus=2 "$show" || fail "srun --gpus=2: $(err)"
    [ "$(field 0 cuda)" = 0,1 ] && [ "$(field 1 cuda)" = 0,1 ] || fail "unknown GPUs must stay as Slurm set them: $(out)"
else
    echo "note: this machine has $real_gpus real GPU(s); the fake-GPU check is not meaningful here"
fi

# 5. Plan from an XML topology (LUMI-G-like MI250X node) named by the site: GCD per rank, its
#    Slingshot NIC, Slurm's node-wide CUDA list removed; cores stay inside the step. The job's
#    HWLOC_XMLFILE is never read (slurmstepd is root; bind_hostile_topology.sh has the attacks).
if [ -f "$tioga" ]; then
cp "$tioga" "$scratch/site.xml" && chmod 0644 "$scratch/site.xml"
run -n2 --gpus=2 --llm-bind=verbose --export=ALL,HWLOC_XMLFILE="$scratch/site.xml" "$show" || fail "HWLOC_XMLFILE: $(err)"
err | grep -q "(HWLOC_XMLFILE)\|site.xml" && fail "the job's HWLOC_XMLFILE was used: $(err)"
err | grep -q "policy closest ($cache)" || fail "with HWLOC_XMLFILE set, the plan should come from the cache: $(err)"
plugstack "cache=$cache topology=$scratch/site.xml"
run -n2 --gpus=2 --llm-bind=verbose "$show" || fail "topology=: $(err)"
[ "$(field 0 rocr)" = 0 ] && [ "$(field 1 rocr)" = 1 ] || fail "ROCR_VISIBLE_DEVICES per rank: $(out)"
[ "$(field 0 cuda)" = unset ] && [ "$(field 0 cxi)" = cxi0 ] || fail "XML plan env: $(out)"
err | grep -q "^aifactory_bind: rank 0 host .* gpu rsmi0(0) cpus [01] numa 0 nic hsi0 (not GPU-local)" ||
    fail "verbose XML plan for rank 0: $(err)"
err | grep -q "policy closest ($scratch/site.xml)" || fail "verbose does not name the XML: $(err)"
err | grep -q "warning: .*: the step has no core local to GPU rsmi0" || fail "no warning about remote cores: $(err)"
run -n2 --gpus=2 "$show" || fail "topology= without verbose: $(err)"
err | grep -q "warning: .*: the step has no core local to GPU rsmi0" || fail "warnings must show without verbose: $(err)"

# 6. Same from a plugin argument, as the job's user (nobody).
plugstack "cache=$cache topology=$scratch/site.xml default=spread"
(cd "$CLUSTER_ROOT/work" && timeout 60 runuser -u nobody -- srun --mem=100 -n2 --gpus=4 --llm-bind=verbose "$show") \
    >"$CLUSTER_ROOT/work/out" 2>"$CLUSTER_ROOT/work/err" || fail "plugin topology= as nobody: $(err)"
[ "$(field 0 rocr)" = 0,1 ] && [ "$(field 1 rocr)" = 2,3 ] || fail "two GCDs per rank from topology=: $(out)"
err | grep -q "policy spread ($scratch/site.xml)" || fail "site default=spread not used: $(err)"
fi

# 7. Through sbatch: the option reaches the job's steps; AIFACTORY_BIND=none switches it off.
plugstack "cache=$cache"
id=$(cd "$CLUSTER_ROOT/work" && sbatch --parsable --mem=200 -n2 --llm-bind=verbose -o batch.out \
     --wrap "srun -n2 --cpu-bind=ldoms $show; AIFACTORY_BIND=none srun -n2 --cpu-bind=ldoms $show")
[ "$(cluster_wait_job "$id" 60)" = COMPLETED ] || fail "sbatch job $id did not complete"
b=$CLUSTER_ROOT/work/batch.out
[ "$(grep -c '^aifactory_bind: rank [01] host ' "$b")" -eq 2 ] || fail "sbatch --llm-bind=verbose: $(cat "$b")"
[ "$(grep -c '^task=.* omp=1 ' "$b")" -eq 2 ] && [ "$(grep -c '^task=.* aff=0-1 omp=unset ' "$b")" -eq 2 ] ||
    fail "bound step then AIFACTORY_BIND=none step expected: $(cat "$b")"

# 8. Failures step aside: a missing topology, a bad plugstack.conf argument, no GPUs at all.
plugstack "topology=/nonexistent/topo.xml"
run -n2 --cpu-bind=ldoms "$show" || fail "a missing topology failed the job: $(err)"
[ "$(field 0 aff)" = 0-1 ] || fail "with no topology the task must stay as Slurm placed it: $(out)"
err | grep -q "aifactory_bind: user_init: /nonexistent/topo.xml" || fail "missing topology not reported: $(err)"
plugstack "frobnicate=1"
run -n1 "$show" || fail "a bad plugstack.conf failed the job: $(err)"
err | grep -q "unknown argument 'frobnicate=1'" || fail "bad plugstack.conf argument not reported: $(err)"
plugstack "cache=$cache"
timeout 30 srun --mem=100 --llm-bind=bogus true 2>"$CLUSTER_ROOT/work/err" && fail "--llm-bind=bogus accepted"
err | grep -q "Invalid --llm-bind argument: bogus" || fail "bad --llm-bind not explained: $(err)"

[ "$failures" -gt 0 ] || [ -f "$tioga" ] || skip "sections 5-6 need $tioga; the rest passed"
finish "bind_srun: ok"

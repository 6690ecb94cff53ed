#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `aifactory bind` refuses hostile topology files quickly and with a message (a truncated tag
# once crashed hwloc's reader, /dev/zero grew it without bound, a FIFO blocked it); answers on
# the six real topologies and the synthetic GH200 (text, JSON, SVG) and on this machine; and
# rejects bad input with exit code 2 and a message naming the argument.
set -u
B=${AIF_BUILDDIR:-.}/tools/aifactory
S=${AIF_SRCDIR:-.}
# The real nodes' XML are other projects' files, kept outside the tree (tests/topologies/README.md).
T=${AIF_TOPOLOGIES:-$S/../shared/data/topologies}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/lib/testlib.sh
. "$S/tests/lib/testlib.sh"

# Bad input: exit 2, message names the argument.
expect_2() {
    local want=$1; shift
    # A memory cap, so a regression cannot take the host down; not under ASan, whose shadow
    # memory needs terabytes of address space (tests/sanitizers.sh sets ASAN_OPTIONS).
    (if [ -z "${ASAN_OPTIONS:-}" ]; then ulimit -v 4000000; fi; timeout 20 "$B" bind "$@") >/dev/null 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] || die "bind $*: exit $rc, want 2 ($(cat "$tmp/err"))"
    grep -q -- "$want" "$tmp/err" || die "bind $*: message '$(cat "$tmp/err")' lacks '$want'"
}

# Hostile files: refused in well under the timeout, never a crash (exit 139) or a hang (124).
printf '<topology version="2.1' >"$tmp/t.xml"
expect_2 "--topology $tmp/t.xml: is not valid XML (line 1" --topology "$tmp/t.xml"
expect_2 "--topology /dev/zero: not a regular file" --topology /dev/zero
mkfifo "$tmp/fifo.xml"
start=$SECONDS
expect_2 "fifo.xml: not a regular file" --topology "$tmp/fifo.xml"
[ $((SECONDS - start)) -le 5 ] || die "a FIFO took $((SECONDS - start)) s"
truncate -s 17M "$tmp/big.xml"
expect_2 "big.xml: 17.0 MiB is over the 16 MiB limit" --topology "$tmp/big.xml"
(export HWLOC_XMLFILE=/dev/zero; expect_2 "/dev/zero: not a regular file" --tasks 1) || exit 1

[ -f "$T/mpibind_eas-tioga.xml" ] ||
    skip "the real topologies are not in $T (kept outside the tree; set AIF_TOPOLOGIES)"
for xml in "$T"/*.xml "$S/tests/topologies/synthetic_gh200.xml"; do
    name=$(basename "$xml")
    gpus=$("$B" bind --topology "$xml" --json --tasks 1 | python3 -c '
import json,sys; d=json.load(sys.stdin); print(len(d["tasks"][0]["gpus"]))') || die "$name: JSON"
    [ "$gpus" -ge 1 ] || die "$name: one task should get every GPU, got $gpus"
    for n in 1 $gpus $((2 * gpus)); do
        "$B" bind --topology "$xml" --tasks "$n" --json --env >"$tmp/out.json" || die "$name: exit $? for $n tasks"
        python3 - "$tmp/out.json" "$n" <<'PY' || die "$name: bad JSON for $n tasks"
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
assert len(d["tasks"]) == n, "task count"
seen = set()
for t in d["tasks"]:
    assert set(t) >= {"rank", "gpus", "cpus", "numa", "nic"}, t.keys()
    assert t["cpus"] and not (seen & set(t["cpus"])), "cpus overlap"
    seen |= set(t["cpus"])
    for g in t["gpus"]:
        assert isinstance(g["index"], int) and len(g["pci"]) == 12 and g["name"], g
    assert t["nic"] is None or isinstance(t["nic"], str)
PY
    done
    "$B" bind --topology "$xml" --svg "$tmp/map.svg" >/dev/null || die "$name: --svg"
    python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]).documentElement
assert d.tagName == "svg" and "GPU " in d.toxml()' "$tmp/map.svg" || die "$name: SVG is not well-formed or has no GPU"
done

# The issue's example: rank 0 of 8 on a LUMI-G-like node.
"$B" bind --topology "$T/mpibind_eas-tioga.xml" --tasks 8 --json | python3 -c '
import json,sys; t=json.load(sys.stdin)["tasks"][0]
assert t["gpus"]==[{"index":0,"pci":"0000:c1:00.0","name":"rsmi0"}], t
assert t["cpus"]==list(range(48,56)) and t["numa"]==[3] and t["nic"]=="hsi0", t' || die "tioga rank 0"

# 12 ranks on tioga's 8 GCDs (two per NUMA node) split 2, 4, 2, 4: a warning on stderr and in
# the drawing, word for word; 8 ranks split evenly and say nothing.
"$B" bind --topology "$T/mpibind_eas-tioga.xml" --tasks 12 --svg "$tmp/uneven.svg" >/dev/null 2>"$tmp/uneven.err" ||
    die "tioga 12 tasks"
want="aifactory bind: warning: ranks split unevenly over NUMA nodes: 2, 4, 2, 4 on NUMA 0, 1, 2, 3, though the step's GPUs allow 3 on each; a multiple of 8 tasks (the GPU count) splits evenly"
[ "$(cat "$tmp/uneven.err")" = "$want" ] || die "tioga 12 tasks said '$(cat "$tmp/uneven.err")', want '$want'"
in_svg=$(printf '%s' "${want#aifactory bind: warning: }" | sed "s/'/\&#39;/g")
grep -qF ">warning: $in_svg</text>" "$tmp/uneven.svg" || die "tioga 12 tasks: no warning in the SVG"
"$B" bind --topology "$T/mpibind_eas-tioga.xml" --tasks 8 >/dev/null 2>"$tmp/even.err" || die "tioga 8 tasks"
[ ! -s "$tmp/even.err" ] || die "tioga 8 tasks warned: $(cat "$tmp/even.err")"

# This machine (no XML) answers too.
"$B" bind --tasks 1 >"$tmp/here.txt" || die "this machine"
grep -q "^rank 0 " "$tmp/here.txt" || die "this machine: no rank line"

expect_2 "--tasks" --topology "$T/mpibind_eas-tioga.xml" --tasks 0
expect_2 "--gpus: GPU 9 is not on this node" --topology "$T/mpibind_eas-tioga.xml" --gpus 9
expect_2 "--policy" --topology "$T/mpibind_eas-tioga.xml" --policy nearest
expect_2 "--topology /nonexistent.xml" --topology /nonexistent.xml
expect_2 "--frobnicate" --frobnicate
# Exact messages a user sees (issue 17): says 'first stderr line' ARGS... (exit 2)
says() {
    local want=$1; shift
    "$B" bind "$@" >/dev/null 2>"$tmp/err"; rc=$?
    [ $rc -eq 2 ] || die "bind $*: exit $rc, want 2"
    [ "$(head -n1 "$tmp/err")" = "$want" ] || die "bind $*: said '$(cat "$tmp/err")', want '$want'"
}
says "aifactory bind: --threads: 1000 is more than the node's 64 cores (at most 64; with --smt, hardware threads count)" \
    --topology "$T/mpibind_eas-tioga.xml" --threads 1000
says "aifactory bind: --threads: 200 is more than the node's 128 hardware threads (at most 128)" \
    --topology "$T/mpibind_eas-tioga.xml" --threads 200 --smt
says "aifactory bind: --topology /nonexistent.xml: No such file or directory" --topology /nonexistent.xml
says "aifactory bind: --topology $tmp: is a directory, not a file" --topology "$tmp"
says "aifactory bind: --polcy: unknown option (did you mean --policy?); see aifactory bind --help" --polcy spread
says "aifactory bind: --tasks: needs a value (N)" --tasks
# The limit itself is accepted: 64 threads for one task on a 64-core node.
"$B" bind --topology "$T/mpibind_eas-tioga.xml" --tasks 1 --threads 64 --json | python3 -c '
import json,sys; t=json.load(sys.stdin)["tasks"][0]; assert len(t["cpus"]) == 64, len(t["cpus"])' || die "--threads 64"
# -n is --tasks.
"$B" bind --topology "$T/mpibind_eas-tioga.xml" -n 2 --json | python3 -c '
import json,sys; assert len(json.load(sys.stdin)["tasks"]) == 2' || die "-n 2"
"$B" bind --help >"$tmp/help" 2>"$tmp/err" && [ ! -s "$tmp/err" ] || die "bind --help: exit or stderr"
grep -q "^  --threads N " "$tmp/help" || die "bind --help does not list --threads"
for o in $(sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$tmp/help"); do
    grep -qF -- "\\-\\-$(printf %s "$o" | sed 's/-/\\-/g')" "${AIF_SRCDIR:-.}/man/aifactory-bind.1" ||
        die "man/aifactory-bind.1 does not document --$o"
done
echo "bind_cli: ok"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build from scratch in ./build and run every test (unit + integration on a throwaway local Slurm).
# Integration tests need root: they start their own munged, slurmctld and slurmd on loopback.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p build && cd build
../configure --enable-werror --quiet
make -j"$(nproc)" >/dev/null
status=0
# Release checks (issues 7, 16): Slurm compile matrix, sanitizers, fuzzing, distcheck, packages; timed per stage.
# AIF_RELEASE_CHECKS=0 skips them; their stage results count in the closing line.
# The CPU-bound stages (sanitizer build, fuzzing, distcheck) run at the lowest priority beside the
# integration tests, which mostly wait on Slurm daemons; the rest runs after them.
release_log=$top/build/release-checks.log
background_log=$top/build/release-background.log
: > "$release_log"
: > "$background_log"
background=
if [ "${AIF_RELEASE_CHECKS:-1}" = 1 ]; then
    AIF_RELEASE_STAGES=${AIF_BACKGROUND_STAGES-sanitizers fuzz distcheck} nice -n 19 "$top/tests/release_checks.sh" \
        >"$background_log" 2>&1 &
    background=$!
fi
# The Slurm runtime matrix (tests/slurm_runtime.sh: the Slurm-facing integration tests on 26.05
# in a Debian sid chroot) runs beside the suite: its chroot is fetched and its build compiled
# while the suite's tests mostly wait on daemons.
runtime=
# AIF_SLURM_RUNTIME=0 leaves it out.
if [ "${AIF_RELEASE_CHECKS:-1}" = 1 ] && [ "${AIF_SLURM_RUNTIME:-1}" = 1 ]; then
    AIF_RELEASE_STAGES=slurm-runtime nice -n 5 "$top/tests/release_checks.sh" >"$top/build/release-runtime.log" 2>&1 &
    runtime=$!
fi
make -j1 check || status=$?
if [ "$status" -ne 0 ] && [ -f test-suite.log ]; then cat test-suite.log; fi
if [ -n "$background" ]; then
    # The other stages run now, beside what is left of the background ones.
    foreground_log=$top/build/release-foreground.log
    AIF_RELEASE_STAGES=${AIF_FOREGROUND_STAGES-slurm-matrix deb} "$top/tests/release_checks.sh" \
        >"$foreground_log" 2>&1 || status=1
    wait "$background" || status=1
    cat "$background_log" "$foreground_log" | tee -a "$release_log"
fi
if [ -n "$runtime" ]; then
    wait "$runtime" || status=1
    cat "$top/build/release-runtime.log" | tee -a "$release_log"
fi
# One closing line for people and CI: counts from the automake test logs and the release stages.
count() {  # the suite's own logs, not those of a distcheck tree left behind
    find . -path './aifactory-*' -prune -o -name '*.trs' -exec cat {} + 2>/dev/null |
        grep -cE "^:test-result: ($1)\$" || true
}
stages() { grep -cE "^release: [a-z-]+: $1" "$release_log" || true; }
pass=$(( $(count PASS) + $(stages ok) ))
fail=$(( $(count 'FAIL|ERROR|XPASS') + $(stages FAILED) ))
skip=$(( $(count SKIP) + $(stages skipped) ))
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"

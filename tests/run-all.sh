#!/usr/bin/env bash
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
make -j1 check || status=$?
# One closing line for people and CI: counts from the automake test logs.
count() { find . -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE "^:test-result: ($1)\$" || true; }
pass=$(count PASS)
fail=$(count 'FAIL|ERROR|XPASS')
skip=$(count SKIP)
if [ "$status" -ne 0 ] && [ -f test-suite.log ]; then cat test-suite.log; fi
echo "$pass passed, $fail failed, $skip skipped"
# ---- release checks (issue 7): sanitizers, fuzzing, distcheck, packages; timed per stage ----
if [ "${AIF_RELEASE_CHECKS:-1}" = 1 ]; then
    "$top/tests/release_checks.sh" || status=1
fi
# ---- end release checks ----
exit "$status"

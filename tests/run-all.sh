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
pass=$(grep -h '^:test-result: PASS' $(find . -name '*.trs') 2>/dev/null | wc -l)
fail=$(grep -hE '^:test-result: (FAIL|ERROR|XPASS)' $(find . -name '*.trs') 2>/dev/null | wc -l)
skip=$(grep -h '^:test-result: SKIP' $(find . -name '*.trs') 2>/dev/null | wc -l)
[ "$status" -ne 0 ] && [ -f test-suite.log ] && cat test-suite.log
echo "$pass passed, $fail failed, $skip skipped"
exit "$status"

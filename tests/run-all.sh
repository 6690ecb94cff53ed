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
# The CPU-bound stages run at the lowest priority beside the suite, whose integration tests mostly
# wait on Slurm daemons, in two chains so that one core each is busy when the suite ends:
# sanitizers then fuzzing (it links the sanitizer build's libraries), and distcheck then the Slurm
# compile matrix. The Slurm runtime matrix (tests/slurm_runtime.sh: the Slurm-facing integration
# tests on 26.05 in a Debian sid chroot) runs beside them at nice 5. What is left (the .deb test,
# AIF_SLOW_TESTS=1) runs after the suite.
release_log=$top/build/release-checks.log
: > "$release_log"
chains=() chain_logs=()
start_chain() {  # log-name stages nice
    [ -n "$2" ] || return 0
    AIF_RELEASE_STAGES=$2 nice -n "$3" "$top/tests/release_checks.sh" >"$top/build/release-$1.log" 2>&1 &
    chains+=($!) chain_logs+=("$top/build/release-$1.log")
}
if [ "${AIF_RELEASE_CHECKS:-1}" = 1 ]; then
    start_chain background "${AIF_BACKGROUND_STAGES-sanitizers fuzz}" 19
    start_chain background2 "${AIF_BACKGROUND2_STAGES-distcheck slurm-matrix}" 19
    # AIF_SLURM_RUNTIME=0 leaves the runtime matrix out.
    if [ "${AIF_SLURM_RUNTIME:-1}" = 1 ]; then start_chain runtime slurm-runtime 5; fi
fi
# Tests in parallel, one per core: each integration test runs its own cluster on random ports.
make -j"$(nproc)" check || status=$?
if [ "$status" -ne 0 ] && [ -f test-suite.log ]; then cat test-suite.log; fi
if [ "${AIF_RELEASE_CHECKS:-1}" = 1 ]; then
    start_chain foreground "${AIF_FOREGROUND_STAGES-deb}" 0
    for pid in "${chains[@]}"; do wait "$pid" || status=1; done
    cat "${chain_logs[@]}" | tee -a "$release_log"
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

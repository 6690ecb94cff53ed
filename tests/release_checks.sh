#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Release checks run by CI after the normal build and test suite (tests/run-all.sh), each timed:
#   slurm-matrix the plugins built with -Werror against Slurm 22.05/24.11/26.05 from Debian's
#               archive, their Slurm symbols checked per release (tests/slurm_matrix.sh; skipped
#               without a mirror; first run ~8 min, then seconds)
#   slurm-runtime the Slurm-facing integration tests on Slurm 26.05 in a Debian sid chroot (and
#               24.11 with AIF_SLURM_MATRIX=all; tests/slurm_runtime.sh; run-all.sh starts it
#               beside the suite; skipped without root or a mirror; chroot ~2 min once per machine)
#   sanitizers  unit + CLI-level integration tests under ASan/UBSan (tests/sanitizers.sh)
#   fuzz        every libFuzzer target for AIF_FUZZ_SECONDS (default 10) s (tests/fuzz_all.sh)
#   distcheck   make distcheck: the tarball builds, installs and uninstalls, and its man pages
#               render (the unit and integration tests already ran in build/, and under ASan)
#   deb         build the .debs and load them into a real Slurm (tests/integration/install_deb.sh);
#               only with AIF_SLOW_TESTS=1
# AIF_RELEASE_STAGES picks a subset ("sanitizers fuzz").
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
stages=${AIF_RELEASE_STAGES:-slurm-matrix sanitizers fuzz distcheck deb}
status=0
summary=()
run_stage() {
    local name=$1 rc start; shift
    start=$(date +%s)
    echo "== release: $name"
    "$@"; rc=$?
    local t=$(($(date +%s) - start))
    case $rc in 0) summary+=("$name: ok (${t}s)") ;; 77) summary+=("$name: skipped (${t}s)") ;;
        *) summary+=("$name: FAILED rc=$rc (${t}s)"); status=1 ;; esac
}
distcheck() {
    [ -f build/Makefile ] || { echo "build/ not configured (run tests/run-all.sh first)"; return 1; }
    # -O0, no -g: distcheck proves the tarball builds and installs; optimised code is built in build/.
    make -C build -j2 distcheck TESTS="tests/man_pages.sh" DISTCHECK_JOBS=2 \
        DISTCHECK_CONFIGURE_FLAGS="CXXFLAGS=-O0 --disable-unit-tests" >build/distcheck.log 2>&1 ||
        { tail -60 build/distcheck.log; return 1; }
    grep -E 'archives ready|\.tar\.gz' build/distcheck.log | tail -2
}
for s in $stages; do
    case $s in
        slurm-matrix) run_stage slurm-matrix ./tests/slurm_matrix.sh ;;
        slurm-runtime) run_stage slurm-runtime ./tests/slurm_runtime.sh ;;
        sanitizers) run_stage sanitizers ./tests/sanitizers.sh ;;
        fuzz) run_stage fuzz ./tests/fuzz_all.sh ;;
        distcheck) run_stage distcheck distcheck ;;
        deb) run_stage deb env AIF_SRCDIR="$top" ./tests/integration/install_deb.sh ;;
        *) echo "unknown stage $s"; status=1 ;;
    esac
done
printf 'release: %s\n' "${summary[@]}"
exit "$status"

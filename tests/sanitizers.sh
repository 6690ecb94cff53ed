#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the library, CLI and unit tests with ./configure --enable-sanitizers (ASan + UBSan) in
# build-asan/, then runs the unit tests and the CLI-level integration tests under them. Any
# sanitizer report fails the test (halt_on_error, UBSan not recoverable).
# The compiler is clang when installed (the fuzz stage needs it anyway): it compiles this tree
# about six times faster than g++ does with both sanitizers (g++ 12 spent ~11 CPU-minutes on it,
# a third of CI), and with -fsanitize=fuzzer-no-link its libraries are the ones
# tests/fuzz_all.sh links its targets against, so the library is compiled once for both. g++
# (the release compiler, -Werror in build/) is the fallback.
# The plugin tests are not run here: a sanitized plugin cannot be dlopen'ed into the unsanitized
# slurmctld/slurmstepd/sbatch of the distribution (the ASan runtime must be loaded first), and
# LD_PRELOADing libasan into Slurm's daemons reports Slurm's own leaks, not ours. The plugins'
# code is the library the unit tests exercise here, and the fuzzers in tests/fuzz_all.sh.
#   AIF_ASAN_TESTS  override the list of tests to run
#   AIF_ASAN_ALL=1  build everything first, plugins included
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null
mkdir -p build-asan && cd build-asan
# -O1: what ASan needs for useful reports; -g1: line tables for the reports' stack traces, at
# less than half the compile time of -g.
clang=$(command -v clang++-14 || command -v clang++ || true)
# A tree configured otherwise (an older g++ one) is made again with clang.
if [ -n "$clang" ] && [ -f Makefile ] && ! grep -q -- '-fsanitize=fuzzer-no-link' config.status; then
    find . -mindepth 1 -delete
fi
if [ ! -f Makefile ]; then
    if [ -n "$clang" ]; then
        ../configure --enable-sanitizers --quiet CXX="$clang" CC="${clang/clang++/clang}" \
            CXXFLAGS="-g1 -O1 -fsanitize=fuzzer-no-link" CFLAGS="-g1 -O1"
    else
        ../configure --enable-sanitizers --quiet CXXFLAGS="-g1 -O1"
    fi
fi
unit=$(cd "$top" && ls tests/unit/test_*.cpp | sed 's/\.cpp$//' | tr '\n' ' ')
cli="tests/integration/bind_cli.sh tests/integration/acct_deliver.sh tests/integration/collector_api.sh"
tests=${AIF_ASAN_TESTS:-$unit $cli}
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# hwloc's PCI component (hwloc_pci.so, dlclose'd at exit) leaks ~1 KiB on every topology load
# of the live machine; LSan cannot name a closed module to suppress it. XML topologies, which the
# tests use for everything they assert, do not need it.
export HWLOC_COMPONENTS=-pci
# Only what the tests run is built (the plugins are not run here, see above; test_plugins builds
# their entry points). AIF_ASAN_ALL=1 builds everything.
if [ "${AIF_ASAN_ALL:-0}" = 1 ]; then make -j2 >/dev/null
else make -j2 tools/aifactory tests/endpoint/acct_produce >/dev/null; fi  # test programs: built by check-TESTS
# Only the chosen tests run (check-TESTS does not rebuild or run the whole suite).
make -j2 check-TESTS TESTS="$tests" || { cat test-suite.log; exit 1; }
# A sanitizer report in a test that still exited 0 (a child process, say) fails the stage too.
if grep -lE '^(==[0-9]+==ERROR: (Address|Leak)Sanitizer|.*runtime error:)' $(for t in $tests; do echo "$t.log"; done) 2>/dev/null; then
    echo "sanitizer reports in the logs above"; exit 1
fi
echo "sanitizers: $(echo $tests | wc -w) tests clean under ASan+UBSan"

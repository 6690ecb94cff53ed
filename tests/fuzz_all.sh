#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan + fuzzer) and runs each one for a
# bounded time on its checked-in corpus (fuzz/corpus/<target>/). Fails on any crash, leak, timeout
# or out-of-memory. Crash inputs are left in $AIF_FUZZ_OUT (default build-fuzz/artifacts/); turn
# each into a regression unit test.
#   AIF_FUZZ_SECONDS  seconds per target (default 10)
#   AIF_FUZZ_TARGETS  space-separated subset (default: every fuzz/fuzz_*.cpp)
#   AIF_FUZZ_LIBDIR   a clang build tree whose libraries to link (default build-asan/, when
#                     tests/sanitizers.sh made it with -fsanitize=fuzzer-no-link)
# Needs clang-14 and libclang-rt-14-dev (Debian). Exit 77 when clang is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${AIF_FUZZ_BUILDDIR:-$top/build-fuzz}
secs=${AIF_FUZZ_SECONDS:-10}
CXX=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
if [ -z "$CXX" ]; then echo "fuzz_all: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)"; exit 77; fi

san="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
flags=(-std=c++20 -O1 -g1 $san -I"$top/lib" -DAIF_SRCDIR="\"$top\"" -DAIF_DATADIR="\"$top/etc\"" -DAIF_SYSCONFDIR="\"/etc/slurm\""
       $(pkg-config --cflags jansson hwloc libxml-2.0 libcurl sqlite3 libpq libmicrohttpd nettle zlib uuid))
libs=$(pkg-config --libs jansson hwloc libxml-2.0 libcurl sqlite3 libpq libmicrohttpd nettle zlib uuid)
mkdir -p "$out/obj" "$out/artifacts" "$out/tmp"
export TMPDIR=$out/tmp  # scratch files of the targets (the collector's SQLite store)
rm -f "$out"/tmp/*

# The library: tests/sanitizers.sh's build-asan/ when clang built it with the fuzzer's coverage
# (the sanitizer stage runs first in CI: the library is then compiled once for both), else
# compiled here once (only what changed).
asan=${AIF_FUZZ_LIBDIR:-$top/build-asan}
if grep -q -- '-fsanitize=fuzzer-no-link' "$asan/config.status" 2>/dev/null && [ -f "$asan/.libs/libaifcommon.a" ]; then
    # The libraries its Makefile builds now (not whatever an older tree left in .libs/).
    las=$(printf 'print-las:\n\t@echo $(noinst_LTLIBRARIES)\n' | make -s -C "$asan" -f Makefile -f - print-las)
    make -C "$asan" -j"${AIF_FUZZ_JOBS:-2}" $las >/dev/null  # up to date with the tree
    archives=()
    for la in $las; do archives+=("$asan/.libs/${la%.la}.a"); done
    echo "fuzz: library from $asan"
else
    objs=()
    # Not fuzzed, so not built: the parts that only talk to the network/PostgreSQL.
    srcs=$(cd "$top" && ls lib/*/*.cpp | grep -vE 'store_postgres|acct/sender')
    pids=()
    for s in $srcs; do
        o="$out/obj/$(echo "${s%.cpp}" | tr / _).o"
        objs+=("$o")
        if [ ! -f "$o" ] || [ "$top/$s" -nt "$o" ]; then
            "$CXX" "${flags[@]}" -c "$top/$s" -o "$o" &
            pids+=($!)
            if [ ${#pids[@]} -ge "${AIF_FUZZ_JOBS:-2}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
        fi
    done
    for p in "${pids[@]}"; do wait "$p"; done
    rm -f "$out/libaif-fuzz.a"; ar rcs "$out/libaif-fuzz.a" "${objs[@]}"
    archives=("$out/libaif-fuzz.a")
fi

targets=${AIF_FUZZ_TARGETS:-$(cd "$top/fuzz" && ls fuzz_*.cpp | sed 's/\.cpp$//')}
# CI fuzzes with a fixed seed so a red run can be replayed; explore with AIF_FUZZ_SEED=0 (random).
seed=${AIF_FUZZ_SEED:-1}
status=0
for t in $targets; do
    bin="$out/$t"
    if [ ! -x "$bin" ] || [ "$top/fuzz/$t.cpp" -nt "$bin" ] || [ -n "$(find "${archives[@]}" -newer "$bin")" ]; then
        "$CXX" "${flags[@]}" -fsanitize=fuzzer "$top/fuzz/$t.cpp" -Wl,--start-group "${archives[@]}" -Wl,--end-group \
            $libs -o "$bin"
    fi
    corpus="$top/fuzz/corpus/${t#fuzz_}"
    work="$out/corpus/${t#fuzz_}"   # new inputs go here, the checked-in corpus stays as it is
    # fuzz_detect also starts from the test corpus of real-style scripts (not copied twice).
    seeds=()
    [ "$t" = fuzz_detect ] && seeds=("$top/tests/data/detect")
    mkdir -p "$work"
    echo "fuzz: $t for ${secs}s"
    if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        AIFACTORY_DATADIR="$top/etc" \
        "$bin" -max_total_time="$secs" -seed="$seed" -timeout=5 -rss_limit_mb=2048 -print_final_stats=0 \
        -artifact_prefix="$out/artifacts/$t-" "$work" "$corpus" "${seeds[@]}" >"$out/$t.log" 2>&1; then
        echo "FAIL: $t (log: $out/$t.log)"; tail -40 "$out/$t.log"; status=1
    else
        grep -E '^#[0-9]+.*DONE' "$out/$t.log" | tail -1 || true
    fi
done
exit "$status"

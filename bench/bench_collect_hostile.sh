#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory of a real collector under hostile request bodies (issue 11 item 6). Figures are the
# collector's resident memory from /proc: idle (after one ordinary request) is the baseline;
# then 5 x an 8 MiB {"records":[{},{},...]} (old code: parsed whole, ~650 MB each) and
# 5 x an 8 MiB record of nested empty arrays; peak (VmHWM) and current (VmRSS) as ratios.
# Usage: bench/bench_collect_hostile.sh (uses build/ unless AIF_BUILDDIR says otherwise).
set -eu
S=$(cd "$(dirname "$0")/.." && pwd)
export AIF_SRCDIR=$S AIF_BUILDDIR=${AIF_BUILDDIR:-$S/build}
. "$S/tests/collector/lib.sh"
start_collector
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$COLL_PID/status"; }
python3 "$S/tests/collector/records.py" siteA c1 1 n1 > "$T/ok.json"
api "$TOKEN_A" POST /v1/records --data-binary @"$T/ok.json"; expect 200 "ordinary request"
idle=$(kib VmRSS); idle_peak=$(kib VmHWM)
python3 -c "
import sys
n = 8 * 1024 * 1024 - 64
many = '{\"records\":[{}' + ',{}' * ((n - 14) // 3) + ']}'
nested = '{\"records\":[{\"a\":[[]' + ',[]' * ((n - 20) // 3) + ']}]}'
open(sys.argv[1], 'w').write(many)
open(sys.argv[2], 'w').write(nested)
" "$T/many.json" "$T/nested.json"
start=$(date +%s.%N)
for f in many many many many many nested nested nested nested nested; do
    api "$TOKEN_A" POST /v1/records --data-binary @"$T/$f.json"
    case "$f:$CODE" in many:413|nested:422) ;; *) fail "$f: HTTP $CODE $(head -c 200 "$T/out")" ;; esac
done
secs=$(echo "$(date +%s.%N) - $start" | bc)
peak=$(kib VmHWM); now=$(kib VmRSS)
awk -v i="$idle" -v ip="$idle_peak" -v p="$peak" -v n="$now" -v s="$secs" 'BEGIN {
    printf "collector RSS idle (baseline)          %7.1f MiB  1.00x\n", i / 1024
    printf "peak RSS over 10 hostile 8 MiB bodies  %7.1f MiB  %.2fx  (+%.1f MiB over the idle peak %.1f MiB)\n", p / 1024, p / i, (p - ip) / 1024, ip / 1024
    printf "RSS after them                         %7.1f MiB  %.2fx\n", n / 1024, n / i
    printf "10 hostile requests answered in        %7.2f s\n", s
}'
[ $(( (peak - idle_peak) / 1024 )) -lt 50 ] || fail "peak RSS grew by $(( (peak - idle_peak) / 1024 )) MiB (bound: 50)"

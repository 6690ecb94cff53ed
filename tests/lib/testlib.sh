# shellcheck shell=sh
# SPDX-License-Identifier: GPL-2.0-or-later
# What every integration test needs (sourced; POSIX sh, so the sh and the bash tests share it).
# Exit codes follow automake: 0 pass, 1 fail, 77 skip.
#
# Two ways to fail:
#   fail MSG  counts the failure and carries on; `finish` at the end exits 1 if any failed.
#   die MSG   stops the test now (exit 1), for when what follows depends on the check.
# Both print "FAIL: MSG". A test redefines on_failure to print the logs that explain a
# failure (tail_log helps); die and a failing finish call it once.

failures=0

say() { echo "[$(date +%T)] $*"; }
ok() { echo "ok: $*"; }
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
die() {
    echo "FAIL: $*" >&2
    on_failure >&2
    exit 1
}
skip() {
    echo "SKIP: $*"
    exit 77
}

# on_failure: redefined by a test (or its shared lib) to show its logs; nothing by default.
on_failure() { :; }
# tail_log FILE [LINES]: the end of FILE under a header naming it; nothing if FILE is absent.
tail_log() {
    [ -f "$1" ] || return 0
    echo "--- $(basename "$1") (tail)"
    tail -n "${2:-20}" "$1"
}

# finish [PASS MESSAGE]: exit 1 (with the logs) if a check failed, else print the message, exit 0.
finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures check(s) failed" >&2
        on_failure >&2
        exit 1
    fi
    echo "${1:-all checks passed}"
    exit 0
}

# check WHAT 'shell condition': ok or fail, by the condition's status.
check() {
    if eval "$2"; then ok "$1"; else fail "$1"; fi
}

# expect_line FILE REGEX WHAT: some line of FILE matches the extended REGEX (else fail, show FILE).
expect_line() {
    if grep -Eq -- "$2" "$1"; then
        ok "$3"
    else
        fail "$3: no line matching /$2/ in:"
        sed 's/^/    /' "$1" >&2
    fi
}
# expect_no_line FILE REGEX WHAT: no line of FILE matches.
expect_no_line() {
    if grep -Eq -- "$2" "$1"; then
        fail "$3: unexpected line matching /$2/:"
        sed 's/^/    /' "$1" >&2
    else
        ok "$3"
    fi
}

# wait_for SECONDS 'shell condition': true once the condition holds, false after SECONDS.
wait_for() {
    _wf_end=$(($(date +%s) + $1))
    while ! eval "$2"; do
        [ "$(date +%s)" -lt "$_wf_end" ] || return 1
        sleep 0.1
    done
}

# need_root WHY: skip unless root ("needs root WHY").
need_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root${1:+ $1}"
}
# need_tools TOOL...: skip unless each is installed.
need_tools() {
    for _nt in "$@"; do
        command -v "$_nt" >/dev/null || skip "$_nt not installed (tests/install-deps.sh)"
    done
}

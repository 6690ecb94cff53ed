#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each plugin links only what its job needs (docs/architecture.md): sbatch, srun, slurmctld and
# every slurmstepd load them, so a library pulled in by mistake costs every job. Fails when a
# plugin's dynamic dependencies (ldd: direct and indirect) include one it must not have, or
# lack one it must.
set -uo pipefail
libs=${AIF_BUILDDIR:?}/.libs
# shellcheck source=tests/lib/testlib.sh
source "${AIF_SRCDIR:-$(dirname "$0")/..}/tests/lib/testlib.sh"
check_links() {  # plugin, then "-pattern" (must not appear) / "+pattern" (must appear)
    local so=$libs/$1 deps rule; shift
    if [ ! -f "$so" ]; then fail "$(basename "$so"): not built"; return; fi
    deps=$(ldd "$so" | awk '{print $1}')
    for rule in "$@"; do
        local pat=${rule:1}
        if [ "${rule:0:1}" = - ] && grep -qE "$pat" <<<"$deps"; then
            fail "$(basename "$so") links $(grep -E "$pat" <<<"$deps" | tr '\n' ' ')"
        elif [ "${rule:0:1}" = + ] && ! grep -qE "$pat" <<<"$deps"; then
            fail "$(basename "$so") does not link $pat"
        fi
    done
    echo "ok   $(basename "$so"): $(tr '\n' ' ' <<<"$deps")"
}
net='^lib(curl|ssl|gnutls|nghttp|ssh|psl|ldap|rtmp)'
check_links aifactory.so -"$net" -'^libhwloc' -'^lib(microhttpd|sqlite3|pq)' +'^libjansson'
check_links job_submit_aifactory.so -"$net" -'^libhwloc' -'^lib(microhttpd|sqlite3|pq)' +'^libjansson'
check_links aifactory_acct.so -"$net" -'^libhwloc' -'^lib(microhttpd|sqlite3|pq)' +'^libjansson'
check_links ../plugins/bind/.libs/aifactory_bind.so -"$net" -'^lib(microhttpd|sqlite3|pq)' +'^libhwloc'
finish

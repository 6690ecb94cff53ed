#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Plugins see each library through its one public header (issue 10): fails when a plugin
# includes any other library header, when a public header does not compile on its own under
# -DAIF_PLUGIN, or when a header marked internal (#ifdef AIF_PLUGIN / #error) still compiles.
set -uo pipefail
src=${AIF_SRCDIR:-$(dirname "$0")/..}
# shellcheck source=tests/lib/testlib.sh
source "$src/tests/lib/testlib.sh"
public='(calc/calc|site/site|topo/topo|acct/acct|gpu/gpu|record/record_api|common/common)\.hpp'
stray=$(grep -rnE '#include "(calc|site|topo|acct|gpu|record|common|collect)/' "$src/plugins" | grep -vE "#include \"$public\"")
check "plugins include only public library headers" '[ -z "$stray" ]'
[ -n "$stray" ] && echo "$stray" >&2
flags="-std=c++20 -fsyntax-only -DAIF_PLUGIN -I$src/lib -I$src $(pkg-config --cflags jansson hwloc 2>/dev/null)"
compiles() { echo "#include \"$1\"" | ${CXX:-g++} $flags -x c++ - >/dev/null 2>&1; }
for h in calc/calc.hpp site/site.hpp topo/topo.hpp acct/acct.hpp gpu/gpu.hpp record/record_api.hpp common/common.hpp; do
    check "$h compiles alone in a plugin" 'compiles "$h"'
done
internal=$(cd "$src/lib" && grep -lE '^#ifdef AIF_PLUGIN' -- */*.hpp)
check "some headers are marked internal" '[ -n "$internal" ]'
for h in $internal; do
    check "$h refuses inclusion from a plugin" '! compiles "$h"'
done
finish

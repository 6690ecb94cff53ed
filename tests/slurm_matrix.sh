#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Compile matrix (issue 16): the four plugins built with -Werror against the Slurm of Debian
# bookworm (22.05), trixie (24.11) and sid (26.05), plus what headers cannot show: the
# job_submit/job_modify signatures each release's slurmctld calls, and every Slurm symbol the
# plugins use or declare themselves, against that release's exported libslurmfull.so symbols.
#
# libslurm-dev and slurm-wlm-basic-plugins (libslurmfull.so) are fetched with a private apt
# configuration (the machine's apt setup is only read: its mirror URI) and unpacked with
# dpkg-deb -x into a cache outside the clone, reused for AIF_SLURM_CACHE_DAYS (7) days; an
# older copy is refreshed, or used as it is when the mirror cannot be reached.
#   AIF_SLURM_CACHE            cache directory (default /var/cache/aifactory-slurm-matrix, else
#                              $XDG_CACHE_HOME/aifactory-slurm-matrix)
#   AIF_SLURM_MATRIX_RELEASES  Debian suites to check (default "bookworm trixie sid")
#   AIF_DEBIAN_MIRROR          mirror URI (default: the first non-security URI apt is configured with)
# Objects: build/slurm-matrix/<suite>/obj; the flags come from the main build (run-all.sh).
# Only plugins/ includes Slurm, so only the plugin sources are compiled per release (~20 s).
# One line per release: "slurm-matrix: <suite> <version>: ok|FAILED (<why>)|skipped (<why>)".
# Exit 0: all ok; 1: one failed; 77: none failed but one could not be checked (no mirror/network).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
releases=${AIF_SLURM_MATRIX_RELEASES:-bookworm trixie sid}
if [ -n "${AIF_SLURM_CACHE:-}" ]; then cache=$AIF_SLURM_CACHE
elif mkdir -p /var/cache/aifactory-slurm-matrix 2>/dev/null && [ -w /var/cache/aifactory-slurm-matrix ]; then
    cache=/var/cache/aifactory-slurm-matrix
else cache=${XDG_CACHE_HOME:-$HOME/.cache}/aifactory-slurm-matrix; fi
main=${AIF_BUILDDIR:-$top/build}
builds=$main/slurm-matrix
max_age_days=${AIF_SLURM_CACHE_DAYS:-7}

# shellcheck source=tests/slurm_mirror.sh
. "$top/tests/slurm_mirror.sh"

# Downloads and unpacks one suite's Slurm into $cache/<suite>/root; prints why on failure.
fetch() {
    local rel=$1 mirror=$2 dir=$cache/$1 keyring=/usr/share/keyrings/debian-archive-keyring.gpg opt=""
    [ -f "$keyring" ] && opt="[signed-by=$keyring] "
    mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/apt/parts" "$dir/apt/prefs" || return 1
    echo "deb ${opt}$mirror $rel main" >"$dir/apt/sources.list"
    : >"$dir/apt/status"
    local apt=(apt-get -q -o "Dir::Etc::SourceList=$dir/apt/sources.list" -o "Dir::Etc::SourceParts=$dir/apt/parts"
        -o "Dir::State::Lists=$dir/apt/lists" -o "Dir::Cache=$dir/apt/cache" -o "Dir::State::status=$dir/apt/status"
        -o Dir::Etc::Preferences=/dev/null -o "Dir::Etc::PreferencesParts=$dir/apt/prefs"
        -o Acquire::Languages=none -o "APT::Architectures=$(dpkg --print-architecture)" -o Debug::NoLocking=1
        -o APT::Sandbox::User=root -o Acquire::http::Timeout=20 -o Acquire::Retries=1)
    timeout 300 "${apt[@]}" update >"$dir/fetch.log" 2>&1 && ! grep -qE '^(W|E): Failed' "$dir/fetch.log" ||
        { echo "no network to $mirror ($rel index not fetched)"; return 2; }
    rm -rf "$dir/debs" "$dir/root.new" && mkdir -p "$dir/debs" "$dir/root.new" || return 1
    (cd "$dir/debs" && timeout 300 "${apt[@]}" download libslurm-dev slurm-wlm-basic-plugins) >>"$dir/fetch.log" 2>&1 ||
        { echo "download of $rel's libslurm-dev/slurm-wlm-basic-plugins failed (see $dir/fetch.log)"; return 2; }
    local deb
    for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root.new" || { echo "cannot unpack $deb"; return 1; }; done
    rm -rf "$dir/debs" "$dir/apt/cache" "$dir/apt/lists" "$dir/root" && mv "$dir/root.new" "$dir/root" && touch "$dir/fetched"
}

# Slurm functions/variables declared in extern "C" blocks of plugins/ (outside Slurm's headers).
declared_slurm_symbols() {
    find "$top/plugins" -name '*.[ch]pp' -exec cat {} + | sed -e 's://.*$::' -e '/^[[:space:]]*#/d' | awk '
        { text = text " " $0 }
        END {
            n = split(text, parts, /extern "C"[ \t]*\{/)
            for (p = 2; p <= n; p++) {
                s = parts[p]; depth = 1; stmt = ""
                for (i = 1; i <= length(s) && depth > 0; i++) {
                    c = substr(s, i, 1)
                    if (c == "{") { depth++; stmt = "" } else if (c == "}") { depth--; stmt = "" }
                    else if (depth == 1 && c == ";") {
                        if (stmt !~ /=/) {
                            if (match(stmt, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) { name = substr(stmt, RSTART, RLENGTH); sub(/[ \t]*\($/, "", name) }
                            else { name = stmt; sub(/[ \t\[\]0-9]*$/, "", name); sub(/.*[^A-Za-z0-9_]/, "", name) }
                            print name
                        }
                        stmt = ""
                    } else if (depth == 1) stmt = stmt c
                }
            }
        }' | sort -u
}

# What a release's slurmctld calls (from SchedMD's sources, src/slurmctld/job_submit.c): the
# plugin's own prototypes must equal these, or slurmctld calls it with the wrong arguments.
signature_probe() {
    local num=$1
    echo '#include <slurm/slurm.h>'
    echo 'struct job_record;'
    echo 'extern "C" int job_submit(job_desc_msg_t*, uint32_t, char**);'
    if [ "$num" -ge $((0x170200)) ]; then  # 23.02 added err_msg
        echo 'extern "C" int job_modify(job_desc_msg_t*, job_record*, uint32_t, char**);'
    else
        echo 'extern "C" int job_modify(job_desc_msg_t*, job_record*, uint32_t);'
    fi
}

# Make variables of the main build (configured and built by run-all.sh), with Slurm's headers
# swapped for the release's: only plugins/ includes Slurm (lib/ has no Slurm dependency), so only
# the plugins' own sources are compiled per release, not the libraries.
main_var() {  # main_var RELEASE_ROOT EXPR
    make -s -C "$main" -f Makefile -f - top_srcdir="$top" SLURM_CPPFLAGS="-I$1/usr/include" aif-print 2>/dev/null \
        <<<"aif-print: ; @echo $2"
}

# Symbols and signatures of one compiled release; prints the problems, one per line.
check_symbols() {
    local rel=$1 bdir=$2 root=$3 num=$4 full so
    full=$(find "$root" -name libslurmfull.so -print -quit)
    [ -n "$full" ] || { echo "no libslurmfull.so in $rel's slurm-wlm-basic-plugins"; return; }
    local exported used defined
    exported=$(nm -D --defined-only "$full" | awk '{print $NF}' | sort -u)
    used=$(nm --undefined-only "$bdir"/obj/*.o | awk '{print $NF}' | grep -E '^(slurm|spank)_' | sort -u)
    defined=$(nm --defined-only "$bdir"/obj/*.o | awk '{print $NF}' | sort -u)
    so=$main/.libs/job_submit_aifactory.so
    for sym in init fini job_submit job_modify plugin_name plugin_type plugin_version; do
        nm -D --defined-only "$so" | awk '{print $NF}' | grep -qx "$sym" || echo "job_submit_aifactory.so does not export $sym"
    done
    # Declared by the plugins themselves minus what they define: Slurm must export each.
    for sym in $( (declared_slurm_symbols | grep -vxF -f <(echo "$defined"); echo "$used") | sort -u); do
        [ -n "$sym" ] && ! grep -qx "$sym" <<<"$exported" && echo "$sym not exported by $rel's libslurmfull.so"
    done
    local probe=$bdir/signature_probe.hpp
    signature_probe "$num" >"$probe"
    # shellcheck disable=SC2046  # the flags are words
    ${CXX:-g++} $(plugin_flags "$root") -fsyntax-only -include "$probe" "$top/plugins/job_submit/job_submit_aifactory.cpp" \
        >"$bdir/signature.log" 2>&1 ||
        echo "job_submit/job_modify prototypes differ from what $rel's slurmctld calls: $(grep -m1 -o 'conflicting declaration.*\|error:.*' "$bdir/signature.log")"
}

# The compiler flags of the main build's plugins, with the release's Slurm headers. The plugins
# use none of configure's string macros (DEFS, AIF_DATADIR), so no shell quoting is involved.
plugin_flags() {
    echo "-DAIF_PLUGIN -I$top/lib -I$top -I$1/usr/include $(main_var "$1" '$(AM_CXXFLAGS) $(JANSSON_CFLAGS) $(HWLOC_CFLAGS)')"
}

# Compiles every plugin source with -Werror against the release's headers (at -O0: the point
# is what the headers accept, and it is a third of the time), two at a time.
compile_plugins() {
    local root=$1 bdir=$2 flags src obj pids=() rc=0
    flags=$(plugin_flags "$root")
    rm -rf "$bdir/obj" && mkdir -p "$bdir/obj"
    for src in $(cd "$top" && ls plugins/*/*.cpp); do
        obj=$bdir/obj/$(echo "${src%.cpp}" | tr / _).o
        # shellcheck disable=SC2086  # the flags are words
        nice ${CXX:-g++} $flags -O0 -g0 -c "$top/$src" -o "$obj" >"$obj.log" 2>&1 &
        pids+=($!)
        if [ ${#pids[@]} -ge "${AIF_JOBS:-2}" ]; then wait "${pids[0]}" || rc=1; pids=("${pids[@]:1}"); fi
    done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    [ $rc = 0 ] || { grep -h -m1 'error' "$bdir"/obj/*.log | head -1; return 1; }
}

check_release() {
    local rel=$1 root=$cache/$1/root bdir=$builds/$1 version num problems why
    num=$(( $(sed -n 's/^#define SLURM_VERSION_NUMBER \(0x[0-9a-fA-F]*\).*/\1/p' "$root/usr/include/slurm/slurm_version.h") ))
    version=$(printf '%d.%02d.%d' $((num >> 16)) $(((num >> 8) & 255)) $((num & 255)))
    mkdir -p "$bdir"
    why=$(compile_plugins "$root" "$bdir") ||
        { echo "slurm-matrix: $rel $version: FAILED (compile: $why)"; return 1; }
    problems=$(check_symbols "$rel" "$bdir" "$root" "$num")
    if [ -n "$problems" ]; then
        echo "slurm-matrix: $rel $version: FAILED ($(paste -sd';' <<<"$problems" | sed 's/;/; /g'))"; return 1
    fi
    echo "slurm-matrix: $rel $version: ok"
}

for tool in apt-get dpkg-deb nm; do
    command -v "$tool" >/dev/null || { echo "slurm-matrix: skipped ($tool not found: not a Debian system)"; exit 77; }
done
[ -f "$main/Makefile" ] && [ -f "$main/.libs/job_submit_aifactory.so" ] ||
    { echo "slurm-matrix: FAILED ($main is not a built tree: run tests/run-all.sh first)"; exit 1; }
mkdir -p "$cache" "$builds" || { echo "slurm-matrix: FAILED (cannot create $cache or $builds)"; exit 1; }
mirror=$(mirror_uri | head -1)
status=0
for rel in $releases; do
    why=""
    if [ -z "$(find "$cache/$rel/fetched" -mtime -"$max_age_days" 2>/dev/null)" ]; then
        if [ -z "$mirror" ]; then why="no Debian mirror in apt's sources"
        elif why=$(fetch "$rel" "$mirror"); then why=""
        else why=${why:-cannot write $cache/$rel}; fi
        if [ -n "$why" ] && [ -f "$cache/$rel/fetched" ]; then
            echo "slurm-matrix: $rel: refresh failed ($why); using the copy from $(date -r "$cache/$rel/fetched" +%F)"
            why=""
        fi
    fi
    if [ -n "$why" ]; then
        echo "slurm-matrix: $rel ?: skipped ($why)"
        [ "$status" = 0 ] && status=77
        continue
    fi
    check_release "$rel" || status=1
done
exit "$status"

# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced by tests/slurm_matrix.sh and tests/slurm_runtime.sh: the Debian mirror to fetch other
# releases from, read from apt's configuration (never written into the repository).

# The first URI of a Debian archive (not the security one) in apt's sources, deb822 or one-line.
mirror_uri() {
    [ -n "${AIF_DEBIAN_MIRROR:-}" ] && { echo "$AIF_DEBIAN_MIRROR"; return; }
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk 'BEGIN{RS=""} /(^|\n)Types:[^\n]*deb([ \n]|$)/ && !/(^|\n)Suites:[^\n]*-security/ {
            if (match($0, /(^|\n)URIs:[ \t]*[^ \t\n]+/)) { s=substr($0, RSTART, RLENGTH); sub(/^\n?URIs:[ \t]*/, "", s); print s } }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] && awk '$1=="deb" { i=2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
            if ($(i+1) !~ /-security/) print $i }' "$f"
    done
}

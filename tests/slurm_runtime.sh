#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runtime matrix (issue 16): the local-cluster integration tests on another Slurm release, inside
# a Debian chroot with that release's own slurmctld, slurmd, slurm-client, munge and compiler.
# aifactory is configured and built inside the chroot (that release's headers, libraries and
# g++), in build/slurm-runtime/<suite>, then the Slurm-facing tests run there through make check.
#
# The chroot is made once per machine with mmdebstrap (minbase) into a cache outside the clone
# and rebuilt only when missing or when the package list below changes. The source tree is
# bind-mounted at the same path inside it, in a private mount namespace (unshare), so nothing
# stays mounted when this script ends, however it ends; the machine's /etc/hosts is mounted over
# the chroot's (slurmctld must resolve the name of the host srun runs on: 24.11 stalls otherwise).
# Results (2026-12-02): sid 26.05.5 and trixie 24.11.5 pass all 7 tests (83 s and 52 s
# with a built tree; the first build inside a chroot adds about 3 min).
#   AIF_SLURM_MATRIX           "all": sid (26.05) and trixie (24.11); default: sid only
#   AIF_SLURM_RUNTIME_SUITES   explicit list of Debian suites (overrides the above)
#   AIF_SLURM_RUNTIME_CACHE    cache directory (default /var/cache/aifactory-slurm-runtime)
#   AIF_SLURM_RUNTIME_TESTS    integration tests to run (default: the list below)
#   AIF_DEBIAN_MIRROR          mirror URI (default: the one apt is configured with)
#   AIF_SLURM_RUNTIME_DEB      "1": also build the Debian packages (debian/) inside a second
#                              chroot <suite>-deb (the list below plus the Build-Depends), install
#                              them there in a throwaway overlay and run install_deb.sh on them
#                              (slurmctld, slurmd and srun load the installed plugins); "only":
#                              that alone; "reuse": check the last build again. Off by default:
#                              it adds about 3 min once (the chroot), then per run the package
#                              build (16 min on 2 busy cores, 2026-12-02) and 20 s of checks.
# One line per suite: "slurm-runtime: <suite> <slurm version>: ok|FAILED (<why>)|skipped (<why>)",
# and with AIF_SLURM_RUNTIME_DEB one more: "slurm-runtime: <suite> <version> packages: ...".
# Exit 0: all ok; 1: one failed; 77: none failed but one could not be run (no root, no mirror).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
main=${AIF_BUILDDIR:-$top/build}
cache=${AIF_SLURM_RUNTIME_CACHE:-/var/cache/aifactory-slurm-runtime}
if [ -n "${AIF_SLURM_RUNTIME_SUITES:-}" ]; then suites=$AIF_SLURM_RUNTIME_SUITES
elif [ "${AIF_SLURM_MATRIX:-}" = all ]; then suites="sid trixie"
else suites=sid; fi
# The tests that talk to Slurm daemons: submission checks, the SPANK step hooks, accounting.
tests=${AIF_SLURM_RUNTIME_TESTS:-tests/integration/submit_fits.sh tests/integration/submit_reject.sh
    tests/integration/submit_policy.sh tests/integration/submit_srun.sh tests/integration/submit_reconfigure.sh
    tests/integration/acct_slurm.sh tests/integration/bind_srun.sh}
packages=slurmctld,slurmd,slurm-client,munge,libslurm-dev,g++,make,pkg-config,libhwloc-dev,libjansson-dev,libcurl4-openssl-dev,nettle-dev,uuid-dev,zlib1g-dev,libxml2-dev,procps,python3,openssl
# The packaging check's own chroot (<suite>-deb): the above plus debian/control's Build-Depends.
deb_packages=$packages,build-essential,debhelper,dh-autoreconf,check,libmicrohttpd-dev,libsqlite3-dev,libpq-dev,groff-base

# shellcheck source=tests/slurm_mirror.sh
. "$top/tests/slurm_mirror.sh"

say() { echo "slurm-runtime: $*"; }

# Makes (or reuses) the chroot NAME (a suite, or <suite>-deb) with the package list LIST;
# prints why on failure.
make_root() {
    local name=$1 list=$2 suite=${1%-deb} dir=$cache/$1 mirror
    if [ -f "$dir/ready" ] && [ "$(cat "$dir/ready")" = "$list" ]; then return 0; fi
    command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed"; return 2; }
    mirror=$(mirror_uri | head -1)
    [ -n "$mirror" ] || { echo "no Debian mirror in apt's configuration"; return 2; }
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    local start=$SECONDS
    # The archive a machine is configured with may be a snapshot whose Release file has expired.
    if ! timeout 900 mmdebstrap --variant=minbase --mode=root --aptopt='Acquire::Check-Valid-Until "false"' \
        --include="$list" "$suite" "$dir/root" "$mirror" >"$dir/mmdebstrap.log" 2>&1; then
        echo "could not make the $name chroot from $mirror (see $dir/mmdebstrap.log)"; return 2
    fi
    echo "$list" >"$dir/ready"
    say "$name chroot made in $((SECONDS - start)) s ($(du -sh "$dir/root" | cut -f1))" >&2
}

# Runs a command inside the chroot $1 with the tree mounted at its own path. With root_layer
# set to an empty directory, the chroot's changes (dpkg -i) go to an overlay there instead.
in_root() {
    local root=$cache/$1/root; shift
    unshare --mount --propagation private -- sh -c '
        root=$1 src=$2 layer=$3; shift 3
        if [ -n "$layer" ]; then
            mkdir -p "$layer/up" "$layer/work" "$layer/root" &&
            mount -t overlay overlay -o "lowerdir=$root,upperdir=$layer/up,workdir=$layer/work" "$layer/root" ||
                exit 1
            root=$layer/root
        fi
        mkdir -p "$root/proc" "$root/dev" "$root/sys" "$root/tmp"
        mount -t proc proc "$root/proc" &&
        mount --rbind /dev "$root/dev" && mount -t sysfs sys "$root/sys" &&
        mount -t tmpfs tmpfs "$root/tmp" || exit 1
        # After the tmpfs: a tree under /tmp (a CI clone) is mounted on top of it, not hidden.
        mkdir -p "$root$src" && mount --bind "$src" "$root$src" || exit 1
        # The third-party test topologies beside the clone (tests read $AIF_SRCDIR/../shared).
        shared=$(dirname "$src")/shared
        if [ -d "$shared" ]; then mkdir -p "$root$shared" && mount --bind "$shared" "$root$shared" || exit 1; fi
        # This machine'"'"'s host names, as a container gets them: slurmctld resolves the name of
        # the host srun runs on to reach it; 24.11 retries for 10 s, locks held, per ending job.
        mount --bind -o ro /etc/hosts "$root/etc/hosts" || exit 1
        exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
    ' sh "$root" "$top" "${root_layer:-}" "$@"
}

run_suite() {
    local suite=$1 why rc version bdir=$main/slurm-runtime/$1
    why=$(make_root "$suite" "$packages"); rc=$?
    if [ $rc -ne 0 ]; then
        if [ $rc -eq 2 ]; then say "$suite: skipped ($why)"; return 77; fi
        say "$suite: FAILED ($why)"; return 1
    fi
    version=$(in_root "$suite" slurmctld -V | awk '{print $2}')
    mkdir -p "$bdir"
    # -O0: this build proves the plugins load and behave on this release; the optimised,
    # -Werror build is main's, and the compile matrix covers every release's headers.
    if ! in_root "$suite" sh -c "cd '$bdir' && { [ -f Makefile ] || '$top/configure' --quiet \
            --disable-collector --disable-unit-tests CXXFLAGS=-O0; } && make -j2 >build.log 2>&1" \
            >"$main/slurm-runtime-$suite.log" 2>&1; then
        tail -30 "$bdir/build.log" "$main/slurm-runtime-$suite.log" 2>/dev/null
        say "$suite $version: FAILED (build inside the chroot; see $bdir/build.log)"; return 1
    fi
    # make check sets AIF_SRCDIR/AIF_BUILDDIR for the chroot's build; the .trs files it leaves
    # count in run-all.sh's closing line.
    if ! in_root "$suite" make -C "$bdir" check TESTS="$(echo $tests)" >>"$main/slurm-runtime-$suite.log" 2>&1; then
        grep -E '^(FAIL|ERROR|XPASS)' "$main/slurm-runtime-$suite.log"
        [ -f "$bdir/test-suite.log" ] && tail -80 "$bdir/test-suite.log"
        say "$suite $version: FAILED (tests; see $bdir/test-suite.log)"; return 1
    fi
    grep -E '^# (PASS|SKIP|FAIL)' "$main/slurm-runtime-$suite.log" | tr '\n' ' '; echo
    say "$suite $version: ok"
}

# Packaging (issue 16): debian/ built with dpkg-buildpackage inside <suite>-deb, the .debs
# installed there (in a throwaway overlay: the cached chroot stays clean) and checked by
# tests/integration/install_deb.sh: contents, the Slurm pin, and a local cluster whose slurmctld,
# slurmd and srun load the installed plugins.
run_deb() {
    local suite=$1 name=$1-deb why rc version start built bdir=$main/slurm-runtime/$1-deb layer
    why=$(make_root "$name" "$deb_packages"); rc=$?
    if [ $rc -ne 0 ]; then
        if [ $rc -eq 2 ]; then say "$suite packages: skipped ($why)"; return 77; fi
        say "$suite packages: FAILED ($why)"; return 1
    fi
    version=$(in_root "$name" slurmctld -V | awk '{print $2}')
    # The tracked files only, as install_deb.sh builds them (git metadata is outside the chroot).
    start=$SECONDS
    if [ "${AIF_SLURM_RUNTIME_DEB:-}" = reuse ] && [ -f "$bdir/build.ok" ]; then
        say "$suite packages: reusing the build of $(date -r "$bdir/build.ok" +%FT%T)"
    elif ! { rm -rf "$bdir" && mkdir -p "$bdir/src/aifactory" &&
            (cd "$top" && git ls-files -z | xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$bdir/src/aifactory"; }; then
        say "$suite packages: FAILED (could not copy the tracked tree)"; return 1
    elif ! in_root "$name" sh -c "cd '$bdir/src/aifactory' &&
            DEB_BUILD_OPTIONS='nocheck parallel=2' dpkg-buildpackage -us -uc -b" >"$bdir/build.log" 2>&1; then
        tail -30 "$bdir/build.log"
        say "$suite $version packages: FAILED (dpkg-buildpackage; see $bdir/build.log)"; return 1
    else
        touch "$bdir/build.ok"
    fi
    built=$((SECONDS - start)) start=$SECONDS
    layer=$(mktemp -d "$cache/layer.XXXXXX") || return 1
    root_layer=$layer in_root "$name" sh -c "dpkg -i '$bdir'/src/aifactory_*.deb '$bdir'/src/slurm-aifactory-plugins_*.deb &&
        AIF_DEB_DIR='$bdir/src' AIF_DEB_INSTALLED=1 AIF_SRCDIR='$top' '$top/tests/integration/install_deb.sh'" \
        >"$bdir/install.log" 2>&1; rc=$?
    rm -rf "$layer"
    if [ $rc -ne 0 ]; then
        grep -E '^(FAIL|SKIP)|^dpkg: error' "$bdir/install.log"
        say "$suite $version packages: FAILED (install; see $bdir/install.log)"; return 1
    fi
    say "$suite $version packages: ok (built in $built s; installed and checked in $((SECONDS - start)) s)"
}

[ "$(id -u)" -eq 0 ] || { say "skipped (needs root for the chroot)"; exit 77; }
status=0
for suite in $suites; do
    rc=0
    case ${AIF_SLURM_RUNTIME_DEB:-0} in only|reuse) ;; *) run_suite "$suite"; rc=$? ;; esac
    if [ "${AIF_SLURM_RUNTIME_DEB:-0}" != 0 ]; then
        run_deb "$suite"; drc=$?
        if [ $drc -eq 1 ] || { [ $drc -eq 77 ] && [ $rc -eq 0 ]; }; then rc=$drc; fi
    fi
    if [ $rc -eq 1 ]; then status=1; elif [ $rc -eq 77 ] && [ $status -eq 0 ]; then status=77; fi
done
exit $status

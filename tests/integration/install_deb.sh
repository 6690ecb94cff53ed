#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian packages as a sysadmin gets them: build them with dpkg-buildpackage, unpack both
# into a clean root, check what they contain and what they depend on, then start a real local
# Slurm whose PluginDir is the unpacked plugin directory, with the packaged aifactory.conf, and
# submit one job that fits and one that does not; slurmd and srun load the SPANK plugins.
# Slow (a full package build): runs only with AIF_SLOW_TESTS=1, or with AIF_DEB_DIR=DIR holding
# already built .debs. Needs root (Slurm daemons) and debhelper + dh-autoreconf.
# AIF_DEB_INSTALLED=1: the packages are installed on this system (tests/slurm_runtime.sh does
# so in a throwaway layer over a chroot): check them where dpkg put them, and let Slurm load
# the plugins from its own PluginDir.
set -uo pipefail
src=${AIF_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/testlib.sh
source "$src/tests/lib/testlib.sh"
need_root
if [ -z "${AIF_DEB_DIR:-}" ] && [ "${AIF_SLOW_TESTS:-0}" != 1 ]; then
    skip "set AIF_SLOW_TESTS=1 (builds the packages) or AIF_DEB_DIR=DIR"
fi
tmp=$(mktemp -d /tmp/aif-deb.XXXXXX)
chmod 755 "$tmp"

debs=${AIF_DEB_DIR:-}
if [ -z "$debs" ]; then
    command -v dpkg-buildpackage >/dev/null && command -v dh_autoreconf >/dev/null ||
        die "apt-get install debhelper dh-autoreconf"
    # Build from a clean copy of the tracked tree, so the result does not depend on this checkout.
    mkdir -p "$tmp/src/aifactory"
    (cd "$src" && git ls-files -z | xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$tmp/src/aifactory" ||
        cp -a "$src/." "$tmp/src/aifactory/"
    start=$(date +%s)
    (cd "$tmp/src/aifactory" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) \
        >"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; die "dpkg-buildpackage"; }
    echo "packages built in $(($(date +%s) - start)) s"
    debs=$tmp/src
fi
deb_tool=$(ls "$debs"/aifactory_*.deb | head -1)
deb_plug=$(ls "$debs"/slurm-aifactory-plugins_*.deb | head -1)
[ -f "$deb_tool" ] && [ -f "$deb_plug" ] || die "no .deb files in $debs"

# ---- contents and metadata --------------------------------------------------------------------
if [ "${AIF_DEB_INSTALLED:-0}" = 1 ]; then
    root=
    want=$(dpkg-deb -f "$deb_plug" Version)
    for p in aifactory slurm-aifactory-plugins; do
        [ "$(dpkg-query -W -f='${Version} ${db:Status-Status}' $p 2>/dev/null)" = "$want installed" ] ||
            die "$p $want is not installed"
    done
    ok "both packages installed ($want)"
else
    root=$tmp/root
    dpkg -x "$deb_tool" "$root" && dpkg -x "$deb_plug" "$root" || die "dpkg -x"
fi
pd=$root/usr/lib/x86_64-linux-gnu/slurm-wlm
for f in usr/bin/aifactory usr/share/aifactory/models.json usr/share/aifactory/hardware.json \
         lib/systemd/system/aifactory-sender.service lib/systemd/system/aifactory-collector.service \
         usr/share/man/man1/aifactory.1.gz usr/share/man/man5/aifactory.conf.5.gz \
         usr/share/man/man8/job_submit_aifactory.8.gz usr/share/man/man8/aifactory_spank.8.gz \
         usr/share/doc/aifactory/operations.md etc/slurm/aifactory.conf \
         etc/slurm/plugstack.conf.d/aifactory.conf \
         usr/lib/x86_64-linux-gnu/slurm-wlm/job_submit_aifactory.so \
         usr/lib/x86_64-linux-gnu/slurm-wlm/aifactory.so usr/lib/x86_64-linux-gnu/slurm-wlm/aifactory_bind.so \
         usr/lib/x86_64-linux-gnu/slurm-wlm/aifactory_acct.so; do
    [ -e "$root/$f" ] && ok "ships /$f" || fail "missing /$f"
done
ls "$pd"/*.la >/dev/null 2>&1 && fail "libtool .la files shipped"
grep -Eq '^(required|optional) ' "$root/etc/slurm/plugstack.conf.d/aifactory.conf" &&
    fail "plugstack snippet enables a plugin on install" || ok "plugstack snippet is commented out"
slurm_version=$(dpkg-query -W -f='${Version}' slurm-wlm-basic-plugins)
dpkg-deb -f "$deb_plug" Depends | grep -qF "slurm-wlm-basic-plugins (= $slurm_version)" &&
    ok "plugins depend on slurm-wlm-basic-plugins (= $slurm_version)" ||
    fail "plugin Depends: $(dpkg-deb -f "$deb_plug" Depends)"
dpkg-deb -f "$deb_plug" Conffiles >/dev/null; dpkg-deb -I "$deb_plug" conffiles | grep -q /etc/slurm/aifactory.conf &&
    ok "aifactory.conf is a conffile" || fail "aifactory.conf is not a conffile"
# Our pages only (installed, the directory holds every package's). Every groff warning but
# "cannot adjust line" (-Wbreak): that one depends on the groff release (1.24 warns about
# aifactory.conf(5)'s long AIFACTORY_PREDICTION line, 1.22 does not) and is cosmetic.
for m in $( (dpkg-deb -c "$deb_tool"; dpkg-deb -c "$deb_plug") |
        awk '$6 ~ /^\.\/usr\/share\/man\/.*\.gz$/ { print substr($6, 2) }'); do
    m=$root$m
    w=$(zcat "$m" | LC_ALL=C.UTF-8 groff -ww -Wbreak -man -Tutf8 -z 2>&1)
    [ -z "$w" ] || fail "$(basename "$m"): $w"
done
AIFACTORY_DATADIR=$root/usr/share/aifactory "$root/usr/bin/aifactory" fit --model llama3.1-8b \
    --system leonardo-booster >/dev/null && ok "packaged CLI runs on the packaged catalogues" ||
    fail "packaged aifactory fit"

# ---- the real Slurm, loading the unpacked plugins ---------------------------------------------
# lib.sh puts $AIF_BUILDDIR/.libs on PluginDir: point it at the unpacked plugin directory
# (installed: Slurm's own PluginDir, already first on the list, has them).
mkdir -p "$tmp/fake-build"
[ -n "$root" ] && ln -s "$pd" "$tmp/fake-build/.libs"
export AIF_SRCDIR=$src AIF_BUILDDIR=$tmp/fake-build
export AIFACTORY_DATADIR=$root/usr/share/aifactory
CLUSTER_SPANK=$pd/aifactory.so
CLUSTER_SITE_CONF=$(cat "$root/etc/slurm/aifactory.conf")
# The node-side plugins, required: slurmd refuses to start when one does not load.
head -c 32 /dev/urandom >"$tmp/user.key" && head -c 32 /dev/urandom >"$tmp/prediction.key"
chmod 600 "$tmp/user.key" "$tmp/prediction.key"
printf '%s\n' "site = deb-test" "site_namespace = 3f7c2a8e-5d1b-4c6a-9e0f-1a2b3c4d5e6f" \
    "user_key_file = $tmp/user.key" "prediction_key_file = $tmp/prediction.key" \
    "outbox = $tmp/outbox" "min_free_mb = 0" >"$tmp/acct.conf"
mkdir -p "$tmp/outbox"
CLUSTER_PLUGSTACK_EXTRA="required $pd/aifactory_bind.so cache=$tmp/topology.xml
required $pd/aifactory_acct.so config=$tmp/acct.conf"
# shellcheck source=tests/cluster/lib.sh
source "$src/tests/cluster/lib.sh"
trap 'cluster_stop; rm -rf "$tmp"' EXIT
cluster_start || die "cluster did not start"
plugins_at=$pd; [ -n "$root" ] && plugins_at=$tmp/fake-build/.libs
grep -q "^PluginDir=.*$plugins_at" "$SLURM_CONF" && ok "PluginDir has the packaged plugins ($plugins_at)" ||
    fail "PluginDir: $(grep PluginDir "$SLURM_CONF")"
cd "$CLUSTER_ROOT/work" || exit 1
run() { runuser -u nobody -- env SLURM_CONF="$SLURM_CONF" AIFACTORY_DATADIR="$AIFACTORY_DATADIR" "$@"; }
out=$(run sbatch --llm-model=llama3.1-8b --llm-layout=tp=4 -p boost_usr_prod -N1 --gpus-per-node=4 \
      --mem=100 -o /dev/null --wrap true 2>&1)
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'aifactory: OK, llama3.1-8b fits' && ok "fitting job accepted" ||
    fail "fitting job: rc=$rc $out"
out=$(run sbatch --llm-model=llama3.1-70b -p boost_usr_prod -N1 --gpus-per-node=1 --mem=100 \
      -o /dev/null --wrap true 2>&1)
rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'does not fit in GPU memory' && ok "oversized job rejected" ||
    fail "oversized job: rc=$rc $out"
log=$CLUSTER_ROOT/log/slurmctld.log
grep -q 'aifactory: loaded' "$log" && ok "slurmctld loaded job_submit_aifactory.so from the package" ||
    fail "no 'aifactory: loaded' in slurmctld.log"
grep -q "Incompatible" "$log" && fail "version mismatch: $(grep Incompatible "$log")"
# slurmd loaded aifactory_bind.so (it caches the topology at start); srun and slurmstepd load
# it for a step; slurmstepd loaded aifactory_acct.so if the jobs left records in the outbox.
grep -q "aifactory_bind: cached topology" "$CLUSTER_ROOT/log/slurmd.log" && [ -s "$tmp/topology.xml" ] &&
    ok "slurmd loaded aifactory_bind.so from the package" || fail "slurmd.log lacks the bind plugin's cache line"
out=$(run srun --mem=100 -n1 --llm-bind=verbose true 2>&1)
echo "$out" | grep -q "^aifactory_bind: rank 0 host " && ok "srun and slurmstepd ran aifactory_bind.so" ||
    fail "srun --llm-bind=verbose: $out"
for i in $(seq 1 50); do [ -n "$(find "$tmp/outbox" -name '*.rec' 2>/dev/null)" ] && break; sleep 0.2; done
[ -n "$(find "$tmp/outbox" -name '*.rec')" ] && ok "slurmstepd ran aifactory_acct.so (records in the outbox)" ||
    fail "no accounting record in $tmp/outbox"
on_failure() { cluster_dump_logs 2>&1 | tail -30; }
finish "install_deb: all checks passed"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages aifactory builds and tests with (only those missing). Needs root.
set -euo pipefail
pkgs=(build-essential autoconf automake libtool pkg-config
      libslurm-dev slurmctld slurmd slurm-client munge
      libhwloc-dev hwloc libcurl4-openssl-dev libjansson-dev check
      nettle-dev zlib1g-dev uuid-dev libxml2-dev
      python3 openssl curl procps
      libmicrohttpd-dev libsqlite3-dev chromium fonts-dejavu-core postgresql libpq-dev
      # release checks: fuzzing (clang), man pages, Debian and RPM packaging, the Slurm runtime
      # matrix's chroot (tests/slurm_runtime.sh)
      clang-14 libclang-rt-14-dev groff debhelper dh-autoreconf rpm fakeroot mmdebstrap)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs bench/bench_collect with a private PostgreSQL server (tests/collector/pg.sh) so that the
# ingest rate is measured for both stores in the same run. Needs root and Debian's postgresql.
# The server keeps its default durability (fsync on), like SQLite's synchronous=FULL.
set -eu
S=$(cd "$(dirname "$0")/.." && pwd)
B=${AIF_BUILDDIR:-$S/build}
. "$S/tests/collector/pg.sh"
T=$(mktemp -d /tmp/bench_collect_pg.XXXXXX)
trap 'pg_stop; rm -rf "$T"' EXIT
pg_start "$T/pg"
AIF_BENCH_PG="$CONN" "$B/bench/bench_collect"

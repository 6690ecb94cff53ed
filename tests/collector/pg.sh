# SPDX-License-Identifier: GPL-2.0-or-later
# A private PostgreSQL server for tests and benchmarks (sourced; bash). pg_start DIR starts one
# from Debian's packages in DIR on a free port, as the postgres user, and sets PGPORT and CONN;
# pg_stop stops it through its own pid file. Returns 77 when it cannot run here.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
pg_start() {
    PG=$1
    [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server not installed (tests/install-deps.sh)"; return 77; }
    [ "$(id -u)" -eq 0 ] || { echo "needs root to run the server as the postgres user"; return 77; }
    id postgres >/dev/null 2>&1 || { echo "no postgres user (install postgresql)"; return 77; }
    mkdir -p "$PG/sock"
    chown -R postgres "$PG"
    chmod 755 "$(dirname "$PG")"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PG/data" -A trust -U postgres -N >"$PG/initdb.log" 2>&1 ||
        { echo "initdb failed: $(tail -3 "$PG/initdb.log")"; return 1; }
    local i
    for i in $(seq 1 50); do
        PGPORT=$((40000 + RANDOM % 5000))
        (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null || break
    done
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 30 \
        -o "-p $PGPORT -k $PG/sock -c listen_addresses=127.0.0.1 ${PG_OPTIONS:-}" start >/dev/null ||
        { echo "postgres did not start: $(tail -5 "$PG/server.log")"; return 1; }
    psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c 'CREATE DATABASE aif' || return 1
    CONN="host=127.0.0.1 port=$PGPORT dbname=aif user=postgres"
}
pg_stop() {
    [ -n "${PG:-}" ] && [ -f "$PG/data/postmaster.pid" ] || return 0
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m fast -w stop >/dev/null 2>&1 || true
}

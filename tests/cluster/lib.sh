# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# A throwaway single-host Slurm cluster for integration tests: munged, slurmctld and slurmd on
# loopback, on free non-default ports, in a temporary directory, with fake GPUs. Source this file,
# then `cluster_start` ... `cluster_stop`. Interface and knobs: tests/cluster/README.md.
#
# Only the daemons started here are ever stopped, by the PIDs recorded in $CLUSTER_ROOT/pids/.

: "${AIF_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${AIF_BUILDDIR:=$AIF_SRCDIR/build}"
SLURM_DEBIAN_PLUGINDIR=${SLURM_DEBIAN_PLUGINDIR:-/usr/lib/x86_64-linux-gnu/slurm-wlm}

# ---- knobs (set before cluster_start) ---------------------------------------------------------
: "${CLUSTER_JOB_SUBMIT=aifactory}"          # JobSubmitPlugins=; empty for none
: "${CLUSTER_SPANK=$AIF_BUILDDIR/.libs/aifactory.so}"  # our SPANK plugin; empty for none
: "${CLUSTER_SPANK_ARGS=}"                   # plugstack.conf arguments for it
: "${CLUSTER_PLUGSTACK_EXTRA=}"              # more plugstack.conf lines (other plugins)
: "${CLUSTER_SLURM_EXTRA=}"                  # more slurm.conf lines
: "${CLUSTER_SITE_CONF=}"                    # aifactory.conf contents; empty: the default below
: "${CLUSTER_AUTH=munge}"                    # munge or none
: "${CLUSTER_PLUGIN_FILES=}"                 # extra plugin .so files copied into PluginDir
: "${CLUSTER_CONF_FILES=}"                   # files copied next to slurm.conf (job_submit.lua...)
: "${CLUSTER_SCHED_PARAMS=bf_interval=5}"    # SchedulerParameters=
: "${CLUSTER_CTLD_DEBUG=verbose}"            # SlurmctldDebug= (tests grep the log)
: "${CLUSTER_TEMPLATES=$AIF_SRCDIR/etc/slurm-demo}"  # slurm.conf.in, gres.conf.in, aifactory.conf
: "${CLUSTER_KEEP=0}"                        # 1: keep the directory after cluster_stop

cluster_log() { echo "cluster: $*" >&2; }

# True when something listens on 127.0.0.1:$1.
_cluster_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Three consecutive free ports in 27000-31999 (slurmctld, slurmd, an unused one for ghost nodes).
_cluster_pick_ports() {
    local tries base
    for tries in $(seq 1 50); do
        base=$((27000 + (RANDOM % 1666) * 3))
        if ! _cluster_port_busy "$base" && ! _cluster_port_busy $((base + 1)) &&
            ! _cluster_port_busy $((base + 2)); then
            CLUSTER_CTLD_PORT=$base CLUSTER_SLURMD_PORT=$((base + 1)) CLUSTER_GHOST_PORT=$((base + 2))
            return 0
        fi
    done
    cluster_log "no free ports found"; return 1
}

_cluster_write_conf() {
    # Every PluginDir entry must exist, or the daemons refuse the configuration.
    CLUSTER_BUILD_LIBS=
    [ -d "$AIF_BUILDDIR/.libs" ] && CLUSTER_BUILD_LIBS=$AIF_BUILDDIR/.libs
    local r=$CLUSTER_ROOT i auth=auth/munge cred=cred/munge authinfo
    authinfo="AuthInfo=socket=$r/munge/munge.socket"
    if [ "$CLUSTER_AUTH" = none ]; then auth=auth/none cred=cred/none authinfo=; fi
    mkdir -p "$r"/{spool/ctld,spool/d,log,pids,fakedev,work,plugins}
    chmod 1777 "$r/work"
    local f
    for f in $CLUSTER_PLUGIN_FILES; do cp "$f" "$r/plugins/"; done
    for f in $CLUSTER_CONF_FILES; do cp "$f" "$r/"; done
    for i in $(seq 0 11); do ln -sf /dev/null "$r/fakedev/gpu$i"; done
    local plugindir=$SLURM_DEBIAN_PLUGINDIR:$r/plugins${CLUSTER_BUILD_LIBS:+:$CLUSTER_BUILD_LIBS}
    local js="# no job_submit plugin"
    [ -n "$CLUSTER_JOB_SUBMIT" ] && js="JobSubmitPlugins=$CLUSTER_JOB_SUBMIT"
    _cluster_render() {
        sed -e "s|@ROOT@|$r|g" -e "s|@CLUSTER_NAME@|aif$$|g" -e "s|@AUTH@|$auth|g" \
            -e "s|@CRED@|$cred|g" -e "s|@AUTHINFO@|$authinfo|g" -e "s|@CTLD_PORT@|$CLUSTER_CTLD_PORT|g" \
            -e "s|@SLURMD_PORT@|$CLUSTER_SLURMD_PORT|g" -e "s|@GHOST_PORT@|$CLUSTER_GHOST_PORT|g" \
            -e "s|@CTLD_DEBUG@|$CLUSTER_CTLD_DEBUG|g" -e "s|@PLUGINDIR@|$plugindir|g" \
            -e "s|@JOB_SUBMIT_LINE@|$js|g" -e "s|@SCHED_PARAMS@|$CLUSTER_SCHED_PARAMS|g" \
            -e "s|@CPUS@|$(nproc_capped)|g" "$1"
    }
    _cluster_render "$CLUSTER_TEMPLATES/slurm.conf.in" >"$r/slurm.conf"
    [ -n "$CLUSTER_SLURM_EXTRA" ] && printf '%s\n' "$CLUSTER_SLURM_EXTRA" >>"$r/slurm.conf"
    _cluster_render "$CLUSTER_TEMPLATES/gres.conf.in" >"$r/gres.conf"
    {
        echo "# written by tests/cluster/lib.sh"
        [ -n "$CLUSTER_SPANK" ] && echo "required $CLUSTER_SPANK $CLUSTER_SPANK_ARGS"
        [ -n "$CLUSTER_PLUGSTACK_EXTRA" ] && printf '%s\n' "$CLUSTER_PLUGSTACK_EXTRA"
    } >"$r/plugstack.conf"
    # Slurm 24.05 and later set up cgroups in slurmd even with proctrack/linuxproc and fail
    # where none are mounted (a chroot, a container); "disabled" exists from 24.05 on.
    [ "$(slurm_version_number)" -ge 2405 ] && echo "CgroupPlugin=disabled" >"$r/cgroup.conf"
    if [ -n "$CLUSTER_SITE_CONF" ]; then
        printf '%s\n' "$CLUSTER_SITE_CONF" >"$r/aifactory.conf"
    else
        cp "$CLUSTER_TEMPLATES/aifactory.conf" "$r/aifactory.conf"
    fi
    cat >"$r/env" <<EOF
export SLURM_CONF=$r/slurm.conf
export CLUSTER_ROOT=$r
export CLUSTER_CTLD_PORT=$CLUSTER_CTLD_PORT
EOF
}

# The installed Slurm as MMmm (2205, 2611...), from `slurmd -V` ("slurm-wlm 26.05.5").
slurm_version_number() {
    slurmd -V 2>/dev/null | awk '{ split($2, v, "."); printf "%d%02d\n", v[1], v[2] }'
}

nproc_capped() { local n; n=$(nproc); [ "$n" -gt 2 ] && n=2; echo "$n"; }

_cluster_start_munged() {
    local m=$CLUSTER_ROOT/munge
    mkdir -p "$m"; chmod 0755 "$m"
    dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$m/munge.key"
    /usr/sbin/munged --socket="$m/munge.socket" --key-file="$m/munge.key" \
        --pid-file="$m/munged.pid" --log-file="$CLUSTER_ROOT/log/munged.log" \
        --seed-file="$m/munged.seed" --force </dev/null >/dev/null 2>>"$CLUSTER_ROOT/log/munged.start" || return 1
    local i
    for i in $(seq 1 50); do [ -s "$m/munged.pid" ] && break; sleep 0.1; done
    [ -s "$m/munged.pid" ] || return 1
    cp "$m/munged.pid" "$CLUSTER_ROOT/pids/munged"
    munge -S "$m/munge.socket" -n | unmunge -S "$m/munge.socket" >/dev/null 2>&1
}

# Waits until `scontrol ping` answers and the real node is idle (or mixed/allocated).
_cluster_wait_ready() {
    local i state
    for i in $(seq 1 150); do
        cluster_alive slurmctld || { cluster_log "slurmctld exited"; return 1; }
        cluster_alive slurmd || { cluster_log "slurmd exited"; return 1; }
        state=$(scontrol -o show node localhost 2>/dev/null | sed -n 's/.*State=\([A-Z+_]*\).*/\1/p')
        case "$state" in IDLE*|MIXED*|ALLOCATED*) return 0 ;; esac
        sleep 0.2
    done
    cluster_log "node never became idle (state '$state'); see $CLUSTER_ROOT/log"
    return 1
}

# Starts everything. Exports SLURM_CONF and CLUSTER_ROOT. Non-zero (with logs shown) on failure.
cluster_start() {
    [ "$(id -u)" -eq 0 ] || { cluster_log "needs root"; return 77; }
    command -v slurmctld >/dev/null || { cluster_log "slurmctld not installed"; return 77; }
    # slurmctld reaches srun by the name of the host srun runs on; where it does not resolve,
    # 24.11 stalls 10 s (locks held) at each job's end and waiting sruns time out.
    getent hosts "$(uname -n)" >/dev/null ||
        { cluster_log "this host's name '$(uname -n)' does not resolve (add it to /etc/hosts)"; return 1; }
    CLUSTER_ROOT=$(mktemp -d /tmp/aif-cluster.XXXXXX)
    chmod 0755 "$CLUSTER_ROOT"
    export CLUSTER_ROOT
    _cluster_pick_ports || return 1
    _cluster_write_conf
    export SLURM_CONF=$CLUSTER_ROOT/slurm.conf
    if [ "$CLUSTER_AUTH" = munge ] && ! _cluster_start_munged; then
        cluster_log "munged did not start; falling back to auth/none"
        CLUSTER_AUTH=none _cluster_write_conf
    fi
    slurmctld -D -c -f "$SLURM_CONF" </dev/null >>"$CLUSTER_ROOT/log/slurmctld.out" 2>&1 &
    echo $! >"$CLUSTER_ROOT/pids/slurmctld"
    slurmd -D -N localhost -f "$SLURM_CONF" </dev/null >>"$CLUSTER_ROOT/log/slurmd.out" 2>&1 &
    echo $! >"$CLUSTER_ROOT/pids/slurmd"
    if ! _cluster_wait_ready; then
        cluster_dump_logs
        # Stop what did start; keep the directory for its logs.
        CLUSTER_KEEP=1 cluster_stop
        return 1
    fi
    cluster_log "up in $CLUSTER_ROOT (slurmctld port $CLUSTER_CTLD_PORT)"
}

# True while the recorded process $1 (slurmctld, slurmd, munged) is alive.
cluster_alive() {
    local f=$CLUSTER_ROOT/pids/$1
    [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

cluster_status() {
    local d
    for d in munged slurmctld slurmd; do
        if cluster_alive "$d"; then echo "$d: running (pid $(cat "$CLUSTER_ROOT/pids/$d"))"
        else echo "$d: stopped"; fi
    done
}

cluster_dump_logs() {
    local f
    for f in "$CLUSTER_ROOT"/log/*; do
        [ -f "$f" ] || continue
        echo "---- $f (last 30 lines)" >&2
        tail -n 30 "$f" >&2
    done
}

# Stops the daemons recorded in pids/ (TERM, then KILL after 10 s) and removes the directory.
cluster_stop() {
    [ -n "${CLUSTER_ROOT:-}" ] && [ -d "$CLUSTER_ROOT/pids" ] || return 0
    local d pid i
    for d in slurmd slurmctld munged; do
        [ -s "$CLUSTER_ROOT/pids/$d" ] || continue
        pid=$(cat "$CLUSTER_ROOT/pids/$d")
        kill -TERM "$pid" 2>/dev/null || continue
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        rm -f "$CLUSTER_ROOT/pids/$d"
    done
    # Job processes of the test user are children of slurmstepd, which dies with its step;
    # stepds themselves were started by our slurmd: stop any left in our spool.
    for pid in $(pgrep -f "slurmstepd.*" 2>/dev/null); do
        grep -qs "$CLUSTER_ROOT" "/proc/$pid/environ" "/proc/$pid/cmdline" && kill -KILL "$pid" 2>/dev/null
    done
    if [ "$CLUSTER_KEEP" = 1 ]; then cluster_log "kept $CLUSTER_ROOT"
    else rm -rf "$CLUSTER_ROOT"; fi
}

# Restarts slurmctld only (e.g. after changing aifactory.conf), keeping jobs.
cluster_restart_ctld() {
    local pid
    pid=$(cat "$CLUSTER_ROOT/pids/slurmctld")
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    slurmctld -D -f "$SLURM_CONF" </dev/null >>"$CLUSTER_ROOT/log/slurmctld.out" 2>&1 &
    echo $! >"$CLUSTER_ROOT/pids/slurmctld"
    local i
    for i in $(seq 1 100); do scontrol ping >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# Waits up to $2 seconds (default 30) for job $1 to reach a final state; prints the state.
cluster_wait_job() {
    local id=$1 limit=${2:-30} i state
    for i in $(seq 1 $((limit * 5))); do
        state=$(scontrol -o show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
        case "$state" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)
            echo "$state"; return 0 ;;
        esac
        sleep 0.2
    done
    echo "${state:-UNKNOWN}"
    return 1
}

# Installs `trap cluster_stop EXIT` (plus INT/TERM) so a failing test still stops its daemons.
cluster_trap() { trap 'cluster_stop' EXIT; trap 'exit 130' INT TERM; }

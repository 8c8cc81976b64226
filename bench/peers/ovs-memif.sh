#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps (shellcheck 0.9 calls them unreachable)
# Peer S5 (performance-peers.md B.3/B.5): OVS-DPDK 3.1 userspace switch (datapath_type=netdev,
# default flow = NORMAL action = MAC learning) with two memif ports (OVS = memif server,
# n_rxq=2), one PMD thread on CPU0; dpdk-testpmd on CPU1 is the client of both ports and runs
# --forward-mode=mac as a closed loop (--tx-first), so after the first round every frame is
# learned unicast, in both directions. Nothing leaves the machine: shared memory + abstract
# Unix sockets only, no NIC.
#
# Usage: ovs-memif.sh [seconds] [frame]     seconds of testpmd traffic (default 12, 8..600);
#                                           frame bytes without FCS (default 60, or $FRAME; 60..1514)
# stdout (machine-readable, last lines):
#   ovs_normal_mpps X              switched Mpps, both directions: per testpmd stats sample,
#                                  Rx-pps of port 0 + Rx-pps of port 1; zero samples dropped,
#                                  then first and last dropped; median
#   ovs_pmd_cycles_per_pkt Y       OVS PMD "avg cycles per packet" (pmd-stats-show, stats
#                                  cleared after warm-up), if pmd-stats-show reports it
#   ovs_pmd_proc_cycles_per_pkt Z  "avg processing cycles per packet" (busy cycles only)
#   ovs_pmd_busy_pct P             PMD processing cycles / all PMD cycles, %
# stderr: progress, raw samples, pmd-stats-show, warnings (idle.sh), log tails on failure.
# Exit: 0 ok, 1 no usable samples / runtime failure, 2 usage or setup error (e.g. hugepages).
#
# Environment: FRAME (frame size, same as the 2nd argument), OVS_HUGEPAGES (2 MB pages the run
# needs free, default 1024), OVS_SOCKET_MEM (MB for dpdk-socket-mem, default 1024),
# PEERS_WAIT_IDLE / PEERS_BUSY_PCT (idle.sh).
#
# Private everything: db, sockets, pid/ctl files and logs live in a mktemp dir (OVS_RUNDIR etc.
# point there), a private hugetlbfs mount under it, a unique DPDK --file-prefix. The system OVS
# (/etc/openvswitch, /var/run/openvswitch) is never touched. /proc/sys/vm/nr_hugepages is raised
# only if needed and restored to its previous value at exit (EXIT/INT/TERM trap).
set -euo pipefail

DUR=${1:-12}
FRAME=${2:-${FRAME:-60}}
if ! [[ "$DUR" =~ ^[0-9]+$ ]] || (( DUR < 8 || DUR > 600 )); then
    echo "usage: $0 [seconds 8..600] [frame 60..1514]" >&2; exit 2
fi
if ! [[ "$FRAME" =~ ^[0-9]+$ ]] || (( FRAME < 60 || FRAME > 1514 )); then
    echo "usage: $0 [seconds 8..600] [frame 60..1514]   (FRAME=$FRAME)" >&2; exit 2
fi
if [[ $(id -u) -ne 0 ]]; then echo "ovs-memif.sh: must run as root" >&2; exit 2; fi
if (( $(nproc) < 2 )); then echo "ovs-memif.sh: needs CPU0 and CPU1" >&2; exit 2; fi
VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
for b in dpdk-testpmd ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl "$VSWITCHD"; do
    command -v "$b" >/dev/null 2>&1 || { echo "ovs-memif.sh: $b not found; run $(dirname "$0")/install.sh" >&2; exit 2; }
done
[[ -r "$SCHEMA" ]] || { echo "ovs-memif.sh: $SCHEMA missing" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=idle.sh
source "$HERE/idle.sh"

NEED_PAGES=${OVS_HUGEPAGES:-1024}
SOCKET_MEM=${OVS_SOCKET_MEM:-1024}
HP_SYS=/proc/sys/vm/nr_hugepages
HP_PREV=""                    # set once we change nr_hugepages
DIR=$(mktemp -d /tmp/peers-ovs.XXXXXX)
HUGE="$DIR/huge"
PFX="povs$$"                  # DPDK --file-prefix of OVS
TPX="povs$$c"                 # ... of testpmd
DB_PID="" SW_PID="" TP_PID=""
MOUNTED=0

stop_tree() {                 # $1 = pid of a `timeout` wrapper we started; $2 = first signal
    local tpid=$1 sig=${2:-INT} kids
    [[ -n "$tpid" ]] || return 0
    kill -0 "$tpid" 2>/dev/null || { wait "$tpid" 2>/dev/null || true; return 0; }
    kids=$(pgrep -P "$tpid" 2>/dev/null || true)
    # shellcheck disable=SC2086
    kill -"$sig" $kids "$tpid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$tpid" 2>/dev/null; then
        # shellcheck disable=SC2086
        kill -KILL $kids "$tpid" 2>/dev/null || true
    fi
    wait "$tpid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_tree "$TP_PID" INT
    stop_tree "$SW_PID" TERM
    stop_tree "$DB_PID" TERM
    if (( MOUNTED )); then
        umount "$HUGE" 2>/dev/null || umount -l "$HUGE" 2>/dev/null || true
    fi
    rm -rf "/var/run/dpdk/$PFX" "/var/run/dpdk/$TPX"
    if [[ -n "$HP_PREV" ]]; then
        echo "$HP_PREV" >"$HP_SYS" 2>/dev/null || true
        local now; now=$(cat "$HP_SYS")
        if [[ "$now" != "$HP_PREV" ]]; then
            echo "ovs-memif.sh: WARNING: could not restore nr_hugepages to $HP_PREV (now $now)" >&2
        else
            echo "ovs-memif.sh: nr_hugepages restored to $HP_PREV" >&2
        fi
    fi
    if (( rc != 0 )) && [[ -z "${KEEP_LOGS:-}" ]]; then
        for f in vswitchd.log ovsdb.log testpmd.log; do
            [[ -s "$DIR/$f" ]] || continue
            echo "ovs-memif.sh: --- tail of $f ---" >&2
            tail -n 15 "$DIR/$f" >&2 || true
        done
    fi
    if [[ -n "${KEEP_LOGS:-}" ]]; then echo "ovs-memif.sh: logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Interruptible sleep: bash runs a trap only after a foreground command ends, but at once in `wait`.
nap() { sleep "$1" & wait $!; }
die() { echo "ovs-memif.sh: $1" >&2; exit "${2:-1}"; }   # $1 message, $2 exit code (1)

# CPU accounting over the measured window. idle.sh's peers_cpu_report counts only waited-for
# children, but ovs-vswitchd (PMD at 100 % of CPU0) and ovsdb-server are still running when the
# window ends, so "others" = machine busy jiffies - jiffies of our own processes, here.
machine_busy() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
procs_jiffies() {             # utime + stime of the given pids (all threads)
    local t=0 p v
    for p in "$@"; do
        v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
        t=$(( t + ${v:-0} ))
    done
    echo "$t"
}

peers_idle_check ovs-memif.sh

# ---- hugepages (OVS-DPDK needs real ones: dpdk-extra=--no-huge fails, B.4) -------------
hp_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
[[ "$NEED_PAGES" =~ ^[0-9]+$ ]] || die "OVS_HUGEPAGES must be a number of 2 MB pages" 2
avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
if (( NEED_PAGES * 2048 > avail_kb / 2 )); then   # never take more than half of the free memory
    die "OVS_HUGEPAGES=$NEED_PAGES (x 2 MB) is more than half of MemAvailable ($(( avail_kb / 1024 )) MB); refusing" 2
fi
free_now=$(hp_free)
if (( free_now < NEED_PAGES )); then
    HP_PREV=$(cat "$HP_SYS")
    want=$(( HP_PREV + NEED_PAGES - free_now ))
    echo "ovs-memif.sh: nr_hugepages $HP_PREV -> $want (need $NEED_PAGES free 2 MB pages, $free_now free)" >&2
    echo "$want" >"$HP_SYS" || die "cannot write $HP_SYS" 2
    free_now=$(hp_free)
    if (( free_now < NEED_PAGES )); then
        die "cannot allocate hugepages: asked nr_hugepages=$want, only $free_now of $NEED_PAGES needed 2 MB pages free (memory fragmented? try 'echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory', or lower OVS_HUGEPAGES/OVS_SOCKET_MEM)" 2
    fi
fi
mkdir -p "$HUGE"
mount -t hugetlbfs -o pagesize=2M nodev "$HUGE" || die "cannot mount hugetlbfs on $HUGE" 2
MOUNTED=1

# ---- private OVS: db, ovsdb-server, ovs-vswitchd-dpdk ---------------------------------
export OVS_RUNDIR="$DIR" OVS_LOGDIR="$DIR" OVS_DBDIR="$DIR" OVS_SYSCONFDIR="$DIR"
DB="unix:$DIR/db.sock"
VSCTL=(ovs-vsctl --db="$DB" --timeout=30)
SW_CTL="$DIR/vswitchd.ctl"
TOTAL=$(( DUR + 120 ))        # hard bound on every daemon

timeout 30 ovsdb-tool create "$DIR/conf.db" "$SCHEMA"
timeout -k 5 "$TOTAL" taskset -c 1 ovsdb-server "$DIR/conf.db" --remote="punix:$DIR/db.sock" \
    --unixctl="$DIR/ovsdb.ctl" --pidfile="$DIR/ovsdb.pid" --log-file="$DIR/ovsdb.log" \
    --no-chdir -vconsole:off </dev/null >/dev/null 2>&1 &
DB_PID=$!
for _ in $(seq 1 50); do [[ -S "$DIR/db.sock" ]] && break; sleep 0.1; done
[[ -S "$DIR/db.sock" ]] || die "ovsdb-server did not create $DIR/db.sock"
"${VSCTL[@]}" --no-wait init
"${VSCTL[@]}" --no-wait set Open_vSwitch . \
    other_config:dpdk-init=true \
    other_config:dpdk-extra="--no-pci --file-prefix $PFX --log-level=lib.eal:notice" \
    other_config:dpdk-hugepage-dir="$HUGE" \
    other_config:dpdk-socket-mem="$SOCKET_MEM" \
    other_config:pmd-cpu-mask=0x1 \
    other_config:dpdk-lcore-mask=0x2

echo "ovs-memif.sh: starting ovs-vswitchd-dpdk (PMD on CPU0), frame ${FRAME} B, ${DUR} s" >&2
timeout -k 5 "$TOTAL" "$VSWITCHD" "$DB" --unixctl="$SW_CTL" --pidfile="$DIR/vswitchd.pid" \
    --log-file="$DIR/vswitchd.log" --no-chdir -vconsole:off -vfile:info </dev/null >/dev/null 2>&1 &
SW_PID=$!
init=""
for _ in $(seq 1 120); do          # EAL init maps and zeroes the hugepages: a few seconds
    kill -0 "$SW_PID" 2>/dev/null || break
    init=$("${VSCTL[@]}" --no-wait get Open_vSwitch . dpdk_initialized 2>/dev/null || true)
    [[ "$init" == "true" ]] && break
    sleep 0.5
done
if [[ "$init" != "true" ]]; then
    if grep -qiE "hugepage|memory|socket-mem|Cannot init" "$DIR/vswitchd.log" 2>/dev/null; then
        die "OVS DPDK init failed (hugepages/memory? see log tail below; HugePages_Free=$(hp_free))"
    fi
    die "OVS DPDK did not initialise within 60 s"
fi

"${VSCTL[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
"${VSCTL[@]}" add-port br0 m0 -- set Interface m0 type=dpdk \
    options:dpdk-devargs="net_memif0,role=server,socket=$DIR/m0.sock" options:n_rxq=2
"${VSCTL[@]}" add-port br0 m1 -- set Interface m1 type=dpdk \
    options:dpdk-devargs="net_memif1,role=server,socket=$DIR/m1.sock" options:n_rxq=2
for i in m0 m1; do
    err=$("${VSCTL[@]}" get Interface "$i" error 2>/dev/null || true)
    [[ -z "$err" || "$err" == "[]" ]] || die "OVS port $i: $err"
done
ovs-appctl --timeout=10 -t "$SW_CTL" dpif-netdev/pmd-rxq-show >&2 || true

# ---- testpmd: client of both memif ports, mac forwarding, closed loop -----------------
EAL=(--no-huge -m 512 --no-pci --log-level=lib.eal:notice)
APP=(--stats-period 1 --no-mlockall --total-num-mbufs=16384)
timeout -s INT -k 5 "$DUR" stdbuf -oL \
    dpdk-testpmd --lcores 0@1,1@1 --main-lcore 0 "${EAL[@]}" --file-prefix "$TPX" \
    --vdev "net_memif0,role=client,socket=$DIR/m0.sock,mac=02:00:00:00:01:00" \
    --vdev "net_memif1,role=client,socket=$DIR/m1.sock,mac=02:00:00:00:01:01" \
    -- --forward-mode=mac --eth-peer=0,02:00:00:00:01:01 --eth-peer=1,02:00:00:00:01:00 \
    --rxq=2 --txq=2 --tx-first --burst=64 --txpkts="$FRAME" "${APP[@]}" \
    >"$DIR/testpmd.log" 2>&1 </dev/null &
TP_PID=$!

# PMD counters over the steady part only: clear after a 3 s warm-up, read 1.5 s before the end.
nap 3
ovs-appctl --timeout=10 -t "$SW_CTL" dpif-netdev/pmd-stats-clear >/dev/null 2>&1 || true
OURS=("$(pgrep -P "$SW_PID" | head -n 1)" "$(pgrep -P "$DB_PID" | head -n 1)" "$(pgrep -P "$TP_PID" | head -n 1)")
read -r M_BUSY0 M_TOT0 <<<"$(machine_busy)"; O0=$(procs_jiffies "${OURS[@]}")
nap "$(awk -v d="$DUR" 'BEGIN { s = d - 4.5; print (s > 1 ? s : 1) }')"
PMD_STATS=$(ovs-appctl --timeout=10 -t "$SW_CTL" dpif-netdev/pmd-stats-show 2>/dev/null || true)
read -r M_BUSY1 M_TOT1 <<<"$(machine_busy)"; O1=$(procs_jiffies "${OURS[@]}")
wait "$TP_PID" 2>/dev/null || true
TP_PID=""
if (( M_TOT1 > M_TOT0 )); then
    other=$(( 100 * ((M_BUSY1 - M_BUSY0) - (O1 - O0)) / (M_TOT1 - M_TOT0) ))
    (( other < 0 )) && other=0
    if (( other > ${PEERS_BUSY_PCT:-10} )); then
        echo "ovs-memif.sh: WARNING: other processes used ${other}% of the machine's CPU during the run; result is contaminated, rerun" >&2
    else
        echo "ovs-memif.sh: CPU used by other processes during the run: ${other}% (ours: OVS+ovsdb+testpmd $(( 100 * (O1 - O0) / (M_TOT1 - M_TOT0) ))%)" >&2
    fi
fi
OVS_IF_STATS=$(for i in m0 m1; do echo "$i $("${VSCTL[@]}" get Interface "$i" statistics 2>/dev/null || true)"; done)

# ---- parse ---------------------------------------------------------------------------
# testpmd prints, per stats period, a "NIC statistics for port 0" block then port 1. One sample
# = (cumulative rx0, rx1, pps0, pps1); repeated blocks (SIGINT re-prints) removed on (rx0, rx1).
samples() {
    awk '
        /NIC statistics for port/ { for (i = 1; i < NF; i++) if ($i == "port") port = $(i + 1) + 0; inblk = 1; next }
        inblk && /RX-packets:/ { rx[port] = $2; next }
        inblk && /Rx-pps:/ {
            pps[port] = $2; inblk = 0
            if (port == 1 && have0) { print rx[0], rx[1], pps[0] + pps[1]; have0 = 0 }
            if (port == 0) have0 = 1
        }
    ' "$1" | awk '!seen[$1 " " $2]++' | sort -n -k1,1
}
RAW=$(samples "$DIR/testpmd.log" | awk '{ print $3 }' | paste -sd' ' -)
USED=$(samples "$DIR/testpmd.log" | awk '$3 > 0 { v[n++] = $3 } END { for (i = 1; i < n - 1; i++) print v[i] }' | paste -sd' ' -)
echo "ovs-memif.sh: testpmd Rx-pps port0+port1 samples (raw): ${RAW:-none}" >&2
echo "ovs-memif.sh: samples used (zeros, first and last dropped): ${USED:-none}" >&2
echo "ovs-memif.sh: OVS interface statistics:" >&2
awk '{ print "  " $0 }' <<<"$OVS_IF_STATS" >&2
echo "ovs-memif.sh: pmd-stats-show (cleared 3 s after testpmd start):" >&2
awk '{ print "  " $0 }' <<<"$PMD_STATS" >&2

if [[ -z "$USED" ]]; then
    echo "ovs-memif.sh: no usable samples; testpmd log tail:" >&2
    tail -n 30 "$DIR/testpmd.log" >&2 || true
    exit 1
fi
MPPS=$(tr ' ' '\n' <<<"$USED" | sort -g | awk '{ v[n++] = $1 } END {
    m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2; printf "%.3f\n", m / 1e6 }')
echo "ovs_normal_mpps $MPPS"
# pmd-stats-show (OVS 3.1): "avg cycles per packet: 205.12 (1234/5678)",
# "avg processing cycles per packet: ...", "idle cycles: N (x%)", "processing cycles: N (y%)".
CYC=$(awk -F': ' '/avg cycles per packet:/ { split($2, a, " "); print a[1]; exit }' <<<"$PMD_STATS")
PROC=$(awk -F': ' '/avg processing cycles per packet:/ { split($2, a, " "); print a[1]; exit }' <<<"$PMD_STATS")
BUSY=$(sed -n 's/^ *processing cycles: [0-9]* (\([0-9.]*\)%).*/\1/p' <<<"$PMD_STATS" | head -n 1)
[[ -n "$CYC" ]] && echo "ovs_pmd_cycles_per_pkt $CYC"
[[ -n "$PROC" ]] && echo "ovs_pmd_proc_cycles_per_pkt $PROC"
[[ -n "$BUSY" ]] && echo "ovs_pmd_busy_pct $BUSY"
exit 0

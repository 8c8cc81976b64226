#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps (shellcheck 0.9 calls them unreachable)
# Peer S3/S4 (performance-peers.md B.0/B.3): Linux bridge (kernel learning switch), broadcast
# 1 -> 2 over veth. Topology, all in namespaces created here (names unique per run, deleted at exit):
#
#   ns SRC: s0 <-> b0 --+
#                       br0 (ns BR, STP off)
#   ns D1:  d1 <-> b1 --+
#   ns D2:  d2 <-> b2 --+
#
# trafgen (netsniff-ng, PACKET_MMAP TX_RING, one process: --cpus 1 pins it to CPU0) sends broadcast
# frames (dst ff:ff:ff:ff:ff:ff, src 02:00:00:00:00:01, ethertype 0x88b5, zero payload) on s0.
# The veth receive path, the bridge and the flooding to b1/b2 all run in softirq on the sender's
# CPU, so the one trafgen core pays for generation + switching + delivery (same budget as one
# switching core). Nothing leaves the machine: the only devices are the veths made here.
#
# Usage: linux-bridge.sh [seconds] [frame]   seconds of traffic (default 10, 6..600);
#                                            frame bytes without FCS (default 60, or $FRAME; 60..1514)
# Rates are counter deltas (/sys/class/net/<if>/statistics) over the steady window
# t = 3 s .. seconds-1 s after trafgen starts (B.0's method).
# stdout:
#   bridge_bcast_in_mpps X         frames entering the bridge (b0 rx_packets) per second, millions
#   bridge_bcast_delivered_mpps Y  frames delivered to the receivers (d1 + d2 rx_packets), millions
#   bridge_bcast_tx_mpps T         frames trafgen put on s0 (s0 tx_packets) per second, millions
# stderr: per-second samples, per-device detail, drop counters, CPU use by other processes.
# Exit: 0 ok, 1 no traffic measured, 2 usage or setup error.
set -euo pipefail

DUR=${1:-10}
FRAME=${2:-${FRAME:-60}}
if ! [[ "$DUR" =~ ^[0-9]+$ ]] || (( DUR < 6 || DUR > 600 )); then
    echo "usage: $0 [seconds 6..600] [frame 60..1514]" >&2; exit 2
fi
if ! [[ "$FRAME" =~ ^[0-9]+$ ]] || (( FRAME < 60 || FRAME > 1514 )); then
    echo "usage: $0 [seconds 6..600] [frame 60..1514]   (FRAME=$FRAME)" >&2; exit 2
fi
if [[ $(id -u) -ne 0 ]]; then echo "linux-bridge.sh: must run as root" >&2; exit 2; fi
for b in ip trafgen; do
    command -v "$b" >/dev/null 2>&1 || { echo "linux-bridge.sh: $b not found; run $(dirname "$0")/install.sh" >&2; exit 2; }
done

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=idle.sh
source "$HERE/idle.sh"

TAG="nmbb$$"
NS_SRC="$TAG-src" NS_BR="$TAG-br" NS_D1="$TAG-d1" NS_D2="$TAG-d2"
NSS=("$NS_SRC" "$NS_BR" "$NS_D1" "$NS_D2")
DIR=$(mktemp -d /tmp/peers-bridge.XXXXXX)
TG_PID=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$TG_PID" ]] && kill -0 "$TG_PID" 2>/dev/null; then
        kill -INT "$TG_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$TG_PID" 2>/dev/null || break; sleep 0.25; done
        kill -KILL "$TG_PID" 2>/dev/null || true
    fi
    [[ -n "$TG_PID" ]] && { wait "$TG_PID" 2>/dev/null || true; }
    local ns
    for ns in "${NSS[@]}"; do
        ip netns del "$ns" 2>/dev/null || true   # deleting a netns deletes its veths and br0
    done
    if (( rc != 0 )) && [[ -s "$DIR/trafgen.log" ]]; then
        echo "linux-bridge.sh: --- tail of trafgen log ---" >&2
        tail -n 15 "$DIR/trafgen.log" >&2 || true
    fi
    rm -rf "$DIR"
    exit "$rc"
}
# Interruptible sleep: bash runs a trap only after a foreground command ends, but at once in `wait`.
nap() { sleep "$1" & wait $!; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

peers_idle_check linux-bridge.sh

# ---- topology -------------------------------------------------------------------------
for ns in "${NSS[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # No IPv6 (no DAD/MLD/RS frames): only trafgen's frames cross the bridge.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_BR" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "$NS_BR" link set br0 up
mkveth() {                    # $1 netns of the outer end, $2 its name, $3 the bridge-side end
    local ns=$1 dev=$2 bdev=$3
    # Both ends are created directly inside their namespaces (never in the root namespace).
    ip link add "$dev" netns "$ns" type veth peer name "$bdev" netns "$NS_BR"
    ip -n "$NS_BR" link set "$bdev" master br0
    ip -n "$ns" link set "$dev" up
    ip -n "$NS_BR" link set "$bdev" up
}
mkveth "$NS_SRC" s0 b0
mkveth "$NS_D1" d1 b1
mkveth "$NS_D2" d2 b2
for _ in $(seq 1 40); do      # wait until the bridge ports forward and the links are up
    st=$(ip -n "$NS_BR" -br link show master br0 | awk '$2 != "UP" && $2 != "UNKNOWN"' | wc -l)
    (( st == 0 )) && break
    sleep 0.1
done
echo "linux-bridge.sh: bridge ports: $(bridge -n "$NS_BR" link show | grep -o '^[0-9]*: [a-z0-9]*\|state [a-z]*' | paste -sd' ' -)" >&2

# trafgen config: broadcast, src 02:00:00:00:00:01, ethertype 0x88b5, FRAME-14 zero bytes.
printf '{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0xb5, fill(0x00, %d) }\n' \
    $(( FRAME - 14 )) >"$DIR/bcast.cfg"

# ---- counters -------------------------------------------------------------------------
stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
snapshot() {                  # one line: s0_tx b0_rx d1_rx d2_rx b1_txdrop b2_txdrop b0_rxdrop
    echo "$(stat_of "$NS_SRC" s0 tx_packets) $(stat_of "$NS_BR" b0 rx_packets)" \
         "$(stat_of "$NS_D1" d1 rx_packets) $(stat_of "$NS_D2" d2 rx_packets)" \
         "$(stat_of "$NS_BR" b1 tx_dropped) $(stat_of "$NS_BR" b2 tx_dropped) $(stat_of "$NS_BR" b0 rx_dropped)"
}

# ---- run ------------------------------------------------------------------------------
# --no-cpu-stats, --no-sock-mem: do not touch the (global) net.core socket-memory sysctls,
# --notouch-irq: do not touch IRQ affinity. One process (--cpus 1), which trafgen pins to CPU0.
echo "linux-bridge.sh: trafgen broadcast ${FRAME} B on s0 -> br0 -> d1, d2 for ${DUR} s" >&2
peers_cpu_mark
ip netns exec "$NS_SRC" timeout -s INT -k 5 "$DUR" \
    trafgen --dev s0 --conf "$DIR/bcast.cfg" --cpus 1 --no-cpu-stats --no-sock-mem --notouch-irq >"$DIR/trafgen.log" 2>&1 </dev/null &
TG_PID=$!
T0=$EPOCHREALTIME
declare -a SNAP TIMES
for (( s = 1; s < DUR; s++ )); do
    # sleep to the next whole second after T0 (no drift)
    nap "$(awk -v t0="$T0" -v now="$EPOCHREALTIME" -v s="$s" 'BEGIN { d = t0 + s - now; print (d > 0 ? d : 0) }')"
    kill -0 "$TG_PID" 2>/dev/null || break
    SNAP[s]=$(snapshot)
    TIMES[s]=$EPOCHREALTIME
done
wait "$TG_PID" 2>/dev/null || true
TG_PID=""
peers_cpu_report linux-bridge.sh

# ---- results --------------------------------------------------------------------------
W0=3 W1=$(( DUR - 1 ))
if [[ -z "${SNAP[$W0]:-}" || -z "${SNAP[$W1]:-}" ]]; then
    echo "linux-bridge.sh: trafgen stopped early (no samples at t=$W0 s and t=$W1 s)" >&2
    exit 1
fi
for (( s = 2; s <= W1; s++ )); do
    [[ -n "${SNAP[$s]:-}" && -n "${SNAP[$((s - 1))]:-}" ]] || continue
    awk -v a="${SNAP[$((s - 1))]}" -v b="${SNAP[$s]}" -v ta="${TIMES[$((s - 1))]}" -v tb="${TIMES[$s]}" -v s="$s" 'BEGIN {
        split(a, x, " "); split(b, y, " "); dt = tb - ta
        printf "linux-bridge.sh: t=%2d s  s0 tx %.3f  b0 rx %.3f  d1 rx %.3f  d2 rx %.3f Mpps\n", s,
            (y[1] - x[1]) / dt / 1e6, (y[2] - x[2]) / dt / 1e6, (y[3] - x[3]) / dt / 1e6, (y[4] - x[4]) / dt / 1e6 }' >&2
done
RES=$(awk -v a="${SNAP[$W0]}" -v b="${SNAP[$W1]}" -v ta="${TIMES[$W0]}" -v tb="${TIMES[$W1]}" 'BEGIN {
    split(a, x, " "); split(b, y, " "); dt = tb - ta
    printf "%.3f %.3f %.3f %.3f %.3f %d %d %d %.2f\n",
        (y[1] - x[1]) / dt / 1e6, (y[2] - x[2]) / dt / 1e6, (y[3] - x[3]) / dt / 1e6, (y[4] - x[4]) / dt / 1e6,
        (y[3] - x[3] + y[4] - x[4]) / dt / 1e6, y[5] - x[5], y[6] - x[6], y[7] - x[7], dt }')
read -r TX IN R1 R2 DELIV DROP1 DROP2 DROP0 DT <<<"$RES"
echo "linux-bridge.sh: window t=$W0..$W1 s (${DT} s): s0 tx $TX, b0 rx $IN, d1 rx $R1, d2 rx $R2 Mpps; drops in window: b0 rx $DROP0, b1 tx $DROP1, b2 tx $DROP2" >&2
if awk -v v="$IN" 'BEGIN { exit !(v <= 0) }'; then
    echo "linux-bridge.sh: no frames crossed the bridge" >&2
    exit 1
fi
echo "bridge_bcast_in_mpps $IN"
echo "bridge_bcast_delivered_mpps $DELIV"
echo "bridge_bcast_tx_mpps $TX"

#!/usr/bin/env bash
# Peer P1 (performance-peers.md B.1/B.5): DPDK net_memif between two dpdk-testpmd
# processes on this machine only (shared memory + a Unix socket; no NIC, no network).
#
#   server: --forward-mode=txonly, 60-byte frames, forwarding lcore on CPU1
#   client: --forward-mode=rxonly,                  forwarding lcore on CPU0
#
# Frame size: the research note used --txpkts=64; we use --txpkts=60 so the frames
# match netmap's 60-byte minimum frames (no FCS) that the C# benchmarks send.
#
# Usage: memif.sh [seconds]        (default 12, minimum 8: testpmd prints stats only every ~2 s here)
# stdout: exactly one line        memif_rx_mpps <median Mpps, 3 decimals>
# stderr: progress, the raw per-sample client Rx-pps (and server Tx-pps) values,
#         and a warning if the machine was busy before the run (see idle.sh;
#         PEERS_WAIT_IDLE=N waits up to N s for an idle machine).
# Exit status: 0 on success, 1 if no usable samples, 2 on usage/setup errors.
set -euo pipefail

DUR=${1:-12}
if ! [[ "$DUR" =~ ^[0-9]+$ ]] || (( DUR < 8 || DUR > 600 )); then
    echo "usage: $0 [seconds]   (integer 8..600, default 12)" >&2
    exit 2
fi
if ! command -v dpdk-testpmd >/dev/null 2>&1; then
    echo "memif.sh: dpdk-testpmd not found; run $(dirname "$0")/install.sh first" >&2
    exit 2
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "memif.sh: must run as root (DPDK EAL runtime dir /var/run/dpdk)" >&2
    exit 2
fi
if (( $(nproc) < 2 )); then
    echo "memif.sh: needs at least 2 CPUs (CPU0 and CPU1)" >&2
    exit 2
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=idle.sh
source "$HERE/idle.sh"
peers_idle_check memif.sh

START_DELAY=1.5                       # client starts 1.5 s after the server
CLIENT_DUR=$(awk -v d="$DUR" -v s="$START_DELAY" 'BEGIN { printf "%.1f", d - s }')

DIR=$(mktemp -d /tmp/peers-memif.XXXXXX)
PFX="pmemif$$"                        # unique EAL --file-prefix per invocation
SRV_PFX="${PFX}s"
CLI_PFX="${PFX}c"
SRV_PID=""
CLI_PID=""

# Stop a `timeout` wrapper we started and the testpmd under it (by pid only).
stop_tree() {
    local tpid=$1 kids
    [[ -n "$tpid" ]] || return 0
    kill -0 "$tpid" 2>/dev/null || return 0
    kids=$(pgrep -P "$tpid" 2>/dev/null || true)
    # testpmd shuts down cleanly on SIGINT; then escalate.
    kill -INT $kids "$tpid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$tpid" 2>/dev/null || break
        sleep 0.3
    done
    if kill -0 "$tpid" 2>/dev/null; then
        kill -KILL $kids "$tpid" 2>/dev/null || true
    fi
    wait "$tpid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_tree "$CLI_PID"
    stop_tree "$SRV_PID"
    rm -rf "$DIR"
    # EAL runtime dirs of our two prefixes (created even with --no-huge).
    rm -rf "/var/run/dpdk/$SRV_PFX" "/var/run/dpdk/$CLI_PFX"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

EAL=(--no-huge -m 512 --no-pci --log-level=lib.eal:notice)
APP=(--stats-period 1 --no-mlockall --total-num-mbufs=16384)
SOCK="$DIR/memif.sock"                # DPDK 22.11 memif uses an abstract socket by
                                      # default; the private path keeps the name unique.

# stdbuf -oL: testpmd's stdout goes to a file; line buffering avoids the
# duplicated/garbled blocks that full buffering + SIGINT produce.
peers_cpu_mark
echo "memif.sh: server txonly (fwd CPU1), client rxonly (fwd CPU0), ${DUR}s, 60-byte frames" >&2
timeout -s INT -k 5 "$DUR" stdbuf -oL \
    dpdk-testpmd --lcores 0@0,1@1 --main-lcore 0 "${EAL[@]}" --file-prefix "$SRV_PFX" \
    --vdev "net_memif0,role=server,socket=$SOCK" \
    -- --forward-mode=txonly --txpkts=60 "${APP[@]}" \
    >"$DIR/server.log" 2>&1 </dev/null &
SRV_PID=$!

sleep "$START_DELAY"

timeout -s INT -k 5 "$CLIENT_DUR" stdbuf -oL \
    dpdk-testpmd --lcores 0@1,1@0 --main-lcore 0 "${EAL[@]}" --file-prefix "$CLI_PFX" \
    --vdev "net_memif0,role=client,socket=$SOCK" \
    -- --forward-mode=rxonly "${APP[@]}" \
    >"$DIR/client.log" 2>&1 </dev/null &
CLI_PID=$!

wait "$CLI_PID" 2>/dev/null || true
CLI_PID=""
wait "$SRV_PID" 2>/dev/null || true
SRV_PID=""
peers_cpu_report memif.sh

# Extract the periodic "NIC statistics" samples of one log: one line
# "<cumulative packets> <pps>" per sample, deduplicated on the cumulative
# counter and in time order. $2 = rx|tx.
samples() {
    awk -v dir="$2" '
        /NIC statistics for port/ { inblk = 1; key = ""; next }
        inblk && dir == "rx" && /RX-packets:/ { key = $2; next }
        inblk && dir == "tx" && /TX-packets:/ { key = $2; next }
        inblk && dir == "rx" && /Rx-pps:/ { if (key != "") print key, $2; inblk = 0; next }
        inblk && dir == "tx" && /Tx-pps:/ { if (key != "") print key, $2; inblk = 0; next }
    ' "$1" | sort -n -k1,1 -u
}

# From "<key> <pps>" lines: drop zero samples, then the first and last non-zero
# sample (ramp-up / partial last interval), print the rest one per line.
steady() {
    awk '$2 > 0 { v[n++] = $2 } END { for (i = 1; i < n - 1; i++) print v[i] }'
}

median_mpps() {
    sort -n | awk '{ v[n++] = $1 }
        END {
            if (n == 0) exit 1
            m = (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
            printf "%.3f\n", m / 1e6
        }'
}

RX_RAW=$(samples "$DIR/client.log" rx | awk '{ print $2 }' | paste -sd' ' -)
TX_RAW=$(samples "$DIR/server.log" tx | awk '{ print $2 }' | paste -sd' ' -)
RX_USED=$(samples "$DIR/client.log" rx | steady | paste -sd' ' -)
echo "memif.sh: client Rx-pps samples (raw): ${RX_RAW:-none}" >&2
echo "memif.sh: client Rx-pps samples (used, first/last non-zero dropped): ${RX_USED:-none}" >&2
echo "memif.sh: server Tx-pps samples (raw): ${TX_RAW:-none}" >&2

if [[ -z "$RX_USED" ]]; then
    echo "memif.sh: no usable client Rx samples; client log tail:" >&2
    tail -n 25 "$DIR/client.log" >&2 || true
    echo "memif.sh: server log tail:" >&2
    tail -n 25 "$DIR/server.log" >&2 || true
    exit 1
fi

MPPS=$(tr ' ' '\n' <<<"$RX_USED" | median_mpps)
echo "memif_rx_mpps $MPPS"

#!/usr/bin/env bash
# Peer P6/P7 (performance-peers.md B.1): AF_UNIX socketpair(SOCK_SEQPACKET)
# between two processes, 60-byte messages, parent on CPU0, child on CPU1.
#
# Usage: uxpingpong.sh [seconds] [mode]     seconds default 5, mode pingpong|stream|both
#                                           (default pingpong)
# stdout (pingpong): socketpair_rtt_us <median RTT in us>
#                    socketpair_rtt_per_s <round trips per second>
# stdout (stream):   socketpair_stream_mps <messages per second, millions>
# stderr: build notes, details (counts, mean, p1/p99), and a warning if the machine
#         was busy before the run (idle.sh; PEERS_WAIT_IDLE=N waits up to N s).
#
# The binary is built with gcc -O2 into a private build dir under ${TMPDIR:-/tmp}
# and rebuilt only when uxpingpong.c is newer than it. Set UXPP_PARENT_CPU /
# UXPP_CHILD_CPU to change the pinning (both 0 = same-CPU case).
set -euo pipefail

DUR=${1:-5}
MODE=${2:-pingpong}
if ! [[ "$DUR" =~ ^[0-9]+$ ]] || (( DUR < 1 || DUR > 600 )); then
    echo "usage: $0 [seconds 1..600] [pingpong|stream|both]" >&2
    exit 2
fi
case "$MODE" in
    pingpong|stream) MODES=("$MODE") ;;
    both) MODES=(pingpong stream) ;;
    *) echo "usage: $0 [seconds 1..600] [pingpong|stream|both]" >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC="$HERE/uxpingpong.c"
BUILD_DIR="${TMPDIR:-/tmp}/netmap-bench-peers.$(id -u)"
BIN="$BUILD_DIR/uxpingpong"

if [[ ! -x "$BIN" || "$SRC" -nt "$BIN" ]]; then
    command -v gcc >/dev/null 2>&1 || { echo "uxpingpong.sh: gcc not found; run $HERE/install.sh" >&2; exit 2; }
    mkdir -p "$BUILD_DIR"
    chmod 700 "$BUILD_DIR"
    TMP_BIN=$(mktemp "$BUILD_DIR/uxpingpong.XXXXXX")
    trap 'rm -f "$TMP_BIN"' EXIT
    gcc -O2 -Wall -Wextra -o "$TMP_BIN" "$SRC"
    mv -f "$TMP_BIN" "$BIN"          # atomic: concurrent runs never see a partial binary
    trap - EXIT
    echo "uxpingpong.sh: built $BIN" >&2
fi

# shellcheck source=idle.sh
source "$HERE/idle.sh"
peers_idle_check uxpingpong.sh

for m in "${MODES[@]}"; do
    # Bounded: the program stops itself after DUR s; the margin covers warm-up/teardown.
    peers_cpu_mark
    timeout -s TERM -k 5 $((DUR + 30)) "$BIN" "$DUR" "$m"
    peers_cpu_report "uxpingpong.sh($m)"
done

#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps (shellcheck 0.9 calls them unreachable)
# VALE switch benchmarks, each interleaved with its peer in the same run
# (shared/research/performance-peers.md C.2: peer, ours, peer, ours ...). Per run:
#   1. 1 -> 1, 60 B:    OVS-DPDK NORMAL over memif (bench/peers/ovs-memif.sh), then
#                       bin/pkt-gen -i vale0:a -f tx -l 60  ->  bin/pkt-gen -i vale0:b -f rx
#   2. 1 -> 1, 1514 B:  the same with FRAME=1514 / -l 1514
#   3. broadcast 1 -> 2: Linux bridge over veth (bench/peers/linux-bridge.sh), then
#                       pkt-gen tx on vale1:a (dst ff:ff:ff:ff:ff:ff) -> pkt-gen rx on vale1:b and vale1:c
#   4. N -> 1 on vale2, N = 1, 2, 4 (no peer): aggregate rx Mpps and drops (sent - received)
#   5. embedded 1 -> 1, 60 B (engine in one process): hook, see embedded_run below (bench/ValeBench)
#
# Same CPU budget as the OVS peer: netmapd (which runs the VALE forwarding threads) is pinned to
# CPU0 = the switching core, like the OVS PMD; every pkt-gen is pinned to CPU1 = the port-clients
# core, like testpmd (taskset -c 1 plus pkt-gen -a 1).
#
# Usage: bench/vale.sh [runs=3] [seconds=10]     (root; installs the peers with bench/peers/install.sh
#                                                 and builds Release unless NO_BUILD=1)
# stdout: a summary table (one row per metric: runs, median, min, max) and ratio lines.
# stderr: per-phase figures, warnings, peer warnings. KEEP_LOGS=1 keeps every log (path printed).
# Environment: NO_BUILD=1 (use bin/ as it is), VALE_PHASES="1to1 1514 bcast n1 embedded" (subset),
#   VALE_N_LIST="1 2 4", VALE_EMBEDDED_CMD (see embedded_run), VALE_NO_PEERS=1 (ours only, for
#   development; not for published figures), PEERS_WAIT_IDLE / PEERS_BUSY_PCT (idle.sh).
#
# Rates: pkt-gen prints one "... main_thread [2781] 14.880 Mpps (...)" line per second on stderr; a
# figure is the median of those samples with zero samples dropped and then the first and the last
# (partial) sample dropped. Counts come from the final "Sent|Received N packets ..." lines (stdout):
# drops = sent - received (VALE drops when a destination ring is full; there is no back-pressure).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECS=${2:-10}
if ! [[ "$RUNS" =~ ^[0-9]+$ ]] || (( RUNS < 1 || RUNS > 50 )); then
    echo "usage: $0 [runs 1..50] [seconds 6..300]" >&2; exit 2
fi
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || (( SECS < 6 || SECS > 300 )); then
    echo "usage: $0 [runs 1..50] [seconds 6..300]" >&2; exit 2
fi
if [[ $(id -u) -ne 0 ]]; then echo "vale.sh: must run as root (the peers need it)" >&2; exit 2; fi
if (( $(nproc) < 2 )); then echo "vale.sh: needs CPU0 and CPU1" >&2; exit 2; fi
PHASES=${VALE_PHASES:-"1to1 1514 bcast n1 embedded"}
WAIT_IDLE=${PEERS_WAIT_IDLE:-0}          # idle.sh may wait this long before each phase
[[ "$WAIT_IDLE" =~ ^[0-9]+$ ]] || { echo "vale.sh: PEERS_WAIT_IDLE must be seconds" >&2; exit 2; }
N_LIST=${VALE_N_LIST:-"1 2 4"}
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }
# Interruptible sleep: bash runs a trap only after a foreground command ends, but at once in `wait`.
nap() { sleep "$1" & wait $!; }

bash bench/peers/install.sh >&2
if [[ -z "${NO_BUILD:-}" ]]; then
    # Other engineers edit src/ concurrently: a build can fail transiently, so retry twice.
    built=0
    for attempt in 1 2 3; do
        if dotnet build Netmap.slnx -c Release -nologo -v quiet >/dev/null 2>&1; then built=1; break; fi
        echo "vale.sh: build attempt $attempt failed; retrying in 30 s" >&2
        nap 30
    done
    (( built )) || { echo "vale.sh: dotnet build Netmap.slnx -c Release failed (NO_BUILD=1 runs bin/ as it is)" >&2; exit 1; }
fi
for b in bin/pkt-gen bin/netmapd; do
    [[ -x "$b" ]] || { echo "vale.sh: $b missing; build with: dotnet build Netmap.slnx -c Release" >&2; exit 1; }
done

# shellcheck source-path=SCRIPTDIR source=peers/idle.sh
source bench/peers/idle.sh

DIR=$(mktemp -d /tmp/vale-bench.XXXXXX)
LOGS="$DIR/logs"
mkdir -p "$LOGS"
export NETMAP_SOCKET="$DIR/netmapd.sock"
export NETMAP_NO_AUTOSTART=1              # pkt-gen must never start some other netmapd
ND_PID=""                                 # the timeout wrapper of netmapd
declare -a BG=()                          # timeout wrappers of pkt-gens still running
TSC_MHZ=$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
TSC_MHZ=${TSC_MHZ:-2596}

# Every process runs under `timeout --foreground` (pkt-gen treats a SECOND SIGINT as "die now",
# without its summary, and a plain timeout signals the child twice: directly and via the group).
# SIGINT goes to the wrapper only, which forwards it once; SIGKILL to both after 5 s.
stop_pid() {                              # $1 = pid of a timeout wrapper we started
    local p=$1 kids
    [[ -n "$p" ]] || return 0
    if kill -0 "$p" 2>/dev/null; then
        kids=$(pgrep -P "$p" 2>/dev/null || true)
        kill -INT "$p" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
        # shellcheck disable=SC2086
        if kill -0 "$p" 2>/dev/null; then kill -KILL $kids "$p" 2>/dev/null || true; fi
    fi
    wait "$p" 2>/dev/null || true
}
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${BG[@]}"; do stop_pid "$p"; done
    stop_pid "$ND_PID"
    if [[ -n "${KEEP_LOGS:-}" ]]; then
        rm -f "$NETMAP_SOCKET"
        echo "vale.sh: logs kept in $LOGS" >&2
    else
        rm -rf "$DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- netmapd: private, pinned to CPU0 (the switching core) -----------------------------
ND_LOG="$LOGS/netmapd.log"
start_netmapd() {
    local bound=$(( RUNS * (14 * SECS + 400 + 10 * WAIT_IDLE) + 600 ))   # 10 idle waits per run at most
    timeout --foreground -s TERM -k 5 "$bound" taskset -c 0 bin/netmapd --socket "$NETMAP_SOCKET" >>"$ND_LOG" 2>&1 </dev/null &
    ND_PID=$!
    for _ in $(seq 1 100); do [[ -S "$NETMAP_SOCKET" ]] && return 0; kill -0 "$ND_PID" 2>/dev/null || break; sleep 0.1; done
    echo "vale.sh: netmapd did not listen on $NETMAP_SOCKET; log:" >&2
    tail -n 20 "$ND_LOG" >&2 || true
    exit 1
}
netmapd_pid() { pgrep -P "$ND_PID" 2>/dev/null | head -n 1; }
ensure_netmapd() {
    if [[ -z "$ND_PID" ]] || ! kill -0 "$ND_PID" 2>/dev/null; then
        [[ -n "$ND_PID" ]] && echo "vale.sh: WARNING: netmapd died (log tail follows); restarting" >&2 && tail -n 10 "$ND_LOG" >&2
        wait "$ND_PID" 2>/dev/null || true
        rm -f "$NETMAP_SOCKET"
        start_netmapd
    fi
}
start_netmapd

# ---- helpers ---------------------------------------------------------------------------
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# Median (Mpps, 3 decimals) of a pkt-gen stderr log's per-second rate lines: zero samples dropped,
# then the first and the last; "nan" if nothing is left.
rate_mpps() {
    [[ -s "$1" ]] || { echo nan; return; }
    awk '/main_thread/ { for (i = 1; i <= NF; i++) if ($i ~ /pps$/) { v = $(i - 1); u = $i
            m = (u ~ /^Gpps/) ? 1000 : (u ~ /^Mpps/) ? 1 : (u ~ /^Kpps/) ? 0.001 : 0.000001
            if (v * m > 0) print v * m; break } }' "$1" \
        | awk '{ a[NR] = $1 } END { for (i = 2; i < NR; i++) print a[i] }' | median \
        | awk '{ if ($1 == "nan") print; else printf "%.3f\n", $1 }'
}
# Packets from a pkt-gen stdout's final line: "Sent|Received N packets ..." (or "... nothing." = 0).
pkts() { awk '/^(Sent|Received) [0-9]+ packets/ { n = $2 } /^(Sent|Received) nothing/ { n = 0 } END { print (n == "" ? "nan" : n) }' "$1"; }
# First line explaining why a pkt-gen failed.
why() { grep -m1 -iE "EOPNOTSUPP|ENXIO|EINVAL|ENOENT|error|not supported|fail|denied" "$1" 2>/dev/null || head -n 1 "$1" 2>/dev/null || true; }
calc() { awk "BEGIN { $1 }" 2>/dev/null || echo nan; }
# a - b - c ... ("nan" if any operand is nan or empty)
minus() { awk 'BEGIN { r = ARGV[1]; for (i = 1; i < ARGC; i++) if (ARGV[i] == "nan" || ARGV[i] == "") { print "nan"; exit }
    for (i = 2; i < ARGC; i++) r -= ARGV[i]; print r }' "$@"; }
# ratio a/b with 2 decimals, nan if either is missing
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || a == "" || b == "" || b + 0 <= 0) print "nan"; else printf "%.2f\n", a / b }'; }

# CPU accounting over a window: machine busy jiffies vs jiffies of our own processes.
machine_busy() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
proc_jiffies() {
    local t=0 p v
    for p in "$@"; do
        [[ -n "$p" ]] || continue
        v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
        t=$(( t + ${v:-0} ))
    done
    echo "$t"
}
W_PIDS=() W_B0=0 W_T0=0 W_O0=0 W_N0=0
window_mark() {               # $@ = pids of our pkt-gens (timeout wrappers); netmapd added here
    local p c; W_PIDS=()
    for p in "$@"; do c=$(pgrep -P "$p" 2>/dev/null | head -n 1 || true); W_PIDS+=("$c"); done
    read -r W_B0 W_T0 <<<"$(machine_busy)"
    W_O0=$(proc_jiffies "${W_PIDS[@]}"); W_N0=$(proc_jiffies "$(netmapd_pid)")
}
# Prints "<netmapd CPU %> <others %>" for the window and warns if others > PEERS_BUSY_PCT.
window_report() {
    local who=$1 b1 t1 o1 n1 nd other
    read -r b1 t1 <<<"$(machine_busy)"
    o1=$(proc_jiffies "${W_PIDS[@]}"); n1=$(proc_jiffies "$(netmapd_pid)")
    (( t1 > W_T0 )) || { echo "nan nan"; return; }
    nd=$(( 100 * 2 * (n1 - W_N0) / (t1 - W_T0) ))          # % of ONE CPU (2 CPUs in /proc/stat)
    other=$(( 100 * ((b1 - W_B0) - (o1 - W_O0) - (n1 - W_N0)) / (t1 - W_T0) ))
    (( other < 0 )) && other=0
    if (( other > ${PEERS_BUSY_PCT:-10} )); then
        echo "vale.sh: $who: WARNING: other processes used ${other}% of the machine's CPU during the run; contaminated, rerun" >&2
    fi
    echo "$nd $other"
}

# Start a pkt-gen in the background on CPU1, bounded: $1 = seconds, $2 = log prefix, rest = args.
# Sets LAST_BG to the timeout wrapper's pid and appends it to BG.
pg_start() {
    local secs=$1 log=$2; shift 2
    timeout --foreground -s INT -k 5 "$secs" taskset -c 1 bin/pkt-gen -a 1 "$@" >"$log.out" 2>"$log.err" </dev/null &
    LAST_BG=$!
    BG+=("$LAST_BG")
}
pg_wait() {                   # $1 = pid; removes it from BG
    wait "$1" 2>/dev/null || true
    local keep=() p
    for p in "${BG[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
    BG=("${keep[@]+"${keep[@]}"}")
}
pg_stop() { stop_pid "$1"; pg_wait "$1"; }
# True if a pkt-gen exited with an error already (port could not be opened).
pg_failed() { ! kill -0 "$1" 2>/dev/null; }

# ---- VALE phases -------------------------------------------------------------------------
# The phases run in this shell (not in $(...)): netmapd restarts and the BG list must stick.
# Each sets RES to its result line, or to FAIL.
# One sender -> receivers on one switch. $1 tag, $2 switch, $3 frame, $4 tx port, rest = rx ports.
# RES = "<tx Mpps> <rx Mpps per receiver, space separated> | sent recv... | netmapd% others%".
vale_fanout() {
    local tag=$1 sw=$2 frame=$3 txp=$4; shift 4
    local rxp rx_pids=() i=0 log="$LOGS/$tag"
    ensure_netmapd
    peers_idle_check "vale.sh($tag)" 2>&1 | sed 's/^/  /' >&2 || true
    for rxp in "$@"; do
        pg_start $(( SECS + 8 )) "$log.rx$i" -i "$sw:$rxp" -f rx
        rx_pids+=("$LAST_BG"); i=$(( i + 1 ))
    done
    sleep 1
    for i in "${!rx_pids[@]}"; do
        if pg_failed "${rx_pids[$i]}"; then
            echo "vale.sh: $tag: pkt-gen rx on $sw failed: $(why "$log.rx$i.err")" >&2
            for rxp in "${rx_pids[@]}"; do pg_stop "$rxp"; done
            RES=FAIL; return 0
        fi
    done
    pg_start "$SECS" "$log.tx" -i "$sw:$txp" -f tx -l "$frame"
    local tx=$LAST_BG
    sleep 1.5
    if pg_failed "$tx" && ! grep -q '^Sending on' "$log.tx.out"; then
        echo "vale.sh: $tag: pkt-gen tx on $sw failed: $(why "$log.tx.err")" >&2
        pg_wait "$tx"; for rxp in "${rx_pids[@]}"; do pg_stop "$rxp"; done
        RES=FAIL; return 0
    fi
    window_mark "$tx" "${rx_pids[@]}"
    nap "$(calc "d = $SECS - 2.5; print (d > 0.5 ? d : 0.5)")"
    local cpu; cpu=$(window_report "$tag")
    pg_wait "$tx"
    sleep 1                                   # let the receivers drain what is in flight
    for rxp in "${rx_pids[@]}"; do pg_stop "$rxp"; done
    if [[ "$(pkts "$log.tx.out")" == "nan" ]]; then
        if [[ "$(rate_mpps "$log.tx.err")" == "nan" ]]; then
            echo "vale.sh: $tag: pkt-gen tx on $sw failed: $(why "$log.tx.err")" >&2
            RES=FAIL; return 0
        fi
        echo "vale.sh: $tag: pkt-gen tx on $sw printed no final count (killed?); drops unknown" >&2
    fi
    for i in "${!rx_pids[@]}"; do
        [[ "$(pkts "$log.rx$i.out")" != "nan" ]] || echo "vale.sh: $tag: pkt-gen rx $i printed no final count (killed?)" >&2
    done
    local rates="" counts
    counts=$(pkts "$log.tx.out")
    for i in "${!rx_pids[@]}"; do
        rates+=" $(rate_mpps "$log.rx$i.err")"
        counts+=" $(pkts "$log.rx$i.out")"
    done
    RES="$(rate_mpps "$log.tx.err")$rates | $counts | $cpu"
}

# N senders -> 1 receiver on vale2. RES = "<rx Mpps> <sum of senders' tx Mpps> | sent recv | netmapd% others% | mode".
vale_n_to_1() {
    local n=$1 log="$LOGS/r$2-n$1" sw=vale2 k tx_pids=() mode=broadcast dmac=()
    ensure_netmapd
    peers_idle_check "vale.sh(n$n)" 2>&1 | sed 's/^/  /' >&2 || true
    pg_start $(( SECS + 8 )) "$log.rx" -i "$sw:r" -f rx
    local rx=$LAST_BG
    sleep 1
    if pg_failed "$rx"; then
        echo "vale.sh: n$n: pkt-gen rx on $sw:r failed: $(why "$log.rx.err")" >&2
        pg_wait "$rx"; RES=FAIL; return 0
    fi
    # Teach the learning bridge where 02:00:00:00:00:99 lives: one frame sent *from* port r (a second
    # open of the same ephemeral port shares its adapter), so the senders' frames to that MAC are
    # unicast to r instead of flooded to every other port (the other senders included).
    if timeout --foreground -s INT -k 3 5 taskset -c 1 bin/pkt-gen -a 1 -i "$sw:r" -f tx -n 1 -S 02:00:00:00:00:99 \
            >"$log.prime.out" 2>"$log.prime.err" </dev/null && [[ "$(pkts "$log.prime.out")" == "1" ]]; then
        mode=unicast; dmac=(-D 02:00:00:00:00:99)
    else
        echo "vale.sh: n$n: could not prime the MAC table from $sw:r ($(why "$log.prime.err")); senders flood (dst ff:ff:ff:ff:ff:ff)" >&2
    fi
    for (( k = 1; k <= n; k++ )); do
        pg_start "$SECS" "$log.tx$k" -i "$sw:s$k" -f tx -l 60 -S "$(printf '02:00:00:00:02:%02x' "$k")" "${dmac[@]}"
        tx_pids+=("$LAST_BG")
    done
    sleep 1.5
    window_mark "$rx" "${tx_pids[@]}"
    nap "$(calc "d = $SECS - 2.5; print (d > 0.5 ? d : 0.5)")"
    local cpu; cpu=$(window_report "n$n")
    for k in "${tx_pids[@]}"; do pg_wait "$k"; done
    sleep 1
    pg_stop "$rx"
    local sent=0 s txsum=0 r ok=1
    for (( k = 1; k <= n; k++ )); do
        s=$(pkts "$log.tx$k.out")
        if [[ "$s" == "nan" ]]; then ok=0; echo "vale.sh: n$n: sender $k failed: $(why "$log.tx$k.err")" >&2; continue; fi
        sent=$(( sent + s ))
        r=$(rate_mpps "$log.tx$k.err")
        txsum=$(calc "print $txsum + ($r == \"nan\" ? 0 : $r)")
    done
    (( ok )) || { RES=FAIL; return 0; }
    RES="$(rate_mpps "$log.rx.err") $txsum | $sent $(pkts "$log.rx.out") | $cpu | $mode"
}

# HOOK(embedded): an in-process VALE figure (engine embedded in one process: the sender's TxSync
# forwards, no netmapd). pkt-gen has no embedded mode, so the hook runs VALE_EMBEDDED_CMD, or by default
# bench/ValeBench (built with the solution) if it is there and has --rate-lines:
#   dotnet bench/ValeBench/bin/Release/net10.0/ValeBench.dll unicast --runs 1 --seconds 3600 --rate-lines --cpus 0,1
# The command runs under taskset -c 1 (ValeBench's --cpus 0,1 re-pins its sender, which does the switching
# when embedded, to CPU0 and its receiver to CPU1: the same budget as netmapd + pkt-gens) and is stopped
# with one SIGINT SECS s after its first rate line (after start-up and warm-up). Its stderr must carry pkt-gen-style
# per-second "main_thread [...] X Mpps" lines; "WARNING" or "others N%" > PEERS_BUSY_PCT on its stdout
# marks the run contaminated.
# VALE_EMBEDDED_CMD=none skips the phase. RES = "<Mpps>" or "SKIP <reason>"; EMB_CONTAM = 0/1.
EMB_DLL=bench/ValeBench/bin/Release/net10.0/ValeBench.dll
embedded_run() {
    local log="$LOGS/r$1-embedded" cmd=${VALE_EMBEDDED_CMD:-} help
    EMB_CONTAM=0
    if [[ "$cmd" == none ]]; then RES="SKIP VALE_EMBEDDED_CMD=none"; return 0; fi
    if [[ -z "$cmd" ]]; then
        help=$( { [[ -f "$EMB_DLL" ]] && timeout 30 dotnet "$EMB_DLL" --help 2>&1; } || true)
        if [[ "$help" == *--rate-lines* ]]; then
            cmd="dotnet $EMB_DLL unicast --runs 1 --seconds 3600 --rate-lines --cpus 0,1"
        elif bin/pkt-gen --help 2>/dev/null | grep -q -- '--embedded'; then
            RES="SKIP pkt-gen lists --embedded but VALE_EMBEDDED_CMD is not set (fill in the hook in bench/vale.sh)"; return 0
        else
            RES="SKIP no embedded benchmark (no $EMB_DLL with --rate-lines, no pkt-gen --embedded)"; return 0
        fi
    fi
    (( $1 == 1 )) && echo "vale.sh: embedded: $cmd" >&2
    # Start it, wait (up to 60 s: runtime start, JIT, warm-up) for its first rate line, let it run SECS
    # more seconds, then one SIGINT (through the --foreground wrapper). The wrapper bounds it anyway.
    # shellcheck disable=SC2086  # the command is a word list on purpose
    timeout --foreground -s INT -k 10 $(( SECS + 90 )) taskset -c 1 $cmd >"$log.out" 2>"$log.err" </dev/null &
    local p=$! i
    BG+=("$p")
    for (( i = 0; i < 600; i++ )); do
        grep -q main_thread "$log.err" 2>/dev/null && break
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$p" 2>/dev/null && nap "$SECS"
    pg_stop "$p"
    grep -q WARNING "$log.out" && EMB_CONTAM=1
    local others                                  # ValeBench's run line: "... (ours N%, others M%)"
    others=$(grep -o 'others [0-9]*%' "$log.out" | tr -dc '0-9\n' | sort -n | tail -n 1)
    [[ -n "$others" ]] && (( others > ${PEERS_BUSY_PCT:-10} )) && EMB_CONTAM=1
    RES=$(rate_mpps "$log.err")
    [[ "$RES" != nan ]] || echo "vale.sh: embedded: no rate lines ($(why "$log.err"))" >&2
}

# ---- peers ------------------------------------------------------------------------------
# The peers print "WARNING ... contaminated" on stderr when other processes used the CPU: PEER_CONTAM=1.
# KEEP_LOGS is not passed on: the peers' stderr is kept in $LOGS, their own temp dirs are always removed.
key_of() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "nan" : v) }' <<<"$2"; }
peer_ovs() {                  # $1 frame, $2 run; RES = "<Mpps> <cycles/pkt>"
    local out log="$LOGS/r$2-ovs$1"
    RES="nan nan"; PEER_CONTAM=0
    [[ -z "${VALE_NO_PEERS:-}" ]] || return 0
    out=$(env -u KEEP_LOGS timeout -s TERM -k 15 $(( SECS + 200 + WAIT_IDLE )) bash bench/peers/ovs-memif.sh $(( SECS + 2 )) "$1" 2>"$log.err") || true
    if grep -q "WARNING" "$log.err"; then PEER_CONTAM=1; grep -h "WARNING" "$log.err" | sed 's/^/  /' >&2; fi
    [[ -n "$out" ]] || { echo "vale.sh: ovs-memif.sh failed:"; tail -n 5 "$log.err"; } >&2
    RES="$(key_of ovs_normal_mpps "$out") $(key_of ovs_pmd_cycles_per_pkt "$out")"
}
peer_bridge() {               # $1 run; RES = "<in Mpps> <delivered Mpps>"
    local out log="$LOGS/r$1-bridge"
    RES="nan nan"; PEER_CONTAM=0
    [[ -z "${VALE_NO_PEERS:-}" ]] || return 0
    out=$(env -u KEEP_LOGS timeout -s TERM -k 15 $(( SECS + 60 + WAIT_IDLE )) bash bench/peers/linux-bridge.sh "$SECS" 60 2>"$log.err") || true
    if grep -q "WARNING" "$log.err"; then PEER_CONTAM=1; grep -h "WARNING" "$log.err" | sed 's/^/  /' >&2; fi
    [[ -n "$out" ]] || { echo "vale.sh: linux-bridge.sh failed:"; tail -n 5 "$log.err"; } >&2
    RES="$(key_of bridge_bcast_in_mpps "$out") $(key_of bridge_bcast_delivered_mpps "$out")"
}

# ---- runs -------------------------------------------------------------------------------
declare -A R                  # R[metric,run] = value
METRICS=()
CONTAM=()                     # "metric/runN" measured while other processes used > PEERS_BUSY_PCT % CPU
put() { [[ " ${METRICS[*]} " == *" $1 "* ]] || METRICS+=("$1"); R[$1,$2]=${3:-nan}; }
# $1 = 1 if contaminated, $2 = run, rest = metrics
flag() { local c=$1 r=$2 m; shift 2; (( c )) || return 0; for m in "$@"; do CONTAM+=("$m/run$r"); done; }
busy() { [[ "$1" != nan ]] && (( $1 > ${PEERS_BUSY_PCT:-10} )) && echo 1 || echo 0; }
cyc() { awk -v c="$1" -v m="$2" -v f="$TSC_MHZ" 'BEGIN { if (c == "nan" || m == "nan" || m + 0 <= 0) print "nan"; else printf "%.0f\n", c / 100 * f / m }'; }

for (( r = 1; r <= RUNS; r++ )); do
    for fr in 60 1514; do
        if [[ $fr == 60 ]] && ! has_phase 1to1; then continue; fi
        if [[ $fr == 1514 ]] && ! has_phase 1514; then continue; fi
        peer_ovs "$fr" "$r"; read -r om oc <<<"$RES"
        put "ovs_${fr}_mpps" "$r" "$om"; put "ovs_${fr}_pmd_cyc_per_pkt" "$r" "$oc"
        flag "$PEER_CONTAM" "$r" "ovs_${fr}_mpps"
        vale_fanout "r$r-vale$fr" vale0 "$fr" a b
        if [[ "$RES" == FAIL ]]; then
            vm=nan; vd=nan; nd=nan
        else
            read -r _ vm _ sent recv _ nd other <<<"$RES"
            vd=$(minus "$sent" "$recv")
            flag "$(busy "$other")" "$r" "vale_${fr}_mpps"
        fi
        put "vale_${fr}_mpps" "$r" "$vm"; put "vale_${fr}_drops" "$r" "$vd"
        put "vale_${fr}_netmapd_cyc_per_pkt" "$r" "$(cyc "$nd" "$vm")"
        put "vale_over_ovs_${fr}" "$r" "$(ratio "$vm" "$om")"
        echo "run $r, ${fr} B: OVS NORMAL ${om} Mpps (${oc} cyc/pkt) | VALE 1->1 ${vm} Mpps (drops ${vd}, netmapd ${nd}% CPU)" >&2
    done
    if has_phase bcast; then
        peer_bridge "$r"; read -r bi bd <<<"$RES"
        put bridge_bcast_in_mpps "$r" "$bi"; put bridge_bcast_delivered_mpps "$r" "$bd"
        flag "$PEER_CONTAM" "$r" bridge_bcast_delivered_mpps
        vale_fanout "r$r-bcast" vale1 60 a b c
        if [[ "$RES" == FAIL ]]; then
            vi=nan; vdl=nan; vdr=nan
        else
            read -r vi v1 v2 _ sent c1 c2 _ _ other <<<"$RES"
            flag "$(busy "$other")" "$r" vale_bcast_delivered_mpps
            vdl=$(awk -v a="$v1" -v b="$v2" 'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.3f\n", a + b }')
            vdr=$(minus "$sent" "$c1" 0); vdr=$(minus "$vdr" "$c2" 0)
            [[ "$vdr" == nan ]] || vdr=$(( vdr + sent ))        # 2 * sent - c1 - c2
        fi
        put vale_bcast_tx_mpps "$r" "$vi"; put vale_bcast_delivered_mpps "$r" "$vdl"; put vale_bcast_drops "$r" "$vdr"
        put vale_bcast_over_bridge "$r" "$(ratio "$vdl" "$bd")"
        echo "run $r, broadcast 1->2: bridge in ${bi} / delivered ${bd} Mpps | VALE tx ${vi} / delivered ${vdl} Mpps (drops ${vdr})" >&2
    fi
    if has_phase n1; then
        for n in $N_LIST; do
            vale_n_to_1 "$n" "$r"
            if [[ "$RES" == FAIL ]]; then
                am=nan; at=nan; ad=nan; nd=nan; md=""
            else
                read -r am at _ sent recv _ nd other _ md <<<"$RES"
                ad=$(minus "$sent" "$recv")
                flag "$(busy "$other")" "$r" "vale_n${n}_to_1_rx_mpps"
            fi
            put "vale_n${n}_to_1_rx_mpps" "$r" "$am"; put "vale_n${n}_to_1_tx_sum_mpps" "$r" "$at"
            put "vale_n${n}_to_1_drops" "$r" "$ad"
            echo "run $r, ${n} -> 1: VALE rx ${am} Mpps (senders' sum ${at}), drops ${ad}, netmapd ${nd}% CPU${md:+, $md}" >&2
        done
    fi
    if has_phase embedded; then
        embedded_run "$r"; e=$RES
        if [[ "$e" == SKIP* ]]; then
            (( r == 1 )) && echo "vale.sh: embedded: skipped: ${e#SKIP }" >&2
        else
            put vale_embedded_60_mpps "$r" "$e"
            flag "$EMB_CONTAM" "$r" vale_embedded_60_mpps
            echo "run $r, embedded 1->1 60 B: ${e} Mpps" >&2
        fi
    fi
done

# ---- summary ----------------------------------------------------------------------------
printf '# vale.sh %s runs x %s s, %s; netmapd on CPU0, pkt-gens on CPU1; OVS PMD on CPU0, testpmd on CPU1\n' "$RUNS" "$SECS" "$(date -u +%Y-%m-%dT%H:%MZ)"
hdr="# metric"; for (( r = 1; r <= RUNS; r++ )); do hdr+=" run$r"; done; echo "$hdr median min max"
for m in "${METRICS[@]}"; do
    vals=(); for (( r = 1; r <= RUNS; r++ )); do vals+=("${R[$m,$r]:-nan}"); done
    st=$(printf '%s\n' "${vals[@]}" | { grep -v '^nan$' || true; } | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%s %s %s\n", med, a[1], a[NR] }')
    echo "$m ${vals[*]} $st"
done | column -t
# Ratios of the medians (the per-run ratios are in the table above).
if (( ${#CONTAM[@]} )); then
    echo "# contaminated (other processes > ${PEERS_BUSY_PCT:-10}% CPU during the measurement; rerun): ${CONTAM[*]}"
fi
med_of() { local r; for (( r = 1; r <= RUNS; r++ )); do echo "${R[$1,$r]:-nan}"; done | { grep -v '^nan$' || true; } | median; }
for fr in 60 1514; do
    [[ -n "${R[ovs_${fr}_mpps,1]:-}" ]] || continue
    echo "vale_over_ovs_${fr}_of_medians $(ratio "$(med_of "vale_${fr}_mpps")" "$(med_of "ovs_${fr}_mpps")")"
done
if [[ -n "${R[bridge_bcast_delivered_mpps,1]:-}" ]]; then
    echo "vale_bcast_over_bridge_of_medians $(ratio "$(med_of vale_bcast_delivered_mpps)" "$(med_of bridge_bcast_delivered_mpps)")"
fi

# shellcheck shell=bash disable=SC2317,SC2034  # sourced: cleanup functions run from traps; the users read the variables
# Sourced by nic-tx.sh, nic-rx.sh and nic-switch.sh (not executable on its own): one measuring harness for
# every contender of bench/nic.sh, peers and ours alike, so they are measured the same way.
#
#  - Topology: namespaces and veth pairs made here with unique names (nic_ns, nic_veth) and deleted at exit
#    (deleting a namespace deletes its veths and detaches any XDP program). Each veth has 1 rx and 1 tx queue,
#    IPv6 off, offloads off (as tests/Netmap.Tests/Infrastructure/NetworkLab.cs), fixed MACs. Nothing is in
#    the root namespace; no traffic can leave the machine.
#  - The frame: NIC_FRAME_HEX, pkt-gen's 60-byte IPv4/UDP frame (-l 60 -S 02:00:00:00:00:01 -D 02:00:00:00:00:02,
#    10.0.0.1:1234 -> 10.1.0.1:1234). Its destination MAC is no interface's, so the receiving stack drops it at
#    once (PACKET_OTHERHOST) — the same cheap drop for every contender. trafgen and SharpPcap send these bytes,
#    pkt-gen builds them itself, testpmd txonly sends its own 60-byte UDP frame with --eth-peer set to this MAC.
#  - Counters: /proc/<holder>/net/dev of a `sleep` kept in each namespace (no fork per sample).
#  - CPU: utime/stime (clock ticks, /proc/PID/stat) summed over the contender's whole process tree (trafgen
#    forks its worker; testpmd and the .NET tools are one process). This kernel has tick-based accounting
#    without IRQ time accounting, so softirq work done on a process's CPU while it runs (the veth receive path
#    runs on the SENDER's CPU) is in that process's stime.
#  - Contamination: machine busy ticks (/proc/stat user+nice+system+irq+softirq) minus the ticks of every
#    process we started and of ksoftirqd: "others %" of the machine; > PEERS_BUSY_PCT (10) is flagged.
#  - Processes run as `ip netns exec NS timeout --foreground -s INT -k 5 BOUND taskset -c CPU CMD` and are
#    stopped with one SIGINT to the timeout wrapper (by pid), SIGKILL to the tree after 5 s.

NIC_FRAME_HEX=02000000000202000000000108004510002e00004000401126ad0a0000010a01000104d204d2001a15d26e65746d617020706b742d67656e20444900
NIC_DST_MAC=02:00:00:00:00:02           # the frames' destination (learned on the switch port of B in nic-switch.sh)
NIC_SRC_MAC=02:00:00:00:00:01
NIC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NIC_REPO=$(cd "$NIC_HERE/../.." && pwd)
NIC_PCAPBENCH="$NIC_REPO/bench/PcapBench/bin/Release/net10.0/PcapBench.dll"
NIC_HZ=$(getconf CLK_TCK)
# shellcheck source-path=SCRIPTDIR source=idle.sh
source "$NIC_HERE/idle.sh"

NIC_TAG="nic$$"
NIC_DIR=$(mktemp -d /tmp/peers-nic.XXXXXX)
NIC_NSS=()                               # namespaces to delete
declare -A NIC_HOLDER=()                 # [ns] -> pid of the sleep kept in it
NIC_BG=()                                # timeout wrappers to stop at exit
NIC_DPDK_PFX=()                          # EAL --file-prefix names to remove from /var/run/dpdk

nic_die() { echo "$NIC_ME: $*" >&2; exit 2; }
nic_nap() { sleep "$1" & wait $!; }       # interruptible sleep (traps run at once in `wait`)

# Stop a timeout wrapper we started (by pid): one SIGINT to every process under it (not to the wrapper, which
# would forward a second one: pkt-gen takes a second SIGINT as "die now"; trafgen's worker is a child of its
# parent), then SIGKILL to the whole tree after 5 s.
nic_stop() {
    local p=$1 kids
    [[ -n "$p" ]] || return 0
    if kill -0 "$p" 2>/dev/null; then
        kids=$(nic_tree "$p" | tail -n +2 | tr '\n' ' ')
        # shellcheck disable=SC2086
        if [[ -n "$kids" ]]; then kill -INT $kids 2>/dev/null || true; else kill -INT "$p" 2>/dev/null || true; fi
        for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
        # shellcheck disable=SC2086
        if kill -0 "$p" 2>/dev/null; then kill -KILL $kids "$p" 2>/dev/null || true; fi
    fi
    wait "$p" 2>/dev/null || true
    local keep=() q
    for q in "${NIC_BG[@]}"; do [[ "$q" == "$p" ]] || keep+=("$q"); done
    NIC_BG=("${keep[@]+"${keep[@]}"}")
}
nic_cleanup() {
    local rc=$? p ns
    trap - EXIT INT TERM
    for p in "${NIC_BG[@]}"; do nic_stop "$p"; done
    for ns in "${!NIC_HOLDER[@]}"; do kill "${NIC_HOLDER[$ns]}" 2>/dev/null || true; wait "${NIC_HOLDER[$ns]}" 2>/dev/null || true; done
    for ns in "${NIC_NSS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    for p in "${NIC_DPDK_PFX[@]}"; do rm -rf "/var/run/dpdk/$p"; done
    if (( rc != 0 && rc != 3 )) && [[ -d "$NIC_DIR" ]]; then
        for p in "$NIC_DIR"/*.log; do
            [[ -s "$p" ]] || continue
            echo "$NIC_ME: --- tail of $(basename "$p") ---" >&2; tail -n 8 "$p" >&2
        done
    fi
    rm -rf "$NIC_DIR"
    exit "$rc"
}
trap nic_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- topology ---------------------------------------------------------------------------------
nic_ns() {                               # $1 VAR, $2 short name: creates namespace TAG-$2 once, VAR = its name
    local ns="$NIC_TAG-$2"
    printf -v "$1" '%s' "$ns"
    if [[ -z "${NIC_HOLDER[$ns]:-}" ]]; then
        ip netns add "$ns"
        NIC_NSS+=("$ns")
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip netns exec "$ns" sleep 100000 </dev/null >/dev/null 2>&1 &
        NIC_HOLDER[$ns]=$!
    fi
}
# A veth pair, $1 in namespace $2 with MAC $3, $4 in namespace $5 with MAC $6; 1 queue, offloads off, up.
nic_veth() {
    local dev1=$1 ns1=$2 mac1=$3 dev2=$4 ns2=$5 mac2=$6 dev ns
    ip link add "$dev1" netns "$ns1" numtxqueues 1 numrxqueues 1 address "$mac1" type veth \
        peer name "$dev2" netns "$ns2" numtxqueues 1 numrxqueues 1 address "$mac2"
    for dev in "$dev1:$ns1" "$dev2:$ns2"; do
        ns=${dev#*:}; dev=${dev%%:*}
        ip netns exec "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
        ip -n "$ns" link set "$dev" up
    done
}
nic_wait_up() {                          # $1 ns, $2 dev: until operstate is up (2 s at most)
    for _ in $(seq 1 20); do
        [[ "$(ip netns exec "$1" cat "/sys/class/net/$2/operstate" 2>/dev/null)" == up ]] && return 0
        sleep 0.1
    done
    echo "$NIC_ME: WARNING: $2 in $1 is not up" >&2
}
# trafgen configuration file with NIC_FRAME_HEX: prints its path.
nic_trafgen_cfg() {
    local f="$NIC_DIR/frame.cfg"
    echo "{ $(sed 's/../0x&, /g; s/, $//' <<<"$NIC_FRAME_HEX") }" >"$f"
    echo "$f"
}

# ---- counters -----------------------------------------------------------------------------------
# "$1 ns $2 dev" -> "rx_packets rx_dropped tx_packets tx_dropped" (from the holder's /proc/PID/net/dev)
nic_ctr() {
    awk -v d="$2" '{ sub(/^ */, ""); sub(/:/, " ") } $1 == d { print $3, $5, $11, $13; f = 1 } END { if (!f) print "0 0 0 0" }' \
        "/proc/${NIC_HOLDER[$1]}/net/dev"
}
# Every pid in the tree rooted at $1 (itself included).
nic_tree() {
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null); do nic_tree "$c"; done
}
NIC_KSOFTIRQD=$(pgrep -x 'ksoftirqd/[0-9]+' 2>/dev/null | tr '\n' ' ' || true)

# ---- processes ----------------------------------------------------------------------------------
# nic_start NS CPU SECONDS LOGNAME CMD...: runs CMD in NS pinned to CPU (bounded); NIC_LAST = wrapper pid.
# stdout -> $NIC_DIR/LOGNAME.out, stderr -> $NIC_DIR/LOGNAME.log. CPU "-" = not pinned.
nic_start() {
    local ns=$1 cpu=$2 secs=$3 log=$4; shift 4
    local pin=(taskset -c "$cpu")
    [[ "$cpu" == - ]] && pin=()
    ip netns exec "$ns" timeout --foreground -s INT -k 5 "$secs" "${pin[@]}" "$@" \
        >"$NIC_DIR/$log.out" 2>"$NIC_DIR/$log.log" </dev/null &
    NIC_LAST=$!
    NIC_BG+=("$NIC_LAST")
}
# Wait until file $1 has a line matching $2 (ERE), for $3 seconds at most, while process $4 lives.
nic_wait_line() {
    local i
    for (( i = 0; i < $3 * 10; i++ )); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
# Wait until counter field $3 (1 rx_packets, 3 tx_packets) of $2 in $1 grew by 1000, $4 s at most, while $5 lives.
nic_wait_traffic() {
    local c0 c i
    c0=$(nic_ctr "$1" "$2" | awk -v f="$3" '{ print $f }')
    for (( i = 0; i < $4 * 10; i++ )); do
        c=$(nic_ctr "$1" "$2" | awk -v f="$3" '{ print $f }')
        (( c - c0 >= 1000 )) && return 0
        kill -0 "$5" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# A private netmapd in namespace $1 (not pinned: it only sets interfaces up for pkt-gen; with VALE ports it
# forwards — then $2 = CPU). Sets NIC_ND (wrapper pid) and exports NETMAP_SOCKET; exit 2 if it does not listen.
nic_netmapd() {
    local ns=$1 cpu=${2:--} bound=${3:-600}
    export NETMAP_SOCKET="$NIC_DIR/netmapd.sock" NETMAP_NO_AUTOSTART=1
    [[ -x "$NIC_REPO/bin/netmapd" ]] || nic_die "$NIC_REPO/bin/netmapd missing (dotnet build Netmap.slnx -c Release)"
    nic_start "$ns" "$cpu" "$bound" netmapd "$NIC_REPO/bin/netmapd" --socket "$NETMAP_SOCKET"
    NIC_ND=$NIC_LAST
    for _ in $(seq 1 100); do [[ -S "$NETMAP_SOCKET" ]] && return 0; kill -0 "$NIC_ND" 2>/dev/null || break; sleep 0.1; done
    echo "$NIC_ME: netmapd did not listen on $NETMAP_SOCKET" >&2
    exit 2
}

# ---- the measuring window -----------------------------------------------------------------------
# The pids of the trees rooted at $@ (taken once before a window: a mark must be quick).
nic_pids() { local r; for r in "$@"; do [[ -n "$r" ]] && nic_tree "$r"; done; true; }
# nic_mark VAR "ns:dev ..." "measured pids" "netmapd pids" "other pids of ours": a snapshot into array VAR,
# read by ONE awk (forks are slow on a busy machine and would skew counters against CPU times):
#   [0] time  [1..n] "rx_packets rx_dropped tx_packets tx_dropped" of each ns:dev
#   [n+1] "utime stime" of the measured pids  [n+2] "utime stime" of netmapd
#   [n+3] ticks of all of ours + ksoftirqd    [n+4] "busy total" of the machine
nic_mark() {
    local -n _m=$1
    local devs=$2 nd p files=() kinds=() t
    for nd in $devs; do files+=("/proc/${NIC_HOLDER[${nd%%:*}]}/net/dev"); kinds+=("d:${nd#*:}"); done
    for p in $3; do [[ -r /proc/$p/stat ]] && { files+=("/proc/$p/stat"); kinds+=(m); }; done
    for p in $4; do [[ -r /proc/$p/stat ]] && { files+=("/proc/$p/stat"); kinds+=(n); }; done
    for p in $5 $NIC_KSOFTIRQD; do [[ -r /proc/$p/stat ]] && { files+=("/proc/$p/stat"); kinds+=(o); }; done
    files+=(/proc/stat); kinds+=(s)
    t=$EPOCHREALTIME
    mapfile -t _m < <(awk -v kinds="${kinds[*]}" -v ndev="$(wc -w <<<"$devs")" '
        BEGIN { nk = split(kinds, K, " "); fi = 0 }
        FNR == 1 { fi++ }
        { k = K[fi] }
        k ~ /^d:/ { line = $0; sub(/^ */, "", line); sub(/:/, " ", line); split(line, f, " ")
                    if (f[1] == substr(k, 3)) D[fi] = f[3] " " f[5] " " f[11] " " f[13]; next }
        k == "m" || k == "n" || k == "o" { line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
                    if (k == "m") { mu += f[12]; ms += f[13] } else if (k == "n") { nu += f[12]; ns += f[13] } else ot += f[12] + f[13]; next }
        k == "s" && $1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8; tot = busy + $5 + $6 + $9 }
        END { for (i = 1; i <= ndev; i++) print (i in D) ? D[i] : "0 0 0 0"
              print mu + 0, ms + 0; print nu + 0, ns + 0; print mu + ms + nu + ns + ot; print busy, tot }' "${files[@]}")
    _m=("$t" "${_m[@]}")
}
# Others % of the machine between two marks (busy ticks not ours); warns past PEERS_BUSY_PCT.
nic_others_pct() {
    local -n _a=$1 _b=$2
    local n=${#_a[@]}
    awk -v oa="${_a[n-2]}" -v ob="${_b[n-2]}" -v ma="${_a[n-1]}" -v mb="${_b[n-1]}" 'BEGIN {
        split(ma, x, " "); split(mb, y, " "); tot = y[2] - x[2]
        if (tot <= 0) { print "nan"; exit }
        o = (y[1] - x[1]) - (ob - oa); if (o < 0) o = 0
        printf "%.0f\n", 100 * o / tot }'
}
nic_contam_check() {                     # $1 who, $2 others %
    if [[ "$2" != nan ]] && (( $2 > ${PEERS_BUSY_PCT:-10} )); then
        echo "$NIC_ME: $1: WARNING: other processes used $2% of the machine's CPU during the window; contaminated, rerun" >&2
    else
        echo "$NIC_ME: $1: CPU used by other processes during the window: $2%" >&2
    fi
}
# Field k (1-based) of counter line i (0-based among the ns:dev list) in a mark: nic_f VAR i k
nic_f() { local -n _x=$1; awk -v k="$3" '{ print $k }' <<<"${_x[$(( $2 + 1 ))]}"; }
nic_cpu_of() { local -n _x=$1; echo "${_x[$(( ${#_x[@]} - 4 ))]}"; }   # "utime stime" of the measured pids
nic_nd_of() { local -n _x=$1; echo "${_x[$(( ${#_x[@]} - 3 ))]}"; }    # "utime stime" of netmapd
# ns per packet from tick deltas: nic_ns_per_pkt TICKS PACKETS
nic_ns_per_pkt() { awk -v t="$1" -v p="$2" -v hz="$NIC_HZ" 'BEGIN { if (p <= 0) print "nan"; else printf "%.0f\n", t * 1e9 / hz / p }'; }
nic_mpps() { awk -v n="$1" -v t="$2" 'BEGIN { if (t <= 0) print "nan"; else printf "%.3f\n", n / t / 1e6 }'; }
nic_pct() { awk -v t="$1" -v s="$2" -v hz="$NIC_HZ" 'BEGIN { if (s <= 0) print "nan"; else printf "%.0f\n", 100 * t / hz / s }'; }

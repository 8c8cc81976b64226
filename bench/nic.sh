#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps
# Linux-interface benchmarks of issue 4 (netmap:veth through AF_XDP and AF_PACKET), each contender interleaved
# with its peers in the same run (shared/research/performance-peers.md B.2, C.3). All on veth pairs in network
# namespaces that the runners create and delete; 60-byte frames; sender on CPU0, receiver on CPU1.
#   1. tx:   a sender on va, frames counted on the peer end vb (rx_packets; vb's stack drops them at once)
#            trafgen TX_RING | ours AF_XDP | SharpPcap SendPacket | ours AF_PACKET | DPDK net_af_xdp txonly
#            (bench/peers/nic-tx.sh); pps and the sender's user/system CPU per packet
#   2. rx:   trafgen on va as the one traffic source, a receiver on vb
#            netsniff-ng TPACKET_V3 | ours AF_XDP | SharpPcap OnPacketArrival | ours AF_PACKET |
#            SharpPcap GetNextPacket | DPDK net_af_xdp rxonly (bench/peers/nic-rx.sh);
#            received/offered, loss, the receiver's user/system CPU per packet
#   3. vale: trafgen a0 -> ra, switch, rb -> b0: the Linux bridge, then VALE with ra and rb attached
#            (bin/vale-ctl -a; netmapd forwards, on CPU1) (bench/peers/nic-switch.sh); forwarded/offered, loss
# Every contender is measured by the same harness (bench/peers/nic-lib.sh): counter deltas from
# /proc/<pid>/net/dev and CPU ticks from /proc/<pid>/stat over the same steady window (2 s after traffic
# starts, SECS - 2 s long); "others" = CPU of processes not ours during the window (> PEERS_BUSY_PCT:
# flagged contaminated).
#
# Usage: bench/nic.sh [runs=3] [seconds=8]     (root; installs the peers with bench/peers/install.sh and builds
#                                              Release unless NO_BUILD=1)
# stdout: a summary table (one row per metric: each run, median, min, max) and ratio lines with the targets.
# stderr: per-contender figures, warnings, why a contender failed. KEEP_LOGS=1 keeps every runner's stderr.
# Environment: NO_BUILD=1; NIC_PHASES="tx rx vale" (subset); NIC_TX="trafgen ours-xdp pcap ours-afpacket dpdk-xdp"
#   and NIC_RX="netsniff ours-xdp pcap-cb ours-afpacket pcap-next dpdk-xdp" (subsets/orders, for development);
#   PEERS_WAIT_IDLE / PEERS_BUSY_PCT (bench/peers/idle.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECS=${2:-8}
usage() { echo "usage: $0 [runs 1..50] [seconds 5..300]" >&2; exit 2; }
if ! [[ "$RUNS" =~ ^[0-9]+$ ]] || (( RUNS < 1 || RUNS > 50 )); then usage; fi
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || (( SECS < 5 || SECS > 300 )); then usage; fi
if [[ $(id -u) -ne 0 ]]; then echo "nic.sh: must run as root (namespaces, AF_XDP, the peers)" >&2; exit 2; fi
if (( $(nproc) < 2 )); then echo "nic.sh: needs CPU0 and CPU1" >&2; exit 2; fi
PHASES=${NIC_PHASES:-"tx rx vale"}
TX_LIST=${NIC_TX:-"trafgen ours-xdp pcap ours-afpacket dpdk-xdp"}
RX_LIST=${NIC_RX:-"netsniff ours-xdp pcap-cb ours-afpacket pcap-next dpdk-xdp"}
has_phase() { [[ " $PHASES " == *" $1 "* ]]; }
nap() { sleep "$1" & wait $!; }

bash bench/peers/install.sh >&2
if [[ -z "${NO_BUILD:-}" ]]; then
    # Other engineers edit src/ concurrently: a build can fail transiently, so retry twice.
    built=0
    for attempt in 1 2 3; do
        if dotnet build Netmap.slnx -c Release -nologo -v quiet >/dev/null 2>&1; then built=1; break; fi
        echo "nic.sh: build attempt $attempt failed; retrying in 30 s" >&2
        nap 30
    done
    (( built )) || { echo "nic.sh: dotnet build Netmap.slnx -c Release failed (NO_BUILD=1 runs bin/ as it is)" >&2; exit 1; }
fi
for b in bin/pkt-gen bin/netmapd bin/vale-ctl bench/PcapBench/bin/Release/net10.0/PcapBench.dll; do
    [[ -e "$b" ]] || echo "nic.sh: WARNING: $b missing (dotnet build Netmap.slnx -c Release); its contenders will fail" >&2
done
# shellcheck source-path=SCRIPTDIR source=peers/idle.sh
source bench/peers/idle.sh

LOGS=$(mktemp -d /tmp/nic-bench.XXXXXX)
RUNNER_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$RUNNER_PID" ]] && kill -0 "$RUNNER_PID" 2>/dev/null; then
        kill -TERM "$RUNNER_PID" 2>/dev/null || true        # the runner's trap deletes its namespaces
        wait "$RUNNER_PID" 2>/dev/null || true
    fi
    if [[ -n "${KEEP_LOGS:-}" ]]; then echo "nic.sh: logs kept in $LOGS" >&2; else rm -rf "$LOGS"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A R                  # R[metric,run] = value
declare -A WHY                # WHY[contender] = why it failed (reported once)
METRICS=()
CONTAM=()
put() { [[ " ${METRICS[*]} " == *" $1 "* ]] || METRICS+=("$1"); R[$1,$2]=${3:-nan}; }
key_of() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "nan" : v) }' <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || a == "" || b == "" || b + 0 <= 0) print "nan"; else printf "%.2f\n", a / b }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "nan"; exit } if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
med_of() { local r; for (( r = 1; r <= RUNS; r++ )); do echo "${R[$1,$r]:-nan}"; done | { grep -v '^nan$' || true; } | median; }

# Run one runner: $1 script, $2 contender, $3 run. Sets OUT (its stdout) and RC; flags contamination.
run_one() {
    local script=$1 c=$2 r=$3 log="$LOGS/r$3-$1-$2.err"
    OUT=""; RC=0
    timeout -s TERM -k 10 $(( SECS + 180 )) bash "bench/peers/$script.sh" "$c" "$SECS" >"$LOGS/out" 2>"$log" </dev/null &
    RUNNER_PID=$!
    wait "$RUNNER_PID" || RC=$?
    RUNNER_PID=""
    OUT=$(cat "$LOGS/out")
    local others; others=$(key_of others_pct "$OUT")
    if [[ "$others" != nan ]] && (( others > ${PEERS_BUSY_PCT:-10} )); then CONTAM+=("$script:$c/run$r(${others}%)"); fi
    if (( RC != 0 )); then
        local w; w=$(awk '$1 == "fail" || $1 == "skip" { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$OUT")
        [[ -n "$w" ]] || w="exit $RC: $(grep -v '^ *$' "$log" | tail -n 1)"
        if [[ "${WHY[$script:$c]:-}" != "$w" ]]; then echo "nic.sh: $script $c: ${w}" >&2; fi
        WHY[$script:$c]=$w
    fi
}
u() { tr '-' '_' <<<"$1"; }

for (( r = 1; r <= RUNS; r++ )); do
    if has_phase tx; then
        peers_idle_check "nic.sh(run $r, tx)" 2>&1 | sed 's/^/  /' >&2 || true
        line="run $r, tx Mpps (user/sys ns per packet):"
        for c in $TX_LIST; do
            run_one nic-tx "$c" "$r"
            m=$(key_of tx_mpps "$OUT"); un=$(key_of user_ns_per_pkt "$OUT"); sn=$(key_of sys_ns_per_pkt "$OUT")
            put "tx_$(u "$c")_mpps" "$r" "$m"
            put "tx_$(u "$c")_user_ns_per_pkt" "$r" "$un"
            put "tx_$(u "$c")_sys_ns_per_pkt" "$r" "$sn"
            [[ "$c" == ours-* ]] && put "tx_$(u "$c")_netmapd_cpu_pct" "$r" "$(key_of netmapd_cpu_pct "$OUT")"
            line+=" $c $m ($un/$sn)"
        done
        echo "$line" >&2
        for c in ours-xdp ours-afpacket; do
            [[ " $TX_LIST " == *" $c "* ]] || continue
            for p in trafgen pcap dpdk-xdp; do
                [[ " $TX_LIST " == *" $p "* ]] || continue
                put "tx_$(u "$c")_over_$(u "$p")" "$r" "$(ratio "${R[tx_$(u "$c")_mpps,$r]}" "${R[tx_$(u "$p")_mpps,$r]}")"
            done
        done
    fi
    if has_phase rx; then
        peers_idle_check "nic.sh(run $r, rx)" 2>&1 | sed 's/^/  /' >&2 || true
        line="run $r, rx offered Mpps / received ratio / loss / user+sys ns per packet:"
        for c in $RX_LIST; do
            run_one nic-rx "$c" "$r"
            o=$(key_of offered_mpps "$OUT"); q=$(key_of received_ratio "$OUT"); l=$(key_of loss_pkts "$OUT")
            un=$(key_of user_ns_per_pkt "$OUT"); sn=$(key_of sys_ns_per_pkt "$OUT")
            put "rx_$(u "$c")_offered_mpps" "$r" "$o"
            put "rx_$(u "$c")_received_ratio" "$r" "$q"
            put "rx_$(u "$c")_loss_pkts" "$r" "$l"
            put "rx_$(u "$c")_user_ns_per_pkt" "$r" "$un"
            put "rx_$(u "$c")_sys_ns_per_pkt" "$r" "$sn"
            put "rx_$(u "$c")_cpu_pct" "$r" "$(key_of cpu_pct "$OUT")"
            [[ "$c" == ours-* ]] && put "rx_$(u "$c")_netmapd_cpu_pct" "$r" "$(key_of netmapd_cpu_pct "$OUT")"
            line+=" $c $o/$q/$l/$un+$sn"
        done
        echo "$line" >&2
    fi
    if has_phase vale; then
        peers_idle_check "nic.sh(run $r, vale)" 2>&1 | sed 's/^/  /' >&2 || true
        run_one nic-switch bridge "$r"
        bo=$(key_of offered_mpps "$OUT"); bf=$(key_of forwarded_mpps "$OUT")
        put sw_bridge_offered_mpps "$r" "$bo"; put sw_bridge_forwarded_mpps "$r" "$bf"
        put sw_bridge_loss_pkts "$r" "$(key_of loss_pkts "$OUT")"
        put sw_bridge_sender_ns_per_pkt "$r" "$(key_of sender_ns_per_pkt "$OUT")"
        run_one nic-switch vale "$r"
        if (( RC == 3 )); then
            vo=skip; vf=skip
        else
            vo=$(key_of offered_mpps "$OUT"); vf=$(key_of forwarded_mpps "$OUT")
            put sw_vale_offered_mpps "$r" "$vo"; put sw_vale_forwarded_mpps "$r" "$vf"
            put sw_vale_loss_pkts "$r" "$(key_of loss_pkts "$OUT")"
            put sw_vale_sender_ns_per_pkt "$r" "$(key_of sender_ns_per_pkt "$OUT")"
            put sw_vale_netmapd_cpu_pct "$r" "$(key_of netmapd_cpu_pct "$OUT")"
            put sw_vale_netmapd_user_ns_per_pkt "$r" "$(key_of netmapd_user_ns_per_pkt "$OUT")"
            put sw_vale_netmapd_sys_ns_per_pkt "$r" "$(key_of netmapd_sys_ns_per_pkt "$OUT")"
            put sw_vale_over_bridge "$r" "$(ratio "$vf" "$bf")"
        fi
        echo "run $r, switch offered/forwarded Mpps: bridge $bo/$bf | VALE $vo/$vf" >&2
    fi
done

# ---- summary ----------------------------------------------------------------------------
printf '# nic.sh %s runs x %s s, %s; senders on CPU0, receivers (and netmapd for VALE) on CPU1; 60-byte frames on veth\n' \
    "$RUNS" "$SECS" "$(date -u +%Y-%m-%dT%H:%MZ)"
hdr="# metric"; for (( r = 1; r <= RUNS; r++ )); do hdr+=" run$r"; done; echo "$hdr median min max"
for m in "${METRICS[@]}"; do
    vals=(); for (( r = 1; r <= RUNS; r++ )); do vals+=("${R[$m,$r]:-nan}"); done
    st=$(printf '%s\n' "${vals[@]}" | { grep -v '^nan$' || true; } | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "nan nan nan"; exit }
        med = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%s %s %s\n", med, a[1], a[NR] }')
    echo "$m ${vals[*]} $st"
done | column -t
if (( ${#CONTAM[@]} )); then
    echo "# contaminated (other processes > ${PEERS_BUSY_PCT:-10}% of the machine during the window; rerun): ${CONTAM[*]}"
fi
for k in "${!WHY[@]}"; do echo "# not measured or failed: $k: ${WHY[$k]}"; done | sort
# Ratios of the medians, with the issue's targets.
target() {                    # $1 name, $2 value, $3 awk condition on v, $4 text of the target
    local ok; ok=$(awk -v v="$2" "BEGIN { if (v == \"nan\") print \"n/a\"; else print (($3) ? \"met\" : \"NOT met\") }")
    echo "$1 $2 (target $4: $ok)"
}
if has_phase tx; then
    for c in ours-xdp ours-afpacket; do
        [[ " $TX_LIST " == *" $c "* ]] || continue
        cm=$(med_of "tx_$(u "$c")_mpps")
        [[ " $TX_LIST " == *" trafgen "* ]] && target "tx_$(u "$c")_over_trafgen_of_medians" "$(ratio "$cm" "$(med_of tx_trafgen_mpps)")" "v >= 1.0" ">= 1.0"
        [[ " $TX_LIST " == *" pcap "* ]] && target "tx_$(u "$c")_over_pcap_of_medians" "$(ratio "$cm" "$(med_of tx_pcap_mpps)")" "v >= 1.5" ">= 1.5"
        [[ " $TX_LIST " == *" dpdk-xdp "* ]] && echo "tx_$(u "$c")_over_dpdk_xdp_of_medians $(ratio "$cm" "$(med_of tx_dpdk_xdp_mpps)")"
    done
fi
if has_phase rx; then
    for c in ours-xdp ours-afpacket; do
        [[ " $RX_LIST " == *" $c "* ]] || continue
        target "rx_$(u "$c")_received_ratio_median" "$(med_of "rx_$(u "$c")_received_ratio")" "v >= 1.0" "1.0, no loss"
        target "rx_$(u "$c")_user_ns_per_pkt_median" "$(med_of "rx_$(u "$c")_user_ns_per_pkt")" "v <= 50" "<= 50"
        [[ " $RX_LIST " == *" netsniff "* ]] && echo "rx_$(u "$c")_offered_over_netsniff_offered_of_medians $(ratio "$(med_of "rx_$(u "$c")_offered_mpps")" "$(med_of rx_netsniff_offered_mpps)")"
    done
fi
if has_phase vale && [[ -n "${R[sw_vale_forwarded_mpps,1]:-}" ]]; then
    echo "sw_vale_over_bridge_of_medians $(ratio "$(med_of sw_vale_forwarded_mpps)" "$(med_of sw_bridge_forwarded_mpps)")"
fi

#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps
# bench/nic.sh RX phase, one receiver per invocation. The same traffic source for every receiver: trafgen
# (TX_RING, one worker on CPU0) on veth va in namespace A; the receiver on vb in namespace B, pinned to CPU1.
# The veth receive path (and XDP, for the AF_XDP receivers) runs in softirq on the SENDER's CPU, so the offered
# rate is trafgen's; what separates receivers is loss and the receiver's own CPU per packet.
#
#   netsniff       netsniff-ng --in vb --silent --bind-cpu 1 -S 32MiB (TPACKET_V3)                 [peer N3]
#                  (-S: with its default ring size netsniff-ng spent ~5 s in set-up on this VM and missed the run)
#   pcap-cb        SharpPcap OnPacketArrival + StartCapture (bench/PcapBench rx-cb)                 [.NET baseline]
#   pcap-next      SharpPcap GetNextPacket loop (bench/PcapBench rx-next)                           [.NET baseline]
#   dpdk-xdp       dpdk-testpmd rxonly on net_af_xdp (its XDP program, native mode on veth)         [peer N6/N7]
#   ours-xdp       bin/pkt-gen -i netmap:vb -f rx (AF_XDP backend, the default)
#   ours-afpacket  bin/pkt-gen -i netmap:vb@conf:backend=afpacket -f rx
# For ours a private bin/netmapd runs in namespace B (it only sets vb up; the RX sync runs in pkt-gen).
#
# Usage: nic-rx.sh RECEIVER [seconds=8]   (root; 5..300 s of traffic: 2 s warm-up, then the window)
# stdout (key value):
#   offered_mpps X     frames trafgen put on va per second (va tx_packets + tx_dropped), window
#   received_ratio X   received / offered over the whole run (receiver started first, stopped 1 s after trafgen)
#   loss_pkts N        offered - received over the whole run; offered_pkts N, received_pkts N
#   user_ns_per_pkt X  receiver's user CPU in the window per received frame (received in the window is
#                      estimated as offered in the window x received_ratio); sys_ns_per_pkt X likewise
#   cpu_pct X          receiver's CPU, % of one CPU; netmapd_cpu_pct X (ours); others_pct X (contamination)
#   fail REASON        instead of the above when the receiver could not run
# Exit: 0 ok, 1 the receiver failed (fail line on stdout), 2 usage/setup error.
set -euo pipefail
NIC_ME=nic-rx.sh
CONT=${1:-}
SECS=${2:-8}
case "$CONT" in netsniff|pcap-cb|pcap-next|dpdk-xdp|ours-xdp|ours-afpacket) ;; *)
    echo "usage: $0 netsniff|pcap-cb|pcap-next|dpdk-xdp|ours-xdp|ours-afpacket [seconds 5..300]" >&2; exit 2 ;;
esac
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || (( SECS < 5 || SECS > 300 )); then echo "usage: $0 RECEIVER [seconds 5..300]" >&2; exit 2; fi
[[ $(id -u) -eq 0 ]] || { echo "$NIC_ME: must run as root" >&2; exit 2; }
(( $(nproc) >= 2 )) || { echo "$NIC_ME: needs CPU0 and CPU1" >&2; exit 2; }
command -v trafgen >/dev/null || { echo "$NIC_ME: trafgen not found (bench/peers/install.sh)" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR source=nic-lib.sh
source "$(dirname "$0")/nic-lib.sh"

nic_ns A a; nic_ns B b
nic_veth va "$A" 02:00:00:00:0a:0a vb "$B" 02:00:00:00:0b:0b
nic_wait_up "$A" va; nic_wait_up "$B" vb

BOUND=$(( SECS + 60 ))
fail() { echo "fail $*"; echo "$NIC_ME: $CONT: $*" >&2; exit 1; }
why() { grep -h -m1 -iE 'E[A-Z]{3,}|error|fail|cannot|not supported|denied|usage' "$NIC_DIR/rx.log" "$NIC_DIR/rx.out" 2>/dev/null | head -n 1 || true; }
ready=""
case "$CONT" in
    netsniff)
        nic_start "$B" 1 "$BOUND" rx netsniff-ng --in vb --silent --bind-cpu 1 -A -S 32MiB
        ready='Running!' ;;
    pcap-*)
        [[ -f "$NIC_PCAPBENCH" ]] || fail "$NIC_PCAPBENCH missing (dotnet build Netmap.slnx -c Release)"
        nic_start "$B" 1 "$BOUND" rx dotnet "$NIC_PCAPBENCH" "rx-${CONT#pcap-}" --dev vb
        ready='^ready' ;;
    dpdk-xdp)
        command -v dpdk-testpmd >/dev/null || nic_die "dpdk-testpmd not found (bench/peers/install.sh)"
        pfx="pnicr$$"; NIC_DPDK_PFX+=("$pfx")
        nic_start "$B" 1 "$BOUND" rx stdbuf -oL dpdk-testpmd --lcores 0@1,1@1 --main-lcore 0 \
            --no-huge -m 512 --no-pci --log-level=lib.eal:notice --file-prefix "$pfx" \
            --vdev net_af_xdp0,iface=vb,start_queue=0,queue_count=1 -- \
            --forward-mode=rxonly --stats-period 1 --no-mlockall --total-num-mbufs=16384
        ready='start packet forwarding' ;;
    ours-*)
        port=netmap:vb
        [[ "$CONT" == ours-afpacket ]] && port="netmap:vb@conf:backend=afpacket"
        [[ -x "$NIC_REPO/bin/pkt-gen" ]] || fail "$NIC_REPO/bin/pkt-gen missing (dotnet build Netmap.slnx -c Release)"
        nic_netmapd "$B" - $(( BOUND + 30 ))
        # NIC_OURS_RX_ARGS: extra pkt-gen options for experiments (e.g. --busy: RxSync in a loop, no sleeping)
        # shellcheck disable=SC2086
        nic_start "$B" 1 "$BOUND" rx "$NIC_REPO/bin/pkt-gen" -i "$port" -f rx -a 1 -w 1 ${NIC_OURS_RX_ARGS:-}
        ready='^Receiving from' ;;
esac
RX=$NIC_LAST
if ! nic_wait_line "$NIC_DIR/rx.out" "$ready" 40 "$RX" && ! grep -qE "$ready" "$NIC_DIR/rx.log" 2>/dev/null; then
    w=$(why); nic_stop "$RX"
    fail "the receiver did not start${w:+: $w}"
fi
nic_nap 1.5                              # pkt-gen -w 1; testpmd and libpcap settle

# shellcheck disable=SC2034  # filled and read through namerefs (nic_mark, nic_f)
C0=() C1=() W0=() W1=()
MEAS=$(nic_pids "$RX"); ND=$(nic_pids "${NIC_ND:-}")
nic_mark C0 "$A:va $B:vb" "" "" ""
nic_start "$A" 0 $(( SECS + 30 )) trafgen trafgen --dev va --conf "$(nic_trafgen_cfg)" --cpus 1 --no-cpu-stats --no-sock-mem --notouch-irq
TG=$NIC_LAST
if ! nic_wait_traffic "$A" va 3 20 "$TG"; then nic_stop "$TG"; nic_stop "$RX"; nic_die "trafgen sent nothing"; fi
echo "$NIC_ME: $CONT: traffic flows; 2 s warm-up, then a $(( SECS - 2 )) s window" >&2
nic_nap 2
OURS=$(nic_pids "$TG" "${NIC_HOLDER[@]}")
nic_mark W0 "$A:va $B:vb" "$MEAS" "$ND" "$OURS"
nic_nap $(( SECS - 2 ))
nic_mark W1 "$A:va $B:vb" "$MEAS" "$ND" "$OURS"
alive=1; kill -0 "$RX" 2>/dev/null || alive=0
nic_stop "$TG"
nic_nap 1                                # let the receiver drain what is in flight
nic_mark C1 "$A:va $B:vb" "" "" ""
nic_stop "$RX"
(( alive )) || fail "the receiver exited during the window: $(why)"

# Frames the receiver got, from its own final report.
case "$CONT" in
    # netsniff-ng: "N packets incoming (M unread on exit)" = frames it processed; "passed filter" = what the
    # kernel put in its ring (the unread ones included)
    netsniff)  got=$(cat "$NIC_DIR/rx.out" "$NIC_DIR/rx.log" | tr '\r' '\n' | awk '/packets incoming/ { n = $1 } END { print n }') ;;
    pcap-*)    got=$(awk '/^Received [0-9]+ packets/ { n = $2 } END { print n }' "$NIC_DIR/rx.out") ;;
    dpdk-xdp)  got=$(awk '/Accumulated forward statistics/ { a = 1; next } a && /RX-packets:/ { n = $2; a = 0 } END { print n }' "$NIC_DIR/rx.out") ;;
    ours-*)    got=$(awk '/^Received [0-9]+ packets/ { n = $2 } /^Received nothing/ { n = 0 } END { print n }' "$NIC_DIR/rx.out") ;;
esac
[[ "$got" =~ ^[0-9]+$ ]] || fail "the receiver printed no final count"

dt=$(awk -v a="${W0[0]}" -v b="${W1[0]}" 'BEGIN { print b - a }')
off_w=$(( $(nic_f W1 0 3) + $(nic_f W1 0 4) - $(nic_f W0 0 3) - $(nic_f W0 0 4) ))
arr_w=$(( $(nic_f W1 1 1) - $(nic_f W0 1 1) ))
offered=$(( $(nic_f C1 0 3) + $(nic_f C1 0 4) - $(nic_f C0 0 3) - $(nic_f C0 0 4) ))
arrived=$(( $(nic_f C1 1 1) - $(nic_f C0 1 1) ))
ratio=$(awk -v g="$got" -v o="$offered" 'BEGIN { if (o <= 0) print "nan"; else printf "%.4f\n", g / o }')
rcv_w=$(awk -v o="$off_w" -v r="$ratio" 'BEGIN { if (r == "nan") print 0; else printf "%.0f\n", o * r }')
read -r u0 s0 <<<"$(nic_cpu_of W0)"; read -r u1 s1 <<<"$(nic_cpu_of W1)"
others=$(nic_others_pct W0 W1)
nic_contam_check "$CONT" "$others"
echo "offered_mpps $(nic_mpps "$off_w" "$dt")"
echo "arrived_mpps $(nic_mpps "$arr_w" "$dt")"
echo "received_ratio $ratio"
echo "loss_pkts $(( offered - got ))"
echo "offered_pkts $offered"
echo "received_pkts $got"
echo "user_ns_per_pkt $(nic_ns_per_pkt $(( u1 - u0 )) "$rcv_w")"
echo "sys_ns_per_pkt $(nic_ns_per_pkt $(( s1 - s0 )) "$rcv_w")"
echo "cpu_pct $(nic_pct $(( u1 - u0 + s1 - s0 )) "$dt")"
if [[ -n "${NIC_ND:-}" ]]; then
    read -r nu0 ns0 <<<"$(nic_nd_of W0)"; read -r nu1 ns1 <<<"$(nic_nd_of W1)"
    echo "netmapd_cpu_pct $(nic_pct $(( nu1 - nu0 + ns1 - ns0 )) "$dt")"
fi
echo "others_pct $others"
echo "$NIC_ME: $CONT: run: offered $offered (va), arrived $arrived (vb), received $got; window ${dt} s: offered $off_w, receiver utime $(( u1 - u0 )) stime $(( s1 - s0 )) ticks" >&2

#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps
# bench/nic.sh TX phase, one contender per invocation: a sender on veth va (namespace A, CPU0) and nothing but
# the kernel on the other end vb (namespace B): frames are counted there with vb's rx_packets and dropped by
# vb's stack at once (their destination MAC is not vb's). The veth receive path runs in softirq on the sender's
# CPU, so every sender pays generation + the veth crossing + that drop (performance-peers.md B.2).
#
#   trafgen        netsniff-ng's trafgen, PACKET_MMAP TX_RING, one worker (--cpus 1 = CPU0)       [peer N1]
#   pcap           SharpPcap SendPacket loop (bench/PcapBench tx; libpcap, one send() per frame)   [.NET baseline]
#   dpdk-xdp       dpdk-testpmd txonly on net_af_xdp (copy mode on veth), lcores on CPU0            [peer N7]
#   ours-xdp       bin/pkt-gen -i netmap:va -f tx -l 60 (AF_XDP backend, the default)
#   ours-afpacket  bin/pkt-gen -i netmap:va@conf:backend=afpacket -f tx -l 60
# For ours a private bin/netmapd runs in namespace A (it only sets va up; the TX sync runs in pkt-gen).
#
# Usage: nic-tx.sh CONTENDER [seconds=8]   (root; 5..300 s of traffic: 2 s warm-up, then the window)
# stdout (key value):
#   tx_mpps X          frames arriving on vb per second over the window (millions)   <- the figure
#   sender_mpps X      va tx_packets per second (what left the sender)
#   tx_dropped N       va tx_dropped in the window (veth could not hand the frame over)
#   user_ns_per_pkt X  user CPU of the sender's processes per frame counted on vb
#   sys_ns_per_pkt X   system CPU (incl. the softirq veth path run on its CPU) per frame
#   cpu_pct X          sender's CPU, % of one CPU
#   netmapd_cpu_pct X  (ours) netmapd's CPU in the window
#   others_pct X       CPU of processes not ours, % of the machine (> PEERS_BUSY_PCT: contaminated)
#   fail REASON        instead of the above when the contender could not run
# Exit: 0 ok, 1 the contender failed (fail line on stdout), 2 usage/setup error.
set -euo pipefail
NIC_ME=nic-tx.sh
CONT=${1:-}
SECS=${2:-8}
case "$CONT" in trafgen|pcap|dpdk-xdp|ours-xdp|ours-afpacket) ;; *)
    echo "usage: $0 trafgen|pcap|dpdk-xdp|ours-xdp|ours-afpacket [seconds 5..300]" >&2; exit 2 ;;
esac
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || (( SECS < 5 || SECS > 300 )); then echo "usage: $0 CONTENDER [seconds 5..300]" >&2; exit 2; fi
[[ $(id -u) -eq 0 ]] || { echo "$NIC_ME: must run as root" >&2; exit 2; }
(( $(nproc) >= 2 )) || { echo "$NIC_ME: needs CPU0 and CPU1" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR source=nic-lib.sh
source "$(dirname "$0")/nic-lib.sh"

nic_ns A a; nic_ns B b
nic_veth va "$A" 02:00:00:00:0a:0a vb "$B" 02:00:00:00:0b:0b
nic_wait_up "$A" va; nic_wait_up "$B" vb

BOUND=$(( SECS + 60 ))
fail() { echo "fail $*"; echo "$NIC_ME: $CONT: $*" >&2; exit 1; }
case "$CONT" in
    trafgen)
        command -v trafgen >/dev/null || nic_die "trafgen not found (bench/peers/install.sh)"
        nic_start "$A" 0 "$BOUND" tx trafgen --dev va --conf "$(nic_trafgen_cfg)" --cpus 1 --no-cpu-stats --no-sock-mem --notouch-irq ;;
    pcap)
        [[ -f "$NIC_PCAPBENCH" ]] || fail "$NIC_PCAPBENCH missing (dotnet build Netmap.slnx -c Release)"
        nic_start "$A" 0 "$BOUND" tx dotnet "$NIC_PCAPBENCH" tx --dev va --frame "$NIC_FRAME_HEX" ;;
    dpdk-xdp)
        command -v dpdk-testpmd >/dev/null || nic_die "dpdk-testpmd not found (bench/peers/install.sh)"
        pfx="pnict$$"; NIC_DPDK_PFX+=("$pfx")
        nic_start "$A" 0 "$BOUND" tx stdbuf -oL dpdk-testpmd --lcores 0@0,1@0 --main-lcore 0 \
            --no-huge -m 512 --no-pci --log-level=lib.eal:notice --file-prefix "$pfx" \
            --vdev net_af_xdp0,iface=va,start_queue=0,queue_count=1 -- \
            --forward-mode=txonly --txpkts=60 "--eth-peer=0,$NIC_DST_MAC" --stats-period 1 --no-mlockall --total-num-mbufs=16384 ;;
    ours-*)
        port=netmap:va
        [[ "$CONT" == ours-afpacket ]] && port="netmap:va@conf:backend=afpacket"
        [[ -x "$NIC_REPO/bin/pkt-gen" ]] || fail "$NIC_REPO/bin/pkt-gen missing (dotnet build Netmap.slnx -c Release)"
        nic_netmapd "$A" - $(( BOUND + 30 ))
        nic_start "$A" 0 "$BOUND" tx "$NIC_REPO/bin/pkt-gen" -i "$port" -f tx -l 60 -S "$NIC_SRC_MAC" -D "$NIC_DST_MAC" -a 0 -w 1 ;;
esac
TX=$NIC_LAST

if ! nic_wait_traffic "$B" vb 1 40 "$TX"; then
    why=$(grep -m1 -iE 'E[A-Z]{3,}|error|fail|cannot|not supported|denied|usage' "$NIC_DIR/tx.log" "$NIC_DIR/tx.out" 2>/dev/null | sed 's/^[^:]*://' || true)
    nic_stop "$TX"
    fail "no frames reached vb${why:+: $why}"
fi
echo "$NIC_ME: $CONT: traffic flows; 2 s warm-up, then a $(( SECS - 2 )) s window" >&2
nic_nap 2
MEAS=$(nic_pids "$TX"); ND=$(nic_pids "${NIC_ND:-}"); OURS=$(nic_pids "${NIC_HOLDER[@]}")
W0=() W1=()
nic_mark W0 "$A:va $B:vb" "$MEAS" "$ND" "$OURS"
nic_nap $(( SECS - 2 ))
nic_mark W1 "$A:va $B:vb" "$MEAS" "$ND" "$OURS"
alive=1; kill -0 "$TX" 2>/dev/null || alive=0
nic_stop "$TX"
(( alive )) || fail "the sender exited during the window"

dt=$(awk -v a="${W0[0]}" -v b="${W1[0]}" 'BEGIN { print b - a }')
rx=$(( $(nic_f W1 1 1) - $(nic_f W0 1 1) ))
stx=$(( $(nic_f W1 0 3) - $(nic_f W0 0 3) ))
sdrop=$(( $(nic_f W1 0 4) - $(nic_f W0 0 4) ))
read -r u0 s0 <<<"$(nic_cpu_of W0)"; read -r u1 s1 <<<"$(nic_cpu_of W1)"
others=$(nic_others_pct W0 W1)
nic_contam_check "$CONT" "$others"
echo "tx_mpps $(nic_mpps "$rx" "$dt")"
echo "sender_mpps $(nic_mpps "$stx" "$dt")"
echo "tx_dropped $sdrop"
echo "user_ns_per_pkt $(nic_ns_per_pkt $(( u1 - u0 )) "$rx")"
echo "sys_ns_per_pkt $(nic_ns_per_pkt $(( s1 - s0 )) "$rx")"
echo "cpu_pct $(nic_pct $(( u1 - u0 + s1 - s0 )) "$dt")"
if [[ -n "${NIC_ND:-}" ]]; then
    read -r nu0 ns0 <<<"$(nic_nd_of W0)"; read -r nu1 ns1 <<<"$(nic_nd_of W1)"
    echo "netmapd_cpu_pct $(nic_pct $(( nu1 - nu0 + ns1 - ns0 )) "$dt")"
fi
echo "others_pct $others"
echo "$NIC_ME: $CONT: window ${dt} s: vb rx $rx, va tx $stx (dropped $sdrop), sender utime $(( u1 - u0 )) stime $(( s1 - s0 )) ticks" >&2

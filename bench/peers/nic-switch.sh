#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup functions run from traps
# bench/nic.sh VALE phase, one switch per invocation, between two veths. Topology (all namespaces made here):
#
#   ns A: a0 <-> ra --+
#                     switch (ns S): the Linux bridge br0, or VALE vale0 with ra and rb attached (netmapd in S)
#   ns B: b0 <-> rb --+
#
#   bridge   Linux bridge br0 (STP off), ra and rb enslaved                                  [peer S1, 1 -> 1]
#   vale     bin/vale-ctl -a vale0:ra, -a vale0:rb on a private bin/netmapd in ns S, pinned to CPU1
#
# The MAC table is primed from B: 3 frames from b0 with source 02:00:00:00:00:02; then trafgen (TX_RING, one
# worker on CPU0) sends NIC_FRAME_HEX (destination 02:00:00:00:00:02, learned unicast) on a0. Forwarded frames
# are counted with b0's rx_packets, offered with a0's tx_packets + tx_dropped.
# CPU budget: the Linux bridge runs in softirq on the sender's CPU (CPU0: trafgen pays generation + bridge +
# delivery); VALE forwards in netmapd on CPU1 (AF_XDP on ra and rb; the delivery to b0 runs on CPU1 too).
#
# Usage: nic-switch.sh bridge|vale [seconds=8]
# stdout (key value):
#   offered_mpps X       a0 tx per second, window          forwarded_mpps X   b0 rx per second, window
#   forwarded_ratio X    b0 rx / offered, whole run (1 s drain after trafgen stops); loss_pkts N
#   sender_cpu_pct X     trafgen's CPU (% of one CPU)       sender_ns_per_pkt X  its CPU per offered frame
#   netmapd_cpu_pct X    (vale) netmapd's CPU               netmapd_ns_per_pkt X its CPU per forwarded frame
#                        (netmapd_user_ns_per_pkt, netmapd_sys_ns_per_pkt: the split; sys includes the delivery
#                        to b0, which runs in softirq on netmapd's CPU)
#   learned yes|no|unknown   (bridge: the FDB had 02:00:00:00:00:02 on rb; vale: not observable)
#   others_pct X         contamination
#   skip REASON          (vale) the attach is not available: exit 3
#   fail REASON          the switch forwarded nothing: exit 1
set -euo pipefail
NIC_ME=nic-switch.sh
CONT=${1:-}
SECS=${2:-8}
case "$CONT" in bridge|vale) ;; *) echo "usage: $0 bridge|vale [seconds 5..300]" >&2; exit 2 ;; esac
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || (( SECS < 5 || SECS > 300 )); then echo "usage: $0 bridge|vale [seconds 5..300]" >&2; exit 2; fi
[[ $(id -u) -eq 0 ]] || { echo "$NIC_ME: must run as root" >&2; exit 2; }
(( $(nproc) >= 2 )) || { echo "$NIC_ME: needs CPU0 and CPU1" >&2; exit 2; }
command -v trafgen >/dev/null || { echo "$NIC_ME: trafgen not found (bench/peers/install.sh)" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR source=nic-lib.sh
source "$(dirname "$0")/nic-lib.sh"

nic_ns A a; nic_ns B b; nic_ns S s
nic_veth a0 "$A" 02:00:00:00:0a:00 ra "$S" 02:00:00:00:0a:01
nic_veth b0 "$B" 02:00:00:00:0b:00 rb "$S" 02:00:00:00:0b:01
fail() { echo "fail $*"; echo "$NIC_ME: $CONT: $*" >&2; exit 1; }

learned=unknown
if [[ "$CONT" == bridge ]]; then
    ip -n "$S" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n "$S" link set ra master br0
    ip -n "$S" link set rb master br0
    ip -n "$S" link set br0 up
else
    [[ -x "$NIC_REPO/bin/vale-ctl" ]] || fail "$NIC_REPO/bin/vale-ctl missing (dotnet build Netmap.slnx -c Release)"
    nic_netmapd "$S" 1 $(( SECS + 120 ))
    for p in ra rb; do
        if ! out=$(ip netns exec "$S" timeout 20 "$NIC_REPO/bin/vale-ctl" -a "vale0:$p" 2>&1); then
            echo "skip vale-ctl -a vale0:$p failed: $(head -n 1 <<<"$out")"
            echo "$NIC_ME: vale: skipped: vale-ctl -a vale0:$p: $out" >&2
            exit 3
        fi
    done
    ip netns exec "$S" "$NIC_REPO/bin/vale-ctl" 2>&1 | sed "s/^/$NIC_ME: vale-ctl: /" >&2 || true
fi
for d in a0:"$A" ra:"$S" b0:"$B" rb:"$S"; do nic_wait_up "${d#*:}" "${d%%:*}"; done

# Prime the MAC table: 3 frames from b0 with source NIC_DST_MAC, to ff:ff:ff:ff:ff:ff, ethertype 0x88b5.
printf '{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, %s, 0x88, 0xb5, fill(0x00, 46) }\n' \
    "$(sed 's/:/, 0x/g; s/^/0x/' <<<"$NIC_DST_MAC")" >"$NIC_DIR/prime.cfg"
ip netns exec "$B" timeout 10 trafgen --dev b0 --conf "$NIC_DIR/prime.cfg" --num 3 --cpus 1 --no-cpu-stats --no-sock-mem --notouch-irq \
    >"$NIC_DIR/prime.log" 2>&1 </dev/null || echo "$NIC_ME: WARNING: priming from b0 failed (tail: $(tail -n 1 "$NIC_DIR/prime.log"))" >&2
sleep 0.5
if [[ "$CONT" == bridge ]]; then
    if bridge -n "$S" fdb show br br0 2>/dev/null | grep -q "^$NIC_DST_MAC dev rb"; then learned=yes; else learned=no; fi
fi

# shellcheck disable=SC2034  # filled and read through namerefs (nic_mark, nic_f)
C0=() C1=() W0=() W1=()
DEVS="$A:a0 $S:ra $S:rb $B:b0"
nic_mark C0 "$DEVS" "" "" ""
nic_start "$A" 0 $(( SECS + 30 )) trafgen trafgen --dev a0 --conf "$(nic_trafgen_cfg)" --cpus 1 --no-cpu-stats --no-sock-mem --notouch-irq
TG=$NIC_LAST
if ! nic_wait_traffic "$A" a0 3 20 "$TG"; then nic_stop "$TG"; nic_die "trafgen sent nothing"; fi
echo "$NIC_ME: $CONT: traffic flows; 2 s warm-up, then a $(( SECS - 2 )) s window" >&2
nic_nap 2
MEAS=$(nic_pids "$TG"); ND=$(nic_pids "${NIC_ND:-}"); OURS=$(nic_pids "${NIC_HOLDER[@]}")
nic_mark W0 "$DEVS" "$MEAS" "$ND" "$OURS"
nic_nap $(( SECS - 2 ))
nic_mark W1 "$DEVS" "$MEAS" "$ND" "$OURS"
nic_stop "$TG"
nic_nap 1
nic_mark C1 "$DEVS" "" "" ""

dt=$(awk -v a="${W0[0]}" -v b="${W1[0]}" 'BEGIN { print b - a }')
off_w=$(( $(nic_f W1 0 3) + $(nic_f W1 0 4) - $(nic_f W0 0 3) - $(nic_f W0 0 4) ))
fwd_w=$(( $(nic_f W1 3 1) - $(nic_f W0 3 1) ))
offered=$(( $(nic_f C1 0 3) + $(nic_f C1 0 4) - $(nic_f C0 0 3) - $(nic_f C0 0 4) ))
fwd=$(( $(nic_f C1 3 1) - $(nic_f C0 3 1) ))
ra_rx=$(( $(nic_f C1 1 1) - $(nic_f C0 1 1) )); rb_tx=$(( $(nic_f C1 2 3) - $(nic_f C0 2 3) ))
read -r u0 s0 <<<"$(nic_cpu_of W0)"; read -r u1 s1 <<<"$(nic_cpu_of W1)"
read -r nu0 ns0 <<<"$(nic_nd_of W0)"; read -r nu1 ns1 <<<"$(nic_nd_of W1)"
others=$(nic_others_pct W0 W1)
nic_contam_check "$CONT" "$others"
echo "$NIC_ME: $CONT: run: a0 offered $offered, ra rx $ra_rx, rb tx $rb_tx, b0 rx $fwd; window ${dt} s: offered $off_w, forwarded $fwd_w" >&2
(( fwd > 0 )) || fail "nothing reached b0 (ra rx $ra_rx, rb tx $rb_tx)"
echo "offered_mpps $(nic_mpps "$off_w" "$dt")"
echo "forwarded_mpps $(nic_mpps "$fwd_w" "$dt")"
echo "forwarded_ratio $(awk -v f="$fwd" -v o="$offered" 'BEGIN { if (o <= 0) print "nan"; else printf "%.4f\n", f / o }')"
echo "loss_pkts $(( offered - fwd ))"
echo "sender_cpu_pct $(nic_pct $(( u1 - u0 + s1 - s0 )) "$dt")"
echo "sender_ns_per_pkt $(nic_ns_per_pkt $(( u1 - u0 + s1 - s0 )) "$off_w")"
if [[ "$CONT" == vale ]]; then
    echo "netmapd_cpu_pct $(nic_pct $(( nu1 - nu0 + ns1 - ns0 )) "$dt")"
    echo "netmapd_ns_per_pkt $(nic_ns_per_pkt $(( nu1 - nu0 + ns1 - ns0 )) "$fwd_w")"
    echo "netmapd_user_ns_per_pkt $(nic_ns_per_pkt $(( nu1 - nu0 )) "$fwd_w")"
    echo "netmapd_sys_ns_per_pkt $(nic_ns_per_pkt $(( ns1 - ns0 )) "$fwd_w")"
fi
echo "learned $learned"
echo "others_pct $others"

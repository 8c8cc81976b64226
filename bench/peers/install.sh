#!/usr/bin/env bash
# Install the packages the peer benchmarks need (Debian 12 bookworm, DPDK 22.11):
#   dpdk               DPDK runtime (EAL config, devbind/hugepages helpers)
#   dpdk-dev           ships /usr/bin/dpdk-testpmd (in bookworm the `dpdk` package alone does NOT)
#   librte-net-memif23 the net_memif PMD (also pulled in by dpdk-dev -> libdpdk-dev; listed explicitly)
#   librte-net-af-xdp23 the net_af_xdp PMD (nic-*.sh peer; also pulled in by dpdk-dev, listed explicitly)
#   gcc                builds uxpingpong.c
#   openvswitch-switch-dpdk  OVS 3.1 with the DPDK userspace datapath (ovs-memif.sh, VALE peer);
#                      pulls in openvswitch-switch/-common (ovsdb-server, ovs-vsctl, ovs-appctl).
#                      Its postinst would start the system OVS service on a systemd machine;
#                      our scripts never use it (private db and sockets under a mktemp dir).
#   netsniff-ng        trafgen, netsniff-ng (linux-bridge.sh, VALE broadcast peer; nic-*.sh sender and RX peer)
#   libpcap0.8         libpcap for SharpPcap (bench/PcapBench, the .NET baseline of bench/nic.sh)
#   iproute2 util-linux ethtool  ip netns / taskset / ethtool -K (normally present)
# Idempotent: installs only what is missing, runs `apt-get update` at most once,
# and only when apt has no candidate for a missing package. Must run as root.
set -euo pipefail

PKGS=(dpdk dpdk-dev librte-net-memif23 librte-net-af-xdp23 gcc openvswitch-switch-dpdk netsniff-ng libpcap0.8 iproute2 util-linux ethtool)

if [[ $(id -u) -ne 0 ]]; then
    echo "install.sh: must run as root" >&2
    exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install.sh: all present (${PKGS[*]})"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the lists only if apt cannot see a candidate for one of the missing packages.
need_update=0
for p in "${missing[@]}"; do
    cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z "$cand" || "$cand" == "(none)" ]]; then need_update=1; fi
done
if [[ $need_update -eq 1 ]]; then
    apt-get update -qq
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2> >(grep -v "apt-utils is not installed" >&2)
echo "install.sh: installed ${missing[*]}"
for b in dpdk-testpmd trafgen netsniff-ng ethtool ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk; do
    command -v "$b" >/dev/null || { echo "install.sh: $b not found after install" >&2; exit 1; }
done

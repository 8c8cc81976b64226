#!/usr/bin/env bash
# C programs under bin/netmap-run vs the C# tools, same machine, same run, interleaved A/B/A/B:
#   1. throughput, 60-byte frames, two processes: our minimal C pair (native/interposer/tests/nm-pkt.c: tx -> rx,
#      poll-driven, bursts of 512) vs bin/pkt-gen -f tx -> bin/pkt-gen -f rx, on a netmap pipe and on VALE
#   2. latency: the C pair's poll()-driven ping/pong vs pkt-gen -f ping/pong, through a pipe
# Usage: bench/interposer.sh [runs=3] [seconds=8]      (builds Release; CPU 0 sender, CPU 1 receiver)
# NMI_BENCH_PKTGEN=/path/to/pkt-gen (netmap's own, built from its sources) adds that pair on the pipe under netmap-run.
# Prints per-run figures on stderr and medians on stdout. Targets: C / C# >= 0.9 (Mpps), C RTT <= 1.2 x C# RTT.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; secs="${2:-8}"
source bench/peers/idle.sh
dotnet build -c Release Netmap.slnx -nologo -v quiet >/dev/null || { echo "build failed" >&2; exit 1; }
out="${TMPDIR:-/tmp}/nmi-bench-$$"
make -s -C native/interposer tests OUT="$out" || { echo "make failed" >&2; exit 1; }
nmpkt="$out/tests/nm-pkt"
export NETMAP_SOCKET="${TMPDIR:-/tmp}/netmap-ibench-$$.sock"
cleanup() {
  for pid in $(pgrep -f -- "--socket $NETMAP_SOCKET"); do kill "$pid" 2>/dev/null; done
  rm -rf "$NETMAP_SOCKET" "$out"
}
trap cleanup EXIT
bin/netmapd --socket "$NETMAP_SOCKET" --detach >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
interior() { awk '{a[NR]=$1} END {for (i=2;i<NR;i++) print a[i]}'; }
pktgen_mpps() {
  awk '/main_thread/ { for (i=1;i<=NF;i++) if ($i ~ /pps$/) { v=$(i-1); u=$i;
        m = (u ~ /^Gpps/) ? 1000 : (u ~ /^Mpps/) ? 1 : (u ~ /^Kpps/) ? 0.001 : 0.000001; if (v*m > 0) print v*m; break } }' "$1" | interior | median
}
c_mpps() { awk '/^rate/ {print $2}' "$1" | interior | median; }

c_pair() { # $1 rx port, $2 tx port
  local log; log=$(mktemp)
  taskset -c 1 bin/netmap-run "$nmpkt" rx "$1" "$secs" >"$log" 2>&1 &
  local rx=$!
  sleep 1
  taskset -c 0 bin/netmap-run "$nmpkt" tx "$2" "$secs" >/dev/null 2>&1
  wait "$rx"
  c_mpps "$log"; rm -f "$log"
}

cs_pair() {
  local log; log=$(mktemp)
  timeout -s INT $((secs + 3)) bin/pkt-gen -i "$1" -f rx -a 1 2>"$log" >/dev/null &
  local rx=$!
  sleep 1
  timeout -s INT "$secs" bin/pkt-gen -i "$2" -f tx -a 0 -w 0 >/dev/null 2>&1
  wait "$rx"
  pktgen_mpps "$log"; rm -f "$log"
}

c_ping() {
  local log; log=$(mktemp)
  taskset -c 1 bin/netmap-run "$nmpkt" pong "$1}1" $((secs + 2)) >/dev/null 2>&1 &
  local pong=$!
  sleep 1
  taskset -c 0 bin/netmap-run "$nmpkt" ping "$1{1" "$secs" >"$log" 2>&1
  wait "$pong"
  awk '/^rtt avg/ {print $3/1000}' "$log" | interior | median; rm -f "$log"
}

cs_ping() {
  local log; log=$(mktemp)
  timeout -s INT $((secs + 3)) bin/pkt-gen -i "netmap:$1}1" -f pong -a 1 >/dev/null 2>&1 &
  local pong=$!
  sleep 1
  timeout -s INT "$secs" bin/pkt-gen -i "netmap:$1{1" -f ping -a 0 -w 0 >"$log" 2>&1
  kill -INT "$pong" 2>/dev/null; wait "$pong" 2>/dev/null
  grep -o 'av [0-9.]* ns' "$log" | awk '{print $2/1000}' | interior | median; rm -f "$log"
}

realpg="${NMI_BENCH_PKTGEN:-}"
real_pair() {
  local log; log=$(mktemp)
  timeout -s INT $((secs + 3)) taskset -c 1 bin/netmap-run "$realpg" -i "$1" -f rx 2>"$log" >/dev/null &
  local rx=$!
  sleep 1
  timeout -s INT "$secs" taskset -c 0 bin/netmap-run "$realpg" -i "$2" -f tx -w 0 >/dev/null 2>&1
  wait "$rx"
  pktgen_mpps "$log"; rm -f "$log"
}

declare -a cp csp cv csv cr csr rp
for r in $(seq 1 "$runs"); do
  peers_idle_check "interposer run $r"
  a=$(c_pair "cp$r}1" "cp$r{1");                 b=$(cs_pair "netmap:sp$r}1" "netmap:sp$r{1")
  c=$(c_pair "valec$r:b" "valec$r:a");           d=$(cs_pair "vales$r:b" "vales$r:a")
  e=$(c_ping "cq$r");                            f=$(cs_ping "sq$r")
  g=""; [ -n "$realpg" ] && g=$(real_pair "netmap:rp$r}1" "netmap:rp$r{1")
  echo "run $r: pipe C ${a} / C# ${b} Mpps | VALE C ${c} / C# ${d} Mpps | ping-pong RTT C ${e} / C# ${f} us${g:+ | netmap pkt-gen pipe $g Mpps}" >&2
  cp+=("$a"); csp+=("$b"); cv+=("$c"); csv+=("$d"); cr+=("$e"); csr+=("$f"); [ -n "$g" ] && rp+=("$g")
done
m() { printf '%s\n' "$@" | median; }
pc=$(m "${cp[@]}"); ps=$(m "${csp[@]}"); vc=$(m "${cv[@]}"); vs=$(m "${csv[@]}"); rc=$(m "${cr[@]}"); rs=$(m "${csr[@]}")
echo "pipe_c_mpps_median $pc (runs: ${cp[*]})"
echo "pipe_csharp_mpps_median $ps (runs: ${csp[*]})"
awk -v a="$pc" -v b="$ps" 'BEGIN { if (b > 0) printf "pipe_c_over_csharp %.2f\n", a/b }'
echo "vale_c_mpps_median $vc (runs: ${cv[*]})"
echo "vale_csharp_mpps_median $vs (runs: ${csv[*]})"
awk -v a="$vc" -v b="$vs" 'BEGIN { if (b > 0) printf "vale_c_over_csharp %.2f\n", a/b }'
echo "pingpong_c_rtt_us_median $rc (runs: ${cr[*]})"
echo "pingpong_csharp_rtt_us_median $rs (runs: ${csr[*]})"
awk -v a="$rc" -v b="$rs" 'BEGIN { if (b > 0) printf "pingpong_c_over_csharp %.2f\n", a/b }'
[ ${#rp[@]} -gt 0 ] && echo "pipe_netmap_pktgen_mpps_median $(m "${rp[@]}") (runs: ${rp[*]})"
echo "load after the run: $(top -bn1 | awk 'NR==3')"

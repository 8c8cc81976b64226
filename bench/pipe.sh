#!/usr/bin/env bash
# Pipe benchmarks of issue "netmap core", each interleaved with its peer in the same run:
#   1. throughput: pkt-gen -f tx -> netmap pipe -> pkt-gen -f rx (two processes, 60-byte frames) vs DPDK memif
#   2. latency: pkt-gen ping/pong through a pipe, blocking and --busy, vs an AF_UNIX socketpair ping-pong
# Usage: bench/pipe.sh [runs=3] [seconds=10]     (root; installs the peers with bench/peers/install.sh)
# Prints per-run figures on stderr and a summary with medians on stdout.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; secs="${2:-10}"
bash bench/peers/install.sh >&2
dotnet build -c Release Netmap.slnx -nologo -v quiet >/dev/null || { echo "build failed" >&2; exit 1; }
export NETMAP_SOCKET="${TMPDIR:-/tmp}/netmap-bench-$$.sock"
cleanup() { pkill -f -- "--socket $NETMAP_SOCKET" 2>/dev/null; rm -f "$NETMAP_SOCKET"; }
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# Median of the per-second rate lines of a pkt-gen log, first and last dropped, in Mpps.
rate_mpps() {
  awk '/main_thread/ { for (i=1;i<=NF;i++) if ($i ~ /pps$/) { v=$(i-1); u=$i;
        m = (u ~ /^Gpps/) ? 1000 : (u ~ /^Mpps/) ? 1 : (u ~ /^Kpps/) ? 0.001 : 0.000001; if (v*m > 0) print v*m; break } }' "$1" \
    | awk '{a[NR]=$1} END {for (i=2;i<NR;i++) print a[i]}' | median
}

pipe_run() {
  local log; log=$(mktemp)
  timeout -s INT $((secs + 3)) bin/pkt-gen -i "netmap:bench$1}1" -f rx -a 1 2>"$log" >/dev/null &
  local rx=$!
  sleep 1
  timeout -s INT "$secs" bin/pkt-gen -i "netmap:bench$1{1" -f tx -a 0 -w 0 >/dev/null 2>&1
  wait "$rx"
  rate_mpps "$log"; rm -f "$log"
}

pingpong_run() { # $1 = id, $2 = extra flags
  local log; log=$(mktemp)
  timeout -s INT $((secs + 3)) bin/pkt-gen -i "netmap:pp$1}1" -f pong -a 1 $2 >/dev/null 2>&1 &
  local pong=$!
  sleep 1
  timeout -s INT "$secs" bin/pkt-gen -i "netmap:pp$1{1" -f ping -a 0 -w 0 $2 >"$log" 2>&1
  kill -INT "$pong" 2>/dev/null; wait "$pong" 2>/dev/null
  # last "RTT: min X av Y ns" line -> microseconds
  grep -o 'av [0-9.]* ns' "$log" | tail -1 | awk '{printf "%.2f\n", $2/1000}'
  rm -f "$log"
}

declare -a memif pipe pblock pbusy sock
for r in $(seq 1 "$runs"); do
  m=$(bash bench/peers/memif.sh "$((secs + 2))" 2>/dev/null | awk '/^memif_rx_mpps/ {print $2}')
  p=$(pipe_run "$r")
  s=$(bash bench/peers/uxpingpong.sh "$secs" pingpong 2>/dev/null | awk '/^socketpair_rtt_us/ {print $2}')
  b=$(pingpong_run "b$r" "")
  y=$(pingpong_run "y$r" "--busy")
  echo "run $r: memif ${m} Mpps | netmap pipe ${p} Mpps | socketpair RTT ${s} us | pipe ping blocking ${b} us | pipe ping busy ${y} us" >&2
  memif+=("$m"); pipe+=("$p"); sock+=("$s"); pblock+=("$b"); pbusy+=("$y")
done
mm=$(printf '%s\n' "${memif[@]}" | median); pm=$(printf '%s\n' "${pipe[@]}" | median)
echo "pipe_tx_rx_mpps_median $pm (runs: ${pipe[*]})"
echo "memif_tx_rx_mpps_median $mm (runs: ${memif[*]})"
awk -v p="$pm" -v m="$mm" 'BEGIN { if (m > 0) printf "pipe_over_memif %.2f\n", p/m }'
echo "pipe_pingpong_blocking_rtt_us_median $(printf '%s\n' "${pblock[@]}" | median) (runs: ${pblock[*]})"
echo "pipe_pingpong_busy_rtt_us_median $(printf '%s\n' "${pbusy[@]}" | median) (runs: ${pbusy[*]})"
echo "socketpair_pingpong_rtt_us_median $(printf '%s\n' "${sock[@]}" | median) (runs: ${sock[*]})"

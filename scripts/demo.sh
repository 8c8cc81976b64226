#!/usr/bin/env bash
# Builds everything (tools land in bin/) and runs the main demo: pkt-gen -f tx into one end of a netmap pipe
# in one process, pkt-gen -f rx on the other end in another, each printing netmap's rate lines.
# Usage: scripts/demo.sh [packets]   (default 200000000, about ten seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-200000000}"
if ! command -v dotnet >/dev/null; then
  echo "demo: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1
fi
dotnet build -c Release Netmap.slnx -v quiet -nologo | grep -E "error|Warn|Elapsed" || true
[ -x bin/pkt-gen ] && [ -x bin/netmapd ] || { echo "demo: build did not produce bin/pkt-gen and bin/netmapd" >&2; exit 1; }

# A private netmapd for the demo: pkt-gen starts it on first use (NETMAP_SOCKET picks its socket).
export NETMAP_SOCKET="${TMPDIR:-/tmp}/netmap-demo-$$.sock"
cleanup() {
  [ -n "${rx:-}" ] && kill -INT "$rx" 2>/dev/null || true
  pkill -f -- "--socket $NETMAP_SOCKET" 2>/dev/null || true
  rm -f "$NETMAP_SOCKET"
}
trap cleanup EXIT

echo "== pkt-gen -f rx on netmap:demo}1 (cpu 1), pkt-gen -f tx on netmap:demo{1 (cpu 0), $count packets of 60 bytes"
bin/pkt-gen -i netmap:demo}1 -f rx -n "$count" -a 1 &
rx=$!
sleep 1
bin/pkt-gen -i netmap:demo{1 -f tx -n "$count" -a 0
wait "$rx"; rx=""

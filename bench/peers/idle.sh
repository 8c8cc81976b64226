# Sourced by the peer scripts (not executable on its own).
# peers_idle_check: measure whole-machine CPU busy % over 1 s (/proc/stat) before a
# run and warn on stderr if other work is running: these peers use both vCPUs, so
# any concurrent build or test skews them badly (memif drops from ~20 to ~2 Mpps).
# PEERS_WAIT_IDLE=N (default 0): wait up to N seconds for an idle 1 s window first.
# PEERS_BUSY_PCT (default 10): threshold in percent.

_peers_busy_pct() {
    local a b
    a=($(grep '^cpu ' /proc/stat))
    sleep 1
    b=($(grep '^cpu ' /proc/stat))
    # fields: user nice system idle iowait irq softirq steal ...
    local tot=0 i
    for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
    local idle=$(( (b[4] - a[4]) + (b[5] - a[5]) ))
    (( tot > 0 )) || { echo 0; return; }
    echo $(( (100 * (tot - idle)) / tot ))
}

peers_idle_check() {
    local who=$1 limit=${PEERS_BUSY_PCT:-10} wait=${PEERS_WAIT_IDLE:-0} busy start=$SECONDS
    busy=$(_peers_busy_pct)
    while (( busy > limit && SECONDS - start < wait )); do
        busy=$(_peers_busy_pct)
    done
    if (( busy > limit )); then
        echo "$who: WARNING: machine ${busy}% busy before the run (other processes); results will be low/noisy" >&2
    else
        echo "$who: machine ${busy}% busy before the run" >&2
    fi
}

# peers_cpu_mark / peers_cpu_report WHO: bracket a run to detect CPU used by other
# processes *during* it. "Others" = all non-idle CPU time on the machine (/proc/stat)
# minus the CPU time of this shell's waited-for children (bash `times`, which
# includes the benchmark processes under `timeout`). Reports steal time as well.
_peers_children_cs() {   # sets _PEERS_CS = children user+sys in centiseconds
    # `times` must run in this shell (not in $(...), a subshell has other children).
    local f line u s
    f=$(mktemp)
    times >"$f"
    line=$(sed -n 2p "$f")              # e.g. "0m23.028s 0m0.308s"
    rm -f "$f"
    u=${line%% *}; s=${line##* }
    _PEERS_CS=$(awk -v u="$u" -v s="$s" 'function cs(x,  m) { m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x); return int((m * 60 + x) * 100 + 0.5) }
        BEGIN { print cs(u) + cs(s) }')
}
_peers_stat() {          # "<busy jiffies> <steal jiffies> <total jiffies>"
    awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, $9, t }' /proc/stat
}
peers_cpu_mark() {
    _PEERS_MARK_STAT=$(_peers_stat)
    _peers_children_cs
    _PEERS_MARK_CHILD=$_PEERS_CS
}
peers_cpu_report() {
    local who=$1 hz b0 s0 t0 b1 s1 t1 c1 other_pct steal_pct
    hz=$(getconf CLK_TCK)
    read -r b0 s0 t0 <<<"$_PEERS_MARK_STAT"
    read -r b1 s1 t1 <<<"$(_peers_stat)"
    _peers_children_cs
    c1=$_PEERS_CS
    (( t1 > t0 )) || return 0
    # jiffies -> centiseconds: * 100 / hz
    other_pct=$(( (100 * ((b1 - b0) * 100 / hz - (c1 - _PEERS_MARK_CHILD)) * hz / 100) / (t1 - t0) ))
    (( other_pct < 0 )) && other_pct=0
    steal_pct=$(( 100 * (s1 - s0) / (t1 - t0) ))
    if (( other_pct > ${PEERS_BUSY_PCT:-10} )); then
        echo "$who: WARNING: other processes used ${other_pct}% of the machine's CPU during the run (steal ${steal_pct}%); result is contaminated, rerun" >&2
    else
        echo "$who: CPU used by other processes during the run: ${other_pct}% (steal ${steal_pct}%)" >&2
    fi
}

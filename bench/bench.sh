#!/bin/sh
# wirestack against the Linux kernel, in one run ("sudo make bench").
#
# Namespaces (addresses in 198.18.0.0/15 only; offloads off everywhere):
#
#   A (hosts)                          L (the Linux peer)
#   lx0 198.18.1.2/24  ---- veth ----  lx1 198.18.1.1/24   Linux <-> Linux
#   ws0 (no address;   ---- veth ----  wl1 198.18.2.1/24   wirestack <-> Linux
#        wirestack 198.18.2.2)
#   ik0 198.18.3.2/24  -- M: impair -- ik1 198.18.3.1/24   the same two,
#   iw0 (wirestack     -- M: impair -- iw1 198.18.4.1/24   through a middle
#        198.18.4.2)                                        namespace M
#
# The stock iperf3 always runs at the Linux end (in L).  Every figure is
# measured REPS times, the Linux and wirestack runs alternating (A/B), so
# background load hits both alike; the table gives medians, min-max, and
# wirestack's median as a ratio to Linux's.
#
# Knobs: WS_BENCH_REPS (3), WS_BENCH_TIME (bulk seconds, 10),
# WS_BENCH_IMPAIR_TIME (8), WS_BENCH_RR_TIME (5), WS_BENCH_CONNS (10000),
# WS_BENCH_MTUS ("1500 9000"), WS_BENCH_OUT (results file).
set -u

WS_BUILDDIR=${WS_BUILDDIR:-$(pwd)}
WS_SRCDIR=${WS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
REPS=${WS_BENCH_REPS:-3}
T=${WS_BENCH_TIME:-10}
TI=${WS_BENCH_IMPAIR_TIME:-8}
RT=${WS_BENCH_RR_TIME:-5}
NCONN=${WS_BENCH_CONNS:-10000}
MTUS=${WS_BENCH_MTUS:-1500 9000}
OUT=${WS_BENCH_OUT:-$WS_BUILDDIR/bench/results.md}
IPERF=$WS_BUILDDIR/iperf
SERVER=$WS_BUILDDIR/server
IMPAIR=$WS_BUILDDIR/impair
WSLOAD=$WS_BUILDDIR/bench/wsload
P="wsb$$"
NSS="A L M"
BG=""

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets): sudo make bench"
for t in ip ethtool iperf3 python3 timeout; do
	command -v $t >/dev/null 2>&1 || die "needs $t (see README: Performance)"
done
for b in "$IPERF" "$SERVER" "$IMPAIR" "$WSLOAD"; do
	[ -x "$b" ] || die "missing $b (run make first)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirestack-bench.XXXXXX") || die mktemp
RAW=$TMP/raw

cleanup() {
	trap - EXIT INT TERM
	for pid in $BG; do kill -TERM "$pid" 2>/dev/null; done
	sleep 0.3
	for pid in $BG; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	for n in $NSS; do
		ip netns pids "$P$n" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$P$n" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'say interrupted; exit 1' INT TERM

ns() { _n=$1; shift; ip netns exec "$P$_n" "$@"; }

# bg VAR LOG NS CMD...: start in the background, remember the pid.
bg() {
	_v=$1 _l=$2 _n=$3
	shift 3
	ip netns exec "$P$_n" "$@" >"$_l" 2>&1 </dev/null &
	eval "$_v=$!"
	BG="$BG $!"
}

# waitfor LOG PATTERN: up to 10 s.
waitfor() {
	_i=0
	until grep -Eq "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && { cat "$1" >&2; die "timed out waiting for '$2'"; }
		sleep 0.1
	done
}

stopbg() {
	kill -TERM "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# link NS_A IF_A NS_B IF_B: a veth, offloads off, up.
link() {
	ip link add "${P}x" type veth peer name "${P}y" || die "veth"
	ip link set "${P}x" netns "$P$1" name "$2" || die "veth $2"
	ip link set "${P}y" netns "$P$3" name "$4" || die "veth $4"
	for e in "$1 $2" "$3 $4"; do
		set -- $e
		ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
			die "ethtool -K $2"
		ns "$1" ethtool -K "$2" rx off >/dev/null 2>&1
		ip -n "$P$1" link set "$2" up
	done
}

setup() {
	for n in $NSS; do
		ip netns add "$P$n" || die "ip netns add"
		ip -n "$P$n" link set lo up
	done
	link A lx0 L lx1
	link A ws0 L wl1
	link A ik0 M m1a
	link M m1b L ik1
	link A iw0 M m2a
	link M m2b L iw1
	ip -n "${P}A" addr add 198.18.1.2/24 dev lx0
	ip -n "${P}L" addr add 198.18.1.1/24 dev lx1
	ip -n "${P}L" addr add 198.18.2.1/24 dev wl1
	ip -n "${P}A" addr add 198.18.3.2/24 dev ik0
	ip -n "${P}L" addr add 198.18.3.1/24 dev ik1
	ip -n "${P}L" addr add 198.18.4.1/24 dev iw1
	for n in A L; do
		# crr opens ~100k connections: reuse TIME_WAIT ports.
		ns $n sysctl -qw net.ipv4.tcp_tw_reuse=1
		ns $n sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
	done
	ulimit -n 65536 2>/dev/null || ulimit -n 32768 2>/dev/null
}

set_mtu() {
	for e in "A lx0" "L lx1" "A ws0" "L wl1"; do
		set -- $e
		ip -n "$P$1" link set "$2" mtu "$MTU" || die "mtu $MTU"
	done
}

rec() { echo "$*" >>"$RAW"; }

# iperf_run KEY FILE ARGS...: run the stock iperf3 client in L (JSON),
# record goodput and the CPU cost at both ends.
iperf_run() {
	_key=$1 _f=$2
	shift 2
	if ! ns L timeout $((T + TI + 30)) iperf3 -J $CC "$@" >"$_f" 2>&1; then
		say "iperf3 $* failed (recorded as 0):"
		head -c 600 "$_f" >&2
		rec "$_key.bps 0"
		return 0
	fi
	python3 - "$_f" "$_key" >>"$RAW" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
k = sys.argv[2]
e = j["end"]
r = e["sum_received"]
secs = r["seconds"] or 1e-9
gb = r["bytes"] / 1e9 or 1e-9
cpu = e["cpu_utilization_percent"]
# host: the iperf3 client in L; remote: the server in A.
print("%s.bps %.6g" % (k, r["bits_per_second"]))
print("%s.cpu_l %.6g" % (k, cpu["host_total"] / 100.0 * secs / gb))
print("%s.cpu_a %.6g" % (k, cpu["remote_total"] / 100.0 * secs / gb))
EOF
}

rr_run() {
	_key=$1
	shift
	_o=$(ns L timeout $((RT + 20)) "$WSLOAD" "$@") || { say "wsload $* failed"; _o=""; }
	set -- $(echo "$_o" | tr '=' ' ')
	[ $# -ge 8 ] || { rec "$_key.tps 0"; return 0; }
	rec "$_key.tps $2"
	rec "$_key.p50 $4"
	rec "$_key.p99 $6"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

# hold_run KEY SERVER_PID ADDR PORT LINUX: NCONN connections held open;
# bytes per connection from the server's RSS (and, for Linux, the kernel's
# slab, halved: both ends' sockets live in this one kernel).
hold_run() {
	_key=$1 _spid=$2 _addr=$3 _port=$4 _lx=$5
	sleep 0.5
	_r0=$(rss_kb "$_spid") _s0=$(slab_kb)
	bg HOLD "$TMP/hold.log" L "$WSLOAD" hold "$_addr" "$_port" "$NCONN"
	_i=0
	until grep -q "^established" "$TMP/hold.log" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt 1200 ] || ! kill -0 "$HOLD" 2>/dev/null; then
			say "hold: $(cat "$TMP/hold.log")"
			stopbg "$HOLD"
			rec "$_key.bpc 0"
			return 0
		fi
		sleep 0.1
	done
	sleep 0.5
	_r1=$(rss_kb "$_spid") _s1=$(slab_kb)
	if [ "$_lx" = 1 ]; then
		rec "$_key.bpc $(( ((_r1 - _r0) + (_s1 - _s0) / 2) * 1024 / NCONN ))"
	else
		rec "$_key.bpc $(( (_r1 - _r0) * 1024 / NCONN ))"
	fi
	rec "$_key.setup_s $(awk '{ print $4 }' "$TMP/hold.log")"
	stopbg "$HOLD"
}

machine() {
	printf '%s, %s CPUs, %s MB RAM, Linux %s' \
	    "$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	    "$(nproc)" "$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" \
	    "$(uname -r)"
}

# wirestack implements CUBIC (RFC 9438): every Linux TCP sender in the
# iperf3 runs uses CUBIC too (iperf3 -C sets TCP_CONGESTION at both ends),
# whatever the host's default is.  The default is often BBR, which ignores
# random loss: ~570 Mbit/s at 1 % loss and 20 ms RTT, where CUBIC (and the
# Mathis formula) give ~7.  A netns cannot make cubic its default unless
# the host allows it (tcp_allowed_congestion_control), hence -C.
CC=""
HAVE_BBR=0
if grep -qw cubic /proc/sys/net/ipv4/tcp_available_congestion_control 2>/dev/null; then
	CC="-C cubic"
else
	say "no cubic congestion control in this kernel: Linux uses its default"
fi
grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control 2>/dev/null &&
	HAVE_BBR=1

START=$(date +%s)
setup
say "namespaces up; machine: $(machine)"

for MTU in $MTUS; do
	set_mtu
	bg WSI "$TMP/wsiperf.log" A "$IPERF" -s -i ws0 --ip 198.18.2.2/24 --interval 0
	bg LXI "$TMP/lxiperf.log" A iperf3 -s --forceflush
	waitfor "$TMP/wsiperf.log" "Server listening"
	waitfor "$TMP/lxiperf.log" "Server listening"
	ns L ping -c 1 -W 2 198.18.2.2 >/dev/null 2>&1 || say "no ping reply from wirestack"
	for rep in $(seq "$REPS"); do
		say "MTU $MTU bulk, repetition $rep/$REPS"
		iperf_run "bulk$MTU.lx" "$TMP/j" -c 198.18.1.2 -t "$T"
		iperf_run "bulk$MTU.wsrx" "$TMP/j" -c 198.18.2.2 -t "$T"
		iperf_run "bulk$MTU.lxrev" "$TMP/j" -c 198.18.1.2 -t "$T" -R
		iperf_run "bulk$MTU.wstx" "$TMP/j" -c 198.18.2.2 -t "$T" -R
	done
	stopbg "$WSI"
	stopbg "$LXI"
done
MTU=1500
set_mtu

# Request/response and connection rate: wsload (Linux) as the client,
# wsload echo (Linux) or wirestack's server --echo as the server.
bg LXE "$TMP/lxecho.log" A "$WSLOAD" echo 7000
bg WSE "$TMP/wsecho.log" A "$SERVER" -i ws0 --ip 198.18.2.2/24 -p 7000 --echo
waitfor "$TMP/lxecho.log" "listening"
waitfor "$TMP/wsecho.log" "listening"
for rep in $(seq "$REPS"); do
	say "request/response and connection rate, repetition $rep/$REPS"
	rr_run rr.lx rr 198.18.1.2 7000 "$RT"
	rr_run rr.ws rr 198.18.2.2 7000 "$RT"
	rr_run crr.lx crr 198.18.1.2 7000 "$RT"
	rr_run crr.ws crr 198.18.2.2 7000 "$RT"
done
stopbg "$LXE"
stopbg "$WSE"

# Scale: NCONN established connections held by one server process.
for rep in $(seq "$REPS"); do
	say "$NCONN connections, repetition $rep/$REPS"
	bg LXE "$TMP/lxecho.log" A "$WSLOAD" echo 7001
	waitfor "$TMP/lxecho.log" "listening"
	hold_run scale.lx "$LXE" 198.18.1.2 7001 1
	stopbg "$LXE"
	bg WSE "$TMP/wsecho.log" A "$SERVER" -i ws0 --ip 198.18.2.2/24 -p 7001 --echo
	waitfor "$TMP/wsecho.log" "listening"
	hold_run scale.ws "$WSE" 198.18.2.2 7001 0
	stopbg "$WSE"
	sleep 1
done

# Goodput through impair: 10 ms each way, random loss; the host in A sends.
bg WSI "$TMP/wsiperf2.log" A "$IPERF" -s -i iw0 --ip 198.18.4.2/24 --interval 0
bg LXI "$TMP/lxiperf2.log" A iperf3 -s --forceflush
waitfor "$TMP/wsiperf2.log" "Server listening"
waitfor "$TMP/lxiperf2.log" "Server listening"
for loss in 0.1 1 5; do
	bg IM1 "$TMP/impair1.log" M "$IMPAIR" --delay 10 --loss "$loss" --seed 1 m1a m1b
	bg IM2 "$TMP/impair2.log" M "$IMPAIR" --delay 10 --loss "$loss" --seed 2 m2a m2b
	waitfor "$TMP/impair1.log" "bridging"
	waitfor "$TMP/impair2.log" "bridging"
	for rep in $(seq "$REPS"); do
		say "goodput, 10 ms, loss $loss %, repetition $rep/$REPS"
		iperf_run "loss$loss.lx" "$TMP/j" -c 198.18.3.2 -t "$TI" -R
		iperf_run "loss$loss.ws" "$TMP/j" -c 198.18.4.2 -t "$TI" -R
		# For reference only: Linux's BBR on the same path.
		[ "$loss" = 1 ] && [ "$HAVE_BBR" = 1 ] &&
			iperf_run "loss$loss.bbr" "$TMP/j" -c 198.18.3.2 -t "$TI" -R -C bbr
	done
	stopbg "$IM1"
	stopbg "$IM2"
done
stopbg "$WSI"
stopbg "$LXI"

END=$(date +%s)
mkdir -p "$(dirname "$OUT")"
python3 "$WS_SRCDIR/bench/report.py" "$RAW" "$REPS" "$NCONN" "$(machine)" \
    "$((END - START))" "$T" "$TI" "$RT" "$MTUS" >"$OUT" || die "report failed"
cat "$OUT"
say "written to $OUT ($((END - START)) s)"

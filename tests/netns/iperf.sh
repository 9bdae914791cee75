#!/bin/sh
# wirestack-iperf against the stock iperf3, both roles:
#  1. iperf3 -c (Linux) against "iperf -s" (wirestack): -t 2, -R, -P 2;
#  2. "iperf -c" (wirestack) against iperf3 -s (Linux): -t 2, -R, -P 2.
#  3. "iperf -c" (wirestack) against iperf3 -s through "impair" bridging
#     two more namespaces (--delay 1 --loss 0.5).
# Each run must exit 0 and the stock iperf3 must report a throughput
# above zero for both its sender and receiver lines.  Started as root,
# the wirestack iperf (both roles) and impair run as nobody once their
# devices are open, with no capabilities and (outside sanitizer builds)
# the seccomp filter, checked in /proc/PID/status while they work.
. "$(dirname "$0")/lib.sh"
require_root ethtool iperf3
IPERF=$WS_BUILDDIR/iperf
IMPAIR=$WS_BUILDDIR/impair
[ -x "$IPERF" ] && [ -x "$IMPAIR" ] ||
	hard_error "no ./iperf or ./impair in $WS_BUILDDIR (build first)"
NOBODY_UID=$(id -u nobody 2>/dev/null) || skip "no user nobody"

ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.22.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.22.2

# rate_of LOG ROLE: the bits/s iperf3 printed on its final ROLE line
# (the [SUM] line when there is one), as a plain number.
rate_of() {
	awk -v role="$2" '
	$NF == role {
		for (i = 1; i <= NF; i++)
			if ($i ~ /bits\/sec$/) {
				v = $(i - 1); u = $i
				m = u ~ /^G/ ? 1e9 : u ~ /^M/ ? 1e6 : u ~ /^K/ ? 1e3 : 1
				r = v * m
			}
	}
	END { printf "%.0f\n", r + 0 }' "$1"
}

check_rates() {
	for role in sender receiver; do
		r=$(rate_of "$1" $role)
		[ "${r:-0}" -gt 0 ] || { cat "$1"; fail "$2: iperf3 reports no $role throughput"; }
	done
	say "$2: sender $(rate_of "$1" sender) bit/s, receiver $(rate_of "$1" receiver) bit/s"
}

# 1. Stock iperf3 client against wirestack's server (it serves every test).
spawn SV "$TMP/server.log" a "$IPERF" -s -i wsa0 --ip $WS_IP/24 -v
wait_log "$TMP/server.log" "Server listening on" 10 "$SV"
check_dropped "$SV" "$TMP/server.log" "$NOBODY_UID"
say "iperf -s: runs as nobody, $(grep -o 'seccomp filter [a-z]*' "$TMP/server.log")"
n=0
for args in "-t 2" "-t 2 -R" "-t 2 -P 2" "-t 2 -R -P 2"; do
	n=$((n + 1))
	timeout 30 ip netns exec "${NS_PREFIX}b" iperf3 -c $WS_IP $args \
	    >"$TMP/c$n.log" 2>&1 ||
		{ cat "$TMP/c$n.log"; tail -20 "$TMP/server.log"; fail "iperf3 -c $args failed"; }
	check_rates "$TMP/c$n.log" "iperf3 -c $args -> wirestack"
done
stop "$SV" || { tail -20 "$TMP/server.log"; fail "wirestack iperf server exit status $?"; }

# 2. wirestack's client against the stock iperf3 server.
for args in "-t 2" "-t 2 -R" "-t 2 -P 2" "-t 2 -R -P 2"; do
	n=$((n + 1))
	spawn LS "$TMP/s$n.log" b iperf3 -s -1
	wait_tcp_listen b 5201 "iperf3 -s"
	timeout 30 ip netns exec "${NS_PREFIX}a" "$IPERF" -c 198.18.22.1 \
	    -i wsa0 --ip $WS_IP/24 $args >"$TMP/c$n.log" 2>&1 ||
		{ cat "$TMP/c$n.log"; cat "$TMP/s$n.log"; fail "wirestack iperf -c $args failed"; }
	i=0
	while kill -0 "$LS" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$LS" || { cat "$TMP/s$n.log"; fail "iperf3 -s exit status $? ($args)"; }
	# The stock server prints its own view: one receiver (or sender) line.
	role=receiver
	case "$args" in *-R*) role=sender ;; esac
	r=$(rate_of "$TMP/s$n.log" $role)
	[ "${r:-0}" -gt 0 ] || { cat "$TMP/s$n.log"; fail "iperf3 -s reports no throughput ($args)"; }
	check_rates "$TMP/c$n.log" "wirestack iperf -c $args -> iperf3 -s"
done

# 3. Through impair: c (wirestack iperf -c) <-> m (impair) <-> d (iperf3 -s).
ns_new c
ns_new m
ns_new d
veth c wsc0 m wsm0
veth m wsm1 d wsd0
ip -n "${NS_PREFIX}d" addr add 198.18.24.1/24 dev wsd0 || hard_error "addr"
spawn IM "$TMP/impair.log" m "$IMPAIR" --delay 1 --loss 0.5 --seed 3 -v \
    wsm0 wsm1
wait_log "$TMP/impair.log" "bridging wsm0 <-> wsm1" 10 "$IM"
check_dropped "$IM" "$TMP/impair.log" "$NOBODY_UID"
say "impair: runs as nobody, $(grep -o 'seccomp filter [a-z]*' "$TMP/impair.log")"
spawn LS "$TMP/s-impair.log" d iperf3 -s -1
wait_tcp_listen d 5201 "iperf3 -s"
spawn CL "$TMP/c-impair.log" c "$IPERF" -c 198.18.24.1 -i wsc0 \
    --ip 198.18.24.2/24 -t 2 -v
wait_log "$TMP/c-impair.log" "Connecting to host" 10 "$CL"
check_dropped "$CL" "$TMP/c-impair.log" "$NOBODY_UID"
wait "$CL" || { cat "$TMP/c-impair.log"; tail -5 "$TMP/impair.log"; fail "iperf -c through impair: exit status $?"; }
check_rates "$TMP/c-impair.log" "wirestack iperf -c through impair -> iperf3 -s"
stop "$IM" || { cat "$TMP/impair.log"; fail "impair exit status $?"; }
grep -q 'A->B' "$TMP/impair.log" || { cat "$TMP/impair.log"; fail "impair printed no counters at exit"; }
say "impair: $(grep 'A->B' "$TMP/impair.log" | tail -1)"
say "PASS"
exit 0

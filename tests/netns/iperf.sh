#!/bin/sh
# wirestack-iperf against the stock iperf3, both roles:
#  1. iperf3 -c (Linux) against "iperf -s" (wirestack): -t 2, -R, -P 2;
#  2. "iperf -c" (wirestack) against iperf3 -s (Linux): -t 2, -R, -P 2.
# Each run must exit 0 and the stock iperf3 must report a throughput
# above zero for both its sender and receiver lines.
. "$(dirname "$0")/lib.sh"
require_root ethtool iperf3
IPERF=$WS_BUILDDIR/iperf
[ -x "$IPERF" ] || hard_error "no ./iperf in $WS_BUILDDIR (build first)"

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
spawn SV "$TMP/server.log" a "$IPERF" -s -i wsa0 --ip $WS_IP/24
wait_log "$TMP/server.log" "Server listening on" 10 "$SV"
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
say "PASS"
exit 0

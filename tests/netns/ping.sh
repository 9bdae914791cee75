#!/bin/sh
# wirestack as a host on the wire: the kernel in another namespace resolves
# it with ARP and pings it (small, large, repeatedly); a burst of malformed
# frames at every layer does not stop it answering, and the drops are
# counted.
. "$(dirname "$0")/lib.sh"
require_root ethtool ping python3

ns_new a                       # wirestack
ns_new b                       # the kernel, 198.18.20.1
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.20.1/24 dev wsb0 ||
	hard_error "addr add"
WS_IP=198.18.20.2
WS_MAC=$(mac_of a wsa0)

start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 -v

pings() {
	for size in 56 1400 56; do
		timeout 20 ip netns exec "${NS_PREFIX}b" \
		    ping -n -c 3 -i 0.2 -W 2 -s $size $WS_IP >"$TMP/ping.out" 2>&1 ||
			{ sed 's/^/  | /' "$TMP/ping.out"; fail "ping -s $size ($1)"; }
		grep -q ' 0% packet loss' "$TMP/ping.out" ||
			{ sed 's/^/  | /' "$TMP/ping.out"; fail "loss at -s $size ($1)"; }
	done
	say "ping 56/1400/56 bytes x3: ok ($1)"
}

pings "first"
pings "again"

# Larger than the MTU: the kernel fragments the request, wirestack
# reassembles it and fragments its reply.
for size in 3000 9000; do
	timeout 20 ip netns exec "${NS_PREFIX}b" \
	    ping -n -c 2 -i 0.2 -W 2 -s $size $WS_IP >"$TMP/ping.out" 2>&1 &&
	    grep -q ' 0% packet loss' "$TMP/ping.out" ||
		{ sed 's/^/  | /' "$TMP/ping.out"; fail "fragmented ping -s $size"; }
done
say "fragmented pings of 3000 and 9000 bytes: ok"

# The kernel learned wirestack's MAC through ARP.
neigh=$(ip -n "${NS_PREFIX}b" neigh show $WS_IP dev wsb0)
say "ip neigh: $neigh"
echo "$neigh" | grep -qi "lladdr $WS_MAC" ||
	fail "neighbour entry for $WS_IP is not wirestack's MAC $WS_MAC"

# A rapid burst: 50 pings 10 ms apart, all answered.
timeout 30 ip netns exec "${NS_PREFIX}b" \
    ping -n -q -c 50 -i 0.01 -W 2 $WS_IP >"$TMP/ping.out" 2>&1 ||
	{ cat "$TMP/ping.out"; fail "ping burst"; }
grep -q ' 0% packet loss' "$TMP/ping.out" || fail "ping burst lost packets"
say "ping burst of 50: ok"

# Hostile input at every layer.
timeout 60 ip netns exec "${NS_PREFIX}b" python3 \
    "$WS_SRCDIR/tests/netns/malformed.py" wsb0 "$WS_MAC" $WS_IP 198.18.20.1 \
    "${WS_SEED:-1}" >"$TMP/malformed.out" 2>&1 ||
	{ cat "$TMP/malformed.out"; hard_error "malformed.py failed"; }
say "$(cat "$TMP/malformed.out")"
kill -0 "$SV" 2>/dev/null || { cat "$TMP/server.log"; fail "server died"; }

# Forget the neighbour so ARP must work again after the burst.
ip -n "${NS_PREFIX}b" neigh flush dev wsb0
pings "after malformed frames"
# TCP still works too (the burst had hostile SYNs for port 8080).
if command -v socat >/dev/null 2>&1; then
	printf 'still here\n' | timeout 20 ip netns exec "${NS_PREFIX}b" \
	    socat -t 5 - TCP:$WS_IP:8080,connect-timeout=5 >"$TMP/tcp.out" 2>&1 ||
		{ cat "$TMP/tcp.out"; fail "TCP after malformed frames"; }
	expect_file "$TMP/tcp.out" 'Server received: still here
' "TCP after malformed frames"
	say "TCP after malformed frames: ok"
fi

stop "$SV" || { cat "$TMP/server.log"; fail "server exit status $?"; }
# -v printed the counters: the garbage was counted as dropped, per reason.
# (netstat -s style: "    N description" under a layer heading.)
sed -n '/^Ethernet:/,$p' "$TMP/server.log" | sed 's/^/  | /'
for counter in 'packets (with bad lengths|not for Ethernet/IPv4|neither request nor reply)' \
    'packets with a bad header checksum' 'packets with a bad header length' \
    'packets with a bad total length' 'packets reassembled ok' \
    'echo replies sent'; do
	grep -Eq "^    [1-9][0-9]* $counter\$" "$TMP/server.log" ||
		fail "counter '$counter' missing: drops not counted"
done
say "PASS"
exit 0

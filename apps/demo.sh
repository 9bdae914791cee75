#!/bin/sh
# wirestack demo ("sudo make demo", or: sudo WS_BUILDDIR=build apps/demo.sh).
#
#  1. Two fresh network namespaces joined by a veth pair, neither end with a
#     kernel address.  wirestack's server runs on one end, wirestack's
#     client on the other; they find each other with ARP and hold the seed
#     dialog.  The client's frames are captured to a pcap file and shown.
#  2. The same dialog in loopback mode, in a third fresh namespace.
#
# Everything is created fresh and removed at the end, whatever happens.
set -u

B=${WS_BUILDDIR:-$(pwd)}
SERVER=$B/server
CLIENT=$B/client
P="wsdemo-$$"
NS_A=$P-srv
NS_B=$P-cli
NS_L=$P-lo
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirestack-demo.XXXXXX") || exit 1
PIDS=""

step() {
	printf '\n==> %s\n' "$*"
}

show() {
	sed 's/^/    /' "$@"
}

die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

cleanup() {
	trap - EXIT INT TERM
	for pid in $PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in $NS_A $NS_B $NS_L; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "run as root: sudo make demo"
for tool in ip ethtool timeout; do
	command -v $tool >/dev/null 2>&1 || die "needs $tool (apt-get install iproute2 ethtool coreutils)"
done
[ -x "$SERVER" ] && [ -x "$CLIENT" ] || die "build first: no $SERVER or $CLIENT"

wait_listening() {
	i=0
	until grep -qs 'TCP server listening' "$1"; do
		kill -0 "$2" 2>/dev/null || { show "$1"; die "the server did not start"; }
		[ $i -ge 100 ] && { show "$1"; die "the server did not start in 10 s"; }
		sleep 0.1
		i=$((i + 1))
	done
}

# ---- 1. Ethernet: two namespaces, a veth, two wirestacks ----

step "Creating namespaces $NS_A (server) and $NS_B (client), joined by a veth pair"
ip netns add $NS_A && ip netns add $NS_B || die "ip netns add failed"
ip link add "wsd$$a" type veth peer name "wsd$$b" || die "ip link add failed"
ip link set "wsd$$a" netns $NS_A name veth-srv
ip link set "wsd$$b" netns $NS_B name veth-cli
for x in "$NS_A veth-srv" "$NS_B veth-cli"; do
	set -- $x
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
	# Real checksums on the wire (a veth otherwise leaves them partial).
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1
done
echo "    Neither veth end has a kernel IPv4 address: the kernels stay out of it."
echo "    wirestack server: 198.18.30.2/24 on veth-srv, MAC $(ip -n $NS_A -o link show veth-srv | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"
echo "    wirestack client: 198.18.30.1/24 on veth-cli, MAC $(ip -n $NS_B -o link show veth-cli | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"

step "Starting: server -i veth-srv --ip 198.18.30.2/24 -v   (in $NS_A)"
ip netns exec $NS_A "$SERVER" -i veth-srv --ip 198.18.30.2/24 -v \
    >"$TMP/server.log" 2>&1 </dev/null &
SV=$!
PIDS="$PIDS $SV"
wait_listening "$TMP/server.log" $SV
show "$TMP/server.log"

step "Client: three lines through client -i veth-cli --ip 198.18.30.1/24 -v --pcap client.pcap 198.18.30.2 8080"
printf 'hello\nhow are you?\nbye\n' | sed 's/^/    > /'
printf 'hello\nhow are you?\nbye\n' |
    timeout 30 ip netns exec $NS_B "$CLIENT" -i veth-cli --ip 198.18.30.1/24 \
    -v --pcap "$TMP/client.pcap" 198.18.30.2 8080 \
    >"$TMP/client.out" 2>"$TMP/client.log" ||
	{ show "$TMP/client.log"; die "the client failed"; }
echo "    The server's answers:"
show "$TMP/client.out"
echo "    The client's counters (ARP resolved the server; TCP opened and closed):"
grep -E '^  (arp|tcp|pcap|pcapw):' "$TMP/client.log" | sed 's/^  /    /'

if command -v tcpdump >/dev/null 2>&1; then
	step "What crossed the wire, as the client saw it (tcpdump -e -r client.pcap)"
	tcpdump -nn -e -r "$TMP/client.pcap" 2>/dev/null | cut -c 1-150 | sed 's/^/    /'
else
	echo "    (install tcpdump to see the captured frames)"
fi

step "Stopping the server with SIGTERM (it closes its connections with FIN, then exits)"
kill -TERM $SV
wait $SV
echo "    server exited with status $?; its counters:"
sed -n '/counters:/,$p' "$TMP/server.log" | sed 's/^/    /'

# ---- 2. Loopback mode ----

step "Loopback mode: a fresh namespace $NS_L with only lo, server and client without arguments"
ip netns add $NS_L || die "ip netns add failed"
ip -n $NS_L link set lo up
ip netns exec $NS_L "$SERVER" >"$TMP/lserver.log" 2>&1 </dev/null &
LSV=$!
PIDS="$PIDS $LSV"
wait_listening "$TMP/lserver.log" $LSV
show "$TMP/lserver.log"
echo "    The rule it installed (nft list table ip wirestack_$LSV):"
ip netns exec $NS_L nft list table ip "wirestack_$LSV" 2>&1 | sed 's/^/      /'

step "printf 'hello\\nloopback\\n' | client"
printf 'hello\nloopback\n' | timeout 30 ip netns exec $NS_L "$CLIENT" \
    >"$TMP/lclient.out" 2>"$TMP/lclient.log" ||
	{ show "$TMP/lclient.log"; die "the loopback client failed"; }
show "$TMP/lclient.log"
show "$TMP/lclient.out"

kill -TERM $LSV
wait $LSV
echo "    server exited with status $?; nftables tables left in $NS_L: $(ip netns exec $NS_L nft list tables 2>/dev/null | grep -c wirestack_)"

step "Done: namespaces removed"
exit 0

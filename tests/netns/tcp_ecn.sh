#!/bin/sh
# ECN (RFC 3168) against the Linux kernel, seen with tcpdump on the
# kernel's side of the veth:
#  1. wirestack client (--ecn) -> Linux echo server (net.ipv4.tcp_ecn=2,
#     Linux's default: answers ECN-setup SYNs, does not ask): the SYN is
#     [SEW], Linux's SYN,ACK [S.E], wirestack's data goes ECT(0)
#     ("tos 0x2").  wirestack's device marks ECT packets CE both ways
#     (--ce 3): both ends echo ECE and answer with CWR, and 2 MB each way
#     arrive byte-exact with no retransmission by wirestack.
#  2. Linux client (tcp_ecn=1) -> wirestack server (the default, answer
#     only): Linux's SYN is [SEW], wirestack's SYN,ACK [S.E].
. "$(dirname "$0")/lib.sh"
require_root socat cmp tcpdump

ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.22.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.22.2

head -c $((2 * 1024 * 1024)) /dev/urandom >"$TMP/in" ||
	hard_error "no random data"
ip netns exec "${NS_PREFIX}b" sysctl -qw net.ipv4.tcp_ecn=2 ||
	skip "no net.ipv4.tcp_ecn"

spawn CAP "$TMP/tcpdump.log" b tcpdump -i wsb0 -n -U --immediate-mode -s 96 \
    -w "$TMP/ecn.pcap" tcp
wait_log "$TMP/tcpdump.log" "listening on" 10 "$CAP"

# 1. wirestack client -> Linux echo server.
spawn ECHO "$TMP/echo.log" b socat -T 120 TCP-LISTEN:9000,reuseaddr EXEC:cat
wait_tcp_listen b 9000 "echo server"
timeout 300 ip netns exec "${NS_PREFIX}a" "$CLIENT" -i wsa0 --ip $WS_IP/24 \
    -v --ecn --ce 3 --seed 7 198.18.22.1 9000 \
    <"$TMP/in" >"$TMP/out" 2>"$TMP/client.log" ||
	{ tail -30 "$TMP/client.log"; fail "wirestack client failed"; }
cmp "$TMP/in" "$TMP/out" ||
	fail "ECN client through Linux echo: output differs"
say "2 MB each way, wirestack client --ecn --ce 3 <-> Linux server"
grep -Ei "ECN|ECE|CE \(|CWR|CE on purpose|retransmit" "$TMP/client.log" |
    sed 's/^/  | /'
# counter DESC: the value of the counter so described in the -v report.
counter() {
	grep -F " $1" "$TMP/client.log" | head -1 | awk '{ print $1 }'
}
[ "$(counter "connections that negotiated ECN")" = 1 ] ||
	fail "wirestack did not count ECN negotiated"
n=$(counter "cwnd reductions on ECE")
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "no cwnd reduction on ECE"
n=$(counter "segments received with CE")
[ -n "$n" ] && [ "$n" -gt 0 ] || fail "no CE received"
n=$(counter "segments retransmitted")
[ -z "$n" ] || [ "$n" = 0 ] || fail "wirestack retransmitted $n segments"

# 2. Linux client (asking) -> wirestack server (default: answer only).
ip netns exec "${NS_PREFIX}b" sysctl -qw net.ipv4.tcp_ecn=1 ||
	hard_error "tcp_ecn=1"
# Linux drops ECE/CWR from a retransmitted SYN (tcp_ecn_fallback): keep
# them, so that a first SYN lost to a slow start of the server cannot
# hide the ECN-setup SYN this checks for.
ip netns exec "${NS_PREFIX}b" sysctl -qw net.ipv4.tcp_ecn_fallback=0 \
    2>/dev/null
start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 --echo
# Resolve the server's address first: the SYN then leaves at once.
ip netns exec "${NS_PREFIX}b" ping -c 1 -W 2 $WS_IP >/dev/null 2>&1
printf 'hello ecn\n' | timeout 30 ip netns exec "${NS_PREFIX}b" \
    socat -t 2 - TCP:$WS_IP:8080,connect-timeout=5 >"$TMP/hello" ||
	fail "Linux client to wirestack server failed"
[ "$(cat "$TMP/hello")" = "hello ecn" ] || fail "echo: '$(cat "$TMP/hello")'"
stop "$SV" || fail "server exit status $?"

sleep 0.5
kill -INT "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null

# The capture, one packet a line (tcpdump -v: IP line and TCP line).
tcpdump -v -n -r "$TMP/ecn.pcap" 2>/dev/null |
    awk '/^[0-9]/ { h = $0; next } { print h " " $0 }' >"$TMP/ecn.txt"
# first FLAGS ADDRS: the first packet whose flags match the extended
# regular expression FLAGS, between ADDRS.
first() {
	grep -E "Flags \[$1" "$TMP/ecn.txt" | grep -F "$2" | head -1
}
# expect WHAT FLAGS ADDRS [TOS]: such a packet was seen (with that TOS).
expect() {
	got=$(first "$2" "$3")
	if [ -z "$got" ]; then
		grep -F "$3" "$TMP/ecn.txt" | head -3
		fail "$1: no [$2] packet $3"
	fi
	if [ -n "$4" ]; then
		case "$got" in *"($4,"*) ;;
		*) fail "$1: want $4: $got" ;; esac
	fi
	say "$1: $(echo "$got" |
	    sed -n 's/.*(\(tos [^,]*\),.*Flags \(\[[^]]*\]\).*/\2 \1/p')"
}
expect "wirestack ECN-setup SYN" 'SEW\]' "> 198.18.22.1.9000:" "tos 0x0"
expect "Linux SYN,ACK with ECE" 'S\.E\]' "198.18.22.1.9000 >"
expect "wirestack data ECT(0)" 'P?\.E?W?\],.* length [1-9]' "> 198.18.22.1.9000:" "tos 0x2"
expect "Linux ACK with ECE (wirestack's CE marked)" 'P?\.E\]' "198.18.22.1.9000 >"
expect "wirestack CWR" 'P?\.E?W\]' "> 198.18.22.1.9000:"
expect "wirestack ACK with ECE (Linux's CE marked)" 'P?\.E\]' "> 198.18.22.1.9000:"
expect "Linux CWR" 'P?\.E?W\]' "198.18.22.1.9000 >"
expect "Linux ECN-setup SYN" 'SEW\]' "> $WS_IP.8080:"
expect "wirestack SYN,ACK with ECE" 'S\.E\]' "$WS_IP.8080 >" "tos 0x0"

say "PASS"
exit 0

#!/bin/sh
# Modern TCP against the Linux kernel:
#  1. the handshakes, captured with tcpdump on the kernel's side, show
#     window scaling, SACK-permitted and timestamps offered by both ends,
#     in both roles (kernel client -> wirestack server, wirestack client
#     -> kernel server);
#     wirestack's SYN and SYN,ACK carry the TOS and TTL set with --tos
#     and --ttl (RFC 9293 MUST-48, MUST-49; the server's from its
#     listener);
#  2. 10 MB each way through wirestack's own fault injector
#     (--loss 5 --reorder 2, both directions of wirestack's device),
#     byte-exact, in both roles, with the recovery counters printed.
. "$(dirname "$0")/lib.sh"
require_root ethtool socat cmp tcpdump

SIZE_MB=${WS_LOSS_MB:-10}
FAULTS="--loss 5 --reorder 2 --seed 7"
ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.21.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.21.2

head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$TMP/in" ||
	hard_error "no random data"

# Capture SYNs on the kernel's side for the whole test.
spawn CAP "$TMP/tcpdump.log" b tcpdump -i wsb0 -n -U --immediate-mode -w "$TMP/syn.pcap" \
    'tcp[tcpflags] & tcp-syn != 0'
wait_log "$TMP/tcpdump.log" "listening on" 10 "$CAP"

# syn_options FLAGS ADDRS: the option list of the first SYN with those
# flags whose "src > dst:" part contains ADDRS.
syn_options() {
	tcpdump -n -r "$TMP/syn.pcap" 2>/dev/null |
	    grep -F "Flags [$1]," | grep -F "$2" |
	    head -1 | sed -n 's/.*options \[\([^]]*\)\].*/\1/p'
}

# tos_ttl FLAGS ADDRS: "tos 0x.. ttl N" from the IP header (tcpdump -v)
# of the first SYN with those flags whose "src > dst:" part has ADDRS.
tos_ttl() {
	tcpdump -v -n -r "$TMP/syn.pcap" 2>/dev/null |
	    awk -v f="Flags [$1]," -v a="$2" '
	    /^[0-9]/ { h = $0; next }
	    index($0, f) && index($0, a) { print h; exit }' |
	    sed -n 's/.*(\(tos 0x[0-9a-f]*\), \(ttl [0-9]*\),.*/\1 \2/p'
}

# has_tos_ttl WHAT FLAGS ADDRS: tos 0x10, ttl 33 as set.
has_tos_ttl() {
	got=$(tos_ttl "$2" "$3")
	[ "$got" = "tos 0x10 ttl 33" ] ||
		fail "$1: '$got', want 'tos 0x10 ttl 33' (--tos 0x10 --ttl 33)"
	say "$1: $got"
}

# has_all OPTIONS WHO: window scale, SACK-permitted and timestamps.
has_all() {
	case "$1" in *wscale*) ;; *) fail "$2 offered no window scale: [$1]" ;; esac
	case "$1" in *sackOK*) ;; *) fail "$2 offered no SACK-permitted: [$1]" ;; esac
	case "$1" in *"TS val"*) ;; *) fail "$2 offered no timestamps: [$1]" ;; esac
	say "$2: [$1]"
}

# 1 + 2a. Linux client -> wirestack echo server with faults.
start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 --echo -v $FAULTS \
    --tos 0x10 --ttl 33
t0=$(now)
timeout 300 ip netns exec "${NS_PREFIX}b" \
    socat -t 120 -T 120 - TCP:$WS_IP:8080,connect-timeout=5 \
    <"$TMP/in" >"$TMP/out1" 2>"$TMP/socat1.err" ||
	{ cat "$TMP/socat1.err"; tail -30 "$TMP/server.log"; fail "socat (echo) failed"; }
t1=$(now)
cmp "$TMP/in" "$TMP/out1" ||
	fail "echo through lossy wirestack: output differs ($(wc -c <"$TMP/out1") bytes back)"
say "$SIZE_MB MB each way, Linux client <-> wirestack server, $FAULTS: $(elapsed "$t0" "$t1") s"
stop "$SV" || { tail -20 "$TMP/server.log"; fail "server exit status $?"; }
grep -Ei "dropped on purpose|fault|retransmit|recover|RACK|tail loss|SACK" \
    "$TMP/server.log" | sed 's/^/  | /'

# 2b. wirestack client -> Linux echo server, faults on wirestack's side.
spawn ECHO "$TMP/echo.log" b socat -T 120 TCP-LISTEN:9000,reuseaddr EXEC:cat
wait_tcp_listen b 9000 "echo server"
t0=$(now)
timeout 300 ip netns exec "${NS_PREFIX}a" "$CLIENT" -i wsa0 --ip $WS_IP/24 \
    -v $FAULTS --tos 0x10 --ttl 33 198.18.21.1 9000 \
    <"$TMP/in" >"$TMP/out2" 2>"$TMP/client.log" ||
	{ tail -30 "$TMP/client.log"; fail "wirestack client failed"; }
t1=$(now)
cmp "$TMP/in" "$TMP/out2" ||
	fail "lossy wirestack client through Linux echo: output differs ($(wc -c <"$TMP/out2") bytes back)"
say "$SIZE_MB MB each way, wirestack client <-> Linux server, $FAULTS: $(elapsed "$t0" "$t1") s"
grep -Ei "dropped on purpose|fault|retransmit|recover|RACK|tail loss|SACK" \
    "$TMP/client.log" | sed 's/^/  | /'

sleep 0.5
kill -INT "$CAP" 2>/dev/null
wait "$CAP" 2>/dev/null

# The handshakes, as the kernel's side of the wire saw them.  SYNs may be
# lost to the fault injector and retried; any copy will do.
has_all "$(syn_options S "> $WS_IP.8080:")" "Linux SYN to wirestack"
has_all "$(syn_options S. "$WS_IP.8080 >")" "wirestack SYN,ACK to Linux"
has_all "$(syn_options S "> 198.18.21.1.9000:")" "wirestack SYN to Linux"
has_all "$(syn_options S. "198.18.21.1.9000 >")" "Linux SYN,ACK to wirestack"
has_tos_ttl "wirestack SYN,ACK to Linux" S. "$WS_IP.8080 >"
has_tos_ttl "wirestack SYN to Linux" S "> 198.18.21.1.9000:"

say "PASS"
exit 0

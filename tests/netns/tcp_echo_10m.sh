#!/bin/sh
# Bulk data, byte-exact, both directions at once:
#  1. a kernel client (socat) sends 10 MB of random bytes through
#     "server --echo" and gets them back;
#  2. wirestack's client sends 10 MB through a kernel echo server
#     (socat EXEC:cat) and gets them back.
# Prints the transfer times.
. "$(dirname "$0")/lib.sh"
require_root ethtool socat cmp

SIZE_MB=${WS_ECHO_MB:-10}
ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.20.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.20.2

head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$TMP/in" ||
	hard_error "no random data"

# 1. Linux client -> wirestack echo server.
start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 --echo -v
t0=$(now)
timeout 120 ip netns exec "${NS_PREFIX}b" \
    socat -t 60 -T 60 - TCP:$WS_IP:8080,connect-timeout=5 \
    <"$TMP/in" >"$TMP/out1" 2>"$TMP/socat1.err" ||
	{ cat "$TMP/socat1.err"; tail -20 "$TMP/server.log"; fail "socat (echo) failed"; }
t1=$(now)
cmp "$TMP/in" "$TMP/out1" ||
	fail "echo through wirestack: output differs ($(wc -c <"$TMP/out1") bytes back)"
say "$SIZE_MB MB through wirestack's echo server from a Linux client: $(elapsed "$t0" "$t1") s"
stop "$SV" || { tail -20 "$TMP/server.log"; fail "server exit status $?"; }
sed -n '/^Tcp:/,/^[A-Z]/p' "$TMP/server.log" | sed 's/^/  | /'

# 2. wirestack client -> Linux echo server.
spawn ECHO "$TMP/echo.log" b socat -T 60 TCP-LISTEN:9000,reuseaddr EXEC:cat
wait_tcp_listen b 9000 "echo server"
t0=$(now)
timeout 120 ip netns exec "${NS_PREFIX}a" "$CLIENT" -i wsa0 --ip $WS_IP/24 \
    -v 198.18.20.1 9000 <"$TMP/in" >"$TMP/out2" 2>"$TMP/client.log" ||
	{ tail -20 "$TMP/client.log"; fail "wirestack client failed"; }
t1=$(now)
cmp "$TMP/in" "$TMP/out2" ||
	fail "echo from Linux to wirestack's client: output differs ($(wc -c <"$TMP/out2") bytes back)"
say "$SIZE_MB MB from wirestack's client through a Linux echo server: $(elapsed "$t0" "$t1") s"
sed -n '/^Tcp:/,/^[A-Z]/p' "$TMP/client.log" | sed 's/^/  | /'
say "PASS"
exit 0

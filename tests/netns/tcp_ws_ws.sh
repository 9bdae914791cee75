#!/bin/sh
# wirestack on both ends: client and server in two namespaces joined by a
# veth, neither end with a kernel address.  ARP, the seed dialog, then
# 2 MB of binary data through --echo, byte-exact.
. "$(dirname "$0")/lib.sh"
require_root ethtool cmp

ns_new a
ns_new b
veth a wsa0 b wsb0
SV_IP=198.18.21.2
CL_IP=198.18.21.1

start_server SV "$TMP/server.log" a -i wsa0 --ip $SV_IP/24 -v

printf 'hello\nwirestack to wirestack\n' |
    timeout 30 ip netns exec "${NS_PREFIX}b" "$CLIENT" -i wsb0 \
    --ip $CL_IP/24 -v $SV_IP 8080 >"$TMP/out" 2>"$TMP/client.log" ||
	{ cat "$TMP/client.log"; tail "$TMP/server.log"; fail "client failed"; }
expect_file "$TMP/out" 'Server received: hello
Server received: wirestack to wirestack
' "dialog between two wirestacks"
say "dialog: ok"
# Both learned each other through ARP.
grep -Eq '^    [1-9][0-9]* replies received$' "$TMP/client.log" ||
	{ cat "$TMP/client.log"; fail "client counted no ARP reply"; }
stop "$SV" || fail "server exit status $?"
grep -Eq '^    [1-9][0-9]* requests received$' "$TMP/server.log" ||
	fail "server counted no ARP request"
grep -Eq '^    1 passive connection openings$' "$TMP/server.log" ||
	fail "server did not count exactly one accept"

# Bulk, binary, both directions at once.
head -c 2097152 /dev/urandom >"$TMP/in"
start_server SV "$TMP/server2.log" a -i wsa0 --ip $SV_IP/24 --echo
t0=$(now)
timeout 60 ip netns exec "${NS_PREFIX}b" "$CLIENT" -i wsb0 --ip $CL_IP/24 \
    $SV_IP 8080 <"$TMP/in" >"$TMP/out2" 2>"$TMP/client2.log" ||
	{ cat "$TMP/client2.log"; fail "client failed (echo)"; }
t1=$(now)
cmp "$TMP/in" "$TMP/out2" || fail "2 MB echo differs"
say "2 MB echo between two wirestacks: $(elapsed "$t0" "$t1") s"
# Errors are one line and a non-zero exit: a closed port is refused at
# once; a silent address times out after -w seconds.
if timeout 20 ip netns exec "${NS_PREFIX}b" "$CLIENT" -i wsb0 --ip $CL_IP/24 \
    $SV_IP 9999 </dev/null >/dev/null 2>"$TMP/refused"; then
	fail "connect to a closed port succeeded"
fi
grep -q 'cannot connect to 198.18.21.2:9999: connection refused' "$TMP/refused" ||
	{ cat "$TMP/refused"; fail "closed port: no 'connection refused'"; }
say "$(tail -1 "$TMP/refused")"
if timeout 20 ip netns exec "${NS_PREFIX}b" "$CLIENT" -i wsb0 --ip $CL_IP/24 \
    -w 2 198.18.21.99 8080 </dev/null >/dev/null 2>"$TMP/timedout"; then
	fail "connect to a silent address succeeded"
fi
grep -Eq 'cannot connect to 198.18.21.99:8080: (connection timed out|host unreachable)' \
    "$TMP/timedout" || { cat "$TMP/timedout"; fail "silent address: no timeout"; }
say "$(tail -1 "$TMP/timedout")"
stop "$SV" || fail "server exit status $?"
say "PASS"
exit 0

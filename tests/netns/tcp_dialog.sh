#!/bin/sh
# The seed dialog with a kernel client: socat in one namespace, wirestack's
# server in the other.  "hello" -> "Server received: hello", several lines,
# a last line without a newline, several clients at once, and a clean
# close (FIN both ways: socat exits 0 and the server keeps serving).
. "$(dirname "$0")/lib.sh"
require_root ethtool socat

ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.20.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.20.2

start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 -v

# socat half-closes at the end of its input and waits (-t) for the server
# to finish and close.
talk() {
	printf "$1" | timeout 20 ip netns exec "${NS_PREFIX}b" \
	    socat -t 10 - TCP:$WS_IP:8080,connect-timeout=5 >"$2" 2>"$2.err"
}

talk 'hello\n' "$TMP/out1" || { cat "$TMP/out1.err"; fail "socat failed"; }
expect_file "$TMP/out1" 'Server received: hello
' "seed dialog"
say "hello -> $(cat "$TMP/out1")"

talk 'one\ntwo\n\nthree' "$TMP/out2" || fail "socat failed (lines)"
expect_file "$TMP/out2" 'Server received: one
Server received: two
Server received: 
Server received: three
' "several lines and a partial last line"
say "four lines, the last without newline: ok"

# Ten clients at once, each with its own lines.
pids=""
for i in 0 1 2 3 4 5 6 7 8 9; do
	talk "client $i line 1\nclient $i line 2\n" "$TMP/par$i" &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "a concurrent client failed"
done
for i in 0 1 2 3 4 5 6 7 8 9; do
	expect_file "$TMP/par$i" "Server received: client $i line 1
Server received: client $i line 2
" "concurrent client $i"
done
say "10 concurrent clients: ok"

# A long line (200 KB) comes back whole, behind the prefix.
head -c 150000 /dev/zero | tr '\0' 'x' >"$TMP/long"
printf '\n' >>"$TMP/long"
timeout 30 ip netns exec "${NS_PREFIX}b" socat -t 10 - TCP:$WS_IP:8080 \
    <"$TMP/long" >"$TMP/longout" || fail "socat failed (long line)"
{ printf 'Server received: '; cat "$TMP/long"; } >"$TMP/longexp"
cmp -s "$TMP/longexp" "$TMP/longout" || fail "long line mangled"
say "150 KB line: ok"

# Connection refused on a port nobody listens on: a RST, not a timeout.
if timeout 10 ip netns exec "${NS_PREFIX}b" \
    socat -T 5 - TCP:$WS_IP:8081,connect-timeout=5 </dev/null \
    >/dev/null 2>"$TMP/refused"; then
	fail "connect to a closed port succeeded"
fi
grep -qi 'refused' "$TMP/refused" ||
	{ cat "$TMP/refused"; fail "closed port: expected connection refused"; }
say "closed port: connection refused"

kill -0 "$SV" 2>/dev/null || fail "server died"

# SIGTERM with a client connected and idle: the server closes it with a
# FIN (socat sees end of stream and exits 0) and exits 0 itself.
n=$(count "$TMP/server.log" 'connected \(')
timeout 20 ip netns exec "${NS_PREFIX}b" \
    socat -u TCP:$WS_IP:8080 - >"$TMP/idle.out" 2>&1 </dev/null &
IDLE=$!
wait_count "$TMP/server.log" 'connected \(' "$n" 10
stop "$SV" || { cat "$TMP/server.log"; fail "server exit status $?"; }
wait "$IDLE" || { cat "$TMP/idle.out"; fail "idle client did not get a clean FIN"; }
say "SIGTERM: the idle client got FIN, server exited 0"

# Urgent data (RFC 9293 3.8.5) with the kernel on the other end: Linux
# sends MSG_OOB to "server --echo", which reports where the urgent data
# ends and sends it back urgent; Linux sees the mark (SO_OOBINLINE,
# sockatmark) at the same byte.  Once right at the start, once 100 KB in
# (the pointer then travels ahead of the data, capped at 65535).
if command -v python3 >/dev/null 2>&1; then
	start_server SV "$TMP/server3.log" a -i wsa0 --ip $WS_IP/24 --echo -v
	for n in 0 100000; do
		timeout 30 ip netns exec "${NS_PREFIX}b" python3 \
		    "$WS_SRCDIR/tests/netns/urgent.py" $WS_IP 8080 $n \
		    >"$TMP/urg$n.out" 2>&1 ||
			{ cat "$TMP/urg$n.out"; tail "$TMP/server3.log"; fail "urgent data ($n)"; }
		grep -q "urgent data up to byte $((n + 1))\$" "$TMP/server3.log" ||
			{ cat "$TMP/server3.log"; fail "server did not report the urgent mark at $((n + 1))"; }
		say "urgent data after $n bytes: $(cat "$TMP/urg$n.out"), server: up to byte $((n + 1))"
	done
	stop "$SV" || fail "server exit status $?"
	grep -Eq '^    [1-9][0-9]* urgent pointers received' "$TMP/server3.log" ||
		fail "server counted no urgent pointer"
	grep -Eq '^    [1-9][0-9]* segments sent with the urgent pointer$' "$TMP/server3.log" ||
		fail "server counted no URG segment sent"
else
	say "no python3: urgent data not tested"
fi
say "PASS"
exit 0

#!/bin/sh
# Loopback mode in a fresh namespace: server and client with no arguments
# hold the seed dialog on 127.0.0.1:8080 (through a pipe, and at the
# interactive prompt on a pty); a kernel client talks to wirestack's
# server too.  Each program's nftables table exists while it runs and is
# gone after every kind of exit (SIGTERM, normal, error).
. "$(dirname "$0")/lib.sh"
require_root nft socat

ns_new lo

tables() {
	ip netns exec "${NS_PREFIX}lo" nft list tables 2>/dev/null |
	    grep -c 'wirestack_' || true
}

# No server yet: the client is refused, says so, exits non-zero, and its
# table is gone.
if timeout 20 ip netns exec "${NS_PREFIX}lo" "$CLIENT" </dev/null \
    >"$TMP/refused.out" 2>"$TMP/refused.err"; then
	fail "client succeeded without a server"
fi
grep -q 'refused' "$TMP/refused.err" ||
	{ cat "$TMP/refused.err"; fail "expected 'connection refused'"; }
[ "$(tables)" = 0 ] || fail "client left its nftables table behind (error exit)"
say "no server: $(tail -1 "$TMP/refused.err")"

start_server SV "$TMP/server.log" lo
grep -q "loopback mode: installed nftables rule 'table ip wirestack_$SV' dropping the kernel's RSTs for 127.0.0.1:8080" \
    "$TMP/server.log" || { cat "$TMP/server.log"; fail "no firewall message"; }
ip netns exec "${NS_PREFIX}lo" nft list table ip "wirestack_$SV" \
    >"$TMP/table" 2>&1 || fail "table wirestack_$SV not installed"
sed 's/^/  | /' "$TMP/table"

# Pipe mode.
printf 'hello\nloopback\n' | timeout 20 ip netns exec "${NS_PREFIX}lo" \
    "$CLIENT" >"$TMP/out" 2>"$TMP/client.err" ||
	{ cat "$TMP/client.err"; cat "$TMP/server.log"; fail "client failed"; }
expect_file "$TMP/out" 'Server received: hello
Server received: loopback
' "loopback dialog (pipe)"
say "pipe mode: ok"
[ "$(tables)" = 1 ] || fail "client left its table behind (normal exit)"

# A kernel client against wirestack's server.
printf 'from the kernel\n' | timeout 20 ip netns exec "${NS_PREFIX}lo" \
    socat -t 5 - TCP:127.0.0.1:8080,connect-timeout=5 >"$TMP/kout" ||
	fail "socat client failed"
expect_file "$TMP/kout" 'Server received: from the kernel
' "kernel client in loopback mode"
say "kernel client: ok"

# The interactive dialog, on a pty made by script(1).
if command -v script >/dev/null 2>&1; then
	printf 'hello\nexit\n' | timeout 20 ip netns exec "${NS_PREFIX}lo" \
	    script -q -e -c "$CLIENT" /dev/null >"$TMP/tty.out" 2>&1 ||
		{ cat "$TMP/tty.out"; fail "interactive client failed"; }
	tr -d '\r' <"$TMP/tty.out" >"$TMP/tty"
	for want in 'Connected to server at 127.0.0.1:8080' \
	    "Enter message to send (or 'exit' to quit): " \
	    'Server response: Server received: hello'; do
		grep -qF "$want" "$TMP/tty" ||
			{ sed 's/^/  | /' "$TMP/tty"; fail "interactive: no '$want'"; }
	done
	say "interactive mode: ok"
else
	say "script(1) missing: interactive mode not tested"
fi

# A second server on the same port is refused with a clear message.
if timeout 10 ip netns exec "${NS_PREFIX}lo" "$SERVER" \
    >"$TMP/second.out" 2>&1; then
	fail "second server on port 8080 started"
fi
grep -q 'already in use' "$TMP/second.out" ||
	{ cat "$TMP/second.out"; fail "second server: no 'already in use'"; }
say "second server: $(tail -1 "$TMP/second.out")"

stop "$SV" || { cat "$TMP/server.log"; fail "server exit status $?"; }
[ "$(tables)" = 0 ] || fail "nftables table left behind after SIGTERM"
say "tables after exit: none"
say "PASS"
exit 0

#!/bin/sh
# Privileges, without sudo and with it.
#  1. setcap: copies of ./server and ./client given
#     cap_net_raw,cap_net_admin+ep run as user nobody (no root at all) in
#     loopback mode: the nftables table goes in (nft gets the capability
#     as an ambient one) and the dialog works.  Once running, the server
#     has no capability left in any set, no_new_privs, and (outside
#     sanitizer builds) a seccomp filter; stopping it still removes its
#     table (the keeper process does that).
#  2. root: started as root in Ethernet mode, the server runs as nobody
#     (the default), with no capabilities and no supplementary groups;
#     --user picks another user; an unknown user is refused.
. "$(dirname "$0")/lib.sh"
require_root setcap setpriv nft socat

NOBODY_UID=$(id -u nobody 2>/dev/null) || skip "no user nobody"
NOBODY_GID=$(id -g nobody)

# --- 1. setcap, as nobody ---------------------------------------------
BIN=$TMP/bin
mkdir "$BIN" || hard_error "mkdir"
cp "$SERVER" "$CLIENT" "$BIN/" || hard_error "copy binaries"
chmod 755 "$TMP" "$BIN" "$BIN/server" "$BIN/client"
setcap cap_net_raw,cap_net_admin+ep "$BIN/server" ||
	skip "setcap failed here (filesystem without extended attributes?)"
setcap cap_net_raw,cap_net_admin+ep "$BIN/client" || hard_error "setcap client"
getcap "$BIN/server" | sed 's/^/  | /'

AS_NOBODY="setpriv --reuid=$NOBODY_UID --regid=$NOBODY_GID --clear-groups"
ns_new lo
tables() {
	ip netns exec "${NS_PREFIX}lo" nft list tables 2>/dev/null |
	    grep -c 'wirestack_' || true
}

spawn SV "$TMP/server.log" lo $AS_NOBODY "$BIN/server" -v
wait_log "$TMP/server.log" "TCP server listening on port" 10 "$SV"
grep -q "installed nftables rule 'table ip wirestack_$SV'" "$TMP/server.log" ||
	{ cat "$TMP/server.log"; fail "no nftables table as nobody + setcap"; }
grep -q 'running as user nobody (unchanged) with no capabilities' \
    "$TMP/server.log" || { cat "$TMP/server.log"; fail "no drop message"; }
check_dropped "$SV" "$TMP/server.log" "$NOBODY_UID"
say "setcap server as nobody: table in, capabilities gone, $(grep -o 'seccomp filter [a-z]*' "$TMP/server.log")"

printf 'hello\nsetcap\n' | timeout 20 ip netns exec "${NS_PREFIX}lo" \
    $AS_NOBODY "$BIN/client" >"$TMP/out" 2>"$TMP/client.err" ||
	{ cat "$TMP/client.err"; cat "$TMP/server.log"; fail "client as nobody failed"; }
expect_file "$TMP/out" 'Server received: hello
Server received: setcap
' "dialog as nobody with setcap"
say "setcap client as nobody: dialog ok"
[ "$(tables)" = 1 ] || fail "the client left its table behind"

stop "$SV" || { cat "$TMP/server.log"; fail "server exit status $?"; }
[ "$(tables)" = 0 ] || fail "nftables table left behind after SIGTERM"
say "tables after exit: none"

# Without the capabilities, nobody gets a clear message and no table.
cp "$SERVER" "$BIN/plain" && chmod 755 "$BIN/plain"
if timeout 10 ip netns exec "${NS_PREFIX}lo" $AS_NOBODY "$BIN/plain" \
    >"$TMP/plain.out" 2>&1; then
	fail "server without capabilities started"
fi
grep -q 'setcap cap_net_raw,cap_net_admin+ep' "$TMP/plain.out" ||
	{ cat "$TMP/plain.out"; fail "no setcap hint"; }
say "no capabilities: $(tail -1 "$TMP/plain.out")"

# --- 2. root drops to nobody, or to --user --------------------------------
ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.23.1/24 dev wsb0 || hard_error "addr"
start_server SV "$TMP/root.log" a -i wsa0 --ip 198.18.23.2/24 -v
check_dropped "$SV" "$TMP/root.log" "$NOBODY_UID"
[ "$(status_field "$SV" Groups)" = "" ] || fail "supplementary groups kept"
[ "$(status_field "$SV" CapBnd)" = 0000000000000000 ] ||
	fail "bounding set not emptied: $(status_field "$SV" CapBnd)"
printf 'root\n' | timeout 20 ip netns exec "${NS_PREFIX}b" \
    socat -t 5 - TCP:198.18.23.2:8080,connect-timeout=5 >"$TMP/rout" ||
	fail "socat failed"
expect_file "$TMP/rout" 'Server received: root
' "dialog after the drop"
stop "$SV" || { cat "$TMP/root.log"; fail "server exit status $?"; }
say "root start: runs as nobody, no capabilities, bounding set empty"

if id daemon >/dev/null 2>&1; then
	start_server SV "$TMP/daemon.log" a -i wsa0 --ip 198.18.23.2/24 -v \
	    --user daemon
	check_dropped "$SV" "$TMP/daemon.log" "$(id -u daemon)"
	stop "$SV" || fail "server --user daemon exit status $?"
	say "--user daemon: ok"
fi

if timeout 10 ip netns exec "${NS_PREFIX}a" "$SERVER" -i wsa0 \
    --ip 198.18.23.2/24 --user no-such-user-ws >"$TMP/nouser" 2>&1; then
	fail "--user no-such-user-ws accepted"
fi
grep -q "no user 'no-such-user-ws'" "$TMP/nouser" ||
	{ cat "$TMP/nouser"; fail "unknown user: no clear message"; }
say "$(tail -1 "$TMP/nouser")"
say "PASS"
exit 0

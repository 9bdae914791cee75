#!/bin/sh
# Memcheck over a whole session: server and client both run under
# valgrind --leak-check=full (wirestack at both ends of a veth, Ethernet
# mode): ARP, the seed dialog, then 1 MB through --echo, byte-exact, and
# a clean exit.  Any invalid access, uninitialised byte sent to the
# kernel, or definite/possible leak makes valgrind exit 99 and the test
# fail.
#
# Valgrind cannot run AddressSanitizer binaries, so this test skips (77)
# on an --enable-asan build; .ci/run builds a second tree without ASan and
# runs just this test there.
. "$(dirname "$0")/lib.sh"
require_root ethtool cmp valgrind

if grep -qa '__asan_init' "$SERVER" "$CLIENT"; then
	skip "the binaries are built with AddressSanitizer (valgrind cannot run them; configure without --enable-asan)"
fi

VG="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible --track-origins=yes --num-callers=30"

ns_new a
ns_new b
veth a wsa0 b wsb0
SV_IP=198.18.24.2
CL_IP=198.18.24.1

# vg_check LOG: valgrind's summary in LOG says no errors.
vg_check() {
	grep -q 'ERROR SUMMARY: 0 errors' "$1" ||
		{ sed 's/^/  | /' "$1"; fail "valgrind found errors ($1)"; }
}

# 1. The dialog.
spawn SV "$TMP/server.log" a $VG --log-file="$TMP/vg-server.log" \
    "$SERVER" -i wsa0 --ip $SV_IP/24 -v
wait_log "$TMP/server.log" "TCP server listening on port" 60 "$SV"
printf 'hello\nunder valgrind\n' |
    timeout 120 ip netns exec "${NS_PREFIX}b" $VG \
    --log-file="$TMP/vg-client.log" "$CLIENT" -i wsb0 --ip $CL_IP/24 -v \
    $SV_IP 8080 >"$TMP/out" 2>"$TMP/client.log"
rc=$?
[ $rc = 0 ] || { cat "$TMP/client.log"; sed 's/^/  | /' "$TMP/vg-client.log"; fail "client exit status $rc"; }
expect_file "$TMP/out" 'Server received: hello
Server received: under valgrind
' "dialog under valgrind"
vg_check "$TMP/vg-client.log"
stop "$SV" || { cat "$TMP/server.log"; sed 's/^/  | /' "$TMP/vg-server.log"; fail "server exit status $?"; }
vg_check "$TMP/vg-server.log"
say "dialog: ok, valgrind clean on both ends"

# 2. 1 MB of random bytes through the echo server.
head -c 1048576 /dev/urandom >"$TMP/in" || hard_error "no random data"
spawn SV "$TMP/server2.log" a $VG --log-file="$TMP/vg-server2.log" \
    "$SERVER" -i wsa0 --ip $SV_IP/24 --echo -v
wait_log "$TMP/server2.log" "TCP server listening on port" 60 "$SV"
t0=$(now)
timeout 300 ip netns exec "${NS_PREFIX}b" $VG \
    --log-file="$TMP/vg-client2.log" "$CLIENT" -i wsb0 --ip $CL_IP/24 -v \
    $SV_IP 8080 <"$TMP/in" >"$TMP/out2" 2>"$TMP/client2.log"
rc=$?
t1=$(now)
[ $rc = 0 ] || { tail -30 "$TMP/client2.log"; sed 's/^/  | /' "$TMP/vg-client2.log"; fail "client exit status $rc (echo)"; }
cmp "$TMP/in" "$TMP/out2" || fail "1 MB echo under valgrind differs"
vg_check "$TMP/vg-client2.log"
stop "$SV" || { tail -30 "$TMP/server2.log"; sed 's/^/  | /' "$TMP/vg-server2.log"; fail "server exit status $?"; }
vg_check "$TMP/vg-server2.log"
say "1 MB echo: ok in $(elapsed "$t0" "$t1") s, valgrind clean on both ends"
say "PASS"
exit 0

#!/bin/sh
# SYN flood (RFC 4987): 100,000 SYNs from random spoofed sources in
# 198.18.0.0/15 hit wirestack's server; a real kernel client (socat)
# connects and holds its dialog while the flood runs and after it.  The
# half-open queue fills at once, so the server must answer with SYN
# cookies (its counters say how many) and still serve the client.
. "$(dirname "$0")/lib.sh"
require_root ethtool socat python3

SYNS=${WS_SYNFLOOD_SYNS:-100000}
ns_new a                       # wirestack, 198.18.30.2
ns_new b                       # the kernel: the client and the flood
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.30.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.30.2

# The gateway takes the SYN,ACKs to the spoofed (off-link) sources: the
# kernel drops them (no forwarding), as the Internet would lose them.
start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 \
    --gw 198.18.30.1 --stats-json "$TMP/stats.json" -v

talk() {
	printf "$1" | timeout 30 ip netns exec "${NS_PREFIX}b" \
	    socat -t 10 - TCP:$WS_IP:8080,connect-timeout=20 >"$2" 2>"$2.err"
}

# The kernel learns wirestack's MAC before the flood starts.
talk 'before\n' "$TMP/out0" || { cat "$TMP/out0.err"; fail "socat (before)"; }
expect_file "$TMP/out0" 'Server received: before
' "dialog before the flood"

t0=$(now)
timeout 60 ip netns exec "${NS_PREFIX}b" \
    python3 "$WS_SRCDIR/tests/netns/synflood.py" $WS_IP 8080 "$SYNS" \
    198.18.30.0/24 >"$TMP/flood.out" 2>&1 &
FLOOD=$!
BG_PIDS="$BG_PIDS $FLOOD"

# During the flood: connect and talk (a few lines, both ways).
sleep 0.3
kill -0 $FLOOD 2>/dev/null || say "note: the flood ended before the client started"
talk 'during 1\nduring 2\n' "$TMP/out1" ||
	{ cat "$TMP/out1.err"; fail "socat during the flood"; }
expect_file "$TMP/out1" 'Server received: during 1
Server received: during 2
' "dialog during the flood"
during_done=$(now)
if kill -0 $FLOOD 2>/dev/null; then
	say "client served while the flood was still running"
fi

wait $FLOOD || { cat "$TMP/flood.out"; fail "flood sender failed or timed out"; }
t1=$(now)
say "flood: $(cat "$TMP/flood.out") ($(elapsed "$t0" "$t1") s wall; client done after $(elapsed "$t0" "$during_done") s)"

# After the flood: the half-open queue still holds flood embryos (their
# SYN,ACKs go unanswered); a new client gets in all the same.
talk 'after\n' "$TMP/out2" || { cat "$TMP/out2.err"; fail "socat after the flood"; }
expect_file "$TMP/out2" 'Server received: after
' "dialog after the flood"

kill -0 "$SV" 2>/dev/null || fail "server died"
stop "$SV" || { tail -20 "$TMP/server.log"; fail "server exit status $?"; }

# The counters: syncookies_sent by name, or by its position in
# struct ws_tcp_stats while apps/report.c does not name it yet.
idx=$(awk '/^struct ws_tcp_stats/ { f = 1; n = 0; next }
    f && /^};/ { exit }
    f && /uint64_t/ { if ($2 ~ /^syncookies_sent;/) { print n; exit } n++ }' \
    "$WS_SRCDIR/include/wirestack/stats.h")
python3 - "$TMP/stats.json" "$idx" >"$TMP/counters" <<'EOF' ||
import json, sys
d = json.load(open(sys.argv[1]))
def find(o):
    if isinstance(o, dict):
        if "rcvtotal" in o and "sndtotal" in o:
            return o
        for v in o.values():
            r = find(v)
            if r is not None:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None:
                return r
    return None
t = find(d)
def get(name, idx=None):
    if name in t:
        return t[name]
    if idx not in (None, ""):
        return t.get("counter_" + idx, 0)
    return 0
print(get("syncookies_sent", sys.argv[2]), get("rcvtotal"), get("accepts"))
EOF
	{ cat "$TMP/stats.json"; fail "cannot read the server's counters"; }
read cookies rcvtotal accepts <"$TMP/counters"
say "server: $rcvtotal TCP segments received, $cookies SYN cookies sent, $accepts connections from its queue or cookies"
[ "${cookies:-0}" -gt 0 ] || fail "no SYN cookies sent under a flood"
say "PASS"
exit 0

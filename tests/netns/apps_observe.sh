#!/bin/sh
# The apps' operability flags against a real peer (socat on the kernel):
#  1. fault injection (--loss --dup --reorder --corrupt --seed) on
#     wirestack's own device: 1 MB still echoes byte-exact, recovery shows
#     in the counters; SIGUSR1 prints them (netstat -s shape) with the
#     connection table (ss -ti shape) and rewrites --stats-json, which is
#     valid JSON with the same counters;
#  2. -vv: one tcpdump-style line per frame in and out;
#  3. --cc: newreno and cubic are taken (or refused with a clear message
#     when this build has no CUBIC); bad values are usage errors (exit 2).
. "$(dirname "$0")/lib.sh"
require_root ethtool socat cmp python3

ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.25.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.25.2

# --- 1. faults, SIGUSR1, --stats-json ---------------------------------------
head -c 1048576 /dev/urandom >"$TMP/in" || hard_error "no random data"
start_server SV "$TMP/server.log" a -i wsa0 --ip $WS_IP/24 --echo -v \
    --loss 3 --dup 2 --reorder 3 --corrupt 1 --seed 7 \
    --stats-json "$TMP/stats.json"
grep -q 'fault injection on wsa0, both directions: loss 3%, dup 2%, reorder 3%, corrupt 1%, --seed 7' \
    "$TMP/server.log" || { cat "$TMP/server.log"; fail "no fault injection line"; }
timeout 120 ip netns exec "${NS_PREFIX}b" \
    socat -t 30 -T 60 - TCP:$WS_IP:8080,connect-timeout=10 \
    <"$TMP/in" >"$TMP/out" 2>"$TMP/socat.err" ||
	{ cat "$TMP/socat.err"; tail -30 "$TMP/server.log"; fail "socat failed under faults"; }
cmp "$TMP/in" "$TMP/out" || fail "1 MB echo under faults differs"
say "1 MB echo with 3% loss, 2% dup, 3% reorder, 1% corrupt: ok"

# An idle connection stays open, so the table has a live row.
timeout 30 ip netns exec "${NS_PREFIX}b" \
    socat -u TCP:$WS_IP:8080 - >/dev/null 2>&1 </dev/null &
IDLE=$!
wait_count "$TMP/server.log" 'connected \(' 1 10
n=$(count "$TMP/server.log" '^Tcp:$')
kill -USR1 "$SV"
wait_count "$TMP/server.log" '^Tcp:$' "$n" 10
kill -0 "$SV" || fail "server died on SIGUSR1"
for want in '^Tcp:$' '^    1 passive connection openings$|^    2 passive connection openings$' \
    '^    [1-9][0-9]* segments retransmitted$' \
    '^    [1-9][0-9]* frames dropped on purpose \(--loss\)$' \
    '^State +Recv-Q +Local Address:Port +Peer Address:Port' \
    "^ESTAB +0 +$WS_IP:8080 +198\\.18\\.25\\.1:[0-9]+" \
    '^	 (newreno|cubic) .*rto:[0-9]+ rtt:[0-9.]+/[0-9.]+ .*cwnd:[0-9]+ .*retrans:[0-9]+'; do
	grep -Eq "$want" "$TMP/server.log" ||
		{ cat "$TMP/server.log"; fail "SIGUSR1 report: no line matching '$want'"; }
done
say "SIGUSR1: counters and connection table printed"
python3 - "$TMP/stats.json" <<'EOF' || fail "--stats-json is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["counters"]
assert d["program"] == "server", d["program"]
assert c["tcp"]["accepts"] >= 1, c["tcp"]
assert c["tcp"]["sndrexmitpack"] > 0, "no retransmission counted"
assert d["link"]["fault_dropped"] > 0, d["link"]
assert any(x["state"] == "ESTAB" and x["local_port"] == 8080
           for x in d["connections"]), d["connections"]
for layer in ("ether", "arp", "ip4", "icmp", "tcp"):
    assert all(isinstance(v, int) for v in c[layer].values()), layer
print("stats.json: %d retransmitted, %d dropped on purpose, %d connections"
      % (c["tcp"]["sndrexmitpack"], d["link"]["fault_dropped"],
         len(d["connections"])))
EOF
stop "$SV" || { tail -30 "$TMP/server.log"; fail "server exit status $?"; }
wait "$IDLE"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/stats.json" ||
	fail "--stats-json after exit is not valid JSON"
say "--stats-json: valid, rewritten at exit"

# --- 2. -vv: per-frame trace -------------------------------------------------
start_server SV "$TMP/trace.log" a -i wsa0 --ip $WS_IP/24 -vv
printf 'traced\n' | timeout 20 ip netns exec "${NS_PREFIX}b" \
    socat -t 5 - TCP:$WS_IP:8080,connect-timeout=5 >"$TMP/tout" ||
	fail "socat failed (trace)"
expect_file "$TMP/tout" 'Server received: traced
' "dialog with -vv"
stop "$SV" || fail "server exit status $? (trace)"
T='^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} wsa0 '
for want in "${T}Out ARP, Request who-has [0-9.]+ tell $WS_IP, length 28" \
    "${T}(In  ARP, Reply 198\\.18\\.25\\.1 is-at |Out ARP, Reply $WS_IP is-at )" \
    "${T}In  IP 198\\.18\\.25\\.1\\.[0-9]+ > $WS_IP\\.8080: Flags \\[S\\], seq [0-9]+, win [0-9]+, options \\[mss 1460,sackOK,TS val [0-9]+ ecr 0,nop,wscale [0-9]+\\], length 0" \
    "${T}Out IP $WS_IP\\.8080 > 198\\.18\\.25\\.1\\.[0-9]+: Flags \\[S\\.\\], seq [0-9]+, ack [0-9]+, " \
    "${T}In  IP .*: Flags \\[P\\.\\], seq [0-9]+:[0-9]+, ack [0-9]+, .*length 7\$" \
    "${T}Out IP .*: Flags \\[P\\.\\], seq [0-9]+:[0-9]+, .*length 24\$" \
    "${T}(In |Out) IP .*: Flags \\[F\\.\\], seq "; do
	grep -Eq "$want" "$TMP/trace.log" ||
		{ cat "$TMP/trace.log"; fail "-vv: no line matching '$want'"; }
done
say "-vv: $(grep -Ec "$T" "$TMP/trace.log") frames traced"

# --- 3. --cc and bad values --------------------------------------------------
for cc in newreno cubic; do
	spawn SV "$TMP/cc-$cc.log" a "$SERVER" -i wsa0 --ip $WS_IP/24 --cc $cc -v
	i=0
	while ! grep -Eq 'listening|not available' "$TMP/cc-$cc.log" &&
	    kill -0 "$SV" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if grep -q listening "$TMP/cc-$cc.log"; then
		printf 'cc\n' | timeout 20 ip netns exec "${NS_PREFIX}b" \
		    socat -t 5 - TCP:$WS_IP:8080,connect-timeout=5 \
		    >"$TMP/ccout" || fail "socat failed (--cc $cc)"
		expect_file "$TMP/ccout" 'Server received: cc
' "--cc $cc"
		stop "$SV" || fail "server exit status $? (--cc $cc)"
		# The exit report names each connection's algorithm.
		grep -Eq "^	 $cc wscale" "$TMP/cc-$cc.log" ||
			{ cat "$TMP/cc-$cc.log"; fail "--cc $cc not in use"; }
		say "--cc $cc: ok"
	else
		wait "$SV" && fail "--cc $cc refused with exit status 0"
		grep -q "congestion control '$cc' is not available in this build" \
		    "$TMP/cc-$cc.log" || { cat "$TMP/cc-$cc.log"; fail "--cc $cc: unclear error"; }
		say "--cc $cc: $(tail -1 "$TMP/cc-$cc.log")"
	fi
done
for bad in '--cc reno' '--loss 101' '--dup -1' '--reorder x' '--seed y'; do
	timeout 5 ip netns exec "${NS_PREFIX}a" "$SERVER" $bad >"$TMP/bad" 2>&1
	rc=$?
	[ $rc = 2 ] || { cat "$TMP/bad"; fail "'$bad': exit status $rc, not 2"; }
done
say "bad values: usage errors"
say "PASS"
exit 0

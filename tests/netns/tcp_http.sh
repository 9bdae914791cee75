#!/bin/sh
# wirestack's client fetches pages from Python's http.server in the kernel
# namespace: a small page and a 1 MB file, compared byte for byte.
. "$(dirname "$0")/lib.sh"
require_root ethtool python3 cmp

ns_new a
ns_new b
veth a wsa0 b wsb0
ip -n "${NS_PREFIX}b" addr add 198.18.22.1/24 dev wsb0 || hard_error "addr"
WS_IP=198.18.22.2

mkdir "$TMP/www"
printf '<html><body>hello from the kernel</body></html>\n' \
    >"$TMP/www/index.html"
head -c 1048576 /dev/urandom >"$TMP/www/blob.bin"

spawn HTTP "$TMP/http.log" b python3 -m http.server 8000 \
    --bind 198.18.22.1 --directory "$TMP/www"
i=0
until ip netns exec "${NS_PREFIX}b" ss -ltn 2>/dev/null | grep -q ':8000 '; do
	[ $i -ge 100 ] && { cat "$TMP/http.log"; hard_error "http.server did not start"; }
	sleep 0.1
	i=$((i + 1))
done

# get PATH OUT: fetch with a hand-written HTTP/1.0 request.
get() {
	printf 'GET %s HTTP/1.0\r\nHost: 198.18.22.1\r\nUser-Agent: wirestack\r\n\r\n' "$1" |
	    timeout 30 ip netns exec "${NS_PREFIX}a" "$CLIENT" -i wsa0 \
	    --ip $WS_IP/24 198.18.22.1 8000 >"$2" 2>"$2.err" ||
		{ cat "$2.err"; fail "client failed fetching $1"; }
}

# body RESPONSE OUT: the bytes after the blank line ending the headers.
body() {
	python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\r\n\r\n")
if i < 0:
    sys.exit("no end of headers")
open(sys.argv[2], "wb").write(d[i + 4:])' "$1" "$2"
}

get / "$TMP/resp1"
head -1 "$TMP/resp1" | grep -q '^HTTP/1.0 200' ||
	{ head -5 "$TMP/resp1"; fail "GET / did not answer 200"; }
body "$TMP/resp1" "$TMP/body1" || fail "GET /: malformed response"
cmp -s "$TMP/www/index.html" "$TMP/body1" || fail "GET /: wrong page"
say "GET /: $(head -1 "$TMP/resp1" | tr -d '\r')"

t0=$(now)
get /blob.bin "$TMP/resp2"
t1=$(now)
body "$TMP/resp2" "$TMP/body2" || fail "GET /blob.bin: malformed response"
cmp "$TMP/www/blob.bin" "$TMP/body2" || fail "GET /blob.bin: body differs"
say "GET /blob.bin (1 MB): byte-exact in $(elapsed "$t0" "$t1") s"

get /no-such-page "$TMP/resp3"
head -1 "$TMP/resp3" | grep -q '^HTTP/1.0 404' || fail "expected a 404"
say "GET /no-such-page: 404"
say "PASS"
exit 0

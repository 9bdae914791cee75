# Shared by the tests in tests/netns/ (sourced, POSIX sh).
#
# Each test builds its own world: fresh network namespaces with unique
# names (ws-<pid>-<name>), joined by veth pairs, with addresses only in
# 198.18.0.0/15 (RFC 2544 benchmarking space).  wirestack's end of a veth
# never gets a kernel address: wirestack is its own host there.  Checksum
# and segmentation offloads are off on both ends, so frames on the wire
# carry real checksums and real sizes (a veth otherwise passes the kernel's
# partial checksums and 64 KB "segments" straight to pcap).
#
# Everything is undone by a trap on EXIT/INT/TERM: background processes
# are killed, namespaces deleted, temporary files removed.  Every wait is
# bounded.  Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard
# error (the harness itself failed).

WS_BUILDDIR=${WS_BUILDDIR:-$(pwd)}
WS_SRCDIR=${WS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SERVER=$WS_BUILDDIR/server
CLIENT=$WS_BUILDDIR/client
NS_PREFIX="ws-$$-"
NS_LIST=""
BG_PIDS=""
TEST_NAME=$(basename "$0" .sh)

say() {
	printf '%s: %s\n' "$TEST_NAME" "$*"
}

skip() {
	say "SKIP: $*"
	exit 77
}

fail() {
	say "FAIL: $*"
	exit 1
}

# The harness could not build its world: not the code under test's fault.
hard_error() {
	say "ERROR: $*"
	exit 99
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, raw sockets)"
	for tool in ip unshare timeout "$@"; do
		command -v "$tool" >/dev/null 2>&1 || skip "needs $tool"
	done
	[ -x "$SERVER" ] && [ -x "$CLIENT" ] ||
		hard_error "no ./server or ./client in $WS_BUILDDIR (build first)"
	# A quick probe: some containers are root but may not make namespaces.
	ip netns add "${NS_PREFIX}probe" 2>/dev/null ||
		skip "cannot create network namespaces here"
	ip netns del "${NS_PREFIX}probe"
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	for pid in $BG_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $BG_PIDS; do
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in $NS_LIST; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'say "interrupted"; exit 99' INT TERM

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirestack-$TEST_NAME.XXXXXX") ||
	hard_error "mktemp failed"

# ns_new NAME: a fresh namespace with lo up.  Refer to it as NAME below.
ns_new() {
	ip netns add "$NS_PREFIX$1" || hard_error "ip netns add $1"
	NS_LIST="$NS_LIST $NS_PREFIX$1"
	ip -n "$NS_PREFIX$1" link set lo up || hard_error "lo up in $1"
}

# ns NAME CMD...: run CMD inside namespace NAME.
ns() {
	_ns=$1
	shift
	ip netns exec "$NS_PREFIX$_ns" "$@"
}

# veth NS_A IF_A NS_B IF_B: a veth pair, one end in each namespace, up,
# offloads off on both ends.
veth() {
	ip link add "ws$$a" type veth peer name "ws$$b" ||
		hard_error "ip link add veth"
	ip link set "ws$$a" netns "$NS_PREFIX$1" name "$2" ||
		hard_error "move veth to $1"
	ip link set "ws$$b" netns "$NS_PREFIX$3" name "$4" ||
		hard_error "move veth to $3"
	for end in "$1 $2" "$3 $4"; do
		set -- $end
		ns "$1" ethtool -K "$2" tx off tso off gso off gro off \
		    >/dev/null 2>&1 ||
			hard_error "ethtool -K $2 (install ethtool)"
		ns "$1" ethtool -K "$2" rx off >/dev/null 2>&1
		ip -n "$NS_PREFIX$1" link set "$2" up ||
			hard_error "link up $2"
	done
}

# mac_of NS IF: the interface's MAC.
mac_of() {
	ip -n "$NS_PREFIX$1" -o link show "$2" |
	    sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# spawn NAME LOG NS CMD...: start CMD in namespace NS in the background,
# stdout and stderr to LOG; sets the variable NAME to its pid.
spawn() {
	_var=$1
	_log=$2
	_ns=$3
	shift 3
	ip netns exec "$NS_PREFIX$_ns" "$@" >"$_log" 2>&1 </dev/null &
	_pid=$!
	BG_PIDS="$BG_PIDS $_pid"
	eval "$_var=$_pid"
}

# wait_log LOG PATTERN SECS PID: until LOG matches PATTERN (grep -E);
# fails if PID dies or SECS pass.
wait_log() {
	_i=0
	while ! grep -Eq "$2" "$1" 2>/dev/null; do
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			sed 's/^/  | /' "$1" >&2
			fail "process $4 died before printing '$2'"
		fi
		[ $_i -ge $(($3 * 10)) ] && {
			sed 's/^/  | /' "$1" >&2
			fail "timed out after $3 s waiting for '$2' in $1"
		}
		sleep 0.1
		_i=$((_i + 1))
	done
}

# count LOG PATTERN: how many lines of LOG match PATTERN (grep -E).
count() {
	grep -Ec "$2" "$1" 2>/dev/null || true
}

# wait_count LOG PATTERN N SECS: until more than N lines match.
wait_count() {
	_i=0
	while [ "$(count "$1" "$2")" -le "$3" ]; do
		[ $_i -ge $(($4 * 10)) ] && {
			sed 's/^/  | /' "$1" >&2
			fail "timed out after $4 s waiting for another '$2' in $1"
		}
		sleep 0.1
		_i=$((_i + 1))
	done
}

# stop PID: SIGTERM, wait (bounded) and return its exit status.
stop() {
	kill -TERM "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		say "process $1 ignored SIGTERM for 5 s"
		return 124
	fi
	wait "$1"
}

# start_server VAR LOG NS ARGS...: start ./server and wait for its
# "listening" line.
start_server() {
	_sv=$1
	_slog=$2
	_sns=$3
	shift 3
	spawn "$_sv" "$_slog" "$_sns" "$SERVER" "$@"
	eval "_spid=\$$_sv"
	wait_log "$_slog" "TCP server listening on port" 10 "$_spid"
}

# wait_tcp_listen NS PORT WHAT: until a kernel socket in NS listens on
# PORT (bounded: 5 s), else a harness error naming WHAT.
wait_tcp_listen() {
	_i=0
	until ip netns exec "$NS_PREFIX$1" ss -ltn 2>/dev/null |
	    grep -q ":$2 "; do
		[ $_i -ge 50 ] && hard_error "$3 did not start"
		sleep 0.1
		_i=$((_i + 1))
	done
}

# now: seconds since the epoch, with nanoseconds, for timings.
now() {
	date +%s.%N
}

elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

# status_field PID FIELD: a line of /proc/PID/status, without the name.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"
}

# check_dropped PID LOG UID: the process (an app run with -v, which logs
# "seccomp filter on" or why it is off) runs as UID with no capability in
# any set, no_new_privs, and the seccomp filter when it says so; only a
# sanitizer build may go without one (privdrop.c skips it there).
check_dropped() {
	for f in CapInh CapPrm CapEff CapAmb; do
		[ "$(status_field "$1" $f)" = 0000000000000000 ] ||
			fail "$f is $(status_field "$1" $f), not empty"
	done
	set -- "$1" "$2" "$3" "$(status_field "$1" Uid)"
	[ "$4" = "$3	$3	$3	$3" ] || fail "uids are '$4', not all $3"
	[ "$(status_field "$1" NoNewPrivs)" = 1 ] || fail "no_new_privs not set"
	if grep -q 'seccomp filter on' "$2"; then
		[ "$(status_field "$1" Seccomp)" = 2 ] ||
			fail "says seccomp is on, but Seccomp is $(status_field "$1" Seccomp)"
	else
		grep -q 'seccomp filter off: AddressSanitizer' "$2" ||
			{ cat "$2"; fail "seccomp off without a reason"; }
	fi
}

# expect_file FILE EXPECTED_TEXT: FILE must hold exactly that text.
expect_file() {
	printf '%s' "$2" >"$TMP/expected"
	if ! cmp -s "$TMP/expected" "$1"; then
		say "expected:"
		sed 's/^/  | /' "$TMP/expected"
		say "got:"
		sed 's/^/  | /' "$1"
		fail "${3:-output differs}"
	fi
}

#!/bin/bash
# Run every libFuzzer target of wirestack for a bounded time, under
# ASan+UBSan, and fail on any finding.
#
#   tests/fuzz/run.sh [-b BUILDDIR] [-t SECONDS] [-j JOBS] [-s SEED] [TARGET ...]
#
#   -b BUILDDIR  a build configured with CC=clang --enable-fuzz (the
#                fuzzers are built there with make); without -b a fresh
#                one is configured in ${TMPDIR:-/tmp}/wirestack-fuzz
#   -t SECONDS   time per target (default 60)
#   -j JOBS      make -j (default 2)
#   -s SEED      libFuzzer's -seed (default: random).  CI passes a fixed
#                seed so that a run can be repeated exactly; make fuzz
#                explores with a new one each time.
#   TARGET       ether_wire arp_wire ip4_wire tcp_wire stack (default: all)
#
# Each target starts from tests/fuzz/corpus/<target> and
# tests/fuzz/regressions/<target>; what it learns goes to
# BUILDDIR/fuzz-corpus/<target> (kept between runs), crashes to
# BUILDDIR/fuzz-artifacts/<target>/.  For each target one line:
#   fuzz <target>: <execs> execs, <execs/s> exec/s, <N> corpus files, ok|FAILED
# A crash, leak, timeout or failed invariant makes the script exit 1;
# minimize with  fuzz_<target> -minimize_crash=1 -runs=100000 <crash>
# and save the result as tests/fuzz/regressions/<target>/<name>.
set -uo pipefail

SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=
SECONDS_PER=60
JOBS=2
SEED=0
while getopts "b:t:j:s:h" opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	t) SECONDS_PER=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	s) SEED=$OPTARG ;;
	*) sed -n '2,23p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
	TARGETS=(ether_wire arp_wire ip4_wire tcp_wire stack)
fi

if [ -z "$BUILD" ]; then
	BUILD=${TMPDIR:-/tmp}/wirestack-fuzz
	if [ ! -f "$BUILD/Makefile" ]; then
		[ -x "$SRCDIR/configure" ] || (cd "$SRCDIR" && autoreconf -fi) ||
		    exit 1
		mkdir -p "$BUILD"
		(cd "$BUILD" && CC=${CC:-clang} "$SRCDIR/configure" \
		    --enable-fuzz --enable-werror) >"$BUILD/configure.log" 2>&1 || {
			tail -20 "$BUILD/configure.log"
			echo "run.sh: configure failed (see $BUILD/configure.log)" >&2
			exit 1
		}
	fi
fi
BUILD=$(cd "$BUILD" && pwd)
progs=()
for t in "${TARGETS[@]}"; do
	progs+=("tests/fuzz/fuzz_$t")
done
make -C "$BUILD" -j"$JOBS" "${progs[@]}" >"$BUILD/fuzz-make.log" 2>&1 || {
	tail -30 "$BUILD/fuzz-make.log"
	echo "run.sh: building the fuzzers failed (configured with --enable-fuzz?)" >&2
	exit 1
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${TARGETS[@]}"; do
	prog=$BUILD/tests/fuzz/fuzz_$t
	work=$BUILD/fuzz-corpus/$t
	art=$BUILD/fuzz-artifacts/$t
	log=$BUILD/fuzz-$t.log
	mkdir -p "$work" "$art"
	dirs=("$work" "$SRCDIR/tests/fuzz/corpus/$t")
	[ -d "$SRCDIR/tests/fuzz/regressions/$t" ] &&
	    dirs+=("$SRCDIR/tests/fuzz/regressions/$t")
	# The first directory receives new inputs; the repository's are
	# only read.
	"$prog" -seed="$SEED" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=4096 -print_final_stats=1 -artifact_prefix="$art/" \
	    "${dirs[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	files=$(find "$work" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		res=ok
	else
		res=FAILED
		status=1
	fi
	printf 'fuzz %s: %s execs, %s exec/s, %s corpus files, %s\n' "$t" \
	    "${execs:-?}" "${rate:-?}" "$files" "$res"
	if [ $rc -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|invariant failed|leak:|Test unit written' \
		    "$log" | head -20
		echo "  log: $log; artifacts: $art/"
	fi
done
exit $status

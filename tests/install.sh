#!/bin/sh
# Installation, end to end, from a configured and built tree:
#   1. "make install DESTDIR=..." puts the library, the public headers,
#      wirestack.pc, the programs and every man page in place;
#   2. the example (examples/echo_client.c) compiles against the INSTALLED
#      headers and library through pkg-config, and runs (--selftest: two
#      stacks over an in-memory link, no privileges needed);
#   3. every installed man page renders without a warning (mandoc -Tlint,
#      else groff -ww), "man 1 wirestack-server" finds its page, every
#      exported function has a link to its section 3 page (the list the
#      build made, man3-links.txt) and "man ws_tcp_open" renders through it;
#   4. "make uninstall" leaves no file (and no link) behind.
#
# Usage: tests/install.sh [BUILDDIR]   (default: the current directory)
# Exit status: 0 pass, 1 fail, 99 the harness itself failed.
set -u

BUILD=${1:-${WS_BUILDDIR:-$(pwd)}}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-cc}
say() { printf 'install: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }
hard_error() { say "ERROR: $*"; exit 99; }

[ -f "$BUILD/Makefile" ] || hard_error "no Makefile in $BUILD (configure first)"
command -v pkg-config >/dev/null 2>&1 || hard_error "needs pkg-config"
DEST=$(mktemp -d "${TMPDIR:-/tmp}/wirestack-install.XXXXXX") ||
	hard_error "mktemp"
trap 'rm -rf "$DEST"' EXIT INT TERM

# --- 1. install ----------------------------------------------------------
make -C "$BUILD" -s install DESTDIR="$DEST" >"$DEST.log" 2>&1 ||
	{ cat "$DEST.log"; rm -f "$DEST.log"; fail "make install"; }
rm -f "$DEST.log"
pc=$(find "$DEST" -name wirestack.pc -type f | head -1)
[ -n "$pc" ] || fail "wirestack.pc not installed"
# prefix/lib/pkgconfig/wirestack.pc
PREFIX=$(dirname "$(dirname "$(dirname "$pc")")")
LIBDIR=$PREFIX/lib
MANDIR=$PREFIX/share/man
for f in lib/libwirestack.so include/wirestack/wirestack.h \
    include/wirestack/err.h include/wirestack/link.h include/wirestack/loop.h \
    include/wirestack/stack.h include/wirestack/stats.h \
    include/wirestack/tcp.h include/wirestack/time.h \
    bin/wirestack-server bin/wirestack-client \
    share/man/man1/wirestack-server.1 share/man/man1/wirestack-client.1 \
    share/man/man3/wirestack_stack.3 share/man/man3/wirestack_tcp.3 \
    share/man/man3/wirestack_link.3 share/man/man3/wirestack_loop.3 \
    share/man/man7/wirestack.7; do
	[ -e "$PREFIX/$f" ] || fail "not installed: ${PREFIX#"$DEST"}/$f"
done
# Only the public headers, nothing internal.
extra=$(find "$PREFIX/include" -type f ! -path '*/include/wirestack/*.h')
[ -z "$extra" ] || fail "unexpected headers installed: $extra"
say "installed under ${PREFIX#"$DEST"}: $(find "$DEST" -type f | wc -l) files"

# --- 2. the example against the installed library --------------------------
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$DEST"
flags=$(pkg-config --cflags --libs wirestack) ||
	fail "pkg-config --cflags --libs wirestack"
say "pkg-config: $flags"
case $flags in
*"-I$DEST"*) ;;
*) fail "pkg-config does not point into the staged prefix" ;;
esac
# A sanitizer build's library needs the same runtime in the program.
san=
if grep -qa '__asan_init' "$LIBDIR/libwirestack.so"; then
	san="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2086 # $flags and $san are word lists
$CC -std=c11 -Wall -Wextra -Werror $san -o "$DEST/echo_client" \
    "$SRC/examples/echo_client.c" $flags ||
	fail "the example does not build against the installed library"
out=$(LD_LIBRARY_PATH="$LIBDIR" "$DEST/echo_client" --selftest) ||
	fail "echo_client --selftest failed: $out"
say "$out"
LD_LIBRARY_PATH="$LIBDIR" "$DEST/echo_client" --help | grep -q '^usage:' ||
	fail "echo_client --help"
# It used the installed library, not the build tree's.
LD_LIBRARY_PATH="$LIBDIR" ldd "$DEST/echo_client" 2>/dev/null |
    grep -q "$LIBDIR/libwirestack.so" || fail "not linked to the installed library"
rm -f "$DEST/echo_client"
unset PKG_CONFIG_SYSROOT_DIR

# --- 3. man pages ------------------------------------------------------------
pages=$(find "$MANDIR" -type f | sort)
for page in $pages; do
	if command -v mandoc >/dev/null 2>&1; then
		msgs=$(mandoc -Tlint -W warning "$page" 2>&1)
	else
		msgs=$(groff -mandoc -ww -z "$page" 2>&1)
	fi
	[ -z "$msgs" ] || { echo "$msgs"; fail "warnings in $(basename "$page")"; }
done
say "$(echo "$pages" | wc -l) man pages render without warnings"
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -M "$MANDIR" 1 wirestack-server 2>/dev/null |
	    grep -q 'wirestack-server' || fail "man 1 wirestack-server"
	MANWIDTH=80 man -M "$MANDIR" 3 wirestack_tcp 2>/dev/null |
	    grep -q 'ws_tcp_open' || fail "man 3 wirestack_tcp"
	MANWIDTH=80 man -M "$MANDIR" ws_tcp_open 2>/dev/null |
	    grep -q 'ws_tcp_connect' || fail "man ws_tcp_open"
	say "man 1 wirestack-server, man 3 wirestack_tcp, man ws_tcp_open: ok"
else
	say "man(1) missing: not tried"
fi

[ -f "$BUILD/man3-links.txt" ] || fail "no man3-links.txt in $BUILD"
nlinks=0
while read -r fn page; do
	link=$MANDIR/man3/$fn.3
	[ -L "$link" ] || fail "no link $fn.3"
	[ "$(readlink "$link")" = "$page" ] ||
		fail "$fn.3 points to $(readlink "$link"), not $page"
	[ -f "$link" ] || fail "$fn.3 -> $page dangles"
	nlinks=$((nlinks + 1))
done <"$BUILD/man3-links.txt"
[ "$nlinks" -gt 0 ] || fail "man3-links.txt is empty"
say "$nlinks per-function man links, each to its page"

# --- 4. uninstall ------------------------------------------------------------
make -C "$BUILD" -s uninstall DESTDIR="$DEST" >/dev/null 2>&1 ||
	fail "make uninstall"
left=$(find "$DEST" ! -type d)
[ -z "$left" ] || { echo "$left"; fail "make uninstall left files behind"; }
say "make uninstall: nothing left"
say "PASS"
exit 0

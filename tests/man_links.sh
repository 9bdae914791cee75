#!/bin/sh
# Per-function man pages: man3-links.txt (made by the Makefile from the
# NAME sections of man/wirestack_*.3, installed as one symbolic link per
# function) must name exactly the functions libwirestack.so exports, each
# once, each to a page that exists.  A function added with WS_EXPORT but
# not to a page's NAME section (or a name left behind after a removal)
# fails here.
# Exit status: 0 pass, 1 fail, 77 skip (no shared library or no nm),
# 99 the harness itself failed.
set -u
BUILD=${WS_BUILDDIR:-$(pwd)}
SRC=${WS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
say() { printf 'man_links: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

command -v nm >/dev/null 2>&1 || { say "SKIP: needs nm"; exit 77; }
SO=$BUILD/.libs/libwirestack.so
[ -f "$SO" ] || { say "SKIP: no $SO (--disable-shared?)"; exit 77; }
LIST=$BUILD/man3-links.txt
[ -f "$LIST" ] || { say "ERROR: no $LIST (make first)"; exit 99; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/wirestack-man_links.XXXXXX") ||
	{ say "ERROR: mktemp"; exit 99; }
trap 'rm -rf "$TMP"' EXIT INT TERM

# Exported functions (T: text) with the public prefix.
nm -D --defined-only "$SO" | awk '$2 == "T" && $3 ~ /^ws_/ { print $3 }' |
    sort >"$TMP/exported"
[ -s "$TMP/exported" ] || fail "nm found no ws_ function in $SO"
awk '{ print $1 }' "$LIST" | sort >"$TMP/listed"
dups=$(uniq -d "$TMP/listed")
[ -z "$dups" ] || fail "named in more than one page: $dups"
# Every other exported symbol is a function too: nothing else is public.
others=$(nm -D --defined-only "$SO" | awk '$3 ~ /^ws_/ && $2 != "T" { print $3 }')
[ -z "$others" ] || fail "exported ws_ symbols that are not functions: $others"
if ! cmp -s "$TMP/exported" "$TMP/listed"; then
	missing=$(comm -23 "$TMP/exported" "$TMP/listed" | tr '\n' ' ')
	extra=$(comm -13 "$TMP/exported" "$TMP/listed" | tr '\n' ' ')
	[ -z "$missing" ] ||
		say "exported but in no page's NAME section: $missing"
	[ -z "$extra" ] || say "in a NAME section but not exported: $extra"
	fail "man3-links.txt and the library's exports differ"
fi
while read -r fn page; do
	[ -f "$SRC/man/$page" ] || fail "$fn: no page man/$page"
	# The page documents it, not only names it.
	grep -q "^\.Fn $fn " "$SRC/man/$page" ||
		fail "$fn: named in $page but without a .Fn synopsis line"
done <"$LIST"
say "$(wc -l <"$TMP/listed") exported functions, each with a man page link"
say "PASS"
exit 0

#!/bin/sh
# Keeps docs/compliance.md (the RFC 9293 / RFC 1122 compliance matrix)
# true: every test it cites must still exist, be built, and be run.
#
#   tests/x/test_y.c::func  the file exists and is named in a tests/**/*.am
#                           fragment; func is defined in it and registered
#                           in its struct CMUnitTest array;
#   tests/x/y.sh            the script exists and is listed in a fragment
#                           that adds to TESTS;
#   tests/x/other           exists and is named in a fragment;
#   dir/file.c:func()       (implementation cited in a note) the file
#                           exists and defines func.
#
# It also checks the table format, the status words, that each of
# MUST-1..MUST-69 and SHLD-1..SHLD-31 appears exactly once, and that rows
# claiming a test cite one.  Exit 0: all true; 1: something is stale (each
# problem is listed); 99: the matrix cannot be read.  Unprivileged, no
# build products needed, read-only on the source tree.

srcdir=${WS_SRCDIR:-}
if [ -z "$srcdir" ]; then
	srcdir=$(cd "$(dirname "$0")/.." && pwd) || exit 99
fi
doc="$srcdir/docs/compliance.md"
if [ ! -r "$doc" ]; then
	echo "compliance: cannot read $doc" >&2
	exit 99
fi

# The Makefile fragments that build and list tests.
amfiles=$(find "$srcdir/tests" -name '*.am' 2>/dev/null | sort)
amfiles="$srcdir/Makefile.am $amfiles"

# One record per line, tab-separated:
#   R id status ntests hasnote   a requirement row
#   T id ref                     a backticked tests/ reference
#   C id file func               an implementation reference in a note
#   E message                    a malformed row
parsed=$(awk -F'|' '
function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}
/^\|/ {
	id = trim($2)
	if (id !~ /^(MUST|SHLD|LINK|IP|ICMP)-[0-9]+$/)
		next
	if (NF != 8) {
		printf "E\tline %d (%s): %d cells, want 6\n", NR, id, NF - 2
		next
	}
	sec = trim($3)
	status = trim($5)
	tests = $6
	note = trim($7)
	if (sec !~ /^[0-9]+(\.[0-9]+)*$/)
		printf "E\tline %d (%s): bad section \"%s\"\n", NR, id, sec
	if (trim($4) == "")
		printf "E\tline %d (%s): no requirement text\n", NR, id
	n = 0
	rest = tests
	gsub(/`[^`]*`/, "", rest)
	if (trim(rest) != "")
		printf "E\tline %d (%s): text outside backticks in the tests column\n",
		    NR, id
	while (match(tests, /`[^`]*`/)) {
		ref = substr(tests, RSTART + 1, RLENGTH - 2)
		tests = substr(tests, RSTART + RLENGTH)
		if (ref ~ /^tests\//)
			n++
		else
			printf "E\tline %d (%s): not a test reference: %s\n",
			    NR, id, ref
	}
	printf "R\t%s\t%s\t%d\t%d\t%d\n", id, status, n, note != "", NR
	row = $0
	while (match(row, /`[^`]*`/)) {
		ref = substr(row, RSTART + 1, RLENGTH - 2)
		row = substr(row, RSTART + RLENGTH)
		if (ref ~ /^tests\//)
			printf "T\t%s\t%s\n", id, ref
	}
	row = $7
	while (match(row, /[A-Za-z0-9_]+\/[A-Za-z0-9_]+\.[ch]:[A-Za-z_][A-Za-z0-9_]*\(\)/)) {
		ref = substr(row, RSTART, RLENGTH)
		row = substr(row, RSTART + RLENGTH)
		split(ref, part, ":")
		sub(/\(\)$/, "", part[2])
		printf "C\t%s\t%s\t%s\n", id, part[1], part[2]
	}
}
' "$doc") || exit 99

tab=$(printf '\t')

# Is the file (a path relative to srcdir) named in a fragment?  With $2,
# in one that also adds to TESTS.
in_am() {
	for am in $amfiles; do
		[ -f "$am" ] || continue
		grep -qF -- "$1" "$am" || continue
		if [ -z "$2" ] || grep -q 'TESTS' "$am"; then
			return 0
		fi
	done
	return 1
}

# Does the C file define function $2 (KNF "name(" at the start of a
# line, a one-line definition, or a wrapper macro "CASE(name, ...)")?
defines() {
	grep -Eq "^([A-Za-z_][A-Za-z0-9_]*[[:space:]*]+)*$2[[:space:]]*\([^;]*$|^[A-Z][A-Z0-9_]*\([[:space:]]*$2[[:space:]]*[,)]" "$1"
}

# Is function $2 named in the file's struct CMUnitTest array(s)?
registered() {
	awk -v fn="$2" '
	/struct[ \t]+CMUnitTest/ { inarr = 1 }
	inarr {
		line = $0
		while (match(line, /[A-Za-z_][A-Za-z0-9_]*/)) {
			if (substr(line, RSTART, RLENGTH) == fn)
				found = 1
			line = substr(line, RSTART + RLENGTH)
		}
		if ($0 ~ /\};/)
			inarr = 0
	}
	END { exit found ? 0 : 1 }
	' "$1"
}

checked=""
problems=$(printf '%s\n' "$parsed" | while IFS="$tab" read -r kind a b c d e; do
	case $kind in
	E)
		echo "format: $a"
		;;
	T)
		id=$a
		ref=$b
		case $ref in
		*::*)
			file=${ref%%::*}
			fn=${ref#*::}
			;;
		*)
			file=$ref
			fn=
			;;
		esac
		# Each reference once (many rows share tests).
		case " $checked " in
		*" $ref "*)
			continue
			;;
		esac
		checked="$checked $ref"
		if [ ! -f "$srcdir/$file" ]; then
			echo "$id: $ref: no such file"
			continue
		fi
		case $file in
		*.sh)
			in_am "$file" tests ||
			    echo "$id: $ref: not listed in TESTS of any tests/**/*.am"
			;;
		*)
			in_am "$file" ||
			    echo "$id: $ref: not built by any tests/**/*.am"
			;;
		esac
		if [ -n "$fn" ]; then
			if ! defines "$srcdir/$file" "$fn"; then
				echo "$id: $ref: $fn is not defined in $file"
			elif ! registered "$srcdir/$file" "$fn"; then
				echo "$id: $ref: $fn is not registered in the cmocka group of $file"
			fi
		fi
		;;
	C)
		id=$a
		if [ ! -f "$srcdir/$b" ]; then
			echo "$id: $b:$c(): no such file"
		elif ! defines "$srcdir/$b" "$c"; then
			echo "$id: $b:$c(): $c is not defined in $b"
		fi
		;;
	R)
		id=$a
		status=$b
		ntests=$c
		hasnote=$d
		case $status in
		tested|partial|deviates)
			[ "$ntests" -gt 0 ] ||
			    echo "$id (line $e): status $status but no test cited"
			;;
		no-test|not-impl|n/a)
			[ "$hasnote" = 1 ] ||
			    echo "$id (line $e): status $status needs a note saying why"
			;;
		*)
			echo "$id (line $e): unknown status \"$status\""
			;;
		esac
		;;
	esac
done)

# Every numbered requirement of RFC 9293, exactly once.
ids=$(printf '%s\n' "$parsed" | awk -F"$tab" '$1 == "R" { print $2 }')
missing=$(printf '%s\n' "$ids" | awk '
{ seen[$0]++ }
END {
	for (i = 1; i <= 69; i++)
		if (!(("MUST-" i) in seen))
			print "MUST-" i ": missing from the matrix"
	for (i = 1; i <= 31; i++)
		if (!(("SHLD-" i) in seen))
			print "SHLD-" i ": missing from the matrix"
	for (k in seen)
		if (seen[k] > 1)
			print k ": listed " seen[k] " times"
}')
problems=$(printf '%s\n%s\n' "$problems" "$missing" | sed '/^$/d')

# The summary, over all rows and over the RFC 9293 MUSTs alone.
summary() {
	printf '%s\n' "$parsed" | awk -F"$tab" -v pat="$1" -v what="$2" '
	$1 == "R" && $2 ~ pat {
		n++
		s[$3]++
	}
	END {
		tested = s["tested"] + s["partial"]
		untested = n - tested
		printf "compliance: %d %s, %d tested (%d partially), %d untested", \
		    n, what, tested, s["partial"] + 0, untested
		printf " (%d no test yet, %d not implemented, %d deviating, %d not applicable)\n", \
		    s["no-test"], s["not-impl"], s["deviates"], s["n/a"]
	}'
}
summary '^MUST-' 'RFC 9293 MUSTs'
summary '.' 'requirements'

if [ -n "$problems" ]; then
	echo "compliance: docs/compliance.md is stale:"
	printf '%s\n' "$problems" | sed 's/^/  /'
	exit 1
fi
exit 0

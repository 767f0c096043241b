#!/bin/sh
# manlint.sh PAGE... - groff -man -ww -z must print nothing; every long
# option in --help must appear in the man page.
set -u
pass=0; fail=0
for m in "$@"; do
	out=$(groff -man -ww -z "$m" 2>&1)
	if [ -n "$out" ]; then echo "manlint: $m: $out" >&2; fail=$((fail + 1)); else pass=$((pass + 1)); fi
done
check_opts() { # BINARY-HELP-TEXT PAGE
	for o in $(printf '%s\n' "$1" | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		if grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" "$2" || grep -qF -- "$o" "$2"; then
			pass=$((pass + 1))
		else
			echo "manlint: $2 does not document $o" >&2; fail=$((fail + 1))
		fi
	done
}
B=${BUILD:-build}
if [ -x "$B/jackloop" ]; then check_opts "$("$B/jackloop" --help)" man/jackloop.1; fi
if [ -x "$B/loopctl" ]; then
	check_opts "$("$B/loopctl" --help)" man/loopctl.1
	check_opts "$("$B/loopctl" serve --help)" man/loopctl.1
	check_opts "$("$B/loopctl" analyze --help 2>&1)" man/loopctl.1
fi
echo "tests: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/sh
# rtgate.sh ALLOWLIST OBJ... - fail if an RT object calls anything not on
# the allowlist (STYLE 31).  Prints "tests: N passed, N failed".
set -u
allow=$1; shift
re=$(grep -v '^#' "$allow" | grep -v '^$' | sed 's/.*/^(&)$/' | paste -sd'|')
pass=0; fail=0
for o in "$@"; do
	bad=$(nm -u "$o" | awk '{print $NF}' | grep -Ev "$re" || true)
	if [ -n "$bad" ]; then
		echo "rtgate: $(basename "$o") calls forbidden symbols:" $bad >&2
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
# The gate must be able to fail: an object that calls malloc is refused.
tmp=$(mktemp -d)
printf 'void *malloc(unsigned long);\nvoid *jl_bad_rt(void);\nvoid *jl_bad_rt(void) { return malloc(4); }\n' > "$tmp/bad_rt.c"
${CC:-cc} -c -O2 "$tmp/bad_rt.c" -o "$tmp/bad_rt.o"
if nm -u "$tmp/bad_rt.o" | awk '{print $NF}' | grep -Evq "$re"; then pass=$((pass + 1)); else
	echo "rtgate: self-test failed: malloc was not caught" >&2; fail=$((fail + 1)); fi
rm -rf "$tmp"
echo "rtgate: $# RT objects checked against $allow"
echo "tests: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/bin/bash
# run.sh - everything `make test` gates, after the builds: unit tests (the
# engine ones under the RT guard), the queue under TSan and ASan+UBSan, the
# RT symbol gate, the man-page lint, the integration tests.  Sums every
# "tests: N passed, N failed" line into one closing line.
set -u
B=${BUILD:-build}
cd "$(dirname "$0")/.." || exit 1
total_p=0; total_f=0; failed_suites=""
suite() { # NAME COMMAND...
	local name=$1 out rc p f; shift
	echo "== $name"
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -v '^ok - ' | sed 's/^/   /'
	p=$(printf '%s\n' "$out" | sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^tests: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -1)
	if [ -z "$p" ]; then p=0; f=1; echo "   (no result line: counted as a failure)"; fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; echo "   (exit status $rc: counted as a failure)"; fi
	total_p=$((total_p + p)); total_f=$((total_f + f))
	[ "$f" = 0 ] || failed_suites="$failed_suites $name"
}
GUARD="LD_PRELOAD=$B/librtguard.so"
suite "rt guard proof" env LD_PRELOAD="$B/librtguard.so" "$B/tests/test_rtguard"
suite "queue" "$B/tests/test_spsc"
suite "queue (ThreadSanitizer)" env TSAN_OPTIONS=halt_on_error=1 "$B-tsan/tests/test_spsc"
suite "queue (ASan+UBSan)" env UBSAN_OPTIONS=halt_on_error=1 "$B-asan/tests/test_spsc"
suite "shared memory" "$B/tests/test_shm"
suite "engine (offline, RT guard)" env LD_PRELOAD="$B/librtguard.so" "$B/tests/test_engine"
suite "midi" "$B/tests/test_midi"
suite "state feedback" "$B/tests/test_notify"
for t in "$B"/tests/test_analysis "$B"/tests/test_looper "$B"/tests/test_fx "$B"/tests/test_conv; do
	[ -x "$t" ] && suite "$(basename "$t" | sed 's/^test_//')" env LD_PRELOAD="$B/librtguard.so" "$t"
done
suite "rt symbol gate" make --no-print-directory -s BUILD="$B" rtgate
suite "man pages" env BUILD="$B" tests/manlint.sh man/jackloop.1 man/loopctl.1
[ -x tests/it_analyze.sh ] && suite "analyze CLI" tests/it_analyze.sh "$B/loopctl"
for it in tests/it_*.sh; do
	case $it in tests/it_lib.sh|tests/it_analyze.sh) continue ;; esac
	suite "integration $(basename "$it" .sh)" env BUILD="$B" timeout 600 "$it"
done
[ -n "$failed_suites" ] && echo "failed:$failed_suites"
echo "tests: $total_p passed, $total_f failed"
[ "$total_f" = 0 ]

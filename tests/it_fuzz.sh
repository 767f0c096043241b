#!/bin/bash
# it_fuzz.sh - random OSC traffic (tests/oscfuzz.py, seeded) against a real
# jackloop and daemon while a player feeds the inputs: every command of the
# namespace with random argument types and values, malformed packets, and
# the performance itself (takes, overdubs, captures, undo, triggers, fx).
# Every message must be answered (but for /jl/ alone beyond the daemon's rate
# limit for foreign paths), the daemon must stay the same process
# (jackloop would restart a crashed one), jackloop must keep running and
# its status must stay sane.  Run twice: the normal build under the RT
# guard, and the ASan+UBSan build (any report ends the daemon).
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=fz
ASAN_B="${B}-asan"

fuzz_round() { # LABEL BUILD_DIR PRELOAD SEED
	local label=$1 bd=$2 pre=$3 seed=$4 port pid0 log="$TMP/jackloop.$4.log"
	spawn "$log" env $pre ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bd/jackloop" --name $NAME --osc-port 0 --history 20 --pool-mb 32
	local jl=$LAST_PID
	check "$label: jackloop + daemon up" wait_for 20 "$LOOPCTL" --name $NAME ping
	spawn "$TMP/player.$seed.log" "$B/tests/jl_player" -w examples/groove.wav $NAME:in_1 $NAME:in_2
	local pl=$LAST_PID
	check "$label: a player loops examples/groove.wav into the inputs" wait_for 5 grep -q ready "$TMP/player.$seed.log"
	port=$(jv daemon.osc_port)
	pid0=$(jv daemon.pid)
	check "$label: 1500 random messages (seed $seed), each answered" \
		python3 tests/oscfuzz.py "$port" --seed "$seed" --count 1500 --pause 0.05 --log "$TMP/fuzz.$seed.log" \
			--dir "$TMP/sessions.$seed"
	check "$label: the daemon is the same process (never crashed)" test "$(jv daemon.pid)" = "$pid0"
	check "$label: no crash, sanitizer or runtime report in the log" \
		bash -c "! grep -q 'killed by signal\|exited with\|runtime error\|AddressSanitizer' '$log'"
	check "$label: jackloop still running" kill -0 "$jl"
	check "$label: status still sane (engine running, finite meters), read by this build's CLI" bash -c "
		set -o pipefail
		env ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1 \"$bd/loopctl\" --name $NAME status --json | python3 -c '
import json, math, sys
s = json.load(sys.stdin)
assert s[\"engine\"][\"running\"]
for i in s[\"inputs\"]:
    for v in i.values():
        assert not isinstance(v, float) or not math.isnan(v)'"
	stop_pid "$pl" TERM
	stop_pid "$jl" TERM
	rm -f /dev/shm/jackloop."$(id -u)"."$SERVER".* 2>/dev/null
}

check "JACK server" start_jackd 256
fuzz_round "RT guard" "$B" "LD_PRELOAD=$B/librtguard.so" 1
if [ -x "$ASAN_B/jackloop" ] && [ -x "$ASAN_B/loopctl" ]; then
	fuzz_round "ASan+UBSan" "$ASAN_B" "" 2
else
	nok "ASan+UBSan build missing ($ASAN_B): make test builds it"
fi
report

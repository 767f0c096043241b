#!/bin/bash
# it_calibrate.sh - `loopctl calibrate` measures a known round trip: a test
# client delays out_L by N frames (with noise) into in_1.  Through JACK's
# graph cycle the loop also costs one period, so the expected value is
# N + period, which jack_iodelay measures on an identical loop.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=cal
N=1000
check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 --history 10 --pool-mb 8
check "jackloop up" wait_for 10 "$LOOPCTL" --name $NAME ping
spawn "$TMP/delay.log" "$B/tests/jl_delay" -N $N $NAME:out_L $NAME:in_1
check "delay client in the loop" wait_for 5 grep -q ready "$TMP/delay.log"
expect_rc "calibrate answers" 0 "$LOOPCTL" --name $NAME --timeout 5000 --json calibrate --port 1 --out out_L
M=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["round_trip_frames"])' "$TMP/out" 2>/dev/null || echo -1)
echo "# calibrate measured $M frames (delay $N + period 256)"
check "the measured round trip is N + one period, +-1 frame" test $(( M - N - 256 )) -ge -1 -a $(( M - N - 256 )) -le 1
# cross-check with jack_iodelay on an identical loop
spawn "$TMP/delay2.log" "$B/tests/jl_delay" -n jl_delay2 -N $N
wait_for 5 grep -q ready "$TMP/delay2.log"
spawn "$TMP/iodelay.log" jack_iodelay
wait_for 5 bash -c "jack_lsp | grep -q jack_delay:out"
jack_connect jack_delay:out jl_delay2:in; jack_connect jl_delay2:out jack_delay:in
wait_for 10 grep -q "total roundtrip latency" "$TMP/iodelay.log"
J=$(grep "total roundtrip latency" "$TMP/iodelay.log" | tail -1 | awk '{printf "%d", $1 + 0.5}')
echo "# jack_iodelay measured $J frames"
check "jack_iodelay agrees within 1 frame ($J)" test -n "$J" -a $(( M - J )) -ge -1 -a $(( M - J )) -le 1
expect_rc "without the loop: a clear error" 1 bash -c "jack_disconnect jl_delay:out $NAME:in_1; \"$LOOPCTL\" --name $NAME --timeout 5000 calibrate --port 1"
check "saying what to patch" grep -q "no test signal" "$TMP/err"
expect_rc "calibrate with a bad port: usage" 2 "$LOOPCTL" --name $NAME calibrate --port 9
report

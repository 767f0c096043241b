#!/bin/bash
# it_sends.sh - a track through its send/return ports and an external
# "rack" (two pass-through clients) stays frame-exact in time: the round
# trip (one period for JACK's graph cycle plus the rack's reported
# latency) is compensated by playing the track's voices early.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=snd
SEAM=480
WIN="$TMP/windows.txt"
: >"$WIN"
check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 \
	--history 30 --pool-mb 16 --sends 1 --phones-delay 5
check "jackloop with --sends 1" wait_for 10 "$LOOPCTL" --name $NAME ping
phones_lat() { jack_lsp -l $NAME:phones_L | grep -q "capture latency = \[ $1 $1 \]"; }
check "--phones-delay 5: the phones ports report 240 frames of latency" wait_for 5 phones_lat 240
check "loopctl phones delay 10" "$LOOPCTL" --name $NAME phones delay 10
check "and they report 480" wait_for 5 phones_lat 480
ports=$(jack_lsp)
for p in send_1_L send_1_R return_1_L return_1_R; do
	check "port $p" grep -qx "$NAME:$p" <<<"$ports"
done
spawn "$TMP/player.log" "$B/tests/jl_player" $NAME:in_1 $NAME:in_2
wait_for 5 grep -q ready "$TMP/player.log"
spawn "$TMP/rackL.log" "$B/tests/jl_delay" -n rackL -N 0 -a 0 $NAME:send_1_L $NAME:return_1_L
spawn "$TMP/rackR.log" "$B/tests/jl_delay" -n rackR -N 0 -a 0 $NAME:send_1_R $NAME:return_1_R
check "a pass-through rack on the send" wait_for 5 grep -q ready "$TMP/rackR.log"
spawn "$TMP/rec.log" "$B/tests/jl_recorder" -o "$TMP/rec.bin" $NAME:out_L $NAME:out_R
REC=$LAST_PID
wait_for 5 grep -q ready "$TMP/rec.log"
wait_for 5 jv_gt engine.frame $(( $(jv engine.frame) + 24000 ))
check "record" "$LOOPCTL" --name $NAME record
wait_for 5 jv_gt engine.frame $(( $(jv engine.frame) + 48000 ))
check "record: the anchor" "$LOOPCTL" --name $NAME record
C=$("$LOOPCTL" --name $NAME status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["anchor"]["cycle_frames"])')
O=$("$LOOPCTL" --name $NAME status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tracks"][0]["layers"][0]["origin"])')
window "without the send the loop is exact" $(( 2 * C )) layer $O $C $C $SEAM
expect_rc "send 1 on" 0 "$LOOPCTL" --name $NAME --json send 1 on
COMP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["compensation_frames"])' "$TMP/out")
check "the round trip is one period ($COMP)" test "$COMP" = 256
window "through the rack the loop is still exact, in time" $(( 2 * C )) layer $O $C $C $SEAM
expect_rc "a track without send ports: error" 1 "$LOOPCTL" --name $NAME send 2 on
check "saying how to get them" grep -q "\-\-sends" "$TMP/err"
# a bad looper option is not retried forever
spawn "$TMP/bad.log" "$B/jackloop" --name badopt --osc-port 0 --history 5 --pool-mb 8 --quantize banana
BADPID=$LAST_PID
check "a daemon refusing a bad option is not restarted" wait_for 10 grep -q "refused its options" "$TMP/bad.log"
check "and the reason is shown" grep -q "quantize off|cycle|bar|beat|onset" "$TMP/bad.log"
stop_pid $BADPID
stop_pid $REC
loopcheck "$TMP/rec.bin" "$WIN"
report

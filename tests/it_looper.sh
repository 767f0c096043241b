#!/bin/bash
# it_looper.sh - the looper through a real JACK server (dummy backend, -S):
# a frame-coded signal is played into jackloop, `loopctl` records an
# anchor, overdubs, undoes, redoes, mutes, captures and cancels a trigger,
# and a recorder client's capture of out_L/out_R is checked frame by frame
# (tests/loopcheck.py): every output sample says which input frame it is.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=lp
L() { "$LOOPCTL" --name $NAME "$@"; }
SEAM=480
WIN="$TMP/windows.txt"
: >"$WIN"

check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 \
	--history 60 --pool-mb 64 --track-outs 2
check "jackloop + daemon up" wait_for 10 "$LOOPCTL" --name $NAME ping
check "--track-outs 2 registers track_1_L .. track_2_R" bash -c "jack_lsp | grep -c '^$NAME:track_[12]_[LR]\$' | grep -qx 4"
spawn "$TMP/player.log" "$B/tests/jl_player" $NAME:in_1 $NAME:in_2
check "player" wait_for 5 grep -q ready "$TMP/player.log"
spawn "$TMP/rec.log" "$B/tests/jl_recorder" -o "$TMP/rec.bin" $NAME:out_L $NAME:out_R
REC=$LAST_PID
check "recorder" wait_for 5 grep -q ready "$TMP/rec.log"
spawn "$TMP/rec2.log" "$B/tests/jl_recorder" -n jl_rec2 -o "$TMP/rec2.bin" $NAME:track_2_L $NAME:track_2_R
REC2=$LAST_PID
check "a second recorder on track 2's outputs" wait_for 5 grep -q ready "$TMP/rec2.log"
wait_for 5 jv_gt engine.frame $(( $(jv engine.frame) + 48000 ))
OFF=$(jv engine.frame_offset)

# --- the anchor: two presses ----------------------------------------------
check "record starts a take" L record
F=$(( $(jv engine.frame) + 60000 ))
wait_for 5 jv_gt engine.frame $F
check "record again ends it: the anchor" L record
C=$(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["anchor"]["cycle_frames"])')
O1=$(lj 1 1 origin)
check "the anchor is about 1.25 s long (cycle $C frames)" test "$C" -gt 55000 -a "$C" -lt 66000
check "status shows track 1 playing" bash -c "L() { \"$LOOPCTL\" --name $NAME \"\$@\"; }; L status | grep -q 'track 1 (selected): playing'"
window "anchor repeats exactly the recorded frames" $(( 2 * C )) layer $O1 $C $C $SEAM

# --- overdub on track 1 (layer 2), heard alone with layer 1 muted ----------
F=$(( $(jv engine.frame) + C / 3 ))
wait_for 5 jv_gt engine.frame $F
check "overdub starts" L record 1
F=$(( $(jv engine.frame) + 2 * C + C / 2 ))
wait_for 10 jv_gt engine.frame $F
check "overdub ends (2.5 cycles)" L record 1
wait_for 5 bash -c "\"$LOOPCTL\" --name $NAME status --json | grep -q '\"layer\": *2\\|\"layer\":2'"
O2=$(lj 1 2 origin); N2=$(lj 1 2 length); P2=$(lj 1 2 period)
check "the overdub is extended to 4 cycles" test "$P2" = $(( 4 * C ))
check "layer 1 muted on its own" L layer 1 1 mute
window "overdub plays its frames at its offset, then silence" $(( 4 * C )) layer $O2 $N2 $P2 $SEAM

# --- undo / redo ----------------------------------------------------------------
check "undo removes the overdub" L undo 1
check "unmute layer 1" L layer 1 1 unmute
window "after undo only the anchor plays" $(( 2 * C )) layer $O1 $C $C $SEAM
check "redo brings the overdub back" L redo 1
check "mute layer 1 again" L layer 1 1 mute
window "after redo the overdub plays again" $(( 4 * C )) layer $O2 $N2 $P2 $SEAM

# --- mute ------------------------------------------------------------------------
check "mute track 1" L mute 1
window "a muted track is silent" $C silent

# --- capture: the cycle(s) that were just played ------------------------------------
check "capture 1 cycle" L capture
wait_for 5 bash -c "\"$LOOPCTL\" --name $NAME status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert [t for t in s[\"tracks\"] if t[\"track\"]==2 and t[\"layers\"]]'"
O3=$(lj 2 1 origin); N3=$(lj 2 1 length)
check "the capture is one cycle long" test "$N3" = "$C"
window "the captured loop plays what was played before the press" $(( 2 * C )) layer $O3 $C $C $SEAM
WIN_MAIN=$WIN; WIN=$TMP/windows2.txt; : >"$WIN"
window "track_2_L/R carry track 2 alone (track 1 is muted on the PA, not here)" $C layer $O3 $C $C $SEAM
WIN=$WIN_MAIN

# --- a trigger, cancelled, never fires ------------------------------------------------
TID=$(L --json at $(( $(jv engine.frame) + 96000 )) mute 2 | python3 -c 'import json,sys; print(json.load(sys.stdin)["trigger"])')
check "triggers lists it" bash -c "\"$LOOPCTL\" --name $NAME triggers | grep -q 'mute 2'"
check "cancel it" L cancel "$TID"
expect_rc "cancel of an unknown id fails" 1 L cancel 99999
window "the cancelled mute never happened" $(( 2 * C )) layer $O3 $C $C $SEAM

# --- triggers: what would only fail when it fires is refused when it is set ----------------
for bad in "-1" "99999999999999999999999" " 5" "5x" "$(( $(jv engine.frame) + 2 * 86400 * 48000 ))"; do
	expect_rc "at '$bad': usage" 2 L at "$bad" mute 2
done
expect_rc "at next-cycle ping extra (ping takes no argument): usage" 2 L at next-cycle ping extra
check "  saying how ping is used" grep -q "usage: ping" "$TMP/err"
OSCP=$(jv daemon.osc_port)
check "OSC /jl/at ... save with a relative path: usage (the daemon needs an absolute one)" \
	bash -c "python3 tests/osc.py $OSCP /jl/at s:next-cycle s:save s:rel | grep -q '^usage.*relative path'"
# a path with a blank, scheduled: it fires whole (the words were once joined and split on blanks)
expect_rc "at next-cycle save '$TMP/sess dir'" 0 L at next-cycle save "$TMP/sess dir"
check "  triggers shows the path whole" grep -q "'$TMP/sess dir'" <(L triggers)
check "  it fires: the session is saved there" wait_for 10 test -f "$TMP/sess dir/session.json"
# a relative path from the command line is made absolute, as for save itself
expect_rc "at next-cycle save rel (relative, from \$TMP)" 0 bash -c "cd '$TMP' && '$(realpath "$LOOPCTL")' --name $NAME at next-cycle save rel"
check "  it fires: saved under \$TMP/rel" wait_for 10 test -f "$TMP/rel/session.json"
# a repeating trigger with a start in the past fires once per cycle from now, in phase
# (the engine's frame is read before the command is sent: read after it
# returns, it may already lie past a boundary that was ahead when the
# daemon set the trigger)
A0=$(jv engine.commands_applied)
N0=$(jv engine.frame)
expect_rc "at 0 --every-cycle meter-reset" 0 L --json at 0 --every-cycle meter-reset
F1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["frame"])' "$TMP/out")
TID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trigger"])' "$TMP/out")
check "  its first time is ahead, whole cycles after frame 0, the first such within a cycle and a second" \
	python3 -c 'import sys; f,n,c=map(int,sys.argv[1:]); assert f > n and f % c == 0 and f <= n + c + 48000, (f, n, c)' "$F1" "$N0" "$C"
sleep 2
A1=$(jv engine.commands_applied)
check "  and fires about once a cycle, not once a tick ($((A1 - A0)) commands in 2 s)" test $((A1 - A0)) -le $(( 2 * 48000 / C + 3 ))
L cancel "$TID" >/dev/null

# --- bad input ------------------------------------------------------------------
expect_rc "an invalid track: usage error" 2 L mute 99
expect_rc "an empty track: error" 1 L mute 9
check "saying so" grep -q "empty" "$TMP/err"
expect_rc "an invalid layer: error" 1 L layer 1 7 mute
check "saying which" grep -q "no layer 7" "$TMP/err"
expect_rc "capture longer than the history: error" 1 L capture 100
check "with what is available" grep -q "available" "$TMP/err"
expect_rc "a bad tempo: usage" 2 L tempo 9000
B0=$(L --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["anchor"]["beats_per_cycle"])')
expect_rc "tempo double (a string argument over OSC)" 0 L tempo double
check "doubles the beats per cycle" grep -q "^$(( 2 * B0 )) beats per cycle" "$TMP/out"
expect_rc "tempo half restores them" 0 L tempo half
check "to $B0" grep -q "^$B0 beats per cycle" "$TMP/out"
expect_rc "meter 3 (a string argument over OSC)" 0 L meter 3
check "says 3 beats per bar" grep -q "^meter 3 beats per bar" "$TMP/out"
check "and keeps them (JSON)" test "$(L --json meter | python3 -c 'import json,sys; print(json.load(sys.stdin)["beats_per_bar"])')" = 3
expect_rc "meter 0: usage" 2 L meter 0
expect_rc "downbeat with a loop: error" 1 L downbeat
check "saying the loop's bars rule" grep -q "loop" "$TMP/err"
expect_rc "meter 4 restores it" 0 L meter 4

# --- the daemon crashes: loops keep playing, a new one carries on ----------------------
DPID=$(jv daemon.pid)
kill -KILL "$DPID"
daemon_back() { local p; p=$(jv daemon.pid 2>/dev/null) && [ -n "$p" ] && [ "$p" != "$DPID" ]; }
check "a killed daemon is restarted by jackloop" wait_for 10 daemon_back
check "the new daemon carries on with the model (track 2 still there)" \
	bash -c "\"$LOOPCTL\" --name $NAME status | grep -q 'track 2'"
grep -q "carrying on with the loops" "$TMP/jackloop.log" && ok "and says so" || nok "and says so"
window "loops played on through the daemon restart" $(( 2 * C )) layer $O3 $C $C $SEAM

# --- jackloop crashes: restarted, its loops come back from the pool ---------------------
JL=$(pgrep -f "jackloop --name $NAME" | head -1)
{ kill -KILL "$JL"; wait "$JL"; } 2>/dev/null
wait_for 5 bash -c "! kill -0 $JL 2>/dev/null"
spawn "$TMP/jackloop2.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 \
	--history 60 --pool-mb 64 --track-outs 2
check "jackloop restarts on its segment" wait_for 10 "$LOOPCTL" --name $NAME ping
check "re-attached, contents kept" grep -q "re-attached" "$TMP/jackloop2.log"
jack_connect jl_player:out_1 $NAME:in_1; jack_connect jl_player:out_2 $NAME:in_2
jack_connect $NAME:out_L jl_recorder:in_1; jack_connect $NAME:out_R jl_recorder:in_2
jack_connect $NAME:track_2_L jl_rec2:in_1; jack_connect $NAME:track_2_R jl_rec2:in_2
wait_for 5 jv_gt engine.frame $(( $(jv engine.frame) + 9600 ))
window "the captured loop plays again after a jackloop crash" $(( 2 * C )) layer $O3 $C $C $SEAM

# --- check the recording -------------------------------------------------------------
stop_pid $REC
stop_pid $REC2
loopcheck "$TMP/rec.bin" "$WIN"
loopcheck "$TMP/rec2.bin" "$TMP/windows2.txt"
report

#!/bin/bash
# it_examples.sh - examples/osc-looper.sh runs against a real jackloop (the
# player loops examples/groove.wav into its inputs): it records an anchor,
# overdubs, mutes and undoes over OSC with liblo's oscsend, imports the
# groove file stretched to whole cycles, and saves the session.  What it
# did is read back from the daemon's log, `loopctl status` and the saved
# session (oscsend does not listen for the replies).  Then
# examples/pedal-leds.sh follows the state: one lamp per track.  Before
# all that, the tempo heard is set one level slower and stays live, and
# then to a 3:2 level and back.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=ex
PORT=$(( 20000 + RANDOM % 20000 ))
L() { "$LOOPCTL" --name $NAME "$@"; }
check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" "$B/jackloop" --name $NAME --osc-port $PORT --history 10
check "jackloop + daemon up on OSC port $PORT" wait_for 10 L ping
spawn "$TMP/player.log" "$B/tests/jl_player" -w examples/groove.wav $NAME:in_1 $NAME:in_2
check "a player loops examples/groove.wav into the inputs" wait_for 5 grep -q ready "$TMP/player.log"
# before the first loop: the tempo heard (the groove is 120 BPM), set one
# level slower by hand, stays live at that level
tj() { L --json tempo | python3 -c "import json,sys; t=json.load(sys.stdin)['tempo']; sys.exit(not ($1))"; }
check "the daemon hears the groove's 120 BPM" wait_for 15 tj "t['known'] and abs(t['bpm'] - 120) < 1.5 and not t['level_set']"
expect_rc "tempo half: the tempo heard, one level slower" 0 L tempo half
check "  it stays live at that level" grep -q "followed at this level" "$TMP/out"
check "  tempo --json: 60 BPM at the level set by hand, 120 heard" tj "t['known'] and t['level_set'] and abs(t['bpm'] - 60) < 0.8 and abs(t['heard_bpm'] - 120) < 1.5"
nopreset() { L status --json | python3 -c 'import json,sys; sys.exit("preset_bpm" in json.load(sys.stdin)["anchor"])'; }
check "  and no preset" nopreset
sleep 1
check "  still there a second later" tj "t['known'] and t['level_set'] and abs(t['bpm'] - 60) < 0.8"
expect_rc "tempo double: back to the level heard" 0 L tempo double
check "  120 BPM" tj "t['known'] and abs(t['bpm'] - 120) < 1.5"
expect_rc "tempo 2/3: a 3:2 level (the dotted quarter of a 6/8 read in quarters)" 0 L tempo 2/3
check "  80 BPM at the level set by hand, 120 heard" tj "t['known'] and t['level_set'] and abs(t['bpm'] - 80) < 1 and abs(t['heard_bpm'] - 120) < 1.5"
expect_rc "tempo 3/2: back" 0 L tempo 3/2
check "  120 BPM" tj "t['known'] and abs(t['bpm'] - 120) < 1.5"
export TMPDIR="$TMP"
expect_rc "examples/osc-looper.sh $PORT exits 0" 0 sh examples/osc-looper.sh $PORT
check "  the anchor and the overdub were taken (track 1 plays a 2 s anchor)" bash -c \
	"'$LOOPCTL' --name $NAME status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert abs(s[\"anchor\"][\"cycle_frames\"] - 96000) < 4800'"
# the script does not wait for the answers: the import and the save that
# waits for it finish after it has ended
check "  the groove file was imported on track 2, stretched to 8 cycles" wait_for 60 \
	grep -q "import: imported as track 2 layer 1: 8 cycles (the file: 16.000 s, stretched" "$TMP/jackloop.log"
check "  and the save, sent right after it, waited for it" wait_for 60 grep -q "save: saved 2 layers" "$TMP/jackloop.log"
check "  the session was saved with both tracks" python3 -c '
import json, sys; s = json.load(open(sys.argv[1])); assert [t["track"] for t in s["tracks"]] == [1, 2], s["tracks"]' \
	"$TMP/osc-looper-session/session.json"
check "  the overdub on track 1 was undone: one layer plays, one is undone" bash -c \
	"'$LOOPCTL' --name $NAME status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert sorted(l[\"state\"] for l in s[\"tracks\"][0][\"layers\"]) == [\"active\", \"undone\"], s[\"tracks\"][0]'"
# the whole state of two tracks, then a mute changes track 1; the watcher is ended by SIGTERM
( LOOPCTL="$LOOPCTL" timeout 20 bash examples/pedal-leds.sh $NAME >"$TMP/leds.txt" 2>&1 ) &
LEDS=$!
wait_for 5 grep -q "2:playing" "$TMP/leds.txt"
L mute 1 >/dev/null
check "examples/pedal-leds.sh shows the mute" wait_for 5 grep -qx "1:muted 2:playing" "$TMP/leds.txt"
pkill -TERM -f "loopctl --name $NAME watch"
check "  and ends with the watcher" wait_for 5 bash -c "! kill -0 $LEDS 2>/dev/null"
check "  a lamp per track, a line per change" test "$(uniq "$TMP/leds.txt" | tr '\n' '|')" = "1:playing|1:playing 2:playing|1:muted 2:playing|"
report

#!/bin/bash
# it_midimap.sh - the pedal map from a file, with a real jackloop and daemon
# (there is no ALSA sequencer here, so what the map does to MIDI events is
# tested as pure functions in test_midi.c; this is the file's way in):
# jackloop --midi-map passes it to the daemon, `loopctl midi-map` lists it,
# loads another and goes back to the built-in one; a bad file is refused
# with FILE:LINE and leaves the map in use; a bad map at start-up is a
# usage error (loopctl serve exits 2, jackloop runs without its daemon);
# a daemon restarted after a crash with a map gone bad keeps the built-in
# map, so the loops stay under control.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=mm
L() { "$LOOPCTL" --name $NAME "$@"; }
EX="$(pwd)/examples/midi-map.ini"
MAP="$TMP/map.ini"
cp "$EX" "$MAP"
nbind() { L --json midi-map | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r["bindings"]), r["file"])'; }

check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" "$B/jackloop" --name $NAME --osc-port 0 --history 10 --pool-mb 16 --midi-map "$MAP"
check "jackloop --midi-map FILE: daemon up" wait_for 10 L ping
check "the daemon has the map (status --json)" test "$(jv daemon.midi_map)" = "\"$MAP\""
check "midi-map lists its 17 bindings" test "$(nbind)" = "17 $MAP"
expect_rc "midi-map (text)" 0 L midi-map
check "  one line per binding, with its channel" grep -q "note 36 (channel 10) record new" "$TMP/out"
check "  and the fader, with its range" grep -q "fader cc 7           master-gain VALUE (0..127 -> -40..6)" "$TMP/out"
check "  and a pedal's release beside its press" bash -c "grep -q '^  cc 26                mute 1\$' '$TMP/out' && grep -q '^  cc-release 26        unmute 1\$' '$TMP/out'"
check "  (JSON kind cc-release)" bash -c "'$LOOPCTL' --name $NAME --json midi-map | python3 -c 'import json,sys; f=[b for b in json.load(sys.stdin)[\"bindings\"] if b[\"kind\"] == \"cc-release\"]; assert f == [{\"kind\": \"cc-release\", \"number\": 26, \"channel\": 0, \"command\": \"unmute 1\"}], f'"
check "  (JSON: kind, low, high)" bash -c "'$LOOPCTL' --name $NAME --json midi-map | python3 -c 'import json,sys; f=[b for b in json.load(sys.stdin)[\"bindings\"] if b[\"kind\"] == \"fader\"]; assert f == [{\"kind\": \"fader\", \"number\": 7, \"channel\": 0, \"command\": \"master-gain\", \"low\": -40.0, \"high\": 6.0}], f'"
check "status names the map" bash -c "'$LOOPCTL' --name $NAME status | grep -q 'MIDI in: none, map $MAP'"

printf '[cc]\n80 = record\n81 = rekord\n' >"$TMP/bad.ini"
expect_rc "midi-map of a bad file: refused" 1 bash -c "cd '$TMP' && '$(pwd)/$LOOPCTL' --name $NAME midi-map bad.ini"
check "  with FILE:LINE and the reason" grep -q "$TMP/bad.ini:3: 'rekord' is not a command a pedal can send" "$TMP/err"
check "  and the map in use is unchanged" test "$(nbind)" = "17 $MAP"
expect_rc "midi-map of a missing file: refused" 1 L midi-map "$TMP/none.ini"
check "  saying so" grep -q "cannot open" "$TMP/err"
check "OSC /jl/midi-map with a relative path: usage" test "$(python3 tests/osc.py "$(jv daemon.osc_port)" /jl/midi-map s:map.ini | cut -f1)" = usage
expect_rc "midi-map default" 0 L midi-map default
check "  the built-in map: 12 bindings" test "$(nbind)" = "12 None"
check "  status says so" test "$(jv daemon.midi_map)" = null
printf '[note]\n60 = record\n' >"$TMP/one.ini"
expect_rc "midi-map of a one-line file" 0 L midi-map "$TMP/one.ini"
check "  1 binding" test "$(nbind)" = "1 $TMP/one.ini"
expect_rc "midi-map a b: usage" 2 L midi-map a b

# a crashed daemon, restarted by jackloop with its options, finds the map gone bad: it
# keeps the built-in map rather than leave the loops without control
cp "$TMP/bad.ini" "$MAP"
DPID=$(jv daemon.pid)
kill -KILL "$DPID"
restarted() { local p; p=$(jv daemon.pid 2>/dev/null) && [ -n "$p" ] && [ "$p" != "$DPID" ]; }
check "a killed daemon is restarted" wait_for 10 restarted
check "  with the built-in map, as its map file went bad" test "$(nbind)" = "12 None"
check "  and says why" grep -q "warning: --midi-map: $MAP:3: 'rekord'.*using the built-in map" "$TMP/jackloop.log"

# at start-up a bad map is a usage error
spawn "$TMP/j2.log" "$B/jackloop" --name mm2 --osc-port 0 --history 5 --pool-mb 8 --no-control
check "a second jackloop without its daemon" wait_for 10 test -e /dev/shm/jackloop."$(id -u)"."$SERVER".mm2
expect_rc "loopctl serve --midi-map BAD: exit 2" 2 "$LOOPCTL" --name mm2 serve --osc-port 0 --no-midi --midi-map "$TMP/bad.ini"
check "  saying where" grep -q "bad.ini:3: 'rekord'" "$TMP/err"
spawn "$TMP/j3.log" "$B/jackloop" --name mm3 --osc-port 0 --history 5 --pool-mb 8 --midi-map "$TMP/bad.ini"
check "jackloop --midi-map BAD: its daemon refuses, jackloop says so and runs on" \
	wait_for 10 grep -q "refused its options" "$TMP/j3.log"
check "  the reason is in its log" grep -q "bad.ini:3: 'rekord'" "$TMP/j3.log"
check "  jackloop is still running" kill -0 "$LAST_PID"
report

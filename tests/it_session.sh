#!/bin/bash
# it_session.sh - sessions through a real JACK server: loops recorded from
# the frame-coded player are saved (`loopctl save`), every WAV file is
# checked sample by sample against the frames that were played, the
# session is cleared and loaded back (`loopctl load`), and the recorder's
# capture of out_L/out_R must decode to the same frames at the loaded
# phase (tests/loopcheck.py).  Then the bad input: corrupt, truncated and
# foreign files, WAV files at another rate than the session says, a full
# looper, bad paths; each is a clear error that changes nothing.  A session
# saved at 44.1 kHz is converted: its cycle, phases and pitch are kept.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=ss
L() { "$LOOPCTL" --name $NAME "$@"; }
sj() { # KEY PATH of a session.json (python expression on s)
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
SEAM=480
WIN="$TMP/windows.txt"
: >"$WIN"
wait_frames() { wait_for 10 jv_gt engine.frame $(( $(jv engine.frame) + $1 )); }
# isnum V... : every V is an integer (a value read from status; an empty one
# would break the arithmetic of the next check and make it vanish)
isnum() { local v; for v in "$@"; do [[ $v =~ ^-?[0-9]+$ ]] || return 1; done; }

check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 \
	--history 30 --pool-mb 16
check "jackloop + daemon up" wait_for 10 "$LOOPCTL" --name $NAME ping
spawn "$TMP/player.log" "$B/tests/jl_player" $NAME:in_1 $NAME:in_2
check "player" wait_for 5 grep -q ready "$TMP/player.log"
spawn "$TMP/rec.log" "$B/tests/jl_recorder" -o "$TMP/rec.bin" $NAME:out_L $NAME:out_R
REC=$LAST_PID
check "recorder" wait_for 5 grep -q ready "$TMP/rec.log"
wait_frames 24000
OFF=$(jv engine.frame_offset)
S="$TMP/song"

expect_rc "save before any loop: error" 1 L save "$S"
check "saying so" grep -q "no loops yet" "$TMP/err"
check "and writes nothing" test ! -e "$S"

# --- two tracks: an anchor, and an overdub on track 2 (a few cycles long) ------------------
L record >/dev/null
wait_frames 60000
check "the anchor" L record
C=$(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["anchor"]["cycle_frames"])')
BEATS=$(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["anchor"]["beats_per_cycle"])')
wait_frames $(( C / 3 ))
check "an overdub on track 2 starts" L record 2
wait_frames $(( C + C / 2 ))
check "and ends" L record 2
wait_for 5 bash -c "L() { \"$LOOPCTL\" --name $NAME \"\$@\"; }; L status --json | grep -q '\"track\": *2'"
O1=$(lj 1 1 origin); O2=$(lj 2 1 origin); N2=$(lj 2 1 length); P2=$(lj 2 1 period)
check "the layers' origins, lengths and periods read from status" isnum "$C" "$O1" "$O2" "$N2" "$P2" "$OFF"
check "track 2's layer repeats every few cycles" test $(( P2 % C )) = 0 -a "$P2" -gt "$C"
check "mute track 2" L mute 2
check "two effects on track 2" bash -c "'$LOOPCTL' --name $NAME fx add 2 delay beats=0.5 feedback=0.3 mix=0.3 && '$LOOPCTL' --name $NAME fx add 2 filter freq=800"
check "pan track 1 hard left" L pan 1 -1
wait_for 5 bash -c "L() { \"$LOOPCTL\" --name $NAME \"\$@\"; }; L status --json | grep -q '\"source\": *\"pool\".*\"source\": *\"pool\"'"

# --- save --------------------------------------------------------------------------
ABS_LOOPCTL="$(cd "$(dirname "$LOOPCTL")" && pwd)/$(basename "$LOOPCTL")"
expect_rc "save DIR (a relative path: the CLI makes it absolute)" 0 bash -c "cd '$TMP' && '$ABS_LOOPCTL' --name $NAME save song"
check "says what it wrote" grep -q "saved 2 layers" "$TMP/out"
check "session.json and one WAV per layer" test -f "$S/session.json" -a -f "$S/track01-layer01.wav" -a -f "$S/track02-layer01.wav"
check "no temporary files left" bash -c "! ls '$S' | grep -q part"
check "the session has the anchor's cycle and beats" test "$(sj "$S/session.json" 's["cycle_frames"], s["beats_per_cycle"]')" = "($C, $BEATS)"
check "track 2 is saved muted, track 1 panned" test "$(sj "$S/session.json" '[t["muted"] for t in s["tracks"]], s["tracks"][0]["pan"]')" = "([False, True], -1.0)"
PH2=$(sj "$S/session.json" 's["tracks"][1]["layers"][0]["phase"]')
check "the session lists track 2's effects, in order" test "$(sj "$S/session.json" '[(e["chain"], e["effect"].split()[0]) for e in s["effects"]]')" = "[('2', 'delay'), ('2', 'filter')]"
check "  each with the words fx add takes" test "$(sj "$S/session.json" 'all(e["args"] == e["effect"].split() for e in s["effects"])')" = True
check "track 2's phase against the anchor" test "$PH2" = $(( ( (O2 - O1) % P2 + P2) % P2 ))
for t in 1 2; do
	H=$(sj "$S/session.json" "s['tracks'][$((t - 1))]['layers'][0]['head']")
	DL=$(sj "$S/session.json" "(lambda l: l['head'] + l['length'] + (l['seam'] if l['seam_mode'] == 'edges' else 0))(s['tracks'][$((t - 1))]['layers'][0])")
	O=$([ $t = 1 ] && echo $O1 || echo $O2)
	check "track $t's WAV holds exactly the recorded frames" python3 tests/wavcheck.py "$S/track0$t-layer01.wav" $(( O - H - OFF )) "$DL"
done
cp -r "$S" "$TMP/orig"
expect_rc "save onto an existing session: error" 1 L save "$S"
check "saying how to replace it" grep -q -- "--force" "$TMP/err"
expect_rc "save --force replaces it" 0 L save "$S" --force
check "  its layer files have names of this save (generation 1), recorded in session.json" test \
	"$(sj "$S/session.json" '[l["file"] for t in s["tracks"] for l in t["layers"]], s["generation"]')" = \
	"(['track01-layer01-save1.wav', 'track02-layer01-save1.wav'], 1)"
check "  with the same frames" cmp -s "$S/track01-layer01-save1.wav" "$TMP/orig/track01-layer01.wav"
check "  the replaced session's files are gone, no temporary file left" bash -c \
	"test ! -e '$S/track01-layer01.wav' -a ! -e '$S/track02-layer01.wav' && ! ls '$S' | grep -q part"
# the old session's files are never written over: a directory where the
# old naming would put track 2's file is no obstacle, and track 1's old
# file (its frames halved here, to tell it from the new one) is not
# replaced under session.json's feet
rm -rf "$TMP/half"; cp -r "$TMP/orig" "$TMP/half"
python3 - "$TMP/half" <<'PY'
import json, struct, sys
d = sys.argv[1]; p = d + "/session.json"; s = json.load(open(p)); s["tracks"] = s["tracks"][:1]; json.dump(s, open(p, "w"))
w = d + "/track01-layer01.wav"; b = bytearray(open(w, "rb").read()); o = 12
while b[o:o + 4] != b"data":
    o += 8 + struct.unpack_from("<I", b, o + 4)[0]
n = struct.unpack_from("<I", b, o + 4)[0] // 4
x = struct.unpack_from("<%df" % n, b, o + 8); struct.pack_into("<%df" % n, b, o + 8, *[v / 2 for v in x])
open(w, "wb").write(b)
PY
rm "$TMP/half/track02-layer01.wav"; mkdir -p "$TMP/half/track02-layer01.wav/mine"; cp "$TMP/half/track01-layer01.wav" "$TMP/half.t1"
expect_rc "save --force where a directory has the name track02-layer01.wav: the new files take names of their own" 0 \
	L save "$TMP/half" --force
check "  no temporary file left" bash -c "! ls '$TMP/half' | grep -q part"
check "  the old track01-layer01.wav was never replaced: removed after the commit, or still the old frames" \
	bash -c "test ! -e '$TMP/half/track01-layer01.wav' || cmp -s '$TMP/half/track01-layer01.wav' '$TMP/half.t1'"
check "  the new session.json lists the new files, which hold the loops' frames" bash -c \
	"cmp -s '$TMP/half/track01-layer01-save1.wav' '$TMP/orig/track01-layer01.wav' && cmp -s '$TMP/half/track02-layer01-save1.wav' '$TMP/orig/track02-layer01.wav' && grep -q track02-layer01-save1.wav '$TMP/half/session.json'"
check "  the directory in the way is untouched" test -d "$TMP/half/track02-layer01.wav/mine"
# a save that fails before its commit leaves the old session as it was
rm -rf "$TMP/fail"; cp -r "$TMP/orig" "$TMP/fail"; mkdir "$TMP/fail/session.json.part"
expect_rc "save --force that cannot write session.json.part (a directory in the way): error" 1 L save "$TMP/fail" --force
check "  naming it" grep -q "session.json.part" "$TMP/err"
check "  the old session.json and its files as they were, none of the failed save's files left" \
	diff -r -x session.json.part "$TMP/orig" "$TMP/fail"
check "pan track 1 back to the centre" L pan 1 0
echo x >"$TMP/afile"
expect_rc "save into a file: error" 1 L save "$TMP/afile"
check "saying it is not a directory" grep -q "not a directory" "$TMP/err"
expect_rc "save under a missing directory: error" 1 L save "$TMP/no/such/dir"
check "saying why" grep -q "cannot create" "$TMP/err"
expect_rc "save without a directory: usage" 2 L save
expect_rc "save to an empty path: usage (not the current directory)" 2 L save ""
expect_rc "save with a stray option: usage" 2 L save "$S" --bogus

# --- load refuses while loops play, and they play on ----------------------------------
expect_rc "load while loops play: error" 1 L load "$S"
check "saying to clear first" grep -q "clear all" "$TMP/err"
window "the loops play on after the refused load" $(( 2 * C )) layer $O1 $C $C $SEAM

# --- clear, load: the same frames at the loaded phase -------------------------------------
check "clear all" L clear all
check "an effect on the master that the session does not have" L fx add master filter freq=500
wait_frames 4800
expect_rc "load the session" 0 L load "$S"
check "says it restored the 2 effects" grep -q "2 effects restored" "$TMP/out"
check "the session's effects replace the old: track 2's back, none on the master" test \
	"$(L fx list --json | python3 -c 'import json,sys; print([(e["chain"], e["slot"], e["effect"].split()[0]) for e in json.load(sys.stdin)["effects"]])')" = "[('2', 1, 'delay'), ('2', 2, 'filter')]"
check "remove them (the checks below compare exact frames)" bash -c "'$LOOPCTL' --name $NAME fx remove 2 1 && '$LOOPCTL' --name $NAME fx remove 2 2"
check "says what it loaded" grep -q "loaded 2 tracks, 2 layers" "$TMP/out"
check "and that the old undo history went" grep -q "undo history was dropped" "$TMP/out"
C2=$(L status --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["anchor"]; print(a["cycle_frames"], a["beats_per_cycle"])')
check "the anchor is back (cycle and beats)" test "$C2" = "$C $BEATS"
N1=$(lj 1 1 origin); M2=$(lj 2 1 origin)
check "the loaded layers' origins read from status" isnum "$N1" "$M2"
check "the loaded layers keep their phase" test $(( ( (M2 - N1) % P2 + P2) % P2 )) = "$PH2"
check "track 2 is loaded muted" test "$(L status --json | python3 -c 'import json,sys; print([t["muted"] for t in json.load(sys.stdin)["tracks"]])')" = "[False, True]"
check "track 1 keeps its pan" test "$(L status --json | python3 -c 'import json,sys; print([t["pan"] for t in json.load(sys.stdin)["tracks"] if t["track"]==1][0])')" = "-1.0"
check "pan track 1 back to the centre" L pan 1 0
window "the loaded anchor plays the recorded frames" $(( 2 * C )) layer $N1 $C $C $SEAM $O1
check "mute 1, unmute 2" bash -c "'$LOOPCTL' --name $NAME mute 1 && '$LOOPCTL' --name $NAME unmute 2"
window "the loaded overdub plays its frames at its phase, then silence" $(( 2 * P2 )) layer $M2 $N2 $P2 $SEAM $O2
check "unmute 1" L unmute 1
check "a loaded session can be undone like any: clear, undo" bash -c "'$LOOPCTL' --name $NAME clear 2 && '$LOOPCTL' --name $NAME undo"
cp -r "$S" "$TMP/again"; echo mine >"$TMP/again/notes.txt"
check "clear track 2, save --force over the session" bash -c "'$LOOPCTL' --name $NAME clear 2 && '$LOOPCTL' --name $NAME save '$TMP/again' --force"
check "  the new session lists track 1's file of this save (generation 2)" \
	test "$(sj "$TMP/again/session.json" '[l["file"] for t in s["tracks"] for l in t["layers"]]')" = "['track01-layer01-save2.wav']"
check "  the replaced session's WAV files are gone, the new one and the user's own file stay" \
	bash -c "test -f '$TMP/again/track01-layer01-save2.wav' -a -f '$TMP/again/notes.txt' && test \$(ls '$TMP/again' | wc -l) = 3"
cp -r "$TMP/orig" "$TMP/listed"; echo mine >"$TMP/listed/notes.txt"
python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); s["tracks"][0]["layers"] += [{"layer": 8, "file": "session.json"}, {"layer": 9, "file": "notes.txt"}]; json.dump(s, open(p, "w"))' "$TMP/listed/session.json"
expect_rc "save --force over a session.json that lists session.json and notes.txt as layer files" 0 L save "$TMP/listed" --force
check "  the new session.json is there and notes.txt is kept (only layer file names are removed)" \
	test -f "$TMP/listed/session.json" -a -f "$TMP/listed/notes.txt"
check "undo the clear" L undo
check "record on a loaded session follows its cycle" L record 3
wait_frames $(( C / 2 ))
check "(ends)" L record 3
wait_for 5 lj 3 1 period
P3=$(lj 3 1 period 2>/dev/null)
check "the new layer repeats on the loaded anchor's cycles ($P3 frames)" bash -c "[[ '$P3' =~ ^[0-9]+\$ ]] && (( $P3 % $C == 0 ))"

# --- bad sessions: clear errors, nothing changes ---------------------------------------------
bad() { # NAME EDIT (python on s, the parsed session.json) EXPECTED-TEXT
	rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"
	python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); exec(sys.argv[2]); json.dump(s, open(p, "w"))' \
		"$TMP/bad/session.json" "$2"
	expect_rc "$1: error" 1 L load "$TMP/bad"
	check "  saying: $3" grep -q -- "$3" "$TMP/err"
}
check "clear all again" L clear all
wait_frames 4800
bad "a session whose WAV files are at another rate than it says" 's["sample_rate"] = 44100' "the session says 2 at 44100 Hz"
bad "a negative period" 's["tracks"][0]["layers"][0]["period"] = -5' "'period' must be an integer"
bad "a crossfaded layer shorter than its period" 's["tracks"][0]["layers"][0]["length"] -= 10' "length must be its period"
bad "a file outside the session" 's["tracks"][0]["layers"][0]["file"] = "../x.wav"' "'file' must be a file name"
bad "a file that is missing" 's["tracks"][1]["layers"][0]["file"] = "gone.wav"' "gone.wav"
bad "another format" 's["format"] = "sooperlooper"' "not a jackloop session"
bad "a newer version" 's["version"] = 99' "'version' must be"
bad "a track listed twice" 's["tracks"][1]["track"] = 1' "listed twice"
bad "a layer listed twice" 's["tracks"][0]["layers"].append(dict(s["tracks"][0]["layers"][0]))' "layer 1 is listed twice"
bad "double speed with an odd period" 's["tracks"][0]["layers"][0].update(speed=2, period=s["tracks"][0]["layers"][0]["period"] | 1, length=s["tracks"][0]["layers"][0]["period"] | 1)' "odd period"
bad "an effect on a chain that does not exist" 's["effects"].append({"chain": "99", "slot": 1, "effect": "eq"})' "'chain' must be a track"
bad "an effect whose words are not strings" 's["effects"][0]["args"] = ["delay", 1]' "'args' must be"
bad "a bad input" 's["tracks"][0]["inputs"] = [0, 1]' "'inputs' must be"
bad "a layer longer than the pool" 's["tracks"][0]["layers"][0].update(period=9000000, length=9000000)' "larger than the whole pool"
rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"; echo '{"format": "jackloop-session",' >"$TMP/bad/session.json"
expect_rc "a corrupt session.json: error" 1 L load "$TMP/bad"
check "  naming the line" grep -q "not valid JSON.*line" "$TMP/err"
rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"; truncate -s 20000 "$TMP/bad/track01-layer01.wav"
expect_rc "a truncated WAV file: error" 1 L load "$TMP/bad"
check "  naming the file and its length" grep -q "track01-layer01.wav has 2 channels at 48000 Hz" "$TMP/err"
rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"
python3 - "$TMP/bad/track01-layer01.wav" 1000 <<'PY'
# a NaN into frame N, left channel, of a 32-bit float WAV written by save
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read()); o = 12
while b[o:o + 4] != b"data":
    o += 8 + struct.unpack_from("<I", b, o + 4)[0]
struct.pack_into("<f", b, o + 8 + 8 * int(sys.argv[2]), float("nan"))
open(sys.argv[1], "wb").write(b)
PY
expect_rc "a WAV file holding a NaN: error" 1 L load "$TMP/bad"
check "  naming the file and the frame" grep -q "track01-layer01.wav holds a sample that is not a number (frame 1000)" "$TMP/err"
rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"; echo "not audio" >"$TMP/bad/track02-layer01.wav"
expect_rc "a WAV file that is not audio: error" 1 L load "$TMP/bad"
check "  naming it" grep -q "track02-layer01.wav" "$TMP/err"
rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"; rm "$TMP/bad/track02-layer01.wav"; mkfifo "$TMP/bad/track02-layer01.wav"
expect_rc "a FIFO in place of a layer's WAV file: an error, not a load that never ends" 1 L --timeout 10000 load "$TMP/bad"
check "  naming the file" grep -q "track02-layer01.wav: not a regular file (a FIFO)" "$TMP/err"
rm -rf "$TMP/bad"; cp -r "$TMP/orig" "$TMP/bad"; rm "$TMP/bad/session.json"; mkfifo "$TMP/bad/session.json"
expect_rc "a FIFO in place of session.json: an error" 1 L --timeout 10000 load "$TMP/bad"
check "  naming it" grep -q "session.json: not a regular file (a FIFO)" "$TMP/err"
check "  and no save, load or import is left running" jv_is session.busy null
# one 4 MB layer file (1000480 frames) named by 60 tracks: 240 MB in all,
# refused before more than the 16 MB pool's worth is read
python3 tests/mksession.py "$TMP/same" 60 --cycle 1000000 --shared
DPID=$(L --json ping | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon_pid"])')
hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$DPID/status; }
HWM0=$(hwm)
expect_rc "a session whose 60 layers name the same 4 MB file, 240 MB in all: error" 1 L load "$TMP/same"
check "  saying it needs more than the whole pool" grep -q "the layers up to track 5 layer 1 need .* more than the whole pool" "$TMP/err"
HWM1=$(hwm)
echo "# the daemon's peak resident size: $HWM0 kB before, $HWM1 kB after"
check "  having read no more than about a pool's worth (peak resident size +$(( ${HWM1:-0} - ${HWM0:-0} )) kB, under 48 MB)" \
	test -n "$HWM0" -a -n "$HWM1" -a $(( ${HWM1:-0} - ${HWM0:-0} )) -lt 49152
expect_rc "load of a missing directory: error" 1 L load "$TMP/nowhere"
check "  saying so" grep -q "No such file" "$TMP/err"
expect_rc "load without a directory: usage" 2 L load
check "after every refused load the looper is still empty" bash -c "'$LOOPCTL' --name $NAME status | grep -q 'track 1: empty'"
expect_rc "and the good session still loads (named by its session.json)" 0 L load "$TMP/orig/session.json"
N1=$(lj 1 1 origin)
check "pan track 1 back to the centre" L pan 1 0
window "and plays the recorded frames" $(( 2 * C )) layer $N1 $C $C $SEAM $O1
# The PA limiter catches the loops at +12 dB; a second after the master
# is back at 0 dB its gain is exactly 1 again (it once stalled 4 float
# steps below 1, and every later window read wrong)
PL0=$(jv engine.pa_limited)
check "master gain +12 dB" L master-gain 12
check "  the PA limiter catches the loops" wait_for 10 jv_gt engine.pa_limited "${PL0:-0}"
check "master gain back to 0 dB" L master-gain 0
wait_frames 48000
window "a second later the loop plays exact again" $(( 2 * C )) layer $N1 $C $C $SEAM $O1
check "no engine command was rejected" test "$(jv engine.commands_rejected)" = 0
grep "rejected command" "$TMP/jackloop.log" | head -5

rm -rf "$TMP/fx"; cp -r "$TMP/orig" "$TMP/fx"
python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); s["effects"].insert(0, {"chain": "1", "slot": 1, "effect": "conv ir=/nonexistent.wav"}); json.dump(s, open(p, "w"))' "$TMP/fx/session.json"
check "clear all" L clear all
wait_frames 4800
expect_rc "an effect that cannot be restored (its IR is gone): the loops still load" 0 L load "$TMP/fx"
check "  saying which effect failed and why" grep -q "2 effects restored, not restored: /nonexistent.wav" "$TMP/out"

# --- jackloop --load: a second instance starts with the session ---------------------------
spawn "$TMP/jackloop2.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name ss2 --osc-port 0 \
	--history 10 --pool-mb 16 --load "$TMP/orig"
check "jackloop --load DIR: a second instance starts" wait_for 10 "$LOOPCTL" --name ss2 ping
loaded2() { "$LOOPCTL" --name ss2 status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert [len(t["layers"]) for t in s["tracks"]] == [1, 1] and s["anchor"]["cycle_frames"] == int(sys.argv[1])' "$C"; }
check "  with the session's anchor and layers" wait_for 10 loaded2
check "  and says so" grep -q "load: loaded 2 tracks" "$TMP/jackloop2.log"

# --- a large session: 400 layers (more than one batch of starts, more than one status datagram) ---
spawn "$TMP/jackloop3.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name ss3 --osc-port 0 \
	--history 5 --pool-mb 32 --max-voices 512
check "a third instance with 512 voices" wait_for 10 "$LOOPCTL" --name ss3 ping
python3 tests/mksession.py "$TMP/big" 400
expect_rc "load a session of 400 layers" 0 "$LOOPCTL" --name ss3 load "$TMP/big"
check "  all of them" grep -q "loaded 64 tracks, 400 layers" "$TMP/out"
expect_rc "save --force over that session (its files named the old way, trackNN-layerMM.wav)" 0 \
	"$LOOPCTL" --name ss3 save "$TMP/big" --force
check "  400 files of this save, the 400 old ones removed" \
	test "$(ls "$TMP/big" | grep -c 'save1\.wav$') $(ls "$TMP/big" | grep -vc 'save1\.wav$')" = "400 1"
sleep 0.5
expect_rc "status --json of 400 layers is more than one datagram: a clear error, not silence" 1 \
	"$LOOPCTL" --name ss3 status --json
check "  pointing to status TRACK" grep -q "more than one OSC datagram holds.*status TRACK" "$TMP/err"
big_ok() {
	for t in $(seq 1 64); do "$LOOPCTL" --name ss3 status $t --json || return 1; echo; done | python3 -c '
import json, sys
L = [json.loads(l) for l in sys.stdin if l.strip()]
e = L[-1]["engine"]
lay = [l for s in L for t in s["tracks"] for l in t["layers"]]
sys.exit(not (len(lay) == 400 and all(l["peak_db"] > -100 for l in lay) and
              e["commands_rejected"] == 0 and e["commands_dropped"] == 0))'
}
check "  status TRACK, track by track: 400 layers, every one sounding, no command rejected or dropped" big_ok
expect_rc "status of a track that does not exist: usage" 2 "$LOOPCTL" --name ss3 status 99
check "clear all on the first instance (256 voices)" L clear all
wait_frames 4800
expect_rc "the 400-layer session there: error" 1 L load "$TMP/big"
check "  saying the voices are too few, and how to have more" grep -q "400 layers and 256 voices are free.*--max-voices" "$TMP/err"

# --- a load refused for a fragmented pool keeps the cleared loops' undo history -----------------
# a 4 MB pool (1048576 floats): a first loop of 500000 frames imported at
# its start, a filter's state right after it; cleared, the loop's region is
# still held for undo.  A session of one 600480-frame layer fits neither
# beside the loop nor in the gaps once it is dropped: refused, and the loop
# must still come back with undo
spawn "$TMP/jackloop4.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name ss4 --osc-port 0 \
	--history 5 --pool-mb 4
check "a fourth instance with a 4 MB pool" wait_for 10 "$LOOPCTL" --name ss4 ping
python3 tests/mkwav.py "$TMP/z500k.wav" zeros 48000 500000 1
expect_rc "  import a first loop of 500000 frames" 0 "$LOOPCTL" --name ss4 import "$TMP/z500k.wav" --beats 4
check "  a filter on track 1 (its state after the loop's region)" "$LOOPCTL" --name ss4 fx add 1 filter freq=800
check "  clear all" "$LOOPCTL" --name ss4 clear all
python3 tests/mksession.py "$TMP/frag" 1 --cycle 600000
expect_rc "  load a session of one 600480-frame layer: refused" 1 "$LOOPCTL" --name ss4 load "$TMP/frag"
check "  saying the pool is too fragmented" grep -q "too fragmented" "$TMP/err"
expect_rc "  undo brings the cleared loop back (its undo history was kept)" 0 "$LOOPCTL" --name ss4 undo
check "  it plays" test "$(NAME=ss4 lj 1 1 state)" = active

# --- a half-speed layer keeps its phase modulo its voice's period (2P) -------------------------
# a 1 s loop whose first half is positive and second half negative, at half
# speed (its voice repeats every 2 s) and at phase 49000 against the anchor:
# modulo P the phase would be 1000, and the layer would play the other half
# of its frames against the cycle (every sign flipped)
python3 tests/mksession.py "$TMP/halfsp" 1 --cycle 48000 --speed 0.5 --phase 49000 --halves
wait_frames 4800
hphase() { echo $(( ( ($(lj 1 1 origin) - $(jv anchor.origin)) % 96000 + 96000) % 96000 )); }
expect_rc "load a session with a half-speed layer at phase 49000 (more than its period, 48000)" 0 L load "$TMP/halfsp"
check "  it plays at that phase against the anchor, modulo 2 periods" test "$(hphase)" = 49000
expect_rc "  save it" 0 L save "$TMP/halfsp2"
check "  session.json has its phase modulo 2 periods: 49000" test "$(sj "$TMP/halfsp2/session.json" 's["tracks"][0]["layers"][0]["phase"]')" = 49000
check "  clear all" L clear all
wait_frames 4800
expect_rc "  load it back" 0 L load "$TMP/halfsp2"
check "  the same phase against the anchor" test "$(hphase)" = 49000
HS_O=$(( $(jv anchor.origin) + 49000 )) # where the session says its voice starts over
HS_A=$(( $(jv engine.frame) + 4800 ))
wait_frames $(( 96000 + 9600 ))
check "clear all" L clear all
wait_frames 4800

# --- a layer at +24 dB (the top of its range) saves and loads ----------------------------------
python3 tests/mksession.py "$TMP/g24" 1
expect_rc "load a one-layer session (-40 dB)" 0 L load "$TMP/g24"
check "  layer 1 1 gain 24" L layer 1 1 gain 24
expect_rc "  save it" 0 L save "$TMP/g24s"
check "  session.json has gain_db 24.0 exactly" test "$(sj "$TMP/g24s/session.json" 's["tracks"][0]["layers"][0]["gain_db"]')" = 24.0
check "  clear all" L clear all
wait_frames 4800
expect_rc "  load it back" 0 L load "$TMP/g24s"
check "  the layer is at +24 dB, as status says it: 24.0" test "$(lj 1 1 gain_db)" = 24.0
check "  clear all" L clear all
wait_frames 4800
python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); s["tracks"][0]["layers"][0]["gain_db"] = 24.0000001872; json.dump(s, open(p, "w"))' "$TMP/g24s/session.json"
expect_rc "  a session saved with the float's 24.0000001872 dB loads too" 0 L load "$TMP/g24s"
check "  clear all" L clear all
wait_frames 4800

# --- conv: ir= paths are absolute; one with spaces is saved and restored ------------------------
mkdir -p "$TMP/my irs"
python3 tests/mkwav.py "$TMP/my irs/room.wav" sine 440 48000 480
expect_rc "load a one-layer session" 0 L load "$TMP/g24"
ABS_LOOPCTL="$(cd "$(dirname "$LOOPCTL")" && pwd)/$(basename "$LOOPCTL")"
expect_rc "fx add 1 conv ir=room.wav from the IR's directory (a relative path: the CLI makes it absolute)" 0 \
	bash -c "cd '$TMP/my irs' && '$ABS_LOOPCTL' --name $NAME fx add 1 conv ir=room.wav"
check "  fx list names the file by its absolute path" bash -c "'$LOOPCTL' --name $NAME fx list 1 | grep -qF 'conv ir=$TMP/my irs/room.wav mix=1.00'"
OSCPORT=$(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["osc_port"])')
check "  a relative ir= sent over OSC: refused, saying the daemon needs an absolute path" bash -c \
	"python3 tests/osc.py $OSCPORT /jl/fx s:add s:1 s:conv s:ir=room.wav | grep -q '^usage.*needs an absolute path'"
mkfifo "$TMP/my irs/fifo.wav"
expect_rc "fx add 1 conv ir=FIFO: an error at once (the daemon's loop once blocked on it)" 1 L --timeout 5000 fx add 1 conv "ir=$TMP/my irs/fifo.wav"
check "  saying so" grep -q "fifo.wav: cannot open the impulse response: not a regular file (a FIFO)" "$TMP/err"
check "  and the daemon still answers" L ping
expect_rc "  save it (an IR path with a space)" 0 L save "$TMP/irsess"
check "  session.json has the effect's words: the path one word" test \
	"$(sj "$TMP/irsess/session.json" 's["effects"][0]["args"]')" = "['conv', 'ir=$TMP/my irs/room.wav', 'mix=1.00']"
check "clear all" L clear all
wait_frames 4800
expect_rc "load it back" 0 L load "$TMP/irsess"
check "  says it restored the effect" grep -q "1 effect restored" "$TMP/out"
check "  with its path, space and all" bash -c "'$LOOPCTL' --name $NAME fx list 1 | grep -qF 'conv ir=$TMP/my irs/room.wav mix=1.00'"
check "clear all" L clear all
wait_frames 4800
python3 -c 'import json, sys; p = sys.argv[1]; s = json.load(open(p)); [e.pop("args") for e in s["effects"]]; json.dump(s, open(p, "w"))' "$TMP/irsess/session.json"
expect_rc "a session saved before effects had args (only the line \"conv ir=... mix=...\"): loads" 0 L load "$TMP/irsess"
check "  the conv restored with its path, space and all" bash -c \
	"grep -q '1 effect restored' '$TMP/out' && '$LOOPCTL' --name $NAME fx list 1 | grep -qF 'conv ir=$TMP/my irs/room.wav mix=1.00'"
check "clear all, remove the effect" bash -c "'$LOOPCTL' --name $NAME clear all && '$LOOPCTL' --name $NAME fx remove 1 1"
wait_frames 4800

# --- a session saved at another sample rate is converted ---------------------------------------
# 44.1 kHz: track 1 a 441 Hz sine looped every second (441 whole periods),
# track 2 the same at half a cycle's phase, muted; track 3 a partial layer
# of two cycles at double speed, muted.  At 48 kHz the cycle must be 48000
# frames, the phase 24000, and the loop must still sound at 441 Hz
# (unconverted it would be 480 Hz).
python3 - "$TMP/sr44" <<'PY'
import json, math, os, struct, sys, wave
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
R, P, SEAM = 44100, 44100, 441
for t, n in ((1, SEAM + P), (2, SEAM + P), (3, SEAM + 30000 + SEAM)):
    with wave.open(os.path.join(d, "t%d.wav" % t), "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(R)
        w.writeframes(b"".join(struct.pack("<h", int(round(8000 * math.sin(2 * math.pi * 441 * (k - SEAM) / R))))
                               for k in range(n)))
lay = lambda t, ph: [{"layer": 1, "file": "t%d.wav" % t, "channels": 1, "head": SEAM, "length": P, "period": P,
                      "seam": SEAM, "seam_mode": "crossfade", "phase": ph}]
json.dump({"format": "jackloop-session", "version": 1, "sample_rate": R, "cycle_frames": P, "beats_per_cycle": 2,
           "beats_per_bar": 4, "tracks": [{"track": 1, "channels": 1, "inputs": [1, 1], "layers": lay(1, 0)},
                                          {"track": 2, "channels": 1, "inputs": [1, 1], "muted": True,
                                           "layers": lay(2, 22050)},
                                          {"track": 3, "channels": 1, "inputs": [1, 1], "muted": True,
                                           "layers": [{"layer": 1, "file": "t3.wav", "channels": 1, "head": SEAM,
                                                       "length": 30000, "period": 2 * P, "seam": SEAM,
                                                       "seam_mode": "edges", "phase": 1000, "speed": 2}]}]},
          open(os.path.join(d, "session.json"), "w"))
PY
wait_frames 4800
expect_rc "load a session saved at 44.1 kHz into 48 kHz (the looper is empty again)" 0 L --json load "$TMP/sr44"
check "  says it converted it" bash -c "python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[\"converted_from_rate\"] == 44100' '$TMP/out'"
check "  the cycle is 1 s at 48 kHz: 48000 frames, 2 beats" test "$(L status --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["anchor"]; print(a["cycle_frames"], a["beats_per_cycle"])')" = "48000 2"
Q1=$(lj 1 1 origin); Q2=$(lj 2 1 origin)
check "  the layers' periods are 48000 frames and their phases 24000 apart" bash -c \
	"isnum() { [[ \$1 =~ ^[0-9]+\$ ]]; }; isnum '$Q1' && isnum '$Q2' && test \$(( ( ($Q2 - $Q1) % 48000 + 48000) % 48000 )) = 24000 && test $(lj 1 1 period) = 48000"
check "  a partial layer of two cycles at double speed: 96000 frames, its 30000 frames now 32653" \
	test "$(lj 3 1 period) $(lj 3 1 length)" = "96000 32653"
wait_frames 96000
SR_A=$(( $(jv engine.frame) - 48000 - 4800 ))

# a session saved at 1 kHz whose layer fits the 16 MB pool as it stands (0.8 MB) but not at
# 48 kHz (38 MB): refused before anything changes
python3 - "$TMP/sr1k" <<'PY'
import json, os, sys, wave
d = sys.argv[1]; os.makedirs(d, exist_ok=True)
with wave.open(os.path.join(d, "t1.wav"), "wb") as w:
    w.setnchannels(2); w.setsampwidth(2); w.setframerate(1000); w.writeframes(b"\x10\x00" * 2 * 100010)
json.dump({"format": "jackloop-session", "version": 1, "sample_rate": 1000, "cycle_frames": 100000,
           "beats_per_cycle": 4, "beats_per_bar": 4,
           "tracks": [{"track": 1, "channels": 2, "inputs": [1, 2],
                       "layers": [{"layer": 1, "file": "t1.wav", "channels": 2, "head": 10, "length": 100000,
                                   "period": 100000, "seam": 10, "seam_mode": "crossfade", "phase": 0}]}]},
          open(os.path.join(d, "session.json"), "w"))
PY
check "clear all" L clear all
wait_frames 4800
expect_rc "a session at 1 kHz too large for the pool once converted to 48 kHz: error" 1 L load "$TMP/sr1k"
check "  saying so" grep -q "at 48000 Hz the session is larger than the whole pool" "$TMP/err"
check "  and the looper is still empty" bash -c "'$LOOPCTL' --name $NAME status | grep -q 'track 1: empty'"

# a phase of whole cycles stays whole cycles: 44105 frames at 44.1 kHz are
# 48005.44 at 48 kHz, so the cycle is 48005; a layer of 4 cycles at phase
# 3 cycles (132315) must come back at 3 * 48005 = 144015 (rounding 132315 *
# 48000 / 44100 = 144016.33 as a whole put it a frame off the cycle grid)
python3 tests/mksession.py "$TMP/sr44q" 1 --rate 44100 --cycle 44105 --cycles 4 --phase 132315
expect_rc "load a 44.1 kHz session with a layer at phase 3 cycles" 0 L load "$TMP/sr44q"
check "  the cycle 48005, the period 4 of them, the phase exactly 3 of them" test \
	"$(jv anchor.cycle_frames) $(lj 1 1 period) $(( ( ($(lj 1 1 origin) - $(jv anchor.origin)) % 192020 + 192020) % 192020 ))" = "48005 192020 144015"
check "clear all" L clear all

# --- check the recording ------------------------------------------------------------------------
stop_pid $REC
loopcheck "$TMP/rec.bin" "$WIN"
# the converted loop's pitch: zero crossings of out_L over one second
HZ=$(python3 - "$TMP/rec.bin" $(( SR_A - OFF )) <<'PY'
import struct, sys
buf = open(sys.argv[1], "rb").read(); a = int(sys.argv[2]) % (1 << 32); x = []; i = 0
while i + 12 <= len(buf):
    f, n, ch = struct.unpack_from("<III", buf, i); i += 12
    v = struct.unpack_from("<%df" % (n * ch), buf, i); i += 4 * n * ch
    for k in range(n):
        if 0 <= (f + k - a) % (1 << 32) < 48000:
            x.append(v[k * ch])
z = sum(1 for p, q in zip(x, x[1:]) if (p < 0) != (q < 0))
print("%.1f" % (z / 2.0) if len(x) == 48000 else "short %d" % len(x))
PY
)
# the half-speed layer: the first half of its frames (positive) plays while
# (y - anchor origin - 49000) mod 96000 < 48000, the second half after; the
# output is read away from the two turns and the seams
HSB=$(python3 - "$TMP/rec.bin" $(( HS_A - OFF )) "$HS_A" "$HS_O" <<'PY'
import struct, sys
buf = open(sys.argv[1], "rb").read(); a = int(sys.argv[2]) % (1 << 32); y0, o = int(sys.argv[3]), int(sys.argv[4])
i = 0; bad = n = 0
while i + 12 <= len(buf):
    f, m, ch = struct.unpack_from("<III", buf, i); i += 12
    v = struct.unpack_from("<%df" % (m * ch), buf, i); i += 4 * m * ch
    for k in range(m):
        d = (f + k - a) % (1 << 32)
        if d < 96000:
            q = (y0 + d - o) % 96000
            if min(q, abs(q - 48000), 96000 - q) < 3000:
                continue
            n += 1
            bad += (v[k * ch] > 0) != (q < 48000)
print("%d of %d" % (bad, n))
PY
)
check "the loaded half-speed layer plays its first half in the first period of its voice, its second in the second ($HSB samples off)" \
	python3 -c "import sys; b, n = map(int, sys.argv[1].split(' of ')); sys.exit(not (b == 0 and n > 80000))" "$HSB"
echo "# the loaded 44.1 kHz loop sounds at $HZ Hz"
check "the loop saved at 44.1 kHz sounds at 441 Hz at 48 kHz (within 1.5 Hz; 480 unconverted)" \
	python3 -c "import sys; sys.exit(not abs(float(sys.argv[1]) - 441) <= 1.5)" "$HZ"
report

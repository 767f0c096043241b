#!/bin/bash
# it_import.sh - `loopctl import FILE` through a real JACK server.  A file of
# the player's frame codes becomes the first loop (its length is the cycle)
# and must play back frame for frame from its start frame; files 1.9 and
# 1.3 cycles long are fitted to 2 cycles (padded with silence) and, with
# --cycles 1, to one cycle (cut, with a fade over the seam); undo and redo
# take an imported layer away and back; a 44.1 kHz file is converted (its
# pitch kept); a mono file makes a mono track.  A second instance counts
# the beats of a click track imported as its first loop, and a preset
# tempo's.  Then the bad input: missing, foreign, empty, 3-channel, NaN,
# truncated and too large files, bad options; each is a clear error that
# changes nothing.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=im
L() { "$LOOPCTL" --name $NAME "$@"; }
WIN="$TMP/windows.txt"
: >"$WIN"
wait_frames() { wait_for 10 jv_gt engine.frame $(( $(jv engine.frame) + $1 )); }
isnum() { local v; for v in "$@"; do [[ $v =~ ^-?[0-9]+$ ]] || return 1; done; }
rj() { python3 -c 'import json,sys; print(eval(sys.argv[1], {"r": json.load(open(sys.argv[2]))}))' "$1" "$TMP/out"; }
nlayers() { L status --json | python3 -c 'import json,sys; print(sum(len(t["layers"]) for t in json.load(sys.stdin)["tracks"]))'; }
MK="python3 tests/mkwav.py"

check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 \
	--history 10 --pool-mb 16
check "jackloop + daemon up" wait_for 10 "$LOOPCTL" --name $NAME ping
spawn "$TMP/rec.log" "$B/tests/jl_recorder" -o "$TMP/rec.bin" $NAME:out_L $NAME:out_R
REC=$LAST_PID
check "recorder" wait_for 5 grep -q ready "$TMP/rec.log"
wait_frames 4800
OFF=$(jv engine.frame_offset)

C=60000
S1=1000
$MK "$TMP/a.wav" code $S1 $C
$MK "$TMP/b.wav" code 300000 $(( C * 19 / 10 ))
$MK "$TMP/c.wav" code 600000 $(( C * 13 / 10 ))

# --- bad options before any loop ----------------------------------------------------------
expect_rc "import --cycles before any loop: usage" 2 L import "$TMP/a.wav" --cycles 2
check "  saying the first import defines the cycle" grep -q "first import defines the cycle" "$TMP/err"
expect_rc "import --stretch before any loop: usage" 2 L import "$TMP/a.wav" --stretch
expect_rc "import --now before any loop: usage" 2 L import "$TMP/a.wav" --now
expect_rc "import without a file: usage" 2 L import
expect_rc "import --track 99: usage" 2 L import "$TMP/a.wav" --track 99
expect_rc "import --beats 0: usage" 2 L import "$TMP/a.wav" --beats 0

# --- the first loop ------------------------------------------------------------------------
expect_rc "import a file as the first loop (a relative path, --beats 4)" 0 \
	bash -c "cd '$TMP' && '$(cd "$(dirname "$LOOPCTL")" && pwd)/$(basename "$LOOPCTL")' --name $NAME --json import --beats 4 a.wav"
check "  says so" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["track"] == 1 and r["period"] == int(sys.argv[2]) and r["beats_per_cycle"] == 4, r' "$TMP/out" $C
A0=$(rj 'r["starts_at"]')
check "  the anchor: its length, 4 beats" test "$(L status --json | python3 -c 'import json,sys; a=json.load(sys.stdin)["anchor"]; print(a["cycle_frames"], a["beats_per_cycle"])')" = "$C 4"
check "  its layer starts on the cycle's origin" test "$(lj 1 1 origin)" = "$A0"
isnum "$A0" || A0=0
window "the imported first loop plays the file frame for frame" $(( 2 * C )) layer $A0 $C $C 0 $(( S1 + OFF ))

# --- fitted to the cycle --------------------------------------------------------------------
check "mute track 1" L mute 1
expect_rc "import a file of 1.9 cycles on a new track" 0 L --json import "$TMP/b.wav"
check "  fitted to 2 cycles, padded" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["track"] == 2 and r["cycles"] == 2 and r["fit"] == "padded", r' "$TMP/out"
B0=$(rj 'r["starts_at"]')
wait_for 10 jv_gt engine.frame $B0
check "  it starts on a cycle start" test $(( (B0 - A0) % C )) = 0
window "the fitted layer: the file, then silence to the end of its 2 cycles" $(( 2 * C + C / 2 )) \
	layer $B0 $(( C * 19 / 10 )) $(( 2 * C )) 0 $(( 300000 + OFF ))
check "mute track 2" L mute 2
expect_rc "import a file of 1.3 cycles, --cycles 1, on track 3" 0 L --json import "$TMP/c.wav" --cycles 1 --track 3
check "  cut to 1 cycle" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["track"] == 3 and r["cycles"] == 1 and r["period"] == int(sys.argv[2]), r' "$TMP/out" $C
check "  the answer says it was cut" test "$(rj 'r["fit"], r["file_frames"]')" = "('cut', $(( C * 13 / 10 )))"
C0=$(rj 'r["starts_at"]')
wait_for 10 jv_gt engine.frame $C0
window "the cut layer: the file's first cycle (its last 10 ms fade)" $(( 2 * C )) layer $C0 $(( C - 480 )) $C 480 $(( 600000 + OFF ))
N=$(nlayers)
check "undo takes the import away" L undo
check "  one layer less plays" test "$(L status --json | python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin)["tracks"] for l in t["layers"] if l["state"] == "active"))')" = $(( N - 1 ))
wait_frames 4800
window "  and track 3 is silent" $C silent
check "redo brings it back" L redo
wait_frames $(( C + 4800 ))
window "  playing its frames at its phase" $C layer $C0 $(( C - 480 )) $C 480 $(( 600000 + OFF ))
check "mute track 3" L mute 3

# --- another rate, another channel count ------------------------------------------------------
# 55125 frames at 44.1 kHz are 60000 at 48 kHz, and a 440 Hz sine makes 550
# whole periods in them: converted as a loop, it goes on across the seam
$MK "$TMP/s44.wav" sine 440 44100 55125
expect_rc "import a 44.1 kHz file of one cycle" 0 L --json import "$TMP/s44.wav"
check "  says it converted it, to exactly one cycle" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["converted_from_rate"] == 44100 and r["cycles"] == 1 and r["fit"] == "exact" and r["file_frames"] == 60000, r' "$TMP/out"
check "  a mono file makes a mono track" test "$(L status --json | python3 -c 'import json,sys; print([t["channels"] for t in json.load(sys.stdin)["tracks"] if t["track"] == 4][0])')" = 1
D0=$(rj 'r["starts_at"]')
wait_for 10 jv_gt engine.frame $(( D0 + 2 * C + 4800 ))

# --- --now: joins the loops at the phase they have reached ---------------------------------
check "mute track 4" L mute 4
expect_rc "import --now: the first loop's file again, on track 5" 0 L --json import "$TMP/a.wav" --now
E0=$(rj 'r["origin"]'); ES=$(rj 'r["starts_at"]')
check "  its origin is a cycle start, and it sounds before the next one" bash -c \
	"[[ '$E0' =~ ^[0-9]+\$ && '$ES' =~ ^[0-9]+\$ ]] && (( ($E0 - $A0) % $C == 0 && $ES > $E0 && $ES < $E0 + $C ))"
isnum "$E0" || E0=0
window "  it plays the file at the loop's phase from then on" $(( 2 * C )) layer $E0 $C $C 0 $(( S1 + OFF ))
check "mute track 5" L mute 5

$MK "$TMP/s50.wav" sine 440 48000 50000
expect_rc "import --stretch: a file of 50000 frames on a new track" 0 L --json import "$TMP/s50.wav" --stretch
check "  stretched to one cycle (60000 frames)" test "$(rj 'r["fit"], r["cycles"], r["period"], r["file_frames"]')" = "('stretched', 1, $C, 50000)"

# --- bad files: clear errors, nothing changes ---------------------------------------------------
N=$(nlayers)
bad() { # NAME FILE EXPECTED-TEXT
	expect_rc "$1: error" 1 L import "$2"
	check "  saying: $3" grep -q -- "$3" "$TMP/err"
}
bad "a missing file" "$TMP/nothere.wav" "No such file"
echo "not audio" >"$TMP/text.wav"
bad "a file that is not audio" "$TMP/text.wav" "not an audio file"
$MK "$TMP/empty.wav" zeros 48000 0 2
bad "an empty WAV file" "$TMP/empty.wav" "no frames"
$MK "$TMP/three.wav" zeros 48000 4800 3
bad "a 3-channel file" "$TMP/three.wav" "3 channels: import takes mono or stereo"
$MK "$TMP/nan.wav" nan
bad "a float file holding a NaN" "$TMP/nan.wav" "not a number (frame 2400)"
$MK "$TMP/big.wav" zeros 48000 2500000 2
bad "a file larger than the pool" "$TMP/big.wav" "larger than the whole pool"
$MK "$TMP/long.wav" zeros 48000 480000 2
head -c 200000 "$TMP/long.wav" >"$TMP/trunc.wav"
bad "a truncated file" "$TMP/trunc.wav" "truncated"
expect_rc "import --beats once the cycle exists: usage" 2 L import "$TMP/a.wav" --beats 8
expect_rc "import a directory: error" 1 L import "$TMP"
mkfifo "$TMP/fifo.wav"
expect_rc "import a FIFO: an error, not an import that never ends" 1 L --timeout 10000 import "$TMP/fifo.wav"
check "  naming it" grep -q "fifo.wav: not a regular file (a FIFO)" "$TMP/err"
check "  and no import is left running" jv_is session.busy null
check "after every refused import the layers are the same" test "$(nlayers)" = "$N"
expect_rc "but that file cut to one cycle (--cycles 1): only what it needs is read" 0 L --json import "$TMP/big.wav" --cycles 1
check "  one cycle, cut, the whole file's length reported" test "$(rj 'r["fit"], r["cycles"], r["file_frames"]')" = "('cut', 1, 2500000)"
check "no engine command was rejected" test "$(jv engine.commands_rejected)" = 0

# --- a second instance: the first loop's beats ------------------------------------------------
spawn "$TMP/jackloop2.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name im2 --osc-port 0 \
	--history 5 --pool-mb 8
check "a second instance" wait_for 10 "$LOOPCTL" --name im2 ping
$MK "$TMP/click.wav" click 120 48000 4
expect_rc "import a 4 s click track at 120 BPM as its first loop" 0 "$LOOPCTL" --name im2 --json import "$TMP/click.wav"
check "  8 beats, heard in it" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["beats_per_cycle"] == 8 and "120.0 BPM heard" in r["beats_from"], r' "$TMP/out"
spawn "$TMP/jackloop3.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name im3 --osc-port 0 \
	--history 5 --pool-mb 8
check "a third instance" wait_for 10 "$LOOPCTL" --name im3 ping
check "  a preset tempo of 90 BPM" "$LOOPCTL" --name im3 tempo 90
expect_rc "import the click track there" 0 "$LOOPCTL" --name im3 --json import "$TMP/click.wav"
check "  6 beats (4 s at 90 BPM)" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["beats_per_cycle"] == 6, r' "$TMP/out"

# --- imported layers are saved and loaded like any ---------------------------------------------
expect_rc "save the imports" 0 L save "$TMP/sess"
check "  the first loop's WAV holds the file's frames, bit for bit" python3 -c '
import struct, sys
def frames(p):
    d = open(p, "rb").read(); i = 12; fmt = data = None
    while i + 8 <= len(d):
        tag, n = d[i:i + 4], struct.unpack_from("<I", d, i + 4)[0]
        if tag == b"fmt ": fmt = struct.unpack_from("<HHIIHH", d, i + 8)
        if tag == b"data": data = d[i + 8:i + 8 + n]
        i += 8 + n + (n & 1)
    return fmt[0], fmt[1], data
a, b = frames(sys.argv[1]), frames(sys.argv[2])
sys.exit(not (a[1] == b[1] == 2 and a[0] in (3, 0xFFFE) and a[2] == b[2]))' "$TMP/a.wav" "$TMP/sess/track01-layer01.wav"
check "clear all on the third instance" "$LOOPCTL" --name im3 clear all
wait_for 5 bash -c "'$LOOPCTL' --name im3 status | grep -q 'track 1: empty'"
expect_rc "  and load the saved imports there" 0 "$LOOPCTL" --name im3 load "$TMP/sess"
check "  7 tracks, 7 layers" grep -q "loaded 7 tracks, 7 layers" "$TMP/out"

# --- back to back: an import, a save sent while it runs, and one more save, in one bundle -----------
# The save waits for the import and is answered when it has run; the
# third finds one waiting already and is refused at once.
PORT=$(jv daemon.osc_port)
E0=$(jv daemon.osc_errors)
python3 tests/osc.py $PORT --timeout 30 --all /jl/import "s:$TMP/s50.wav" s:--stretch \
	+ /jl/save "s:$TMP/queued" + /jl/save "s:$TMP/third" >"$TMP/q.txt"; cat "$TMP/q.txt"
check "a save sent while an import runs, and a third: the third is refused first, saying what runs and waits" \
	bash -c "head -1 '$TMP/q.txt' | grep -q \$'^error\tsave\tan import is still running and a save waits for it'"
check "  then the import is answered" bash -c "sed -n 2p '$TMP/q.txt' | grep -q \$'^ok\timport\timported as track 8'"
check "  then the save that waited, which holds the import's track" bash -c \
	"sed -n 3p '$TMP/q.txt' | grep -q \$'^ok\tsave\tsaved 8 layers' && grep -q '\"track\": 8' '$TMP/queued/session.json'"
check "  and the refused one wrote nothing" test ! -e "$TMP/third"
check "  nothing runs or waits any more" jv_is session.busy null
check "  one OSC error counted, the refusal (the commands that waited are no errors)" test "$(jv daemon.osc_errors)" = $(( ${E0:-0} + 1 ))

# --- check the recording ---------------------------------------------------------------------------
stop_pid $REC
loopcheck "$TMP/rec.bin" "$WIN"
# the cut layer's fade: over its last 480 frames (10 ms, the seam) the
# file's frames times (479 - i) / 480, exactly (float32 arithmetic), in the
# two cycles from its start (tracks 1 and 2 muted, track 4 not yet there)
FADE=$(python3 - "$TMP/rec.bin" $(( C0 - OFF )) $C 600000 <<'PY'
import struct, sys
buf = open(sys.argv[1], "rb").read(); a, C, S = int(sys.argv[2]) % (1 << 32), int(sys.argv[3]), int(sys.argv[4])
f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
code = lambda k: ((k & 0x7FFF) - 16384 + 0.5) / 32768
good = n = 0; i = 0
while i + 12 <= len(buf):
    f, m, ch = struct.unpack_from("<III", buf, i); i += 12
    v = struct.unpack_from("<%df" % (m * ch), buf, i); i += 4 * m * ch
    for k in range(m):
        y = (f + k - a) % (1 << 32)
        q = y % C
        if y < 2 * C and q >= C - 480:
            w = f32(f32(479 - (q - (C - 480))) / f32(480))
            n += 1
            good += v[k * ch] == f32(f32(code(S + q)) * w) and v[k * ch + 1] == f32(f32(code((S + q) >> 15)) * w)
print(good, n)
PY
)
check "the cut layer fades out over its last 10 ms, exactly ($FADE of the frames)" test "$FADE" = "960 960"
# its pitch (zero crossings of out_L over its first second) and its seam
# (the largest deviation from the sine fitted over the middle of the loop,
# within 200 frames of the seam, relative to its amplitude)
read HZ SEAMERR < <(python3 - "$TMP/rec.bin" $(( D0 - OFF )) $C <<'PY'
import math, struct, sys
buf = open(sys.argv[1], "rb").read(); a = int(sys.argv[2]) % (1 << 32); C = int(sys.argv[3]); x = {}; i = 0
while i + 12 <= len(buf):
    f, n, ch = struct.unpack_from("<III", buf, i); i += 12
    v = struct.unpack_from("<%df" % (n * ch), buf, i); i += 4 * n * ch
    for k in range(n):
        q = (f + k - a) % (1 << 32)
        if q < 2 * C:
            x[q] = v[k * ch]
if len(x) < 2 * C:
    print("short", len(x)); sys.exit()
y = [x[q] for q in range(2 * C)]
z = sum(1 for p, q in zip(y[:48000], y[1:48000]) if (p < 0) != (q < 0))
w = 2 * math.pi * 440 / 48000
s = sum(y[q] * math.sin(w * q) for q in range(C // 4, 3 * C // 4)) * 2 / (C // 2)
c = sum(y[q] * math.cos(w * q) for q in range(C // 4, 3 * C // 4)) * 2 / (C // 2)
amp = math.hypot(s, c)
err = max(abs(y[q] - s * math.sin(w * q) - c * math.cos(w * q)) for q in range(C - 200, C + 200))
print("%.1f %.5f" % (z / 2.0, err / amp))
PY
)
echo "# the imported 44.1 kHz sine sounds at $HZ Hz; at the seam it is within $SEAMERR of its amplitude"
check "the 44.1 kHz file sounds at 440 Hz at 48 kHz (within 1.5 Hz; 479 unconverted)" \
	python3 -c "import sys; sys.exit(not abs(float(sys.argv[1]) - 440) <= 1.5)" "$HZ"
# bound: the 16-bit source rounds to 1/8192 of the amplitude (error 6e-5),
# the converter adds about 1.4e-5 (97 dB); converted without the wrap
# (each end seeing silence) the seam is off by 2.2e-3
check "and loops across the seam without a click (within 5e-4 of the sine's amplitude)" \
	python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 0.0005)" "$SEAMERR"
report

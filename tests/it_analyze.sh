#!/usr/bin/env bash
# it_analyze.sh - `loopctl analyze` on good and bad input.
#   tests/it_analyze.sh [build/loopctl]
# Needs python3 (standard library only) to write small WAV files.
# Last line: "tests: N passed, N failed"; exit status non-zero on any failure.
set -u
LOOPCTL="${1:-build/loopctl}"
[ -x "$LOOPCTL" ] || { echo "it_analyze: no executable $LOOPCTL" >&2; echo "tests: 0 passed, 1 failed"; exit 1; }
T="$(mktemp -d "${TMPDIR:-/tmp}/it_analyze.XXXXXX")"
trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect STATUS "description" cmd...  (stdout -> $T/out, stderr -> $T/err)
expect() {
  local want="$1" what="$2"; shift 2
  timeout 60 "$@" >"$T/out" 2>"$T/err"; local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want ($(head -c 300 "$T/err"))"; fi
}
# the error must be one clear line on stderr
one_line_err() {
  if [ "$(wc -l <"$T/err")" = 1 ] && grep -q '^loopctl analyze: ' "$T/err"; then ok; else bad "$1: stderr is not one 'loopctl analyze:' line: $(cat "$T/err")"; fi
}

python3 - "$T" <<'EOF'
import math, random, struct, sys, wave
d = sys.argv[1]
def write(name, frames, rate=48000, ch=1):
    w = wave.open(d + "/" + name, "wb")
    w.setnchannels(ch); w.setsampwidth(2); w.setframerate(rate)
    w.writeframes(b"".join(struct.pack("<h", max(-32767, min(32767, int(v * 32767)))) for v in frames))
    w.close()
random.seed(1)
def clicks(n, period, start, rate=48000):
    x = [0.0] * n
    t = start
    while t < n:
        for i in range(144):
            if t + i < n:
                x[t + i] += 0.5 * random.uniform(-1, 1) * math.exp(-i / 40.0)
        t += period
    return x
write("clicks.wav", clicks(48000 * 8, 24000, 24000))               # 120 BPM, 8 s
write("clicks_odd.wav", clicks(48000 * 8 + 1000, 24000, 24000))     # 8.021 s
write("short.wav", clicks(24000, 6000, 3000))                       # 0.5 s
write("empty.wav", [])                                              # valid header, 0 frames
st = clicks(48000 * 3, 24000, 24000)
inter = []
for v in st:
    inter += [0.0, v]                                               # clicks on the right only
write("stereo.wav", inter, ch=2)
def pad(n, changes, rate=48000):
    # chords that swell in over 0.3 s as the last one fades, with tremolo
    chords = [(196.0, 246.9, 293.7), (174.6, 220.0, 261.6), (164.8, 207.7, 246.9)]
    x = [0.0003 * random.uniform(-1, 1) for _ in range(n)]
    for c, f0 in enumerate(changes):
        end = changes[c + 1] if c + 1 < len(changes) else n
        for i in range(0, min(n, end + 14400) - f0):
            t = i / rate
            e = min(t / 0.3, 1.0) * (1.0 - min(max(0.0, f0 + i - end) / 14400.0, 1.0))
            v = 0.0
            for k, f in enumerate(chords[c % 3]):
                tr = 1.0 + 0.2 * math.sin(2 * math.pi * 5.5 * t + k)
                v += tr * (math.sin(2 * math.pi * f * t) + 0.5 * math.sin(4 * math.pi * f * t))
            x[f0 + i] += 0.05 * e * v
    return x
write("pad.wav", pad(48000 * 7, [48000, 48000 * 3, 48000 * 5]))
open(d + "/text.wav", "w").write("this is not audio\n" * 100)
open(d + "/zero.wav", "w").close()
EOF

# --- good input
expect 0 "onsets" "$LOOPCTL" analyze "$T/clicks.wav" --onsets
n=$(grep -c . "$T/out"); [ "$n" = 15 ] && ok || bad "clicks.wav: $n onsets, want 15"
awk 'NF != 1 || $1 < 0 || $1 > 8 { exit 1 }' "$T/out" && ok || bad "onset lines are one time in seconds"
awk 'NR == 1 && ($1 < 0.49 || $1 > 0.51) { exit 1 }' "$T/out" && ok || bad "first onset at 0.5 s: $(head -1 "$T/out")"
expect 0 "onsets --decision" "$LOOPCTL" analyze "$T/clicks.wav" --onsets --decision
awk 'NF != 2 || $2 < $1 || $2 - $1 > 0.05 { exit 1 }' "$T/out" && ok || bad "decision column: $(head -2 "$T/out")"
cp "$T/out" "$T/dec_default"
expect 0 "chunk random" "$LOOPCTL" analyze "$T/clicks.wav" --onsets --decision --chunk random
cmp -s "$T/out" "$T/dec_default" && ok || bad "--chunk random changes the onsets"
expect 0 "chunk 1" "$LOOPCTL" analyze "$T/short.wav" --onsets --decision --chunk 1
cp "$T/out" "$T/c1"
expect 0 "chunk big" "$LOOPCTL" analyze "$T/short.wav" --onsets --decision --chunk 1000000
cmp -s "$T/out" "$T/c1" && ok || bad "--chunk 1 vs 1000000 differ"
expect 0 "tempo" "$LOOPCTL" analyze "$T/clicks.wav" --tempo
awk '{ exit !($1 > 119 && $1 < 121) }' "$T/out" && ok || bad "tempo of a 120 BPM click track: $(cat "$T/out")"
expect 0 "tempo track" "$LOOPCTL" analyze "$T/clicks.wav" --tempo --track
[ "$(wc -l <"$T/out")" = 80 ] && ok || bad "track has $(wc -l <"$T/out") lines, want 80 (every 0.1 s; the end, 8 s, is one of them)"
head -1 "$T/out" | grep -q '^0.100 unknown$' && ok || bad "track starts unknown at 0.1 s: $(head -1 "$T/out")"
tail -1 "$T/out" | awk '{ exit !($1 == 8.0 && $2 > 119 && $2 < 121) }' && ok || bad "track end: $(tail -1 "$T/out")"
[ -z "$(cut -d' ' -f1 "$T/out" | uniq -d)" ] && ok || bad "a time listed twice: $(cut -d' ' -f1 "$T/out" | uniq -d | head -3)"
expect 0 "tempo track, input not a whole number of steps" "$LOOPCTL" analyze "$T/clicks_odd.wav" --tempo --track
[ "$(wc -l <"$T/out")" = 81 ] && ok || bad "track has $(wc -l <"$T/out") lines, want 81 (every 0.1 s + the end, 8.021 s)"
tail -1 "$T/out" | awk '{ exit !($1 == 8.021) }' && ok || bad "track end: $(tail -1 "$T/out"), want 8.021"
expect 0 "json" "$LOOPCTL" analyze "$T/clicks.wav" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["onsets"])==15 and abs(d["tempo"]["bpm"]-120)<1 and d["rate"]==48000 and len(d["track"])==80 and not any(o["swell"] for o in d["onsets"])' "$T/out" && ok || bad "json output"
# --beats: the live grid's beats, each once, on the clicks (within 1 ms), each known
# within a tempo update (0.1 s) plus the onset's own delay after it sounded
expect 0 "beats" "$LOOPCTL" analyze "$T/clicks.wav" --beats --decision
awk 'NF != 2 { exit 1 } { k = $1 / 0.5; d = $1 - 0.5 * int(k + 0.5); if (d < 0) d = -d; if (d > 0.001 || $2 < $1 || $2 - $1 > 0.2) exit 1 }' "$T/out" &&
  ok || bad "beats off the clicks or known late: $(head -3 "$T/out")"
n=$(grep -c . "$T/out"); [ "$n" -ge 10 ] && [ "$n" -le 15 ] && ok || bad "clicks.wav: $n beats, want 10..15 (one per click once the tempo is known)"
[ -z "$(cut -d' ' -f1 "$T/out" | uniq -d)" ] && awk 'NR > 1 && ($1 - p < 0.49 || $1 - p > 0.51) { exit 1 } { p = $1 }' "$T/out" &&
  ok || bad "beats not one per click, in order: $(tr '\n' ' ' <"$T/out" | head -c 300)"
cut -d' ' -f1 "$T/out" >"$T/beats_default"
expect 0 "beats, chunk random" "$LOOPCTL" analyze "$T/clicks.wav" --beats --chunk random
cmp -s "$T/out" "$T/beats_default" && ok || bad "--chunk random changes the beats"
expect 0 "beats json" "$LOOPCTL" analyze "$T/clicks.wav" --beats --tempo --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); b=d["beats"]; assert len(b)>=10 and all(x["decision"]>=x["time"] for x in b) and abs(d["tempo"]["bpm"]-120)<1' "$T/out" && ok || bad "json beats: $(head -c 300 "$T/out")"
expect 0 "short beats" "$LOOPCTL" analyze "$T/short.wav" --beats
[ ! -s "$T/out" ] && ok || bad "a file too short for a tempo has beats: $(cat "$T/out")"
# --cycle: first loops of the 120 BPM clicks, counted as the looper counts its anchor
expect 0 "cycle" "$LOOPCTL" analyze "$T/clicks.wav" --cycle 0.5:2.5 --cycle 0.5:4.5 --cycle 4.5:6.5 --cycle 2:7.5 --cycle 0:1
printf '0.500 2.500 4 120.00\n0.500 4.500 8 120.00\n4.500 6.500 4 120.00\n' >"$T/want"
head -3 "$T/out" | cmp -s - "$T/want" && ok || bad "cycles of 2, 4 and 2 s at 120 BPM: $(head -3 "$T/out" | tr '\n' ';'), want 4, 8, 4 beats"
# 11 clicks: no whole number of bars a loop is recorded in, so not counted in 11
sed -n 4p "$T/out" | awk '{ b = $3; while (b % 2 == 0) b /= 2; exit !($1 == 2 && $2 == 7.5 && (b == 1 || b == 3 || b == 5 || b == 7 || b == 9)) }' &&
  ok || bad "a 5.5 s cycle of 11 clicks: $(sed -n 4p "$T/out"), want a power of two times 1, 3, 5, 7 or 9"
sed -n 5p "$T/out" | grep -qx '0.000 1.000 unknown unknown' && ok || bad "a loop closed at 1 s has no tempo yet: $(sed -n 5p "$T/out")"
expect 0 "cycle, chunk random" "$LOOPCTL" analyze "$T/clicks.wav" --cycle 0.5:2.5 --cycle 0.5:4.5 --cycle 4.5:6.5 --cycle 2:7.5 --cycle 0:1 --chunk random
head -3 "$T/out" | cmp -s - "$T/want" && ok || bad "--chunk random changes the cycle counts: $(tr '\n' ';' <"$T/out")"
expect 0 "cycle json" "$LOOPCTL" analyze "$T/clicks.wav" --cycle 0.5:4.5 --cycle 0:1 --tempo --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["cycles"]; assert c[0]=={"start":0.5,"end":4.5,"beats":8,"bpm":120.0} and c[1]["beats"] is None and c[1]["bpm"] is None and abs(d["tempo"]["bpm"]-120)<1, c' "$T/out" && ok || bad "json cycles: $(head -c 300 "$T/out")"
# a pad's chord changes swell in over 0.3 s: found (within 50 ms), those only the swell
# detector finds marked as swells
expect 0 "pad json" "$LOOPCTL" analyze "$T/pad.wav" --onsets --json
python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))["onsets"]
at = [1.0, 3.0, 5.0]
assert len(o) == 3 and all(abs(e["time"] - t) <= 0.05 for e, t in zip(o, at)), o
assert any(e["swell"] for e in o), o' "$T/out" && ok || bad "pad: chord changes not found, or none as a swell: $(head -c 400 "$T/out")"
expect 0 "input 2" "$LOOPCTL" analyze "$T/stereo.wav" --onsets --input 2
[ "$(grep -c . "$T/out")" = 5 ] && ok || bad "--input 2: $(grep -c . "$T/out") onsets, want 5"
expect 0 "input 1" "$LOOPCTL" analyze "$T/stereo.wav" --onsets --input 1
[ "$(grep -c . "$T/out")" = 0 ] && ok || bad "--input 1 (silent channel) has onsets"
expect 0 "mix" "$LOOPCTL" analyze "$T/stereo.wav" --onsets
[ "$(grep -c . "$T/out")" = 5 ] && ok || bad "channel mix: $(grep -c . "$T/out") onsets, want 5"

# --- too short for a tempo: a valid answer
expect 0 "short tempo" "$LOOPCTL" analyze "$T/short.wav" --tempo
[ "$(cat "$T/out")" = unknown ] && ok || bad "short file tempo: '$(cat "$T/out")', want unknown"
expect 0 "short json" "$LOOPCTL" analyze "$T/short.wav" --tempo --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["tempo"]["bpm"] is None' "$T/out" && ok || bad "json tempo null"

# --- bad input: exit 1, one line on stderr
expect 1 "text file" "$LOOPCTL" analyze "$T/text.wav"; one_line_err "text file"
expect 1 "zero-byte file" "$LOOPCTL" analyze "$T/zero.wav"; one_line_err "zero-byte file"
expect 1 "zero-length wav" "$LOOPCTL" analyze "$T/empty.wav"; one_line_err "zero-length wav"
grep -q 'zero-length' "$T/err" && ok || bad "zero-length message: $(cat "$T/err")"
expect 1 "missing file" "$LOOPCTL" analyze "$T/nope.wav"; one_line_err "missing file"
expect 1 "directory" "$LOOPCTL" analyze "$T"; one_line_err "directory"
# --downbeats: the bar lines, counted from the first click (the music's start
# after silence), in bars of 4 and of 3, once two bars are heard
expect 0 "downbeats" "$LOOPCTL" analyze "$T/clicks.wav" --downbeats --decision
awk 'NF != 2 { exit 1 } { k = ($1 - 0.5) / 2; d = $1 - 0.5 - 2 * int(k + 0.5); if (d < 0) d = -d; if (d > 0.001 || $2 < $1 || $2 - $1 > 0.2) exit 1 } END { exit NR < 1 }' "$T/out" &&
  ok || bad "downbeats not every 4th click from the first: $(tr '\n' ' ' <"$T/out")"
expect 0 "downbeats in 3" "$LOOPCTL" analyze "$T/clicks.wav" --downbeats --meter 3
awk '{ k = ($1 - 0.5) / 1.5; d = $1 - 0.5 - 1.5 * int(k + 0.5); if (d < 0) d = -d; if (d > 0.001) exit 1 } END { exit NR < 2 }' "$T/out" &&
  ok || bad "downbeats not every 3rd click from the first: $(tr '\n' ' ' <"$T/out")"
expect 0 "downbeats json" "$LOOPCTL" analyze "$T/clicks.wav" --downbeats --beats --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); b=[x["time"] for x in d["beats"]]; db=[x["time"] for x in d["downbeats"]]; assert db and all(any(abs(t-u)<0.001 for u in b) for t in db), d' "$T/out" && ok || bad "json downbeats not on beats: $(head -c 300 "$T/out")"
expect 0 "short downbeats" "$LOOPCTL" analyze "$T/short.wav" --downbeats
[ ! -s "$T/out" ] && ok || bad "a file too short for a tempo has downbeats: $(cat "$T/out")"
expect 1 "no such input" "$LOOPCTL" analyze "$T/clicks.wav" --input 2; one_line_err "no such input"

# --- usage errors: exit 2
expect 2 "no file" "$LOOPCTL" analyze; one_line_err "no file"
expect 2 "unknown option" "$LOOPCTL" analyze "$T/clicks.wav" --bogus; one_line_err "unknown option"
expect 2 "input 0" "$LOOPCTL" analyze "$T/clicks.wav" --input 0; one_line_err "input 0"
expect 2 "chunk abc" "$LOOPCTL" analyze "$T/clicks.wav" --chunk abc; one_line_err "chunk abc"
expect 2 "missing value" "$LOOPCTL" analyze "$T/clicks.wav" --chunk; one_line_err "missing value"
expect 2 "two files" "$LOOPCTL" analyze "$T/clicks.wav" "$T/short.wav"; one_line_err "two files"
expect 2 "beats with onsets, no json" "$LOOPCTL" analyze "$T/clicks.wav" --beats --onsets; one_line_err "beats with onsets"
expect 2 "cycle with tempo, no json" "$LOOPCTL" analyze "$T/clicks.wav" --cycle 0.5:2.5 --tempo; one_line_err "cycle with tempo"
expect 2 "downbeats with beats, no json" "$LOOPCTL" analyze "$T/clicks.wav" --downbeats --beats; one_line_err "downbeats with beats"
for v in 1 17 abc ""; do
  expect 2 "meter '$v'" "$LOOPCTL" analyze "$T/clicks.wav" --downbeats --meter "$v"; one_line_err "meter $v"
done
expect 2 "meter without downbeats" "$LOOPCTL" analyze "$T/clicks.wav" --meter 3; one_line_err "meter without downbeats"
expect 2 "meter, no value" "$LOOPCTL" analyze "$T/clicks.wav" --downbeats --meter; one_line_err "meter, no value"
for v in 3:2 2:2 -1:2 abc 1:2:3 1: :2 nan:2; do
  expect 2 "cycle $v" "$LOOPCTL" analyze "$T/clicks.wav" --cycle "$v"; one_line_err "cycle $v"
done
many=$(for i in $(seq 65); do printf -- '--cycle 0:1 '; done)
# shellcheck disable=SC2086
expect 2 "65 cycles" "$LOOPCTL" analyze "$T/clicks.wav" $many; one_line_err "65 cycles"
expect 2 "cycle, no value" "$LOOPCTL" analyze "$T/clicks.wav" --cycle; one_line_err "cycle, no value"
expect 2 "cycle past the end" "$LOOPCTL" analyze "$T/clicks.wav" --cycle 4:9; one_line_err "cycle past the end"
grep -q 'ends after the input (8.000 s)' "$T/err" && ok || bad "cycle past the end: $(cat "$T/err")"
# a file cut short: its header promises 8 s, 5 s are there
head -c $((44 + 2 * 48000 * 5)) "$T/clicks.wav" >"$T/cut.wav"
expect 2 "cycle past a cut file's end" "$LOOPCTL" analyze "$T/cut.wav" --cycle 4:7; one_line_err "cycle past a cut file's end"
grep -q 'ends after the input (5.000 s)' "$T/err" && ok || bad "cycle past a cut file's end: $(cat "$T/err")"
expect 0 "cycle within a cut file" "$LOOPCTL" analyze "$T/cut.wav" --cycle 0.5:4.5
grep -qx '0.500 4.500 8 120.00' "$T/out" && ok || bad "cycle within a cut file: $(cat "$T/out")"
expect 2 "cycle shorter than a frame" "$LOOPCTL" analyze "$T/clicks.wav" --cycle 1:1.000001; one_line_err "cycle shorter than a frame"

# --level: the performer's `tempo LEVEL` at an exact input position
expect 0 "level 2/3 at 4 s" "$LOOPCTL" analyze "$T/clicks.wav" --tempo --track --level 4:2/3
awk '$1 >= 3 && $1 < 4 && !($2 > 119 && $2 < 121) { b = 1 } $1 >= 4 && !($2 > 79.2 && $2 < 80.8) { b = 1 } END { exit b }' "$T/out" &&
  ok || bad "--level 4:2/3 on 120 BPM clicks: not 120 before 4 s and 80 from 4 s: $(awk '$1 >= 3.5 && $1 < 4.6' "$T/out" | tr '\n' ';')"
cp "$T/out" "$T/level"
expect 0 "level, chunk random" "$LOOPCTL" analyze "$T/clicks.wav" --tempo --track --level 4:2/3 --chunk random
cmp -s "$T/out" "$T/level" && ok || bad "--chunk random changes the track with --level"
expect 0 "level before a tempo: refused, the run goes on" "$LOOPCTL" analyze "$T/clicks.wav" --tempo --level 0.5:half; one_line_err "level before a tempo"
grep -q 'refused: no tempo yet' "$T/err" && awk '{ exit !($1 > 119 && $1 < 121) }' "$T/out" && ok ||
  bad "level before a tempo: $(cat "$T/err") / $(cat "$T/out")"
expect 0 "level out of range: refused" "$LOOPCTL" analyze "$T/clicks.wav" --tempo --level 4:triple; one_line_err "level out of range"
grep -q 'refused: outside the tempo range' "$T/err" && ok || bad "level out of range: $(cat "$T/err")"
for v in 4 4:quarter :half -1:half 4:0.5 x:half; do
  expect 2 "level $v" "$LOOPCTL" analyze "$T/clicks.wav" --level "$v"; one_line_err "level $v"
done
expect 2 "level past the end" "$LOOPCTL" analyze "$T/clicks.wav" --level 9:half; one_line_err "level past the end"
grep -q 'not within the input (8.000 s)' "$T/err" && ok || bad "level past the end: $(cat "$T/err")"

# --- help documents every option
expect 0 "help" "$LOOPCTL" analyze --help
for o in --onsets --tempo --beats --downbeats --meter --cycle --level --json --decision --track --input --chunk --help; do
  grep -q -- "$o" "$T/out" && ok || bad "--help does not mention $o"
done

echo "tests: $pass passed, $fail failed"
[ "$fail" = 0 ]

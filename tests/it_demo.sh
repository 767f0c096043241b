#!/bin/bash
# it_demo.sh - examples/demo.sh runs from start to end: it exits 0 and
# leaves a 48 kHz stereo WAV of the expected length (the demo records from
# one second before the first loop sounds to half a second after the fifth
# cycle after it: 5 x 4 s + 1.5 s), with sound in it and no clipping.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
WAV="$TMP/demo out.wav"          # a space, for the quoting
WANT=21.5

env BUILD="$B" OUT="$WAV" timeout 120 "$(dirname "$0")/../examples/demo.sh" >"$TMP/demo.log" 2>&1
rc=$?
check "demo.sh exits 0" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/# /' "$TMP/demo.log" | tail -25
check "it says where the WAV is" grep -qF "$WAV" "$TMP/demo.log"
check "the WAV exists" test -s "$WAV"
if [ -s "$WAV" ]; then
	python3 - "$WAV" "$WANT" >"$TMP/wav.txt" 2>&1 <<'PY'
import array, math, sys, wave
path, want = sys.argv[1], float(sys.argv[2])
with wave.open(path) as w:
    rate, ch, width, n = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
    raw = w.readframes(n)
print("rate", rate)
print("channels", ch)
print("seconds %.2f" % (n / rate))
print("length_ok", int(abs(n / rate - want) <= 1.0))
if width == 3:             # the top 16 bits of each 24-bit sample are enough here
    hi = bytearray(len(raw) // 3 * 2)
    hi[0::2] = raw[1::3]
    hi[1::2] = raw[2::3]
    raw = bytes(hi)
a = array.array("h", raw)
if sys.byteorder == "big":
    a.byteswap()
peak = max(max(a), -min(a)) / 32768.0 if len(a) else 0.0
print("peak_db %.1f" % (20 * math.log10(peak) if peak > 0 else -200.0))
PY
	sed 's/^/# /' "$TMP/wav.txt"
	wv() { sed -n "s/^$1 //p" "$TMP/wav.txt"; }
	check "48 kHz" test "$(wv rate)" = 48000
	check "stereo" test "$(wv channels)" = 2
	check "about $WANT s long ($(wv seconds) s)" test "$(wv length_ok)" = 1
	check "not silent: peak above -40 dBFS ($(wv peak_db))" awk -v p="$(wv peak_db)" 'BEGIN { exit !(p != "" && p > -40) }'
	check "not clipped: peak below -0.1 dBFS" awk -v p="$(wv peak_db)" 'BEGIN { exit !(p != "" && p < -0.1) }'
fi
SES="$TMP/demo out-session"
check "the loops are saved as a session beside the WAV" test -s "$SES/session.json"
check "with a WAV per layer (anchor, overdub, capture)" test "$(ls "$SES"/track*-layer*.wav 2>/dev/null | wc -l)" = 3
check "no demo server left running" bash -c "! pgrep -f '[j]ackd .*-n jl-demo-' >/dev/null"
report

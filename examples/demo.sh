#!/bin/bash
# demo.sh - jackloop in half a minute, no sound card needed.
#
# Starts a private JACK server (dummy backend), jackloop, a player that
# loops examples/groove.wav (120 BPM, made by examples/make-groove.py) into
# jackloop's inputs, and plays a short performance with loopctl: an anchor
# loop of 2 bars, an overdub, a capture of what was already played, a mute.
# A recorder captures out_L/out_R into a WAV you can listen to, and the
# loops are saved as a session (loopctl save) you can load again.
#
#   make all build/tests/jl_player build/tests/jl_recorder    (once)
#   examples/demo.sh                     writes demo-out.wav
#   OUT=/tmp/take.wav BUILD=build-clang examples/demo.sh
#   SESSION=/tmp/demo-song examples/demo.sh   where the session goes
#                                        (default: demo-out-session/ beside OUT)
#
# Every process is ended by its PID on exit, failure or ^C; the exit status
# is non-zero when any step fails.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
B=${BUILD:-$HERE/../build}
OUT=${OUT:-demo-out.wav}
SESSION=${SESSION:-${OUT%.wav}-session}
GROOVE=${GROOVE:-$HERE/groove.wav}
NAME=demo
SERVER="jl-demo-$$"
RATE=48000
BAR=$((RATE * 2))         # 120 BPM, 4/4: a bar is 2 s
CYCLE=$((2 * BAR))        # the anchor: 2 bars, 4 s
export JACK_DEFAULT_SERVER="$SERVER" JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
LOG=$(mktemp -d /tmp/jl-demo.XXXXXX) || exit 1
PIDS=""
JACKD_PID=""
REC_PID=""

say() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
L() { "$B/loopctl" --name $NAME "$@"; }
show_log() { [ -s "$LOG/$1" ] && sed 's/^/   | /' "$LOG/$1" | tail -15 >&2; }

# --- tear down: by PID, clients first, the server last --------------------
stop_pid() { # PID: TERM, up to 3 s, then KILL
	local p=$1 i=0
	kill -TERM "$p" 2>/dev/null || return 0
	while kill -0 "$p" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 150 ] && { kill -KILL "$p" 2>/dev/null; break; }; sleep 0.02
	done
	{ wait "$p"; } 2>/dev/null
}
teardown() {
	local p
	trap '' INT TERM
	# The recorder first and gracefully: it finishes the WAV's header.
	[ -n "$REC_PID" ] && stop_pid "$REC_PID"
	for p in $PIDS; do stop_pid "$p"; done
	[ -n "$JACKD_PID" ] && stop_pid "$JACKD_PID"
	rm -f /dev/shm/jackloop."$(id -u)"."$SERVER".* /dev/shm/jack_sem.*"$SERVER"* 2>/dev/null
	drop_stale_registry
	rm -rf "$LOG"
}
trap teardown EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT TERM

# A jackd that was killed leaves its slot in JACK's shm registry, and after a
# few no server starts ("Too many servers already active").  With no jackd
# running at all, the registry is safe to drop.
drop_stale_registry() {
	pgrep -x jackd >/dev/null || pgrep -x jackdbus >/dev/null ||
		rm -rf /dev/shm/jack-shm-registry /dev/shm/jack_db-* /dev/shm/jack-[0-9]*-[0-9]* 2>/dev/null
}

spawn() { # LOGFILE COMMAND... : in the background, PID in LAST_PID
	local log=$1; shift
	"$@" >"$LOG/$log" 2>&1 &
	LAST_PID=$!
}
started() { # LOGFILE PID : the client said "ready" (fails at once if it exited)
	grep -q '^ready' "$LOG/$1" && return 0
	kill -0 "$2" 2>/dev/null || return 2
	return 1
}
wait_started() { # LOGFILE PID TIMEOUT_S
	local i=0 rc
	while :; do
		started "$1" "$2"; rc=$?
		[ $rc = 0 ] && return 0
		[ $rc = 2 ] && return 1
		i=$((i + 1)); [ $i -gt $(($3 * 50)) ] && return 1; sleep 0.02
	done
}
wait_for() { # TIMEOUT_S COMMAND... : poll until it succeeds
	local t=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt $((t * 50)) ] && return 1; sleep 0.02
	done
}
jv() { # SECTION.FIELD of `loopctl status --json`
	L status --json | sed -n "s/.*\"${1%%.*}\":{[^}]*\"${1#*.}\":\([^,}]*\).*/\1/p"
}
frame() { jv engine.frame; }
wait_frame() { # FRAME : until the engine reaches it (bounded: twice its distance + 10 s,
	local f now t  #         as a loaded machine runs the dummy backend slow)
	f=$1; now=$(frame); [ -n "$now" ] || die "no status from jackloop"
	t=$(( 2 * (f > now ? f - now : 0) / RATE + 10 ))
	wait_for "$t" test_frame "$f" || die "the engine did not reach frame $f within $t s (stalled?)"
}
test_frame() { local n; n=$(frame); [ -n "$n" ] && [ "$n" -ge "$1" ]; }
at() { # FRAME COMMAND... : schedule a command on an exact engine frame
	local f=$1; shift
	L at "$f" "$@" >/dev/null || die "'at $f $*' failed"
}
secs() { awk -v f="$1" -v r=$RATE 'BEGIN { printf "%.2f s", f / r }'; }

# --- prerequisites --------------------------------------------------------
for c in jackd jack_lsp; do
	command -v $c >/dev/null || die "$c not found: install JACK (Debian: apt-get install jackd2)"
done
if [ -n "${BUILD:-}" ]; then
	MAKE_HINT="make BUILD=$BUILD all $BUILD/tests/jl_player $BUILD/tests/jl_recorder"
else
	MAKE_HINT="make all build/tests/jl_player build/tests/jl_recorder   (in $(cd "$HERE/.." && pwd))"
fi
for f in jackloop loopctl tests/jl_player tests/jl_recorder; do
	[ -x "$B/$f" ] || die "$B/$f is missing: run make first:
      $MAKE_HINT"
done
[ -r "$GROOVE" ] || die "$GROOVE is missing: python3 examples/make-groove.py makes it"
case $OUT in /*) ;; *) OUT="$PWD/$OUT" ;; esac
case $SESSION in /*) ;; *) SESSION="$PWD/$SESSION" ;; esac
{ : >"$OUT"; } 2>/dev/null || die "cannot write $OUT"

# --- the setup --------------------------------------------------------------
say "a private JACK server '$SERVER' (dummy backend: no sound card, silent)"
drop_stale_registry
spawn jackd.log jackd -S --no-realtime -n "$SERVER" -d dummy -r $RATE -p 256
JACKD_PID=$LAST_PID
wait_for 10 jack_lsp || { show_log jackd.log; die "jackd did not start"; }

say "jackloop --name $NAME (its control daemon comes with it)"
spawn jackloop.log "$B/jackloop" --name $NAME --osc-port 0 --history 60
PIDS="$PIDS $LAST_PID"
wait_for 10 L ping || { show_log jackloop.log; die "jackloop did not answer 'loopctl --name $NAME ping'"; }
[ "$(jv engine.sample_rate)" = $RATE ] || die "the engine does not run at $RATE Hz"

say "the player loops $(basename "$GROOVE") into $NAME:in_1, $NAME:in_2"
spawn player.log "$B/tests/jl_player" -n demo_player -w "$GROOVE" $NAME:in_1 $NAME:in_2
PIDS="$PIDS $LAST_PID"
wait_started player.log $LAST_PID 5 || { show_log player.log; die "the player did not start"; }
# The groove's bar lines, in engine frames: the file starts at JACK frame F0.
F0=$(sed -n 's/^ready: file frame 0 at JACK frame \([0-9]*\)$/\1/p' "$LOG/player.log")
OFF=$(jv engine.frame_offset)
[ -n "$F0" ] && [ -n "$OFF" ] || die "cannot read the groove's start frame"
# The harmony turns every 2 bars: the anchor starts on an even bar line, at
# least half a second from now, so that every 2-bar take below fits it.
NOW=$(frame)
A=$(( F0 + OFF ))
while [ $A -lt $((NOW + RATE / 2)) ]; do A=$((A + 2 * BAR)); done
echo "   jackloop records every input into its history all the time; nothing is armed."

# --- the performance --------------------------------------------------------
say "record: the anchor take starts on the bar line (frame $A)"
at $A record
at $((A + CYCLE)) record
wait_frame $A
echo "   recording 2 bars of the groove..."

say "the recorder starts: $NAME:out_L, $NAME:out_R -> $OUT"
wait_frame $((A + CYCLE - RATE))
spawn recorder.log "$B/tests/jl_recorder" -n demo_recorder -w "$OUT" $NAME:out_L $NAME:out_R
REC_PID=$LAST_PID
wait_started recorder.log $LAST_PID 5 || { show_log recorder.log; die "the recorder did not start"; }

wait_frame $((A + CYCLE))
say "record again: the anchor ends, 2 bars later (scheduled on the frame), and loops"
has_anchor() { [ -n "$(jv anchor.cycle_frames)" ]; }
wait_for 3 has_anchor
C=$(jv anchor.cycle_frames)
[ "$C" = $CYCLE ] || die "the anchor is '$C' frames, expected $CYCLE"
echo "   anchor: $C frames ($(secs "$C")), track 1 plays"

say "record 1 ... record 1: an overdub on track 1, one cycle, from the busier second half of the groove"
at $((A + 2 * CYCLE)) record 1
at $((A + 3 * CYCLE)) record 1
wait_frame $((A + 2 * CYCLE))
echo "   overdubbing..."
wait_frame $((A + 3 * CYCLE))
wait_for 3 bash -c "'$B/loopctl' --name $NAME status --json | grep -q '\"layer\": *2'" ||
	die "the overdub did not make layer 2"
echo "   track 1 now has 2 layers"

say "mute 1 on the next cycle; capture 2: the last 2 cycles played become track 2"
at $((A + 4 * CYCLE)) mute 1
wait_frame $((A + 4 * CYCLE + RATE / 10))
L capture 2 | sed 's/^/   /'
[ "${PIPESTATUS[0]}" = 0 ] || die "capture failed"
wait_for 3 bash -c "'$B/loopctl' --name $NAME status --json | grep -q '\"track\": *2'" ||
	die "the capture did not make track 2"
echo "   the captured loop plays alone"

say "unmute 1 on the next cycle: both tracks"
at $((A + 5 * CYCLE)) unmute 1
wait_frame $((A + 5 * CYCLE + RATE / 10))
[ "$(L status --json | sed -n 's/.*"track":1,"state":"\([a-z]*\)".*/\1/p')" = playing ] ||
	die "track 1 is not playing after unmute"

say "status"
L status | sed -n '/^  anchor/,/^  pool/p'

say "save the loops as a session (they keep playing): $SESSION"
L save "$SESSION" --force | sed 's/^/   /'
[ "${PIPESTATUS[0]}" = 0 ] || die "save failed"
echo "   session.json and a WAV per layer; later: loopctl clear all; loopctl load '$SESSION'"
wait_frame $((A + 6 * CYCLE + RATE / 2))

# --- the result -------------------------------------------------------------------
say "done"
stop_pid "$REC_PID"
REC_PID=""
grep -q '^wrote ' "$LOG/recorder.log" || { show_log recorder.log; die "the recorder did not finish the WAV"; }
sed -n 's/^wrote \(.*\): \([0-9]*\) frames (\(.*\)), \([0-9]*\) channel(s), .*/   \1\n   \3, \4 channels, 24-bit, '$RATE' Hz/p' "$LOG/recorder.log"
grep 'gap' "$LOG/recorder.log" | sed 's/^/   /'
echo "   listen with any player, e.g.: aplay '$OUT'"
exit 0

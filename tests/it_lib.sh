# it_lib.sh - shared helpers of the integration scripts (sourced).
# A private JACK server per run, every process ended by its PID, every
# wait bounded.  Results end with "tests: N passed, N failed".
B=${BUILD:-build}
PASS=0
FAIL=0
PIDS=""
TMP=$(mktemp -d /tmp/jl-it.XXXXXX)
SERVER="jl-it-$$-${RANDOM}"
export JACK_DEFAULT_SERVER="$SERVER" JACK_NO_AUDIO_RESERVATION=1 JACK_NO_START_SERVER=1
LOOPCTL="$B/loopctl"

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
nok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
check() { # DESCRIPTION COMMAND... : passes when the command succeeds
	local d=$1; shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
expect_rc() { # DESCRIPTION RC COMMAND...
	local d=$1 want=$2 got; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"; got=$?
	if [ "$got" = "$want" ]; then ok "$d"; else nok "$d (exit $got, want $want: $(head -c 300 "$TMP/err"))"; fi
}
wait_for() { # TIMEOUT_S COMMAND... : poll until it succeeds
	local t=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt $((t * 50)) ] && return 1; sleep 0.02
	done
}
spawn() { # LOGFILE COMMAND... : start in the background, remember the PID
	local log=$1; shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	PIDS="$PIDS $LAST_PID"
}
stop_pid() { # PID [SIGNAL]: end one process, bounded
	local p=$1 s=${2:-TERM} i=0
	kill -"$s" "$p" 2>/dev/null || return 0
	while kill -0 "$p" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 150 ] && { kill -KILL "$p" 2>/dev/null; break; }; sleep 0.02
	done
	{ wait "$p"; } 2>/dev/null
}
teardown() {
	local p
	exec 2>/dev/null # the shell's own "Killed" notices are noise here
	# Clients first, the server last and gracefully (it deregisters itself).
	for p in $PIDS; do [ "$p" = "${JACKD_PID:-}" ] || kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in $PIDS; do [ "$p" = "${JACKD_PID:-}" ] || kill -KILL "$p" 2>/dev/null; done
	[ -n "${JACKD_PID:-}" ] && stop_pid "$JACKD_PID" TERM
	for p in $PIDS; do { wait "$p"; } 2>/dev/null; done
	rm -f /dev/shm/jackloop."$(id -u)"."$SERVER".* /dev/shm/jack_sem.*"$SERVER"* /dev/shm/jack_"$SERVER"_* 2>/dev/null
	rm -rf "$TMP"
}
start_jackd() { # [PERIOD]
	# A jackd killed with SIGKILL leaves its slot in JACK's shm registry,
	# and after 8 of them no server starts ("Too many servers already
	# active").  With no jackd running at all, stale entries are safe to drop.
	pgrep -x jackd >/dev/null || pgrep -x jackdbus >/dev/null ||
		rm -rf /dev/shm/jack-shm-registry /dev/shm/jack_db-* /dev/shm/jack-[0-9]*-[0-9]* 2>/dev/null
	spawn "$TMP/jackd.log" jackd -S --no-realtime -n "$SERVER" -d dummy -r 48000 -p "${1:-256}"
	JACKD_PID=$LAST_PID
	wait_for 10 jack_lsp
}
jv() { # SECTION.FIELD : a number or word of `loopctl status --json`
	# (sed, not python: a light helper keeps the dummy backend free of the
	# scheduling hiccups that a python start-up causes on a 2-core box)
	"$LOOPCTL" --name "${NAME:-it}" status --json |
		sed -n "s/.*\"${1%%.*}\":{[^}]*\"${1#*.}\":\([^,}]*\).*/\1/p"
}
lj() { # TRACK LAYER FIELD : a field of a layer in `loopctl status --json`
	"$LOOPCTL" --name "${NAME:-it}" status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
t = [t for t in s["tracks"] if t["track"] == int(sys.argv[1])][0]
l = [l for l in t["layers"] if l["layer"] == int(sys.argv[2])][0]
print(l[sys.argv[3]])' "$@"
}
jv_is() { test "$(jv "$1")" = "$2"; }       # FIELD VALUE (re-evaluated by wait_for)
jv_gt() { test "$(jv "$1")" -gt "$2"; }     # FIELD NUMBER
# window NAME FRAMES SPEC... : the next FRAMES frames (after a settling
# margin) must match SPEC (a line of tests/loopcheck.py, appended to $WIN);
# an xrun inside re-takes the window once.
window() {
	local name=$1 len=$2 a b g0 try; shift 2
	for try in 1 2; do
		g0=$(jv engine.gaps)
		a=$(( $(jv engine.frame) + 4800 ))
		b=$(( a + len ))
		wait_for 20 jv_gt engine.frame $(( b + 512 )) || { nok "$name: engine stalled"; return; }
		# a late cycle is harmless here; skipped frames (a gap) are not
		if [ "$g0" = "$(jv engine.gaps)" ]; then
			echo "${name// /_} $a $b $(jv engine.frame_offset) $*" >>"$WIN"
			return
		fi
		echo "# frames skipped (xrun) inside window '$name': taking it again"
	done
	echo "# frames skipped inside window '$name' twice: neither passed nor failed"
}
loopcheck() { # RECORDING WINDOWS : checks them (tests/loopcheck.py) and counts the results
	python3 tests/loopcheck.py "$1" "$2" >"$TMP/lc.txt"
	cat "$TMP/lc.txt"
	PASS=$((PASS + $(grep -c '^ok' "$TMP/lc.txt")))
	FAIL=$((FAIL + $(grep -c '^not ok' "$TMP/lc.txt")))
}
report() {
	echo "tests: $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}

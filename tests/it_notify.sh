#!/bin/bash
# it_notify.sh - OSC state feedback through a real JACK server: a
# subscriber (a UDP listener, as TouchOSC would be) first gets the whole
# state, then each change exactly once (track state, rec, mute, solo,
# gain, layers, the selected track, the anchor), and the cycle position
# at its interval, each position consistent with the anchor to the frame.
# A subscription with --renew sends nothing again, one without sends the
# whole state; unsubscribe stops the messages; a lease ends a
# subscription nobody renews.  `loopctl watch` prints the pushed lines,
# unsubscribes when it ends, and carries on across a daemon restart.
# Bad input: every bad option is a usage error, a 17th subscriber and an
# unknown unsubscribe are refused; nothing changes.  The daemon's own port
# is refused, and a reply or state message sent to a daemon (a loop of two
# instances subscribed to each other) is dropped, never answered.
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=nt
L() { "$LOOPCTL" --name $NAME "$@"; }
wait_frames() { wait_for 10 jv_gt engine.frame $(( $(jv engine.frame) + $1 )); }
W="$TMP/w.txt"
has() { grep -qx -- "$1" "$W"; }             # an exact line has come
count() { grep -cx -- "$1" "$W"; }
nsubs() { L status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["notify"]["subscribers"]))'; }
nsubs_is() { test "$(nsubs)" = "$1"; }
last_is() { test "$(grep -- "^$1" "$W" | tail -1)" = "$2"; }   # PREFIX LINE: the latest such line is LINE
lines_are() { test "$(grep -c -- "^$1" "$W")" = "$2"; }         # PREFIX N

check "JACK server" start_jackd 256
spawn "$TMP/jackloop.log" env LD_PRELOAD="$B/librtguard.so" "$B/jackloop" --name $NAME --osc-port 0 \
	--history 10 --pool-mb 16
check "jackloop + daemon up" wait_for 10 "$LOOPCTL" --name $NAME ping
OSCP=$(jv daemon.osc_port)
spawn "$TMP/watch.log" python3 tests/oscwatch.py "$TMP/port" "$W" 600
check "listener up" wait_for 5 test -s "$TMP/port"
P=$(cat "$TMP/port")

# --- bad input first: nothing subscribes -------------------------------------------------
expect_rc "subscribe from the CLI without --port or --url: usage" 2 L subscribe
check "  saying why" grep -q "needs --port or --url" "$TMP/err"
for bad in "--port 0" "--port 70000" "--port abc" "--port -5" "--interval 5" "--interval -1" "--interval 10001" \
	"--lease x" "--lease 86401" "--url http://127.0.0.1:9000/" \
	"--url osc.udp://127.0.0.1/" "--url osc.udp://127.0.0.1:0/" "--port 9000 --url osc.udp://127.0.0.1:9000/" \
	"--port 9000 --bogus 1" "--port"; do
	# shellcheck disable=SC2086
	expect_rc "subscribe $bad: usage" 2 L subscribe $bad
done
expect_rc "subscribe --url with a name that does not resolve: usage" 2 L subscribe --url osc.udp://no-such-host.invalid:9000/
check "  saying so" grep -q "cannot resolve 'no-such-host.invalid'" "$TMP/err"
check "OSC /jl/subscribe --url with a host name: an error (the daemon never waits for a lookup)" \
	test "$(python3 tests/osc.py "$OSCP" /jl/subscribe s:--url s:osc.udp://localhost:9000/ | cut -f1,3)" = "$(printf "usage\t--url 'osc.udp://localhost:9000/' is not osc.udp://A.B.C.D:PORT/ (a numeric IPv4 address)")"
expect_rc "unsubscribe a port nobody subscribed: refused" 1 L unsubscribe --port "$P"
check "  saying so" grep -q "is not subscribed" "$TMP/err"
expect_rc "unsubscribe --port x: usage" 2 L unsubscribe --port x
expect_rc "unsubscribe a b: usage" 2 L unsubscribe a b
check "no subscriber after all that" nsubs_is 0
sleep 0.3
check "and nothing was sent" test ! -s "$W"

# --- the daemon's own port is refused; what a daemon sends is never answered ------------------
# Subscribed to itself, the daemon answered its own state with errors, and answered those,
# for ever (100% CPU, even after unsubscribe all); two instances did so to each other.
for u in "--port $OSCP" "--url osc.udp://127.0.0.1:$OSCP/" "--url osc.udp://0.0.0.0:$OSCP/" \
	"--url osc.udp://127.0.0.2:$OSCP/"; do
	# shellcheck disable=SC2086
	expect_rc "subscribe $u (the daemon's own port): usage" 2 L subscribe $u
done
check "  saying why" grep -q "this daemon's own OSC port" "$TMP/err"
check "  no subscriber" nsubs_is 0
E0=$(jv daemon.osc_errors)
check "a /jl/reply sent to the daemon: no answer" \
	test "$(python3 tests/osc.py "$OSCP" --timeout 0.5 /jl/reply s:error s:x s:text s:{})" = "no reply"
check "a /jl/state/... sent to the daemon: no answer" \
	test "$(python3 tests/osc.py "$OSCP" --timeout 0.5 /jl/state/track/1 s:playing)" = "no reply"
check "  each counted once as an OSC error ($E0 -> $(jv daemon.osc_errors))" test "$(jv daemon.osc_errors)" = $((E0 + 2))
sleep 0.5
check "  and no more" test "$(jv daemon.osc_errors)" = $((E0 + 2))
# two instances subscribed to each other: each drops the other's state, nothing is answered
spawn "$TMP/jackloop2.log" "$B/jackloop" --name nt2 --osc-port 0 --history 5 --pool-mb 8
J2=$LAST_PID
check "a second instance" wait_for 10 "$LOOPCTL" --name nt2 ping
OSCP2=$(NAME=nt2 jv daemon.osc_port)
expect_rc "the first subscribes the second (--interval 0)" 0 L subscribe --url "osc.udp://127.0.0.1:$OSCP2/" --interval 0
expect_rc "the second subscribes the first" 0 "$LOOPCTL" --name nt2 subscribe --url "osc.udp://127.0.0.1:$OSCP/" --interval 0
sleep 0.5
e1="$(jv daemon.osc_errors) $(NAME=nt2 jv daemon.osc_errors)"
sleep 1
e2="$(jv daemon.osc_errors) $(NAME=nt2 jv daemon.osc_errors)"
check "  no storm between them: OSC errors $e1, a second later $e2" test "$e1" = "$e2"
expect_rc "  unsubscribe all (first)" 0 L unsubscribe all
expect_rc "  unsubscribe all (second)" 0 "$LOOPCTL" --name nt2 unsubscribe all
stop_pid "$J2"

# --- subscribe: the whole state first -------------------------------------------------------
expect_rc "subscribe --port P --interval 50" 0 L --json subscribe --port "$P" --interval 50
check "  the answer names the address" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["url"] == "osc.udp://127.0.0.1:%s/" % sys.argv[2] and r["interval_ms"] == 50 and r["subscribers"] == 1, r' "$TMP/out" "$P"
full_state() { # the 3 + 8 x 6 lines of an empty looper
	has "/jl/state/selected 1" && has "/jl/state/anchor 0 0.0 0" && has "/jl/state/tempo 0.0 0.0" &&
	for t in 1 2 3 4 5 6 7 8; do
		has "/jl/state/track/$t empty" && has "/jl/state/track/$t/rec 0.0" && has "/jl/state/track/$t/mute 0.0" &&
		has "/jl/state/track/$t/solo 0.0" && has "/jl/state/track/$t/gain 0.0" && has "/jl/state/track/$t/layers 0" || return 1
	done
}
check "the whole state of an empty looper arrives" wait_for 5 full_state
check "  once each, and no track past 8" test "$(wc -l <"$W")" = 51
check "  no position without an anchor" test "$(grep -c '^/jl/state/pos' "$W")" = 0

# --- a first loop ---------------------------------------------------------------------------
L record >/dev/null
check "record: track 1 recording" wait_for 5 has "/jl/state/track/1 recording"
check "  rec lights" has "/jl/state/track/1/rec 1.0"
wait_frames 48000
L record >/dev/null
check "record again: track 1 playing" wait_for 5 has "/jl/state/track/1 playing"
check "  rec goes dark" wait_for 5 has "/jl/state/track/1/rec 0.0"
check "  one layer" wait_for 5 has "/jl/state/track/1/layers 1"
C=$(jv anchor.cycle_frames); O=$(jv anchor.origin); BPC=$(jv anchor.beats_per_cycle)
check "the anchor message: cycle and beats as status has them" wait_for 5 grep -q "^/jl/state/anchor $C [0-9.]* $BPC\$" "$W"
check "  and its BPM is 60 x rate x beats / cycle" python3 -c '
import sys, struct
C, b = int(sys.argv[2]), int(sys.argv[3])
l = [x for x in open(sys.argv[1]) if x.startswith("/jl/state/anchor %d " % C)][0].split()
want = struct.unpack("f", struct.pack("f", 60.0 * 48000 * b / C))[0]
assert float(l[2]) == want, (l, want)' "$W" "$C" "$BPC"
wait_frames 48000
# every position: phase x cycle is (frame - origin) mod cycle, to float precision; the beat
# follows from the phase; frames increase, about one per 50 ms of audio
check "positions agree with the anchor to the frame" python3 -c '
import sys
C, O, B = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ps = [l.split() for l in open(sys.argv[1]) if l.startswith("/jl/state/pos ")]
assert len(ps) >= 10, len(ps)
last = -1
for _, ph, beat, f in ps:
    ph, beat, f = float(ph), int(beat), int(f)
    pos = (f - O) % C
    assert abs(ph * C - pos) <= 0.5 + C * 2.0 ** -23, (ph, pos)
    assert beat == int(pos / C * B) + 1, (beat, pos)
    assert f > last, (f, last)
    last = f
span = int(ps[-1][3]) - int(ps[0][3])
n = len(ps) - 1
assert 0.5 * span / 2400 <= n <= 2 * span / 2400, (n, span)' "$W" "$C" "$O" "$BPC"

# a JACK stall: the frame stands still, and no position repeats it (they were sent again
# with the same frame at every interval)
expect_rc "subscribe --interval 10" 0 L subscribe --port "$P" --interval 10 --renew
sleep 0.2
kill -STOP "$JACKD_PID"
sleep 0.4
kill -CONT "$JACKD_PID"
sleep 0.2
expect_rc "  back to --interval 50" 0 L subscribe --port "$P" --interval 50 --renew
check "  no two positions carry the same frame across a 0.4 s stall of JACK" python3 -c '
import sys
fs = [int(l.split()[3]) for l in open(sys.argv[1]) if l.startswith("/jl/state/pos ")]
assert len(fs) == len(set(fs)), [f for f in fs if fs.count(f) > 1][:5]
assert all(b > a for a, b in zip(fs, fs[1:]))' "$W"

# --- each change once -------------------------------------------------------------------------
L mute 1 >/dev/null
check "mute 1: muted" wait_for 5 has "/jl/state/track/1 muted"
check "  mute lights" has "/jl/state/track/1/mute 1.0"
L gain 1 -6 >/dev/null
check "gain 1 -6: sent" wait_for 5 has "/jl/state/track/1/gain -6.0"
L solo 1 >/dev/null
check "solo 1: sent" wait_for 5 has "/jl/state/track/1/solo 1.0"
L select 3 >/dev/null
check "select 3: sent" wait_for 5 has "/jl/state/selected 3"
L unmute 1 >/dev/null
check "unmute 1: playing again" wait_for 5 last_is "/jl/state/track/1 " "/jl/state/track/1 playing"
check "  mute goes dark" last_is "/jl/state/track/1/mute" "/jl/state/track/1/mute 0.0"
sleep 0.3
check "each change came once" test "$(count "/jl/state/track/1/mute 1.0") $(count "/jl/state/track/1/gain -6.0") $(count "/jl/state/track/1/solo 1.0") $(count "/jl/state/selected 3") $(count "/jl/state/track/1 muted")" = "1 1 1 1 1"
L record 1 >/dev/null
wait_frames 24000
L record 1 >/dev/null
check "an overdub: two layers" wait_for 5 has "/jl/state/track/1/layers 2"
L undo 1 >/dev/null
check "undo: one layer again" wait_for 5 last_is /jl/state/track/1/layers "/jl/state/track/1/layers 1"
L clear 1 >/dev/null
check "clear 1: empty" wait_for 5 last_is "/jl/state/track/1 " "/jl/state/track/1 empty"

# --- again, renew, unsubscribe --------------------------------------------------------------
n0=$(grep -c '^/jl/state/selected' "$W")
expect_rc "subscribe --renew" 0 L subscribe --port "$P" --interval 50 --renew
sleep 0.3
check "  sends no state again" lines_are /jl/state/selected "$n0"
expect_rc "subscribe again without --renew" 0 L subscribe --port "$P" --interval 50
check "  sends the whole state again" wait_for 5 lines_are /jl/state/selected $((n0 + 1))
check "status lists the subscriber" nsubs_is 1
expect_rc "unsubscribe --port P" 0 L unsubscribe --port "$P"
sleep 0.2
n1=$(wc -l <"$W")
sleep 0.4
check "  no message after it (positions were every 50 ms)" test "$(wc -l <"$W")" = "$n1"
check "  no subscriber left" nsubs_is 0

# --- over OSC with typed arguments; a 17th subscriber; unsubscribe all --------------------------
check "OSC /jl/subscribe s:--port i:PORT" test "$(python3 tests/osc.py "$OSCP" /jl/subscribe s:--port i:"$P" s:--interval i:0 | cut -f1)" = ok
check "OSC /jl/subscribe with a blob: an error" test "$(python3 tests/osc.py "$OSCP" /jl/subscribe s:--port b:x | cut -f1)" = error
for q in $(seq 40001 40015); do L subscribe --port $q --interval 0 >/dev/null || nok "subscriber on port $q"; done
check "16 subscribers" nsubs_is 16
expect_rc "a 17th: refused" 1 L subscribe --port 40016
check "  saying so" grep -q "16 subscribers already" "$TMP/err"
check "  still 16" nsubs_is 16
expect_rc "unsubscribe all" 0 L --json unsubscribe all
check "  removed 16" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["removed"] == 16, r' "$TMP/out"
check "  none left" nsubs_is 0
expect_rc "subscribe --url with a host name: the CLI resolves it" 0 L --json subscribe --url "osc.udp://localhost:$P/" --interval 0
check "  to its address" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["url"] == "osc.udp://127.0.0.1:%s/" % sys.argv[2], r' "$TMP/out" "$P"
expect_rc "unsubscribe --url by the same name" 0 L unsubscribe --url "osc.udp://localhost:$P/"
check "  none left" nsubs_is 0

# --- a lease nobody renews ---------------------------------------------------------------------
expect_rc "subscribe --lease 1" 0 L subscribe --port "$P" --lease 1 --interval 0
check "  listed" nsubs_is 1
check "  gone after its second" wait_for 5 nsubs_is 0

# --- 64 tracks: the whole state is paced, and no reply is lost behind it ------------------
python3 tests/mkwav.py "$TMP/z.wav" sine 440 48000 4800
n_ok=0
L import "$TMP/z.wav" --track 1 --cycles 1 >/dev/null 2>&1 && n_ok=1
for k in $(seq 2 64); do L import "$TMP/z.wav" --track new --cycles 1 >/dev/null 2>&1 && n_ok=$((n_ok + 1)); done
ntracks() { L status --json | python3 -c 'import json,sys; print(len([t for t in json.load(sys.stdin)["tracks"] if t["state"] == "playing"]))'; }
check "64 tracks play ($n_ok imports took)" wait_for 10 test "$(ntracks)" = 64
# A client subscribes its own socket (as TouchOSC or a script does) and pings right after:
# 10 times over, each whole state (3 + 64 x 6 = 387 messages) must arrive complete and each
# ping be answered.  "pause": it reads nothing for 0.5 s after subscribing, as a script
# busy elsewhere; the state comes as a bundle a tick, so the socket buffer holds it (387
# single datagrams overflowed it, and the reply behind them was lost).  "plain": with
# --no-bundle, reading as it goes; the pacing keeps that one whole.
client() { # MODE
	python3 - "$OSCP" "$1" <<'PY'
import socket, sys, time
sys.path.insert(0, "tests")
from oscwatch import messages  # a datagram's messages: itself, or a bundle's
def pad(b): return b + b"\0" * (4 - len(b) % 4)
def msg(path, *a): return pad(path.encode()) + pad(("," + "s" * len(a)).encode()) + b"".join(pad(x.encode()) for x in a)
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
extra = ["--no-bundle"] if mode == "plain" else []
bundles = 0
def rounds():
    global bundles
    for rnd in range(10):
        s.sendto(msg("/jl/subscribe", "--interval", "0", *extra), ("127.0.0.1", port))
        if mode == "pause":
            time.sleep(0.5)
        s.sendto(msg("/jl/ping"), ("127.0.0.1", port))
        replies, state, end = 0, set(), time.monotonic() + 3
        while time.monotonic() < end and (replies < 2 or len(state) < 387):
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            bundles += d.startswith(b"#bundle")
            for m in messages(d):
                if m.startswith(b"/jl/reply"):
                    replies += 1
                elif m.startswith(b"/jl/state/"):
                    state.add(m[:m.index(b"\0")])
        assert replies == 2 and len(state) == 387, (rnd, replies, len(state))
try:
    rounds()
    assert (bundles > 0) == (mode == "pause"), bundles
finally:
    s.sendto(msg("/jl/unsubscribe"), ("127.0.0.1", port))
PY
}
check "10 whole states of 64 tracks to a client that does not read for 0.5 s: complete, every ping answered" client pause
check "10 whole states of 64 tracks without bundles to a client that reads: complete, every ping answered" client plain
check "  and nothing was dropped by the daemon" test "$(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["notify"]["dropped"])')" = 0

# --- loopctl watch --------------------------------------------------------------------------------
expect_rc "watch --count 3 --interval 0" 0 L watch --count 3 --interval 0
check "  prints the first three lines of the state" test "$(sed -n 1p "$TMP/out") $(sed -n 2p "$TMP/out" | cut -d' ' -f1,2) $(sed -n 3p "$TMP/out" | cut -d' ' -f1)" = "/jl/state/selected $(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["selected"])') /jl/state/anchor $C /jl/state/tempo"
check "  no more" test "$(wc -l <"$TMP/out")" = 3
check "  and unsubscribed when it ended" nsubs_is 0
expect_rc "watch --seconds 0.5 --interval 50" 0 L watch --seconds 0.5 --interval 50
check "  printed positions" test "$(grep -c '^/jl/state/pos ' "$TMP/out")" -ge 4
check "watch | head -2: two lines" test "$(L watch --interval 50 | head -2 | wc -l)" = 2
t0=$(date +%s%N)
wait_for 15 nsubs_is 0
check "  and the watcher, its reader gone, unsubscribed at once (not after its 10 s lease)" \
	test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000
expect_rc "watch --count 0: usage" 2 L watch --count 0
expect_rc "watch --interval 3: usage (the daemon says)" 2 L watch --interval 3
check "  saying why" grep -q "interval" "$TMP/err"
expect_rc "watch --bogus 1: usage" 2 L watch --bogus 1
expect_rc "watch another instance: no daemon" 3 "$LOOPCTL" --name nosuch watch --count 1

# a watcher carries on across a daemon restart (its renewal subscribes it again)
spawn "$TMP/w2.txt" "$LOOPCTL" --name $NAME watch --interval 0
WP=$LAST_PID
check "a watcher is subscribed" wait_for 5 nsubs_is 1
DPID=$(jv daemon.pid)
kill -KILL "$DPID"
daemon_restarted() { local p; p=$(jv daemon.pid 2>/dev/null) && [ -n "$p" ] && [ "$p" != "$DPID" ]; }
check "the daemon is killed and restarted" wait_for 10 daemon_restarted
check "  the watcher subscribes again within its renewal" wait_for 8 nsubs_is 1
L record 2 >/dev/null
check "  and prints what changes after the restart" wait_for 5 grep -q "^/jl/state/track/2 recording" "$TMP/w2.txt"
wait_frames 24000
L record 2 >/dev/null
stop_pid "$WP" INT
check "  an interrupted watcher unsubscribes" wait_for 5 nsubs_is 0
check "the engine never stopped" test "$(jv engine.running)" = true

# the test listener skips a malformed bundle (an element size of 0 or less) and reads on
python3 - "$P" <<'PY'
import socket, struct, sys
m = b"/jl/state/probe\0,i\0\0" + struct.pack(">i", 1)
head = b"#bundle\0" + b"\0" * 7 + b"\1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for bad in (struct.pack(">i", 0), struct.pack(">i", -8) + m, struct.pack(">i", 99) + m):
    s.sendto(head + bad, ("127.0.0.1", int(sys.argv[1])))
s.sendto(head + struct.pack(">i", len(m)) + m, ("127.0.0.1", int(sys.argv[1])))
PY
check "the test listener skips malformed bundles and reads on" wait_for 3 has "/jl/state/probe 1"
report

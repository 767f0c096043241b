#!/bin/bash
# bench_notify.sh - what OSC state feedback costs the daemon: its CPU time
# and the round trip of a ping, with no subscriber and with 16 (the most),
# each sent the position every 10 ms, on a looper of 64 playing tracks; and
# the same while all 16 are sent the whole state again and again (387
# messages each, paced at 32 per 4 ms tick, a tick's in one bundle).  The subscribers are
# osc.udp://127.0.0.1:9/ (nothing listens there: the kernel drops the
# datagrams, as for a client that went away).  Real parts: a private JACK
# server (dummy backend), jackloop, the daemon.
#   tests/bench_notify.sh [SECONDS] [ROUNDS]   (default 5 5)
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=bn
SEC=${1:-5}; ROUNDS=${2:-5}
L() { "$LOOPCTL" --name $NAME "$@"; }
start_jackd 256 || { echo "no JACK server"; exit 1; }
spawn "$TMP/jackloop.log" "$B/jackloop" --name $NAME --osc-port 0 --history 10 --pool-mb 64
wait_for 10 L ping || { echo "jackloop did not start"; cat "$TMP/jackloop.log"; exit 1; }
PORT=$(jv daemon.osc_port); DPID=$(jv daemon.pid)
python3 tests/mkwav.py "$TMP/z.wav" sine 440 48000 48000
L import "$TMP/z.wav" --beats 4 >/dev/null
for k in $(seq 2 64); do L import "$TMP/z.wav" --track new --cycles 1 >/dev/null; done
echo "# $(L status --json | python3 -c 'import json,sys; print(sum(t["state"] == "playing" for t in json.load(sys.stdin)["tracks"]))') tracks playing"

subs() { # N: subscribe osc.udp://127.0.0.1:9/ and N-1 other ports, position every 10 ms
	local k
	L unsubscribe all >/dev/null
	for k in $(seq 1 "$1"); do L subscribe --url "osc.udp://127.0.0.1:$((8 + k))/" --interval 10 >/dev/null; done
}
resubscribe() { # while $TMP/stop is absent: the 16 ask for the whole state again, every 0.1 s
	while [ ! -e "$TMP/stop" ]; do
		for k in $(seq 1 16); do L subscribe --url "osc.udp://127.0.0.1:$((8 + k))/" --interval 10 >/dev/null; done
		sleep 0.1
	done
}
measure() { # LABEL: daemon CPU ms per second and ping round trips over SEC seconds
	local t0 t1 c0 c1
	c0=$(awk '{print $14 + $15}' /proc/"$DPID"/stat); t0=$(date +%s%N)
	python3 - "$PORT" "$SEC" >"$TMP/rtt" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
pad = lambda b: b + b"\0" * (4 - len(b) % 4)
msg = pad(b"/jl/ping") + pad(b",")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
end = time.monotonic() + secs
while time.monotonic() < end:
    t = time.monotonic()
    s.sendto(msg, ("127.0.0.1", port))
    s.recv(65536)
    print("%.3f" % ((time.monotonic() - t) * 1e3))
    time.sleep(0.005)
PY
	c1=$(awk '{print $14 + $15}' /proc/"$DPID"/stat); t1=$(date +%s%N)
	python3 - "$1" "$TMP/rtt" $(( (c1 - c0) * 10 )) $(( (t1 - t0) / 1000000 )) <<'PY'
import statistics, sys
label, f, cpu_ms, wall_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = sorted(float(x) for x in open(f))
print("%-34s CPU %5.1f ms/s   ping median %.3f ms, p99 %.3f ms, max %.3f ms (%d pings)" %
      (label, cpu_ms * 1000.0 / wall_ms, statistics.median(r), r[int(0.99 * (len(r) - 1))], r[-1], len(r)))
PY
}
for round in $(seq 1 "$ROUNDS"); do
	echo "== round $round"
	subs 0; measure "no subscriber"
	subs 16; sleep 0.5; measure "16 subscribers, positions 100/s"
	rm -f "$TMP/stop"; resubscribe & RP=$!
	measure "16, whole states again every 0.1 s"
	touch "$TMP/stop"; wait "$RP"
done

#!/bin/bash
# bench_session.sh - how long `save` and `load` take on a large session (and
# `load` of the same session relabelled as recorded at 44.1 kHz, which
# converts it to 48 kHz; and `import` of one of its layers, a minute of
# stereo, as it is and time-stretched to one cycle more), how
# much of it the daemon's loop spends (the copies out of and into the pool;
# the worker thread does the files), and how long other commands wait
# meanwhile: a prober sends /jl/ping every 5 ms during each save and load
# and records the round trips (medians over the rounds are printed).  Real parts: a private JACK server (dummy
# backend), jackloop, the daemon; the files go to a temporary directory.
#   tests/bench_session.sh [LAYERS] [SECONDS] [ROUNDS]   (default 4 60 5)
set -u
. "$(dirname "$0")/it_lib.sh"
trap teardown EXIT
NAME=bs
NL=${1:-4}; SEC=${2:-60}; ROUNDS=${3:-5}
L() { "$LOOPCTL" --name $NAME "$@"; }
start_jackd 256 || { echo "no JACK server"; exit 1; }
spawn "$TMP/jackloop.log" "$B/jackloop" --name $NAME --osc-port 0 --history $((SEC + 30)) \
	--pool-mb $((NL * SEC * 48000 * 8 / 1048576 * 2 + 64))
wait_for 10 L ping || { echo "jackloop did not start"; cat "$TMP/jackloop.log"; exit 1; }
spawn "$TMP/player.log" "$B/tests/jl_player" $NAME:in_1 $NAME:in_2
wait_for 5 grep -q ready "$TMP/player.log"
PORT=$(L --json ping >/dev/null; L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemon"]["osc_port"])')
# a 2 s anchor, then NL stereo layers of SEC seconds captured from the history
L record >/dev/null; sleep 2; L record >/dev/null
wait_for $((SEC + 30)) jv_gt engine.frame $(( $(jv engine.frame) + (SEC + 2) * 48000 ))
for t in $(seq 2 $((NL + 1))); do L capture $((SEC / 2)) --track $t >/dev/null || { L status; exit 1; }; done
sleep 3 # copied into the pool
echo "# session: $(L status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pool"]["used_bytes"] // 1048576)') MB in the pool, $((NL + 1)) layers"

probe() { # OUT: pings every 5 ms until $TMP/stop exists; one round trip (ms) per line
	python3 - "$PORT" "$TMP/stop" >"$1" <<'PY'
import os, socket, struct, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
pad = lambda b: b + b"\0" * (4 - len(b) % 4)
msg = pad(b"/jl/ping") + pad(b",")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
while not os.path.exists(stop):
    t = time.monotonic()
    s.sendto(msg, ("127.0.0.1", port))
    s.recvfrom(65536)
    print("%.3f" % ((time.monotonic() - t) * 1e3), flush=True)
    time.sleep(0.005)
PY
}
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
as44k() { # SRC DST: the saved session, relabelled as recorded at 44.1 kHz (the
	# same frames; only the rate in session.json and in each WAV header
	# changes), so that `load` has to convert it to 48 kHz
	rm -rf "$2"; cp -r "$1" "$2"
	python3 - "$2" <<'PY'
import json, os, struct, sys
d = sys.argv[1]; p = os.path.join(d, "session.json"); s = json.load(open(p)); s["sample_rate"] = 44100
json.dump(s, open(p, "w"))
for t in s["tracks"]:
    for l in t["layers"]:
        with open(os.path.join(d, l["file"]), "r+b") as f:
            head = f.read(4096); i = head.index(b"fmt ") + 8
            ch, = struct.unpack_from("<H", head, i + 2); bits, = struct.unpack_from("<H", head, i + 14)
            f.seek(i + 4); f.write(struct.pack("<II", 44100, 44100 * ch * bits // 8))
PY
}
layer2() { # track 2's first layer file, as the session names it (save --force renames them)
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1] + "/session.json")); print(sys.argv[1] + "/" + [t for t in s["tracks"] if t["track"] == 2][0]["layers"][0]["file"])' "$TMP/s"
}
: >"$TMP/rows"
for r in $(seq 1 "$ROUNDS"); do
	for op in idle save load load44 import stretch; do
		[ $op = load ] && { L clear all >/dev/null; sleep 0.2; }
		[ $op = load44 ] && { as44k "$TMP/s" "$TMP/s44"; L clear all >/dev/null; sleep 0.2; }
		rm -f "$TMP/stop"; probe "$TMP/ping.$op.$r" & PP=$!
		sleep 0.3
		case $op in
		idle) sleep 0.5; echo '{"seconds": 0.5, "loop_ms": 0, "bytes": 0, "loop_tick_max_ms": 0}' >"$TMP/reply" ;;
		save) L --json save "$TMP/s" --force >"$TMP/reply" || exit 1 ;;
		load) L --json load "$TMP/s" >"$TMP/reply" || exit 1 ;;
		load44) L --json load "$TMP/s44" >"$TMP/reply" || exit 1 ;;
		import) L --json import "$(layer2)" >"$TMP/reply" || exit 1 ;;
		stretch) L --json import "$(layer2)" --stretch --cycles $((SEC / 2 + 1)) >"$TMP/reply" || exit 1 ;;
		esac
		case $op in import|stretch) L undo >/dev/null ;; esac
		sleep 0.1; touch "$TMP/stop"; wait $PP
		echo "$op $(field "$TMP/reply" seconds) $(field "$TMP/reply" loop_ms) $(field "$TMP/reply" bytes) $(sort -n "$TMP/ping.$op.$r" | tail -1) $(field "$TMP/reply" loop_tick_max_ms)" >>"$TMP/rows"
	done
done
python3 - "$TMP/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("| op | MB | seconds | MB/s | daemon loop busy, ms in all | its longest tick, ms | longest ping round trip meanwhile, ms | rounds |")
print("|---|---|---|---|---|---|---|---|")
names = {"load44": "load, saved at 44.1 kHz (converted)", "import": "import one layer (cut to whole cycles)",
         "stretch": "import one layer --stretch (one cycle longer)"}
for op in ("idle", "save", "load", "load44", "import", "stretch"):
    r = [x for x in rows if x[0] == op]
    mb = int(r[0][3]) / 1048576
    sec = statistics.median(float(x[1]) for x in r)
    med = lambda i: statistics.median(float(x[i]) for x in r)
    if op == "idle":  # the same prober with nothing to do, for comparison
        print("| (nothing, 0.5 s) | | | | | | %.1f | %d |" % (med(4), len(r)))
        continue
    name = names.get(op, op)
    print("| %s | %.0f | %.2f | %.0f | %.1f | %.2f | %.1f | %d |" % (name, mb, sec, mb / sec, med(2), med(5), med(4), len(r)))
print("(medians over the rounds)")
PY

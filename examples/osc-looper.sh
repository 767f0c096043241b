#!/bin/sh
# osc-looper.sh [PORT] - drive the looper over OSC, as a pedal script or
# TouchOSC layout would: record an anchor, overdub, mute, undo, bring in
# a file as a loop (stretched to the cycle), and save the loops as a
# session (paths must be absolute over OSC).
# Needs a running jackloop (make run) with something patched into in_1/in_2.
PORT=${1:-9960}
# oscsend takes the type letters in one word, then the values: sss 1 1 mute
send() { oscsend 127.0.0.1 "$PORT" "$@"; }
send /jl/record            # start the first take
sleep 2
send /jl/record            # end it: a 2 s anchor
sleep 1
send /jl/record s 1        # overdub on track 1
sleep 2
send /jl/record s 1
sleep 2
send /jl/layer sss 1 1 mute     # mute the anchor layer only (types, then values)
sleep 2
send /jl/undo s 1          # take the overdub back
send /jl/layer sss 1 1 unmute
HERE=$(cd "$(dirname "$0")" && pwd)
send /jl/import ss "$HERE/groove.wav" --stretch   # the groove file, stretched to whole cycles, on a new track
# the save waits for the import (stretching takes a moment) and then writes both tracks
send /jl/save ss "${TMPDIR:-/tmp}/osc-looper-session" --force
echo "done; see: loopctl status; the session: ${TMPDIR:-/tmp}/osc-looper-session"

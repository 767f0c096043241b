#!/bin/sh
# osc-looper.sh [PORT] - drive the looper over OSC, as a pedal script or
# TouchOSC layout would: record an anchor, overdub, mute, undo, and save
# the loops as a session (the path must be absolute over OSC).
# Needs a running jackloop (make run) with something patched into in_1/in_2.
PORT=${1:-9960}
send() { oscsend 127.0.0.1 "$PORT" "$@"; }
send /jl/record            # start the first take
sleep 2
send /jl/record            # end it: a 2 s anchor
sleep 1
send /jl/record s 1        # overdub on track 1
sleep 2
send /jl/record s 1
sleep 2
send /jl/layer s 1 s 1 s mute   # mute the anchor layer only
sleep 2
send /jl/undo s 1          # take the overdub back
send /jl/layer s 1 s 1 s unmute
send /jl/save s "${TMPDIR:-/tmp}/osc-looper-session" s --force
echo "done; see: loopctl status; the session: ${TMPDIR:-/tmp}/osc-looper-session"

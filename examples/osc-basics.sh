#!/bin/sh
# osc-basics.sh [PORT] - the OSC namespace with liblo's oscsend/oscdump.
# A running jackloop is needed (make run).  Replies go back to the sender's
# port; oscsend does not listen, so watch them with `loopctl` instead, or
# use any OSC client that receives (TouchOSC, Open Stage Control).
PORT=${1:-9960}
oscsend 127.0.0.1 "$PORT" /jl/ping
oscsend 127.0.0.1 "$PORT" /jl/master-gain s -6
oscsend 127.0.0.1 "$PORT" /jl/master-gain f -3.0
oscsend 127.0.0.1 "$PORT" /jl/impulse f 0.5
oscsend 127.0.0.1 "$PORT" /jl/meter-reset
echo "sent; now: loopctl status"

#!/bin/bash
# pedal-leds.sh [NAME] - follow the looper's state and print one line per
# change of a track's state, a lamp per track that is not empty:
#
#   1:playing 2:recording 3:muted
#
# It reads `loopctl watch` (the state the daemon pushes over OSC), so it is
# the start of a script that drives a foot controller's LEDs over MIDI or
# GPIO instead of printing.  It runs until interrupted.  Needs a running
# jackloop (make run).
NAME=${1:-jackloop}
LOOPCTL=${LOOPCTL:-loopctl}
declare -A lamp
"$LOOPCTL" --name "$NAME" watch --interval 0 | while read -r path value _; do
	case $path in
	/jl/state/track/*/*) ;;                 # rec, mute, solo, gain, layers: not shown
	/jl/state/track/*)
		lamp[${path##*/}]=$value
		line=""
		for k in $(seq 1 64); do
			v=${lamp[$k]:-empty}
			[ "$v" = empty ] || line="$line${line:+ }$k:$v"
		done
		echo "${line:-(no loops)}"
		;;
	esac
done

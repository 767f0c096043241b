#!/bin/bash
# run.sh - what `make run` does: find a running JACK server (pipewire-jack
# included), or start one, then run jackloop in the foreground.
#   ALSA backend when a sound card exists and is free;
#   if the card is busy (PipeWire/PulseAudio own it), say so and suggest pw-jack;
#   otherwise the dummy backend, which is silent.
set -u
B=${BUILD:-build}
export JACK_NO_START_SERVER=1
if jack_lsp >/dev/null 2>&1; then
	echo "run: using the running JACK server '${JACK_DEFAULT_SERVER:-default}'"
else
	backend=""
	if [ -e /proc/asound/cards ] && grep -q '^ *[0-9]' /proc/asound/cards 2>/dev/null; then
		if fuser -s /dev/snd/pcmC0D0p 2>/dev/null || pgrep -x pipewire >/dev/null 2>&1 ||
		   pgrep -x pulseaudio >/dev/null 2>&1; then
			echo "run: the sound card is busy (PipeWire or PulseAudio owns it)."
			echo "     Run jackloop through PipeWire's JACK: pw-jack $B/jackloop"
			exit 1
		fi
		backend="alsa"
	fi
	if [ -n "$backend" ]; then
		echo "run: starting jackd with the ALSA backend (first sound card, 48 kHz, 256 frames)"
		jackd -d alsa -r 48000 -p 256 &
	else
		echo "run: no sound card here: starting jackd with the DUMMY backend."
		echo "     It is silent: nothing reaches speakers.  Use it to try the commands."
		jackd --no-realtime -d dummy -r 48000 -p 256 &
	fi
	JACKD=$!
	trap 'kill $JACKD 2>/dev/null; wait $JACKD 2>/dev/null' EXIT
	for _ in $(seq 100); do jack_lsp >/dev/null 2>&1 && break; sleep 0.05; done
fi
echo "run: jackloop in the foreground; in another terminal try: $B/loopctl status"
"$B/jackloop" "$@"

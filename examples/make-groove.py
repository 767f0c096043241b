#!/usr/bin/env python3
"""make-groove.py - synthesize examples/groove.wav, the loop examples/demo.sh plays.

The audio is generated here, from nothing but this script (no samples, no
recordings): it is ours and free to use, like the rest of this file.

8 bars at 120 BPM (16 s, seamless when looped), 48 kHz, mono, 16-bit PCM:
a pitch-swept sine kick, a snare (noise burst + tone), a hi-hat (high-passed
noise) and a decaying saw bass over | Am | F G |, a two-bar progression, so
any two-bar loop cut on an even bar line fits any other.  Bars 5-8 change a
little: 16th hats, an extra kick, ghost snares and off-beat chord stabs, so
an overdub or a capture taken from them is heard as new.

Python 3 standard library only; the noise comes from a fixed seed, so the
output is the same byte for byte on every run.

    python3 examples/make-groove.py [OUT.wav]     (default: next to this script)
"""
import math
import os
import random
import struct
import sys
import wave

SR = 48000
BPM = 120
BARS = 8
STEP = SR * 60 // BPM // 4          # a 16th note: 6000 frames
BAR = 16 * STEP                     # 96000 frames, 2 s
N = BARS * BAR                      # 768000 frames, 16 s
TAU = 2 * math.pi

rng = random.Random(20260101)
mix = [0.0] * N


def add(start, samples, gain):
    """Mix samples in at start, wrapping past the end so the loop is seamless."""
    for i, s in enumerate(samples):
        mix[(start + i) % N] += gain * s


def midi_hz(note):
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def fade(samples, ms=3.0):
    """Short linear fade in and out: no clicks at a voice's edges."""
    k = max(1, int(SR * ms / 1000))
    n = len(samples)
    for i in range(min(k, n)):
        g = i / k
        samples[i] *= g
        samples[n - 1 - i] *= g
    return samples


def kick(length=0.42):
    out, ph = [], 0.0
    for i in range(int(SR * length)):
        t = i / SR
        f = 44.0 + 120.0 * math.exp(-t / 0.028)
        ph += TAU * f / SR
        body = math.sin(ph) * math.exp(-t / 0.22)
        click = math.exp(-t / 0.0015) * 0.35
        out.append(math.tanh(1.6 * (body + click)))
    return fade(out, 1.0)


def noise(n):
    return [rng.uniform(-1.0, 1.0) for _ in range(n)]


def highpass(x, a):
    """One-pole high-pass: y[n] = a * (y[n-1] + x[n] - x[n-1])."""
    y, px, py = [], 0.0, 0.0
    for v in x:
        py = a * (py + v - px)
        px = v
        y.append(py)
    return y


def snare(length=0.26, ghost=False):
    n = int(SR * length)
    nz = highpass(noise(n), 0.86)
    out = []
    for i in range(n):
        t = i / SR
        tone = 0.55 * math.sin(TAU * 186.0 * t) + 0.3 * math.sin(TAU * 331.0 * t)
        out.append(nz[i] * math.exp(-t / 0.085) + tone * math.exp(-t / 0.05))
    if ghost:
        out = [0.3 * v for v in out]
    return fade(out, 1.0)


def hat(open_=False):
    length = 0.32 if open_ else 0.07
    decay = 0.12 if open_ else 0.018
    n = int(SR * length)
    nz = highpass(highpass(noise(n), 0.55), 0.55)
    return fade([nz[i] * math.exp(-(i / SR) / decay) for i in range(n)], 1.0)


def bass(note, length):
    f = midi_hz(note)
    out = []
    harmonics = [k for k in range(1, 13) if k * f < 2500.0]
    for i in range(int(SR * length)):
        t = i / SR
        # A band-limited saw whose upper partials die first (a closing filter).
        v = sum(math.sin(TAU * k * f * t) / k * math.exp(-t * k / 0.9) for k in harmonics)
        out.append(0.6 * v * math.exp(-t / 0.35))
    return fade(out, 4.0)


def stab(notes, length=0.16):
    out = []
    fs = [midi_hz(n) for n in notes]
    for i in range(int(SR * length)):
        t = i / SR
        v = sum(math.sin(TAU * f * t) + 0.35 * math.sin(TAU * 2 * f * t)
                + 0.15 * math.sin(TAU * 3 * f * t) for f in fs)
        out.append(v / len(fs) * math.exp(-t / 0.06))
    return fade(out, 2.0)


# | Am | F G | four times; bars 5-8 with more going on.
AM, F, G = (33, (57, 60, 64)), (29, (53, 57, 60)), (31, (55, 59, 62))   # bass root, chord


def harmony(bar, step):
    return AM if bar % 2 == 0 else (F if step < 8 else G)


BASS_STEPS = [(0, 0), (3, 0), (6, 12), (8, 0), (10, 0), (14, 7)]   # (16th, semitones)
BASS_STEPS_B = [(0, 0), (3, 0), (6, 12), (7, 10), (8, 0), (10, 0), (12, 12), (14, 7)]

KICK, SNARE, GHOST = kick(), snare(), snare(ghost=True)
HATS = [hat() for _ in range(4)]      # a few takes of noise, not one repeated
OPEN_HAT = hat(open_=True)

for bar in range(BARS):
    b0 = bar * BAR
    second = bar >= BARS // 2
    # kick: 1 and 3, plus the "and" of 3 in the second half; a push into bar 1
    for s in (0, 8) + ((10,) if second else ()) + ((15,) if bar == BARS - 1 else ()):
        add(b0 + s * STEP, KICK, 0.95)
    # snare: 2 and 4; ghosts in the second half
    for s in (4, 12):
        add(b0 + s * STEP, SNARE, 0.55)
    if second:
        for s in (7, 15) if bar != BARS - 1 else (7, 13, 14):
            add(b0 + s * STEP, GHOST, 0.55)
    # hats: 8ths, then 16ths with accents; an open hat to turn the loop around
    for s in range(0, 16, 1 if second else 2):
        if bar == BARS - 1 and s == 14:
            add(b0 + s * STEP, OPEN_HAT, 0.22)
            continue
        accent = 1.0 if s % 4 == 2 else (0.75 if s % 2 == 0 else 0.5)
        add(b0 + s * STEP, HATS[(bar + s) % len(HATS)], 0.28 * accent)
    # bass
    steps = BASS_STEPS_B if second else BASS_STEPS
    for j, (s, semis) in enumerate(steps):
        nxt = steps[j + 1][0] if j + 1 < len(steps) else 16
        root = harmony(bar, s)[0]
        add(b0 + s * STEP, bass(root + semis, min(0.45, (nxt - s) * STEP / SR)), 0.5)
    # chord stabs on the off-beats, second half only
    if second:
        for s in (2, 6, 10, 14) if bar % 2 else (6, 14):
            add(b0 + s * STEP, stab(harmony(bar, s)[1]), 0.3)

peak = max(abs(v) for v in mix)
# Peak -12 dBFS: headroom for the demo's layers, which all start on bar
# lines, so their kicks add up (anchor + overdub + capture: about +9.5 dB).
scale = 10 ** (-12.0 / 20) / peak
frames = struct.pack("<%dh" % N, *(int(round(v * scale * 32767)) for v in mix))

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "groove.wav")
with wave.open(out, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(SR)
    w.writeframes(frames)
print("%s: %d frames, %.1f s, %d Hz mono 16-bit, %d bytes" % (os.path.relpath(out), N, N / SR, SR, os.path.getsize(out)))

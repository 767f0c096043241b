#!/usr/bin/env python3
"""mkwav.py OUT KIND ARGS... - test audio files for `loopctl import`.

  code S N          stereo 32-bit float, 48 kHz: frame k holds the player's
                    frame code of S + k (tests/jl_player.c), so a loop of it
                    decodes to known frames (tests/loopcheck.py)
  sine HZ RATE N    mono 16-bit, 0.25 amplitude
  click BPM RATE S  mono 16-bit: a 2 ms click on every beat for S seconds
  zeros RATE N CH   16-bit silence with CH channels
  nan               stereo float, 48 kHz, 4800 frames, one NaN in the middle
"""
import math, struct, sys


def write(path, rate, ch, frames, fmt):
    """frames: a flat list of samples (interleaved); fmt 'f' (float) or 'h'."""
    data = struct.pack("<%d%s" % (len(frames), fmt), *frames)
    bits, tag = (32, 3) if fmt == "f" else (16, 1)
    fmtc = struct.pack("<HHIIHH", tag, ch, rate, rate * ch * bits // 8, ch * bits // 8, bits)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmtc) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmtc)) + fmtc)
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def code(k):
    return ((k & 0x7FFF) - 16384 + 0.5) / 32768


def main():
    out, kind, a = sys.argv[1], sys.argv[2], sys.argv[3:]
    if kind == "code":
        s, n = int(a[0]), int(a[1])
        x = []
        for k in range(s, s + n):
            x += [code(k), code(k >> 15)]
        write(out, 48000, 2, x, "f")
    elif kind == "sine":
        hz, rate, n = float(a[0]), int(a[1]), int(a[2])
        write(out, rate, 1, [int(round(8192 * math.sin(2 * math.pi * hz * k / rate))) for k in range(n)], "h")
    elif kind == "click":
        bpm, rate, sec = float(a[0]), int(a[1]), float(a[2])
        n, beat, w = int(round(sec * rate)), 60.0 * rate / bpm, int(0.002 * rate)
        x = [0] * n
        b = 0
        while int(round(b * beat)) < n:
            s = int(round(b * beat))
            for k in range(s, min(n, s + w)):
                x[k] = 20000 if (k - s) % 8 < 4 else -20000
            b += 1
        write(out, rate, 1, x, "h")
    elif kind == "zeros":
        rate, n, ch = int(a[0]), int(a[1]), int(a[2])
        write(out, rate, ch, [0] * (n * ch), "h")
    elif kind == "nan":
        x = [0.0] * 9600
        x[4801] = float("nan")
        write(out, 48000, 2, x, "f")
    else:
        sys.exit("mkwav.py: unknown kind " + kind)


main()

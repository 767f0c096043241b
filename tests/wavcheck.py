#!/usr/bin/env python3
"""wavcheck.py FILE FIRST FRAMES - checks a layer saved by `loopctl save`
against the frame-coded signal of tests/jl_player (see loopcheck.py): the
file must be a 2-channel 32-bit float WAV of FRAMES frames whose frame k
decodes to JACK frame FIRST + k.  Prints "ok - ..." or "not ok - ...";
exit status 0 or 1."""
import struct, sys

def chunks(d):
    if d[:4] != b"RIFF" or d[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    o = 12
    while o + 8 <= len(d):
        cid, n = d[o:o + 4], struct.unpack_from("<I", d, o + 4)[0]
        yield cid, d[o + 8:o + 8 + n]
        o += 8 + n + (n & 1)

def dec(v):
    k = v * 32768.0 + 16384.0 - 0.5
    return int(k) if k == int(k) and 0 <= k <= 32767 else None

def main():
    path, first, frames = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    c = dict(chunks(open(path, "rb").read()))
    fmt, ch, rate = struct.unpack_from("<HHI", c[b"fmt "])
    bits = struct.unpack_from("<H", c[b"fmt "], 14)[0]
    if (fmt not in (3, 0xFFFE)) or bits != 32 or ch != 2:
        print("not ok - %s: format %d, %d bits, %d channels (want float, 32, 2)" % (path, fmt, bits, ch))
        return 1
    data = c[b"data"]
    n = len(data) // 8
    if n != frames:
        print("not ok - %s: %d frames, want %d" % (path, n, frames))
        return 1
    s = struct.unpack_from("<%df" % (2 * n), data)
    for k in range(n):
        a, b = dec(s[2 * k]), dec(s[2 * k + 1])
        if a is None or b is None or b * 32768 + a != (first + k) & 0x3FFFFFFF:
            print("not ok - %s: frame %d decodes to %s, want %d" % (path, k, (a, b), first + k))
            return 1
    print("ok - %s: %d frames at %d Hz, each the recorded frame" % (path, n, rate))
    return 0

sys.exit(main())

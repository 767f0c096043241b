#!/usr/bin/env python3
"""loopcheck.py REC WINDOWS - checks windows of a jl_recorder file of
jackloop's out_L/out_R against what a loop must play (DESIGN 8).

The player feeds in_1 = code(f), in_2 = code(f >> 15) with f its JACK frame
time, so a stereo loop at gain 1 plays samples that decode to the JACK frame
they were recorded at.  OFFSET is engine frame - JACK frame (status
engine.frame_offset).  WINDOWS has one line per check:
    NAME Y0 Y1 OFFSET layer ORIGIN LENGTH PERIOD SEAM [SOURCE]   (engine frames)
    NAME Y0 Y1 OFFSET silent
(a window's own OFFSET replaces the global one: a restarted jackloop has
another engine/JACK offset)
For `layer`, every output frame y in [Y0, Y1) with phase q = (y - ORIGIN) mod
PERIOD < LENGTH (outside seams) must decode to JACK frame SOURCE + q - OFFSET,
and frames in LENGTH+SEAM <= q < PERIOD-SEAM must be silent.  SOURCE is
ORIGIN unless given: a layer loaded from a saved session plays, from its new
origin, the frames recorded from its old one.
Prints "ok - NAME" / "not ok - NAME (...)" per window."""
import struct, sys

def load(path):
    d = open(path, "rb").read()
    out = {}
    o = 0
    while o + 12 <= len(d):
        fr, n, ch = struct.unpack_from("<III", d, o); o += 12
        s = struct.unpack_from("<%df" % (n * ch), d, o); o += 4 * n * ch
        for k in range(n):
            out[(fr + k) & 0xFFFFFFFF] = (s[k * ch], s[k * ch + 1])
    return out

def dec(v):
    k = v * 32768.0 + 16384.0 - 0.5
    return int(k) if k == int(k) and 0 <= k <= 32767 else None

def main():
    rec = load(sys.argv[1])
    fails = 0
    for line in open(sys.argv[2]):
        w = line.split()
        if not w:
            continue
        name, y0, y1, off, kind = w[0].replace("_", " "), int(w[1]), int(w[2]), int(w[3]), w[4]
        bad = checked = missing = silent = 0
        first = None
        for y in range(y0, y1):
            jy = (y - off) & 0xFFFFFFFF
            if jy not in rec:
                missing += 1
                continue
            l, r = rec[jy]
            if kind == "silent":
                checked += 1
                if l != 0.0 or r != 0.0:
                    bad += 1
                    first = first or y
                continue
            origin, length, period, seam = map(int, w[5:9])
            source = int(w[9]) if len(w) > 9 else origin
            q = (y - origin) % period
            if q >= period - seam or (length <= q < length + seam):
                continue
            checked += 1
            if q < length:
                a, b = dec(l), dec(r)
                want = (source + q - off) & 0x3FFFFFFF
                if a is None or b is None or b * 32768 + a != want:
                    bad += 1
                    first = first or y
            elif l != 0.0 or r != 0.0:
                bad += 1
                first = first or y
            else:
                silent += 1
        if checked == 0 or missing > (y1 - y0) // 10:
            print("not ok - %s (checked %d, %d frames not recorded)" % (name, checked, missing)); fails += 1
        elif bad:
            print("not ok - %s (%d of %d frames wrong, first at %d)" % (name, bad, checked, first)); fails += 1
        else:
            print("ok - %s (%d frames exact%s)" % (name, checked, ", %d silent" % silent if silent else ""))
    return 1 if fails else 0

sys.exit(main())

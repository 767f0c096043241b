#!/usr/bin/env python3
"""recscan.py FILE - list the non-zero samples of a jl_recorder file as
"jack_frame channel value" lines (JACK frame time, wrapping at 2^32)."""
import struct, sys
d = open(sys.argv[1], "rb").read()
o = 0
while o + 12 <= len(d):
    fr, n, ch = struct.unpack_from("<III", d, o); o += 12
    s = struct.unpack_from("<%df" % (n * ch), d, o); o += 4 * n * ch
    for k in range(n):
        for c in range(ch):
            v = s[k * ch + c]
            if v != 0.0:
                print((fr + k) & 0xFFFFFFFF, c, repr(v))

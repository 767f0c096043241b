#!/usr/bin/env python3
"""clockcheck.py - checks a MIDI clock recording (tests/jl_midirec: lines
"JACKFRAME HEXBYTES") against a beat grid, exactly.

usage: clockcheck.py FILE OFFSET FROM ORIGIN SPAN BEATS PER_BAR [--stop-first]
                      [--quiet-until FRAME] [--to FRAME | --through FRAME]

Engine frame = JACK frame + OFFSET (mod 2^32, unwrapped near FROM).  A
segment starts at engine frame FROM and ends before the next Stop (FC),
or at FRAME (--to); with --through it must reach FRAME without a Stop.  Its events must be:
  - with --stop-first, a Stop first (the one that ended the previous
    segment's clock);
  - with --quiet-until, nothing else before that frame;
  - a clock (F8) at every tick ORIGIN + floor(j * SPAN / (24 * BEATS)) of
    the segment from its first event on, and nowhere else;
  - exactly one Start (FA), right before the clock of the first downbeat
    tick of the segment (j a multiple of 24 * PER_BAR);
  - nothing else.
The recording must reach past the segment's end.  Prints "end N" (the
frame where the segment ended: the Stop, or FRAME) on success, else one
line per failure, and exits 1."""
import sys


def main():
    a = sys.argv[1:]
    stop_first = "--stop-first" in a
    a = [x for x in a if x != "--stop-first"]
    opt = {}
    for o in ("--to", "--quiet-until", "--through"):
        if o in a:
            i = a.index(o)
            opt[o] = int(a[i + 1])
            del a[i:i + 2]
    to, quiet, through = opt.get("--to"), opt.get("--quiet-until"), opt.get("--through")
    if through is not None:
        to = through
    path = a[0]
    off, lo, org, span, beats, per_bar = (int(x) for x in a[1:7])
    ev = []
    for line in open(path):
        p = line.split()
        if len(p) == 2:
            d = (int(p[0]) + off - lo + (1 << 31)) % (1 << 32) - (1 << 31)
            if d >= 0:
                ev.append((lo + d, p[1]))
    ev.sort(key=lambda e: e[0])  # stable: bytes of one frame keep their order
    bad = []
    if stop_first:
        if not ev or ev[0][1] != "FC":
            print("the segment does not begin with a Stop: %s" % (ev[:2],))
            return 1
        ev = ev[1:]
    if quiet is not None:
        early = [e for e in ev if e[0] < quiet]
        if early:
            print("%d events before %d, where there must be none (first %s)" % (len(early), quiet, early[0]))
            return 1
    end = next((e[0] for e in ev if e[1] == "FC"), None)
    if through is not None and end is not None and end < through:
        print("a Stop at %d, before %d" % (end, through))
        return 1
    if to is not None and (end is None or to < end):
        end = to
    if end is None:
        print("the segment has no end (no Stop, no --to)")
        return 1
    if not any(e[0] >= end for e in ev) and to is None:
        print("the recording does not reach past the segment")
        return 1
    seg = [e for e in ev if e[0] < end]
    if not seg:
        print("no events in [%d, %d)" % (lo, end))
        return 1
    T = 24 * beats
    j = max(0, -(-(seg[0][0] - org) * T // span))
    want, started = [], False
    while org + j * span // T < end:
        t = org + j * span // T
        if not started and j % (24 * per_bar) == 0:
            want.append((t, "FA"))
            started = True
        want.append((t, "F8"))
        j += 1
    if seg != want:
        n = min(len(seg), len(want))
        k = next((i for i in range(n) if seg[i] != want[i]), n)
        bad.append("%d events, %d expected; first difference at #%d: got %s, want %s" %
                   (len(seg), len(want), k, seg[k] if k < len(seg) else None, want[k] if k < len(want) else None))
    if sum(1 for e in seg if e[1] == "FA") != 1:
        bad.append("not exactly one Start in the segment")
    for b in bad:
        print(b)
    if bad:
        return 1
    print("end %d" % end)
    return 0


if __name__ == "__main__":
    sys.exit(main())

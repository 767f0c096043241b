#!/usr/bin/env python3
"""The development set (or the validation set) at other tempi: the same parts, played faster and slower.

Every constant-tempo clip of the development set (gen.py; not its tempo steps
or noisy copies) is built again with its tempo scaled by each FACTOR (default
0.8, 0.9, 1.12 and 1.25: d01_rock120 becomes d01_rock120_at96, _at108,
_at134 and _at150; the category is the factor, "x0.8"), the same number of
bars, so that a reading that holds only
at the written tempo -- a metrical level chosen by the tempo preference curve
near its tie, an octave rule whose constants sit at the clip's own tempo --
shows.  Other parts of the held-out set (meters, instruments, noise) are the
other generators' business; here only the tempo moves.

It reuses gen_xval.py's machinery (and through it gen.py's): rendering,
calibration and ground truth are the validation set's.  The default soundfont
is the development set's own FluidR3, so that nothing but the tempo differs.
With --set xval the validation set's constant-tempo clips are scaled instead
(3/4, 6/8, 7/8 and 5/4 among them), with its soundfonts; a 7/8 clip's counted
beat scales with it.
Usage:
    tests/xval/gen_tempi.py [--set dev|xval] [--out DIR] [--gt FILE] [--jobs N] [--factors 0.8,1.25]
                            [--soundfonts a,b]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_xval as gx  # noqa: E402  (also imports the development set's gen.py)

gen = gx.gen
FACTORS = [0.8, 0.9, 1.12, 1.25]


class Scaled(gen.Song):
    """gen.Song with every section's tempo scaled by Scaled.factor; the
    name's tempo is Scaled.name_bpm (the counted beat) if set."""
    factor = 1.0
    name_bpm = None

    def __init__(self, name, category, desc, sections, seed_extra=""):
        f = Scaled.factor
        new = [(float(b) * f, n, bpb) for b, n, bpb in sections]
        # the category names the factor, so that score.py's tables compare
        # the tempi; the clip's name keeps its set's prefix
        super().__init__("%s_at%d" % (name, round(Scaled.name_bpm or new[0][0])), "x%g" % f,
                         "%s (%s, tempo x%g)" % (desc, category, f), new, seed_extra)


def scaled(fn, f, name_bpm=None):
    """fn, building its Song (from gen.py's or gen_xval.py's namespace) at f times its tempo."""
    def build():
        old = gen.Song, gx.Song
        Scaled.factor, Scaled.name_bpm = f, name_bpm
        gen.Song = gx.Song = Scaled
        try:
            return fn()
        finally:
            gen.Song, gx.Song = old
    return build


def register(factors, which):
    """which: "dev" (gen.py's clips) or "xval" (gen_xval.py's)."""
    src = list(gen.CLIPS if which == "dev" else gx.CLIPS)
    gx.CLIPS.clear()
    gx.NOISY.clear()
    for fn in src:
        s = fn()
        if len(s.sections) > 1 or len({b for b, _, _ in s.sections}) > 1:
            continue                      # the tempo steps: bench-analysis-steps has 40 of its own
        xv = getattr(fn, "xv", None) or {"meter": "4/4", "beat_unit": "quarter", "alt_bpm": [], "beat_pos": None,
                                         "bpm": None}
        for f in factors:
            bpm = xv["bpm"] * f if xv["bpm"] else None   # 7/8: the Song runs in eighths
            build = scaled(fn, f, bpm)
            build.xv = dict(xv, bpm=bpm, alt_bpm=[round(a * f, 3) for a in xv["alt_bpm"]])
            gx.CLIPS.append(build)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    gx.base_args(ap, "analysis-tempi")
    ap.add_argument("--factors", default=",".join("%g" % f for f in FACTORS),
                    help="comma-separated tempo factors (default: %(default)s)")
    ap.add_argument("--set", default="dev", choices=("dev", "xval"),
                    help="the development set (gen.py) or the validation set (gen_xval.py) (default: %(default)s)")
    ap.add_argument("--soundfonts", default="", help="comma-separated soundfonts to alternate "
                    "(default: FluidR3 for dev, gen_xval.py's for xval)")
    args = ap.parse_args()
    register([float(f) for f in args.factors.split(",") if f], args.set)
    if not args.soundfonts:
        args.soundfonts = gx.FLUIDR3 if args.set == "dev" else ",".join(gx.pick_soundfonts(""))
    gx.derived_main(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tempo steps for the settle time: four grooves, each stepping by ten ratios.

The development set has two tempo steps (90 -> 120 drums, 128 -> 100 band)
and the validation set four.  This generator writes 40 more, so that the settle
time is measured on more than a handful of steps:

- ratios: 90 -> 120 and 120 -> 90 (4:3), 100 -> 150, 150 -> 100 and 84 -> 126
  (3:2, a ratio the estimator also meets as a change of metrical level),
  100 -> 125 and 125 -> 100 (5:4), 110 -> 132 (6:5), 120 -> 140 (7:6),
  140 -> 100 (7:5);
- grooves: a rock kit in eighths; a kit with a syncopated 16th-based kick
  (the validation set's s01 pattern); drums + finger bass + piano (s02's
  band); piano + picked bass without drums (s04's);
- about 13 s before the step and 14 s after it, in 4/4;
- rendered with TimGM6mb, MuseScore General Lite, Csound's sf_GMbank and
  FluidR3, alternating clip by clip.

It reuses gen_xval.py's machinery (and through it gen.py's), so the clips and
their ground truth are built exactly like the validation set's; score.py
reports each step's settle time.  Usage:
    tests/xval/gen_steps.py [--out DIR] [--gt FILE] [--jobs N] [--soundfonts a,b]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_xval as gx  # noqa: E402  (also imports the development set's gen.py)
from gen_xval import Song, clip, mk_drums_rock, DRUM_CH  # noqa: E402

STEPS = [(90, 120), (120, 90), (100, 150), (150, 100), (100, 125), (125, 100), (110, 132), (84, 126),
         (120, 140), (140, 100)]
SOUNDFONTS = ["/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
              "/usr/share/sounds/sf2/sf_GMbank.sf2", "/usr/share/sounds/sf2/FluidR3_GM.sf2"]


def sections(a, b):
    """About 13 s at a, then about 14 s at b, in whole 4/4 bars."""
    return [(a, max(4, round(13 * a / 240.0)), 4), (b, max(4, round(14 * b / 240.0)), 4)]


def song(kind, what, a, b):
    return Song("x_%s_%dto%d" % (kind, a, b), "step", "%s, tempo step %d -> %d BPM" % (what, a, b), sections(a, b))


def rock(a, b):
    s = song("rock", "rock kit in eighths", a, b)
    s.inst(DRUM_CH, 0, "drums", reverb=25)
    mk_drums_rock(s, DRUM_CH, range(s.nbars))
    return s


def sync(a, b):
    return gx.groove_sync(song("sync", "kit with a 16th-based syncopated kick", a, b))


def band(a, b):
    return gx.groove_band(song("band", "drums + finger bass + piano", a, b))


def keys(a, b):
    return gx.groove_keys(song("keys", "no drums: piano chords + picked bass", a, b))


def register():
    gx.CLIPS.clear()
    gx.NOISY.clear()
    for groove in (rock, sync, band, keys):
        for a, b in STEPS:
            clip("4/4", "quarter")(lambda groove=groove, a=a, b=b: groove(a, b))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    gx.base_args(ap, "analysis-steps")
    ap.add_argument("--soundfonts", default=",".join(SOUNDFONTS),
                    help="comma-separated soundfonts to alternate (default: %(default)s)")
    args = ap.parse_args()
    register()
    gx.derived_main(args)


if __name__ == "__main__":
    main()

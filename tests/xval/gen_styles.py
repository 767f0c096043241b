#!/usr/bin/env python3
"""Band styles that no rule was shaped on: a probe of the metrical-level rules.

Nine grooves in styles the development and validation sets do not have, each
rendered with both of the validation set's soundfonts (TimGM6mb, MuseScore
General Lite): ska with off-beat guitar skanks (152), disco with four on the
floor and off-beat open hats (118), a country train beat with a snare on every
eighth (112), a polka in 2/4 (120; bass on the beats, chords and snare on the
off-beats), a fast rock band (184), a funk band with sixteenth hats and ghost
notes (100), d-beat hardcore (168), a reggae one-drop (76) and a slow R&B band
(88).  They were written after the dense-mix pass of the backbeat rule, to see
whether it holds on music it was not measured on.  `bpm` is the quarter note,
as a musician counts these styles (the polka's `alt_bpm` is its eighths).

It reuses gen_xval.py's machinery (rendering, calibration, ground truth);
clip names end in the soundfont (_timgm6mb, _musescore_general_lite) and the
category is the soundfont.  Usage:
    tests/xval/gen_styles.py [--out DIR] [--gt FILE] [--jobs N] [--soundfonts a,b]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_xval as gx  # noqa: E402  (also imports the development set's gen.py)
from gen_xval import (Song, drum_pattern, bars_for, strum, chord, GUITAR, DRUM_CH,  # noqa: E402
                      KICK, SNARE, CHH, CRASH, RIDE)
from gen import OHH, CLAP, SIDE  # noqa: E402

gx.CLIPS.clear()   # this generator's clips instead of the validation set's
gx.NOISY.clear()
clip = gx.clip


def tag(sf):
    return os.path.splitext(os.path.basename(sf))[0].lower().replace("-", "_")


def build_songs(fonts):
    """Every clip with every soundfont (the validation set alternates them)."""
    out = []
    for fn in gx.CLIPS:
        for sf in fonts:
            s = fn()
            s.name = "%s_%s" % (s.name, tag(sf))
            s.category = tag(sf)
            out.append((s, fn.xv, sf))
    return out


gx.build_songs = build_songs


def band(name, desc, bpm, seconds, parts, bpb=4):
    """A Song of the given length with its instruments: parts = (channel,
    GM program, part, reverb) each."""
    s = Song(name, "style", desc, [(bpm, bars_for(bpm, seconds, bpb), bpb)])
    for ch, program, part, reverb in parts:
        s.inst(ch, program, part, reverb=reverb)
    return s


def bass_line(s, ch, roots, pattern, vel=96, dur=0.45, human=3.0):
    """A bass note at each (beat position, semitones above the bar's root) of
    every bar; roots cycle bar by bar; dur in beats."""
    for bar in range(s.nbars):
        r = roots[bar % len(roots)]
        for pos, off in pattern:
            s.note(s.t(bar, pos), dur * s.beat_dur(bar), ch, r + off, s.vel(vel), human)


def chords_at(s, ch, positions, notes_of_bar, dur, vel, human=3.0):
    """The chord notes_of_bar(bar) at each beat position of every bar; dur in beats."""
    for bar in range(s.nbars):
        for pos in positions:
            for p in notes_of_bar(bar):
                s.note(s.t(bar, pos), dur * s.beat_dur(bar), ch, p, s.vel(vel), human)


def skank(s, ch, prog, vel, dur):
    """Up-strummed guitar chords (the top four strings) on every off-beat;
    prog cycles bar by bar; dur in beats."""
    for bar in range(s.nbars):
        for b in range(s.sections[0][2]):
            strum(s, s.t(bar, b + 0.5), ch, GUITAR[prog[bar % len(prog)]][-4:], s.vel(vel), down=False,
                  spread_ms=5, dur=dur * s.beat_dur(bar))


def eighths(s, bass_ch, gtr_ch, harmony, vel_on, vel_off, bass_vel, spread_ms):
    """A bass note and a down-strummed power chord on every eighth; harmony
    = (bass note, chord voicing) pairs, cycling bar by bar."""
    for bar in range(s.nbars):
        bass, v = harmony[bar % len(harmony)]
        for i in range(8):
            s.note(s.t(bar, i * 0.5), 0.45 * s.beat_dur(bar), bass_ch, bass, s.vel(bass_vel), 3.0)
            strum(s, s.t(bar, i * 0.5), gtr_ch, v, s.vel(vel_on if i % 2 == 0 else vel_off), down=True,
                  spread_ms=spread_ms, dur=0.45 * s.beat_dur(bar))


@clip("4/4", "quarter")
def y01():
    s = band("y01_ska152", "ska: kick 1/3, snare 2/4, off-beat guitar skank chords, walking bass", 152, 20,
             [(DRUM_CH, 0, "drums", 20), (0, 33, "bass", 10), (1, 27, "guitar", 20)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x...x...", SNARE: "..X...X.", CHH: "x-x-x-x-"},
                 spb=2, human=3.0)
    bass_line(s, 0, [43, 48, 43, 50], [(0, 0), (1, 4), (2, 7), (3, 4)], dur=0.8)
    skank(s, 1, ["G", "C", "G", "D"], 104, 0.12)
    return s


@clip("4/4", "quarter")
def y02():
    s = band("y02_disco118", "disco: four-on-the-floor kick, clap 2/4, open hats on the off-beats, octave bass in "
             "8ths, string stabs", 118, 20,
             [(DRUM_CH, 0, "drums", 20), (0, 38, "synthbass", 10), (1, 48, "strings", 30)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x.x.x.x.", CLAP: "..X...X.", OHH: ".x.x.x.x"},
                 spb=2, human=2.0)
    bass_line(s, 0, [33, 33, 38, 40], [(i * 0.5, 12 * (i % 2)) for i in range(8)], dur=0.4)
    chords_at(s, 1, (1.5,), lambda bar: chord(57 + [0, 0, 5, 7][bar % 4], "min"), 0.3, 90)
    return s


@clip("4/4", "quarter")
def y03():
    s = band("y03_train112", "country train beat: snare on every 8th, accents on 2 and 4, kick 1/3, root-fifth "
             "bass, strummed guitar", 112, 20, [(DRUM_CH, 0, "drums", 20), (0, 32, "bass", 10), (1, 25, "guitar", 25)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x...x...", SNARE: "ogXgogXg"}, spb=2, human=3.0)
    bass_line(s, 0, [40, 45, 40, 47], [(0, 0), (2, 7)], dur=0.9)
    prog = ["Em", "Am", "Em", "D"]
    for bar in range(s.nbars):
        for i in range(8):
            strum(s, s.t(bar, i * 0.5), 1, GUITAR[prog[bar % 4]], s.vel(86 if i % 2 else 96), down=(i % 2 == 0),
                  spread_ms=12, dur=0.5 * s.beat_dur(bar))
    return s


@clip("2/4", "quarter", alt=(240,))
def y04():
    s = band("y04_polka120", "polka in 2/4: tuba on the beats, accordion chords and snare on the off-beats, kick on "
             "the beats", 120, 18, [(DRUM_CH, 0, "drums", 20), (0, 58, "tuba", 15), (1, 21, "accordion", 25)], bpb=2)
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x.x.", SNARE: ".x.x"}, spb=2, human=3.0)
    bass_line(s, 0, [46, 41], [(0, 0), (1, -5)], dur=0.4)
    chords_at(s, 1, (0.5, 1.5), lambda bar: chord(58 + [0, -5][bar % 2], "maj"), 0.3, 88)
    return s


@clip("4/4", "quarter")
def y05():
    s = band("y05_fastrock184", "fast rock band: kick 1, 3 and the and of 3, snare 2/4, 8th ride, pick bass and "
             "overdriven 8ths", 184, 16, [(DRUM_CH, 0, "drums", 20), (0, 34, "bass", 10), (1, 29, "guitar", 20)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x...xx..", SNARE: "..X...X.", RIDE: "xxxxxxxx"},
                 spb=2, human=3.0)
    eighths(s, 0, 1, [(33, [45, 52, 57]), (29, [41, 48, 53]), (24, [48, 55, 60]), (31, [43, 50, 55])], 100, 90, 96, 5)
    return s


@clip("4/4", "quarter")
def y06():
    s = band("y06_funk100", "funk band: 16th hats, kick 1 and the a of 2 and 3, snare 2/4 with ghosts, slap bass "
             "16ths, clavinet", 100, 20, [(DRUM_CH, 0, "drums", 15), (0, 36, "slapbass", 10), (1, 7, "clav", 15)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x......x..x.....", SNARE: "....X..g.g..X..g",
                                                          CHH: "x-x-x-x-x-x-x-x-"}, spb=4, human=3.0)
    bass_line(s, 0, [40, 40, 43, 45], [(0, 0), (0.75, 12), (1.5, 0), (2.5, 10), (2.75, 12), (3.5, 7)], dur=0.3)
    chords_at(s, 1, (0.5, 1.25, 2.0, 2.75, 3.5), lambda bar: chord(64 + [0, 0, 3, 5][bar % 4], "m7"), 0.15, 84)
    return s


@clip("4/4", "quarter")
def y07():
    s = band("y07_dbeat168", "d-beat hardcore: kick 1, the and of 2, 3; snare 2/4; crash 8ths; distorted 8ths and "
             "pick bass", 168, 16, [(DRUM_CH, 0, "drums", 20), (0, 34, "bass", 10), (1, 30, "guitar", 20)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x..xx...", SNARE: "..X...X.", CRASH: "x-x-x-x-"},
                 spb=2, human=3.0)
    eighths(s, 0, 1, [(28, [40, 47, 52]), (31, [43, 50, 55]), (33, [45, 52, 57]), (26, [38, 45, 50])], 100, 100, 98, 4)
    return s


@clip("4/4", "quarter")
def y08():
    s = band("y08_onedrop76", "reggae one-drop: kick and rim on 3, 8th hats, off-beat skank, bass", 76, 22,
             [(DRUM_CH, 0, "drums", 25), (0, 33, "bass", 10), (1, 27, "guitar", 25)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "....x...", SIDE: "....X...", CHH: "x-x-x-x-"},
                 spb=2, human=4.0)
    bass_line(s, 0, [45, 45, 50, 52], [(0, 0), (1.5, 7), (2, 12), (3, 10)], dur=0.45)
    skank(s, 1, ["Am", "Am", "D", "Em"], 98, 0.15)
    return s


@clip("4/4", "quarter")
def y09():
    s = band("y09_rnb88", "slow R&B band: kick 1 and the and of 3, snare 2/4, 16th hats, bass, electric piano", 88, 22,
             [(DRUM_CH, 0, "drums", 20), (0, 33, "bass", 10), (1, 4, "epiano", 30)])
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "x.........x.....", SNARE: "....X.......X...",
                                                          CHH: "x-x-x-x-x-x-x-x-"}, spb=4, human=4.0)
    bass_line(s, 0, [41, 43, 45, 43], [(0, 0), (2.5, 0), (3.5, 7)], dur=0.6)
    chords_at(s, 1, (0, 2), lambda bar: chord(60 + [5, 7, 9, 7][bar % 4], "maj7"), 1.8, 80)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    gx.base_args(ap, "analysis-styles")
    ap.add_argument("--soundfonts", default="", help="comma-separated soundfonts, each renders every clip "
                    "(default: gen_xval.py's)")
    args = ap.parse_args()
    if not args.soundfonts:
        args.soundfonts = ",".join(gx.pick_soundfonts(""))
    gx.derived_main(args)
    with open(args.gt) as f:  # say how this set was made
        gt = json.load(f)
    gt["meta"]["generator"] = "tests/xval/gen_styles.py (reuses gen_xval.py and %s)" % os.path.join(
        args.bench, "gen.py")
    gt["meta"]["soundfont_assignment"] = "every clip with every soundfont; the clip name ends in it"
    with open(args.gt, "w") as f:
        json.dump(gt, f, indent=1)


if __name__ == "__main__":
    main()

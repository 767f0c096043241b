#!/usr/bin/env python3
"""Validation set for the tempo estimator: material unlike the development set.

The development set (../shared/analysis-bench, gen.py) is 4/4 only and rendered
with FluidR3_GM only.  This generator reuses gen.py's machinery (SMF writer,
Song model, drum patterns, chords, strums, calibration, noise) and writes 35
clips in other meters (3/4, 6/8, 12/8, 7/8, 5/4, 2/4), other 4/4 material and
tempi, pads and legato instruments the development set does not use, and
tempo steps (3:2 up and down, a waltz, no drums), rendered with other General
MIDI soundfonts (TimGM6mb, MuseScore General Lite; alternating clip by clip),
plus noisy copies at 10 and 15 dB SNR.

Standard library + fluidsynth + sox, like gen.py.  Usage:
    tests/xval/gen_xval.py                   # -> build/analysis-xval/{data/wav,ground_truth.json}
    tests/xval/gen_xval.py --list            # clip table, no rendering
    tests/xval/gen_xval.py --bench DIR --out DIR --gt FILE --jobs N --only w01,c02

Tempo ground truth (`bpm`): the beat a musician counts -- the quarter note in
2/4, 3/4, 4/4 and 5/4, the dotted quarter in 6/8 and 12/8.  For 7/8 (2+2+3)
`bpm` is the quarter-note tempo of the written eighths (eighth-note BPM / 2).
`alt_bpm` lists other defensible counts (e.g. the eighth-note pulse of 6/8, one
per bar in a fast waltz, the mean beat of 2+2+3); it is informational: score.py
ignores it (its Acc2 uses x2, x1/2, x3, x1/3 of `bpm`).  `beats` are the
counted beats (for 7/8 the three uneven 2+2+3 beats), `downbeats` the bar lines.

Onset ground truth is exact as in gen.py (4 ms note-on grid + measured render
latency), measured here separately for each soundfont.  The records have the
fields of the development ground_truth.json, so score.py scores this set as is.
"""
import argparse
import concurrent.futures as cf
import json
import os
import shutil
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def _bench_dir(argv):
    for i, a in enumerate(argv):
        if a == "--bench" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--bench="):
            return a.split("=", 1)[1]
    return os.path.join(REPO, "..", "shared", "analysis-bench")


BENCH = os.path.abspath(_bench_dir(sys.argv[1:]))
sys.path.insert(0, BENCH)
try:
    import gen                                   # noqa: E402  (the development generator)
    from gen import (Song, drum_pattern, chord, strum, bars_for, legato_chords, mk_drums_rock,  # noqa: E402
                     part_bass_pop, GUITAR, DRUM_CH, KICK, SNARE, CHH, PHH, CRASH, RIDE, SHAKER)
except ImportError as e:
    raise SystemExit("gen_xval.py: cannot import gen.py from %s (--bench DIR): %s" % (BENCH, e))

SR = gen.SR
FLUIDR3 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
# Other GM soundfonts, in order of preference (Debian: timgm6mb-soundfont,
# musescore-general-soundfont-small / musescore-general-soundfont).
SOUNDFONT_CANDIDATES = [
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
    "/usr/share/sounds/sf3/MuseScore_General.sf3",
]
# extra GM percussion (gen.py defines the kit basics)
LOW_FLOOR_TOM, HI_FLOOR_TOM, HI_TIMBALE, HI_AGOGO, LO_AGOGO, MARACAS = 41, 43, 65, 67, 68, 70

CLIPS = []


def clip(meter, beat_unit, alt=(), beat_pos=None, bpm=None):
    """Register a clip builder.  meter/beat_unit describe the count; alt = other
    defensible BPM levels; beat_pos (positions in the Song's beat unit) and bpm
    override the Song's own beats/tempo (only 7/8, where the Song runs in eighths)."""
    def deco(fn):
        fn.xv = {"meter": meter, "beat_unit": beat_unit, "alt_bpm": [round(a, 3) for a in alt],
                 "beat_pos": beat_pos, "bpm": bpm}
        CLIPS.append(fn)
        return fn
    return deco


# ---------------------------------------------------------------- 3/4
@clip("3/4", "quarter")
def w01():
    bpm = 90
    s = Song("w01_waltz_drums90", "waltz", "waltz kit: kick on 1, snare on 2 and 3, 8th hats, crash every 4 bars",
             [(bpm, bars_for(bpm, 20, 3), 3)])
    s.inst(DRUM_CH, 0, "drums", reverb=35)

    def pat(bar):
        p = {KICK: "x.....", SNARE: "..x.o.", CHH: "x-o-o-"}
        if bar % 4 == 0:
            p[CRASH] = "x....."
        if bar % 4 == 3:
            p[KICK] = "x...x."
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=2, human=5.0)
    return s


@clip("3/4", "quarter", alt=(160 / 3.0,))
def w02():
    bpm = 160
    s = Song("w02_waltz_drums160", "waltz", "fast waltz kit: kick on 1, soft snare on 2 and 3, quarter hats",
             [(bpm, bars_for(bpm, 18, 3), 3)])
    s.inst(DRUM_CH, 0, "drums", reverb=40)

    def pat(bar):
        p = {KICK: "x.....", SNARE: "..o.o.", CHH: "x.o.o."}
        if bar % 8 == 0:
            p[CRASH] = "x....."
        if bar % 8 == 7:
            p[SNARE] = "..o.ox"
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=2, human=4.0)
    return s


@clip("3/4", "quarter")
def w03():
    bpm = 72
    s = Song("w03_piano_waltz72", "waltz", "piano (GM0) waltz: LH bass on 1, chords on 2 and 3, RH melody",
             [(bpm, bars_for(bpm, 20, 3), 3)])
    s.inst(0, 0, "piano", reverb=40)
    prog = [(36, chord(64, "maj", 1)), (43, chord(59, "7", 1)), (43, chord(59, "7", 1)), (36, chord(64, "maj", 1)),
            (41, chord(60, "maj", 2)), (36, chord(64, "maj", 1)), (43, chord(59, "7", 1)), (36, chord(60, "maj"))]
    mel = [(76, 2, 1), (79, 1, 1), (77, 3, 0), (74, 3, 0), (74, 2, 1), (77, 1, 1), (76, 3, 0), (72, 2, 1),
           (76, 1, 1), (81, 2, 1), (79, 1, 1), (76, 3, 0), (74, 2, 1), (71, 1, 1), (72, 3, 0)]
    for bar in range(s.nbars):
        bass, ch = prog[bar % len(prog)]
        s.note(s.t(bar, 0), 0.95 * s.beat_dur(bar), 0, bass, s.vel(82), 6.0)
        for b in (1, 2):
            for p in ch:
                s.note(s.t(bar, b), 0.7 * s.beat_dur(bar), 0, p, s.vel(58), 6.0)
    bp = 0.0
    i = 0
    while bp < s.nbars * 3 - 0.5:
        p, d, _ = mel[i % len(mel)]
        bar, pos = int(bp // 3), bp % 3
        s.note(s.t(bar, pos), 0.95 * d * s.beat_dur(bar), 0, p, s.vel(78), 6.0)
        bp += d
        i += 1
    return s


@clip("3/4", "quarter", alt=(140 / 3.0,))
def w04():
    bpm = 140
    s = Song("w04_jazz_waltz140", "waltz", "jazz waltz: swung ride (1, 2, 2-a, 3), hat on 2, upright bass, piano comping",
             [(bpm, bars_for(bpm, 20, 3), 3)])
    s.inst(DRUM_CH, 0, "drums", reverb=45)
    s.inst(0, 32, "bass", reverb=30)
    s.inst(1, 0, "piano", reverb=40)
    rng = s.rng

    def pat(bar):
        comp = ["."] * 9
        comp[rng.choice([2, 5, 8, 4])] = rng.choice("go")
        return {RIDE: "x..x.xx..", PHH: "...x.....", KICK: "g........", SNARE: "".join(comp)}
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=3, human=6.0)
    changes = [(38, "m7"), (43, "7"), (36, "maj7"), (45, "7")]
    for bar in range(s.nbars):
        r, kind = changes[bar % 4]
        nxt = changes[(bar + 1) % 4][0]
        for i, p in enumerate([r, r + 7, nxt + rng.choice([-1, 1])]):
            s.note(s.t(bar, i), 0.9 * s.beat_dur(bar), 0, p, s.vel(88), 6.0)
        voic = [n + 24 for n in chord(r, kind)][1:]
        for pos in rng.sample([0, 1 + 2 / 3.0, 2, 1, 2 + 2 / 3.0], 2):
            for p in voic:
                s.note(s.t(bar, pos), 0.35 * s.beat_dur(bar), 1, p, s.vel(66), 6.0)
    return s


# ---------------------------------------------------------------- 6/8, 12/8 (Song beat = dotted quarter)
@clip("6/8", "dotted quarter", alt=(54 * 3,))
def c01():
    bpm = 54
    s = Song("c01_68_ballad54", "compound", "6/8 ballad: kick on 1, snare on the 4th eighth, 8th hats, "
             "piano broken chords in eighths", [(bpm, bars_for(bpm, 20, 2), 2)])
    s.inst(DRUM_CH, 0, "drums", reverb=50)
    s.inst(0, 0, "piano", reverb=45)

    def pat(bar):
        p = {KICK: "x.....", SNARE: "...X..", CHH: "x--x--"}
        if bar % 4 == 0:
            p[CRASH] = "x....."
        if bar % 2 == 1:
            p[KICK] = "x....o"
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=3, human=5.0)
    prog = [chord(48, "maj"), chord(45, "min"), chord(41, "maj"), chord(43, "maj")]
    for bar in range(s.nbars):
        ch = prog[bar % 4]
        seq = [ch[0], ch[2], ch[1] + 12, ch[2] + 12, ch[1] + 12, ch[2]]
        for i, p in enumerate(seq):
            s.note(s.t(bar, i / 3.0), 0.3 * s.beat_dur(bar), 0, p, s.vel(64 if i % 3 else 74), 5.0)
    return s


@clip("12/8", "dotted quarter", alt=(66 * 3,))
def c02():
    bpm = 66
    s = Song("c02_128_blues66", "compound", "12/8 slow blues: piano LH triplet boogie + RH triplet chords, "
             "clean guitar (GM27) backbeat chords", [(bpm, bars_for(bpm, 20, 4), 4)])
    s.inst(0, 0, "piano", reverb=35)
    s.inst(1, 27, "guitar", reverb=35)
    prog = [48, 53, 48, 48, 53, 53, 48, 43]         # C7 F7 C7 C7 F7 F7 C7 G7
    gtr = {48: [48, 52, 58, 60, 64], 53: [53, 57, 63, 65], 43: [43, 47, 53, 55, 59]}
    for bar in range(s.nbars):
        r = prog[bar % len(prog)]
        seven = chord(r + 12, "7")
        for beat in range(4):
            lh = [r - 12, r - 5, r - 3 if beat % 2 == 0 else r - 2]
            for k in range(3):
                s.note(s.t(bar, beat + k / 3.0), 0.3 * s.beat_dur(bar), 0, lh[k], s.vel(76 if k == 0 else 60), 5.0)
                if k > 0 or beat % 2 == 1:
                    for p in seven[1:]:
                        s.note(s.t(bar, beat + k / 3.0), 0.25 * s.beat_dur(bar), 0, p + 12,
                               s.vel(54 if k else 66), 5.0)
        for beat in (1, 3):
            strum(s, s.t(bar, beat), 1, gtr[r], s.vel(80), down=True, spread_ms=15, dur=0.5 * s.beat_dur(bar),
                  human=5.0)
    return s


@clip("6/8", "dotted quarter", alt=(70 * 3,))
def c03():
    bpm = 70
    s = Song("c03_68_fingerpick70", "compound", "6/8 steel acoustic (GM25) fingerpicked arpeggio, "
             "bass on 1 and 4", [(bpm, bars_for(bpm, 20, 2), 2)])
    s.inst(0, 25, "guitar", reverb=35)
    prog = ["Am", "F", "C", "G"]
    for bar in range(s.nbars):
        n = GUITAR[prog[bar % 4]]
        order = [n[0], n[-3], n[-2], n[1], n[-1], n[-2]]
        for i, p in enumerate(order):
            v = 84 if i == 0 else 72 if i == 3 else 58
            s.note(s.t(bar, i / 3.0), 1.2 * s.beat_dur(bar), 0, p, s.vel(v), 6.0)
    return s


# ---------------------------------------------------------------- 7/8 (Song beat = eighth), 5/4
@clip("7/8 (2+2+3)", "quarter of the written eighths", alt=(252, 252 * 3 / 7.0), beat_pos=(0, 2, 4), bpm=126)
def o01():
    e8 = 252
    s = Song("o01_78_drums126", "odd", "7/8 (2+2+3) kit, eighths at 252: kick on 1 and the 3-group, snare on "
             "2nd group and mid 3-group, accented 8th hats", [(e8, bars_for(e8, 20, 7), 7)])
    s.inst(DRUM_CH, 0, "drums", reverb=25)

    def pat(bar):
        p = {KICK: "x.......x.....", SNARE: "....X.....X...", CHH: "x.o.x.o.x.o.o."}
        if bar % 4 == 0:
            p[CRASH] = "x............."
        if bar % 4 == 3:
            p[SNARE] = "....X.....X.xx"
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=2, human=4.0)
    return s


@clip("5/4", "quarter")
def o02():
    bpm = 120
    s = Song("o02_54_drums120", "odd", "5/4 kit: kick on 1, 3, 4, snare on 2 and 5, 8th hats",
             [(bpm, bars_for(bpm, 20, 5), 5)])
    s.inst(DRUM_CH, 0, "drums", reverb=30)

    def pat(bar):
        p = {KICK: "x...x.x...", SNARE: "..X.....X.", CHH: "x-x-x-x-x-"}
        if bar % 4 == 0:
            p[CRASH] = "x........."
        if bar % 4 == 3:
            p[SNARE] = "..X.....XX"
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=2, human=4.0)
    return s


@clip("7/8 (2+2+3)", "quarter of the written eighths", alt=(210, 210 * 3 / 7.0), beat_pos=(0, 2, 4), bpm=105)
def o03():
    e8 = 210
    s = Song("o03_78_bass_keys105", "odd", "7/8 (2+2+3), eighths at 210: finger bass (GM33) on the group starts "
             "+ e.piano (GM4) chords, no drums", [(e8, bars_for(e8, 20, 7), 7)])
    s.inst(0, 33, "bass", reverb=15)
    s.inst(1, 4, "epiano", reverb=30, chorus=30)
    prog = [(38, chord(62, "m7")), (38, chord(62, "m7")), (43, chord(59, "7", 1)), (36, chord(60, "maj7"))]
    for bar in range(s.nbars):
        r, ch = prog[bar % 4]
        for pos, p, v, d in [(0, r, 100, 1.8), (2, r + 12, 84, 1.6), (4, r + 7, 92, 1.4), (6, r + 10, 70, 0.8)]:
            s.note(s.t(bar, pos), d * s.beat_dur(bar), 0, p, s.vel(v), 4.0)
        for pos, d, v in [(0, 1.6, 78), (2, 1.6, 66), (4, 2.6, 72)]:
            for p in ch:
                s.note(s.t(bar, pos), d * s.beat_dur(bar), 1, p, s.vel(v), 4.0)
    return s


@clip("5/4", "quarter")
def o04():
    bpm = 168
    s = Song("o04_54_bass_keys168", "odd", "5/4 (3+2) vamp: upright bass quarters, piano chords on 1, 2-a, 4, 5 "
             "(triplet swing), no drums", [(bpm, bars_for(bpm, 20, 5), 5)])
    s.inst(0, 32, "bass", reverb=25)
    s.inst(1, 0, "piano", reverb=35)
    prog = [(39, [54, 58, 61, 63]), (34, [53, 56, 61, 65])]     # Ebm(add), Bbm7
    for bar in range(s.nbars):
        r, ch = prog[bar % 2]
        for i, p in enumerate([r, r + 7, r + 12, r + 7, r + 10]):
            s.note(s.t(bar, i), 0.9 * s.beat_dur(bar), 0, p, s.vel(92 if i in (0, 3) else 78), 5.0)
        for pos, d in [(0, 0.6), (1 + 2 / 3.0, 1.0), (3, 0.6), (4, 0.6)]:
            for p in ch:
                s.note(s.t(bar, pos), d * s.beat_dur(bar), 1, p, s.vel(70), 5.0)
    return s


# ---------------------------------------------------------------- 4/4 (and 2/4) unlike the development set
@clip("4/4", "quarter", alt=(144,))
def h01():
    bpm = 72
    s = Song("h01_hiphop72_16hats", "4-4-other", "slow hip-hop kit, straight 16th hats, synth bass (GM38) on the kicks",
             [(bpm, bars_for(bpm, 20), 4)])
    s.inst(DRUM_CH, 0, "drums", reverb=20)
    s.inst(0, 38, "synthbass", reverb=10)
    kick = ["x......x..x.....", "x.x....x..x..x.."]
    drum_pattern(s, DRUM_CH, range(s.nbars),
                 lambda bar: {KICK: kick[bar % 2], SNARE: "....X.......X...", CHH: "x-o-x-o-x-o-x-o-"}, human=4.0)
    roots = [41, 41, 44, 39]
    for bar in range(s.nbars):
        for i, c in enumerate(kick[bar % 2]):
            if c == "x":
                s.note(s.t(bar, i * 0.25), 0.4 * s.beat_dur(bar), 0, roots[bar % 4], s.vel(96), 4.0)
    return s


@clip("4/4", "quarter", alt=(100,))
def h02():
    bpm = 200
    s = Song("h02_punk200", "4-4-other", "fast punk: kick 1/3, snare 2/4, 8th hats, overdriven power chords and "
             "picked bass in down-picked 8ths", [(bpm, bars_for(bpm, 16), 4)])
    s.inst(DRUM_CH, 0, "drums", reverb=20)
    s.inst(0, 34, "bass", reverb=10)
    s.inst(1, 29, "guitar", reverb=20)

    def pat(bar):
        p = {KICK: "x...x...", SNARE: "..X...X.", CHH: "xxxxxxxx"}
        if bar % 4 == 0:
            p[CRASH] = "x......."
            p[CHH] = ".xxxxxxx"
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=2, human=3.0)
    prog = [("E5", 40), ("C5", 36), ("G5", 43), ("D5", 38)]
    for bar in range(s.nbars):
        name, r = prog[bar % 4]
        for i in range(8):
            s.note(s.t(bar, i * 0.5), 0.45 * s.beat_dur(bar), 0, r, s.vel(100), 3.0)
            strum(s, s.t(bar, i * 0.5), 1, GUITAR[name], s.vel(104 if i % 2 == 0 else 92), down=True,
                  spread_ms=6, dur=0.45 * s.beat_dur(bar), human=3.0)
    return s


@clip("2/4", "quarter", alt=(200,))
def h03():
    bpm = 100
    s = Song("h03_samba100", "4-4-other", "batucada-like 2/4: surdos (low on 2, high on 1), caixa 16ths, "
             "tamborim, agogo, ganza (maracas) 16ths", [(bpm, bars_for(bpm, 20, 2), 2)])
    s.inst(DRUM_CH, 0, "drums", reverb=30)
    tamb = ["x.xx.xx.", "x.xx.x.x"]

    def pat(bar):
        p = {LOW_FLOOR_TOM: "....X...", HI_FLOOR_TOM: "x.......", SNARE: "xgxgxgXg",
             HI_TIMBALE: tamb[bar % 2], HI_AGOGO: "x.x...x." if bar % 2 == 0 else "..x.x...",
             LO_AGOGO: "...x...." if bar % 2 == 0 else "x.....x.", MARACAS: "-x-x-x-x"}
        if bar % 4 == 3:
            p[LOW_FLOOR_TOM] = "....X.x."
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=4, human=5.0)
    return s


@clip("4/4", "quarter")
def h04():
    bpm = 132
    s = Song("h04_marimba132", "4-4-other", "marimba (GM12) ostinato: RH 8ths cycling 3 notes (hemiola), "
             "LH on 1 and 3", [(bpm, bars_for(bpm, 20), 4)])
    s.inst(0, 12, "marimba", reverb=30)
    cyc = [[76, 71, 67], [76, 72, 69], [74, 71, 67], [74, 69, 66]]
    lh = [52, 57, 55, 50]
    k = 0
    for bar in range(s.nbars):
        for i in range(8):
            c = cyc[bar % 4]
            s.note(s.t(bar, i * 0.5), 0.3, 0, c[k % 3], s.vel(84 if i % 2 == 0 else 68), 4.0)
            k += 1
        for b in (0, 2):
            s.note(s.t(bar, b), 0.5, 0, lh[bar % 4] - (0 if b == 0 else 5), s.vel(88), 4.0)
    return s


@clip("4/4", "quarter")
def h05():
    bpm = 116
    s = Song("h05_brass_stabs116", "4-4-other", "brass section (GM61) syncopated stabs over finger bass quarters",
             [(bpm, bars_for(bpm, 20), 4)])
    s.inst(0, 61, "brass", reverb=35)
    s.inst(1, 33, "bass", reverb=15)
    stabs = [[(0, 0.3), (1.5, 0.3), (2.5, 0.2), (3, 0.6)], [(0.5, 0.2), (1, 0.3), (2, 0.3), (3.5, 0.4)]]
    prog = [(chord(60, "7"), 36), (chord(65, "7", 1), 41), (chord(60, "7"), 36), (chord(67, "7", 2), 43)]
    for bar in range(s.nbars):
        ch, r = prog[bar % 4]
        for pos, d in stabs[bar % 2]:
            for p in ch:
                s.note(s.t(bar, pos), d * s.beat_dur(bar), 0, p, s.vel(100), 4.0)
        for i, p in enumerate([r, r + 7, r + 12, r + 10]):
            s.note(s.t(bar, i), 0.8 * s.beat_dur(bar), 1, p, s.vel(86), 4.0)
    return s


@clip("4/4", "quarter", alt=(116,))
def h06():
    bpm = 58
    s = Song("h06_harp58", "4-4-other", "harp (GM46) 16th arpeggios up and down, bass note on 1",
             [(bpm, bars_for(bpm, 22), 4)])
    s.inst(0, 46, "harp", reverb=55)
    prog = [chord(48, "maj7"), chord(45, "m7"), chord(41, "maj7"), chord(43, "7")]
    for bar in range(s.nbars):
        ch = prog[bar % 4]
        up = [ch[0] + 12, ch[1] + 12, ch[2] + 12, ch[3] + 12, ch[0] + 24, ch[1] + 24, ch[2] + 24, ch[3] + 24]
        seq = up + up[::-1]
        for i in range(16):
            s.note(s.t(bar, i * 0.25), 0.8, 0, seq[i], s.vel(74 if i % 4 == 0 else 60), 6.0)
        s.note(s.t(bar, 0), 2.0, 0, ch[0] - 12, s.vel(80), 6.0)
    return s


@clip("4/4", "quarter")
def h07():
    bpm = 84
    s = Song("h07_choir_strings_pulse84", "4-4-other", "choir (GM52) + strings (GM48) legato pad, soft pulse: "
             "quiet kick on 1 and 3, soft shaker 8ths", [(bpm, bars_for(bpm, 20), 4)])
    s.inst(DRUM_CH, 0, "drums", reverb=50)
    s.inst(0, 52, "choir", reverb=70)
    s.inst(1, 48, "strings", reverb=65)
    drum_pattern(s, DRUM_CH, range(s.nbars), lambda bar: {KICK: "o.......o.......", SHAKER: "g-g-g-g-g-g-g-g-"},
                 human=5.0, vel_scale=0.6)
    legato_chords(s, 0, [[60, 64, 67], [59, 62, 67], [57, 60, 64], [57, 60, 65]], 4, 70)
    legato_chords(s, 1, [[48, 55, 64, 72], [43, 55, 62, 71], [45, 57, 64, 69], [41, 53, 60, 69]], 4, 64)
    return s


@clip("4/4", "quarter")
def h08():
    bpm = 96
    s = Song("h08_pizzicato96", "4-4-other", "string quartet-like pizzicato (GM45): cello on 1 and 3, viola on "
             "2 and 4, 2nd violin off-beat 8ths, 1st violin melody", [(bpm, bars_for(bpm, 20), 4)])
    for ch, name in enumerate(["cello", "viola", "violin2", "violin1"]):
        s.inst(ch, 45, name, reverb=45)
    prog = [(36, chord(64, "maj", 1)), (33, chord(60, "min", 1)), (41, chord(60, "maj", 2)), (43, chord(62, "maj", 1))]
    mel = [(79, 1), (76, 0.5), (77, 0.5), (79, 1), (72, 1), (81, 1), (79, 0.5), (77, 0.5), (76, 2),
           (77, 1), (74, 1), (76, 0.5), (74, 0.5), (72, 1), (71, 1), (74, 1), (79, 2)]
    for bar in range(s.nbars):
        r, ch = prog[bar % 4]
        for b in (0, 2):
            s.note(s.t(bar, b), 0.4, 0, r if b == 0 else r + 7, s.vel(92), 6.0)
        for b in (1, 3):
            s.note(s.t(bar, b), 0.4, 1, ch[0], s.vel(74), 6.0)
        for b in (0.5, 1.5, 2.5, 3.5):
            s.note(s.t(bar, b), 0.3, 2, ch[1 + int(b) % 2], s.vel(62), 6.0)
    bp, i = 0.0, 0
    while bp < s.nbars * 4 - 0.5:
        p, d = mel[i % len(mel)]
        s.note(s.t(int(bp // 4), bp % 4), 0.4, 3, p, s.vel(84), 6.0)
        bp += d
        i += 1
    return s


@clip("4/4", "quarter")
def h09():
    bpm = 150
    s = Song("h09_band150", "4-4-other", "full band: rock kit, finger bass 8ths, piano quarter chords, "
             "steel guitar strums, brass (GM61) hits every 2 bars", [(bpm, bars_for(bpm, 20), 4)])
    s.inst(DRUM_CH, 0, "drums", reverb=25)
    s.inst(0, 33, "bass", reverb=15)
    s.inst(1, 0, "piano", reverb=35)
    s.inst(2, 25, "guitar", reverb=30)
    s.inst(3, 61, "brass", reverb=35)
    mk_drums_rock(s, DRUM_CH, range(s.nbars))
    part_bass_pop(s, 0, range(s.nbars), [43, 38, 40, 36])
    pch = [chord(55, "maj"), chord(57, "maj", 1), chord(52, "min", 2), chord(60, "maj")]
    gch = ["G", "D", "Em", "C"]
    for bar in range(s.nbars):
        for b in range(4):
            for p in pch[bar % 4]:
                s.note(s.t(bar, b), 0.4 * s.beat_dur(bar), 1, p, s.vel(64), 4.0)
        for pos, down in [(0, True), (1, True), (1.5, False), (2, True), (3, True), (3.5, False)]:
            strum(s, s.t(bar, pos), 2, GUITAR[gch[bar % 4]], s.vel(76 if down else 58), down=down,
                  spread_ms=16 if down else 10, dur=0.45 * s.beat_dur(bar), human=4.0)
        if bar % 2 == 1:
            for p in chord(67, "maj", 1):
                s.note(s.t(bar, 3.5), 0.3 * s.beat_dur(bar), 3, p, s.vel(96), 4.0)
    return s


# ---------------------------------------------------------------- grooves that test the backbeat convention
@clip("4/4", "quarter", alt=(70,))
def h10():
    bpm = 140
    s = Song("h10_halftime_rock140", "4-4-other", "half-time rock: kick on 1 and 4, snare on 3 only, "
             "8th hats (a musician counts 140 or feels 70)", [(bpm, bars_for(bpm, 16), 4)])
    s.inst(DRUM_CH, 0, "drums", reverb=25)

    def pat(bar):
        p = {KICK: "x.....x.", SNARE: "....X...", CHH: "xxxxxxxx"}
        if bar % 4 == 0:
            p[CRASH] = "x......."
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, spb=2, human=3.0)
    return s


@clip("4/4", "quarter")
def h11():
    bpm = 120
    s = Song("h11_motown120", "4-4-other", "Motown: snare on every beat, kick on 1 and 3, closed hats on "
             "the off-beat 8ths", [(bpm, bars_for(bpm, 16), 4)])
    s.inst(DRUM_CH, 0, "drums", reverb=30)
    drum_pattern(s, DRUM_CH, range(s.nbars),
                 lambda bar: {KICK: "x...x...", SNARE: "x.x.x.x.", CHH: "-x-x-x-x"}, spb=2, human=4.0)
    return s


# ---------------------------------------------------------------- pads and legato
@clip("4/4", "quarter")
def p05():
    bpm = 66
    s = Song("p05_choir_legato66", "pads", "choir aahs (GM52) voice-led legato chords every 2 beats",
             [(bpm, bars_for(bpm, 22), 4)])
    s.inst(0, 52, "choir", reverb=70)
    prog = [[55, 60, 64, 72], [55, 59, 62, 74], [57, 60, 64, 72], [53, 57, 65, 72],
            [52, 55, 64, 71], [53, 57, 62, 69], [55, 59, 62, 67], [55, 60, 64, 67]]
    legato_chords(s, 0, prog, 2, 78)
    return s


@clip("3/4", "quarter")
def p06():
    bpm = 84
    s = Song("p06_synthstrings_waltz84", "pads", "synth strings (GM50) in 3/4: a voice-led chord per bar",
             [(bpm, bars_for(bpm, 22, 3), 3)])
    s.inst(0, 50, "synth strings", reverb=60)
    prog = [[45, 57, 60, 64], [43, 55, 59, 62], [41, 57, 60, 65], [40, 56, 59, 64]]
    legato_chords(s, 0, prog, 3, 80)
    return s


@clip("4/4", "quarter")
def p07():
    bpm = 100
    s = Song("p07_polysynth_pad100", "pads", "polysynth pad (GM90) chord per bar + halo pad (GM94) in half notes",
             [(bpm, bars_for(bpm, 20), 4)])
    s.inst(0, 90, "pad", reverb=65, chorus=40)
    s.inst(1, 94, "halo", reverb=70)
    legato_chords(s, 0, [[50, 57, 62, 65], [46, 53, 62, 65], [48, 55, 60, 64], [45, 52, 60, 64]], 4, 82)
    legato_chords(s, 1, [[69, 74], [69, 72], [70, 74], [69, 74], [67, 72], [67, 76], [69, 73], [64, 73]], 2, 72)
    return s


@clip("4/4", "quarter")
def p08():
    bpm = 84
    s = Song("p08_cello_legato84", "pads", "solo cello (GM42) legato melody, overlapping notes",
             [(bpm, bars_for(bpm, 20), 4)])
    s.inst(0, 42, "cello", reverb=55)
    mel = [(48, 1), (52, 0.5), (55, 0.5), (57, 1.5), (55, 0.5), (53, 1), (52, 1), (50, 2), (47, 1),
           (48, 1), (50, 0.5), (52, 0.5), (53, 1), (55, 2), (57, 1), (55, 1), (53, 1), (52, 1)]
    i = 0
    bp = 0.0
    while bp < s.nbars * 4 - 0.5:
        p, d = mel[i % len(mel)]
        bar, pos = int(bp // 4), bp % 4
        s.note(s.t(bar, pos), d * s.beat_dur(bar) + 0.06, 0, p, s.vel(82, 5), 0.0)
        bp += d
        i += 1
    return s


# ---------------------------------------------------------------- tempo steps (settle time)
# The development set steps by 4:3 and 1.28, both drums-led.  These step by
# 3:2 (a ratio the estimator also meets as a change of metrical level), in 3/4,
# without drums, and by a small 1.15.
# The step clips' grooves, each filling a whole Song (also gen_steps.py's).
def groove_sync(s):
    """rock kit with a 16th-based syncopated kick (1, the "and" of 2, the "and" of 3)"""
    s.inst(DRUM_CH, 0, "drums", reverb=25)

    def pat(bar):
        p = {KICK: "x.....x...x.....", SNARE: "....X.......X...", CHH: "x.x.x.x.x.x.x.x."}
        if bar % 4 == 0:
            p[CRASH] = "x..............."
        return p
    drum_pattern(s, DRUM_CH, range(s.nbars), pat, human=4.0)
    return s


def groove_band(s):
    """drums + finger bass + piano quarter chords"""
    s.inst(DRUM_CH, 0, "drums", reverb=25)
    s.inst(0, 33, "bass", reverb=15)
    s.inst(1, 0, "piano", reverb=35)
    mk_drums_rock(s, DRUM_CH, range(s.nbars))
    part_bass_pop(s, 0, range(s.nbars), [45, 41, 36, 43])
    pch = [chord(57, "min"), chord(53, "maj", 1), chord(48, "maj", 2), chord(55, "maj", 1)]
    for bar in range(s.nbars):
        for b in (0, 1, 2, 3):
            for p in pch[bar % 4]:
                s.note(s.t(bar, b), 0.5 * s.beat_dur(bar), 1, p, s.vel(66), 4.0)
    return s


def groove_keys(s):
    """no drums: piano quarter chords + picked bass eighths"""
    s.inst(0, 0, "piano", reverb=35)
    s.inst(1, 34, "bass", reverb=15)
    prog = [(43, chord(59, "maj", 1)), (40, chord(55, "min", 1)), (36, chord(60, "maj")), (38, chord(57, "maj", 1))]
    for bar in range(s.nbars):
        r, ch = prog[bar % 4]
        for b in range(4):
            for p in ch:
                s.note(s.t(bar, b), 0.6 * s.beat_dur(bar), 0, p, s.vel(84 if b % 2 == 0 else 72), 4.0)
        for i in range(8):
            s.note(s.t(bar, i * 0.5), 0.4 * s.beat_dur(bar), 1, r + (12 if i == 5 else 0), s.vel(90 if i % 2 == 0 else 76), 4.0)
    return s


@clip("4/4", "quarter")
def s01():
    return groove_sync(Song("s01_drums_step100to150", "step",
                            "rock kit (16th-based groove), tempo step 100 -> 150 BPM (3:2 up)",
                            [(100, 6, 4), (150, 10, 4)]))


@clip("4/4", "quarter")
def s02():
    return groove_band(Song("s02_band_step132to88", "step",
                            "drums + finger bass + piano, tempo step 132 -> 88 BPM (3:2 down)",
                            [(132, 8, 4), (88, 6, 4)]))


@clip("3/4", "quarter")
def s03():
    s = Song("s03_waltz_step96to128", "step", "waltz kit (kick on 1, snare on 2 and 3, 8th hats), "
             "tempo step 96 -> 128 BPM (4:3 up)", [(96, 8, 3), (128, 10, 3)])
    s.inst(DRUM_CH, 0, "drums", reverb=35)
    drum_pattern(s, DRUM_CH, range(s.nbars),
                 lambda bar: {KICK: "x.....", SNARE: "..x.x.", CHH: "x-o-o-"}, spb=2, human=5.0)
    return s


@clip("4/4", "quarter")
def s04():
    return groove_keys(Song("s04_keys_bass_step110to96", "step", "no drums: piano (GM0) quarter chords + picked bass "
                            "(GM34) 8ths, tempo step 110 -> 96 BPM (1.15 down)", [(110, 7, 4), (96, 7, 4)]))


# ---------------------------------------------------------------- noisy copies (source, colour, SNR dB)
NOISY = [
    ("n01_waltz_drums90_pink10", "w01_waltz_drums90", "pinknoise", 10.0),
    ("n02_68_fingerpick70_white15", "c03_68_fingerpick70", "whitenoise", 15.0),
    ("n03_54_bass_keys168_pink15", "o04_54_bass_keys168", "pinknoise", 15.0),
    ("n04_band150_white10", "h09_band150", "whitenoise", 10.0),
    ("n05_choir_legato66_pink15", "p05_choir_legato66", "pinknoise", 15.0),
]


# ---------------------------------------------------------------- rendering with a chosen soundfont
def render(mid, wav_out, tmpdir, duration, sf):
    """gen.render with the soundfont as a parameter (gen.render uses gen.SF2)."""
    stereo = os.path.join(tmpdir, os.path.basename(wav_out) + ".st.wav")
    gen.run(["fluidsynth"] + gen.FLUID_FLAGS + ["-R", "1", "-C", "1", "-O", "float", "-T", "wav", "-F", stereo,
                                                sf, mid])
    gen.run(["sox", "-R", "-D", stereo, "-b", "24", "-e", "signed-integer", wav_out,
             "channels", "1", "trim", "0", "%.6f" % duration, "pad", "0", "0.001",
             "trim", "0", "%.6f" % duration, "gain", "-n", "-3"])
    os.unlink(stereo)


def calibrate(sf, tmpdir):
    """gen.calibrate for one soundfont (it reads gen.SF2; called sequentially)."""
    d = os.path.join(tmpdir, "calib_" + os.path.basename(sf))
    os.makedirs(d, exist_ok=True)
    old = gen.SF2
    gen.SF2 = sf
    try:
        return gen.calibrate(d)
    finally:
        gen.SF2 = old


def pick_soundfonts(spec):
    if spec:
        fonts = [p for p in spec.split(",") if p]
        for p in fonts:
            if not os.path.exists(p):
                raise SystemExit("no such soundfont: " + p)
    else:
        fonts, seen = [], set()
        for p in SOUNDFONT_CANDIDATES:
            if os.path.exists(p) and os.path.realpath(p) not in seen:
                seen.add(os.path.realpath(p))
                fonts.append(p)
    return [os.path.realpath(p) for p in fonts]


def build_songs(fonts):
    """-> list of (Song, xv-info, soundfont path); fonts alternate clip by clip."""
    out = []
    for i, fn in enumerate(CLIPS):
        s = fn()
        out.append((s, fn.xv, fonts[i % len(fonts)]))
    return out


def record(s, xv, sf, lat_s):
    gt = s.ground_truth(lat_s)
    downbeats = [round(t0 + lat_s, 6) for t0, _, _ in s.bar_starts]
    if xv["beat_pos"] is not None:                    # 7/8: Song runs in eighths
        gt["beats"] = [round(s.t(bar, p) + lat_s, 6) for bar in range(s.nbars) for p in xv["beat_pos"]]
        gt["bpm"] = float(xv["bpm"])
        gt["tempo_segments"] = [[round(gen.LEAD_IN, 6), round(s.end_music, 6), float(xv["bpm"])]]
    elif xv["bpm"] is not None and abs(xv["bpm"] - gt["bpm"]) > 1e-9:
        raise SystemExit("%s: bpm mismatch" % s.name)
    rec = dict(name=s.name, category=s.category, desc=s.desc, duration=round(s.duration, 6), tempo_change=len(gt["tempo_segments"]) > 1,
               parts=sorted(set(s.part_names.values())), wav="wav/%s.wav" % s.name,
               meter=xv["meter"], beat_unit=xv["beat_unit"], alt_bpm=xv["alt_bpm"],
               soundfont=os.path.basename(sf), downbeats=downbeats, **gt)
    return rec


def base_args(ap, name):
    """The options of this generator and of those built on it (gen_steps.py,
    gen_tempi.py, which pass them through to main()): --bench, --out
    (build/NAME/data), --gt (build/NAME/ground_truth.json), --jobs."""
    ap.add_argument("--bench", default=BENCH, help="development benchmark dir with gen.py (default: %(default)s)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", name, "data"),
                    help="audio output dir (default: %(default)s)")
    ap.add_argument("--gt", default=os.path.join(REPO, "build", name, "ground_truth.json"),
                    help="ground-truth JSON path (default: %(default)s)")
    ap.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))


def derived_main(args):
    """main() on the clips a derived generator registered, with its base_args()
    and args.soundfonts."""
    sys.argv = [sys.argv[0], "--bench", args.bench, "--out", args.out, "--gt", args.gt, "--jobs", str(args.jobs),
                "--soundfonts", args.soundfonts]
    main()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    base_args(ap, "analysis-xval")
    ap.add_argument("--only", default="", help="comma-separated clip-name prefixes (noisy copies pull their source)")
    ap.add_argument("--soundfonts", default="", help="comma-separated soundfont paths to alternate "
                    "(default: the installed ones of %s)" % ", ".join(SOUNDFONT_CANDIDATES))
    ap.add_argument("--list", action="store_true", help="print the clip table and exit (no rendering)")
    args = ap.parse_args()

    fonts = pick_soundfonts(args.soundfonts)
    if args.list:
        fonts = fonts or ["(none)"]
        songs = build_songs(fonts)
        by = {}
        for s, xv, sf in songs:
            by[s.name] = (xv, sf)
            print("%-32s %-10s %-12s bpm %-6g alt %-18s %-26s %5.1f s" % (
                s.name, s.category, xv["meter"], xv["bpm"] or s.sections[0][0], xv["alt_bpm"],
                os.path.basename(sf), s.duration))
        for name, src, colour, snr in NOISY:
            xv, sf = by[src]
            print("%-32s %-10s %-12s %s + %s %g dB" % (name, "noisy", xv["meter"], src, colour, snr))
        return
    for tool in ("fluidsynth", "sox", "soxi"):
        if not shutil.which(tool):
            raise SystemExit("missing tool: %s (apt-get install fluidsynth sox)" % tool)
    if not fonts:
        raise SystemExit("no soundfont other than FluidR3 found; install one: "
                         "apt-get install timgm6mb-soundfont musescore-general-soundfont-small")

    t_start = time.time()
    wavdir = os.path.join(args.out, "wav")
    tmpdir = os.path.join(args.out, "tmp")
    middir = os.path.join(args.out, "midi")
    for d in (wavdir, tmpdir, middir, os.path.dirname(os.path.abspath(args.gt))):
        os.makedirs(d, exist_ok=True)

    cal = {}
    usable = []
    for sf in fonts:
        try:
            latency, attack = calibrate(sf, tmpdir)
        except (RuntimeError, SystemExit) as e:
            print("soundfont %s skipped: %s" % (sf, str(e).splitlines()[0]))
            continue
        cal[sf] = (latency, attack)
        usable.append(sf)
        print("calibration: %s render latency = %d samples (%.3f ms), identical for all 12 clicks"
              % (os.path.basename(sf), latency, 1000.0 * latency / SR))
    if not usable:
        raise SystemExit("no usable soundfont")

    songs = build_songs(usable)
    only = [o for o in args.only.split(",") if o]

    def wanted(name):
        return not only or any(name.startswith(o) for o in only)

    jobs = []
    for s, xv, sf in songs:
        mid = os.path.join(middir, s.name + ".mid")
        s.write_midi(mid)
        if wanted(s.name) or any(wanted(n) and src == s.name for n, src, _, _ in NOISY):
            jobs.append((s, mid, sf))

    def do(job):
        s, mid, sf = job
        render(mid, os.path.join(wavdir, s.name + ".wav"), tmpdir, s.duration, sf)
        return s.name, os.path.basename(sf)

    with cf.ThreadPoolExecutor(args.jobs) as ex:
        for name, sfn in ex.map(do, jobs):
            print("rendered %-32s (%s)" % (name, sfn))

    clips = []
    for s, xv, sf in songs:
        clips.append(record(s, xv, sf, cal[sf][0] / float(SR)))
    by = {c["name"]: c for c in clips}
    noisy_jobs = []
    for name, src, colour, snr in NOISY:
        c = dict(by[src])
        c.update(name=name, category="noisy", source_clip=src, source_category=by[src]["category"],
                 desc="%s + %s at %g dB SNR" % (src, colour, snr), wav="wav/%s.wav" % name,
                 noise={"colour": colour, "snr_db": snr})
        clips.append(c)
        if wanted(name):
            noisy_jobs.append((name, src, colour, snr))

    def do_noise(j):
        name, src, colour, snr = j
        return name, gen.add_noise(os.path.join(wavdir, src + ".wav"), os.path.join(wavdir, name + ".wav"),
                                   colour, snr, tmpdir, zlib.crc32(name.encode()))

    with cf.ThreadPoolExecutor(args.jobs) as ex:
        for name, info in ex.map(do_noise, noisy_jobs):
            print("noisy    %-32s (noise scaled to SNR %.2f dB re. clip RMS)" % (name, info["snr_db"]))

    meta = {
        "generator": "tests/xval/gen_xval.py (reuses %s)" % os.path.join(args.bench, "gen.py"),
        "samplerate": SR, "format": "WAV mono 24-bit PCM, peak -3 dBFS",
        "soundfonts": {os.path.basename(sf): {"path": sf, "render_latency_samples": cal[sf][0],
                                              "render_latency_s": round(cal[sf][0] / float(SR), 9),
                                              "instrument_attack_ms": cal[sf][1]} for sf in usable},
        "soundfont_assignment": "clips alternate between the soundfonts in list order; noisy copies keep their "
                                "source's soundfont",
        "fluidsynth_flags": " ".join(gen.FLUID_FLAGS) + " -R 1 -C 1 -O float",
        "note_on_grid_ms": gen.GRID_MS, "onset_merge_window_s": gen.MERGE_S, "lead_in_s": gen.LEAD_IN,
        "onset_definition": "note-on time + render latency of the clip's soundfont (first non-silent output "
                            "sample); note-ons within 30 ms of a cluster's first note-on form one onset",
        "tempo_definition": "bpm = the beat a musician counts: quarter note in 2/4, 3/4, 4/4, 5/4; dotted quarter "
                            "in 6/8 and 12/8; in 7/8 (2+2+3) the quarter-note tempo of the written eighths "
                            "(eighth BPM / 2).  alt_bpm = other defensible counts (informational; score.py's Acc2 "
                            "uses x2, x1/2, x3, x1/3 of bpm).  beats = counted beats (7/8: the 2+2+3 beats); "
                            "downbeats = bar lines; tempo_segments = [start_s, end_s, bpm]",
    }
    with open(args.gt, "w") as f:
        f.write("{\n\"meta\": " + json.dumps(meta, indent=1, sort_keys=True) + ",\n\"clips\": [\n")
        f.write(",\n".join(json.dumps(c, sort_keys=True) for c in clips))
        f.write("\n]}\n")
    shutil.rmtree(tmpdir, ignore_errors=True)
    tot = sum(c["duration"] for c in clips)
    print("%d clips, %.1f s of audio, %d onsets -> %s ; ground truth -> %s ; %.1f s"
          % (len(clips), tot, sum(len(c["onsets"]) for c in clips), wavdir, args.gt, time.time() - t_start))


if __name__ == "__main__":
    main()

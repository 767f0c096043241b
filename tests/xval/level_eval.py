#!/usr/bin/env python3
"""level_eval.py - what the performer's `tempo LEVEL` makes of a wrong reading.

    tests/xval/level_eval.py [--at 8] [--ref OTHER_LOOPCTL] LOOPCTL SETDIR [SETDIR ...]

SETDIR is a rendered benchmark set (build/analysis-bench, analysis-xval,
analysis-tempi, analysis-tempi-xval: a ground_truth.json and data/wav/).
For every constant-tempo clip whose tempo track reads a wrong level at
--at seconds (not within 4 % of the written tempo), the level among half,
double, 2/3, 3/2, third and triple that puts that reading right is
pressed at that moment (`loopctl analyze --tempo --track --level
AT:LEVEL`).  Per clip and per kind of level (the octaves, the others) it
prints the share of the track from --at on that reads the written tempo
(within 4 %), and whether the median over the clip's second half does
(as the benchmarks' score.py scores Acc1): with no level, with the level,
and with the level in --ref (another build) beside it.  Clips that no
level puts right are listed as such.

Clips with a tempo step (build/analysis-steps, the steps of the dev and
validation sets) get `half` at --at seconds, before the step (`double`
where half of either tempo is below 40 BPM): after the step, the time
until the track is at that level of the new tempo for good (within 4 %)
and the share of the track from 4 s after the step on that is, beside
the same for the analysis's own reading of the new tempo with no level."""
import argparse
import json
import os
import statistics
import subprocess
from concurrent.futures import ThreadPoolExecutor

LEVELS = {"half": 0.5, "double": 2.0, "2/3": 2 / 3, "3/2": 1.5, "third": 1 / 3, "triple": 3.0}


def near(x, t):
    return abs(x - t) <= 0.04 * t


def track(binary, wav, level=None, at=0.0):
    cmd = [binary, "analyze", "--tempo", "--track", wav]
    if level:
        cmd += ["--level", "%g:%s" % (at, level)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    pts = []
    for line in out.split("\n"):
        w = line.split()
        if len(w) == 2:
            pts.append((float(w[0]), 0.0 if w[1] == "unknown" else float(w[1])))
    return pts


def score(pts, bpm, dur, at):
    after = [b for (t, b) in pts if t >= at]
    share = sum(near(b, bpm) for b in after) / max(1, len(after))
    half = [b for (t, b) in pts if t >= dur / 2 and b > 0]
    return share, bool(half) and near(statistics.median(half), bpm)


def clips(setdir, steps=False):
    with open(os.path.join(setdir, "ground_truth.json")) as f:
        gt = json.load(f)
    for c in gt["clips"]:
        if bool(c.get("tempo_change")) != steps:
            continue
        for wav in (os.path.join(setdir, "data", c["wav"]), os.path.join(setdir, c["wav"])):
            if os.path.exists(wav):
                yield c, wav
                break


def settle(pts, start, end, want):
    """Seconds from the step until the track stays within 4 % of want, and
    the share of the track from 4 s after the step on that is."""
    seg = [(t, b) for (t, b) in pts if start <= t < end]
    last_bad = start
    for t, b in seg:
        if not near(b, want):
            last_bad = t
    late = [near(b, want) for (t, b) in seg if t >= start + 4]
    return last_bad - start, sum(late) / max(1, len(late))


def steps(o, todo):
    def run(cw):
        c, wav = cw
        (_, _, b0), (s1, e1, b1) = c["tempo_segments"][:2]
        word, f = ("half", 0.5) if min(b0, b1) / 2 >= 40 else ("double", 2.0)
        res = [settle(track(o.loopctl, wav), s1, e1, b1),
               settle(track(o.loopctl, wav, word, o.at), s1, e1, f * b1)]
        if o.ref:
            res.append(settle(track(o.ref, wav, word, o.at), s1, e1, f * b1))
        return c["name"], b0, b1, word, res

    with ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        rows = list(ex.map(run, todo))
    heads = ["own reading, no level", "level"] + (["level, ref"] if o.ref else [])
    print("\n%d tempo steps, the level set at %g s" % (len(rows), o.at))
    for name, b0, b1, word, res in rows:
        print("  %-28s %5.0f -> %5.0f %-6s %s" % (name, b0, b1, word, "  ".join(
            "%s %.1f s %.2f" % (h, st, sh) for h, (st, sh) in zip(heads, res))))
    print("\n| after the step | median settle | over 4 s | share from 4 s after |")
    print("|---|---|---|---|")
    for i, h in enumerate(heads):
        st = [r[4][i][0] for r in rows]
        print("| %s | %.1f s | %d of %d | %.3f |" % (h, statistics.median(st), sum(x > 4 for x in st), len(st),
                                                  statistics.mean(r[4][i][1] for r in rows)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--at", type=float, default=8.0)
    ap.add_argument("--ref")
    ap.add_argument("loopctl")
    ap.add_argument("sets", nargs="+")
    o = ap.parse_args()

    def run(cw):
        c, wav = cw
        bpm, dur = c["bpm"], c["duration"]
        base = track(o.loopctl, wav)
        now = [b for (t, b) in base if abs(t - o.at) < 0.05]
        if not now or near(now[0], bpm):
            return None
        if now[0] <= 0:
            return (c["name"], bpm, now[0], None)
        word = next((w for w, f in LEVELS.items() if near(now[0] * f, bpm)), None)
        if word is None:
            return (c["name"], bpm, now[0], None)
        res = [score(base, bpm, dur, o.at), score(track(o.loopctl, wav, word, o.at), bpm, dur, o.at)]
        if o.ref:
            res.append(score(track(o.ref, wav, word, o.at), bpm, dur, o.at))
        return (c["name"], bpm, now[0], word, res)

    todo = [cw for s in o.sets for cw in clips(s)]
    step_clips = [cw for s in o.sets for cw in clips(s, steps=True)]
    with ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        rows = [r for r in ex.map(run, todo) if r]
    heads = ["no level", "level"] + (["level, ref"] if o.ref else [])
    agg = {}
    print("%d constant-tempo clips; read wrong at %g s: %d" % (len(todo), o.at, len(rows)))
    for r in rows:
        if r[3] is None:
            print("  %-34s %6.1f BPM read %6.1f: no level puts it right" % r[:3])
            continue
        name, bpm, now, word, res = r
        print("  %-34s %6.1f BPM read %6.1f -> %-6s %s" % (name, bpm, now, word, "  ".join(
            "%s %.2f%s" % (h, s, " =" if ok else "") for h, (s, ok) in zip(heads, res))))
        a = agg.setdefault("half, double" if word in ("half", "double") else "2/3, 3/2, third, triple",
                           [0] + [0.0, 0] * len(res))
        a[0] += 1
        for i, (s, ok) in enumerate(res):
            a[1 + 2 * i] += s
            a[2 + 2 * i] += ok
    print("\n| level set at %g s | clips | %s |" % (o.at, " | ".join(heads)))
    print("|---|---|%s" % ("---|" * len(heads)))
    for k, a in agg.items():
        print("| %s | %d | %s |" % (k, a[0], " | ".join(
            "%.3f, %d right" % (a[1 + 2 * i] / a[0], a[2 + 2 * i]) for i in range(len(heads)))))
    if step_clips:
        steps(o, step_clips)


if __name__ == "__main__":
    main()

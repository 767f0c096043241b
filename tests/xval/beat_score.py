#!/usr/bin/env python3
"""beat_score.py - score beat times against a benchmark's ground_truth.json.

    beat_score.py --gt ground_truth.json [--per-clip] [--json OUT] LABEL=DIR [LABEL=DIR ...]

Each DIR holds <clip>.beats files: one beat time in seconds per line (a
second column, such as `loopctl analyze --beats --decision` writes, is
ignored), as `aubiotrack` also prints them.  A clip without a file counts
as no beats.

Metrics follow mir_eval's beat evaluation (Davies, Degara & Plumbley,
"Evaluation methods for musical audio beat tracking algorithms", Queen
Mary University of London, C4DM-TR-09-06, 2009):

  - beats before 5 s are left out on both sides (the tracker's start-up);
  - F: an estimated beat matches a reference beat within +-70 ms, each at
    most once (nearest first); F = 2PR / (P + R), P = hits / estimates,
    R = hits / references;
  - F any: the best F against the reference at the allowed metrical
    levels and phases (the beats as written, their off-beats, double
    tempo, and half tempo on the odd or on the even beats), as AMLt
    allows them;
  - offset: the median of (estimate - reference) over the matched beats at
    the written level, in ms (a systematic early or late grid shows here).

Printed per category (mean of the clips' F) and for all clips.  Standard
library only.
"""
import argparse
import json
import os
import statistics
import sys

WINDOW = 0.070
MIN_T = 5.0


def load(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                try:
                    out.append(float(line.split()[0]))
                except ValueError:
                    continue
    except FileNotFoundError:
        return []
    return sorted(out)


def match(ref, est):
    """Hits within WINDOW, nearest pairs first; returns the matched (est - ref) offsets."""
    pairs = []
    j0 = 0
    for i, r in enumerate(ref):
        while j0 < len(est) and est[j0] < r - WINDOW:
            j0 += 1
        j = j0
        while j < len(est) and est[j] <= r + WINDOW:
            pairs.append((abs(est[j] - r), i, j))
            j += 1
    pairs.sort()
    used_r, used_e, offs = set(), set(), []
    for _, i, j in pairs:
        if i in used_r or j in used_e:
            continue
        used_r.add(i)
        used_e.add(j)
        offs.append(est[j] - ref[i])
    return offs


def fmeasure(ref, est):
    if not ref and not est:
        return 1.0, []
    if not ref or not est:
        return 0.0, []
    offs = match(ref, est)
    h = len(offs)
    if h == 0:
        return 0.0, offs
    p, r = h / len(est), h / len(ref)
    return 2 * p * r / (p + r), offs


def variants(ref_all):
    """The reference at the allowed levels, from the full beat list (before trimming)."""
    mids = [(a + b) / 2 for a, b in zip(ref_all, ref_all[1:])]
    return [ref_all, mids, sorted(ref_all + mids), ref_all[0::2], ref_all[1::2]]


def trim(v):
    return [x for x in v if x >= MIN_T]


def score_clip(clip, est):
    ref_all = sorted(clip["beats"])
    est = trim(est)
    f, offs = fmeasure(trim(ref_all), est)
    fany = max(fmeasure(trim(v), est)[0] for v in variants(ref_all))
    return {"f": f, "f_any": fany, "offsets": offs, "n_est": len(est)}


def label_dirs(specs):
    """LABEL=DIR arguments as (label, dir) pairs; a bare DIR is labelled by its name."""
    out = []
    for spec in specs:
        lab, _, d = spec.partition("=")
        if not d:
            lab, d = os.path.basename(spec.rstrip("/")), spec
        out.append((lab, d))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gt", required=True)
    ap.add_argument("--per-clip", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("results", nargs="+", help="LABEL=DIR")
    a = ap.parse_args()
    clips = [c for c in json.load(open(a.gt))["clips"] if c.get("beats")]
    methods = label_dirs(a.results)
    cats = sorted({c["category"] for c in clips})
    res = {lab: {c["name"]: score_clip(c, load(os.path.join(d, c["name"] + ".beats"))) for c in clips}
           for lab, d in methods}

    def cell(lab, names):
        rs = [res[lab][n] for n in names]
        if not rs:
            return "-"
        offs = [o for r in rs for o in r["offsets"]]
        off = "%+.0f" % (1000 * statistics.median(offs)) if offs else "-"
        return "%.3f / %.3f / %s" % (statistics.mean(r["f"] for r in rs),
                                     statistics.mean(r["f_any"] for r in rs), off)

    print("## beats: F / F any level / median offset ms (+-70 ms, beats from 5 s; %d clips)" % len(clips))
    print()
    cols = cats + ["ALL"]
    print("| method | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for lab, _ in methods:
        row = [cell(lab, [c["name"] for c in clips if c["category"] == k]) for k in cats]
        row.append(cell(lab, [c["name"] for c in clips]))
        print("| %s | %s |" % (lab, " | ".join(row)))
    if a.per_clip:
        print()
        print("### per clip: F / F any level")
        print()
        print("| clip | " + " | ".join(lab for lab, _ in methods) + " |")
        print("|---|" + "---|" * len(methods))
        for c in clips:
            print("| %s | %s |" % (c["name"], " | ".join(
                "%.2f / %.2f" % (res[lab][c["name"]]["f"], res[lab][c["name"]]["f_any"]) for lab, _ in methods)))
    if a.json:
        out = {lab: {n: {k: v for k, v in r.items() if k != "offsets"} for n, r in res[lab].items()}
               for lab, _ in methods}
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""downbeat_score.py - score downbeat times against a benchmark's ground_truth.json.

    downbeat_score.py --gt ground_truth.json [--per-clip] LABEL=DIR [LABEL=DIR ...]
    downbeat_score.py --gt ground_truth.json --meters     (print `clip beats-per-bar`)

Each DIR holds <clip>.downbeats files, one time in seconds per line, as
`loopctl analyze --downbeats --meter N` writes them.  A clip's downbeats
are its "downbeats" list where the ground truth has one (the validation
set), else every fourth beat from the first (the development set and its
renderings are 4/4 from their first beat).  Its meter N is the number
of its beats from the second downbeat to the third.

Two figures, with beat_score.py's matching (+-70 ms, each reference at
most once, nearest first; from 5 s on, the tracker's start-up left out):
  - F: the estimated downbeats against the reference downbeats;
  - bar phase: of the estimated downbeats that fall on a reference beat,
    the share that fall on a reference downbeat.  This is the bar
    phase's own accuracy, apart from the beat tracker's: a beat grid at
    the wrong level or phase has few estimated downbeats on beats.
    Chance is 1 / N.  Pooled over the clips' downbeats.
Printed by meter and for all clips.  Standard library only.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import beat_score  # noqa: E402  (load, fmeasure, trim, label_dirs)


def ref_downbeats(c):
    if c.get("downbeats"):
        return sorted(c["downbeats"])
    return sorted(c["beats"])[0::4]


def meter(c):
    db = ref_downbeats(c)
    beats = sorted(c["beats"])
    if len(db) < 3:
        return 4
    return sum(1 for b in beats if db[1] - 0.01 <= b < db[2] - 0.01)


def near(x, ref):
    return any(abs(x - r) <= beat_score.WINDOW for r in ref)


def score_clip(c, est):
    est = beat_score.trim(est)
    ref = beat_score.trim(ref_downbeats(c))
    f, _ = beat_score.fmeasure(ref, est)
    beats = sorted(c["beats"])
    on_beat = [x for x in est if near(x, beats)]
    on_down = [x for x in on_beat if near(x, ref)]
    return {"f": f, "on_beat": len(on_beat), "on_down": len(on_down), "n_est": len(est)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gt", required=True)
    ap.add_argument("--per-clip", action="store_true")
    ap.add_argument("--meters", action="store_true")
    ap.add_argument("results", nargs="*", help="LABEL=DIR")
    a = ap.parse_args()
    clips = [c for c in json.load(open(a.gt))["clips"]
             if c.get("beats") and not c.get("tempo_change")]
    if a.meters:
        for c in clips:
            print(c["name"], meter(c))
        return
    methods = beat_score.label_dirs(a.results)
    res = {lab: {c["name"]: score_clip(c, beat_score.load(os.path.join(d, c["name"] + ".downbeats")))
                 for c in clips} for lab, d in methods}
    groups = {}
    for c in clips:
        groups.setdefault(meter(c), []).append(c["name"])
    cols = [(str(m) + " beats", groups[m]) for m in sorted(groups)] + [("ALL", [c["name"] for c in clips])]

    def cell(lab, names):
        rs = [res[lab][n] for n in names]
        ob = sum(r["on_beat"] for r in rs)
        od = sum(r["on_down"] for r in rs)
        ph = "%.2f" % (od / ob) if ob else "-"
        return "%.3f / %s" % (sum(r["f"] for r in rs) / len(rs), ph)

    print("## downbeats: F / bar phase (+-70 ms, from 5 s; %d clips)" % len(clips))
    print()
    print("| method | " + " | ".join("%s (%d)" % (n, len(v)) for n, v in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for lab, _ in methods:
        print("| %s | %s |" % (lab, " | ".join(cell(lab, v) for _, v in cols)))
    print("| chance (bar phase) | %s |" % " | ".join(
        "- / %.2f" % (sum(1.0 / meter(c) for c in clips if c["name"] in set(v)) / len(v)) for _, v in cols))
    if a.per_clip:
        print()
        print("| clip | meter | " + " | ".join(lab for lab, _ in methods) + " |")
        print("|---|---|" + "---|" * len(methods))
        for c in clips:
            print("| %s | %d | %s |" % (c["name"], meter(c), " | ".join(
                "%.2f (%d/%d)" % (res[lab][c["name"]]["f"], res[lab][c["name"]]["on_down"],
                                  res[lab][c["name"]]["on_beat"]) for lab, _ in methods)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""cycles.py - the beats a first loop is counted in, on the benchmark clips.

    tests/xval/cycles.py [--ref REF] [--bars 1,2,4] [--list] LOOPCTL LABEL=GT [LABEL=GT ...]

A looper's first loop (the anchor) sets the cycle, and the count of beats
in it sets the bars and beats of everything after: a musician records one,
two or four bars from a downbeat to a downbeat, and the looper must count
them as the musician would.  For each constant-tempo clip of each set
(LABEL=path of its ground_truth.json; the audio is in data/wav/ or wav/
beside it) this asks `loopctl analyze --cycle START:END` for loops of
--bars bars in two places:

  start  from the music's first downbeat: the performer records at once,
         and the loop closes after 1, 2 or 4 bars with nothing heard before;
  later  from the first downbeat at or after 8 s: the performer has played
         a while (the analysis hears the history before the take).

The truth is the number of annotated beats from START up to END.  Sets
without downbeats (the development set and its re-renderings) are 4/4,
with a downbeat every fourth beat from the first.  A count is

  exact     the annotated count, or the count at the annotated tempo
            (within 4 %: two bars of 7/8 with beats of 2+2+3 eighths
            counted in 7 even quarters) or at one of the clip's alternative
            tempi (alt_bpm: 6/8 counted in eighths, a half-time feel);
  relative  twice, half, three times or a third of it: the same pulse at
            another metrical level, which keeps later loops in whole bars;
  other     anything else (a bar of 4 counted in 3 or 6): later loops
            would not line up with the anchor's bars;
  none      `unknown` (no tempo yet): the looper then assumes 4, scored as 4.

Prints a Markdown table per set and scenario, and with --list every count
that is not exact.  REF, if given, is scored beside LOOPCTL on the same
loops."""
import argparse
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

LATER_S = 8.0


def wav_dir(gt_path):
    base = os.path.dirname(os.path.abspath(gt_path))
    for d in (os.path.join(base, "data"), base):
        if os.path.isdir(os.path.join(d, "wav")):
            return d
    return None


def downbeats(c):
    if c.get("downbeats"):
        return list(c["downbeats"])
    return list(c["beats"][::4])


def loops(c, bars):
    """[(scenario, bars, start, end, truth)] for a constant-tempo clip."""
    beats, dbs = c["beats"], downbeats(c)
    seg_end = c["tempo_segments"][-1][1]
    out = []
    later = next((i for i, t in enumerate(dbs) if t >= LATER_S - 1e-6), None)
    for scen, i0 in (("start", 0), ("later", later)):
        if i0 is None:
            continue
        for b in bars:
            if i0 + b >= len(dbs) or dbs[i0 + b] > seg_end + 1e-6:
                continue
            s, e = dbs[i0], dbs[i0 + b]
            n = sum(1 for t in beats if s - 1e-4 <= t < e - 1e-4)
            out.append((scen, b, s, e, n))
    return out


def counts(binary, wav, lps):
    args = [binary, "analyze", wav]
    for (_, _, s, e, _) in lps:
        args += ["--cycle", "%.6f:%.6f" % (s, e)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("cycles.py: %s failed on %s: %s" % (binary, wav, r.stderr.strip()))
    got = []
    for line in r.stdout.split("\n"):
        w = line.split()
        if len(w) == 4:
            got.append(None if w[2] == "unknown" else int(w[2]))
    if len(got) != len(lps):
        sys.exit("cycles.py: %s printed %d counts for %d loops on %s" % (binary, len(got), len(lps), wav))
    return got


def classify(k, truth, length, bpm, alts):
    if k is None:
        k = 4
    if k == truth:
        return "exact"
    for a in [bpm] + list(alts):
        if a and abs(60.0 * k / length - a) <= 0.04 * a:
            return "exact"
    for f in (2, 3):
        if k == truth * f or k * f == truth:
            return "relative"
    return "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("loopctl")
    ap.add_argument("sets", nargs="+", help="LABEL=path/to/ground_truth.json")
    ap.add_argument("--ref", help="a second loopctl, scored beside the first")
    ap.add_argument("--bars", default="1,2,4")
    ap.add_argument("--list", action="store_true", help="list every count that is not exact")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    bars = [int(x) for x in args.bars.split(",")]
    bins = [("loopctl", args.loopctl)] + ([("ref", args.ref)] if args.ref else [])
    total = {}
    listing = []
    for pair in args.sets:
        label, sep, gt_path = pair.partition("=")
        if not sep or not os.path.isfile(gt_path):
            sys.exit("cycles.py: not LABEL=ground_truth.json: %s" % pair)
        d = wav_dir(gt_path)
        if not d:
            sys.exit("cycles.py: no wav/ beside %s" % gt_path)
        clips = [c for c in json.load(open(gt_path))["clips"] if not c.get("tempo_change") and c.get("bpm")]
        work = [(c, loops(c, bars)) for c in clips]
        for name, binary in bins:
            with ThreadPoolExecutor(args.jobs) as ex:
                res = list(ex.map(lambda cw: counts(binary, os.path.join(d, cw[0]["wav"]), cw[1]), work))
            for (c, lps), got in zip(work, res):
                alts = c.get("alt_bpm") or []
                for (scen, b, s, e, truth), k in zip(lps, got):
                    cls = classify(k, truth, e - s, c["bpm"], alts)
                    for key in ((name, label, scen), (name, "all", scen), (name, "all", "all")):
                        t = total.setdefault(key, {"exact": 0, "relative": 0, "other": 0, "none": 0, "n": 0})
                        t[cls] += 1
                        t["n"] += 1
                        t["none"] += k is None
                    if cls != "exact" and name == "loopctl":
                        listing.append("| %s | %s | %s | %d | %.2f–%.2f s | %d | %s | %s |" % (
                            label, c["name"], scen, b, s, e, truth, "unknown (4)" if k is None else k, cls))
    labels = [p.partition("=")[0] for p in args.sets] + ["all"]
    print("| set | loops from | binary | loops | exact | relative | other | unknown (counted as 4) |")
    print("|---|---|---|---|---|---|---|---|")
    for label in labels:
        for scen in ("start", "later") + (("all",) if label == "all" else ()):
            for name, _ in bins:
                t = total.get((name, label, scen))
                if not t:
                    continue
                n = t["n"]
                print("| %s | %s | %s | %d | %.2f (%d) | %.2f (%d) | %.2f (%d) | %d |" % (
                    label, scen, name, n, t["exact"] / n, t["exact"], t["relative"] / n, t["relative"],
                    t["other"] / n, t["other"], t["none"]))
    if args.list and listing:
        print("\nCounts that are not exact (loopctl):\n")
        print("| set | clip | loops from | bars | loop | truth | count | class |")
        print("|---|---|---|---|---|---|---|---|")
        for line in listing:
            print(line)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""early_read.py - the live tempo reading at fixed times, not the median.

    PYTHONPATH=../shared/analysis-bench tests/xval/early_read.py [--times 4,6,8,10] GT=DIR [GT=DIR ...]

Each GT=DIR pair is a benchmark's ground_truth.json and a results
directory holding <clip>.bpm tracks (`loopctl analyze --tempo --track`,
as every analysis benchmark writes them).  The pairs are pooled.  For
each constant-tempo clip the reading at time t is the track's last point
at or before t; it scores Acc1 / Acc2 as the bench's score.py does
(`unknown` is a miss).  A first loop takes its count of beats from the
reading at the moment it closes, which Acc (the median over the second
half) does not show."""
import argparse
import json
import os

import score


def track(path):
    """[(t, bpm or None)]: score.read_bpm() drops the `unknown` points,
    which must count here (a reading that went unknown is a miss)."""
    pts = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) < 2:
                continue
            try:
                t = float(w[0])
            except ValueError:
                continue
            try:
                pts.append((t, float(w[1])))
            except ValueError:
                pts.append((t, None))
    return pts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pairs", nargs="+", help="GT=DIR: ground_truth.json and its results directory")
    ap.add_argument("--times", default="4,6,8,10,12,16", help="seconds, comma-separated")
    args = ap.parse_args()
    times = [float(x) for x in args.times.split(",")]
    n, a1, a2 = 0, [0] * len(times), [0] * len(times)
    for pair in args.pairs:
        gt_path, sep, d = pair.partition("=")
        if not sep or not os.path.isfile(gt_path) or not os.path.isdir(d):
            raise SystemExit("early_read.py: want GT=DIR with a ground_truth.json and a directory: " + pair)
        for c in json.load(open(gt_path))["clips"]:
            if not c.get("bpm"):
                continue
            p = os.path.join(d, c["name"] + ".bpm")
            if not os.path.exists(p):
                continue
            pts = track(p)
            n += 1
            for i, t in enumerate(times):
                r = None
                for (pt, b) in pts:
                    if pt <= t + 1e-9:
                        r = b
                if r is not None:
                    a1[i] += score.acc1(r, c["bpm"])
                    a2[i] += score.acc2(r, c["bpm"])
    if not n:
        raise SystemExit("early_read.py: no constant-tempo clip with a .bpm track")
    print("| at | " + " | ".join("%g s" % t for t in times) + " |")
    print("|---|" + "---|" * len(times))
    print("| Acc1 | " + " | ".join("%.2f" % (x / n) for x in a1) + " |")
    print("| Acc2 | " + " | ".join("%.2f" % (x / n) for x in a2) + " |")
    print("\n%d constant-tempo clips" % n)


if __name__ == "__main__":
    main()

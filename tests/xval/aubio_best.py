#!/usr/bin/env python3
"""aubio_best.py - loopctl's onset F against aubio's best method, per category.

  aubio_best.py SCORES_JSON [COLUMN]

SCORES_JSON is what score.py --json writes.  For every method that is not
aubio's, one table: each category's F (mean of per-clip F) next to the best
F of any aubioonset-<method> in that category, and which method it was.
COLUMN names the first column (default "category").
"""
import json
import sys


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit("usage: aubio_best.py SCORES_JSON [COLUMN]")
    col = sys.argv[2] if len(sys.argv) == 3 else "category"
    rep = json.load(open(sys.argv[1]))["methods"]
    aub = {k: v["onsets"]["categories"] for k, v in rep.items() if k.startswith("aubioonset-") and "onsets" in v}
    for lab in (k for k in rep if not k.startswith("aubio") and "onsets" in rep[k]):
        print("| %s | %s | aubio's best | method |" % (col, lab))
        print("|---|---|---|---|")
        for cat, v in rep[lab]["onsets"]["categories"].items():
            best = max(aub, key=lambda k: aub[k][cat]["F"]) if aub else None
            print("| %s | %.3f | %s | %s |" % (cat, v["F"], "%.3f" % aub[best][cat]["F"] if best else "-",
                                              best[len("aubioonset-"):] if best else "-"))
        print()


if __name__ == "__main__":
    main()

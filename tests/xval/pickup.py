#!/usr/bin/env python3
"""pickup.py - copies of a benchmark's constant-tempo clips that start on their second beat.

    pickup.py --gt ground_truth.json --wav DIR --out DIR

Each clip is cut 30 ms before its second beat and given 0.5 s of silence
in front, so the music starts on beat 2 of its first bar (a pickup, or a
musician who comes in late), and the ground truth (beats, downbeats,
onsets, tempo segments) moves with it.  The first downbeat, now cut
away, is kept before 0 s so that downbeat_score.py still reads the meter.
Writes DIR/wav/<clip>.wav (sox) and DIR/ground_truth.json.  Standard
library and sox.
"""
import argparse
import json
import os
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gt", required=True)
    ap.add_argument("--wav", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(os.path.join(a.out, "wav"), exist_ok=True)
    g = json.load(open(a.gt))
    out = []
    for c in g["clips"]:
        src = os.path.join(a.wav, c["name"] + ".wav")
        if c.get("tempo_change") or not c.get("beats") or not os.path.exists(src):
            continue
        beats = sorted(c["beats"])
        cut = beats[1] - 0.03
        shift = cut - 0.5
        subprocess.run(["sox", src, os.path.join(a.out, "wav", c["name"] + ".wav"),
                        "trim", "%.6f" % cut, "pad", "0.5", "0"], check=True)
        d = dict(c)
        d["beats"] = [x - shift for x in beats[1:]]
        d["downbeats"] = [x - shift for x in (c.get("downbeats") or beats[0::4])]
        d["onsets"] = [x - shift for x in c.get("onsets", []) if x - shift >= 0.5]
        d["tempo_segments"] = [[max(0.5, s - shift), e - shift, b] for s, e, b in c.get("tempo_segments", [])]
        d.pop("onset_parts", None)
        d.pop("onset_vel", None)
        out.append(d)
    with open(os.path.join(a.out, "ground_truth.json"), "w") as f:
        json.dump({"meta": g.get("meta", {}), "clips": out}, f)
    print("%d clips from their second beat -> %s" % (len(out), a.out))


if __name__ == "__main__":
    main()

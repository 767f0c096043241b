#!/usr/bin/env python3
"""noise.py - the development set's clips under more noise than it has.

The development set's noisy clips carry noise 20 dB below the music, the
validation set's 10 and 15 dB.  This writes every constant-tempo clip of
the development set (the noisy copies and the tempo steps left out) again
with white and with pink noise at 10, 5 and 0 dB SNR, with the bench's own
add_noise() (noise RMS that far below the clip's RMS, peak normalised to
-3 dBFS), and the clean clip itself beside them, so that a detector's
onsets and tempo can be compared clip for clip as the noise grows.  The
category of each copy is its condition ("clean", "white10", ...); its
onset times and tempo are the clean clip's.

  noise.py --bench DIR --dev DIR --out DIR [--jobs N]

DIR of --dev is build/analysis-bench (ground_truth.json, data/wav/).
Writes OUT/wav/<clip>_<condition>.wav and OUT/ground_truth.json.
"""
import argparse
import concurrent.futures as cf
import copy
import json
import os
import shutil
import sys
import tempfile
import zlib

CONDITIONS = [("white", 10.0), ("white", 5.0), ("white", 0.0), ("pink", 10.0), ("pink", 5.0), ("pink", 0.0)]


def main():
    ap = argparse.ArgumentParser(description="the development set's clips with white and pink noise at 10, 5, 0 dB SNR")
    ap.add_argument("--bench", required=True, help="the analysis-bench directory (gen.py)")
    ap.add_argument("--dev", required=True, help="build/analysis-bench (ground_truth.json, data/wav)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.bench))
    try:
        import gen  # noqa: E402  (the development generator: add_noise)
    except ImportError as e:
        raise SystemExit("noise.py: cannot import gen.py from %s: %s" % (a.bench, e))
    gt = json.load(open(os.path.join(a.dev, "ground_truth.json")))
    src = [c for c in gt["clips"] if c.get("bpm") and not c.get("tempo_change") and c["category"] != "noisy"]
    missing = [c["name"] for c in src if not os.path.isfile(os.path.join(a.dev, "data", c["wav"]))]
    if not src or missing:
        raise SystemExit("noise.py: the development set's audio is missing in %s (run make bench-analysis first)"
                         % os.path.join(a.dev, "data"))
    wavdir = os.path.join(a.out, "wav")
    os.makedirs(wavdir, exist_ok=True)
    clips, jobs = [], []
    for c in src:
        clean = os.path.join(a.dev, "data", c["wav"])
        for colour, snr in [(None, None)] + CONDITIONS:
            cond = "clean" if colour is None else "%s%d" % (colour, snr)
            n = copy.deepcopy(c)
            n["name"] = "%s_%s" % (c["name"], cond)
            n["category"] = cond
            n["wav"] = "wav/%s.wav" % n["name"]
            n["desc"] = c.get("desc", "") + ("" if colour is None else " + %s noise at %g dB SNR" % (colour, snr))
            if colour is not None:
                n["noise"] = {"colour": colour, "snr_db": snr}
            clips.append(n)
            jobs.append((clean, os.path.join(a.out, n["wav"]), colour, snr, zlib.crc32(n["name"].encode())))
    tmp = tempfile.mkdtemp(prefix="noise.")
    try:
        def one(j):
            clean, out, colour, snr, seed = j
            if colour is None:
                shutil.copyfile(clean, out)
            else:
                gen.add_noise(clean, out, colour + "noise", snr, tmp, seed)
        with cf.ThreadPoolExecutor(max(1, a.jobs)) as ex:
            list(ex.map(one, jobs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = copy.deepcopy(gt)
    out["clips"] = clips
    out.setdefault("meta", {})["derived"] = "noise.py: %d clips x (clean + %d noise conditions)" % (len(src), len(CONDITIONS))
    with open(os.path.join(a.out, "ground_truth.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("noise.py: %d clips in %s" % (len(clips), wavdir))


if __name__ == "__main__":
    main()

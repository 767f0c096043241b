#!/usr/bin/env python3
"""resynth.py - the development set's MIDI rendered with another soundfont.

The development set (../shared/analysis-bench, `make bench-analysis`) is
rendered with FluidR3 only.  Its instruments' attacks, decays and balance
are those of one soundfont, and the analysis's constants were set on it.
This renders the same MIDI files with another soundfont (the validation
set's TimGM6mb and MuseScore General), so that the tempo readings can be
compared clip for clip: same notes, same tempi, other instruments.

Only the constant-tempo and tempo-step clips with their own MIDI are
rendered (the noisy clips are copies of clean ones).  The ground truth is
the development set's, restricted to those clips; its tempo fields hold
for any soundfont (its onset times do not: each soundfont has its own
render latency and attacks, so score only tempo with it).

  resynth.py --bench DIR --dev DIR --sf FILE --out DIR [--jobs N]

DIR of --dev is build/analysis-bench (ground_truth.json, data/midi/).
Writes OUT/wav/<clip>.wav and OUT/ground_truth.json.
"""
import argparse
import concurrent.futures as cf
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_xval  # noqa: E402  (its render() takes the soundfont; it imports the bench's gen.py)


def main():
    ap = argparse.ArgumentParser(description="render the development set's MIDI with another soundfont")
    ap.add_argument("--bench", help="the analysis-bench directory (read by gen_xval on import)")
    ap.add_argument("--dev", required=True, help="build/analysis-bench (ground_truth.json, data/midi)")
    ap.add_argument("--sf", required=True, help="soundfont (.sf2 or .sf3)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    if not os.path.isfile(a.sf):
        raise SystemExit("resynth.py: no soundfont %s" % a.sf)
    gt = json.load(open(os.path.join(a.dev, "ground_truth.json")))
    mididir = os.path.join(a.dev, "data", "midi")
    clips = [c for c in gt["clips"] if os.path.isfile(os.path.join(mididir, c["name"] + ".mid"))]
    if not clips:
        raise SystemExit("resynth.py: no MIDI files in %s (run make bench-analysis first)" % mididir)
    wavdir = os.path.join(a.out, "wav")
    os.makedirs(wavdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="resynth.")
    try:
        def one(c):
            gen_xval.render(os.path.join(mididir, c["name"] + ".mid"), os.path.join(wavdir, c["name"] + ".wav"),
                            tmp, c["duration"], a.sf)
        with cf.ThreadPoolExecutor(max(1, a.jobs)) as ex:
            list(ex.map(one, clips))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = dict(gt)
    out["clips"] = [dict(c, wav="wav/%s.wav" % c["name"]) for c in clips]
    out.setdefault("meta", {})
    out["meta"] = dict(out["meta"], resynth_soundfont=os.path.realpath(a.sf))
    with open(os.path.join(a.out, "ground_truth.json"), "w") as f:
        json.dump(out, f)
    print("resynth.py: %d clips rendered with %s into %s" % (len(clips), os.path.basename(a.sf), wavdir))


if __name__ == "__main__":
    main()

"""tempo_read.py - what the reports of run_resynth.sh and run_noise.sh read
from their results: each constant-tempo clip's global tempo (the bench
scorer's median over the second half) for each method.  Imported, with
the bench's directory (score.py) and this one on PYTHONPATH."""
import json, os

import score


def readings(argv):
    """argv: [prog, ground_truth.json, LABEL=DIR...].  Returns the clips,
    the (label, dir) pairs and {(label, clip name): (BPM or None, Acc1)}
    for every clip that has a BPM."""
    gt = json.load(open(argv[1]))
    meth = [m.split("=", 1) for m in argv[2:]]
    read = {}
    for c in gt["clips"]:
        if not c.get("bpm"):
            continue
        for lab, d in meth:
            e = score.global_tempo(score.read_bpm(os.path.join(d, c["name"] + ".bpm")), c["duration"])
            read[(lab, c["name"])] = (e, e is not None and score.acc1(e, c["bpm"]))
    return gt["clips"], meth, read

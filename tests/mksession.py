#!/usr/bin/env python3
"""mksession.py DIR N [OPTIONS] - writes a synthetic saved session of N mono
layers in the old file naming (trackNN-layerMM.wav), spread over the 64
tracks.  By default 0.1 s loops at 48 kHz, a constant level at -40 dB so
each one is heard in the meters, at phases (37 k) mod period: for loading
sessions larger than one batch of voice starts and than one status
datagram.

  --rate HZ        the session's sample rate (default 48000)
  --cycle F        the cycle, in frames (default 4800)
  --cycles K       each layer's period, in cycles (default 1)
  --phase F        every layer's phase (default (37 k) mod period)
  --speed S        every layer's speed: 0.5, 1 or 2 (default 1)
  --halves         the loop's first half at +0.24, its second at -0.24
                   (the seam's pre-roll is the second half's level)
  --shared         every layer names the same file, track01-layer01.wav
"""
import json, os, struct, sys, wave


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    opt = {"--rate": 48000, "--cycle": 4800, "--cycles": 1, "--phase": None, "--speed": None}
    flags = set()
    a = sys.argv[3:]
    while a:
        o = a.pop(0)
        if o in ("--halves", "--shared"):
            flags.add(o)
        elif o in opt and a:
            v = a.pop(0)
            opt[o] = float(v) if o == "--speed" else int(v)
        else:
            sys.exit("mksession.py: bad option " + o)
    os.makedirs(d, exist_ok=True)
    rate, cycle = opt["--rate"], opt["--cycle"]
    period, seam = cycle * opt["--cycles"], min(480, cycle // 8)
    if "--halves" in flags:
        lo, hi = struct.pack("<h", -8000), struct.pack("<h", 8000)
        frames = lo * seam + hi * (period // 2) + lo * (period - period // 2)
    else:
        frames = struct.pack("<h", 328) * (seam + period)
    tracks = {}
    for k in range(n):
        t, num = k % 64 + 1, k // 64 + 1
        name = "track01-layer01.wav" if "--shared" in flags else "track%02d-layer%02d.wav" % (t, num)
        if k == 0 or "--shared" not in flags:
            with wave.open(os.path.join(d, name), "wb") as w:
                w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
                w.writeframes(frames)
        layer = {"layer": num, "file": name, "channels": 1, "head": seam, "length": period, "period": period,
                 "seam": seam, "seam_mode": "crossfade",
                 "phase": (k * 37) % period if opt["--phase"] is None else opt["--phase"]}
        if opt["--speed"] is not None:
            layer["speed"] = opt["--speed"]
        tracks.setdefault(t, []).append(layer)
    s = {"format": "jackloop-session", "version": 1, "sample_rate": rate, "cycle_frames": cycle,
         "beats_per_cycle": 1, "beats_per_bar": 4,
         "tracks": [{"track": t, "channels": 1, "inputs": [1, 1], "layers": l} for t, l in sorted(tracks.items())]}
    with open(os.path.join(d, "session.json"), "w") as f:
        json.dump(s, f)

main()

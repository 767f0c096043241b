#!/usr/bin/env python3
"""mksession.py DIR N - writes a synthetic saved session of N mono layers
(0.1 s loops at 48 kHz, a constant level at -40 dB so each one is heard in
the meters), spread over the 64 tracks: for loading sessions larger than
one batch of voice starts and than one status datagram."""
import json, os, struct, sys, wave

def main():
    d, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(d, exist_ok=True)
    period, seam = 4800, 480
    tracks = {}
    for k in range(n):
        t, num = k % 64 + 1, k // 64 + 1
        name = "track%02d-layer%02d.wav" % (t, num)
        with wave.open(os.path.join(d, name), "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
            w.writeframes(struct.pack("<h", 328) * (seam + period))
        tracks.setdefault(t, []).append({"layer": num, "file": name, "channels": 1, "head": seam,
                                         "length": period, "period": period, "seam": seam,
                                         "seam_mode": "crossfade", "phase": (k * 37) % period})
    s = {"format": "jackloop-session", "version": 1, "sample_rate": 48000, "cycle_frames": period,
         "beats_per_cycle": 1, "beats_per_bar": 4,
         "tracks": [{"track": t, "channels": 1, "inputs": [1, 1], "layers": l} for t, l in sorted(tracks.items())]}
    with open(os.path.join(d, "session.json"), "w") as f:
        json.dump(s, f)

main()

#!/usr/bin/env python3
"""oscfuzz.py - seeded random OSC traffic against a running daemon: every
command of the namespace (and unknown ones) with random argument counts,
types (i f s b h d T F N, and NaN/inf floats) and values (plausible words,
numbers, options, garbage), plus malformed packets.

  oscfuzz.py PORT [--seed N] [--count N] [--pause P] [--log FILE] [--dir DIR]

With --dir, save, load and import join the commands, with paths inside DIR (and
nowhere else: the other words are never absolute paths).

Every message must be answered by /jl/reply (status ok or error) within
2 s, but for /jl/ alone, a path that names no command, once ten of those
were sent: the daemon answers such foreign paths ten times and then once a
second per sender, and drops the rest.  The daemon must stay the same
process (a restart would mean it crashed).  Prints one summary line; exit 0 when all of that held."""
import argparse, os, random, socket, struct, sys, time

COMMANDS = ("ping status help master-gain impulse meter-reset record capture play stop mute "
            "unmute toggle gain pan solo undo redo layer clear select panic tap tempo onsets "
            "phones monitor click midiclock sync fx send calibrate pa-mute trim quantize at triggers "
            "cancel subscribe unsubscribe midi-map meter downbeat").split()
WORDS = ("all", "next-cycle", "next-bar", "next-beat", "on", "off", "half", "double", "mute",
         "unmute", "toggle", "level", "delay", "limit", "master", "click", "add", "set", "remove",
         "list", "midi", "eq", "comp", "reverb", "conv", "gate", "in1", "in2", "--cycles",
         "--bars", "--quantize", "onset", "beat", "bar", "cycle", "--in", "1,2", "--pa-mute",
         "--threshold", "--count-in", "--ramp-ms", "--at", "--last", "--phones", "--main",
         "--pan", "--level", "--pa", "--port", "freq1=120", "gain1=-3", "ratio=4", "mix=0.5",
         "beats=0.75", "feedback=0.99", "ir=/nonexistent.wav", "size=2", "x=", "=1", "", " ",
         "-", "--", "-1", "0", "1", "2", "3", "8", "9", "99", "1e9", "-1e9", "nan", "inf",
         "0x10", "1.5", "12abc", "--url", "--interval", "--lease", "--renew",
         "osc.udp://127.0.0.1:9/", "osc.udp://127.0.0.1:", "osc.udp://:9", "osc.udp://1.2.3.4.5:9/", "\u00e9t\u00e9", "a" * 300, "%s%n", "../../etc/passwd")


PLAY = [("record",), ("record",), ("record",), ("record", "1"), ("record", "2"), ("capture",),
        ("capture", "--bars", "1"), ("undo",), ("undo", "1"), ("redo",), ("play", "all"),
        ("stop", "all"), ("toggle", "1"), ("toggle", "2"), ("clear", "2"), ("clear", "all"),
        ("select", "next"), ("mute", "1"), ("unmute", "1"), ("at", "next-cycle", "mute", "2"),
        ("layer", "1", "2", "mute"), ("tempo", "120"), ("tempo", "half"), ("tap",),
        ("record", "--cycles", "1"), ("record", "--bars", "1"), ("quantize", "onset"),
        ("quantize", "off"), ("meter", "3"), ("meter", "4"), ("downbeat",), ("fx", "add", "1", "delay", "beats=0.5"), ("fx", "remove", "1", "1"),
        ("send", "1", "2", "-6"), ("cancel", "1"), ("triggers",), ("status",),
        ("subscribe", "--url", "osc.udp://127.0.0.1:9/", "--interval", "10"), ("unsubscribe", "all")]


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def arg(rng):
    t = rng.choice("iiiffsssssssbhdTFN")
    if t == "i":
        return "i", struct.pack(">i", rng.choice([0, 1, 2, 3, -1, 7, 64, 4096, 2**31 - 1, -2**31,
                                                  rng.randint(-10, 100)]))
    if t == "f":
        return "f", struct.pack(">f", rng.choice([0.0, 0.5, -6.0, 1e30, -1e30, float("nan"),
                                                  float("inf"), -float("inf"), rng.uniform(-100, 100)]))
    if t == "s":
        return "s", pad(rng.choice(WORDS).encode())
    if t == "b":
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 9)))
        return "b", struct.pack(">i", len(raw)) + raw + b"\0" * (-len(raw) % 4)
    if t == "h":
        return "h", struct.pack(">q", rng.choice([0, 1, 2**40, -1]))
    if t == "d":
        return "d", struct.pack(">d", rng.choice([0.25, float("nan"), 1e300, -3.0]))
    return t, b""


def message(rng):
    r = rng.random()
    if r < 0.03:  # malformed: random bytes after a /jl/ path, or truncated
        body = pad(b"/jl/" + rng.choice(COMMANDS).encode()) + bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
        return body[: rng.randint(4, len(body))] if rng.random() < 0.5 else body
    if r < 0.35:  # the performance itself, so that loops, layers and triggers exist
        cmd = rng.choice(PLAY)
        return pad(("/jl/" + cmd[0]).encode()) + pad(("," + "s" * (len(cmd) - 1)).encode()) + \
            b"".join(pad(w.encode()) for w in cmd[1:])
    cmd = rng.choice(COMMANDS) if r < 0.95 else rng.choice(["nope", "", "record/x", "PING"])
    tags, data = ",", b""
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4, 6])):
        t, d = arg(rng)
        tags += t
        data += d
    return pad(("/jl/" + cmd).encode()) + pad(tags.encode()) + data


def reply_status(pkt):
    try:
        e = pkt.index(b"\0")
        if pkt[:e] != b"/jl/reply":
            return None
        o = (e + 4) & ~3
        te = pkt.index(b"\0", o)
        tags = pkt[o:te].decode()
        o = (te + 4) & ~3
        if not tags.startswith(",s"):
            return None
        se = pkt.index(b"\0", o)
        return pkt[o:se].decode()
    except (ValueError, UnicodeDecodeError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--log")
    ap.add_argument("--dir", help="a scratch directory: also fuzz save, load and import, inside it")
    ap.add_argument("--pause", type=float, default=0.0,
                    help="chance of a 20-300 ms pause after a message (lets takes and loops grow)")
    a = ap.parse_args()
    global COMMANDS, WORDS, PLAY
    if a.dir:
        os.makedirs(a.dir, exist_ok=True)
        COMMANDS += ("save", "load", "import")
        # a loop to import: 0.5 s of a 16-bit 220 Hz sine (and the saved layers)
        import math, wave
        with wave.open(a.dir + "/x.wav", "wb") as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(44100)
            w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 220 * k / 44100)))
                                   for k in range(22050)))
        with open(a.dir + "/m.ini", "w") as f:
            f.write("[cc]\n20 = record\n[note]\n10/36 = capture --bars 2\n")
        with open(a.dir + "/bad.ini", "w") as f:
            f.write("[cc]\n20 = record\n20 = undo\n[knob]\n")
        WORDS += (a.dir + "/m.ini", a.dir + "/bad.ini", "default")
        PLAY += [("midi-map", a.dir + "/m.ini"), ("midi-map", a.dir + "/bad.ini"), ("midi-map", "default"),
                 ("midi-map",)]
        WORDS += (a.dir + "/s", a.dir + "/t/", a.dir, "--force", a.dir + "/x.wav",
                  a.dir + "/s/track01-layer01.wav", "--track", "--beats", "--stretch", "--now", "new")
        PLAY += [("save", a.dir + "/s", "--force"), ("load", a.dir + "/s"), ("save", a.dir + "/s"),
                 ("import", a.dir + "/x.wav"), ("import", a.dir + "/x.wav", "--cycles", "1", "--track", "1"),
                 ("import", a.dir + "/s/track01-layer01.wav", "--track", "new"),
                 ("import", a.dir + "/x.wav", "--stretch"), ("import", a.dir + "/x.wav", "--now")]
    rng = random.Random(a.seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    log = open(a.log, "w") if a.log else None
    stats = {"ok": 0, "error": 0, "usage": 0, "other": 0, "pushed": 0, "limited": 0}
    missing = []
    n_foreign = 0
    for i in range(a.count):
        pkt = message(rng)
        s.sendto(pkt, ("127.0.0.1", a.port))
        st = None
        deadline = time.monotonic() + 2.0
        while st is None and time.monotonic() < deadline:
            # a subscribe without --url subscribes this socket: state
            # messages (/jl/state/...) come between the replies
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data, _ = s.recvfrom(65536)
            except socket.timeout:
                break
            st = reply_status(data)
            if st is None and (data.startswith(b"/jl/state/") or data.startswith(b"#bundle\0")):
                stats["pushed"] += 1
        if log:
            log.write("%d %s %s\n" % (i, pkt.hex(), st))
        if rng.random() < a.pause:
            time.sleep(rng.uniform(0.02, 0.3))
        foreign = pkt.split(b"\0", 1)[0] == b"/jl/"
        if st is None and foreign and n_foreign >= 10:
            # /jl/ alone names no command: the daemon answers such foreign
            # paths 10 times, then once a second per sender, and drops the
            # rest (osc.c, foreign_answer()); commands are always answered
            stats["limited"] += 1
        elif st is None:
            missing.append(i)
            if len(missing) > 3:
                break
        else:
            stats[st if st in stats else "other"] += 1
        n_foreign += foreign
    print("fuzz: %d messages, %d ok, %d error, %d usage, %d other, %d unanswered%s, %d to /jl/ alone dropped by the "
          "rate limit; %d state datagrams pushed" %
          (i + 1, stats["ok"], stats["error"], stats["usage"], stats["other"], len(missing),
           (" (first: %d)" % missing[0]) if missing else "", stats["limited"], stats["pushed"]))
    return 0 if not missing and not stats["other"] else 1


sys.exit(main())

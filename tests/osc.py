#!/usr/bin/env python3
"""osc.py - a minimal OSC 1.0 client for the integration tests: sends one
message (or raw bytes) over UDP and prints the daemon's /jl/reply.

  osc.py PORT [OPTIONS] PATH [ARG...]   ARG: i:3  f:0.5  s:text  b:blob-text
  osc.py PORT [OPTIONS] --raw HEX       send arbitrary bytes
  osc.py PORT [OPTIONS] --all PATH [ARG...] [+ PATH [ARG...]]...
                                        several messages in one bundle
Options: --timeout S (how long to wait for the reply, default 2),
--bundle S (send the message in a bundle time-tagged S seconds from now).
Prints: STATUS<TAB>COMMAND<TAB>TEXT, or "no reply" (exit 1); with --all, a
line per reply in the order they come, until each message has one."""
import socket, struct, sys, time

def pad(b):
    return b + b"\0" * (4 - len(b) % 4)

def encode(path, args):
    tags, data = ",", b""
    for a in args:
        t, _, v = a.partition(":")
        if t == "i":
            tags += "i"; data += struct.pack(">i", int(v))
        elif t == "f":
            tags += "f"; data += struct.pack(">f", float(v))
        elif t == "s":
            tags += "s"; data += pad(v.encode())
        elif t == "b":
            raw = v.encode()
            tags += "b"; data += struct.pack(">i", len(raw)) + raw + b"\0" * (-len(raw) % 4)
        else:
            raise SystemExit("bad arg " + a)
    return pad(path.encode()) + pad(tags.encode()) + data

def decode_strings(pkt):
    def rd(o):
        e = pkt.index(b"\0", o)
        s = pkt[o:e].decode()
        return s, (e + 4) & ~3
    path, o = rd(0)
    tags, o = rd(o)
    out = []
    for t in tags[1:]:
        if t == "s":
            s, o = rd(o); out.append(s)
    return path, out

def bundle(pkt, seconds):
    """pkt as the one element of a bundle time-tagged `seconds` from now."""
    t = time.time() + seconds + 2208988800  # NTP counts from 1900
    tag = struct.pack(">II", int(t), int((t % 1) * 2 ** 32))
    return b"#bundle\0" + tag + struct.pack(">i", len(pkt)) + pkt

def main():
    port, args, timeout, later = int(sys.argv[1]), sys.argv[2:], 2.0, None
    while args[0] in ("--timeout", "--bundle"):
        if args[0] == "--timeout":
            timeout = float(args[1])
        else:
            later = float(args[1])
        args = args[2:]
    if args[0] == "--all":
        msgs, cur = [], []
        for a in args[1:] + ["+"]:
            if a == "+":
                msgs.append(encode(cur[0], cur[1:])); cur = []
            else:
                cur.append(a)
        pkt = b"#bundle\0" + struct.pack(">II", 0, 1) + b"".join(struct.pack(">i", len(m)) + m for m in msgs)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(pkt, ("127.0.0.1", port))
        end = time.monotonic() + timeout
        for _ in msgs:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                data, _ = s.recvfrom(65536)
            except socket.timeout:
                print("no reply"); return 1
            print("\t".join(decode_strings(data)[1][:3]))
        return 0
    if args[0] == "--raw":
        pkt = bytes.fromhex(args[1])
    else:
        pkt = encode(args[0], args[1:])
    if later is not None:
        pkt = bundle(pkt, later)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        data, _ = s.recvfrom(65536)
    except socket.timeout:
        print("no reply"); return 1
    path, strs = decode_strings(data)
    print("\t".join(strs[:3]))
    return 0

sys.exit(main())

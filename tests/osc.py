#!/usr/bin/env python3
"""osc.py - a minimal OSC 1.0 client for the integration tests: sends one
message (or raw bytes) over UDP and prints the daemon's /jl/reply.

  osc.py PORT PATH [ARG...]      ARG: i:3  f:0.5  s:text  b:blob-text
  osc.py PORT --raw HEX          send arbitrary bytes
Prints: STATUS<TAB>COMMAND<TAB>TEXT   (exit 0 if a reply came)."""
import socket, struct, sys

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

def main():
    port = int(sys.argv[1])
    if sys.argv[2] == "--raw":
        pkt = bytes.fromhex(sys.argv[3])
    else:
        pkt = encode(sys.argv[2], sys.argv[3:])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        data, _ = s.recvfrom(65536)
    except socket.timeout:
        print("no reply"); return 1
    path, strs = decode_strings(data)
    print("\t".join(strs[:3]))
    return 0

sys.exit(main())

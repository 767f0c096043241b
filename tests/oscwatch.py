#!/usr/bin/env python3
"""oscwatch.py - an OSC listener for the integration tests: binds a UDP
port on 127.0.0.1 and writes every message it receives as one line,
"PATH ARG ARG..." (int32 and int64 in decimal, floats with repr, strings
as they are), flushed as it comes.  The messages of a bundle are written
one by one, and OUTFILE.bundles gets a line per bundle: how many messages
it held.

  oscwatch.py PORTFILE OUTFILE SECONDS
The port it got is written to PORTFILE first; it stops after SECONDS."""
import socket, struct, sys, time

def rd_str(pkt, o):
    e = pkt.index(b"\0", o)
    return pkt[o:e].decode(), (e + 4) & ~3

def decode(pkt):
    path, o = rd_str(pkt, 0)
    tags, o = rd_str(pkt, o)
    out = [path]
    for t in tags[1:]:
        if t == "i":
            out.append(str(struct.unpack(">i", pkt[o:o + 4])[0])); o += 4
        elif t == "h":
            out.append(str(struct.unpack(">q", pkt[o:o + 8])[0])); o += 8
        elif t == "f":
            out.append(repr(struct.unpack(">f", pkt[o:o + 4])[0])); o += 4
        elif t == "s":
            s, o = rd_str(pkt, o); out.append(s)
        else:
            out.append("?" + t)
    return " ".join(out)

def messages(pkt):
    """The messages of a datagram: itself, or a bundle's elements; none for
    a malformed bundle (an element size of 0 or less, or past the end,
    which would loop for ever or cut a message short)."""
    if not pkt.startswith(b"#bundle\0"):
        return [pkt]
    out, o = [], 16
    while o + 4 <= len(pkt):
        n = struct.unpack(">i", pkt[o:o + 4])[0]
        if n <= 0 or o + 4 + n > len(pkt):
            return []
        out += messages(pkt[o + 4:o + 4 + n])
        o += 4 + n
    return out


def main():
    portfile, outfile, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    end = time.monotonic() + secs
    with open(outfile, "a") as out, open(outfile + ".bundles", "a") as bund:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return 0
            s.settimeout(left)
            try:
                data = s.recv(65536)
            except socket.timeout:
                return 0
            ms = messages(data)
            if data.startswith(b"#bundle\0"):
                bund.write("%d\n" % len(ms))
                bund.flush()
            for m in ms:
                out.write(decode(m) + "\n")
            out.flush()

if __name__ == "__main__":
    sys.exit(main())

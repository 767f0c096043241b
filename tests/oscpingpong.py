#!/usr/bin/env python3
"""oscpingpong.py PORT - plays an OSC program that answers every message it
receives with an error message of its own (outside /jl/), sent back to the
sender, and starts by sending one such message to the daemon.  For 2 s it
answers whatever comes back.  Prints the number of /jl/reply messages it
got; then sends /jl/ping from the same socket and prints its reply status,
waits 1.2 s and sends one more foreign message, and prints whether that was
answered ("answered" / "no reply").

Without a limit the two would answer each other for ever, at full speed."""
import socket, struct, sys, time


def pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def msg(path, *strings):
    return pad(path.encode()) + pad(("," + "s" * len(strings)).encode()) + b"".join(pad(s.encode()) for s in strings)


def status_of(pkt):
    if not pkt.startswith(b"/jl/reply\0"):
        return None
    o = pkt.index(b",") if b"," in pkt else -1
    tags_end = pkt.index(b"\0", o)
    o = (tags_end + 4) & ~3
    return pkt[o:pkt.index(b"\0", o)].decode()


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    dst = ("127.0.0.1", port)
    err = msg("/error", "unknown message")
    s.sendto(err, dst)
    replies = 0
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, _ = s.recvfrom(65536)
        except socket.timeout:
            break
        if status_of(data) is not None:
            replies += 1
            s.sendto(err, dst)  # "I do not know /jl/reply": the error goes back
    print("replies %d" % replies)
    s.sendto(msg("/jl/ping"), dst)
    s.settimeout(2.0)
    try:
        print("ping %s" % status_of(s.recvfrom(65536)[0]))
    except socket.timeout:
        print("ping no reply")
    time.sleep(1.2)
    s.sendto(err, dst)
    try:
        s.recvfrom(65536)
        print("later answered")
    except socket.timeout:
        print("later no reply")


main()

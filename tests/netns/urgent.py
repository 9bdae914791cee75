#!/usr/bin/env python3
# Urgent data against wirestack's "server --echo" (tests/netns/tcp_dialog.sh):
# the kernel sends N plain bytes, one byte with MSG_OOB, then a tail; the
# server echoes it all and returns the urgent byte as urgent.  With
# SO_OOBINLINE the kernel receiver keeps the byte in the stream and stops
# each read at the mark, where sockatmark() (SIOCATMARK) is true: that must
# happen after exactly N bytes, and the stream must come back byte-exact.
# Prints "mark at N" and exits 0, or says what went wrong and exits 1.
import fcntl
import select
import socket
import struct
import sys

SIOCATMARK = 0x8905


def atmark(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCATMARK,
                                          b"\0\0\0\0"))[0] != 0


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    plain = bytes((i * 7 + 3) & 0xff for i in range(n))
    tail = b"tail"
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    s.sendall(plain)
    s.send(b"!", socket.MSG_OOB)
    s.sendall(tail)
    s.shutdown(socket.SHUT_WR)
    got = bytearray()
    marks = []
    while True:
        # Only once the next byte is here is its urgent pointer too.
        if not select.select([s], [], [], 20)[0]:
            print("timed out after %d bytes" % len(got))
            return 1
        if atmark(s):
            marks.append(len(got))
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.close()
    want = plain + b"!" + tail
    if bytes(got) != want:
        print("stream differs: got %d bytes, want %d" % (len(got), len(want)))
        return 1
    if marks != [n]:
        print("sockatmark() true at %s, want [%d]" % (marks, n))
        return 1
    print("mark at %d" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())

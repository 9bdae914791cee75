#!/usr/bin/env python3
"""SYN flood for tests/netns/synflood.sh (run as root in a namespace).

    synflood.py DST PORT COUNT [EXCLUDE_PREFIX]

Sends COUNT TCP SYNs to DST:PORT from random spoofed sources in
198.18.0.0/15 (RFC 2544 space), with random ports and ISNs, through a raw
IPv4 socket (IP_HDRINCL: the kernel fills in the IP checksum and ID).
Sources in EXCLUDE_PREFIX (e.g. 198.18.20.0/24, the link itself) are
skipped.  Each SYN carries MSS, SACK-permitted, timestamps and window
scale, like a Linux client's.  Prints "sent N in T s" and exits 0.
"""
import ipaddress
import random
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    dst = sys.argv[1]
    port = int(sys.argv[2])
    count = int(sys.argv[3])
    exclude = ipaddress.ip_network(sys.argv[4] if len(sys.argv) > 4
                                   else "198.18.20.0/24")
    rng = random.Random(4987)
    dst_b = socket.inet_aton(dst)
    # MSS 1460, SACK-permitted, TS, NOP, WS 7 (Linux's SYN layout).
    opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + \
        struct.pack("!BBII", 8, 10, 0, 0) + b"\x01" + \
        struct.pack("!BBB", 3, 3, 7)
    thlen = 20 + len(opts)
    ex_lo = int(exclude.network_address)
    ex_hi = int(exclude.broadcast_address)
    base = int(ipaddress.ip_address("198.18.0.0"))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    t0 = time.monotonic()
    sent = 0
    while sent < count:
        a = base + rng.getrandbits(17)
        if ex_lo <= a <= ex_hi or a & 0xFF in (0, 255):
            continue
        src_b = struct.pack("!I", a)
        sport = rng.randint(1024, 65535)
        seq = rng.getrandbits(32)
        tsval = rng.getrandbits(32)
        o = opts[:8] + struct.pack("!I", tsval) + opts[12:]
        th = struct.pack("!HHIIBBHHH", sport, port, seq, 0,
                         (thlen // 4) << 4, 0x02, 64240, 0, 0) + o
        pseudo = src_b + dst_b + struct.pack("!BBH", 0, 6, thlen)
        c = csum(pseudo + th)
        th = th[:16] + struct.pack("!H", c) + th[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + thlen, 0, 0x4000,
                         64, 6, 0, src_b, dst_b)
        try:
            s.sendto(ip + th, (dst, 0))
        except OSError:
            # ENOBUFS: the device queue is full; give it a moment.
            time.sleep(0.001)
            continue
        sent += 1
    print("sent %d in %.2f s" % (sent, time.monotonic() - t0), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

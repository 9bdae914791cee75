#!/usr/bin/env python3
"""Send a burst of malformed frames at a host, through a raw AF_PACKET socket.

usage: malformed.py IFACE DST_MAC DST_IP SRC_IP [SEED]

Covers every layer wirestack parses: truncated and garbage Ethernet, ARP
with bad lengths/types/opcodes/addresses, IPv4 with bad version, IHL,
lengths, checksums, options and fragments, ICMP with bad lengths and
checksums, TCP with bad offsets, checksums and hostile options, then
seeded random garbage.  Prints how many frames were sent.  The caller
checks that the target still answers afterwards.
"""
import random
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


class Sender:
    def __init__(self, ifname, dst_mac, src_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((ifname, 0))
        self.dst = dst_mac
        self.src = src_mac
        self.sent = 0
        self.refused = 0

    def raw(self, frame):
        try:
            self.sock.send(frame)
            self.sent += 1
        except OSError:
            # The kernel refuses some (e.g. shorter than a header without
            # CAP_SYS_RAWIO); those cannot reach the target anyway.
            self.refused += 1

    def eth(self, ethertype, payload, dst=None):
        self.raw((dst or self.dst) + self.src + struct.pack("!H", ethertype)
                 + payload)


def ip_header(src, dst, proto, payload_len, ihl=5, ver=4, tot=None,
              ttl=64, frag=0, ident=0x1234, options=b"", fix_sum=True,
              sum_value=None):
    tot = tot if tot is not None else ihl * 4 + payload_len
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | (ihl & 0xF), 0,
                    tot & 0xFFFF, ident, frag, ttl, proto, 0, src, dst)
    h += options
    if fix_sum:
        c = csum(h[:max(20, min(len(h), ihl * 4))])
        h = h[:10] + struct.pack("!H", c) + h[12:]
    if sum_value is not None:
        h = h[:10] + struct.pack("!H", sum_value) + h[12:]
    return h


def tcp_segment(src, dst, sport, dport, seq, ack, flags, options=b"",
                payload=b"", doff=None, fix_sum=True):
    optlen = len(options)
    doff = doff if doff is not None else (20 + optlen + 3) // 4
    options = options + b"\0" * ((4 - optlen % 4) % 4)
    th = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (doff & 0xF) << 4,
                     flags, 65535, 0, 0) + options
    seg = th + payload
    if fix_sum:
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
        c = csum(pseudo + seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return seg


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 99
    ifname, dmac, dip, sip = sys.argv[1:5]
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    rnd = random.Random(seed)
    with open("/sys/class/net/%s/address" % ifname) as f:
        smac = mac(f.read().strip())
    s = Sender(ifname, mac(dmac), smac)
    dst, src = ip4(dip), ip4(sip)
    bcast = b"\xff" * 6

    # ---- Ethernet ----
    s.raw(b"")
    s.raw(s.dst)                                   # 6 bytes
    s.raw(s.dst + s.src + b"\x08")                 # 13 bytes
    s.raw(s.dst + s.src + b"\x08\x00")             # header, no payload
    s.raw(s.dst + s.src + b"\x08\x06")             # ARP type, no payload
    s.eth(0x86DD, b"\x60" + b"\0" * 39)            # IPv6: not spoken
    s.eth(0x1234, b"garbage" * 10)
    s.eth(0x8100, b"\0\x01\x08\x00" + b"\x45" * 40)  # VLAN tag
    s.eth(0x0800, b"\x45" * 60, dst=b"\x02\x00\x00\xde\xad\x01")  # not us

    # ---- ARP ----
    def arp(op=1, htype=1, ptype=0x0800, hlen=6, plen=4, sha=None,
            spa=None, tha=b"\0" * 6, tpa=None, trunc=None):
        p = struct.pack("!HHBBH", htype, ptype, hlen, plen, op)
        p += (sha or s.src) + (spa or src) + tha + (tpa or dst)
        return p[:trunc] if trunc is not None else p

    for n in (0, 1, 7, 8, 9, 20, 27):
        s.eth(0x0806, arp(trunc=n), dst=bcast)
    s.eth(0x0806, arp(htype=6), dst=bcast)
    s.eth(0x0806, arp(ptype=0x86DD), dst=bcast)
    s.eth(0x0806, arp(hlen=16), dst=bcast)
    s.eth(0x0806, arp(plen=16), dst=bcast)
    s.eth(0x0806, arp(hlen=0, plen=0), dst=bcast)
    s.eth(0x0806, arp(op=0), dst=bcast)
    s.eth(0x0806, arp(op=9), dst=bcast)
    s.eth(0x0806, arp(sha=bcast), dst=bcast)        # broadcast sender
    s.eth(0x0806, arp(sha=b"\x01\0\x5e\0\0\1"), dst=bcast)  # multicast
    s.eth(0x0806, arp(spa=dst), dst=bcast)          # claims its address
    s.eth(0x0806, arp(spa=b"\xff\xff\xff\xff"), dst=bcast)
    s.eth(0x0806, arp(spa=b"\0\0\0\0", tpa=ip4("198.18.99.99")),
          dst=bcast)
    s.eth(0x0806, arp(op=2, tpa=dst))               # unsolicited reply
    s.eth(0x0806, arp() + b"\xee" * 100, dst=bcast)  # trailing bytes

    # ---- IPv4 ----
    icmp_echo = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"x" * 32
    icmp_echo = icmp_echo[:2] + struct.pack("!H", csum(icmp_echo)) + \
        icmp_echo[4:]
    good = ip_header(src, dst, 1, len(icmp_echo)) + icmp_echo
    for n in (1, 10, 19):
        s.eth(0x0800, good[:n])                     # truncated header
    s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), ver=6) + icmp_echo)
    for ihl in (0, 1, 4):
        s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), ihl=ihl)
              + icmp_echo)
    s.eth(0x0800, ip_header(src, dst, 1, 0, ihl=15, tot=60))  # IHL > frame
    s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), tot=2000)
          + icmp_echo)                              # total > frame
    s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), tot=12)
          + icmp_echo)                              # total < header
    s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), tot=0)
          + icmp_echo)
    s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), sum_value=0xBEEF)
          + icmp_echo)                              # bad checksum
    # Malformed options: length 0, length 1, running past the header.
    for opts in (b"\x07\x00\x00\x00", b"\x83\x01\x00\x00",
                 b"\x44\x28\x05\x00", b"\x07\x27\x04" + b"\0" * 5,
                 b"\x94\x04\x00\x00" + b"\x01" * 36):
        ihl = 5 + len(opts) // 4
        s.eth(0x0800, ip_header(src, dst, 1, len(icmp_echo), ihl=ihl,
                                options=opts) + icmp_echo)
    # Martian sources and odd destinations.
    for bad_src in ("0.0.0.0", "127.0.0.1", "255.255.255.255", "224.0.0.1",
                    "240.0.0.1", dip):
        s.eth(0x0800, ip_header(ip4(bad_src), dst, 1, len(icmp_echo))
              + icmp_echo)
    s.eth(0x0800, ip_header(src, ip4("198.18.99.99"), 1, len(icmp_echo))
          + icmp_echo)                              # not for it
    s.eth(0x0800, ip_header(src, dst, 253, 8) + b"\0" * 8)  # no protocol
    s.eth(0x0800, ip_header(src, dst, 17, 8) + b"\0" * 8)   # UDP
    # Fragments: tiny, overlapping, beyond 64 KiB, never completed.
    MF = 0x2000
    payload = icmp_echo + b"y" * 64
    s.eth(0x0800, ip_header(src, dst, 1, 8, frag=MF, ident=7) + payload[:8])
    s.eth(0x0800, ip_header(src, dst, 1, 16, frag=0, ident=7) +
          payload[:16])                             # 'last' overlapping
    s.eth(0x0800, ip_header(src, dst, 1, 16, frag=MF | 1, ident=8)
          + payload[8:24])
    s.eth(0x0800, ip_header(src, dst, 1, 16, frag=MF | 0, ident=8)
          + payload[:16])                           # overlaps the first
    s.eth(0x0800, ip_header(src, dst, 1, 64, frag=0x1FFF, ident=9)
          + b"z" * 64)                              # ends past 65535
    s.eth(0x0800, ip_header(src, dst, 1, 7, frag=MF, ident=10)
          + b"z" * 7)                               # MF but not 8-aligned
    for i in range(40):                             # many never finished
        s.eth(0x0800, ip_header(src, dst, 1, 8, frag=MF | (i * 3 + 1),
                                ident=1000 + i) + b"q" * 8)

    # ---- ICMP ----
    for n in (0, 1, 3, 7):
        s.eth(0x0800, ip_header(src, dst, 1, n) + icmp_echo[:n])
    bad = icmp_echo[:2] + b"\xde\xad" + icmp_echo[4:]
    s.eth(0x0800, ip_header(src, dst, 1, len(bad)) + bad)
    for t, c in ((3, 3), (3, 4), (11, 0), (5, 1), (42, 0), (8, 9)):
        m = struct.pack("!BBHI", t, c, 0, 0) + good[:20] + b"\0" * 4
        m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
        s.eth(0x0800, ip_header(src, dst, 1, len(m)) + m)
    # An ICMP error quoting a TCP header with a truncated quote.
    m = struct.pack("!BBHI", 3, 3, 0, 0) + good[:20][:12]
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    s.eth(0x0800, ip_header(src, dst, 1, len(m)) + m)

    # ---- TCP ----
    def tcp(dport=8080, flags=0x02, options=b"", payload=b"", doff=None,
            fix_sum=True, seg=None):
        seg = seg if seg is not None else tcp_segment(
            src, dst, 40000 + rnd.randrange(1000), dport,
            rnd.getrandbits(32), 0, flags, options, payload, doff, fix_sum)
        s.eth(0x0800, ip_header(src, dst, 6, len(seg)) + seg)

    for n in (0, 1, 12, 19):
        s.eth(0x0800, ip_header(src, dst, 6, n) + b"\0" * n)
    tcp(doff=0)
    tcp(doff=4)
    tcp(doff=15)                                    # beyond the segment
    tcp(fix_sum=False, flags=0x02)                  # checksum 0
    hostile = [
        b"\x02\x04",                                # MSS too short
        b"\x02\x00\x05\xb4",                        # length 0
        b"\x02\x01\x05\xb4",                        # length 1
        b"\x02\x04\x00\x00",                        # MSS 0
        b"\x03\x03\xff",                            # wscale 255
        b"\x03\x02",                                # wscale short
        b"\x04\x03\x00",                            # SACK-permitted bad len
        b"\x05\x03\x00",                            # SACK, bad length
        b"\x05\x0b" + b"\xaa" * 9,                  # SACK, not 8n+2
        b"\x05\x22" + b"\xbb" * 32,                 # SACK past header end
        b"\x08\x09" + b"\0" * 7,                    # timestamps short
        b"\x08\xff" + b"\0" * 8,                    # past the end
        b"\xfe\x28" + b"\0" * 38,                   # 40 bytes, unknown
        b"\x01" * 39 + b"\x02",                     # NOPs, then kind alone
        b"\x00\x02\x04\x05\xb4",                    # EOL then junk
        bytes(rnd.getrandbits(8) for _ in range(40)),
    ]
    for opts in hostile:
        for flags in (0x02, 0x10, 0x12, 0x18):
            tcp(flags=flags, options=opts[:40])
    for flags in (0x03, 0x07, 0x3F, 0xFF, 0x00, 0x01, 0x04, 0x20, 0x29):
        tcp(flags=flags, payload=b"p" * 10)         # odd flag sets
        tcp(dport=9, flags=flags)                   # closed port
    tcp(flags=0x02, payload=b"data on a SYN" * 20)
    # A SYN from a broadcast source address.
    seg = tcp_segment(ip4("255.255.255.255"), dst, 1, 8080, 1, 0, 0x02)
    s.eth(0x0800, ip_header(ip4("255.255.255.255"), dst, 6, len(seg)) + seg)

    # ---- Seeded garbage behind valid-looking headers ----
    for i in range(300):
        n = rnd.randrange(0, 120)
        body = bytes(rnd.getrandbits(8) for _ in range(n))
        kind = i % 4
        if kind == 0:
            s.eth(0x0800, body)
        elif kind == 1:
            s.eth(0x0806, body, dst=bcast)
        elif kind == 2:
            s.eth(0x0800, ip_header(src, dst, 6, len(body)) + body)
        else:
            s.eth(0x0800, ip_header(src, dst, rnd.choice((1, 6)),
                                    len(body)) + body)

    print("sent %d malformed frames (%d refused by the kernel)"
          % (s.sent, s.refused))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Write the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

    tests/fuzz/mkcorpus.py CAPTURE.pcap [OUTDIR]

CAPTURE.pcap is an Ethernet capture of a real conversation.  The one the
repository's seeds came from was taken with tcpdump on a veth between two
throwaway network namespaces (198.18.200.1 and .2, Linux 6.x): ARP, a
handshake, 6000 bytes, FIN both ways, ping with and without
fragmentation, and a SYN answered by RST.  Every IPv4 frame in it gives
a seed to each parser target, and a seed to the whole-stack target that
replays it (retargeted to the stack's connection) in several states.  The
stack target also gets hand-written step programs per scenario (see the
op encoding in fuzz_stack.c).
"""
import hashlib
import os
import struct
import sys

# Scenario numbers and selector bits of fuzz_stack.c.
SC = dict(LISTEN=0, SYN_SENT=1, SYN_RECEIVED=2, ESTABLISHED=3, INFLIGHT=4,
          CLOSE_WAIT=5, LAST_ACK=6, FIN_WAIT_1=7, FIN_WAIT_2=8, CLOSING=9,
          TIME_WAIT=10, ZEROWIN=11)
SEL_SERVER, SEL_IPMEDIUM, SEL_SMALLBUF, SEL_NOOPTS = 0x10, 0x20, 0x40, 0x80
OP_TCP, OP_FRAG, OP_ICMP, OP_ARP, OP_RAW, OP_TIME, OP_PEER = 0, 5, 6, 7, 8, 10, 12
OP_APP_A, OP_APP_B = 13, 15
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20


def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    if linktype != 1:
        sys.exit('%s: not an Ethernet capture' % path)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        off += 16
        yield data[off:off + incl]
        off += incl


def tcp(mode=0, flags=ACK, omode=0, win=0xffff, dseq=0, dack=0, plen=0,
        extra=b''):
    """An OP_TCP step: see build_tcp() (mode 0: seq rcv_nxt + dseq, ack
    snd_una + dack, the connection's ports)."""
    return (bytes([OP_TCP, mode, flags, omode]) +
            struct.pack('>Hhh', win, dseq, dack) + extra + bytes([plen]))


def raw(frame, sel=0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x40):
    return bytes([OP_RAW, sel]) + struct.pack('>H', len(frame)) + frame


def stack_programs():
    """Hand-written step programs, one or more per scenario."""
    progs = {}
    ack_all = tcp(mode=0x04)                     # ack = snd_max
    data = tcp(flags=PSH | ACK, plen=200)
    fin = tcp(mode=0x04, flags=FIN | ACK)
    rst = tcp(flags=RST)
    next_deadline = bytes([OP_TIME, 2])
    peer = bytes([OP_PEER, 20])
    # SACK for [snd_una + 1000, + 1448): omode 2 | SACK bit.
    sack = tcp(omode=0x02 | 0x40,
               extra=bytes([0]) + struct.pack('>HH', 1000, 1448))
    needfrag = bytes([OP_ICMP, 0x08, 4]) + struct.pack('>Hh', 576, 0)
    for name, sc in SC.items():
        for variant, sel in (('client', 0), ('server', SEL_SERVER),
                             ('other', SEL_IPMEDIUM | SEL_SMALLBUF |
                              SEL_NOOPTS | (SEL_SERVER if sc % 2 else 0))):
            s = bytes([sc | sel])
            progs['%s-%s-ack' % (name, variant)] = (
                s + ack_all + data + next_deadline + peer)
            if variant != 'other':
                progs['%s-%s-fin' % (name, variant)] = (
                    s + data + fin + next_deadline + bytes([OP_TIME, 5]))
                progs['%s-%s-sack' % (name, variant)] = (
                    s + sack + sack + sack + needfrag + next_deadline + peer)
        progs['%s-rst' % name] = (bytes([sc]) + rst +
                                  bytes([OP_APP_A, 0x0b]) + peer)
    # A SYN to the listener with Linux's options, then a fragmented ACK.
    syn = tcp(mode=0x13, flags=SYN, omode=0x02 | 0x04 | 0x08 | 0x10 | 0x20,
              extra=struct.pack('>IH', 1000, 40000) +
              struct.pack('>HBH', 1460, 7, 0))
    progs['LISTEN-syn'] = bytes([SC['LISTEN']]) + syn + next_deadline
    frag = (bytes([OP_FRAG]) + tcp(flags=PSH | ACK, plen=250)[1:] +
            bytes([2, 0, 15, 0, 16, 15, 0, 32, 0, 1]))
    progs['ESTABLISHED-frag'] = bytes([SC['ESTABLISHED'] | SEL_SERVER]) + frag
    progs['ESTABLISHED-arp'] = (bytes([SC['ESTABLISHED']]) +
                                bytes([OP_ARP, 0x02, 0x00, OP_ARP, 0x03, 0x00,
                                       OP_ARP, 0x12, 0x02]) + data)
    return progs


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus')
    seeds = {t: {} for t in ('ether_wire', 'arp_wire', 'ip4_wire',
                             'tcp_wire', 'stack')}

    kinds = set()

    def add(target, name, blob):
        # One seed per kind of frame (and program) is enough to start.
        if (target, name) in kinds:
            return
        kinds.add((target, name))
        h = hashlib.sha1(blob).hexdigest()[:8]
        seeds[target]['%s-%s' % (name, h)] = blob

    for i, frame in enumerate(read_pcap(sys.argv[1])):
        etype = struct.unpack('>H', frame[12:14])[0]
        if etype == 0x0806:
            kind = 'arp-%d' % struct.unpack('>H', frame[20:22])[0]
            add('ether_wire', kind, frame)
            add('arp_wire', kind, frame[14:])
            add('stack', kind, bytes([SC['ESTABLISHED']]) + raw(frame, 0x1))
            continue
        if etype != 0x0800:
            continue    # IPv6 chatter of the namespaces
        ip = frame[14:]
        hlen = (ip[0] & 0x0f) * 4
        proto = ip[9]
        frag = struct.unpack('>H', ip[6:8])[0] & 0x3fff
        kind = {1: 'icmp', 6: 'tcp'}.get(proto, 'ip')
        if frag:
            kind += '-frag'
        elif proto == 6:
            kind += '-' + ''.join(c for c, b in zip('FSRPAU', (1, 2, 4, 8, 16, 32))
                                  if ip[hlen + 13] & b)
        add('ether_wire', kind, frame[:64])
        add('ip4_wire', kind, bytes([0]) + ip)
        if proto == 1 and not frag:
            add('ip4_wire', kind + '-bare', bytes([0x04]) + ip[hlen:])
        if proto == 6 and not frag:
            add('tcp_wire', kind, ip[12:20] + ip[hlen:])
            for sc in ('LISTEN', 'INFLIGHT', 'LAST_ACK'):
                add('stack', '%s-%s' % (sc, kind),
                    bytes([SC[sc] | SEL_SERVER]) + raw(frame) +
                    bytes([OP_TIME, 2]))
        elif frag or proto == 1:
            add('stack', kind, bytes([SC['ESTABLISHED']]) + raw(frame, 0x1b))
    for name, blob in stack_programs().items():
        add('stack', name, blob)

    for target, files in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, blob in files.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(blob)
        print('%s: %d seeds' % (target, len(files)))


if __name__ == '__main__':
    main()

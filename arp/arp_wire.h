/*
 * ARP packets for Ethernet/IPv4 (RFC 826): parse and emit over byte
 * buffers (after smoltcp src/wire/arp.rs).  No stack types, so a fuzzer
 * can link this file alone.
 *
 *	 0       2       4   5   6       8            14      18           24      28
 *	+-------+-------+---+---+-------+------------+-------+------------+-------+
 *	| htype | ptype |hln|pln|  op   | sender MAC | s. IP | target MAC | t. IP |
 *	+-------+-------+---+---+-------+------------+-------+------------+-------+
 *
 * Only htype 1 (Ethernet), ptype 0x0800 (IPv4), hlen 6 and plen 4 are
 * accepted, so the packet is exactly 28 bytes; anything after that (the
 * padding of a minimum-size Ethernet frame) is ignored.
 */
#ifndef WS_ARP_ARP_WIRE_H
#define WS_ARP_ARP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define ARP_HTYPE_ETHER 1
#define ARP_PTYPE_IPV4 0x0800
#define ARP_HLEN_ETHER 6
#define ARP_PLEN_IPV4 4

#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

/* The fixed part (htype .. op) and the whole Ethernet/IPv4 packet. */
#define ARP_FIXED_LEN 8
#define ARP_ETHER_IPV4_LEN 28

/* Field offsets. */
#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN 4
#define ARP_OFF_PLEN 5
#define ARP_OFF_OP 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24

/* An Ethernet/IPv4 ARP packet; addresses in host order. */
struct arp_repr {
	uint16_t op;        /* ARP_OP_REQUEST or ARP_OP_REPLY */
	uint8_t sha[6];     /* sender hardware address */
	uint32_t spa;       /* sender protocol address */
	uint8_t tha[6];     /* target hardware address */
	uint32_t tpa;       /* target protocol address */
};

/* Parse errors; each reason has its own code. */
#define ARP_WIRE_ESHORT (-1)   /* truncated */
#define ARP_WIRE_EHTYPE (-2)   /* hardware type is not Ethernet */
#define ARP_WIRE_EPTYPE (-3)   /* protocol type is not IPv4 */
#define ARP_WIRE_EHLEN (-4)    /* hardware address length is not 6 */
#define ARP_WIRE_EPLEN (-5)    /* protocol address length is not 4 */
#define ARP_WIRE_EOP (-6)      /* neither request nor reply */

/*
 * Parse an ARP packet (the Ethernet payload).  Returns 0 and fills r, or
 * an ARP_WIRE_E* code.  Never reads past len.
 */
int arp_wire_parse(const uint8_t *buf, size_t len, struct arp_repr *r);

/*
 * Write r into buf.  Returns ARP_ETHER_IPV4_LEN, or 0 if len is too
 * small (nothing written).
 */
size_t arp_wire_emit(const struct arp_repr *r, uint8_t *buf, size_t len);

/* A short name for a parse error code. */
const char *arp_wire_strerror(int error);

#endif /* WS_ARP_ARP_WIRE_H */

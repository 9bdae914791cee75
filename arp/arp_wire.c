/*
 * ARP packet parse/emit.  See arp_wire.h.
 */
#include "config.h"

#include <string.h>

#include "arp/arp_wire.h"
#include "core/endian.h"

int
arp_wire_parse(const uint8_t *buf, size_t len, struct arp_repr *r)
{
	uint16_t op;

	/*
	 * Check the fixed part first: the address lengths it declares say
	 * how long the rest must be, and we only speak Ethernet/IPv4.
	 */
	if (len < ARP_FIXED_LEN)
		return ARP_WIRE_ESHORT;
	if (be16_load(buf + ARP_OFF_HTYPE) != ARP_HTYPE_ETHER)
		return ARP_WIRE_EHTYPE;
	if (be16_load(buf + ARP_OFF_PTYPE) != ARP_PTYPE_IPV4)
		return ARP_WIRE_EPTYPE;
	if (buf[ARP_OFF_HLEN] != ARP_HLEN_ETHER)
		return ARP_WIRE_EHLEN;
	if (buf[ARP_OFF_PLEN] != ARP_PLEN_IPV4)
		return ARP_WIRE_EPLEN;
	if (len < ARP_ETHER_IPV4_LEN)
		return ARP_WIRE_ESHORT;
	/*
	 * RFC 826 defines 1 and 2; RARP (3, 4, RFC 903) and InARP (8, 9,
	 * RFC 2390) use other EtherTypes or do not apply to us.
	 */
	op = be16_load(buf + ARP_OFF_OP);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return ARP_WIRE_EOP;
	r->op = op;
	memcpy(r->sha, buf + ARP_OFF_SHA, 6);
	r->spa = be32_load(buf + ARP_OFF_SPA);
	memcpy(r->tha, buf + ARP_OFF_THA, 6);
	r->tpa = be32_load(buf + ARP_OFF_TPA);
	return 0;
}

size_t
arp_wire_emit(const struct arp_repr *r, uint8_t *buf, size_t len)
{
	if (len < ARP_ETHER_IPV4_LEN)
		return 0;
	be16_store(buf + ARP_OFF_HTYPE, ARP_HTYPE_ETHER);
	be16_store(buf + ARP_OFF_PTYPE, ARP_PTYPE_IPV4);
	buf[ARP_OFF_HLEN] = ARP_HLEN_ETHER;
	buf[ARP_OFF_PLEN] = ARP_PLEN_IPV4;
	be16_store(buf + ARP_OFF_OP, r->op);
	memcpy(buf + ARP_OFF_SHA, r->sha, 6);
	be32_store(buf + ARP_OFF_SPA, r->spa);
	memcpy(buf + ARP_OFF_THA, r->tha, 6);
	be32_store(buf + ARP_OFF_TPA, r->tpa);
	return ARP_ETHER_IPV4_LEN;
}

const char *
arp_wire_strerror(int error)
{
	switch (error) {
	case 0:
		return "ok";
	case ARP_WIRE_ESHORT:
		return "short";
	case ARP_WIRE_EHTYPE:
		return "hardware type";
	case ARP_WIRE_EPTYPE:
		return "protocol type";
	case ARP_WIRE_EHLEN:
		return "hardware address length";
	case ARP_WIRE_EPLEN:
		return "protocol address length";
	case ARP_WIRE_EOP:
		return "opcode";
	default:
		return "unknown";
	}
}

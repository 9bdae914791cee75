/*
 * The Ethernet layer inside the stack: demultiplex received frames to ARP
 * and IPv4, and prepend our header to outgoing ones.  Only used when the
 * device's medium is WS_MEDIUM_ETHERNET; on an IP medium the stack hands
 * frames straight to ip4_input() and ip4_output() to stack_xmit().
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "arp/arp_var.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "link/ether_wire.h"
#include "link/link_var.h"

void
ether_input(struct ws_stack *st, struct pkt *p)
{
	struct ether_repr eh;
	int error;

	if (st->link->medium != WS_MEDIUM_ETHERNET) {
		/* Not reached through stack.c; never parse a bare datagram. */
		pkt_free(st, p);
		return;
	}
	STAT_INC(st, ether, ipackets);
	error = ether_wire_parse(p->data, p->len, &eh);
	switch (error) {
	case 0:
		break;
	case ETHER_WIRE_ESHORT:
		STAT_INC(st, ether, tooshort);
		goto drop;
	case ETHER_WIRE_ESRC:
		STAT_INC(st, ether, badsrc);
		goto drop;
	default:
		/* 802.3 length field: an LLC frame, nothing we speak. */
		STAT_INC(st, ether, unknowntype);
		goto drop;
	}
	/*
	 * Accept frames for our MAC and broadcasts only: we join no
	 * multicast groups.  The capture may be promiscuous (a MAC of our
	 * own on a shared interface), so this check is not redundant.
	 */
	if (!ether_addr_eq(eh.dst, st->hwaddr) &&
	    !ether_addr_is_broadcast(eh.dst)) {
		STAT_INC(st, ether, notforus);
		goto drop;
	}
	/*
	 * A capture sees what we inject too (libpcap on an interface that
	 * we also write to); our own broadcasts must not come back as
	 * someone else's, or ARP would see its own address claimed.
	 */
	if (ether_addr_eq(eh.src, st->hwaddr)) {
		STAT_INC(st, ether, ownsrc);
		goto drop;
	}
	switch (eh.type) {
	case ETHERTYPE_ARP:
		pkt_pull(p, ETHER_HDR_LEN);
		arp_input(st, p);
		return;
	case ETHERTYPE_IPV4:
		pkt_pull(p, ETHER_HDR_LEN);
		ip4_input(st, p);
		return;
	default:
		STAT_INC(st, ether, unknowntype);
		goto drop;
	}
drop:
	pkt_free(st, p);
}

int
ether_output(struct ws_stack *st, struct pkt *p, const uint8_t dst[6],
    uint16_t ethertype)
{
	struct ether_repr eh;
	uint8_t *h;

	if (st->link->medium != WS_MEDIUM_ETHERNET) {
		/* A bare-IP device cannot carry an Ethernet header. */
		STAT_INC(st, ether, odropped);
		pkt_free(st, p);
		return WS_EOPNOTSUPP;
	}
	if ((h = pkt_push(p, ETHER_HDR_LEN)) == NULL) {
		STAT_INC(st, ether, odropped);
		pkt_free(st, p);
		return WS_ENOBUFS;
	}
	memcpy(eh.dst, dst, ETHER_ADDR_LEN);
	memcpy(eh.src, st->hwaddr, ETHER_ADDR_LEN);
	eh.type = ethertype;
	ether_wire_emit(&eh, h, ETHER_HDR_LEN);
	STAT_INC(st, ether, opackets);
	stack_xmit(st, p);
	return 0;
}

/*
 * IPv4 output (RFC 791 3.2, RFC 1122 3.3.1): header, route, fragment.
 *
 * Routing is that of a host with one interface (RFC 1122 3.3.1.1):
 * on-link destinations are sent to directly, everything else through the
 * one default gateway.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "arp/arp_var.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "ipv4/ip4_wire.h"
#include "link/link_var.h"

uint32_t
ip4_maxpayload(const struct ws_stack *st)
{
	uint32_t mtu = st->link->mtu;

	return mtu > IP4_HDR_MIN ? mtu - IP4_HDR_MIN : 0;
}

uint32_t
ip4_gso_maxpayload(const struct ws_stack *st)
{
	uint32_t max = st->link->gso_max;

	return max > st->link->mtu ? max - IP4_HDR_MIN : 0;
}

/*
 * Choose the next hop for dst.  Returns 0 or WS_ENETUNREACH.
 */
static int
ip4_route(const struct ws_stack *st, uint32_t dst, uint32_t *nexthop)
{
	if (dst == IP4_ADDR_ANY ||
	    (IP4_IN_EXPERIMENTAL(dst) && dst != IP4_ADDR_BROADCAST))
		return WS_ENETUNREACH;
	/* RFC 1122 3.2.1.3(g): 127/8 never leaves a host. */
	if (IP4_IN_LOOPBACK(dst) && !IP4_IN_LOOPBACK(st->addr))
		return WS_ENETUNREACH;
	/*
	 * Our own address: on an IP medium (loopback mode) the device
	 * carries it to the kernel, which shares it; on Ethernet there is
	 * nobody to send it to.
	 */
	if (dst == st->addr && st->link->medium == WS_MEDIUM_ETHERNET)
		return WS_ENETUNREACH;
	if (dst == IP4_ADDR_BROADCAST || IP4_IN_MULTICAST(dst) ||
	    stack_onlink(st, dst)) {
		*nexthop = dst;
		return 0;
	}
	if (st->gateway != 0) {
		*nexthop = st->gateway;
		return 0;
	}
	return WS_ENETUNREACH;
}

void
ip4_negative_advice(struct ws_stack *st, uint32_t dst)
{
	uint32_t nexthop;

	if (st->link->medium != WS_MEDIUM_ETHERNET ||
	    ip4_route(st, dst, &nexthop) != 0)
		return;
	arp_advise(st, nexthop);
}

/* Hand one finished datagram (p at the IP header) to the link.  Consumes p. */
static int
ip4_xmit(struct ws_stack *st, struct pkt *p, uint32_t dst, uint32_t nexthop)
{
	uint8_t mac[6];

	if (st->link->medium != WS_MEDIUM_ETHERNET) {
		stack_xmit(st, p);
		return 0;
	}
	if (ip4_is_bcast_mcast(st, dst)) {
		if (IP4_IN_MULTICAST(dst)) {
			/* RFC 1112 6.4: 01:00:5e and the low 23 bits. */
			mac[0] = 0x01;
			mac[1] = 0x00;
			mac[2] = 0x5e;
			mac[3] = (uint8_t)((dst >> 16) & 0x7f);
			mac[4] = (uint8_t)(dst >> 8);
			mac[5] = (uint8_t)dst;
		} else
			memset(mac, 0xff, sizeof(mac));
		return ether_output(st, p, mac, ETHERTYPE_IPV4);
	}
	return arp_output(st, p, nexthop);
}

/*
 * RFC 791 3.2 "An Example Fragmentation Procedure": cut the payload into
 * pieces of a multiple of 8 bytes that fit the MTU, each with a copy of
 * the header.  All fragments are built before any is sent, so that
 * running out of memory sends nothing rather than an incomplete datagram.
 * Consumes p (the payload, without IP header).
 */
static int
ip4_fragment(struct ws_stack *st, struct pkt *p, struct ip4_hdr *h,
    uint32_t nexthop)
{
	struct pktq q;
	struct pkt *f;
	size_t maxdata, off, n;
	int error = 0, sent = 0;

	pktq_init(&q);
	maxdata = (ip4_maxpayload(st) / 8) * 8;
	if (maxdata == 0) {
		STAT_INC(st, ip4, toolong);
		pkt_free(st, p);
		return WS_EMSGSIZE;
	}
	for (off = 0; off < p->len; off += n) {
		uint8_t *b;

		n = p->len - off < maxdata ? p->len - off : maxdata;
		f = pkt_alloc(st, n);
		if (f == NULL) {
			STAT_INC(st, ip4, odropped);
			pktq_purge(st, &q);
			pkt_free(st, p);
			return WS_ENOMEM;
		}
		memcpy(f->data, p->data + off, n);
		h->total_len = (uint16_t)(IP4_HDR_MIN + n);
		h->frag = (uint16_t)(off / 8);
		if (off + n < p->len)
			h->frag |= IP4_MF;
		b = pkt_push(f, IP4_HDR_MIN);
		ip4_hdr_emit(h, b, IP4_HDR_MIN);
		pktq_push(&q, f);
	}
	pkt_free(st, p);
	STAT_INC(st, ip4, localout);
	STAT_INC(st, ip4, fragmented);
	while ((f = pktq_pop(&q)) != NULL) {
		int e;

		STAT_INC(st, ip4, ofragments);
		e = ip4_xmit(st, f, h->dst, nexthop);
		if (e != 0 && error == 0)
			error = e;
		else if (e == 0)
			sent++;
	}
	/* Once any fragment went out, the datagram is the peer's to lose. */
	return sent > 0 ? 0 : error;
}

int
ip4_output(struct ws_stack *st, struct pkt *p, const struct ip4_out *o)
{
	struct ip4_softc *sc = st->ip4;
	struct ip4_hdr h;
	uint32_t nexthop = 0;
	uint8_t *b;
	int error;

	if (p->len > IP4_MAXPACKET - IP4_HDR_MIN) {
		STAT_INC(st, ip4, toolong);
		error = WS_EMSGSIZE;
		goto drop;
	}
	if ((error = ip4_route(st, o->dst, &nexthop)) != 0) {
		STAT_INC(st, ip4, noroute);
		goto drop;
	}
	memset(&h, 0, sizeof(h));
	h.hlen = IP4_HDR_MIN;
	h.tos = o->tos;
	h.total_len = (uint16_t)(IP4_HDR_MIN + p->len);
	/*
	 * RFC 6864 allows any identification on atomic datagrams (DF set);
	 * a counter is cheap and keeps captures readable.
	 */
	h.id = sc->ip_id++;
	h.frag = o->df ? IP4_DF : 0;
	/*
	 * A TCP super-segment is cut to the MTU below us (the device's
	 * segmentation offload); each segment takes the next ID.
	 */
	if (p->gso_size != 0) {
		if (!o->df || o->proto != IPPROTO_TCP_ ||
		    h.total_len > st->link->gso_max) {
			STAT_INC(st, ip4, toolong);
			error = WS_EMSGSIZE;
			goto drop;
		}
		sc->ip_id = (uint16_t)(sc->ip_id + p->len / p->gso_size);
	}
	h.ttl = o->ttl != 0 ? o->ttl : IP4_DEFAULT_TTL;
	h.proto = o->proto;
	h.src = o->src != 0 ? o->src : st->addr;
	h.dst = o->dst;

	if (h.total_len > st->link->mtu && p->gso_size == 0) {
		if (o->df) {
			STAT_INC(st, ip4, toolong);
			error = WS_EMSGSIZE;
			goto drop;
		}
		return ip4_fragment(st, p, &h, nexthop);
	}
	if ((b = pkt_push(p, IP4_HDR_MIN)) == NULL) {
		STAT_INC(st, ip4, odropped);
		error = WS_ENOBUFS;
		goto drop;
	}
	ip4_hdr_emit(&h, b, IP4_HDR_MIN);
	STAT_INC(st, ip4, localout);
	return ip4_xmit(st, p, h.dst, nexthop);
drop:
	pkt_free(st, p);
	return error;
}

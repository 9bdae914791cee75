/*
 * IPv4 input (RFC 791, RFC 1122 3.2.1): validation, address checks,
 * reassembly and delivery to ICMP or TCP.  Also the layer's state and
 * timers.
 *
 * The input path returns nothing: every datagram is either delivered or
 * dropped and counted under exactly one reason in stats.ip4.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "ipv4/ip4_wire.h"
#include "tcp/tcp_var.h"

int
ip4_attach(struct ws_stack *st)
{
	struct ip4_softc *sc;

	sc = ws_calloc(st, 1, sizeof(*sc));
	if (sc == NULL)
		return WS_ENOMEM;
	/*
	 * A random first identification, so that datagrams of successive
	 * runs (or stacks) do not collide in a peer's reassembly queue.
	 */
	sc->ip_id = (uint16_t)ws_random32(st);
	/* The ICMP bucket starts full: one second's worth of messages. */
	sc->icmp_tokens = (uint64_t)st->cfg.icmp_rate * WS_USEC_PER_SEC;
	sc->icmp_last = st->now;
	st->ip4 = sc;
	return 0;
}

void
ip4_detach(struct ws_stack *st)
{
	if (st->ip4 == NULL)
		return;
	ip4_reass_drain(st);
	ws_free(st, st->ip4);
	st->ip4 = NULL;
}

/* Our subnet's directed broadcast address, or 0 if the prefix has none. */
static uint32_t
subnet_bcast(const struct ws_stack *st)
{
	/* RFC 3021: /31 and /32 have no broadcast address. */
	if (~st->netmask <= 1)
		return 0;
	return st->addr | ~st->netmask;
}

bool
ip4_is_bcast_mcast(const struct ws_stack *st, uint32_t addr)
{
	uint32_t bcast = subnet_bcast(st);

	return addr == IP4_ADDR_BROADCAST || IP4_IN_MULTICAST(addr) ||
	    (bcast != 0 && addr == bcast);
}

bool
ip4_martian_src(const struct ws_stack *st, uint32_t src)
{
	/*
	 * RFC 1122 3.2.1.3: 0.0.0.0 is only a source while a host learns
	 * its address (BOOTP/DHCP, which we do not do); 127/8 must never
	 * appear outside a host, except that in loopback mode our own
	 * address is in 127/8 and so is the kernel's; broadcast (limited or
	 * directed), multicast and class E are never sources.
	 */
	if (src == IP4_ADDR_ANY)
		return true;
	if (IP4_IN_LOOPBACK(src) && !IP4_IN_LOOPBACK(st->addr))
		return true;
	if (IP4_IN_EXPERIMENTAL(src) || ip4_is_bcast_mcast(st, src))
		return true;
	/*
	 * On Ethernet a datagram "from" our own address is a loop or a
	 * spoof.  On an IP medium (raw sockets) the kernel may legitimately
	 * share our address.
	 */
	if (src == st->addr && st->link->medium == WS_MEDIUM_ETHERNET)
		return true;
	return false;
}

/* Count a header the wire parser rejected under its own reason. */
static void
count_parse_error(struct ws_stack *st, int error)
{
	switch (error) {
	case IP4_WIRE_TOOSHORT:
		STAT_INC(st, ip4, tooshort);
		break;
	case IP4_WIRE_BADVERS:
		STAT_INC(st, ip4, badvers);
		break;
	case IP4_WIRE_BADHLEN:
		STAT_INC(st, ip4, badhlen);
		break;
	case IP4_WIRE_BADLEN:
		STAT_INC(st, ip4, badlen);
		break;
	case IP4_WIRE_BADSUM:
		STAT_INC(st, ip4, badsum);
		break;
	default:
		STAT_INC(st, ip4, badoptions);
		break;
	}
}

void
ip4_input(struct ws_stack *st, struct pkt *p)
{
	struct ip4_hdr h;
	int error;

	STAT_INC(st, ip4, total);
	error = ip4_hdr_parse(&h, p->data, p->len);
	if (error != IP4_WIRE_OK) {
		count_parse_error(st, error);
		ws_log(st, WS_LOG_DEBUG, "ip4: drop: %s",
		    ip4_wire_strerror(error));
		goto drop;
	}
	/* Link padding past the total length is not part of the datagram. */
	pkt_trim(p, h.total_len);

	/*
	 * Source routing lets a sender choose the path our replies take,
	 * which defeats address-based trust; like Linux's default
	 * (accept_source_route = 0) we take no part in it.  RFC 1122
	 * 3.3.5 lets a host drop such datagrams.
	 */
	if (h.opts != NULL &&
	    (ip4_opts_find(h.opts, h.hlen - IP4_HDR_MIN, IP4_OPT_LSRR) >= 0 ||
	    ip4_opts_find(h.opts, h.hlen - IP4_HDR_MIN, IP4_OPT_SSRR) >= 0)) {
		STAT_INC(st, ip4, srcroute);
		goto drop;
	}
	if (ip4_martian_src(st, h.src)) {
		STAT_INC(st, ip4, badaddr);
		goto drop;
	}
	if (h.dst != st->addr) {
		/*
		 * We are a host, not a router (RFC 1122 3.3.1.1 "silently
		 * discard").  Broadcast and multicast are not for us either:
		 * TCP must not accept them (RFC 1122 4.2.3.10) and answering
		 * broadcast echo requests is optional (3.2.2.6), and a
		 * smurf amplifier when done.
		 */
		if (h.dst == IP4_ADDR_ANY ||
		    (IP4_IN_LOOPBACK(h.dst) && !IP4_IN_LOOPBACK(st->addr)))
			STAT_INC(st, ip4, badaddr);
		else
			STAT_INC(st, ip4, notforus);
		goto drop;
	}

	if (ip4_is_fragment(&h)) {
		STAT_INC(st, ip4, fragments);
		p = ip4_reass(st, p, &h);
		if (p == NULL)
			return;
	}
	ip4_deliver(st, p, &h);
	return;
drop:
	pkt_free(st, p);
}

void
ip4_deliver(struct ws_stack *st, struct pkt *p, const struct ip4_hdr *h)
{
	struct ip4_info info = {
		.src = h->src,
		.dst = h->dst,
		.proto = h->proto,
		.tos = h->tos,
		.ttl = h->ttl,
		.hlen = h->hlen,
	};

	switch (h->proto) {
	case IPPROTO_ICMP_:
		STAT_INC(st, ip4, delivered);
		pkt_pull(p, h->hlen);
		icmp4_input(st, p, &info);
		return;
	case IPPROTO_TCP_:
		STAT_INC(st, ip4, delivered);
		pkt_pull(p, h->hlen);
		tcp_input(st, p, &info);
		return;
	default:
		/* RFC 1122 3.2.2.1: SHOULD send protocol unreachable. */
		STAT_INC(st, ip4, noproto);
		(void)icmp4_error(st, ICMP4_UNREACH, ICMP4_UNREACH_PROTOCOL,
		    p->data, p->len);
		pkt_free(st, p);
		return;
	}
}

void
ip4_timer(struct ws_stack *st)
{
	ip4_reass_timer(st);
}

ws_time_t
ip4_next_deadline(const struct ws_stack *st)
{
	return ip4_reass_deadline(st);
}

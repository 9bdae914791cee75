/*
 * ICMP (RFC 792, RFC 1122 3.2.2): echo, errors in and out.
 *
 * What we send is rate limited by a token bucket (RFC 1812 4.3.2.8, RFC
 * 1122 3.2.2 "SHOULD"): cfg.icmp_rate messages per second, with a burst
 * of one second's worth, refilled from st->now.  Echo requests we
 * originate ourselves are not limited: they are not reactions to input.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/endian.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "ipv4/ip4_wire.h"
#include "tcp/tcp_var.h"

/*
 * RFC 1812 4.3.2.3: an error quotes as much of the offending datagram as
 * fits in 576 bytes (RFC 792's minimum is the header and 64 bits).
 */
#define ICMP4_QUOTE_MAX (576 - IP4_HDR_MIN - ICMP4_HDR_LEN)

void
icmp4_set_echo_hook(struct ws_stack *st, icmp4_echo_fn fn, void *arg)
{
	st->ip4->echo_hook = fn;
	st->ip4->echo_arg = arg;
}

void
icmp4_set_ctl_hook(struct ws_stack *st, icmp4_ctl_fn fn, void *arg)
{
	st->ip4->ctl_hook = fn;
	st->ip4->ctl_arg = arg;
}

bool
icmp4_ratelimit_ok(struct ws_stack *st)
{
	struct ip4_softc *sc = st->ip4;
	uint64_t cap = (uint64_t)st->cfg.icmp_rate * WS_USEC_PER_SEC;

	if (st->now > sc->icmp_last) {
		uint64_t elapsed = st->now - sc->icmp_last;

		/* A full second refills the bucket; avoid overflow beyond. */
		if (elapsed > WS_USEC_PER_SEC)
			elapsed = WS_USEC_PER_SEC;
		/* rate tokens per second = rate millionths per microsecond */
		sc->icmp_tokens += elapsed * st->cfg.icmp_rate;
		if (sc->icmp_tokens > cap)
			sc->icmp_tokens = cap;
		sc->icmp_last = st->now;
	}
	if (sc->icmp_tokens < WS_USEC_PER_SEC)
		return false;
	sc->icmp_tokens -= WS_USEC_PER_SEC;
	return true;
}

/* RFC 792 echo: answer with the same identifier, sequence and data. */
static void
icmp4_echo_input(struct ws_stack *st, const struct pkt *p,
    const struct icmp4_hdr *ih, const struct ip4_info *ip)
{
	struct icmp4_hdr rh;
	struct ip4_out o;
	struct pkt *q;
	int error;

	if (!icmp4_ratelimit_ok(st)) {
		STAT_INC(st, icmp, ratelimited);
		return;
	}
	q = pkt_alloc(st, p->len);
	if (q == NULL) {
		STAT_INC(st, icmp, odropped);
		return;
	}
	memcpy(q->data, p->data, p->len);
	rh.type = ICMP4_ECHOREPLY;
	rh.code = 0;
	rh.rest = ih->rest;
	icmp4_hdr_emit(&rh, q->data, q->len);
	/*
	 * RFC 1122 3.2.2.6: the reply's source is the specific destination
	 * of the request (ours: ip4_input() accepted nothing else).  It
	 * may need fragmenting if the request was reassembled.
	 */
	memset(&o, 0, sizeof(o));
	o.src = ip->dst;
	o.dst = ip->src;
	o.proto = IPPROTO_ICMP_;
	o.tos = ip->tos;
	o.df = false;
	error = ip4_output(st, q, &o);
	if (error == 0)
		STAT_INC(st, icmp, echoreply);
	else
		STAT_INC(st, icmp, odropped);
}

/*
 * An error about a datagram we sent: check the quoted header and pass it
 * to the transport (RFC 1122 3.2.2: "MUST be passed to the transport
 * layer").  body/len: the message after the 8-byte ICMP header.
 */
static void
icmp4_ctlinput(struct ws_stack *st, const struct icmp4_hdr *ih,
    const uint8_t *body, size_t len)
{
	struct ip4_softc *sc = st->ip4;
	struct ip4_info inner;
	uint16_t nextmtu = 0, qtotal;
	size_t hlen, thlen;

	if (len < IP4_HDR_MIN || (body[IP4_OFF_VHL] >> 4) != 4)
		goto bad;
	hlen = (size_t)(body[IP4_OFF_VHL] & 0x0f) * 4;
	/* RFC 792: the header plus at least 64 bits of data. */
	if (hlen < IP4_HDR_MIN || len < hlen + 8)
		goto bad;
	memset(&inner, 0, sizeof(inner));
	inner.tos = body[IP4_OFF_TOS];
	inner.ttl = body[IP4_OFF_TTL];
	inner.proto = body[IP4_OFF_PROTO];
	inner.src = be32_load(body + IP4_OFF_SRC);
	inner.dst = be32_load(body + IP4_OFF_DST);
	inner.hlen = (uint16_t)hlen;
	/*
	 * It must be about something we sent, and a first fragment (only
	 * that one holds the transport header).
	 */
	if (inner.src != st->addr ||
	    (be16_load(body + IP4_OFF_FRAG) & IP4_OFFMASK) != 0)
		goto bad;
	if (inner.proto != IPPROTO_TCP_)
		return;   /* about our ICMP: nothing to tell */
	thlen = len - hlen;
	/* Do not pass the routers' padding as if it were our bytes. */
	qtotal = be16_load(body + IP4_OFF_LEN);
	if (qtotal >= hlen + 8 && thlen > (size_t)qtotal - hlen)
		thlen = (size_t)qtotal - hlen;
	if (ih->type == ICMP4_UNREACH && ih->code == ICMP4_UNREACH_NEEDFRAG)
		nextmtu = icmp4_nextmtu(ih);
	STAT_INC(st, icmp, ctlinput);
	if (sc->ctl_hook != NULL)
		sc->ctl_hook(sc->ctl_arg, ih->type, ih->code, nextmtu, &inner,
		    body + hlen, thlen);
	tcp_ctlinput(st, ih->type, ih->code, nextmtu, &inner, body + hlen,
	    thlen);
	return;
bad:
	STAT_INC(st, icmp, badquote);
}

void
icmp4_input(struct ws_stack *st, struct pkt *p, const struct ip4_info *ip)
{
	struct ip4_softc *sc = st->ip4;
	struct icmp4_hdr ih;
	int error;

	STAT_INC(st, icmp, total);
	error = icmp4_hdr_parse(&ih, p->data, p->len);
	if (error == ICMP4_WIRE_TOOSHORT) {
		STAT_INC(st, icmp, tooshort);
		goto done;
	}
	if (error != 0) {
		STAT_INC(st, icmp, badsum);
		goto done;
	}

	switch (ih.type) {
	case ICMP4_ECHO:
		STAT_INC(st, icmp, echo);
		icmp4_echo_input(st, p, &ih, ip);
		break;
	case ICMP4_ECHOREPLY:
		STAT_INC(st, icmp, echoreply_rcvd);
		if (sc->echo_hook != NULL) {
			struct icmp4_echo e = {
				.src = ip->src,
				.id = icmp4_echo_id(&ih),
				.seq = icmp4_echo_seq(&ih),
				.data = p->data + ICMP4_HDR_LEN,
				.len = p->len - ICMP4_HDR_LEN,
			};

			sc->echo_hook(sc->echo_arg, &e);
		}
		break;
	case ICMP4_UNREACH:
		if (ih.code > ICMP4_UNREACH_MAXCODE) {
			STAT_INC(st, icmp, badcode);
			break;
		}
		STAT_INC(st, icmp, unreach);
		if (ih.code == ICMP4_UNREACH_NEEDFRAG)
			STAT_INC(st, icmp, fragneeded);
		icmp4_ctlinput(st, &ih, p->data + ICMP4_HDR_LEN,
		    p->len - ICMP4_HDR_LEN);
		break;
	case ICMP4_TIMXCEED:
		if (ih.code > ICMP4_TIMXCEED_REASS) {
			STAT_INC(st, icmp, badcode);
			break;
		}
		STAT_INC(st, icmp, timxceed);
		icmp4_ctlinput(st, &ih, p->data + ICMP4_HDR_LEN,
		    p->len - ICMP4_HDR_LEN);
		break;
	case ICMP4_PARAMPROB:
		if (ih.code > ICMP4_PARAMPROB_MAXCODE) {
			STAT_INC(st, icmp, badcode);
			break;
		}
		STAT_INC(st, icmp, paramprob);
		icmp4_ctlinput(st, &ih, p->data + ICMP4_HDR_LEN,
		    p->len - ICMP4_HDR_LEN);
		break;
	case ICMP4_SOURCEQUENCH:
		/* RFC 6633: hosts MUST ignore source quench. */
	case ICMP4_REDIRECT:
		/* One gateway and no route cache: nothing to redirect. */
	case ICMP4_ROUTERADVERT:
	case ICMP4_ROUTERSOLICIT:
	case ICMP4_TSTAMP:
		/* RFC 1122 3.2.2.8: timestamp service is optional. */
	case ICMP4_TSTAMPREPLY:
	case ICMP4_IREQ:
	case ICMP4_IREQREPLY:
	case ICMP4_MASKREQ:
	case ICMP4_MASKREPLY:
		STAT_INC(st, icmp, ignored);
		break;
	default:
		/* RFC 1122 3.2.2: unknown types MUST be silently discarded. */
		STAT_INC(st, icmp, badcode);
		break;
	}
done:
	pkt_free(st, p);
}

int
icmp4_echo_request(struct ws_stack *st, uint32_t dst, uint16_t id,
    uint16_t seq, const uint8_t *data, size_t len)
{
	struct icmp4_hdr ih;
	struct ip4_out o;
	struct pkt *p;
	int error;

	if (len > IP4_MAXPACKET - IP4_HDR_MIN - ICMP4_HDR_LEN)
		return WS_EMSGSIZE;
	p = pkt_alloc(st, ICMP4_HDR_LEN + len);
	if (p == NULL) {
		STAT_INC(st, icmp, odropped);
		return WS_ENOMEM;
	}
	if (len > 0)
		memcpy(p->data + ICMP4_HDR_LEN, data, len);
	ih.type = ICMP4_ECHO;
	ih.code = 0;
	ih.rest = icmp4_rest_echo(id, seq);
	icmp4_hdr_emit(&ih, p->data, p->len);
	memset(&o, 0, sizeof(o));
	o.dst = dst;
	o.proto = IPPROTO_ICMP_;
	error = ip4_output(st, p, &o);
	if (error == 0)
		STAT_INC(st, icmp, echo_sent);
	else
		STAT_INC(st, icmp, odropped);
	return error;
}

int
icmp4_error(struct ws_stack *st, uint8_t type, uint8_t code,
    const uint8_t *orig_ip, size_t len)
{
	struct icmp4_hdr ih;
	struct ip4_out o;
	struct pkt *p;
	uint32_t src, dst;
	size_t hlen, qlen;
	int error;

	if (len < IP4_HDR_MIN || (orig_ip[IP4_OFF_VHL] >> 4) != 4)
		return WS_EINVAL;
	hlen = (size_t)(orig_ip[IP4_OFF_VHL] & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen > len)
		return WS_EINVAL;
	src = be32_load(orig_ip + IP4_OFF_SRC);
	dst = be32_load(orig_ip + IP4_OFF_DST);
	/*
	 * RFC 1122 3.2.2: an ICMP error MUST NOT be sent about an ICMP
	 * error, a datagram to a broadcast or multicast address, a
	 * non-initial fragment, or a datagram whose source does not name a
	 * single host.
	 */
	if (ip4_martian_src(st, src) || ip4_is_bcast_mcast(st, dst) ||
	    (be16_load(orig_ip + IP4_OFF_FRAG) & IP4_OFFMASK) != 0)
		return WS_EINVAL;
	if (orig_ip[IP4_OFF_PROTO] == IPPROTO_ICMP_) {
		/* Unknown or truncated: assume an error, stay silent. */
		if (len < hlen + ICMP4_HDR_LEN ||
		    !icmp4_is_query(orig_ip[hlen]))
			return WS_EINVAL;
	}
	if (!icmp4_ratelimit_ok(st)) {
		STAT_INC(st, icmp, ratelimited);
		return WS_EAGAIN;
	}

	qlen = len < ICMP4_QUOTE_MAX ? len : ICMP4_QUOTE_MAX;
	p = pkt_alloc(st, ICMP4_HDR_LEN + qlen);
	if (p == NULL) {
		STAT_INC(st, icmp, odropped);
		return WS_ENOMEM;
	}
	memcpy(p->data + ICMP4_HDR_LEN, orig_ip, qlen);
	ih.type = type;
	ih.code = code;
	ih.rest = 0;
	icmp4_hdr_emit(&ih, p->data, p->len);
	memset(&o, 0, sizeof(o));
	o.dst = src;
	o.proto = IPPROTO_ICMP_;
	/* RFC 1349 5.1: errors are sent with TOS 0. */
	o.tos = 0;
	error = ip4_output(st, p, &o);
	if (error == 0)
		STAT_INC(st, icmp, outerrors);
	else
		STAT_INC(st, icmp, odropped);
	return error;
}

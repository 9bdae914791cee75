/*
 * TCP header parsing and emission.  See tcp_wire.h for the contract.
 *
 * The parser validates the data offset once against the segment length,
 * then walks the option list with an index that strictly increases on
 * every iteration (by 1 for NOP, by the option length >= 2 otherwise), so
 * it terminates on any input and never reads past the header.
 */
#include "config.h"

#include <string.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "tcp/tcp_wire.h"

#define IPPROTO_TCP_NUM 6

int
tcp_wire_parse_opts(const uint8_t *opt, size_t optlen, struct tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < optlen) {
		uint8_t kind = opt[i];
		size_t olen;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* Every other option has a length byte (RFC 9293 3.1). */
		if (optlen - i < 2)
			return TCP_WIRE_BADOPT;
		olen = opt[i + 1];
		if (olen < 2 || olen > optlen - i)
			return TCP_WIRE_BADOPT;
		const uint8_t *v = opt + i + 2;

		switch (kind) {
		case TCPOPT_MSS:
			if (olen != TCPOLEN_MSS)
				return TCP_WIRE_BADOPT;
			o->mss = be16_load(v);
			o->present |= TOF_MSS;
			break;
		case TCPOPT_WSCALE:
			if (olen != TCPOLEN_WSCALE)
				return TCP_WIRE_BADOPT;
			/*
			 * RFC 7323 2.3: a shift above 14 SHOULD be logged
			 * and 14 used instead.
			 */
			o->wscale = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE
							  : v[0];
			o->present |= TOF_WSCALE;
			break;
		case TCPOPT_SACKPERM:
			if (olen != TCPOLEN_SACKPERM)
				return TCP_WIRE_BADOPT;
			o->present |= TOF_SACKPERM;
			break;
		case TCPOPT_SACK: {
			size_t n = (olen - TCPOLEN_SACK_BASE) /
			    TCPOLEN_SACK_BLOCK;

			/* RFC 2018 section 3: length 2 + 8n, n >= 1. */
			if (olen < TCPOLEN_SACK_BASE + TCPOLEN_SACK_BLOCK ||
			    (olen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK
			    != 0 || n > TCP_MAX_SACK)
				return TCP_WIRE_BADOPT;
			for (size_t k = 0; k < n; k++) {
				o->sack[k].start = be32_load(v + 8 * k);
				o->sack[k].end = be32_load(v + 8 * k + 4);
			}
			o->nsack = (uint8_t)n;
			o->present |= TOF_SACK;
			break;
		}
		case TCPOPT_TS:
			if (olen != TCPOLEN_TS)
				return TCP_WIRE_BADOPT;
			o->tsval = be32_load(v);
			o->tsecr = be32_load(v + 4);
			o->present |= TOF_TS;
			break;
		default:
			/* Unknown kinds are skipped by their length
			 * (RFC 9293 3.1, MUST-6). */
			break;
		}
		i += olen;
	}
	return TCP_WIRE_OK;
}

int
tcp_wire_parse(const uint8_t *seg, size_t len, struct tcp_hdr *th)
{
	size_t off;

	if (len < TCP_HDR_MIN)
		return TCP_WIRE_SHORT;
	off = (size_t)(seg[12] >> 4) * 4;
	if (off < TCP_HDR_MIN || off > len)
		return TCP_WIRE_BADOFF;
	th->sport = be16_load(seg);
	th->dport = be16_load(seg + 2);
	th->seq = be32_load(seg + 4);
	th->ack = be32_load(seg + 8);
	th->off = (uint8_t)off;
	th->flags = seg[13];
	th->win = be16_load(seg + 14);
	th->sum = be16_load(seg + 16);
	th->urp = be16_load(seg + 18);
	return tcp_wire_parse_opts(seg + TCP_HDR_MIN, off - TCP_HDR_MIN,
	    &th->opts);
}

bool
tcp_wire_cksum_ok(const uint8_t *seg, size_t len, uint32_t src,
    uint32_t dst)
{
	uint32_t sum;

	/* The pseudo-header carries the length in 16 bits. */
	if (len > UINT16_MAX)
		return false;
	sum = cksum_pseudo(src, dst, IPPROTO_TCP_NUM, (uint16_t)len);
	sum = cksum_add(sum, seg, len);
	/* A correct segment sums to 0xffff, i.e. finishes to 0. */
	return cksum_finish(sum) == 0;
}

void
tcp_wire_set_cksum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	uint32_t sum;

	be16_store(seg + 16, 0);
	sum = cksum_pseudo(src, dst, IPPROTO_TCP_NUM, (uint16_t)len);
	sum = cksum_add(sum, seg, len);
	be16_store(seg + 16, cksum_finish(sum));
}

void
tcp_wire_set_cksum_partial(uint8_t *seg, size_t len, uint32_t src,
    uint32_t dst)
{
	uint32_t sum = cksum_pseudo(src, dst, IPPROTO_TCP_NUM, 0) +
	    (uint32_t)len;

	be16_store(seg + 16, (uint16_t)~cksum_finish(sum));
}

/* Option bytes without SACK blocks. */
static size_t
optlen_fixed(const struct tcp_opts *o)
{
	size_t n = 0;

	if (o->present & TOF_MSS)
		n += 4;
	if (o->present & TOF_TS)
		n += 12;	/* SACKOK TS or NOP NOP TS */
	else if (o->present & TOF_SACKPERM)
		n += 4;		/* NOP NOP SACKOK */
	if (o->present & TOF_WSCALE)
		n += 4;		/* NOP WS */
	return n;
}

unsigned
tcp_wire_sack_fit(const struct tcp_opts *o)
{
	size_t room, fit;

	if (!(o->present & TOF_SACK) || o->nsack == 0)
		return 0;
	room = TCP_OPT_MAX - optlen_fixed(o);
	if (room < 4 + TCPOLEN_SACK_BLOCK)
		return 0;
	fit = (room - 4) / TCPOLEN_SACK_BLOCK;
	if (fit > o->nsack)
		fit = o->nsack;
	if (fit > TCP_MAX_SACK)
		fit = TCP_MAX_SACK;
	return (unsigned)fit;
}

size_t
tcp_wire_optlen(const struct tcp_opts *o)
{
	size_t n = optlen_fixed(o);
	unsigned ns = tcp_wire_sack_fit(o);

	if (ns > 0)
		n += 4 + (size_t)ns * TCPOLEN_SACK_BLOCK;
	return n;
}

size_t
tcp_wire_emit(uint8_t *buf, const struct tcp_hdr *th)
{
	const struct tcp_opts *o = &th->opts;
	size_t hlen = TCP_HDR_MIN + tcp_wire_optlen(o);
	uint8_t *p = buf + TCP_HDR_MIN;
	unsigned ns;

	be16_store(buf, th->sport);
	be16_store(buf + 2, th->dport);
	be32_store(buf + 4, th->seq);
	be32_store(buf + 8, th->ack);
	buf[12] = (uint8_t)((hlen / 4) << 4);
	buf[13] = th->flags;
	be16_store(buf + 14, th->win);
	be16_store(buf + 16, 0);
	be16_store(buf + 18, th->urp);

	/* Same order as Linux tcp_options_write(). */
	if (o->present & TOF_MSS) {
		*p++ = TCPOPT_MSS;
		*p++ = TCPOLEN_MSS;
		be16_store(p, o->mss);
		p += 2;
	}
	if (o->present & TOF_TS) {
		if (o->present & TOF_SACKPERM) {
			*p++ = TCPOPT_SACKPERM;
			*p++ = TCPOLEN_SACKPERM;
		} else {
			*p++ = TCPOPT_NOP;
			*p++ = TCPOPT_NOP;
		}
		*p++ = TCPOPT_TS;
		*p++ = TCPOLEN_TS;
		be32_store(p, o->tsval);
		be32_store(p + 4, o->tsecr);
		p += 8;
	} else if (o->present & TOF_SACKPERM) {
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_SACKPERM;
		*p++ = TCPOLEN_SACKPERM;
	}
	if (o->present & TOF_WSCALE) {
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_WSCALE;
		*p++ = TCPOLEN_WSCALE;
		*p++ = o->wscale;
	}
	ns = tcp_wire_sack_fit(o);
	if (ns > 0) {
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_NOP;
		*p++ = TCPOPT_SACK;
		*p++ = (uint8_t)(TCPOLEN_SACK_BASE + ns * TCPOLEN_SACK_BLOCK);
		for (unsigned k = 0; k < ns; k++) {
			be32_store(p, o->sack[k].start);
			be32_store(p + 4, o->sack[k].end);
			p += 8;
		}
	}
	return hlen;
}

/*
 * IPv4 and ICMP header codecs (RFC 791 3.1, RFC 792).  See ip4_wire.h.
 *
 * Every check below happens once, in a fixed order, so that each class of
 * malformed header maps to exactly one error code (and one drop counter in
 * ip4_input()).
 */
#include "config.h"

#include <string.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "ipv4/ip4_wire.h"

int
ip4_opts_check(const uint8_t *opts, size_t optlen)
{
	size_t i = 0;

	while (i < optlen) {
		uint8_t type = opts[i];
		uint8_t olen;

		/*
		 * RFC 791 3.1: "End of Option List" ends the options; what
		 * follows up to the header end is padding.  "No Operation"
		 * is a single octet.  Every other option has a length octet
		 * counting the type, the length and the data.
		 */
		if (type == IP4_OPT_EOL)
			return IP4_WIRE_OK;
		if (type == IP4_OPT_NOP) {
			i++;
			continue;
		}
		if (optlen - i < 2)
			return IP4_WIRE_BADOPT;
		olen = opts[i + 1];
		if (olen < 2 || olen > optlen - i)
			return IP4_WIRE_BADOPT;
		i += olen;
	}
	return IP4_WIRE_OK;
}

int
ip4_opts_find(const uint8_t *opts, size_t optlen, uint8_t type)
{
	size_t i = 0;

	while (i < optlen && opts[i] != IP4_OPT_EOL) {
		if (opts[i] == type)
			return (int)i;
		if (opts[i] == IP4_OPT_NOP)
			i++;
		else if (optlen - i < 2 || opts[i + 1] < 2)
			return -1;    /* malformed: never for checked lists */
		else
			i += opts[i + 1];
	}
	return -1;
}

int
ip4_hdr_parse(struct ip4_hdr *h, const uint8_t *buf, size_t len)
{
	uint8_t vhl;
	size_t hlen;

	if (len < IP4_HDR_MIN)
		return IP4_WIRE_TOOSHORT;
	vhl = buf[IP4_OFF_VHL];
	if ((vhl >> 4) != 4)
		return IP4_WIRE_BADVERS;
	hlen = (size_t)(vhl & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen > len)
		return IP4_WIRE_BADHLEN;

	h->hlen = (uint8_t)hlen;
	h->tos = buf[IP4_OFF_TOS];
	h->total_len = be16_load(buf + IP4_OFF_LEN);
	/*
	 * The total length covers header and data.  A longer capture is
	 * legal (Ethernet pads short frames to 60 bytes); a shorter one is
	 * a truncated datagram.
	 */
	if (h->total_len < hlen || h->total_len > len)
		return IP4_WIRE_BADLEN;
	/* RFC 1122 3.2.1.2: MUST verify, and silently discard on failure. */
	if (cksum(buf, hlen) != 0)
		return IP4_WIRE_BADSUM;
	h->id = be16_load(buf + IP4_OFF_ID);
	h->frag = be16_load(buf + IP4_OFF_FRAG);
	h->ttl = buf[IP4_OFF_TTL];
	h->proto = buf[IP4_OFF_PROTO];
	h->sum = be16_load(buf + IP4_OFF_SUM);
	h->src = be32_load(buf + IP4_OFF_SRC);
	h->dst = be32_load(buf + IP4_OFF_DST);
	if (hlen > IP4_HDR_MIN) {
		h->opts = buf + IP4_HDR_MIN;
		if (ip4_opts_check(h->opts, hlen - IP4_HDR_MIN) != IP4_WIRE_OK)
			return IP4_WIRE_BADOPT;
	} else
		h->opts = NULL;
	return IP4_WIRE_OK;
}

size_t
ip4_hdr_emit(const struct ip4_hdr *h, uint8_t *buf, size_t len)
{
	size_t hlen = h->hlen;

	if (hlen < IP4_HDR_MIN || hlen > IP4_HDR_MAX || hlen % 4 != 0 ||
	    len < hlen)
		return 0;
	if (hlen > IP4_HDR_MIN && h->opts == NULL)
		return 0;
	buf[IP4_OFF_VHL] = (uint8_t)(0x40 | hlen / 4);
	buf[IP4_OFF_TOS] = h->tos;
	be16_store(buf + IP4_OFF_LEN, h->total_len);
	be16_store(buf + IP4_OFF_ID, h->id);
	be16_store(buf + IP4_OFF_FRAG, h->frag);
	buf[IP4_OFF_TTL] = h->ttl;
	buf[IP4_OFF_PROTO] = h->proto;
	be16_store(buf + IP4_OFF_SUM, 0);
	be32_store(buf + IP4_OFF_SRC, h->src);
	be32_store(buf + IP4_OFF_DST, h->dst);
	if (hlen > IP4_HDR_MIN)
		memcpy(buf + IP4_HDR_MIN, h->opts, hlen - IP4_HDR_MIN);
	be16_store(buf + IP4_OFF_SUM, cksum(buf, hlen));
	return hlen;
}

const char *
ip4_wire_strerror(int error)
{
	switch (error) {
	case IP4_WIRE_OK:
		return "ok";
	case IP4_WIRE_TOOSHORT:
		return "shorter than an IPv4 header";
	case IP4_WIRE_BADVERS:
		return "version is not 4";
	case IP4_WIRE_BADHLEN:
		return "bad header length";
	case IP4_WIRE_BADLEN:
		return "total length inconsistent with the frame";
	case IP4_WIRE_BADSUM:
		return "bad header checksum";
	case IP4_WIRE_BADOPT:
		return "malformed options";
	}
	return "unknown error";
}

bool
icmp4_is_error(uint8_t type)
{
	switch (type) {
	case ICMP4_UNREACH:
	case ICMP4_SOURCEQUENCH:
	case ICMP4_REDIRECT:
	case ICMP4_TIMXCEED:
	case ICMP4_PARAMPROB:
		return true;
	}
	return false;
}

bool
icmp4_is_query(uint8_t type)
{
	switch (type) {
	case ICMP4_ECHOREPLY:
	case ICMP4_ECHO:
	case ICMP4_ROUTERADVERT:
	case ICMP4_ROUTERSOLICIT:
	case ICMP4_TSTAMP:
	case ICMP4_TSTAMPREPLY:
	case ICMP4_IREQ:
	case ICMP4_IREQREPLY:
	case ICMP4_MASKREQ:
	case ICMP4_MASKREPLY:
		return true;
	}
	return false;
}

int
icmp4_hdr_parse(struct icmp4_hdr *h, const uint8_t *buf, size_t len)
{
	if (len < ICMP4_HDR_LEN)
		return ICMP4_WIRE_TOOSHORT;
	/* RFC 792: the checksum covers the whole ICMP message. */
	if (cksum(buf, len) != 0)
		return ICMP4_WIRE_BADSUM;
	h->type = buf[0];
	h->code = buf[1];
	h->sum = be16_load(buf + 2);
	h->rest = be32_load(buf + 4);
	return 0;
}

int
icmp4_hdr_emit(const struct icmp4_hdr *h, uint8_t *buf, size_t len)
{
	if (len < ICMP4_HDR_LEN)
		return ICMP4_WIRE_TOOSHORT;
	buf[0] = h->type;
	buf[1] = h->code;
	be16_store(buf + 2, 0);
	be32_store(buf + 4, h->rest);
	be16_store(buf + 2, cksum(buf, len));
	return 0;
}

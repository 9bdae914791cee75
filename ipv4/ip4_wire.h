/*
 * IPv4 (RFC 791) and ICMP (RFC 792) headers on the wire.
 *
 * Parse and emit over (buffer, length) pairs with explicit big-endian
 * loads; no stack types, so fuzzers and unit tests can link this file
 * (plus core/cksum.c) alone.  A successful parse guarantees that every
 * field is consistent with the bytes given: after it, nothing needs to be
 * checked again.
 */
#ifndef WS_IP4_WIRE_H
#define WS_IP4_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IP4_HDR_MIN 20        /* header without options */
#define IP4_HDR_MAX 60        /* IHL is 4 bits of 32-bit words */
#define IP4_MAXPACKET 65535   /* the total length field is 16 bits */

/* The flags and fragment offset word (RFC 791 3.1). */
#define IP4_RF 0x8000         /* reserved, must be zero */
#define IP4_DF 0x4000         /* don't fragment */
#define IP4_MF 0x2000         /* more fragments */
#define IP4_OFFMASK 0x1fff    /* fragment offset, 8-byte units */

/* Byte offsets of the fixed header fields. */
#define IP4_OFF_VHL 0
#define IP4_OFF_TOS 1
#define IP4_OFF_LEN 2
#define IP4_OFF_ID 4
#define IP4_OFF_FRAG 6
#define IP4_OFF_TTL 8
#define IP4_OFF_PROTO 9
#define IP4_OFF_SUM 10
#define IP4_OFF_SRC 12
#define IP4_OFF_DST 16

/* Options (RFC 791 3.1, "Options"). */
#define IP4_OPT_EOL 0
#define IP4_OPT_NOP 1
#define IP4_OPT_LSRR 0x83     /* loose source and record route */
#define IP4_OPT_SSRR 0x89     /* strict source and record route */

/* Why a header was rejected; each class has its own code. */
enum ip4_wire_error {
	IP4_WIRE_OK = 0,
	IP4_WIRE_TOOSHORT = -1,   /* fewer than 20 bytes */
	IP4_WIRE_BADVERS = -2,    /* version != 4 */
	IP4_WIRE_BADHLEN = -3,    /* IHL < 5, or the header runs past len */
	IP4_WIRE_BADLEN = -4,     /* total length < IHL*4 or > len */
	IP4_WIRE_BADSUM = -5,     /* header checksum */
	IP4_WIRE_BADOPT = -6,     /* an option length runs past the header */
};

/* A parsed (or to be emitted) IPv4 header.  Addresses in host order. */
struct ip4_hdr {
	uint8_t hlen;         /* header length in bytes, 20..60, multiple of 4 */
	uint8_t tos;
	uint16_t total_len;   /* header + payload */
	uint16_t id;
	uint16_t frag;        /* flags and offset word as on the wire */
	uint8_t ttl;
	uint8_t proto;
	uint16_t sum;         /* as received (parse) / computed (emit) */
	uint32_t src, dst;
	const uint8_t *opts;  /* hlen - 20 bytes of options, or NULL if none */
};

/* Fragment offset in bytes. */
static inline uint32_t
ip4_frag_off(const struct ip4_hdr *h)
{
	return (uint32_t)(h->frag & IP4_OFFMASK) * 8;
}

/* True for any fragment of a larger datagram (MF or a non-zero offset). */
static inline bool
ip4_is_fragment(const struct ip4_hdr *h)
{
	return (h->frag & (IP4_MF | IP4_OFFMASK)) != 0;
}

/*
 * Validate the IPv4 header at buf and fill h.  `len` is the captured
 * length: trailing bytes past the total length (link padding) are allowed,
 * the caller trims them.  Options are checked for well-formed lengths and
 * otherwise skipped.  Returns IP4_WIRE_OK or an ip4_wire_error.
 */
int ip4_hdr_parse(struct ip4_hdr *h, const uint8_t *buf, size_t len);

/*
 * Check the option list of a header (opts, optlen = hlen - 20): every
 * option other than EOL and NOP has a length octet >= 2 that stays within
 * the header.  Returns IP4_WIRE_OK or IP4_WIRE_BADOPT.
 */
int ip4_opts_check(const uint8_t *opts, size_t optlen);

/*
 * In a list that passed ip4_opts_check(): the offset of the first option
 * of `type`, or -1 if there is none.
 */
int ip4_opts_find(const uint8_t *opts, size_t optlen, uint8_t type);

/*
 * Write h as h->hlen bytes at buf (options copied from h->opts, which must
 * hold hlen - 20 bytes when hlen > 20), computing the checksum (h->sum is
 * ignored).  Returns the bytes written, or 0 if buf is too small or hlen
 * is invalid.
 */
size_t ip4_hdr_emit(const struct ip4_hdr *h, uint8_t *buf, size_t len);

/* A readable name for an ip4_wire_error. */
const char *ip4_wire_strerror(int error);

/* ---- ICMP (RFC 792) ---- */

#define ICMP4_HDR_LEN 8       /* type, code, checksum, 4 bytes of "rest" */

#define ICMP4_ECHOREPLY 0
#define ICMP4_UNREACH 3
#define ICMP4_SOURCEQUENCH 4
#define ICMP4_REDIRECT 5
#define ICMP4_ECHO 8
#define ICMP4_ROUTERADVERT 9
#define ICMP4_ROUTERSOLICIT 10
#define ICMP4_TIMXCEED 11
#define ICMP4_PARAMPROB 12
#define ICMP4_TSTAMP 13
#define ICMP4_TSTAMPREPLY 14
#define ICMP4_IREQ 15
#define ICMP4_IREQREPLY 16
#define ICMP4_MASKREQ 17
#define ICMP4_MASKREPLY 18

/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812). */
#define ICMP4_UNREACH_NET 0
#define ICMP4_UNREACH_HOST 1
#define ICMP4_UNREACH_PROTOCOL 2
#define ICMP4_UNREACH_PORT 3
#define ICMP4_UNREACH_NEEDFRAG 4
#define ICMP4_UNREACH_SRCFAIL 5
#define ICMP4_UNREACH_MAXCODE 15

#define ICMP4_TIMXCEED_INTRANS 0
#define ICMP4_TIMXCEED_REASS 1

#define ICMP4_PARAMPROB_MAXCODE 2

/*
 * A parsed ICMP header; the message body follows at buf + 8.  The second
 * word ("rest") depends on the type; the accessors below read it.
 */
struct icmp4_hdr {
	uint8_t type;
	uint8_t code;
	uint16_t sum;       /* as received (parse) / computed (emit) */
	uint32_t rest;      /* bytes 4..7, host order */
};

#define ICMP4_WIRE_TOOSHORT (-1)  /* fewer than 8 bytes */
#define ICMP4_WIRE_BADSUM (-2)    /* checksum over the whole message */

/* Echo and echo reply: identifier and sequence number. */
static inline uint32_t
icmp4_rest_echo(uint16_t id, uint16_t seq)
{
	return (uint32_t)id << 16 | seq;
}

static inline uint16_t
icmp4_echo_id(const struct icmp4_hdr *h)
{
	return (uint16_t)(h->rest >> 16);
}

static inline uint16_t
icmp4_echo_seq(const struct icmp4_hdr *h)
{
	return (uint16_t)h->rest;
}

/* Fragmentation needed: the next-hop MTU (RFC 1191 4), 0 if not given. */
static inline uint16_t
icmp4_nextmtu(const struct icmp4_hdr *h)
{
	return (uint16_t)h->rest;
}

/* Parameter problem: the pointer to the offending octet. */
static inline uint8_t
icmp4_pptr(const struct icmp4_hdr *h)
{
	return (uint8_t)(h->rest >> 24);
}

/* True for the types that report errors (never answered with an error). */
bool icmp4_is_error(uint8_t type);

/* True for the query types (echo, timestamp, ...) and their replies. */
bool icmp4_is_query(uint8_t type);

/*
 * Validate the ICMP message at buf (header and body, len bytes) and fill
 * h.  Returns 0, ICMP4_WIRE_TOOSHORT or ICMP4_WIRE_BADSUM.
 */
int icmp4_hdr_parse(struct icmp4_hdr *h, const uint8_t *buf, size_t len);

/*
 * Write the 8-byte header at buf and compute the checksum over the whole
 * message: the body (len - 8 bytes) must already be at buf + 8.  h->sum
 * is ignored.  Returns 0 or ICMP4_WIRE_TOOSHORT (len < 8).
 */
int icmp4_hdr_emit(const struct icmp4_hdr *h, uint8_t *buf, size_t len);

#endif /* WS_IP4_WIRE_H */

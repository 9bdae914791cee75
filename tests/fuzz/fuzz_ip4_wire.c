/*
 * Fuzz target: the IPv4 header and ICMP codecs (ipv4/ip4_wire.c).
 *
 * The first byte chooses how the rest is used, so that the fuzzer is not
 * stopped by checksums it cannot guess:
 *	bit 0	fix the IPv4 header checksum before parsing
 *	bit 1	fix the ICMP checksum (of the payload, or of the whole input
 *		when bit 2 is set) before parsing
 *	bit 2	the rest is a bare ICMP message, not an IPv4 datagram
 * Invariants: the parser never reads past len (ASan), what it accepts is
 * consistent with the bytes (lengths, options), and an accepted header or
 * ICMP message emits back to the same bytes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "ipv4/ip4_wire.h"
#include "tests/fuzz/fuzz.h"

#define F_FIX_IP 0x01
#define F_FIX_ICMP 0x02
#define F_BARE_ICMP 0x04

static void
check_icmp(uint8_t *msg, size_t len, bool fix)
{
	struct icmp4_hdr h, h2;
	uint8_t *copy;
	int error;

	if (fix && len >= ICMP4_HDR_LEN) {
		be16_store(msg + 2, 0);
		be16_store(msg + 2, cksum(msg, len));
	}
	error = icmp4_hdr_parse(&h, msg, len);
	if (len < ICMP4_HDR_LEN) {
		FUZZ_CHECK(error == ICMP4_WIRE_TOOSHORT);
		return;
	}
	if (error != 0) {
		FUZZ_CHECK(error == ICMP4_WIRE_BADSUM);
		FUZZ_CHECK(!fix);
		return;
	}
	FUZZ_CHECK(h.type == msg[0] && h.code == msg[1]);
	FUZZ_CHECK(h.rest == be32_load(msg + 4));
	FUZZ_CHECK(!(icmp4_is_error(h.type) && icmp4_is_query(h.type)));
	/* Accessors read the documented bytes. */
	FUZZ_CHECK(icmp4_echo_id(&h) == be16_load(msg + 4));
	FUZZ_CHECK(icmp4_echo_seq(&h) == be16_load(msg + 6));
	FUZZ_CHECK(icmp4_nextmtu(&h) == be16_load(msg + 6));
	FUZZ_CHECK(icmp4_pptr(&h) == msg[4]);

	/* Emit over a copy of the body: it must verify and parse the same. */
	copy = malloc(len);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, msg, len);
	memset(copy, 0xee, ICMP4_HDR_LEN);
	FUZZ_CHECK(icmp4_hdr_emit(&h, copy, ICMP4_HDR_LEN - 1) ==
	    ICMP4_WIRE_TOOSHORT);
	FUZZ_CHECK(icmp4_hdr_emit(&h, copy, len) == 0);
	FUZZ_CHECK(cksum(copy, len) == 0);
	FUZZ_CHECK(icmp4_hdr_parse(&h2, copy, len) == 0);
	FUZZ_CHECK(h2.type == h.type && h2.code == h.code &&
	    h2.rest == h.rest);
	/* Same bytes except perhaps the checksum's two zero encodings. */
	FUZZ_CHECK(memcmp(copy, msg, 2) == 0);
	FUZZ_CHECK(memcmp(copy + 4, msg + 4, len - 4) == 0);
	free(copy);
}

static void
check_ip4(uint8_t *buf, size_t len, uint8_t mode)
{
	struct ip4_hdr h, h2;
	uint8_t out[IP4_HDR_MAX];
	size_t hlen;
	int error;

	if ((mode & F_FIX_IP) && len >= IP4_HDR_MIN) {
		size_t n = (size_t)(buf[0] & 0x0f) * 4;

		if (n >= IP4_HDR_MIN && n <= len) {
			be16_store(buf + IP4_OFF_SUM, 0);
			be16_store(buf + IP4_OFF_SUM, cksum(buf, n));
		}
	}
	memset(&h, 0, sizeof(h));
	error = ip4_hdr_parse(&h, buf, len);
	FUZZ_CHECK(ip4_wire_strerror(error) != NULL);
	if (error != IP4_WIRE_OK) {
		FUZZ_CHECK(error >= IP4_WIRE_BADOPT &&
		    error <= IP4_WIRE_TOOSHORT);
		if (len < IP4_HDR_MIN)
			FUZZ_CHECK(error == IP4_WIRE_TOOSHORT);
		return;
	}
	hlen = h.hlen;
	FUZZ_CHECK(hlen >= IP4_HDR_MIN && hlen <= IP4_HDR_MAX &&
	    hlen % 4 == 0 && hlen <= len);
	FUZZ_CHECK(buf[0] >> 4 == 4);
	FUZZ_CHECK(h.total_len >= hlen && h.total_len <= len);
	FUZZ_CHECK(cksum(buf, hlen) == 0);
	FUZZ_CHECK(ip4_frag_off(&h) <= 8u * IP4_OFFMASK);
	if (hlen > IP4_HDR_MIN) {
		size_t optlen = hlen - IP4_HDR_MIN;
		static const uint8_t kinds[] = { IP4_OPT_LSRR, IP4_OPT_SSRR,
		    0x07 /* RR */, 0x44 /* TS */, 0x94 /* RA */ };

		FUZZ_CHECK(h.opts == buf + IP4_HDR_MIN);
		FUZZ_CHECK(ip4_opts_check(h.opts, optlen) == IP4_WIRE_OK);
		for (size_t k = 0; k < sizeof(kinds); k++) {
			int off = ip4_opts_find(h.opts, optlen, kinds[k]);

			FUZZ_CHECK(off >= -1 && off < (int)optlen);
			if (off >= 0) {
				FUZZ_CHECK(h.opts[off] == kinds[k]);
				FUZZ_CHECK((size_t)off + 2 <= optlen);
				FUZZ_CHECK(h.opts[off + 1] >= 2 &&
				    (size_t)off + h.opts[off + 1] <= optlen);
			}
		}
	} else
		FUZZ_CHECK(h.opts == NULL);

	/* Emit: same header bytes, except the checksum may be the other
	 * encoding of zero; it must verify. */
	FUZZ_CHECK(ip4_hdr_emit(&h, out, hlen - 1) == 0);
	FUZZ_CHECK(ip4_hdr_emit(&h, out, sizeof(out)) == hlen);
	FUZZ_CHECK(cksum(out, hlen) == 0);
	FUZZ_CHECK(memcmp(out, buf, IP4_OFF_SUM) == 0);
	FUZZ_CHECK(memcmp(out + IP4_OFF_SRC, buf + IP4_OFF_SRC,
	    hlen - IP4_OFF_SRC) == 0);
	memset(&h2, 0, sizeof(h2));
	FUZZ_CHECK(ip4_hdr_parse(&h2, out, hlen) == IP4_WIRE_OK ||
	    h.total_len > hlen);
	if (h.total_len == hlen) {
		FUZZ_CHECK(h2.src == h.src && h2.dst == h.dst &&
		    h2.id == h.id && h2.frag == h.frag && h2.ttl == h.ttl &&
		    h2.proto == h.proto && h2.tos == h.tos);
	}

	/* ICMP inside an unfragmented datagram. */
	if (h.proto == 1 && !ip4_is_fragment(&h))
		check_icmp(buf + hlen, h.total_len - hlen,
		    (mode & F_FIX_ICMP) != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode, *buf;
	size_t len;

	if (size < 1)
		return 0;
	mode = data[0];
	len = size - 1;
	/* An exact-size heap copy, so that ASan sees any read past len. */
	buf = malloc(len ? len : 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data + 1, len);
	if (mode & F_BARE_ICMP)
		check_icmp(buf, len, (mode & F_FIX_ICMP) != 0);
	else
		check_ip4(buf, len, mode);
	free(buf);
	return 0;
}

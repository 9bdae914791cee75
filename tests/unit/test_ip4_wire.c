/*
 * IPv4 and ICMP header codecs: round trips, checksum vectors, and every
 * class of malformed header rejected with its own error.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "ipv4/ip4_wire.h"
#include "tests/lib/wire.h"

/* Re-checksum a hand-edited header so that only the intended defect shows. */
static void
fix_sum(uint8_t *b, size_t hlen)
{
	be16_store(b + IP4_OFF_SUM, 0);
	be16_store(b + IP4_OFF_SUM, cksum(b, hlen));
}

/* 24-byte header (NOP NOP NOP EOL) + 16 bytes of data. */
static size_t
sample(uint8_t *b)
{
	static const uint8_t opts[4] = { 1, 1, 1, 0 };
	struct ip4_hdr h = {
		.hlen = 24, .tos = 0x10, .total_len = 40, .id = 0xbeef,
		.frag = IP4_DF, .ttl = 61, .proto = 6,
		.src = 0xc6120002u, .dst = 0xc6120001u, .opts = opts,
	};

	assert_int_equal(ip4_hdr_emit(&h, b, 64), 24);
	for (int i = 0; i < 16; i++)
		b[24 + i] = (uint8_t)(0xa0 + i);
	return 40;
}

static void
test_roundtrip(void **state)
{
	struct ip4_hdr h = {
		.hlen = 20, .tos = 0xb8, .total_len = 1500, .id = 0x1234,
		.frag = IP4_MF | 185, .ttl = 1, .proto = 17,
		.src = 0xc6120001u, .dst = 0xc6130203u,
	}, g;
	uint8_t b[1500];

	(void)state;
	memset(b, 0x5a, sizeof(b));
	assert_int_equal(ip4_hdr_emit(&h, b, sizeof(b)), 20);
	assert_int_equal(b[0], 0x45);
	assert_int_equal(ip4_hdr_parse(&g, b, sizeof(b)), IP4_WIRE_OK);
	assert_int_equal(g.hlen, 20);
	assert_int_equal(g.tos, 0xb8);
	assert_int_equal(g.total_len, 1500);
	assert_int_equal(g.id, 0x1234);
	assert_int_equal(g.frag, IP4_MF | 185);
	assert_int_equal(ip4_frag_off(&g), 185 * 8);
	assert_true(ip4_is_fragment(&g));
	assert_int_equal(g.ttl, 1);
	assert_int_equal(g.proto, 17);
	assert_int_equal(g.src, 0xc6120001u);
	assert_int_equal(g.dst, 0xc6130203u);
	assert_null(g.opts);
	assert_int_equal(g.sum, be16_load(b + IP4_OFF_SUM));

	/* Emit what was parsed: the same bytes. */
	uint8_t c[20];
	assert_int_equal(ip4_hdr_emit(&g, c, sizeof(c)), 20);
	assert_memory_equal(b, c, 20);
}

static void
test_roundtrip_options(void **state)
{
	uint8_t b[64], c[64];
	struct ip4_hdr g;

	(void)state;
	sample(b);
	assert_int_equal(ip4_hdr_parse(&g, b, 40), IP4_WIRE_OK);
	assert_int_equal(g.hlen, 24);
	assert_non_null(g.opts);
	assert_ptr_equal(g.opts, b + 20);
	assert_int_equal(g.frag, IP4_DF);
	assert_false(ip4_is_fragment(&g));
	assert_int_equal(ip4_hdr_emit(&g, c, sizeof(c)), 24);
	assert_memory_equal(b, c, 24);
}

static void
test_emit_rejects(void **state)
{
	struct ip4_hdr h = { .hlen = 20, .total_len = 20 };
	uint8_t b[64];

	(void)state;
	assert_int_equal(ip4_hdr_emit(&h, b, 19), 0);
	h.hlen = 22;
	assert_int_equal(ip4_hdr_emit(&h, b, sizeof(b)), 0);
	h.hlen = 64;
	assert_int_equal(ip4_hdr_emit(&h, b, sizeof(b)), 0);
	h.hlen = 24;   /* options promised, none given */
	assert_int_equal(ip4_hdr_emit(&h, b, sizeof(b)), 0);
}

/*
 * Known headers with their checksums: the worked example from Wikipedia's
 * "IPv4 header checksum" and a captured TCP SYN (both widely quoted), and
 * RFC 1071 section 3's numerical example.
 */
static void
test_cksum_vectors(void **state)
{
	uint8_t a[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
		0x00, 0xc7 };
	uint8_t s[20] = { 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
		0x40, 0x06, 0xb1, 0xe6, 0xac, 0x10, 0x0a, 0x63, 0xac, 0x10,
		0x0a, 0x0c };
	const uint8_t rfc1071[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
		0xf6, 0xf7 };
	struct ip4_hdr h;
	uint8_t c[20];

	(void)state;
	assert_int_equal(cksum(rfc1071, 8), (uint16_t)~0xddf2);

	/* a: UDP, 192.168.0.1 -> 192.168.0.199, checksum 0xb861. */
	assert_int_equal(ip4_hdr_parse(&h, a, sizeof(a)), IP4_WIRE_BADLEN);
	uint8_t abuf[0x73] = { 0 };
	memcpy(abuf, a, 20);
	assert_int_equal(ip4_hdr_parse(&h, abuf, sizeof(abuf)), IP4_WIRE_OK);
	assert_int_equal(h.sum, 0xb861);
	assert_int_equal(ip4_hdr_emit(&h, c, sizeof(c)), 20);
	assert_memory_equal(c, a, 20);

	/* s: TCP, 172.16.10.99 -> 172.16.10.12, checksum 0xb1e6. */
	uint8_t sbuf[0x3c] = { 0 };
	memcpy(sbuf, s, 20);
	assert_int_equal(ip4_hdr_parse(&h, sbuf, sizeof(sbuf)), IP4_WIRE_OK);
	assert_int_equal(h.sum, 0xb1e6);
	assert_int_equal(h.src, 0xac100a63u);
	assert_int_equal(h.id, 0x1c46);
	assert_int_equal(ip4_hdr_emit(&h, c, sizeof(c)), 20);
	assert_memory_equal(c, s, 20);

	/* Any single bit flipped in the header breaks the checksum. */
	for (int bit = 0; bit < 160; bit++) {
		uint8_t t[0x3c];

		memcpy(t, sbuf, sizeof(t));
		t[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_not_equal(ip4_hdr_parse(&h, t, sizeof(t)),
		    IP4_WIRE_OK);
	}
}

/* The sample cut at k: short of the header, of its options, or of data. */
static void
parse_truncated(void *arg, const uint8_t *b, size_t k)
{
	struct ip4_hdr h;
	int e = ip4_hdr_parse(&h, b, k);

	(void)arg;
	if (k < 20)
		assert_int_equal(e, IP4_WIRE_TOOSHORT);
	else if (k < 24)
		assert_int_equal(e, IP4_WIRE_BADHLEN);
	else
		assert_int_equal(e, IP4_WIRE_BADLEN);
}

static void
test_truncation(void **state)
{
	uint8_t b[64];
	struct ip4_hdr h;
	size_t n;

	(void)state;
	n = sample(b);
	assert_int_equal(ip4_hdr_parse(&h, b, n), IP4_WIRE_OK);
	wt_each_truncation(b, n, parse_truncated, NULL);
}

static void
test_padding_allowed(void **state)
{
	uint8_t b[64] = { 0 };
	struct ip4_hdr h;

	(void)state;
	sample(b);
	/* Ethernet pads to 46 bytes of payload; more is fine too. */
	assert_int_equal(ip4_hdr_parse(&h, b, 46), IP4_WIRE_OK);
	assert_int_equal(h.total_len, 40);
	assert_int_equal(ip4_hdr_parse(&h, b, 64), IP4_WIRE_OK);
}

static void
test_badvers(void **state)
{
	uint8_t b[64];
	struct ip4_hdr h;

	(void)state;
	for (int v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		sample(b);
		b[0] = (uint8_t)(v << 4 | 6);
		fix_sum(b, 24);
		assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADVERS);
	}
}

static void
test_badhlen(void **state)
{
	uint8_t b[64];
	struct ip4_hdr h;

	(void)state;
	for (int ihl = 0; ihl < 5; ihl++) {
		sample(b);
		b[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADHLEN);
	}
	/* IHL 15 (60 bytes) in a 40-byte capture: past the end. */
	sample(b);
	b[0] = 0x4f;
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADHLEN);
}

static void
test_badlen(void **state)
{
	uint8_t b[64];
	struct ip4_hdr h;

	(void)state;
	/* Total length smaller than the header. */
	sample(b);
	be16_store(b + IP4_OFF_LEN, 23);
	fix_sum(b, 24);
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADLEN);
	/* Exactly the header: a valid empty datagram. */
	be16_store(b + IP4_OFF_LEN, 24);
	fix_sum(b, 24);
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_OK);
	/* Larger than what was captured. */
	be16_store(b + IP4_OFF_LEN, 41);
	fix_sum(b, 24);
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADLEN);
	be16_store(b + IP4_OFF_LEN, 0xffff);
	fix_sum(b, 24);
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADLEN);
}

static void
test_badsum(void **state)
{
	uint8_t b[64];
	struct ip4_hdr h;

	(void)state;
	sample(b);
	b[IP4_OFF_SUM] ^= 0x01;
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADSUM);
	/* The checksum covers the options too. */
	sample(b);
	b[21] ^= 0x80;
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_BADSUM);
	/* But not the payload. */
	sample(b);
	b[30] ^= 0xff;
	assert_int_equal(ip4_hdr_parse(&h, b, 40), IP4_WIRE_OK);
}

/* Build a header with the given 8 option bytes (hlen 28). */
static int
parse_opts(const uint8_t opts[8])
{
	uint8_t b[28];
	struct ip4_hdr h = {
		.hlen = 28, .total_len = 28, .ttl = 64, .proto = 6,
		.src = 1, .dst = 2, .opts = opts,
	}, g;

	assert_int_equal(ip4_hdr_emit(&h, b, sizeof(b)), 28);
	return ip4_hdr_parse(&g, b, sizeof(b));
}

static void
test_badoptions(void **state)
{
	(void)state;
	/* Well-formed: router alert (RFC 2113) + NOP + EOL + padding. */
	assert_int_equal(parse_opts((const uint8_t[8]){ 0x94, 4, 0, 0, 1, 0,
	    0xee, 0xee }), IP4_WIRE_OK);
	/* Exactly filling the header. */
	assert_int_equal(parse_opts((const uint8_t[8]){ 0x88, 4, 1, 2, 0x88,
	    4, 3, 4 }), IP4_WIRE_OK);
	/* All NOPs, all EOLs. */
	assert_int_equal(parse_opts((const uint8_t[8]){ 1, 1, 1, 1, 1, 1, 1,
	    1 }), IP4_WIRE_OK);
	assert_int_equal(parse_opts((const uint8_t[8]){ 0 }), IP4_WIRE_OK);

	/* Length 0 and 1 cannot cover type and length. */
	assert_int_equal(parse_opts((const uint8_t[8]){ 0x94, 0, 0, 0, 0, 0,
	    0, 0 }), IP4_WIRE_BADOPT);
	assert_int_equal(parse_opts((const uint8_t[8]){ 0x94, 1, 0, 0, 0, 0,
	    0, 0 }), IP4_WIRE_BADOPT);
	/* Length past the end of the header. */
	assert_int_equal(parse_opts((const uint8_t[8]){ 0x83, 9, 4, 0, 0, 0,
	    0, 0 }), IP4_WIRE_BADOPT);
	assert_int_equal(parse_opts((const uint8_t[8]){ 1, 1, 1, 1, 1, 0x94,
	    4, 0 }), IP4_WIRE_BADOPT);
	/* A type octet in the last byte, with no room for its length. */
	assert_int_equal(parse_opts((const uint8_t[8]){ 1, 1, 1, 1, 1, 1, 1,
	    0x44 }), IP4_WIRE_BADOPT);
	assert_int_equal(parse_opts((const uint8_t[8]){ 0x44, 255, 0, 0, 0,
	    0, 0, 0 }), IP4_WIRE_BADOPT);
	assert_int_equal(ip4_opts_check((const uint8_t *)"", 0), IP4_WIRE_OK);
}

static void
test_opts_find(void **state)
{
	const uint8_t o[12] = { 1, 0x94, 4, 0, 0, 1, 0x83, 3, 4, 0, 0x89, 2 };

	(void)state;
	assert_int_equal(ip4_opts_check(o, sizeof(o)), IP4_WIRE_OK);
	assert_int_equal(ip4_opts_find(o, sizeof(o), 0x94), 1);
	assert_int_equal(ip4_opts_find(o, sizeof(o), IP4_OPT_LSRR), 6);
	/* Nothing after EOL counts, even if it looks like an option. */
	assert_int_equal(ip4_opts_find(o, sizeof(o), IP4_OPT_SSRR), -1);
	assert_int_equal(ip4_opts_find(o, sizeof(o), 0x07), -1);
	assert_int_equal(ip4_opts_find(o, 0, 0x94), -1);
}

static void
test_strerror(void **state)
{
	(void)state;
	for (int e = IP4_WIRE_BADOPT; e <= IP4_WIRE_OK; e++)
		assert_string_not_equal(ip4_wire_strerror(e), "unknown error");
	assert_string_equal(ip4_wire_strerror(-99), "unknown error");
}

static void
test_icmp_roundtrip(void **state)
{
	uint8_t b[8 + 57];
	struct icmp4_hdr h = { .type = ICMP4_ECHO, .code = 0,
		.rest = icmp4_rest_echo(0x1234, 0xfedc) }, g;

	(void)state;
	for (size_t i = 8; i < sizeof(b); i++)
		b[i] = (uint8_t)i;
	/* Odd length: the last byte is padded with zero for the sum. */
	assert_int_equal(icmp4_hdr_emit(&h, b, sizeof(b)), 0);
	assert_int_equal(cksum(b, sizeof(b)), 0);
	assert_int_equal(icmp4_hdr_parse(&g, b, sizeof(b)), 0);
	assert_int_equal(g.type, ICMP4_ECHO);
	assert_int_equal(icmp4_echo_id(&g), 0x1234);
	assert_int_equal(icmp4_echo_seq(&g), 0xfedc);
	assert_int_equal(g.sum, be16_load(b + 2));

	h.type = ICMP4_UNREACH;
	h.code = ICMP4_UNREACH_NEEDFRAG;
	h.rest = 1400;
	assert_int_equal(icmp4_hdr_emit(&h, b, 8), 0);
	assert_int_equal(icmp4_hdr_parse(&g, b, 8), 0);
	assert_int_equal(icmp4_nextmtu(&g), 1400);
	h.type = ICMP4_PARAMPROB;
	h.code = 0;
	h.rest = (uint32_t)20 << 24;
	assert_int_equal(icmp4_hdr_emit(&h, b, 8), 0);
	assert_int_equal(icmp4_hdr_parse(&g, b, 8), 0);
	assert_int_equal(icmp4_pptr(&g), 20);
}

static void
test_icmp_bad(void **state)
{
	uint8_t b[16] = { 0 };
	struct icmp4_hdr h = { .type = ICMP4_ECHO }, g;

	(void)state;
	for (size_t k = 0; k < 8; k++) {
		assert_int_equal(icmp4_hdr_emit(&h, b, k), ICMP4_WIRE_TOOSHORT);
		assert_int_equal(icmp4_hdr_parse(&g, b, k),
		    ICMP4_WIRE_TOOSHORT);
	}
	assert_int_equal(icmp4_hdr_emit(&h, b, sizeof(b)), 0);
	assert_int_equal(icmp4_hdr_parse(&g, b, sizeof(b)), 0);
	/* The checksum covers the body: a flip anywhere is caught. */
	for (size_t i = 0; i < sizeof(b); i++) {
		b[i] ^= 0x04;
		assert_int_equal(icmp4_hdr_parse(&g, b, sizeof(b)),
		    ICMP4_WIRE_BADSUM);
		b[i] ^= 0x04;
	}
	/* Truncating the body breaks it as well. */
	b[15] = 0x77;
	assert_int_equal(icmp4_hdr_emit(&h, b, sizeof(b)), 0);
	assert_int_equal(icmp4_hdr_parse(&g, b, 15), ICMP4_WIRE_BADSUM);
}

static void
test_icmp_classes(void **state)
{
	(void)state;
	assert_true(icmp4_is_error(ICMP4_UNREACH));
	assert_true(icmp4_is_error(ICMP4_TIMXCEED));
	assert_true(icmp4_is_error(ICMP4_PARAMPROB));
	assert_true(icmp4_is_error(ICMP4_REDIRECT));
	assert_true(icmp4_is_error(ICMP4_SOURCEQUENCH));
	assert_false(icmp4_is_error(ICMP4_ECHO));
	assert_true(icmp4_is_query(ICMP4_ECHO));
	assert_true(icmp4_is_query(ICMP4_ECHOREPLY));
	assert_true(icmp4_is_query(ICMP4_TSTAMP));
	assert_false(icmp4_is_query(ICMP4_UNREACH));
	assert_false(icmp4_is_query(42));
	assert_false(icmp4_is_error(42));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_options),
		cmocka_unit_test(test_emit_rejects),
		cmocka_unit_test(test_cksum_vectors),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_padding_allowed),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_badhlen),
		cmocka_unit_test(test_badlen),
		cmocka_unit_test(test_badsum),
		cmocka_unit_test(test_badoptions),
		cmocka_unit_test(test_opts_find),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_icmp_roundtrip),
		cmocka_unit_test(test_icmp_bad),
		cmocka_unit_test(test_icmp_classes),
	};

	return cmocka_run_group_tests_name("ip4_wire", tests, NULL, NULL);
}

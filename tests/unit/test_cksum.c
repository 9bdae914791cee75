/*
 * The Internet checksum (core/cksum.c) against RFC 1071's worked example,
 * a real IPv4 header, and a naive reference (16-bit big-endian words,
 * end-around carry) over random buffers at every alignment and length.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "tests/lib/harness.h"

/* A small deterministic generator for test data (splitmix64). */
static uint64_t
rnd(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
fill(uint64_t *x, uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)rnd(x);
}

/* RFC 1071 section 1, literally: big-endian words, odd byte padded. */
static uint32_t
ref_sum(const uint8_t *b, size_t len)
{
	uint64_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint32_t)sum;
}

static void
test_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: these bytes sum to ddf2 (one's complement). */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5,
		0xf6, 0xf7 };

	(void)state;
	assert_int_equal(cksum_add(0, b, sizeof(b)), 0xddf2);
	assert_int_equal(cksum(b, sizeof(b)), 0x220d);
	/* Section 2(B): the sum of the parts equals the sum of the whole. */
	assert_int_equal(cksum_add(cksum_add(0, b, 4), b + 4, 4), 0xddf2);
	assert_int_equal(cksum_add(cksum_add(0, b, 2), b + 2, 6), 0xddf2);
}

static void
test_ipv4_header(void **state)
{
	/* A captured IPv4 header: 192.168.0.1 -> 192.168.0.199, sum b861. */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
		0x00, 0xc7 };

	(void)state;
	/* A correct header sums to all ones: cksum() over it is 0. */
	assert_int_equal(cksum(h, sizeof(h)), 0);
	h[10] = h[11] = 0;
	assert_int_equal(cksum(h, sizeof(h)), 0xb861);
	/* One flipped bit is caught. */
	h[10] = 0xb8;
	h[11] = 0x61;
	h[15] ^= 0x04;
	assert_int_not_equal(cksum(h, sizeof(h)), 0);
}

static void
test_edge_lengths(void **state)
{
	static const uint8_t ff[4] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t one[1] = { 0xab };

	(void)state;
	assert_int_equal(cksum_add(0, ff, 0), 0);
	assert_int_equal(cksum(ff, 0), 0xffff);
	/* An odd final byte is the high half of a word (RFC 1071 4.1). */
	assert_int_equal(cksum_add(0, one, 1), 0xab00);
	assert_int_equal(cksum(one, 1), (uint16_t)~0xab00);
	/* All ones stays all ones (0xffff, never folds to 0). */
	assert_int_equal(cksum_add(0, ff, 4), 0xffff);
	assert_int_equal(cksum_add(0, ff, 3), ref_sum(ff, 3));
	/* A running sum passed in is added with end-around carry. */
	assert_int_equal(cksum_add(0xffff, one, 1), 0xab00);
	assert_int_equal(cksum_add(0x8000, (const uint8_t[]){ 0x80, 0x01 }, 2),
	    0x0002);
}

static void
test_random_vs_reference(void **state)
{
	uint8_t buf[1600 + 16];
	uint64_t x = wt_seed(0x5eed);

	(void)state;
	for (int round = 0; round < 40; round++) {
		fill(&x, buf, sizeof(buf));
		/* Every start alignment and a spread of lengths, odd ones too. */
		for (size_t off = 0; off < 16; off++)
			for (size_t len = 0; len <= 1600; len += 1 + len / 8) {
				uint32_t want = ref_sum(buf + off, len);

				assert_int_equal(cksum_add(0, buf + off, len),
				    want);
				assert_int_equal(cksum(buf + off, len),
				    (uint16_t)~want);
			}
	}
}

static void
test_all_small_lengths(void **state)
{
	uint8_t buf[80];
	uint64_t x = 7;

	(void)state;
	for (int round = 0; round < 200; round++) {
		fill(&x, buf, sizeof(buf));
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len + off <= sizeof(buf); len++)
				assert_int_equal(cksum_add(0, buf + off, len),
				    ref_sum(buf + off, len));
	}
}

static void
test_split_sums(void **state)
{
	uint8_t buf[1500];
	uint64_t x = 99;

	(void)state;
	/* Header and payload summed apart (split at an even offset). */
	for (int round = 0; round < 500; round++) {
		size_t len = (size_t)(rnd(&x) % sizeof(buf));
		size_t cut = (size_t)(rnd(&x) % (len + 1)) & ~(size_t)1;
		uint32_t whole;

		fill(&x, buf, len);
		whole = cksum_add(0, buf, len);
		assert_int_equal(cksum_add(cksum_add(0, buf, cut), buf + cut,
		    len - cut), whole);
		/* The partial sum is always folded to 16 bits. */
		assert_true(whole <= 0xffff);
	}
}

static void
test_pseudo(void **state)
{
	uint64_t x = 1234;

	(void)state;
	for (int round = 0; round < 10000; round++) {
		uint32_t src = (uint32_t)rnd(&x), dst = (uint32_t)rnd(&x);
		uint8_t proto = (uint8_t)rnd(&x);
		uint16_t len = (uint16_t)rnd(&x);
		uint8_t ph[12];

		/* RFC 9293 3.1: src, dst, zero, protocol, TCP length. */
		be32_store(ph, src);
		be32_store(ph + 4, dst);
		ph[8] = 0;
		ph[9] = proto;
		be16_store(ph + 10, len);
		assert_int_equal(cksum_pseudo(src, dst, proto, len),
		    ref_sum(ph, sizeof(ph)));
	}
	/* Extremes: carries out of every term. */
	assert_int_equal(cksum_pseudo(0xffffffff, 0xffffffff, 0xff, 0xffff),
	    ref_sum((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0, 0xff, 0xff, 0xff }, 12));
	assert_int_equal(cksum_pseudo(0, 0, 0, 0), 0);
}

/* A header-like buffer with its checksum field at 10, as IPv4's. */
static void
test_update16(void **state)
{
	uint8_t buf[64];
	uint64_t x = 4321;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = 12 + 2 * (size_t)(rnd(&x) % 26);
		size_t at;
		uint16_t field, oldw, neww, upd, full;

		fill(&x, buf, len);
		be16_store(buf + 10, 0);
		field = cksum(buf, len);
		be16_store(buf + 10, field);
		assert_int_equal(cksum(buf, len), 0);

		do
			at = 2 * (size_t)(rnd(&x) % (len / 2));
		while (at == 10);
		oldw = be16_load(buf + at);
		/* Sometimes the extremes, which is where eqn. 2 went wrong. */
		switch (rnd(&x) % 4) {
		case 0:
			neww = 0;
			break;
		case 1:
			neww = 0xffff;
			break;
		default:
			neww = (uint16_t)rnd(&x);
		}
		be16_store(buf + at, neww);
		upd = cksum_update16(field, oldw, neww);
		be16_store(buf + 10, 0);
		full = cksum(buf, len);
		/*
		 * RFC 1624: the update equals a recomputation, except that
		 * one's complement has two zeros (0x0000 and 0xffff), which
		 * both verify.
		 */
		if (upd != full)
			assert_true((upd == 0 && full == 0xffff) ||
			    (upd == 0xffff && full == 0));
		be16_store(buf + 10, upd);
		assert_int_equal(cksum(buf, len), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_edge_lengths),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_all_small_lengths),
		cmocka_unit_test(test_split_sums),
		cmocka_unit_test(test_pseudo),
		cmocka_unit_test(test_update16),
	};

	return cmocka_run_group_tests_name("cksum", tests, NULL, NULL);
}

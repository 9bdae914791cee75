/*
 * Ethernet II header parse/emit (link/ether_wire.c): round trips, golden
 * bytes, truncation at every length, and each bad field with its own code.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "link/ether_wire.h"
#include "tests/lib/wire.h"

/* An ARP request as tcpdump -xx shows it (frame padded to 60 bytes). */
static const uint8_t golden[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54,
	0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
	/* padding */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

static void
test_golden(void **state)
{
	struct ether_repr r;
	const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	(void)state;
	assert_int_equal(ether_wire_parse(golden, sizeof(golden), &r), 0);
	assert_true(ether_addr_is_broadcast(r.dst));
	assert_memory_equal(r.src, src, 6);
	assert_int_equal(r.type, 0x0806);
}

static void
test_roundtrip(void **state)
{
	struct ether_repr in = {
		.dst = { 0x02, 0, 0, 0, 0, 0x02 },
		.src = { 0x02, 0, 0, 0, 0, 0x01 },
		.type = 0x0800,
	}, out;
	uint8_t buf[ETHER_HDR_LEN + 4];

	(void)state;
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(ether_wire_emit(&in, buf, sizeof(buf)), ETHER_HDR_LEN);
	/* Big-endian type, and nothing written past the header. */
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[13], 0x00);
	assert_int_equal(buf[14], 0xaa);
	assert_int_equal(ether_wire_parse(buf, ETHER_HDR_LEN, &out), 0);
	assert_memory_equal(in.dst, out.dst, 6);
	assert_memory_equal(in.src, out.src, 6);
	assert_int_equal(in.type, out.type);

	/* Every EtherType from 0x0600 up survives the trip. */
	for (uint32_t t = ETHER_TYPE_MIN; t <= 0xffff; t += 0x0101) {
		in.type = (uint16_t)t;
		ether_wire_emit(&in, buf, sizeof(buf));
		assert_int_equal(ether_wire_parse(buf, sizeof(buf), &out), 0);
		assert_int_equal(out.type, t);
	}
}

static void
test_emit_short(void **state)
{
	struct ether_repr in = { .type = 0x0800 };
	uint8_t buf[ETHER_HDR_LEN];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	for (size_t len = 0; len < ETHER_HDR_LEN; len++)
		assert_int_equal(ether_wire_emit(&in, buf, len), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
}

static void
parse_short(void *arg, const uint8_t *b, size_t len)
{
	struct ether_repr r;

	(void)arg;
	assert_int_equal(ether_wire_parse(b, len, &r), ETHER_WIRE_ESHORT);
}

static void
test_truncated(void **state)
{
	struct ether_repr r;

	(void)state;
	wt_each_truncation(golden, ETHER_HDR_LEN, parse_short, NULL);
	assert_int_equal(ether_wire_parse(golden, ETHER_HDR_LEN, &r), 0);
}

static void
test_bad_source(void **state)
{
	struct ether_repr r;
	uint8_t b[ETHER_HDR_LEN];

	(void)state;
	memcpy(b, golden, sizeof(b));
	b[6] = 0x01;  /* group bit: multicast source */
	assert_int_equal(ether_wire_parse(b, sizeof(b), &r), ETHER_WIRE_ESRC);
	memset(b + 6, 0xff, 6);  /* broadcast source */
	assert_int_equal(ether_wire_parse(b, sizeof(b), &r), ETHER_WIRE_ESRC);
	b[6] = 0x02;  /* locally administered unicast is fine */
	b[7] = 0x00;
	assert_int_equal(ether_wire_parse(b, sizeof(b), &r), 0);
}

static void
test_length_field(void **state)
{
	struct ether_repr r;
	uint8_t b[ETHER_HDR_LEN];

	(void)state;
	memcpy(b, golden, sizeof(b));
	/* 0x0000 .. 0x05ff are 802.3 lengths or undefined. */
	const uint16_t bad[] = { 0x0000, 0x002e, 0x05dc, 0x05dd, 0x05ff };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b[12] = (uint8_t)(bad[i] >> 8);
		b[13] = (uint8_t)bad[i];
		assert_int_equal(ether_wire_parse(b, sizeof(b), &r),
		    ETHER_WIRE_ELENGTH);
	}
	b[12] = 0x06;
	b[13] = 0x00;
	assert_int_equal(ether_wire_parse(b, sizeof(b), &r), 0);
	assert_int_equal(r.type, 0x0600);
}

static void
test_error_codes_distinct(void **state)
{
	const int codes[] = { 0, ETHER_WIRE_ESHORT, ETHER_WIRE_ESRC,
	    ETHER_WIRE_ELENGTH };
	size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			assert_int_not_equal(codes[i], codes[j]);
			assert_string_not_equal(ether_wire_strerror(codes[i]),
			    ether_wire_strerror(codes[j]));
		}
	assert_string_equal(ether_wire_strerror(-99), "unknown");
}

static void
test_addr_predicates(void **state)
{
	const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	const uint8_t uc[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	const uint8_t almost[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };
	const uint8_t zero[6] = { 0 };

	(void)state;
	assert_true(ether_addr_is_broadcast(bc));
	assert_true(ether_addr_is_multicast(bc));
	assert_false(ether_addr_is_broadcast(mc));
	assert_true(ether_addr_is_multicast(mc));
	assert_false(ether_addr_is_multicast(uc));
	assert_false(ether_addr_is_broadcast(almost));
	assert_true(ether_addr_is_zero(zero));
	assert_false(ether_addr_is_zero(uc));
	assert_true(ether_addr_eq(bc, ether_broadcast_addr));
	assert_false(ether_addr_eq(uc, mc));
}

/* Random input of random length: parse never crashes or overreads. */
static void
test_random(void **state)
{
	uint64_t x = 0x243f6a8885a308d3ULL;
	struct ether_repr r;
	int seen[4] = { 0 };

	(void)state;
	for (int n = 0; n < 20000; n++) {
		size_t len;
		uint8_t *b;
		int rc;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (size_t)(x % 40);
		b = malloc(len + 1);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b[i] = (uint8_t)x;
		}
		rc = ether_wire_parse(b, len, &r);
		assert_true(rc <= 0 && rc >= ETHER_WIRE_ELENGTH);
		seen[-rc]++;
		if (rc == 0) {
			assert_memory_equal(r.dst, b, 6);
			assert_false(ether_addr_is_multicast(r.src));
			assert_true(r.type >= ETHER_TYPE_MIN);
		}
		free(b);
	}
	for (int i = 0; i < 4; i++)
		assert_true(seen[i] > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_emit_short),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_source),
		cmocka_unit_test(test_length_field),
		cmocka_unit_test(test_error_codes_distinct),
		cmocka_unit_test(test_addr_predicates),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests_name("ether_wire", tests, NULL, NULL);
}

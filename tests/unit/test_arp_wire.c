/*
 * ARP packet parse/emit (arp/arp_wire.c): round trips, golden bytes,
 * truncation at every length, and each bad field with its own code.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arp/arp_wire.h"
#include "tests/lib/wire.h"

/*
 * tcpdump -xx of "ARP, Request who-has 198.18.0.2 tell 198.18.0.1"
 * (Ethernet header removed), then the 18 bytes of frame padding.
 */
static const uint8_t golden_req[46] = {
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x00, 0x02,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

/* "ARP, Reply 198.18.0.2 is-at 02:00:00:00:00:02". */
static const uint8_t golden_rep[28] = {
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc6, 0x12, 0x00, 0x02,
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0xc6, 0x12, 0x00, 0x01,
};

static void
test_golden(void **state)
{
	struct arp_repr r;
	const uint8_t sha[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	const uint8_t zero[6] = { 0 };
	uint8_t buf[28];

	(void)state;
	/* Padding after the 28 bytes is ignored. */
	assert_int_equal(arp_wire_parse(golden_req, sizeof(golden_req), &r), 0);
	assert_int_equal(r.op, ARP_OP_REQUEST);
	assert_memory_equal(r.sha, sha, 6);
	assert_int_equal(r.spa, 0xc6120001u);
	assert_memory_equal(r.tha, zero, 6);
	assert_int_equal(r.tpa, 0xc6120002u);
	/* Emitting the parsed repr gives back the same bytes. */
	assert_int_equal(arp_wire_emit(&r, buf, sizeof(buf)), 28);
	assert_memory_equal(buf, golden_req, 28);

	assert_int_equal(arp_wire_parse(golden_rep, sizeof(golden_rep), &r), 0);
	assert_int_equal(r.op, ARP_OP_REPLY);
	assert_int_equal(r.spa, 0xc6120002u);
	assert_int_equal(r.tpa, 0xc6120001u);
	assert_memory_equal(r.tha, sha, 6);
	assert_int_equal(arp_wire_emit(&r, buf, sizeof(buf)), 28);
	assert_memory_equal(buf, golden_rep, 28);
}

static void
test_roundtrip(void **state)
{
	struct arp_repr in = {
		.op = ARP_OP_REPLY,
		.sha = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 },
		.spa = 0xc6130a0bu,
		.tha = { 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f },
		.tpa = 0x01020304u,
	}, out;
	uint8_t buf[40];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(arp_wire_emit(&in, buf, sizeof(buf)), ARP_ETHER_IPV4_LEN);
	assert_int_equal(buf[28], 0xee);  /* nothing past the packet */
	assert_int_equal(buf[14], 0xc6);  /* big-endian addresses */
	assert_int_equal(buf[17], 0x0b);
	assert_int_equal(arp_wire_parse(buf, ARP_ETHER_IPV4_LEN, &out), 0);
	assert_int_equal(out.op, in.op);
	assert_memory_equal(out.sha, in.sha, 6);
	assert_int_equal(out.spa, in.spa);
	assert_memory_equal(out.tha, in.tha, 6);
	assert_int_equal(out.tpa, in.tpa);

	in.op = ARP_OP_REQUEST;
	arp_wire_emit(&in, buf, sizeof(buf));
	assert_int_equal(arp_wire_parse(buf, sizeof(buf), &out), 0);
	assert_int_equal(out.op, ARP_OP_REQUEST);
}

static void
test_emit_short(void **state)
{
	struct arp_repr in = { .op = ARP_OP_REQUEST };
	uint8_t buf[28];

	(void)state;
	memset(buf, 0x77, sizeof(buf));
	for (size_t len = 0; len < ARP_ETHER_IPV4_LEN; len++)
		assert_int_equal(arp_wire_emit(&in, buf, len), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x77);
}

static void
parse_short(void *arg, const uint8_t *b, size_t len)
{
	struct arp_repr r;

	(void)arg;
	assert_int_equal(arp_wire_parse(b, len, &r), ARP_WIRE_ESHORT);
}

static void
test_truncated(void **state)
{
	struct arp_repr r;

	(void)state;
	wt_each_truncation(golden_rep, ARP_ETHER_IPV4_LEN, parse_short, NULL);
	assert_int_equal(arp_wire_parse(golden_rep, 28, &r), 0);
}

/* Set a 16-bit field of a copy of golden_rep and parse it. */
static int
parse_with16(size_t off, uint16_t v)
{
	uint8_t b[28];
	struct arp_repr r;

	memcpy(b, golden_rep, sizeof(b));
	b[off] = (uint8_t)(v >> 8);
	b[off + 1] = (uint8_t)v;
	return arp_wire_parse(b, sizeof(b), &r);
}

static int
parse_with8(size_t off, uint8_t v)
{
	uint8_t b[28];
	struct arp_repr r;

	memcpy(b, golden_rep, sizeof(b));
	b[off] = v;
	return arp_wire_parse(b, sizeof(b), &r);
}

static void
test_bad_fields(void **state)
{
	(void)state;
	/* Hardware type: 6 is IEEE 802, 0x0100 is 1 byte-swapped. */
	assert_int_equal(parse_with16(ARP_OFF_HTYPE, 0), ARP_WIRE_EHTYPE);
	assert_int_equal(parse_with16(ARP_OFF_HTYPE, 6), ARP_WIRE_EHTYPE);
	assert_int_equal(parse_with16(ARP_OFF_HTYPE, 0x0100), ARP_WIRE_EHTYPE);
	/* Protocol type: IPv6's EtherType, ARP's own, byte-swapped IPv4. */
	assert_int_equal(parse_with16(ARP_OFF_PTYPE, 0x86dd), ARP_WIRE_EPTYPE);
	assert_int_equal(parse_with16(ARP_OFF_PTYPE, 0x0806), ARP_WIRE_EPTYPE);
	assert_int_equal(parse_with16(ARP_OFF_PTYPE, 0x0008), ARP_WIRE_EPTYPE);
	/* Address lengths. */
	for (unsigned v = 0; v < 256; v++) {
		if (v != 6)
			assert_int_equal(parse_with8(ARP_OFF_HLEN, (uint8_t)v),
			    ARP_WIRE_EHLEN);
		if (v != 4)
			assert_int_equal(parse_with8(ARP_OFF_PLEN, (uint8_t)v),
			    ARP_WIRE_EPLEN);
	}
	/* Opcodes: only 1 and 2 (RARP 3/4 and InARP 8/9 are not ARP here). */
	const uint16_t ops[] = { 0, 3, 4, 8, 9, 0x0100, 0x0200, 0xffff };
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		assert_int_equal(parse_with16(ARP_OFF_OP, ops[i]), ARP_WIRE_EOP);
	assert_int_equal(parse_with16(ARP_OFF_OP, 1), 0);
	assert_int_equal(parse_with16(ARP_OFF_OP, 2), 0);
}

/* A bad fixed part is reported as such even when the packet is short. */
static void
test_bad_fixed_part_when_short(void **state)
{
	uint8_t b[12];
	struct arp_repr r;

	(void)state;
	memcpy(b, golden_rep, sizeof(b));
	b[ARP_OFF_HLEN] = 16;
	assert_int_equal(arp_wire_parse(b, sizeof(b), &r), ARP_WIRE_EHLEN);
	assert_int_equal(arp_wire_parse(b, 7, &r), ARP_WIRE_ESHORT);
}

static void
test_error_codes_distinct(void **state)
{
	const int codes[] = { 0, ARP_WIRE_ESHORT, ARP_WIRE_EHTYPE,
	    ARP_WIRE_EPTYPE, ARP_WIRE_EHLEN, ARP_WIRE_EPLEN, ARP_WIRE_EOP };
	size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			assert_int_not_equal(codes[i], codes[j]);
			assert_string_not_equal(arp_wire_strerror(codes[i]),
			    arp_wire_strerror(codes[j]));
		}
	assert_string_equal(arp_wire_strerror(12345), "unknown");
}

/* Random mutations of a valid packet: no crash, no overread. */
static void
test_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct arp_repr r;
	int ok = 0, bad = 0;

	(void)state;
	for (int n = 0; n < 50000; n++) {
		size_t len;
		uint8_t *b;
		int rc;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = (size_t)(x % 48);
		b = malloc(len + 1);
		for (size_t i = 0; i < len; i++)
			b[i] = i < 28 ? golden_rep[i] : 0;
		/* Flip up to two bytes within the fixed part mostly. */
		for (int k = 0; k < 2 && len > 0; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (x & 1)
				b[(x >> 8) % (len < 10 ? len : 10)] = (uint8_t)(x >> 24);
		}
		rc = arp_wire_parse(b, len, &r);
		assert_true(rc <= 0 && rc >= ARP_WIRE_EOP);
		if (rc == 0) {
			ok++;
			assert_true(len >= ARP_ETHER_IPV4_LEN);
			assert_true(r.op == ARP_OP_REQUEST || r.op == ARP_OP_REPLY);
		} else {
			bad++;
		}
		free(b);
	}
	assert_true(ok > 0 && bad > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_emit_short),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_bad_fixed_part_when_short),
		cmocka_unit_test(test_error_codes_distinct),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests_name("arp_wire", tests, NULL, NULL);
}

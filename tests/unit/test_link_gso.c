/*
 * Software segmentation of TCP super-segments (link/gso.c): what each
 * segment carries must be what the kernel's GSO would make of the frame,
 * every checksum valid, and anything malformed refused without reading
 * past the frame.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "link/link_var.h"

#define SRC 0xc6120001u /* 198.18.0.1 */
#define DST 0xc6120002u /* 198.18.0.2 */
#define TCPHL 32        /* with a timestamp option */
#define SEQ0 0xfffff000u /* wraps inside the super-segment */
#define ID0 0xfffeu

struct seglog {
	unsigned n, stop_at;
	uint8_t frames[16][1600];
	size_t len[16];
};

static int
record(void *arg, const uint8_t *frame, size_t len)
{
	struct seglog *g = arg;

	if (g->stop_at != 0 && g->n + 1 == g->stop_at)
		return WS_ENOBUFS;
	assert_true(g->n < 16);
	assert_true(len <= sizeof(g->frames[0]));
	memcpy(g->frames[g->n], frame, len);
	g->len[g->n++] = len;
	return 0;
}

/* A super-segment of `payload` bytes behind l2 bytes of link header. */
static size_t
build(uint8_t *buf, size_t l2, size_t payload, uint8_t flags)
{
	uint8_t *ip = buf + l2, *th = ip + 20;
	size_t tcplen = TCPHL + payload;

	memset(buf, 0, l2 + 20 + tcplen);
	if (l2 != 0)
		be16_store(buf + 12, 0x0800);
	ip[0] = 0x45;
	be16_store(ip + 2, (uint16_t)(20 + tcplen));
	be16_store(ip + 4, ID0);
	be16_store(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	be32_store(ip + 12, SRC);
	be32_store(ip + 16, DST);
	be16_store(ip + 10, cksum(ip, 20));
	be16_store(th, 40000);
	be16_store(th + 2, 5001);
	be32_store(th + 4, SEQ0);
	be32_store(th + 8, 12345);
	th[12] = (TCPHL / 4) << 4;
	th[13] = flags;
	be16_store(th + 14, 512);
	th[20] = 1;
	th[21] = 1;
	th[22] = 8;
	th[23] = 10;
	be32_store(th + 24, 777);
	be32_store(th + 28, 888);
	for (size_t i = 0; i < payload; i++)
		th[TCPHL + i] = (uint8_t)(i * 7 + 3);
	/* Partial checksum, as the stack leaves it (ignored here). */
	be16_store(th + 16, 0x1234);
	return l2 + 20 + tcplen;
}

static void
check_segments(size_t l2, enum ws_medium medium)
{
	static uint8_t buf[70000];
	static struct seglog g;
	const size_t payload = 10000, mss = 1448;
	struct ws_link_frame f;
	size_t got = 0;

	memset(&g, 0, sizeof(g));
	f.len = build(buf, l2, payload, 0x80 | 0x10 | 0x08 | 0x01);
	f.data = buf;
	f.gso_size = (uint16_t)mss;
	assert_int_equal(link_gso_segment(&f, medium, record, &g), 0);
	assert_int_equal(g.n, (payload + mss - 1) / mss);
	for (unsigned i = 0; i < g.n; i++) {
		const uint8_t *s = g.frames[i], *ip = s + l2, *th = ip + 20;
		size_t n = i + 1 < g.n ? mss : payload - mss * (g.n - 1);
		uint32_t sum;

		assert_int_equal(g.len[i], l2 + 20 + TCPHL + n);
		assert_memory_equal(s, buf, l2);
		assert_int_equal(be16_load(ip + 2), 20 + TCPHL + n);
		assert_int_equal(be16_load(ip + 4), (uint16_t)(ID0 + i));
		assert_int_equal(cksum(ip, 20), 0);
		assert_int_equal(be32_load(th + 4), (uint32_t)(SEQ0 + i * mss));
		/* CWR on the first only; PSH and FIN on the last only. */
		assert_int_equal(th[13], (i == 0 ? 0x80 : 0) | 0x10 |
		    (i + 1 == g.n ? 0x08 | 0x01 : 0));
		/* Options and the rest of the header copied. */
		assert_memory_equal(th + 8, buf + l2 + 20 + 8, 4);
		assert_memory_equal(th + 14, buf + l2 + 20 + 14, 2);
		assert_memory_equal(th + 18, buf + l2 + 20 + 18, TCPHL - 18);
		sum = cksum_pseudo(SRC, DST, 6, (uint16_t)(TCPHL + n));
		assert_int_equal(cksum_finish(cksum_add(sum, th, TCPHL + n)), 0);
		assert_memory_equal(th + TCPHL, buf + l2 + 20 + TCPHL + got, n);
		got += n;
	}
	assert_int_equal(got, payload);
}

static void
test_ether(void **state)
{
	(void)state;
	check_segments(14, WS_MEDIUM_ETHERNET);
}

static void
test_ip(void **state)
{
	(void)state;
	check_segments(0, WS_MEDIUM_IP);
}

/* Exactly whole segments: no short tail, PSH still on the last. */
static void
test_exact_multiple(void **state)
{
	static uint8_t buf[8000];
	static struct seglog g;
	struct ws_link_frame f;

	(void)state;
	memset(&g, 0, sizeof(g));
	f.len = build(buf, 14, 3 * 1000, 0x18);
	f.data = buf;
	f.gso_size = 1000;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    0);
	assert_int_equal(g.n, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(g.len[i], 14 + 20 + TCPHL + 1000);
		assert_int_equal(g.frames[i][14 + 20 + 13],
		    i == 2 ? 0x18 : 0x10);
	}
}

/* An error from the device stops the cutting and is returned. */
static void
test_emit_error_stops(void **state)
{
	static uint8_t buf[8000];
	static struct seglog g;
	struct ws_link_frame f;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.stop_at = 3;
	f.len = build(buf, 14, 5000, 0x10);
	f.data = buf;
	f.gso_size = 1000;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_ENOBUFS);
	assert_int_equal(g.n, 2);
}

static void
test_malformed(void **state)
{
	static uint8_t buf[8000];
	static struct seglog g;
	struct ws_link_frame f;
	size_t len;
	uint8_t *copy;

	(void)state;
	len = build(buf, 14, 3000, 0x10);
	f.data = buf;
	f.len = len;
	/* Not a super-segment. */
	f.gso_size = 0;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	f.gso_size = 1000;
	/* Not IPv4, not TCP, a bad version, lengths that disagree. */
	buf[12] = 0x86;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	buf[12] = 0x08;
	buf[14 + 9] = 17;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	buf[14 + 9] = 6;
	buf[14] = 0x65;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	buf[14] = 0x45;
	buf[14 + 20 + 12] = 0x40; /* data offset 16 bytes */
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	buf[14 + 20 + 12] = (TCPHL / 4) << 4;
	f.len = len - 1;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	/* Headers only, no payload. */
	len = build(buf, 14, 0, 0x10);
	f.len = len;
	assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET, record, &g),
	    WS_EINVAL);
	/* Cut short at every length, in an exactly sized copy (ASan). */
	len = build(buf, 14, 3000, 0x10);
	for (size_t cut = 0; cut < len; cut++) {
		copy = malloc(cut ? cut : 1);
		assert_non_null(copy);
		memcpy(copy, buf, cut);
		f.data = copy;
		f.len = cut;
		memset(&g, 0, sizeof(g));
		assert_int_equal(link_gso_segment(&f, WS_MEDIUM_ETHERNET,
		    record, &g), WS_EINVAL);
		assert_int_equal(g.n, 0);
		free(copy);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ether),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_exact_multiple),
		cmocka_unit_test(test_emit_error_stops),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests_name("link_gso", tests, NULL, NULL);
}

/*
 * TCP header and option parsing/emission (tcp/tcp_wire.c): golden bytes
 * captured from Linux, round trips of every option combination, hostile
 * option lists, truncation and checksums against an independent
 * implementation.  Segments under test are copied to heap buffers of
 * exactly their length, so ASan reports any read past len.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_wire.h"
#include "tests/lib/wire.h"

/*
 * A SYN captured with tcpdump on Linux loopback (connect() to
 * 127.0.0.1:47123): MSS 65495, SACK permitted, timestamps, NOP, WS 10.
 * The checksum field holds only the partial (offloaded) sum, as usual on
 * lo, so it is not checked here.
 */
static const uint8_t linux_syn[] = {
	0xc2, 0xfc, 0xb8, 0x13, 0x7f, 0x4d, 0x29, 0x35, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xff, 0xd7, 0xfe, 0x30, 0x00, 0x00,
	0x02, 0x04, 0xff, 0xd7, 0x04, 0x02, 0x08, 0x0a, 0x43, 0xf1, 0xa7, 0x0a,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};

/* The kernel's RST|ACK answer to it (port closed); full checksum. */
static const uint8_t linux_rst[] = {
	0xb8, 0x13, 0xc2, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x7f, 0x4d, 0x29, 0x36,
	0x50, 0x14, 0x00, 0x00, 0x8e, 0x3a, 0x00, 0x00,
};
#define LOOPBACK 0x7f000001u

/* A typical Ethernet SYN option block: MSS 1460, SACKOK, TS, NOP, WS 7. */
static const uint8_t eth_syn_opts[] = {
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01, 0x02, 0x03,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	/* xorshift64*, deterministic */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static int
parse_exact(const uint8_t *b, size_t len, struct tcp_hdr *th)
{
	uint8_t *p = wt_dup_exact(b, len);
	int rc = tcp_wire_parse(p, len, th);

	free(p);
	return rc;
}

/* Independent RFC 1071 sum: big-endian 16-bit words, plain loop. */
static uint16_t
naive_tcp_cksum(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst,
    bool skip_field)
{
	uint64_t s = 0;

	s += src >> 16;
	s += src & 0xffff;
	s += dst >> 16;
	s += dst & 0xffff;
	s += 6;
	s += len;
	for (size_t i = 0; i < len; i += 2) {
		uint16_t w;

		if (skip_field && i == 16)
			continue;
		w = (uint16_t)(seg[i] << 8);
		if (i + 1 < len)
			w |= seg[i + 1];
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
test_golden_linux_syn(void **state)
{
	struct tcp_hdr th;
	uint8_t out[TCP_HDR_MAX];

	(void)state;
	assert_int_equal(parse_exact(linux_syn, sizeof(linux_syn), &th),
	    TCP_WIRE_OK);
	assert_int_equal(th.sport, 49916);
	assert_int_equal(th.dport, 47123);
	assert_int_equal(th.seq, 0x7f4d2935u);
	assert_int_equal(th.ack, 0);
	assert_int_equal(th.off, 40);
	assert_int_equal(th.flags, TH_SYN);
	assert_int_equal(th.win, 65495);
	assert_int_equal(th.sum, 0xfe30);
	assert_int_equal(th.urp, 0);
	assert_int_equal(th.opts.present,
	    TOF_MSS | TOF_SACKPERM | TOF_TS | TOF_WSCALE);
	assert_int_equal(th.opts.mss, 65495);
	assert_int_equal(th.opts.wscale, 10);
	assert_int_equal(th.opts.tsval, 0x43f1a70au);
	assert_int_equal(th.opts.tsecr, 0);
	assert_int_equal(th.opts.nsack, 0);

	/* Our emitter produces Linux's exact layout. */
	assert_int_equal(tcp_wire_optlen(&th.opts), 20);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(tcp_wire_emit(out, &th), 40);
	assert_int_equal(out[16], 0);
	assert_int_equal(out[17], 0);
	assert_memory_equal(out, linux_syn, 16);
	assert_memory_equal(out + 18, linux_syn + 18, 22);
}

static void
test_golden_eth_syn(void **state)
{
	uint8_t seg[40];
	struct tcp_hdr th;
	uint8_t out[TCP_HDR_MAX];

	(void)state;
	memset(seg, 0, 20);
	seg[0] = 0x9c; seg[1] = 0x40;  /* 40000 */
	seg[3] = 80;
	seg[12] = 0xa0;
	seg[13] = TH_SYN;
	seg[14] = 0xfa; seg[15] = 0xf0;
	memcpy(seg + 20, eth_syn_opts, 20);
	assert_int_equal(parse_exact(seg, 40, &th), TCP_WIRE_OK);
	assert_int_equal(th.opts.mss, 1460);
	assert_int_equal(th.opts.wscale, 7);
	assert_int_equal(th.opts.tsval, 0x00010203u);
	assert_true(th.opts.present & TOF_SACKPERM);
	assert_int_equal(tcp_wire_emit(out, &th), 40);
	assert_memory_equal(out + 20, eth_syn_opts, 20);
}

static void
test_golden_rst_cksum(void **state)
{
	uint8_t seg[sizeof(linux_rst)];
	struct tcp_hdr th;

	(void)state;
	memcpy(seg, linux_rst, sizeof(seg));
	assert_int_equal(parse_exact(seg, sizeof(seg), &th), TCP_WIRE_OK);
	assert_int_equal(th.flags, TH_RST | TH_ACK);
	assert_int_equal(th.ack, 0x7f4d2936u);
	assert_int_equal(th.opts.present, 0);
	assert_true(tcp_wire_cksum_ok(seg, sizeof(seg), LOOPBACK, LOOPBACK));
	assert_false(tcp_wire_cksum_ok(seg, sizeof(seg), LOOPBACK,
	    LOOPBACK + 1));
	/* Recomputing gives the kernel's value. */
	tcp_wire_set_cksum(seg, sizeof(seg), LOOPBACK, LOOPBACK);
	assert_memory_equal(seg, linux_rst, sizeof(seg));
	/* Any single bit flip is detected. */
	for (size_t i = 0; i < sizeof(seg) * 8; i++) {
		seg[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_false(tcp_wire_cksum_ok(seg, sizeof(seg), LOOPBACK,
		    LOOPBACK));
		seg[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
}

static void
fill_opts(struct tcp_opts *o, uint32_t mask, unsigned nsack)
{
	memset(o, 0, sizeof(*o));
	o->present = mask;
	if (mask & TOF_MSS)
		o->mss = (uint16_t)rnd();
	if (mask & TOF_WSCALE)
		o->wscale = (uint8_t)(rnd() % (TCP_MAX_WSCALE + 1));
	if (mask & TOF_TS) {
		o->tsval = rnd();
		o->tsecr = rnd();
	}
	if (mask & TOF_SACK) {
		o->nsack = (uint8_t)nsack;
		for (unsigned k = 0; k < nsack; k++) {
			o->sack[k].start = rnd();
			o->sack[k].end = rnd();
		}
	}
}

static void
test_roundtrip_all_combinations(void **state)
{
	unsigned cases = 0;

	(void)state;
	for (uint32_t mask = 0; mask < 32; mask++) {
		unsigned maxs = (mask & TOF_SACK) ? TCP_MAX_SACK : 0;

		for (unsigned ns = (mask & TOF_SACK) ? 1 : 0; ns <= maxs;
		    ns++) {
			for (int rep = 0; rep < 20; rep++) {
				struct tcp_hdr th, back;
				uint8_t buf[TCP_HDR_MAX + 7];
				size_t hl, ol;
				unsigned fit;

				memset(&th, 0, sizeof(th));
				th.sport = (uint16_t)rnd();
				th.dport = (uint16_t)rnd();
				th.seq = rnd();
				th.ack = rnd();
				th.flags = (uint8_t)rnd();
				th.win = (uint16_t)rnd();
				th.urp = (uint16_t)rnd();
				fill_opts(&th.opts, mask, ns);
				ol = tcp_wire_optlen(&th.opts);
				assert_int_equal(ol % 4, 0);
				assert_true(ol <= 40);
				memset(buf, 0xa5, sizeof(buf));
				hl = tcp_wire_emit(buf, &th);
				assert_int_equal(hl, 20 + ol);
				/* Nothing written past the header. */
				for (size_t i = hl; i < sizeof(buf); i++)
					assert_int_equal(buf[i], 0xa5);
				assert_int_equal(parse_exact(buf, hl, &back),
				    TCP_WIRE_OK);
				assert_int_equal(back.off, hl);
				assert_int_equal(back.sport, th.sport);
				assert_int_equal(back.dport, th.dport);
				assert_int_equal(back.seq, th.seq);
				assert_int_equal(back.ack, th.ack);
				assert_int_equal(back.flags, th.flags);
				assert_int_equal(back.win, th.win);
				assert_int_equal(back.urp, th.urp);
				assert_int_equal(back.sum, 0);
				fit = tcp_wire_sack_fit(&th.opts);
				/* SACK blocks that fit: 4 alone, 3 with TS. */
				if (mask & TOF_SACK) {
					unsigned room = 40 - (unsigned)(ol -
					    (fit ? 4 + 8 * fit : 0));
					assert_true(fit >= 1);
					assert_true(fit == ns ||
					    room < 4 + 8 * (fit + 1));
				}
				uint32_t want = mask;
				if (fit == 0)
					want &= ~(uint32_t)TOF_SACK;
				assert_int_equal(back.opts.present, want);
				if (mask & TOF_MSS)
					assert_int_equal(back.opts.mss,
					    th.opts.mss);
				if (mask & TOF_WSCALE)
					assert_int_equal(back.opts.wscale,
					    th.opts.wscale);
				if (mask & TOF_TS) {
					assert_int_equal(back.opts.tsval,
					    th.opts.tsval);
					assert_int_equal(back.opts.tsecr,
					    th.opts.tsecr);
				}
				assert_int_equal(back.opts.nsack, fit);
				for (unsigned k = 0; k < fit; k++) {
					assert_int_equal(back.opts.sack[k].start,
					    th.opts.sack[k].start);
					assert_int_equal(back.opts.sack[k].end,
					    th.opts.sack[k].end);
				}
				cases++;
			}
		}
	}
	assert_true(cases > 500);
}

static void
test_sack_fit(void **state)
{
	struct tcp_opts o;

	(void)state;
	fill_opts(&o, TOF_SACK, 4);
	assert_int_equal(tcp_wire_sack_fit(&o), 4);
	assert_int_equal(tcp_wire_optlen(&o), 36);
	fill_opts(&o, TOF_SACK | TOF_TS, 4);
	assert_int_equal(tcp_wire_sack_fit(&o), 3);
	assert_int_equal(tcp_wire_optlen(&o), 40);
	fill_opts(&o, TOF_SACK | TOF_TS | TOF_MSS | TOF_WSCALE | TOF_SACKPERM,
	    4);
	assert_int_equal(tcp_wire_sack_fit(&o), 2);
	assert_int_equal(tcp_wire_optlen(&o), 40);
	/* SACK flag with no blocks emits nothing. */
	fill_opts(&o, TOF_SACK, 0);
	assert_int_equal(tcp_wire_optlen(&o), 0);
	/* nsack larger than the array is clipped. */
	fill_opts(&o, TOF_SACK, 4);
	o.nsack = 200;
	assert_int_equal(tcp_wire_sack_fit(&o), 4);
}

/* Build a segment with a 20-byte header and the given option bytes
 * (padded with EOL to a multiple of 4). */
static size_t
build(uint8_t *seg, const uint8_t *opt, size_t optlen)
{
	size_t padded = (optlen + 3) & ~(size_t)3;

	memset(seg, 0, 20 + padded);
	seg[12] = (uint8_t)(((20 + padded) / 4) << 4);
	memcpy(seg + 20, opt, optlen);
	return 20 + padded;
}

static int
parse_opts_bytes(const uint8_t *opt, size_t optlen, struct tcp_hdr *th)
{
	uint8_t seg[64];
	size_t len = build(seg, opt, optlen);

	return parse_exact(seg, len, th);
}

static void
test_hostile_options(void **state)
{
	struct tcp_hdr th;
	static const struct {
		uint8_t b[12];
		size_t n;
		int rc;
	} cases[] = {
		{ { 0x22, 0x00, 1, 1 }, 4, TCP_WIRE_BADOPT },    /* len 0 */
		{ { 0x22, 0x01, 1, 1 }, 4, TCP_WIRE_BADOPT },    /* len 1 */
		{ { 0x22, 0x05, 1, 1 }, 4, TCP_WIRE_BADOPT },    /* overrun */
		{ { 0x22, 0xff, 1, 1 }, 4, TCP_WIRE_BADOPT },    /* huge */
		{ { 1, 1, 1, 0x22 }, 4, TCP_WIRE_BADOPT },       /* no len byte */
		{ { 0x02, 0x00 }, 2, TCP_WIRE_BADOPT },          /* MSS len 0 */
		{ { 0x02, 0x03, 0 }, 3, TCP_WIRE_BADOPT },       /* MSS len 3 */
		{ { 0x02, 0x05, 0, 0, 0 }, 5, TCP_WIRE_BADOPT }, /* MSS len 5 */
		{ { 0x03, 0x04, 7, 0 }, 4, TCP_WIRE_BADOPT },    /* WS len 4 */
		{ { 0x03, 0x02 }, 2, TCP_WIRE_BADOPT },          /* WS len 2 */
		{ { 0x04, 0x03, 0 }, 3, TCP_WIRE_BADOPT },       /* SACKOK 3 */
		{ { 0x08, 0x08, 0, 0, 0, 0, 0, 0 }, 8, TCP_WIRE_BADOPT }, /* TS */
		{ { 0x08, 0x0a, 0, 0, 0, 0, 0, 0 }, 8, TCP_WIRE_BADOPT }, /* cut */
		{ { 0x05, 0x02 }, 2, TCP_WIRE_BADOPT },          /* SACK, 0 blk */
		{ { 0x05, 0x06, 0, 0, 0, 0 }, 6, TCP_WIRE_BADOPT }, /* 2+4 */
		{ { 0x05, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 11,
		    TCP_WIRE_BADOPT },                           /* 2+9 */
		{ { 0x22, 0x02, 0x23, 0x03, 0 }, 5, TCP_WIRE_OK }, /* unknown */
		{ { 0x00, 0x00, 0xff, 0xff }, 4, TCP_WIRE_OK },  /* EOL stops */
		{ { 0x01, 0x01, 0x01, 0x01 }, 4, TCP_WIRE_OK },  /* NOPs */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_opts_bytes(cases[i].b, cases[i].n, &th);

		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d", i, rc,
			    cases[i].rc);
	}
	/* Garbage after EOL is ignored (even a malformed option). */
	{
		uint8_t b[] = { 2, 4, 1, 0, 0, 0x22, 0 };
		assert_int_equal(parse_opts_bytes(b, sizeof(b), &th),
		    TCP_WIRE_OK);
		assert_int_equal(th.opts.present, TOF_MSS);
		assert_int_equal(th.opts.mss, 256);
	}
	/* An option exactly filling the header is accepted; one byte more
	 * is not. */
	{
		uint8_t b[40] = { 0x22, 40 };
		assert_int_equal(parse_opts_bytes(b, 40, &th), TCP_WIRE_OK);
		b[1] = 41;
		assert_int_equal(parse_opts_bytes(b, 40, &th),
		    TCP_WIRE_BADOPT);
	}
	/* SACK with 4 blocks is fine; with 5 (42 bytes) cannot fit; with
	 * 4 blocks + a length claiming 5 overruns. */
	{
		uint8_t b[40] = { 1, 1, 5, 34 };
		for (int k = 0; k < 32; k++)
			b[4 + k] = (uint8_t)k;
		assert_int_equal(parse_opts_bytes(b, 36, &th), TCP_WIRE_OK);
		assert_int_equal(th.opts.nsack, 4);
		assert_int_equal(th.opts.sack[0].start, 0x00010203u);
		assert_int_equal(th.opts.sack[3].end, 0x1c1d1e1fu);
		b[3] = 42;
		assert_int_equal(parse_opts_bytes(b, 40, &th),
		    TCP_WIRE_BADOPT);
	}
}

static void
test_wscale_clamp(void **state)
{
	struct tcp_hdr th;
	uint8_t b[] = { 1, 3, 3, 15 };

	(void)state;
	assert_int_equal(parse_opts_bytes(b, 4, &th), TCP_WIRE_OK);
	assert_int_equal(th.opts.wscale, 14);
	b[3] = 255;
	assert_int_equal(parse_opts_bytes(b, 4, &th), TCP_WIRE_OK);
	assert_int_equal(th.opts.wscale, 14);
	b[3] = 14;
	assert_int_equal(parse_opts_bytes(b, 4, &th), TCP_WIRE_OK);
	assert_int_equal(th.opts.wscale, 14);
	b[3] = 0;
	assert_int_equal(parse_opts_bytes(b, 4, &th), TCP_WIRE_OK);
	assert_int_equal(th.opts.wscale, 0);
}

/* The SYN and its data cut at len: short, options cut, or data cut. */
static void
parse_truncated(void *arg, const uint8_t *b, size_t len)
{
	struct tcp_hdr th;
	int rc = tcp_wire_parse(b, len, &th);

	(void)arg;
	if (len < 20)
		assert_int_equal(rc, TCP_WIRE_SHORT);
	else if (len < 40)
		assert_int_equal(rc, TCP_WIRE_BADOFF);
	else {
		assert_int_equal(rc, TCP_WIRE_OK);
		assert_int_equal(th.off, 40);
	}
}

static void
test_truncation_every_offset(void **state)
{
	uint8_t seg[sizeof(linux_syn) + 10];

	(void)state;
	memcpy(seg, linux_syn, sizeof(linux_syn));
	memset(seg + sizeof(linux_syn), 'x', 10);
	wt_each_truncation(seg, sizeof(seg), parse_truncated, NULL);
	parse_truncated(NULL, seg, sizeof(seg));
}

static void
test_data_offset(void **state)
{
	uint8_t seg[60];
	struct tcp_hdr th;

	(void)state;
	memset(seg, 1, sizeof(seg)); /* all NOP options */
	for (unsigned doff = 0; doff < 16; doff++) {
		seg[12] = (uint8_t)(doff << 4 | 0x0f); /* reserved bits set */
		int rc = parse_exact(seg, 40, &th);

		if (doff < 5 || doff * 4 > 40)
			assert_int_equal(rc, TCP_WIRE_BADOFF);
		else {
			assert_int_equal(rc, TCP_WIRE_OK);
			assert_int_equal(th.off, doff * 4);
		}
		rc = parse_exact(seg, 60, &th);
		assert_int_equal(rc, doff < 5 ? TCP_WIRE_BADOFF : TCP_WIRE_OK);
	}
}

static void
test_random_options_fuzz(void **state)
{
	/* Random option bytes must always terminate with OK or BADOPT, and
	 * whatever parses must satisfy the struct's invariants. */
	(void)state;
	for (int it = 0; it < 200000; it++) {
		uint8_t opt[40];
		size_t n = (rnd() % 11) * 4;
		struct tcp_hdr th;
		int rc;

		for (size_t i = 0; i < n; i++) {
			uint32_t r = rnd();
			/* bias to interesting kinds and small lengths */
			opt[i] = (r & 0x100) ? (uint8_t)(r % 10)
					     : (uint8_t)r;
		}
		rc = parse_opts_bytes(opt, n, &th);
		assert_true(rc == TCP_WIRE_OK || rc == TCP_WIRE_BADOPT);
		if (rc == TCP_WIRE_OK) {
			assert_true(th.opts.wscale <= TCP_MAX_WSCALE);
			assert_true(th.opts.nsack <= TCP_MAX_SACK);
			assert_int_equal(th.opts.present & ~0x1fu, 0);
		}
	}
}

static void
test_cksum_independent(void **state)
{
	(void)state;
	for (int it = 0; it < 2000; it++) {
		size_t len = 20 + rnd() % 1481; /* odd lengths too */
		uint8_t *seg = malloc(len);
		uint32_t src = rnd(), dst = rnd();
		uint16_t want;

		assert_non_null(seg);
		for (size_t i = 0; i < len; i++)
			seg[i] = (uint8_t)rnd();
		want = naive_tcp_cksum(seg, len, src, dst, true);
		tcp_wire_set_cksum(seg, len, src, dst);
		assert_int_equal((seg[16] << 8 | seg[17]), want);
		assert_true(tcp_wire_cksum_ok(seg, len, src, dst));
		/* The independent check agrees: sum of everything is 0. */
		assert_int_equal(naive_tcp_cksum(seg, len, src, dst, false), 0);
		seg[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		assert_false(tcp_wire_cksum_ok(seg, len, src, dst));
		free(seg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_linux_syn),
		cmocka_unit_test(test_golden_eth_syn),
		cmocka_unit_test(test_golden_rst_cksum),
		cmocka_unit_test(test_roundtrip_all_combinations),
		cmocka_unit_test(test_sack_fit),
		cmocka_unit_test(test_hostile_options),
		cmocka_unit_test(test_wscale_clamp),
		cmocka_unit_test(test_truncation_every_offset),
		cmocka_unit_test(test_data_offset),
		cmocka_unit_test(test_random_options_fuzz),
		cmocka_unit_test(test_cksum_independent),
	};

	return cmocka_run_group_tests_name("tcp_wire", tests, NULL, NULL);
}

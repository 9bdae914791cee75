/*
 * IPv4 reassembly: orders, duplicates, overlaps, timeouts and limits.
 * Datagrams are ICMP echo requests (so a completed one is answered and the
 * answer proves the bytes were put back in the right places) or use an
 * unknown protocol (whose protocol-unreachable quotes the reassembled
 * header).
 */
#include "config.h"

#include "core/cksum.h"
#include "core/endian.h"
#include "tests/unit/ip4_test.h"

struct fraglist {
	size_t n;
	uint8_t *f[8192];
	size_t len[8192];
};

static struct fraglist *
fl_new(void)
{
	struct fraglist *fl = calloc(1, sizeof(*fl));

	assert_non_null(fl);
	return fl;
}

static void
fl_free(struct fraglist *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free(fl->f[i]);
	free(fl);
}

/* Append one fragment: payload bytes [off, off + len) of `msg`. */
static void
fl_add(struct fraglist *fl, const uint8_t *msg, size_t off, size_t len,
    bool more, uint16_t id, uint8_t proto)
{
	uint8_t *b = malloc(IP4_HDR_MIN + len);

	assert_non_null(b);
	assert_true(fl->n < 8192);
	mk_ip(b, FX_PEER, FX_ADDR, proto, id,
	    (uint16_t)(off / 8 | (more ? IP4_MF : 0)), msg + off, len);
	fl->f[fl->n] = b;
	fl->len[fl->n] = IP4_HDR_MIN + len;
	fl->n++;
}

/* Cut msg (mlen bytes) into `chunk`-byte fragments (chunk % 8 == 0). */
static void
fl_split(struct fraglist *fl, const uint8_t *msg, size_t mlen, size_t chunk,
    uint16_t id, uint8_t proto)
{
	for (size_t off = 0; off < mlen; off += chunk) {
		size_t n = mlen - off < chunk ? mlen - off : chunk;

		fl_add(fl, msg, off, n, off + n < mlen, id, proto);
	}
}

static void
fl_send(struct fx *f, const struct fraglist *fl, size_t i)
{
	fx_input(f, fl->f[i], fl->len[i]);
}

/* An echo request with `dlen` bytes of patterned data; returns its size. */
static size_t
mk_echo(uint8_t *msg, size_t dlen, uint16_t seq)
{
	uint8_t *data = malloc(dlen + 1);
	size_t n;

	assert_non_null(data);
	fill_pattern(data, dlen, seq);
	n = mk_icmp(msg, ICMP4_ECHO, 0, icmp4_rest_echo(0x77, seq), data,
	    dlen);
	free(data);
	return n;
}

/* out[i] is the echo reply to msg (mlen bytes), whole. */
static void
assert_reply(const struct fx *f, size_t i, const uint8_t *msg, size_t mlen)
{
	struct ip4_hdr h;

	assert_true(i < f->nout);
	assert_int_equal(ip4_hdr_parse(&h, f->out[i].data, f->out[i].len), 0);
	assert_false(ip4_is_fragment(&h));
	assert_int_equal(h.total_len, IP4_HDR_MIN + mlen);
	assert_int_equal(h.dst, FX_PEER);
	assert_int_equal(cksum(f->out[i].data + 20, mlen), 0);
	assert_int_equal(f->out[i].data[20], ICMP4_ECHOREPLY);
	/* Same code, id, seq and data as asked. */
	assert_memory_equal(f->out[i].data + 21, msg + 1, 1);
	assert_memory_equal(f->out[i].data + 24, msg + 4, mlen - 4);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	uint8_t b[64], e[16];

	if (f == NULL || fx_setup(f, NULL) != 0)
		return -1;
	/* Warm the packet pool so that later counts compare exactly. */
	fx_input(f, b, mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, e,
	    mk_echo(e, 8, 0)));
	fx_clear(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fx_teardown(f);
	free(f);
	return 0;
}

static void
test_in_order(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	uint8_t msg[64];
	size_t mlen = mk_echo(msg, 56, 1), base = fx_live(f);

	fl_split(fl, msg, mlen, 8, 100, IPPROTO_ICMP_);
	assert_int_equal(fl->n, 8);
	for (size_t i = 0; i < fl->n; i++) {
		assert_int_equal(f->nout, 0);
		fl_send(f, fl, i);
	}
	assert_int_equal(f->nout, 1);
	assert_reply(f, 0, msg, mlen);
	assert_int_equal(fx_stats(f).ip4.fragments, 8);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	assert_int_equal(fx_stats(f).ip4.fragdropped, 0);
	assert_int_equal(fx_live(f), base);
	assert_true(ip4_next_deadline(f->st) == WS_TIME_NEVER);
	fl_free(fl);
}

static void
test_reverse_order(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	static uint8_t msg[1480];
	size_t mlen = mk_echo(msg, 1472, 2);

	fl_split(fl, msg, mlen, 104, 101, IPPROTO_ICMP_);
	for (size_t i = fl->n; i-- > 0;)
		fl_send(f, fl, i);
	assert_int_equal(f->nout, 1);
	assert_reply(f, 0, msg, mlen);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	fl_free(fl);
}

static void
test_random_order(void **state)
{
	struct fx *f = *state;
	uint64_t seed = wt_seed(7);
	static uint8_t msg[1008];
	size_t base = fx_live(f);

	size_t fragmented = 0;

	srand((unsigned)seed);
	for (int trial = 0; trial < 50; trial++) {
		struct fraglist *fl = fl_new();
		size_t dlen = 8 + (size_t)rand() % 1000;
		size_t mlen = mk_echo(msg, dlen, (uint16_t)trial);
		size_t chunk = 8 * (1 + (size_t)rand() % 40);
		size_t order[200];

		fl_split(fl, msg, mlen, chunk, (uint16_t)(200 + trial),
		    IPPROTO_ICMP_);
		assert_true(fl->n <= 200);
		if (fl->n > 1)
			fragmented++;
		for (size_t i = 0; i < fl->n; i++)
			order[i] = i;
		for (size_t i = fl->n; i > 1; i--) {
			size_t j = (size_t)rand() % i, t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
		fx_clear(f);
		for (size_t i = 0; i < fl->n; i++)
			fl_send(f, fl, order[i]);
		assert_int_equal(f->nout, 1);
		assert_reply(f, 0, msg, mlen);
		fl_free(fl);
	}
	assert_int_equal(fx_stats(f).ip4.reassembled, fragmented);
	assert_true(fragmented > 40);
	assert_int_equal(fx_live(f), base);
}

static void
test_duplicates(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	uint8_t msg[64];
	size_t mlen = mk_echo(msg, 56, 3), base = fx_live(f);

	fl_split(fl, msg, mlen, 8, 102, IPPROTO_ICMP_);
	/* Each fragment but the last twice (a duplicating link). */
	for (size_t i = 0; i + 1 < fl->n; i++) {
		fl_send(f, fl, i);
		fl_send(f, fl, i);
	}
	fl_send(f, fl, fl->n - 1);
	assert_int_equal(f->nout, 1);
	assert_reply(f, 0, msg, mlen);
	assert_int_equal(fx_stats(f).ip4.fragdup, 7);
	assert_int_equal(fx_stats(f).ip4.fragdropped, 7);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);

	/*
	 * A duplicate after completion starts a new datagram, which never
	 * completes and times out; without fragment 0 nothing is sent.
	 */
	fl_send(f, fl, fl->n - 1);
	assert_true(fx_live(f) > base);
	fx_advance(f, 30 * WS_USEC_PER_SEC);
	assert_int_equal(fx_stats(f).ip4.reasstimeout, 1);
	assert_int_equal(fx_stats(f).ip4.fragtimeout, 1);
	assert_int_equal(f->nout, 1);
	assert_int_equal(fx_live(f), base);
	fl_free(fl);
}

static void
test_overlap_drops_datagram(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	uint8_t msg[64];
	size_t mlen = mk_echo(msg, 56, 4), base = fx_live(f);

	/* [0,16) then [8,24): a partial overlap. */
	fl_add(fl, msg, 0, 16, true, 103, IPPROTO_ICMP_);
	fl_add(fl, msg, 8, 16, true, 103, IPPROTO_ICMP_);
	fl_send(f, fl, 0);
	fl_send(f, fl, 1);
	assert_int_equal(fx_stats(f).ip4.fragoverlap, 1);
	assert_int_equal(fx_stats(f).ip4.fragdropped, 2);
	assert_int_equal(fx_live(f), base);
	assert_true(ip4_next_deadline(f->st) == WS_TIME_NEVER);

	/* Overlap from the other side: [16,32) then [8,24). */
	fl_add(fl, msg, 16, 16, true, 104, IPPROTO_ICMP_);
	fl_add(fl, msg, 8, 16, true, 104, IPPROTO_ICMP_);
	fl_send(f, fl, 2);
	fl_send(f, fl, 3);
	/* Same offset, different length. */
	fl_add(fl, msg, 0, 16, true, 105, IPPROTO_ICMP_);
	fl_add(fl, msg, 0, 24, true, 105, IPPROTO_ICMP_);
	fl_send(f, fl, 4);
	fl_send(f, fl, 5);
	/* A new fragment that covers an old one entirely. */
	fl_add(fl, msg, 16, 8, true, 106, IPPROTO_ICMP_);
	fl_add(fl, msg, 8, 32, true, 106, IPPROTO_ICMP_);
	fl_send(f, fl, 6);
	fl_send(f, fl, 7);
	assert_int_equal(fx_stats(f).ip4.fragoverlap, 4);
	assert_int_equal(fx_stats(f).ip4.fragdropped, 8);
	assert_int_equal(fx_live(f), base);

	/* The rest of a dropped datagram cannot bring it back. */
	fl_add(fl, msg, 16, mlen - 16, false, 103, IPPROTO_ICMP_);
	fl_send(f, fl, 8);
	assert_int_equal(f->nout, 0);
	assert_int_equal(fx_stats(f).ip4.reassembled, 0);
	fx_advance(f, 31 * WS_USEC_PER_SEC);
	assert_int_equal(fx_live(f), base);
	fl_free(fl);
}

static void
test_timeout(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	uint8_t msg[64];
	size_t mlen = mk_echo(msg, 56, 5), base = fx_live(f);
	ws_time_t t0 = f->now;
	struct ip4_hdr h;
	struct icmp4_hdr ih;

	fl_split(fl, msg, mlen, 16, 107, IPPROTO_ICMP_);
	for (size_t i = 0; i + 1 < fl->n; i++)
		fl_send(f, fl, i);
	assert_true(fx_live(f) > base);
	/* RFC 1122 3.3.2: a fixed timeout from the first fragment. */
	assert_true(ip4_next_deadline(f->st) == t0 + 30 * WS_USEC_PER_SEC);
	fx_advance(f, 30 * WS_USEC_PER_SEC - 1);
	assert_true(fx_live(f) > base);
	assert_int_equal(f->nout, 0);
	assert_true(ip4_next_deadline(f->st) > f->now);
	fx_advance(f, 1);
	assert_int_equal(fx_live(f), base);
	assert_true(ip4_next_deadline(f->st) == WS_TIME_NEVER);
	assert_int_equal(fx_stats(f).ip4.reasstimeout, 1);
	assert_int_equal(fx_stats(f).ip4.fragtimeout, fl->n - 1);

	/* Fragment 0 was there: time exceeded (reassembly) quoting it. */
	assert_int_equal(f->nout, 1);
	assert_int_equal(ip4_hdr_parse(&h, f->out[0].data, f->out[0].len), 0);
	assert_int_equal(h.dst, FX_PEER);
	assert_int_equal(h.total_len, 20 + 8 + 20 + 8);
	assert_int_equal(icmp4_hdr_parse(&ih, f->out[0].data + 20, 36), 0);
	assert_int_equal(ih.type, ICMP4_TIMXCEED);
	assert_int_equal(ih.code, ICMP4_TIMXCEED_REASS);
	assert_memory_equal(f->out[0].data + 28, fl->f[0], 28);
	assert_int_equal(fx_stats(f).icmp.outerrors, 1);

	/* Without fragment 0, nothing is sent (RFC 792). */
	fx_clear(f);
	struct fraglist *fl2 = fl_new();
	fl_split(fl2, msg, mlen, 16, 108, IPPROTO_ICMP_);
	fl_send(f, fl2, 1);
	fx_advance(f, 30 * WS_USEC_PER_SEC);
	assert_int_equal(f->nout, 0);
	assert_int_equal(fx_stats(f).ip4.reasstimeout, 2);
	assert_int_equal(fx_live(f), base);
	fl_free(fl2);
	fl_free(fl);
}

static void
tune_few(struct ws_stack_config *cfg)
{
	cfg->reass_datagrams = 4;
	cfg->reass_bytes = 3000;
	cfg->reass_timeout_ms = 5000;
}

static void
test_datagram_limit(void **state)
{
	struct fx f;
	struct fraglist *fl = fl_new();
	uint8_t msg[64];
	size_t mlen = mk_echo(msg, 56, 6);

	(void)state;
	assert_int_equal(fx_setup(&f, tune_few), 0);
	for (uint16_t id = 0; id < 5; id++)
		fl_split(fl, msg, mlen, 32, (uint16_t)(300 + id),
		    IPPROTO_ICMP_);
	/* First halves of five datagrams: the fifth does not fit. */
	for (size_t d = 0; d < 5; d++)
		fl_send(&f, fl, 2 * d);
	assert_int_equal(fx_stats(&f).ip4.fraglimit, 1);
	assert_int_equal(fx_stats(&f).ip4.fragdropped, 1);
	/* The four admitted ones complete. */
	for (size_t d = 0; d < 5; d++)
		fl_send(&f, fl, 2 * d + 1);
	assert_int_equal(fx_stats(&f).ip4.reassembled, 4);
	assert_int_equal(f.nout, 4);
	/* The fifth's second half started a new entry; it times out. */
	fx_advance(&f, 5 * WS_USEC_PER_SEC);
	assert_int_equal(fx_stats(&f).ip4.reasstimeout, 1);
	fx_teardown(&f);
	fl_free(fl);
}

static void
test_byte_limit(void **state)
{
	struct fx f;
	struct fraglist *fl = fl_new();
	static uint8_t msg[4008];
	size_t mlen = mk_echo(msg, 4000, 7);
	size_t base;

	(void)state;
	assert_int_equal(fx_setup(&f, tune_few), 0);
	base = fx_live(&f);
	fl_split(fl, msg, mlen, 1000, 400, IPPROTO_ICMP_);
	for (size_t i = 0; i < fl->n; i++)
		fl_send(&f, fl, i);
	/* 3000 bytes cannot hold 4008: the datagram is given up whole. */
	assert_true(fx_stats(&f).ip4.fraglimit >= 1);
	assert_int_equal(fx_stats(&f).ip4.reassembled, 0);
	assert_int_equal(f.nout, 0);
	fx_advance(&f, 5 * WS_USEC_PER_SEC);
	assert_int_equal(fx_live(&f), base);

	/* Smaller datagrams still get through. */
	struct fraglist *fl2 = fl_new();
	mlen = mk_echo(msg, 1000, 8);
	fl_split(fl2, msg, mlen, 512, 401, IPPROTO_ICMP_);
	for (size_t i = 0; i < fl2->n; i++)
		fl_send(&f, fl2, i);
	assert_int_equal(fx_stats(&f).ip4.reassembled, 1);
	assert_int_equal(f.nout, 1);
	assert_reply(&f, 0, msg, mlen);
	fx_teardown(&f);
	fl_free(fl2);
	fl_free(fl);
}

static void
test_max_size(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	uint8_t *msg = malloc(65536);
	size_t mlen, base = fx_live(f);
	static uint8_t got[65536];
	size_t total = 0;
	struct ip4_hdr h;

	assert_non_null(msg);
	/* 20 + 65515 = 65535: the largest datagram there is. */
	mlen = mk_echo(msg, 65515 - 8, 9);
	assert_int_equal(mlen, 65515);
	fl_split(fl, msg, mlen, 1480, 500, IPPROTO_ICMP_);
	for (size_t i = 0; i < fl->n; i++)
		fl_send(f, fl, i);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	/* The reply is as large, so it leaves in fragments. */
	assert_int_equal(fx_stats(f).ip4.fragmented, 1);
	assert_int_equal(f->nout, fl->n);
	for (size_t i = 0; i < f->nout; i++) {
		assert_int_equal(ip4_hdr_parse(&h, f->out[i].data,
		    f->out[i].len), 0);
		assert_int_equal(ip4_frag_off(&h), total);
		memcpy(got + total, f->out[i].data + 20, h.total_len - 20u);
		total += h.total_len - 20u;
	}
	assert_int_equal(total, mlen);
	assert_int_equal(got[0], ICMP4_ECHOREPLY);
	assert_memory_equal(got + 4, msg + 4, mlen - 4);
	assert_int_equal(cksum(got, total), 0);

	/* One byte more: a fragment ending past 65535 ("ping of death"). */
	fx_clear(f);
	struct fraglist *fl2 = fl_new();
	fl_add(fl2, msg, 0, 1480, true, 501, IPPROTO_ICMP_);
	fl_add(fl2, msg, 65512, 8, false, 501, IPPROTO_ICMP_);
	fl_send(f, fl2, 0);
	fl_send(f, fl2, 1);
	assert_int_equal(fx_stats(f).ip4.fragtoolong, 1);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	assert_int_equal(f->nout, 0);
	/* The largest offset with the largest fragment, alone. */
	uint8_t b[IP4_HDR_MIN + 1480];
	size_t n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 502,
	    IP4_OFFMASK, msg, 1480);
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.fragtoolong, 2);

	/*
	 * Fragments that fit with a 20-byte header, but fragment 0 has 40
	 * bytes of options: the whole would be 65555 bytes.
	 */
	uint8_t opts[40];
	memset(opts, IP4_OPT_NOP, sizeof(opts));
	struct fraglist *fl3 = fl_new();
	fl_split(fl3, msg, 65512, 1480, 503, IPPROTO_ICMP_);
	free(fl3->f[0]);
	fl3->f[0] = malloc(60 + 1480);
	fl3->len[0] = mk_ip_opts(fl3->f[0], FX_PEER, FX_ADDR, IPPROTO_ICMP_,
	    503, IP4_MF, opts, sizeof(opts), msg, 1480);
	for (size_t i = 0; i < fl3->n; i++)
		fl_send(f, fl3, i);
	assert_int_equal(fx_stats(f).ip4.fragtoolong, 3);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	assert_int_equal(f->nout, 0);
	assert_true(ip4_next_deadline(f->st) == WS_TIME_NEVER);
	assert_int_equal(fx_live(f), base);
	fl_free(fl3);
	fl_free(fl2);
	fl_free(fl);
	free(msg);
}

static void
test_bad_fragments(void **state)
{
	struct fx *f = *state;
	struct fraglist *fl = fl_new();
	uint8_t msg[64];
	size_t mlen = mk_echo(msg, 56, 10), base = fx_live(f);

	/* MF with a length that is not a multiple of 8. */
	fl_add(fl, msg, 0, 12, true, 600, IPPROTO_ICMP_);
	fl_send(f, fl, 0);
	/* An empty fragment. */
	fl_add(fl, msg, 8, 0, true, 600, IPPROTO_ICMP_);
	fl_send(f, fl, 1);
	assert_int_equal(fx_stats(f).ip4.reassfail, 2);
	assert_int_equal(fx_stats(f).ip4.fragdropped, 2);
	assert_int_equal(fx_live(f), base);

	/* Two last fragments that disagree on the end. */
	fl_add(fl, msg, 0, 16, true, 601, IPPROTO_ICMP_);
	fl_add(fl, msg, 16, mlen - 16, false, 601, IPPROTO_ICMP_);
	fl_add(fl, msg, 32, 8, false, 601, IPPROTO_ICMP_);
	fl_send(f, fl, 3);
	fl_send(f, fl, 4);
	assert_int_equal(fx_stats(f).ip4.reassfail, 3);
	/* Data past a known end. */
	fl_add(fl, msg, 0, 16, true, 602, IPPROTO_ICMP_);
	fl_add(fl, msg, 16, 8, false, 602, IPPROTO_ICMP_);
	fl_add(fl, msg, 24, 8, true, 602, IPPROTO_ICMP_);
	fl_send(f, fl, 6);
	fl_send(f, fl, 7);
	assert_int_equal(fx_stats(f).ip4.reassfail, 4);
	/* A last fragment before data already held. */
	fl_add(fl, msg, 32, 16, true, 603, IPPROTO_ICMP_);
	fl_add(fl, msg, 8, 8, false, 603, IPPROTO_ICMP_);
	fl_send(f, fl, 8);
	fl_send(f, fl, 9);
	assert_int_equal(fx_stats(f).ip4.reassfail, 5);
	assert_int_equal(f->nout, 0);
	assert_int_equal(fx_live(f), base);
	fl_free(fl);
}

/*
 * The reassembled datagram is an ordinary one with fragment 0's header
 * (options included): seen through the protocol-unreachable quote.
 */
static void
test_header_of_first(void **state)
{
	struct fx *f = *state;
	uint8_t data[48], b[128], opts[4] = { 0x94, 4, 0, 0 };
	struct ip4_hdr h;
	size_t n;

	fill_pattern(data, sizeof(data), 11);
	/* The tail first, then fragment 0 with a router-alert option. */
	n = mk_ip(b, FX_PEER, FX_ADDR, 253, 700, 3, data + 24, 24);
	fx_input(f, b, n);
	n = mk_ip_opts(b, FX_PEER, FX_ADDR, 253, 700, IP4_MF, opts, 4, data,
	    24);
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	assert_int_equal(fx_stats(f).ip4.noproto, 1);
	assert_int_equal(f->nout, 1);
	assert_int_equal(ip4_hdr_parse(&h, f->out[0].data + 28,
	    f->out[0].len - 28), 0);
	assert_int_equal(h.hlen, 24);
	assert_int_equal(h.total_len, 24 + 48);
	assert_int_equal(h.frag, 0);
	assert_int_equal(h.id, 700);
	assert_memory_equal(h.opts, opts, 4);
	assert_memory_equal(f->out[0].data + 28 + 24, data, 48);
}

/* Datagrams differing in one key field are reassembled apart. */
static void
test_keys(void **state)
{
	struct fx *f = *state;
	struct fraglist *a = fl_new(), *c = fl_new();
	uint8_t m1[64], m2[64];
	size_t l1 = mk_echo(m1, 56, 12), l2 = mk_echo(m2, 56, 13);

	fl_split(a, m1, l1, 16, 800, IPPROTO_ICMP_);
	fl_split(c, m2, l2, 16, 801, IPPROTO_ICMP_);
	for (size_t i = 0; i < a->n; i++) {
		fl_send(f, a, i);
		fl_send(f, c, a->n - 1 - i);
	}
	assert_int_equal(fx_stats(f).ip4.reassembled, 2);
	assert_int_equal(f->nout, 2);
	assert_reply(f, 0, m1, l1);
	assert_reply(f, 1, m2, l2);
	fl_free(a);
	fl_free(c);
}

/*
 * Every allocation on the path (reassembly entry, fragment copies, the
 * reassembled datagram, the reply and its fragments) failing in turn:
 * nothing leaks, nothing crashes, and the stack works again afterwards.
 */
static void
test_alloc_failures(void **state)
{
	static uint8_t msg[3008];
	size_t mlen = mk_echo(msg, 3000, 14);
	unsigned answered = 0;

	(void)state;
	for (size_t k = 1; k <= 12; k++) {
		struct fx g;
		struct fraglist *fl = fl_new();

		assert_int_equal(fx_setup(&g, NULL), 0);
		fl_split(fl, msg, mlen, 1480, 900, IPPROTO_ICMP_);
		g.alloc.fail_after = g.alloc.total + k;
		for (size_t i = 0; i < fl->n; i++)
			fl_send(&g, fl, i);
		g.alloc.fail_after = 0;
		if (g.nout > 0)
			answered++;
		/* Whatever is left times out and is freed. */
		fx_advance(&g, 30 * WS_USEC_PER_SEC);
		assert_true(ip4_next_deadline(g.st) == WS_TIME_NEVER);
		/* And a fresh datagram goes through. */
		fx_clear(&g);
		fl_free(fl);
		fl = fl_new();
		fl_split(fl, msg, mlen, 1480, 901, IPPROTO_ICMP_);
		for (size_t i = 0; i < fl->n; i++)
			fl_send(&g, fl, i);
		assert_int_equal(g.nout, 3);
		fx_teardown(&g);
		fl_free(fl);
	}
	/* Late failures (past the path) let the first datagram through. */
	assert_true(answered > 0 && answered < 12);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_in_order),
		T(test_reverse_order),
		T(test_random_order),
		T(test_duplicates),
		T(test_overlap_drops_datagram),
		T(test_timeout),
		cmocka_unit_test(test_datagram_limit),
		cmocka_unit_test(test_byte_limit),
		T(test_max_size),
		T(test_bad_fragments),
		T(test_header_of_first),
		T(test_keys),
		cmocka_unit_test(test_alloc_failures),
	};
#undef T

	return cmocka_run_group_tests_name("ip4_reass", tests, NULL, NULL);
}

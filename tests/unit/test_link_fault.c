/*
 * The fault injector (link/fault.c) over a mem pair: end A is wrapped, so
 * A's sends exercise the transmit direction and A's receives the receive
 * direction.  Every frame is numbered, so what arrives can be compared
 * with what was sent.
 */
#include "config.h"

#include <math.h>
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
#include "tests/lib/harness.h"

#define T0 1000000
#define FLEN 100    /* frame length used throughout */
#define NMAX 40000  /* frames a log can hold */

struct rx_log {
	unsigned n;
	uint8_t (*frames)[FLEN];
	size_t *len;
};

static void
log_init(struct rx_log *log)
{
	log->n = 0;
	log->frames = calloc(NMAX, FLEN);
	log->len = calloc(NMAX, sizeof(size_t));
	assert_non_null(log->frames);
	assert_non_null(log->len);
}

static void
log_free(struct rx_log *log)
{
	free(log->frames);
	free(log->len);
}

static void
rx_record(void *arg, const uint8_t *frame, size_t len)
{
	struct rx_log *log = arg;

	assert_true(log->n < NMAX);
	assert_true(len <= FLEN);
	memcpy(log->frames[log->n], frame, len);
	log->len[log->n] = len;
	log->n++;
}

/* Frame number `seq`: an Ethernet header, the number, a pattern. */
static void
make_frame(uint8_t *f, uint32_t seq)
{
	static const uint8_t hdr[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1,
		0x08, 0x00 };

	memcpy(f, hdr, sizeof(hdr));
	be32_store(f + 14, seq);
	for (size_t i = 18; i < FLEN; i++)
		f[i] = (uint8_t)(seq * 7 + i);
}

static uint32_t
seq_of(const struct rx_log *log, unsigned i)
{
	return be32_load(log->frames[i] + 14);
}

/* Bytes in which received frame i differs from frame `seq`. */
static unsigned
ndiff(const struct rx_log *log, unsigned i, uint32_t seq, size_t *where)
{
	uint8_t want[FLEN];
	unsigned n = 0;

	make_frame(want, seq);
	for (size_t k = 0; k < FLEN; k++)
		if (log->frames[i][k] != want[k]) {
			n++;
			*where = k;
		}
	return n;
}

static void
send_frame(struct ws_link *l, ws_time_t now, uint32_t seq)
{
	uint8_t f[FLEN];

	make_frame(f, seq);
	assert_int_equal(ws_link_send(l, now, f, FLEN), 0);
}

struct rig {
	struct ws_link *fa;  /* fault(A) */
	struct ws_link *b;
};

static void
rig_open(struct rig *r, const struct ws_fault_config *cfg,
    enum ws_medium medium)
{
	struct ws_link_mem_config mc = { .medium = medium };
	struct ws_link *a;

	assert_int_equal(ws_link_mem_pair(&a, &r->b, &mc), 0);
	assert_int_equal(ws_link_fault_wrap(&r->fa, a, cfg), 0);
	assert_string_equal(r->fa->ops->kind, "fault");
	assert_int_equal(r->fa->medium, a->medium);
	assert_int_equal(r->fa->mtu, a->mtu);
	assert_memory_equal(r->fa->hwaddr, a->hwaddr, 6);
}

static void
rig_close(struct rig *r)
{
	ws_link_close(r->fa); /* closes A too */
	ws_link_close(r->b);
}

/*
 * Send n frames each way, one pair per 10 us of virtual time, receiving
 * as we go; then let held frames time out and collect them.
 */
static void
exchange(struct rig *r, unsigned n, struct rx_log *tx, struct rx_log *rx)
{
	ws_time_t now = T0;

	for (uint32_t i = 0; i < n; i++) {
		now += 10;
		send_frame(r->fa, now, i);
		send_frame(r->b, now, i);
		while (ws_link_recv(r->b, now, rx_record, tx, 64) > 0)
			;
		while (ws_link_recv(r->fa, now, rx_record, rx, 64) > 0)
			;
	}
	now += 1000000;
	/* A recv releases what the injector still holds in both directions. */
	while (ws_link_recv(r->fa, now, rx_record, rx, 64) > 0)
		;
	while (ws_link_recv(r->b, now, rx_record, tx, 64) > 0)
		;
	assert_true(ws_link_next_deadline(r->fa) == WS_TIME_NEVER);
	assert_true(ws_link_next_deadline(r->b) == WS_TIME_NEVER);
}

static void
test_zero_config(void **state)
{
	struct ws_fault_config zero = { 0 };
	struct rx_log tx, rx;
	struct rig r;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		/* All-zero config and no config at all: both pass-through. */
		rig_open(&r, pass == 0 ? &zero : NULL, WS_MEDIUM_ETHERNET);
		log_init(&tx);
		log_init(&rx);
		exchange(&r, 2000, &tx, &rx);
		assert_int_equal(tx.n, 2000);
		assert_int_equal(rx.n, 2000);
		for (unsigned i = 0; i < 2000; i++) {
			size_t where;

			assert_int_equal(tx.len[i], FLEN);
			assert_int_equal(ndiff(&tx, i, i, &where), 0);
			assert_int_equal(ndiff(&rx, i, i, &where), 0);
		}
		assert_int_equal(r.fa->stats.fault_dropped, 0);
		assert_int_equal(r.fa->stats.fault_duplicated, 0);
		assert_int_equal(r.fa->stats.fault_reordered, 0);
		assert_int_equal(r.fa->stats.fault_corrupted, 0);
		assert_int_equal(r.fa->stats.tx_frames, 2000);
		assert_int_equal(r.fa->stats.rx_frames, 2000);
		assert_int_equal(r.fa->stats.tx_bytes, 2000 * FLEN);
		assert_int_equal(r.fa->stats.rx_bytes, 2000 * FLEN);
		log_free(&tx);
		log_free(&rx);
		rig_close(&r);
	}
}

static void
run_mixed(uint64_t seed, struct rx_log *tx, struct rx_log *rx,
    struct ws_link_stats *st)
{
	struct ws_fault_config cfg = { .drop = 0.1, .duplicate = 0.1,
		.reorder = 0.1, .corrupt = 0.1, .seed = seed };
	struct rig r;

	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(tx);
	log_init(rx);
	exchange(&r, 3000, tx, rx);
	*st = r.fa->stats;
	rig_close(&r);
}

static bool
logs_equal(const struct rx_log *x, const struct rx_log *y)
{
	if (x->n != y->n)
		return false;
	for (unsigned i = 0; i < x->n; i++)
		if (x->len[i] != y->len[i] ||
		    memcmp(x->frames[i], y->frames[i], x->len[i]) != 0)
			return false;
	return true;
}

static void
test_same_seed_same_faults(void **state)
{
	uint64_t seed = wt_seed(42);
	struct rx_log tx1, rx1, tx2, rx2, tx3, rx3;
	struct ws_link_stats s1, s2, s3;

	(void)state;
	run_mixed(seed, &tx1, &rx1, &s1);
	run_mixed(seed, &tx2, &rx2, &s2);
	run_mixed(seed + 1, &tx3, &rx3, &s3);
	/* Byte for byte the same arrivals, in the same order. */
	assert_true(logs_equal(&tx1, &tx2));
	assert_true(logs_equal(&rx1, &rx2));
	assert_memory_equal(&s1, &s2, sizeof(s1));
	/* Every kind of fault happened... */
	assert_true(s1.fault_dropped > 0 && s1.fault_duplicated > 0 &&
	    s1.fault_reordered > 0 && s1.fault_corrupted > 0);
	/* ...and another seed gives another pattern. */
	assert_false(logs_equal(&tx1, &tx3));
	assert_false(logs_equal(&rx1, &rx3));
	/* The two directions do not mirror each other. */
	assert_false(logs_equal(&tx1, &rx1));
	log_free(&tx1);
	log_free(&rx1);
	log_free(&tx2);
	log_free(&rx2);
	log_free(&tx3);
	log_free(&rx3);
}

/* |got - want| within 5 standard deviations of a binomial(n, p). */
static void
assert_near(uint64_t got, double n, double p)
{
	double mean = n * p, sd = sqrt(n * p * (1 - p));

	if (fabs((double)got - mean) > 5 * sd + 1)
		fail_msg("got %llu, expected %.0f +- %.0f",
		    (unsigned long long)got, mean, 5 * sd);
}

static void
test_rates(void **state)
{
	enum { N = 10000 };
	const double p = 0.2;
	uint64_t seed = wt_seed(7);

	(void)state;
	for (int kind = 0; kind < 4; kind++) {
		struct ws_fault_config cfg = { .seed = seed };
		struct rx_log tx, rx;
		struct ws_link_stats *s;
		struct rig r;

		switch (kind) {
		case 0: cfg.drop = p; break;
		case 1: cfg.duplicate = p; break;
		case 2: cfg.reorder = p; break;
		case 3: cfg.corrupt = p; break;
		}
		rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
		log_init(&tx);
		log_init(&rx);
		exchange(&r, N, &tx, &rx);
		s = &r.fa->stats;
		switch (kind) {
		case 0:
			/* Both directions counted together. */
			assert_near(s->fault_dropped, 2 * N, p);
			assert_int_equal(tx.n + rx.n, 2 * N - s->fault_dropped);
			assert_true(tx.n < N && rx.n < N);
			break;
		case 1:
			assert_near(s->fault_duplicated, 2 * N, p);
			assert_int_equal(tx.n + rx.n, 2 * N + s->fault_duplicated);
			assert_true(tx.n > N && rx.n > N);
			break;
		case 2:
			/*
			 * A frame is held only when none is: each direction
			 * alternates "empty" and "holding", so the expected
			 * share of frames held is p / (1 + p).
			 */
			assert_near(s->fault_reordered, 2 * N, p / (1 + p));
			assert_int_equal(tx.n, N);
			assert_int_equal(rx.n, N);
			break;
		case 3: {
			uint64_t bad = 0;

			for (unsigned i = 0; i < N; i++) {
				size_t where = 0;
				unsigned d = ndiff(&tx, i, i, &where);
				unsigned e = ndiff(&rx, i, i, &where);

				/* At most one byte, never in the link header. */
				assert_true(d <= 1 && e <= 1);
				bad += d + e;
				if (d + e > 0)
					assert_true(where >= 14);
			}
			assert_int_equal(bad, s->fault_corrupted);
			assert_near(s->fault_corrupted, 2 * N, p);
			break;
		}
		}
		log_free(&tx);
		log_free(&rx);
		rig_close(&r);
	}
}

static void
test_duplicate_all(void **state)
{
	struct ws_fault_config cfg = { .duplicate = 1.0, .seed = 3 };
	struct rx_log tx, rx;
	struct rig r;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&tx);
	log_init(&rx);
	exchange(&r, 50, &tx, &rx);
	assert_int_equal(tx.n, 100);
	assert_int_equal(rx.n, 100);
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(seq_of(&tx, i), i / 2);
		assert_int_equal(seq_of(&rx, i), i / 2);
	}
	assert_int_equal(r.fa->stats.fault_duplicated, 100);
	/* Frames accepted once, delivered twice. */
	assert_int_equal(r.fa->stats.tx_frames, 50);
	assert_int_equal(r.fa->stats.rx_frames, 100);
	log_free(&tx);
	log_free(&rx);
	rig_close(&r);
}

static void
test_reorder_all(void **state)
{
	struct ws_fault_config cfg = { .reorder = 1.0, .seed = 3 };
	struct rx_log tx, rx;
	struct rig r;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&tx);
	log_init(&rx);
	/*
	 * Every frame wants holding, but only one can be held: frame 0 is
	 * held, frame 1 passes and releases it, and so on: 1 0 3 2 ...
	 */
	exchange(&r, 10, &tx, &rx);
	assert_int_equal(tx.n, 10);
	assert_int_equal(rx.n, 10);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(seq_of(&tx, i), i ^ 1);
		assert_int_equal(seq_of(&rx, i), i ^ 1);
	}
	assert_int_equal(r.fa->stats.fault_reordered, 10);
	log_free(&tx);
	log_free(&rx);
	rig_close(&r);
}

static void
test_reorder_timeout(void **state)
{
	struct ws_fault_config cfg = { .reorder = 1.0, .reorder_max_us = 2000 };
	struct rx_log tx, rx;
	struct rig r;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&tx);
	log_init(&rx);
	/* Transmit: a lone held frame goes out when its time is up. */
	send_frame(r.fa, T0, 0);
	assert_int_equal(ws_link_recv(r.b, T0, rx_record, &tx, 10), 0);
	assert_true(ws_link_next_deadline(r.fa) == T0 + 2000);
	assert_int_equal(ws_link_recv(r.fa, T0 + 1999, rx_record, &rx, 10), 0);
	assert_int_equal(ws_link_recv(r.b, T0 + 1999, rx_record, &tx, 10), 0);
	assert_int_equal(ws_link_recv(r.fa, T0 + 2000, rx_record, &rx, 10), 0);
	assert_true(ws_link_next_deadline(r.fa) == WS_TIME_NEVER);
	assert_int_equal(ws_link_recv(r.b, T0 + 2000, rx_record, &tx, 10), 1);
	assert_int_equal(seq_of(&tx, 0), 0);
	/* A later send releases an overdue frame before its own. */
	send_frame(r.fa, T0 + 3000, 1);          /* held */
	send_frame(r.fa, T0 + 6000, 2);          /* 1 overdue: out; 2 held */
	assert_int_equal(ws_link_recv(r.b, T0 + 6000, rx_record, &tx, 10), 1);
	assert_int_equal(seq_of(&tx, 1), 1);
	assert_true(ws_link_next_deadline(r.fa) == T0 + 8000);

	/* Receive: the held frame is delivered at its deadline. */
	send_frame(r.b, T0 + 10000, 7);
	assert_int_equal(ws_link_recv(r.fa, T0 + 10000, rx_record, &rx, 10), 0);
	/* The tx frame 2 went out on that recv (overdue since T0+8000). */
	assert_true(ws_link_next_deadline(r.fa) == T0 + 12000);
	assert_int_equal(ws_link_recv(r.fa, T0 + 11999, rx_record, &rx, 10), 0);
	assert_int_equal(ws_link_recv(r.fa, T0 + 12000, rx_record, &rx, 10), 1);
	assert_int_equal(seq_of(&rx, 0), 7);
	assert_int_equal(ws_link_recv(r.b, T0 + 12000, rx_record, &tx, 10), 1);
	assert_int_equal(seq_of(&tx, 2), 2);
	assert_int_equal(r.fa->stats.fault_reordered, 4);
	log_free(&tx);
	log_free(&rx);
	rig_close(&r);

	/* 0 means the default, 5 ms. */
	cfg.reorder_max_us = 0;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	send_frame(r.fa, T0, 0);
	assert_true(ws_link_next_deadline(r.fa) == T0 + 5000);
	rig_close(&r);
}

static void
test_rx_respects_max(void **state)
{
	struct ws_fault_config cfg = { .duplicate = 1.0, .reorder = 0.5,
		.seed = 11 };
	struct rx_log tx, rx;
	struct rig r;
	ws_time_t now = T0;
	int n;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&tx);
	log_init(&rx);
	for (uint32_t i = 0; i < 20; i++)
		send_frame(r.b, now, i);
	/* One frame per call, however many the injector made of it. */
	while ((n = ws_link_recv(r.fa, now, rx_record, &rx, 1)) > 0) {
		assert_int_equal(n, 1);
		/* Frames queued inside the wrapper are due at once. */
		if (ws_link_next_deadline(r.fa) != WS_TIME_NEVER)
			assert_true(ws_link_next_deadline(r.fa) <= now + 5000);
	}
	now += 5000;
	while (ws_link_recv(r.fa, now, rx_record, &rx, 1) > 0)
		;
	/* A held frame is not also duplicated; every other one is. */
	assert_true(r.fa->stats.fault_reordered > 0);
	assert_int_equal(r.fa->stats.fault_duplicated,
	    20 - r.fa->stats.fault_reordered);
	assert_int_equal(rx.n, 20 + r.fa->stats.fault_duplicated);
	{
		unsigned count[20] = { 0 };

		for (unsigned i = 0; i < rx.n; i++) {
			size_t where;

			assert_true(seq_of(&rx, i) < 20);
			assert_int_equal(ndiff(&rx, i, seq_of(&rx, i), &where), 0);
			count[seq_of(&rx, i)]++;
		}
		for (unsigned i = 0; i < 20; i++)
			assert_true(count[i] == 1 || count[i] == 2);
	}
	assert_int_equal(ws_link_recv(r.fa, now, rx_record, &rx, 0), 0);
	log_free(&tx);
	log_free(&rx);
	rig_close(&r);
}

static void
test_corrupt_ip_medium(void **state)
{
	struct ws_fault_config cfg = { .corrupt = 1.0, .seed = 5 };
	struct rx_log tx, rx;
	struct rig r;
	unsigned low = 0;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_IP);
	log_init(&tx);
	log_init(&rx);
	exchange(&r, 2000, &tx, &rx);
	for (unsigned i = 0; i < 2000; i++) {
		size_t where = 0;

		assert_int_equal(ndiff(&tx, i, i, &where), 1);
		low += where < 14;
		assert_int_equal(ndiff(&rx, i, i, &where), 1);
		low += where < 14;
	}
	/* No link header on this medium: the first bytes are fair game. */
	assert_true(low > 0);
	assert_int_equal(r.fa->stats.fault_corrupted, 4000);
	log_free(&tx);
	log_free(&rx);
	rig_close(&r);
}

/* An Ethernet frame with an IPv4 header of TOS `tos` (checksum right). */
static void
make_ip_frame(uint8_t *f, uint8_t tos, uint32_t seq)
{
	make_frame(f, seq);
	memmove(f + 34, f + 14, FLEN - 34); /* the number after the header */
	memset(f + 14, 0, 20);
	f[14] = 0x45;
	f[15] = tos;
	be16_store(f + 16, FLEN - 14);
	f[22] = 64;
	f[23] = 17;
	be32_store(f + 26, 0x0a000001);
	be32_store(f + 30, 0x0a000002);
	be16_store(f + 24, cksum(f + 14, 20));
}

/*
 * CE marking (RFC 3168 5): ECT(0) and ECT(1) packets become CE with the
 * header checksum still right, in both directions; not-ECT and CE
 * packets, and frames that are not IPv4, pass untouched.
 */
static void
test_ce_marks(void **state)
{
	static const uint8_t tos_in[] = { 0x00, 0x02, 0x01, 0x03, 0xb8, 0xba };
	static const uint8_t tos_out[] = { 0x00, 0x03, 0x03, 0x03, 0xb8, 0xbb };
	struct ws_fault_config cfg = { .ce = 1.0, .seed = 3 };
	struct rx_log tx, rx;
	struct rig r;
	uint8_t f[FLEN];

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&tx);
	log_init(&rx);
	for (uint32_t i = 0; i < sizeof(tos_in); i++) {
		make_ip_frame(f, tos_in[i], i);
		assert_int_equal(ws_link_send(r.fa, T0, f, FLEN), 0);
		assert_int_equal(ws_link_send(r.b, T0, f, FLEN), 0);
	}
	/* Not IPv4 (ARP): left alone even with ECT-looking bits. */
	make_frame(f, 99);
	f[13] = 0x06;
	f[15] = 0x02;
	assert_int_equal(ws_link_send(r.fa, T0, f, FLEN), 0);
	while (ws_link_recv(r.b, T0, rx_record, &tx, 64) > 0)
		;
	while (ws_link_recv(r.fa, T0, rx_record, &rx, 64) > 0)
		;
	assert_int_equal(tx.n, sizeof(tos_in) + 1);
	assert_int_equal(rx.n, sizeof(tos_in));
	for (unsigned i = 0; i < sizeof(tos_in); i++) {
		struct rx_log *l[2] = { &tx, &rx };

		for (int k = 0; k < 2; k++) {
			make_ip_frame(f, tos_out[i], i);
			assert_int_equal(l[k]->frames[i][15], tos_out[i]);
			assert_int_equal(cksum(l[k]->frames[i] + 14, 20), 0);
			assert_memory_equal(l[k]->frames[i], f, FLEN);
		}
	}
	assert_int_equal(tx.frames[sizeof(tos_in)][15], 0x02);
	assert_int_equal(r.fa->stats.fault_ce, 2 * 3);
	log_free(&tx);
	log_free(&rx);
	rig_close(&r);
}

/* CE marks have their own random stream: the drops of a seed stay put. */
static void
test_ce_keeps_other_faults(void **state)
{
	struct ws_fault_config cfg = { .drop = 0.3, .seed = 11 };
	struct rx_log tx[2], rx[2];

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct rig r;

		cfg.ce = k == 0 ? 0.0 : 0.6;
		rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
		log_init(&tx[k]);
		log_init(&rx[k]);
		exchange(&r, 500, &tx[k], &rx[k]);
		/* make_frame's frames are IPv4 by type only: version 0. */
		assert_int_equal(r.fa->stats.fault_ce, 0);
		rig_close(&r);
	}
	assert_int_equal(tx[0].n, tx[1].n);
	assert_int_equal(rx[0].n, rx[1].n);
	assert_true(tx[0].n < 450 && tx[0].n > 250);
	for (unsigned i = 0; i < tx[0].n; i++)
		assert_int_equal(seq_of(&tx[0], i), seq_of(&tx[1], i));
	for (unsigned i = 0; i < rx[0].n; i++)
		assert_int_equal(seq_of(&rx[0], i), seq_of(&rx[1], i));
	for (int k = 0; k < 2; k++) {
		log_free(&tx[k]);
		log_free(&rx[k]);
	}
}

static void
test_close_holding(void **state)
{
	struct ws_fault_config cfg = { .reorder = 1.0, .duplicate = 1.0 };
	struct rx_log rx;
	struct rig r;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&rx);
	/* A held frame each way and copies queued for delivery: no leak. */
	send_frame(r.fa, T0, 0);
	for (uint32_t i = 0; i < 4; i++)
		send_frame(r.b, T0, i);
	assert_int_equal(ws_link_recv(r.fa, T0, rx_record, &rx, 1), 1);
	assert_true(ws_link_next_deadline(r.fa) <= T0);
	log_free(&rx);
	rig_close(&r);
}

struct reply_ctx {
	struct ws_link *l;
	unsigned n, intact_after;
};

/* Like a stack: answer from inside the receive callback, then reread. */
static void
rx_reply(void *arg, const uint8_t *frame, size_t len)
{
	struct reply_ctx *c = arg;
	uint8_t before[FLEN];

	assert_int_equal(len, FLEN);
	memcpy(before, frame, len);
	send_frame(c->l, T0, 1000 + c->n);
	c->n++;
	c->intact_after += memcmp(before, frame, len) == 0;
}

static void
test_send_from_rx_callback(void **state)
{
	struct ws_fault_config cfg = { .corrupt = 1.0, .seed = 9 };
	struct reply_ctx c = { 0 };
	struct rx_log tx;
	struct rig r;

	(void)state;
	rig_open(&r, &cfg, WS_MEDIUM_ETHERNET);
	log_init(&tx);
	c.l = r.fa;
	for (uint32_t i = 0; i < 50; i++)
		send_frame(r.b, T0, i);
	/* The received (corrupted) frame must not change under the reader
	 * when the reply is corrupted in turn. */
	assert_int_equal(ws_link_recv(r.fa, T0, rx_reply, &c, 100), 50);
	assert_int_equal(c.n, 50);
	assert_int_equal(c.intact_after, 50);
	assert_int_equal(ws_link_recv(r.b, T0, rx_record, &tx, 100), 50);
	assert_int_equal(r.fa->stats.fault_corrupted, 100);
	log_free(&tx);
	rig_close(&r);
}

static void
test_bad_config(void **state)
{
	struct ws_link *a, *b, *w = (struct ws_link *)&w;
	struct ws_fault_config cfg = { 0 };

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	cfg.drop = 1.5;
	assert_int_equal(ws_link_fault_wrap(&w, a, &cfg), WS_EINVAL);
	assert_null(w);
	cfg.drop = 0;
	cfg.corrupt = -0.1;
	assert_int_equal(ws_link_fault_wrap(&w, a, &cfg), WS_EINVAL);
	cfg.corrupt = NAN;
	assert_int_equal(ws_link_fault_wrap(&w, a, &cfg), WS_EINVAL);
	cfg.corrupt = 0;
	cfg.ce = 1.01;
	assert_int_equal(ws_link_fault_wrap(&w, a, &cfg), WS_EINVAL);
	cfg.ce = 0;
	assert_int_equal(ws_link_fault_wrap(&w, NULL, NULL), WS_EINVAL);
	/* On failure the caller still owns the inner device. */
	assert_int_equal(ws_link_send(a, T0, (const uint8_t[60]){ 0 }, 60), 0);
	/* An oversized frame is refused, not "lost". */
	cfg.corrupt = 0;
	assert_int_equal(ws_link_fault_wrap(&w, a, &cfg), 0);
	assert_int_equal(ws_link_send(w, T0, (const uint8_t[1600]){ 0 }, 1515),
	    WS_EMSGSIZE);
	assert_int_equal(w->stats.tx_errors, 1);
	ws_link_close(w);
	ws_link_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_config),
		cmocka_unit_test(test_same_seed_same_faults),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_duplicate_all),
		cmocka_unit_test(test_reorder_all),
		cmocka_unit_test(test_reorder_timeout),
		cmocka_unit_test(test_rx_respects_max),
		cmocka_unit_test(test_corrupt_ip_medium),
		cmocka_unit_test(test_ce_marks),
		cmocka_unit_test(test_ce_keeps_other_faults),
		cmocka_unit_test(test_close_holding),
		cmocka_unit_test(test_send_from_rx_callback),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests_name("link_fault", tests, NULL, NULL);
}

/*
 * Helpers shared by the TCP pair tests: a pair of stacks on the medium-IP
 * mem link, a listener on B, a client on A, and bulk transfer drivers.
 */
#ifndef WS_TESTS_TCP_PAIR_H
#define WS_TESTS_TCP_PAIR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <wirestack/wirestack.h>

#include "tests/lib/harness.h"

#define TP_PORT 5001

/* One direction of a bulk transfer. */
struct tp_xfer {
	struct ws_tcp *tx, *rx;
	uint8_t *data;          /* the bytes to move */
	size_t len;
	size_t sent, rcvd;
	uint8_t *got;           /* what arrived */
	bool eof;               /* rx saw end of stream */
	bool shut;              /* tx has shut down after the last byte */
	bool close_after;       /* shut down tx when all is queued */
};

static inline void
tp_fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

static inline void
tp_xfer_init(struct tp_xfer *x, struct ws_tcp *tx, struct ws_tcp *rx,
    size_t len, uint64_t seed)
{
	memset(x, 0, sizeof(*x));
	x->tx = tx;
	x->rx = rx;
	x->len = len;
	x->data = malloc(len ? len : 1);
	x->got = malloc(len ? len : 1);
	assert_non_null(x->data);
	assert_non_null(x->got);
	tp_fill(x->data, len, seed);
}

static inline void
tp_xfer_fini(struct tp_xfer *x)
{
	free(x->data);
	free(x->got);
}

/* Move what can move now; true when everything arrived (and EOF if
 * close_after). */
static inline bool
tp_xfer_step(struct tp_xfer *x)
{
	uint8_t buf[16384];

	while (x->sent < x->len) {
		ssize_t n = ws_tcp_send(x->tx, x->data + x->sent,
		    x->len - x->sent);

		if (n == WS_EAGAIN)
			break;
		assert_true(n > 0);
		x->sent += (size_t)n;
	}
	if (x->close_after && x->sent == x->len && !x->shut) {
		assert_int_equal(ws_tcp_shutdown(x->tx, WS_SHUT_WR), 0);
		x->shut = true;
	}
	for (;;) {
		ssize_t n = ws_tcp_recv(x->rx, buf, sizeof(buf));

		if (n == WS_EAGAIN)
			break;
		if (n == 0) {
			x->eof = true;
			break;
		}
		assert_true(n > 0);
		assert_true(x->rcvd + (size_t)n <= x->len);
		memcpy(x->got + x->rcvd, buf, (size_t)n);
		x->rcvd += (size_t)n;
	}
	return x->rcvd == x->len && (!x->close_after || x->eof);
}

/* Both directions at once. */
struct tp_bidir {
	struct tp_xfer *a, *b;
};

static inline bool
tp_bidir_done(void *arg)
{
	struct tp_bidir *d = arg;
	bool da = tp_xfer_step(d->a);
	bool db = d->b == NULL || tp_xfer_step(d->b);

	return da && db;
}

static inline bool
tp_xfer_done(void *arg)
{
	return tp_xfer_step(arg);
}

/* A connected pair: c on A (client), s on B (accepted). */
struct tp_conn {
	struct ws_tcp *l, *c, *s;
};

struct tp_accept_ctx {
	struct tp_conn *cn;
};

static inline bool
tp_accepted(void *arg)
{
	struct tp_conn *cn = arg;

	if (cn->s == NULL) {
		int e = ws_tcp_accept(cn->l, &cn->s);

		if (e != 0)
			cn->s = NULL;
	}
	return cn->s != NULL && (ws_tcp_events(cn->c) & WS_TCP_CONNECTED);
}

/* Listen on B, connect from A, run until both sides are established. */
static inline void
tp_connect(struct wt_pair *p, struct tp_conn *cn)
{
	memset(cn, 0, sizeof(*cn));
	assert_int_equal(ws_tcp_open(p->b, &cn->l), 0);
	assert_int_equal(ws_tcp_listen(cn->l, TP_PORT, 8), 0);
	assert_int_equal(ws_tcp_open(p->a, &cn->c), 0);
	assert_int_equal(ws_tcp_connect(cn->c, WT_ADDR_B, TP_PORT),
	    WS_EINPROGRESS);
	assert_true(wt_pair_run(p, tp_accepted, cn, 10 * WS_USEC_PER_SEC));
}

static inline void
tp_setup_ip(struct wt_pair *p, struct wt_pair_opts *o)
{
	o->mem.medium = WS_MEDIUM_IP;
	if (o->mem.mtu == 0)
		o->mem.mtu = 1500;
	assert_int_equal(wt_pair_setup(p, o), 0);
}

/*
 * cmocka fixtures for a program's pair: the test's initial state (see
 * TP_TEST) names the pair and its stack seed; each test gets a fresh
 * medium-IP pair and ends with the leak check.
 */
struct tp_fixture {
	struct wt_pair *p;
	uint64_t seed;          /* wt_pair_opts.seed */
};

static inline int
tp_fixture_setup(void **state)
{
	const struct tp_fixture *f = *state;
	struct wt_pair_opts o = { 0 };

	o.seed = f->seed;
	tp_setup_ip(f->p, &o);
	return 0;
}

static inline int
tp_fixture_teardown(void **state)
{
	const struct tp_fixture *f = *state;

	assert_int_equal(wt_pair_teardown(f->p), 0);
	return 0;
}

/*
 * A test case on a fresh pair *pp, stacks seeded with seed.  For
 * main()'s test array: the compound literal lives as long as main.
 */
#define TP_TEST(f, pp, seed) \
	cmocka_unit_test_prestate_setup_teardown(f, tp_fixture_setup, \
	    tp_fixture_teardown, (&(struct tp_fixture){ (pp), (seed) }))

static inline struct ws_stats
tp_stats(struct ws_stack *st)
{
	struct ws_stats s;

	ws_stack_stats(st, &s);
	return s;
}

#endif /* WS_TESTS_TCP_PAIR_H */

/*
 * Performance structure, checked in virtual time: ACK coalescing over a
 * received batch, the growing connection hash and the timer heap with
 * thousands of connections.
 */
#include <inttypes.h>

#include "tests/pair/tcp_pair.h"

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

static struct wt_pair P;

/* Every case runs on a fresh pair P (stack seed 7). */
#define T(f) TP_TEST(f, &P, 7)

/*
 * A bulk transfer: the receiver processes each burst in one
 * ws_stack_poll and ACKs it once (within the 64 KB cap), not every
 * second segment; the data arrive intact.
 */
static void
test_ack_coalescing(void **state)
{
	struct tp_conn cn;
	struct tp_xfer x;
	struct ws_stats b0, b1;
	uint64_t segs, acks;

	(void)state;
	tp_connect(&P, &cn);
	b0 = tp_stats(P.b);
	tp_xfer_init(&x, cn.c, cn.s, 4u << 20, 3);
	assert_true(wt_pair_run(&P, tp_xfer_done, &x, 60 * WS_USEC_PER_SEC));
	assert_memory_equal(x.data, x.got, x.len);
	b1 = tp_stats(P.b);
	segs = b1.tcp.rcvpack - b0.tcp.rcvpack;
	acks = b1.tcp.sndtotal - b0.tcp.sndtotal;
	print_message("# %" PRIu64 " segments, %" PRIu64 " ACKs\n", segs,
	    acks);
	assert_true(segs >= x.len / 1460);
	/* Every second segment would be segs / 2. */
	assert_true(acks * 4 <= segs);
	/* ... but at least one per 64 KB (the cap). */
	assert_true(acks >= x.len / (64 * 1024));
	assert_int_equal(b1.tcp.sndrexmitpack, 0);
	assert_int_equal(tp_stats(P.a).tcp.sndrexmitpack, 0);
	tp_xfer_fini(&x);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_abort(cn.l);
}

#define NCONN 3000

struct many {
	struct ws_tcp *l;
	struct ws_tcp *c[NCONN];
	struct ws_tcp *s[NCONN];
	unsigned n, nacc;
};

static bool
many_accepted(void *arg)
{
	struct many *m = arg;
	struct ws_tcp *s;

	while (m->nacc < m->n && ws_tcp_accept(m->l, &s) == 0)
		m->s[m->nacc++] = s;
	if (m->nacc < m->n)
		return false;
	for (unsigned i = 0; i < m->n; i++)
		if (!(ws_tcp_events(m->c[i]) & WS_TCP_CONNECTED))
			return false;
	return true;
}

/*
 * Thousands of connections: the 4-tuple table grows past its initial
 * 1024 chains, every connection stays reachable, and the timer heap
 * holds exactly the connections with a timer armed, down to none.
 */
static void
test_many_connections(void **state)
{
	static struct many m;
	struct tcp_softc *sa = P.a->tcp, *sb = P.b->tcp;
	uint8_t buf[4];

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(ws_tcp_open(P.b, &m.l), 0);
	assert_int_equal(ws_tcp_listen(m.l, TP_PORT, 128), 0);
	/* In chunks, so the listener's backlog is never the limit. */
	while (m.n < NCONN) {
		for (unsigned k = 0; k < 100 && m.n < NCONN; k++, m.n++) {
			assert_int_equal(ws_tcp_open(P.a, &m.c[m.n]), 0);
			assert_int_equal(ws_tcp_connect(m.c[m.n], WT_ADDR_B,
			    TP_PORT), WS_EINPROGRESS);
		}
		assert_true(wt_pair_run(&P, many_accepted, &m,
		    10 * WS_USEC_PER_SEC));
	}
	assert_true(sb->hashmask + 1 > 1024);
	assert_true(sa->hashmask + 1 > 1024);
	assert_true(sb->nconns > 2 * 1024);
	/* Each connection still finds its peer: one byte over each. */
	for (unsigned i = 0; i < NCONN; i += 97)
		assert_int_equal(ws_tcp_send(m.c[i], "x", 1), 1);
	(void)wt_pair_run(&P, NULL, NULL, WS_USEC_PER_SEC);
	for (unsigned i = 0; i < NCONN; i++)
		assert_int_equal(ws_tcp_recv(m.s[i], buf, sizeof(buf)),
		    i % 97 == 0 ? 1 : WS_EAGAIN);
	/* The heap's earliest key is the earliest armed deadline. */
	{
		ws_time_t t = WS_TIME_NEVER;
		struct tcpcb *tp;
		uint32_t armed = 0;

		TAILQ_FOREACH(tp, &sa->all, t_list) {
			ws_time_t m0 = WS_TIME_NEVER;

			for (int i = 0; i < TCPT_NTIMERS; i++)
				m0 = ws_time_min(m0, tp->t_timer[i]);
			if (m0 != WS_TIME_NEVER)
				armed++;
			t = ws_time_min(t, m0);
		}
		assert_int_equal(sa->theapn, armed);
		assert_true(ws_stack_next_deadline(P.a) == t);
	}
	for (unsigned i = 0; i < NCONN; i++) {
		ws_tcp_abort(m.c[i]);
		ws_tcp_abort(m.s[i]);
	}
	ws_tcp_abort(m.l);
	(void)wt_pair_run(&P, NULL, NULL, WS_USEC_PER_SEC);
	assert_int_equal(sa->nconns, 0);
	assert_int_equal(sb->nconns, 0);
	assert_int_equal(sa->theapn, 0);
	assert_int_equal(sb->theapn, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ack_coalescing),
		T(test_many_connections),
	};

	return cmocka_run_group_tests_name("tcp_perf", tests, NULL, NULL);
}

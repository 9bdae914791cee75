/*
 * HyStart++ (RFC 9406) end to end: a bulk transfer through a bottleneck
 * (10 Mbit/s, 5 ms each way, a 128-frame queue: several times the
 * bandwidth-delay product) in virtual time.  Plain slow start doubles
 * the window until the queue overflows and loses a large part of a
 * window; HyStart++ sees the queueing delay grow, leaves slow start
 * for CSS and congestion avoidance, and the transfer completes with
 * (almost) no retransmission.  For NewReno without SACK, where such a
 * loss hurts most, and for CUBIC with SACK and RACK.
 */
#include <inttypes.h>

#include "tests/pair/tcp_pair.h"

static struct wt_pair P;

#define T(f) TP_TEST(f, &P, 7)
#define SEC WS_USEC_PER_SEC

struct hs_result {
	uint64_t retransmits, rtos, css;
	ws_time_t elapsed;
};

/* 2 MiB from A to B over the bottleneck; options on both ends. */
static void
hs_run(int cc, bool sack, bool hystart, struct hs_result *r)
{
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	struct tp_xfer x;
	struct ws_tcp_info ci;
	struct ws_tcp *socks[2];
	ws_time_t t0;

	assert_int_equal(wt_pair_teardown(&P), 0);
	o.mem.rate_bps = 10000000;
	o.mem.delay_us = 5000;
	o.mem.queue_limit = 128;
	o.seed = 7;
	tp_setup_ip(&P, &o);
	memset(&cn, 0, sizeof(cn));
	assert_int_equal(ws_tcp_open(P.b, &cn.l), 0);
	assert_int_equal(ws_tcp_open(P.a, &cn.c), 0);
	socks[0] = cn.l;
	socks[1] = cn.c;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ws_tcp_setopt(socks[i], WS_TCP_CC, cc), 0);
		assert_int_equal(ws_tcp_setopt(socks[i], WS_TCP_SACK, sack), 0);
		assert_int_equal(ws_tcp_setopt(socks[i], WS_TCP_HYSTART,
		    hystart), 0);
		assert_int_equal(ws_tcp_setopt(socks[i], WS_TCP_SNDBUF,
		    1 << 20), 0);
		assert_int_equal(ws_tcp_setopt(socks[i], WS_TCP_RCVBUF,
		    1 << 20), 0);
	}
	assert_int_equal(ws_tcp_listen(cn.l, TP_PORT, 8), 0);
	assert_int_equal(ws_tcp_connect(cn.c, WT_ADDR_B, TP_PORT),
	    WS_EINPROGRESS);
	assert_true(wt_pair_run(&P, tp_accepted, &cn, 10 * SEC));
	t0 = P.now;
	tp_xfer_init(&x, cn.c, cn.s, 2u << 20, 5);
	assert_true(wt_pair_run(&P, tp_xfer_done, &x, 60 * SEC));
	assert_memory_equal(x.data, x.got, x.len);
	r->elapsed = P.now - t0;
	ws_tcp_info(cn.c, &ci);
	r->retransmits = ci.retransmits;
	r->rtos = ci.rtos;
	r->css = tp_stats(P.a).tcp.hystart_css;
	print_message("# cc %d sack %d hystart %d: %" PRIu64 " ms, %" PRIu64
	    " retransmitted, %" PRIu64 " RTOs, %" PRIu64 " CSS entries\n", cc,
	    sack, hystart, (uint64_t)(r->elapsed / 1000), r->retransmits,
	    r->rtos, r->css);
	tp_xfer_fini(&x);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_abort(cn.l);
}

static void
hs_compare(int cc, bool sack)
{
	struct hs_result on, off;

	hs_run(cc, sack, false, &off);
	hs_run(cc, sack, true, &on);
	/* Plain slow start overflows the queue by a large part of a window. */
	assert_int_equal(off.css, 0);
	assert_true(off.retransmits >= 100);
	/* HyStart++ leaves slow start on the delay, before the overflow. */
	assert_true(on.css >= 1);
	assert_true(on.retransmits * 20 < off.retransmits);
	assert_int_equal(on.rtos, 0);
	assert_true(on.elapsed < off.elapsed);
}

static void
test_hystart_newreno_nosack(void **state)
{
	(void)state;
	hs_compare(WS_TCP_CC_NEWRENO, false);
}

static void
test_hystart_cubic_sack(void **state)
{
	(void)state;
	hs_compare(WS_TCP_CC_CUBIC, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_hystart_newreno_nosack),
		T(test_hystart_cubic_sack),
	};

	return cmocka_run_group_tests_name("tcp_hystart", tests, NULL, NULL);
}

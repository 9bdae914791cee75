/*
 * Congestion control: CUBIC's window against the RFC 9438 formulas
 * (cubic region, Reno-friendly region, fast convergence, timeout),
 * NewReno's slow start and congestion avoidance with appropriate byte
 * counting (RFC 3465), and choosing the algorithm per connection.
 *
 * The algorithms are driven directly on an established connection's
 * control block: ACKs of one segment each, spread evenly over each RTT,
 * with the stack's clock (st->now) moved by hand.
 */
#include "config.h"

#include <math.h>

#include "tests/unit/tcp_dialog.h"

#define SMSS 1000u

/* A control block with MSS 1000, SRTT rtt_us and algorithm cc. */
static struct tcpcb *
cc_tcb(const struct tcp_cc_ops *cc, uint32_t rtt_us)
{
	struct tcpcb *tp;

	dlg_to_established(&D);
	tp = sototcpcb(D.s);
	tp->t_cc = cc;
	tp->t_maxseg = SMSS;
	cc->init(tp);
	tp->t_rtt.valid = true;
	tp->t_rtt.srtt_us = rtt_us;
	return tp;
}

/*
 * One RTT of ACKs: cwnd / SMSS of them, one segment each, evenly spread
 * (the window in flight comes back over one round trip).
 */
static void
one_rtt(struct tcpcb *tp, uint32_t rtt_us)
{
	uint32_t n = tp->snd_cwnd / SMSS;
	ws_time_t start = D.st->now;

	for (uint32_t i = 0; i < n; i++) {
		D.st->now = start + (uint64_t)rtt_us * i / n;
		tp->t_cc->ack(tp, SMSS);
	}
	D.st->now = start + rtt_us;
}

/* RFC 9438 Figure 1. */
static double
w_cubic(double t, double k, double w_max)
{
	return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

/*
 * Follow the window for `rounds` RTTs after a reduction to cwnd_epoch
 * with W_max, and compare it with what RFC 9438 says: the larger of
 * W_cubic(t) (4.2) and the Reno-friendly W_est (4.3, which grows by
 * alpha per RTT below W_max and by one segment above).  Returns the
 * largest relative deviation; fails above 3 %.
 */
static double
follow(struct tcpcb *tp, uint32_t rtt, double w_max, double cwnd_epoch,
    int rounds, bool *cubic_region)
{
	const double alpha = 3.0 * (1 - 0.7) / (1 + 0.7);
	double k = cbrt((w_max - cwnd_epoch) / 0.4), w_est = cwnd_epoch;
	double maxerr = 0;
	ws_time_t t0 = D.st->now;

	*cubic_region = false;
	for (int r = 1; r <= rounds; r++) {
		double t, want, got, err;

		one_rtt(tp, rtt);
		w_est += w_est >= w_max ? 1.0 : alpha;
		t = (double)(D.st->now - t0) / 1e6;
		want = w_cubic(t, k, w_max);
		if (want >= w_est)
			*cubic_region = true;
		else
			want = w_est;
		got = (double)tp->snd_cwnd / SMSS;
		err = fabs(got - want) / want;
		if (err > maxerr)
			maxerr = err;
		if (err > 0.03)
			fprintf(stderr, "# t=%.2f cwnd=%.1f want %.1f (W_cubic "
			    "%.1f, W_est %.1f)\n", t, got, want,
			    w_cubic(t, k, w_max), w_est);
		assert_true(err <= 0.03);
	}
	return maxerr;
}

/*
 * RFC 9438 4.2, 4.4, 4.5: after a loss at W_max = 100 segments the
 * window drops to 70 (beta 0.7, 4.6), then follows W_cubic(t): concave
 * up to W_max at t = K = cbrt(W_max (1 - beta) / C) = 4.22 s, flat, then
 * convex; with RTT 100 ms the Reno-friendly estimate takes over only
 * late in the flat part.
 */
static void
test_cubic_formula(void **state)
{
	const uint32_t rtt = 100000;
	struct tcpcb *tp;
	bool cubic;
	double err;

	(void)state;
	tp = cc_tcb(&tcp_cc_cubic, rtt);
	tp->snd_cwnd = 100 * SMSS;
	tp->snd_ssthresh = 50 * SMSS;
	tp->t_cc->cong_signal(tp);
	assert_int_equal(tp->snd_ssthresh, 70 * SMSS);
	tp->snd_cwnd = tp->snd_ssthresh;
	err = follow(tp, rtt, 100, 70, 42, &cubic);
	assert_true(cubic);
	/* At t = K the window is back at W_max. */
	assert_true(fabs((double)tp->snd_cwnd / SMSS - 100) <= 2);
	fprintf(stderr, "# max deviation from RFC 9438: %.2f %%\n",
	    err * 100);
}

/*
 * A CUBIC connection (SRTT rtt_us) just after a loss at W_max = 100
 * segments: cwnd is the reduced ssthresh, where the curve starts.
 */
static struct tcpcb *
cubic_after_loss(uint32_t rtt_us)
{
	struct tcpcb *tp = cc_tcb(&tcp_cc_cubic, rtt_us);

	tp->snd_cwnd = 100 * SMSS;
	tp->t_cc->cong_signal(tp);
	tp->snd_cwnd = tp->snd_ssthresh;
	return tp;
}

/* Large RTT: the whole curve, concave and convex, is CUBIC's own. */
static void
test_cubic_convex(void **state)
{
	const uint32_t rtt = 400000;
	struct tcpcb *tp;
	bool cubic;

	(void)state;
	tp = cubic_after_loss(rtt);
	follow(tp, rtt, 100, 70, 20, &cubic); /* 8 s, K = 4.22 s */
	assert_true(cubic);
	/* W_cubic(8 s) = 0.4 * 3.78^3 + 100 = 121.6 */
	assert_true(tp->snd_cwnd > 118 * SMSS && tp->snd_cwnd < 126 * SMSS);
}

/*
 * RFC 9438 4.3: with a short RTT Reno would grow faster than the cubic
 * curve, so cwnd follows W_est: alpha = 3 (1 - beta) / (1 + beta) per
 * RTT up to W_max, then one segment per RTT.
 */
static void
test_cubic_reno_friendly(void **state)
{
	const uint32_t rtt = 2000;
	const double alpha = 3.0 * 0.3 / 1.7;
	struct tcpcb *tp;
	double w_est = 70;
	ws_time_t t0;

	(void)state;
	tp = cubic_after_loss(rtt);
	t0 = D.st->now;
	for (int r = 1; r <= 200; r++) {
		double t, got;

		one_rtt(tp, rtt);
		w_est += w_est >= 100 ? 1.0 : alpha;
		t = (double)(D.st->now - t0) / 1e6;
		got = (double)tp->snd_cwnd / SMSS;
		/* Reno-friendly region: W_cubic(t) is below W_est. */
		assert_true(w_cubic(t, cbrt(75.0), 100) < w_est);
		assert_true(fabs(got - w_est) <= 2.0);
	}
	assert_true(tp->snd_cwnd >= 180 * SMSS);
}

/*
 * RFC 9438 4.7 fast convergence: a loss before the window regained the
 * previous W_max lowers W_max to cwnd (1 + beta) / 2, so the plateau
 * comes earlier and lower (K = cbrt((W_max - cwnd_epoch) / C)).
 */
static void
test_cubic_fast_convergence(void **state)
{
	const uint32_t rtt = 400000;
	struct tcpcb *tp;
	bool cubic;

	(void)state;
	tp = cc_tcb(&tcp_cc_cubic, rtt);
	tp->snd_cwnd = 100 * SMSS;
	tp->t_cc->cong_signal(tp);      /* W_max 100 */
	tp->snd_cwnd = 80 * SMSS;
	tp->t_cc->cong_signal(tp);      /* 80 < 100: W_max 68 */
	assert_int_equal(tp->snd_ssthresh, 56 * SMSS);
	tp->snd_cwnd = tp->snd_ssthresh;
	follow(tp, rtt, 80.0 * 1.7 / 2, 56, 20, &cubic);
	assert_true(cubic);
}

/*
 * RFC 9438 4.8: an RTO: cwnd one segment, ssthresh = 0.7 cwnd; slow
 * start (RFC 3465: at most 2 SMSS per ACK) back to ssthresh, then a
 * cubic epoch with K = 0 from there.
 */
static void
test_cubic_timeout(void **state)
{
	struct tcpcb *tp;
	uint32_t ss;

	(void)state;
	tp = cc_tcb(&tcp_cc_cubic, 50000);
	tp->snd_cwnd = 100 * SMSS;
	tp->t_cc->timeout(tp);
	assert_int_equal(tp->snd_cwnd, SMSS);
	assert_int_equal(tp->snd_ssthresh, 70 * SMSS);
	tp->t_cc->ack(tp, 3 * SMSS);
	assert_int_equal(tp->snd_cwnd, 3 * SMSS);
	ss = tp->snd_ssthresh;
	while (tp->snd_cwnd < ss)
		tp->t_cc->ack(tp, SMSS);
	assert_true(tp->snd_cwnd <= ss + SMSS);
	one_rtt(tp, 50000);
	/* K = 0: growth resumes at once, no plateau at the old W_max. */
	assert_true(tp->snd_cwnd > ss);
}

/* The undo restores W_max (RFC 9438 4.9). */
static void
test_cubic_undo(void **state)
{
	struct tcpcb *tp;

	(void)state;
	tp = cc_tcb(&tcp_cc_cubic, 100000);
	tp->snd_cwnd = 100 * SMSS;
	tp->t_cc->cong_signal(tp);
	tp->snd_cwnd = 90 * SMSS;
	tp->t_cc->cong_signal(tp);      /* fast convergence: W_max 76.5 */
	tp->t_cc->undo(tp);             /* back to 100 */
	tp->snd_cwnd = 63 * SMSS;
	tp->snd_ssthresh = 63 * SMSS;
	for (int r = 0; r < 43; r++)
		one_rtt(tp, 100000);
	/* K = cbrt((100 - 63) / 0.4) = 4.5 s: still below 100 at 4.3 s. */
	assert_true(tp->snd_cwnd > 90 * SMSS && tp->snd_cwnd < 100 * SMSS);
}

/*
 * NewReno (RFC 5681 3.1, RFC 3465): slow start adds what was acked, at
 * most 2 SMSS per ACK; congestion avoidance one SMSS per cwnd of bytes
 * acked; ssthresh = FlightSize / 2 on loss; RTO: cwnd one segment.
 */
static void
test_newreno(void **state)
{
	struct tcpcb *tp;

	(void)state;
	tp = cc_tcb(&tcp_cc_newreno, 100000);
	/* RFC 6928: min(10 SMSS, max(2 SMSS, 14600)) = 10 SMSS here. */
	assert_int_equal(tp->snd_cwnd, 10 * SMSS);
	tp->t_cc->ack(tp, 5 * SMSS);
	assert_int_equal(tp->snd_cwnd, 12 * SMSS);
	tp->t_cc->ack(tp, 500);
	assert_int_equal(tp->snd_cwnd, 12 * SMSS + 500);
	tp->snd_cwnd = 10 * SMSS;
	tp->snd_ssthresh = 10 * SMSS;
	for (int i = 0; i < 9; i++)
		tp->t_cc->ack(tp, SMSS);
	assert_int_equal(tp->snd_cwnd, 10 * SMSS);
	tp->t_cc->ack(tp, SMSS);
	assert_int_equal(tp->snd_cwnd, 11 * SMSS);
	tp->snd_max = tp->snd_una + 30 * SMSS;
	tp->t_cc->cong_signal(tp);
	assert_int_equal(tp->snd_ssthresh, 15 * SMSS);
	tp->t_cc->timeout(tp);
	assert_int_equal(tp->snd_cwnd, SMSS);
	tp->snd_max = tp->snd_una;
}

/* WS_TCP_CC: per connection, before connecting, inherited, reported. */
static void
test_select(void **state)
{
	struct ws_tcp *s;
	struct ws_tcp_info ti;

	(void)state;
	assert_int_equal(ws_tcp_open(D.st, &s), 0);
	assert_ptr_equal(sototcpcb(s)->t_cc, &tcp_cc_cubic); /* default */
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_CC, WS_TCP_CC_NEWRENO), 0);
	assert_ptr_equal(sototcpcb(s)->t_cc, &tcp_cc_newreno);
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_CC, 7), WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_CC, WS_TCP_CC_CUBIC), 0);
	assert_ptr_equal(sototcpcb(s)->t_cc, &tcp_cc_cubic);
	ws_tcp_close(s);
	/* The listener's choice goes to the connections it accepts. */
	assert_int_equal(ws_tcp_open(D.st, &D.l), 0);
	assert_int_equal(ws_tcp_setopt(D.l, WS_TCP_CC, WS_TCP_CC_NEWRENO), 0);
	assert_int_equal(ws_tcp_listen(D.l, DLG_LPORT, 4), 0);
	{
		struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;

		sg.opts.present = TOF_MSS;
		sg.opts.mss = 1460;
		dlg_send(&D, &sg);
		assert_true(dlg_recv(&D, &o));
		sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, o.seq + 1);
		dlg_send(&D, &sg);
	}
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.cc, WS_TCP_CC_NEWRENO);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_CC, WS_TCP_CC_CUBIC),
	    WS_EISCONN);
	/* RFC 6928 initial window with either. */
	assert_int_equal(ti.snd_cwnd, 10 * 1460);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_cubic_formula),
		DLG_TEST(test_cubic_convex),
		DLG_TEST(test_cubic_reno_friendly),
		DLG_TEST(test_cubic_fast_convergence),
		DLG_TEST(test_cubic_timeout),
		DLG_TEST(test_cubic_undo),
		DLG_TEST(test_newreno),
		DLG_TEST(test_select),
	};

	return cmocka_run_group_tests_name("tcp_cc", tests, NULL, NULL);
}

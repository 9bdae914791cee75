/*
 * Congestion control: CUBIC's window against the RFC 9438 formulas
 * (cubic region, Reno-friendly region, fast convergence, timeout),
 * NewReno's slow start and congestion avoidance with appropriate byte
 * counting (RFC 3465), choosing the algorithm per connection, HyStart++
 * (RFC 9406) in either's slow start, NewReno recovery's timer when the
 * window lost many segments (RFC 6582), and the reduction of a SACK
 * recovery by PRR (RFC 6937).
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
 * RFC 9438 4.8: an RTO: cwnd one segment, ssthresh = 0.7 cwnd, held
 * if the timeout repeats; slow start (RFC 3465: at most 2 SMSS per ACK)
 * back to ssthresh, then a cubic epoch with K = 0 from there.
 */
static void
test_cubic_timeout(void **state)
{
	struct tcpcb *tp;
	uint32_t ss;

	(void)state;
	tp = cc_tcb(&tcp_cc_cubic, 50000);
	tp->snd_cwnd = 100 * SMSS;
	tp->t_rxtshift = 1; /* as tcp_timer_rexmt has it */
	tp->t_cc->timeout(tp);
	assert_int_equal(tp->snd_cwnd, SMSS);
	assert_int_equal(tp->snd_ssthresh, 70 * SMSS);
	/* RFC 5681 3.1: a repeated timeout holds ssthresh (not 2 SMSS). */
	tp->t_rxtshift = 2;
	tp->t_cc->timeout(tp);
	assert_int_equal(tp->snd_cwnd, SMSS);
	assert_int_equal(tp->snd_ssthresh, 70 * SMSS);
	tp->t_rxtshift = 0;
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

/* ---- HyStart++ (RFC 9406) ---- */

/*
 * `n` ACKs of one segment each, every one with an RTT sample of rtt_us,
 * in the order tcp_input has them (the sample, then the window), the
 * sender refilling the window at once (snd_max = snd_una + cwnd), so
 * that the rounds of RFC 9406 (the data outstanding when one begins) come
 * out of the ACKs themselves.
 */
static void
hs_acks(struct tcpcb *tp, uint32_t n, uint32_t rtt_us)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ack = tp->snd_una + SMSS;

		if (SEQ_LT(tp->snd_max, ack))
			tp->snd_max = ack;
		D.st->now += 100;
		tcp_cc_rtt_sample(tp, ack, rtt_us);
		tp->t_cc->ack(tp, SMSS);
		tp->snd_una = ack;
		tp->snd_max = tp->snd_una + tp->snd_cwnd;
	}
}

/* The rest of the current round: the next ACK begins a new one. */
static void
hs_finish_round(struct tcpcb *tp, uint32_t rtt_us)
{
	assert_true(tp->t_hystart.round);
	hs_acks(tp, (tp->t_hystart.window_end - tp->snd_una + SMSS - 1) /
	    SMSS - 1, rtt_us);
}

/* Slow start until cwnd reaches `segs` segments, the RTT steady. */
static void
hs_grow(struct tcpcb *tp, uint32_t segs, uint32_t rtt_us)
{
	while (tp->snd_cwnd < segs * SMSS)
		hs_acks(tp, 1, rtt_us);
}

/* body() for NewReno, then for CUBIC on a fresh stack (SRTT 50 ms). */
static void
hs_both(void (*body)(struct tcpcb *tp))
{
	body(cc_tcb(&tcp_cc_newreno, 50000));
	dlg_teardown(&D);
	dlg_setup(&D);
	body(cc_tcb(&tcp_cc_cubic, 50000));
}

/*
 * Without a delay increase HyStart++ never interferes: one SMSS per ACK
 * (RFC 3465 byte counting) all the way, ssthresh untouched.
 */
static void
hs_no_increase(struct tcpcb *tp)
{
	uint32_t before;

	hs_grow(tp, 100, 50000);
	/* Jitter below RttThresh (max(4 ms, 50 / 8 ms) = 6.25 ms). */
	before = tp->snd_cwnd;
	hs_acks(tp, 200, 56000);
	assert_int_equal(tp->snd_cwnd, before + 200 * SMSS);
	assert_int_equal(tp->t_hystart.phase, HYSTART_SS);
	assert_int_equal(tp->snd_ssthresh, UINT32_MAX / 2);
	assert_int_equal(dlg_stats(&D).tcp.hystart_css, 0);
}

static void
test_hystart_no_increase(void **state)
{
	(void)state;
	hs_both(hs_no_increase);
}

/*
 * RFC 9406 4.2: a round whose minimum RTT (N_RTT_SAMPLE samples at
 * least) exceeds the last round's by RttThresh ends slow start in CSS:
 * a quarter of the growth per ACK; CSS_ROUNDS rounds later congestion
 * avoidance begins at that cwnd (ssthresh = cwnd).  Both algorithms.
 */
static void
hs_css_to_ca(struct tcpcb *tp)
{
	uint32_t before;

	hs_grow(tp, 64, 50000);
	/* 7 samples of a new round at +7 ms: not yet (N_RTT_SAMPLE). */
	hs_finish_round(tp, 50000);
	hs_acks(tp, 7, 57000);
	assert_int_equal(tp->t_hystart.phase, HYSTART_SS);
	hs_acks(tp, 1, 57000);
	assert_int_equal(tp->t_hystart.phase, HYSTART_CSS);
	assert_int_equal(tp->t_hystart.css_base_us, 57000);
	assert_int_equal(dlg_stats(&D).tcp.hystart_css, 1);
	/* CSS: SMSS / CSS_GROWTH_DIVISOR per one-segment ACK. */
	before = tp->snd_cwnd;
	hs_acks(tp, 4, 57000);
	assert_int_equal(tp->snd_cwnd, before + SMSS);
	assert_int_equal(tp->snd_ssthresh, UINT32_MAX / 2);
	/*
	 * CSS_ROUNDS rounds at the raised RTT (the one CSS began in
	 * counts): congestion avoidance.
	 */
	for (int r = 0; r < 5; r++) {
		assert_int_equal(tp->t_hystart.phase, HYSTART_CSS);
		hs_finish_round(tp, 57000);
		hs_acks(tp, 1, 57000);
	}
	assert_int_equal(tp->t_hystart.phase, HYSTART_OFF);
	assert_true(tp->snd_ssthresh < UINT32_MAX / 2);
	assert_true(tp->snd_cwnd >= tp->snd_ssthresh);
	/* 1.25 per round (slow start: 2), for five rounds at most. */
	assert_true(tp->snd_cwnd < 4 * before);
	/* From now on the algorithm's congestion avoidance. */
	before = tp->snd_cwnd;
	hs_acks(tp, before / SMSS, 57000);
	assert_true(tp->snd_cwnd <= before + 2 * SMSS);
	assert_true(tp->snd_cwnd > before);
}

static void
test_hystart_css_to_ca(void **state)
{
	(void)state;
	hs_both(hs_css_to_ca);
}

/*
 * RFC 9406 4.2: in CSS a round whose minimum RTT falls below the one
 * that started CSS shows the increase was spurious: back to slow start,
 * full growth again, and HyStart++ keeps watching.
 */
static void
test_hystart_spurious(void **state)
{
	struct tcpcb *tp;
	uint32_t before;

	(void)state;
	tp = cc_tcb(&tcp_cc_cubic, 50000);
	hs_grow(tp, 32, 50000);
	hs_finish_round(tp, 50000);
	hs_acks(tp, 8, 60000);
	assert_int_equal(tp->t_hystart.phase, HYSTART_CSS);
	/* The rest of this round, then 8 samples of the next at 50 ms. */
	hs_finish_round(tp, 60000);
	hs_acks(tp, 7, 50000);
	assert_int_equal(tp->t_hystart.phase, HYSTART_CSS);
	hs_acks(tp, 1, 50000);
	assert_int_equal(tp->t_hystart.phase, HYSTART_SS);
	assert_int_equal(dlg_stats(&D).tcp.hystart_spurious, 1);
	before = tp->snd_cwnd;
	hs_acks(tp, 10, 50000);
	assert_int_equal(tp->snd_cwnd, before + 10 * SMSS);
	/* A real increase later still ends slow start. */
	hs_finish_round(tp, 50000);
	hs_acks(tp, 8, 70000);
	assert_int_equal(tp->t_hystart.phase, HYSTART_CSS);
	assert_int_equal(dlg_stats(&D).tcp.hystart_css, 2);
}

/*
 * Only the first slow start (RFC 9406 4.3): after a loss ssthresh is
 * set and HyStart++ is done; and WS_TCP_HYSTART 0 turns it off.
 */
static void
test_hystart_first_only_and_off(void **state)
{
	struct tcpcb *tp;
	uint32_t ss;

	(void)state;
	tp = cc_tcb(&tcp_cc_newreno, 50000);
	hs_grow(tp, 40, 50000);
	tp->t_cc->timeout(tp);
	ss = tp->snd_ssthresh;
	hs_acks(tp, 300, 50000);
	hs_acks(tp, 300, 90000);
	assert_int_equal(tp->snd_ssthresh, ss);
	assert_int_equal(dlg_stats(&D).tcp.hystart_css, 0);
	dlg_teardown(&D);
	dlg_setup(&D);

	/* Off: a listener's setting goes to what it accepts. */
	assert_int_equal(ws_tcp_open(D.st, &D.l), 0);
	assert_int_equal(ws_tcp_setopt(D.l, WS_TCP_HYSTART, 0), 0);
	assert_int_equal(ws_tcp_listen(D.l, DLG_LPORT, 4), 0);
	{
		struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;

		dlg_send(&D, &sg);
		assert_true(dlg_recv(&D, &o));
		sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, o.seq + 1);
		dlg_send(&D, &sg);
	}
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	tp = sototcpcb(D.s);
	assert_true(tp->t_nohystart);
	assert_int_equal(tp->t_hystart.phase, HYSTART_OFF);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_HYSTART, 1), WS_EISCONN);
	tp->t_maxseg = SMSS;
	tp->t_rtt.valid = true;
	tp->t_rtt.srtt_us = 50000;
	hs_grow(tp, 40, 50000);
	ss = tp->snd_cwnd;
	hs_acks(tp, 200, 90000);
	assert_int_equal(tp->snd_cwnd, ss + 200 * SMSS);
	assert_int_equal(dlg_stats(&D).tcp.hystart_css, 0);
}

/* ---- Loss recovery without SACK (RFC 6582) ---- */

/*
 * RFC 6582 3.2 step 3 and 4 (the Impatient variant): only the first
 * partial ACK of a recovery restarts the retransmission timer, so a
 * window with many losses ends in an RTO and slow start rather than one
 * hole per round trip.
 */
static void
test_newreno_impatient(void **state)
{
	struct tcpcb *tp;
	struct seg sg, o;
	ws_time_t t1, t2;
	static uint8_t data[16 * 1460];

	(void)state;
	dlg_to_established(&D);
	tp = sototcpcb(D.s);
	tp->t_cc = &tcp_cc_newreno;
	assert_false(tcp_sb_active(tp));
	assert_int_equal(ws_tcp_send(D.s, data, 8 * 1460), 8 * 1460);
	for (int i = 0; i < 8; i++)
		assert_true(dlg_recv(&D, &o));
	/* Segments 1, 3 and 5 lost: three duplicate ACKs for 1. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1460);
	for (int i = 0; i < 4; i++)
		dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1460, D.snd, 1460, NULL);
	assert_true(tp->t_flags & TF_FASTRECOVERY);
	assert_int_equal(tp->snd_ssthresh, 7 * 1460 / 2);
	/* The first partial ACK restarts the timer ... */
	dlg_wait(&D, 30 * DLG_MS);
	t1 = tp->t_timer[TCPT_REXMT];
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 3 * 1460);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 3 * 1460, D.snd, 1460, NULL);
	t2 = tp->t_timer[TCPT_REXMT];
	assert_true(t2 > t1);
	/* ... a later one does not. */
	dlg_wait(&D, 30 * DLG_MS);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 5 * 1460);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 5 * 1460, D.snd, 1460, NULL);
	assert_true(tp->t_flags & TF_FASTRECOVERY);
	assert_int_equal(tp->t_timer[TCPT_REXMT], t2);
	/* It expires: go-back-N from SND.UNA in slow start. */
	dlg_at(&D, t2 - 1);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 0);
	dlg_at(&D, t2);
	dlg_expect(&D, TH_ACK, D.rcv + 5 * 1460, D.snd, 1460, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 1);
	assert_false(tp->t_flags & TF_FASTRECOVERY);
	assert_int_equal(tp->snd_cwnd, 1460);
	/* RFC 5681 (4): FlightSize is 3 segments now. */
	assert_int_equal(tp->snd_ssthresh, 2 * 1460);
}

/* NewReno, RFC 6675 loss detection (no RACK): the listener's options. */
static void
prr_opts(struct ws_tcp *l)
{
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_CC, WS_TCP_CC_NEWRENO), 0);
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_RACK, 0), 0);
}

/*
 * PRR (RFC 6937) in a SACK recovery: while the pipe is above ssthresh,
 * each ACK releases ssthresh / RecoverFS of what it delivered (here one
 * segment for every two SACKed), spread over the ACKs, where cwnd =
 * ssthresh would leave the sender silent until the pipe had drained.
 */
static void
test_prr_proportional(void **state)
{
	static uint8_t data[40 * 1460];
	struct tcpcb *tp;
	uint32_t base, blk[2], sent = 0, delivered, want;
	int quiet = 0;

	(void)state;
	dlg_to_established_sack(&D, false, 10 * DLG_MS, prr_opts);
	tp = sototcpcb(D.s);
	assert_ptr_equal(tp->t_cc, &tcp_cc_newreno);
	tp->snd_cwnd = 20 * 1460;
	base = D.rcv;
	assert_int_equal(ws_tcp_send(D.s, data, sizeof(data)), sizeof(data));
	assert_int_equal(dlg_drain(&D, NULL, 0), 20);
	/* Segment 0 is lost; the peer SACKs 1, 2, ... one at a time. */
	blk[0] = base + 1460;
	for (uint32_t k = 1; k <= 3; k++) {
		blk[1] = base + (k + 1) * 1460;
		dlg_send_sack(&D, base, blk, 1);
		if (k < 3)
			(void)dlg_drain(&D, NULL, 0);
	}
	assert_true(tp->t_flags & TF_FASTRECOVERY);
	assert_int_equal(tp->t_prr_recoverfs, 22 * 1460);
	assert_int_equal(tp->snd_ssthresh, 11 * 1460);
	sent = (uint32_t)dlg_drain(&D, NULL, 0);
	assert_int_equal(sent, 1); /* the retransmission of segment 0 */
	for (uint32_t k = 4; k <= 13; k++) {
		int n;

		blk[1] = base + (k + 1) * 1460;
		dlg_send_sack(&D, base, blk, 1);
		n = dlg_drain(&D, NULL, 0);
		assert_true(n <= 1);
		quiet = n == 0 ? quiet + 1 : 0;
		assert_true(quiet <= 2);
		sent += (uint32_t)n;
		assert_true(tcp_sack_pipe(tp) > tp->snd_ssthresh);
	}
	/* 11 segments delivered: floor(11 * 11 / 22) = 5 sent. */
	delivered = 11 * 1460;
	assert_int_equal(tp->t_prr_delivered, delivered);
	want = delivered * (11 * 1460) / (22 * 1460);
	assert_int_equal(sent, want / 1460);
	assert_int_equal(sent, 5);
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
		DLG_TEST(test_hystart_no_increase),
		DLG_TEST(test_hystart_css_to_ca),
		DLG_TEST(test_hystart_spurious),
		DLG_TEST(test_hystart_first_only_and_off),
		DLG_TEST(test_newreno_impatient),
		DLG_TEST(test_prr_proportional),
	};

	return cmocka_run_group_tests_name("tcp_cc", tests, NULL, NULL);
}

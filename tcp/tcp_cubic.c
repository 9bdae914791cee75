/*
 * CUBIC congestion control (RFC 9438), as a struct tcp_cc_ops table.
 *
 * After a congestion event the window follows the cubic function of the
 * time since the current congestion-avoidance epoch began (RFC 9438 4.2)
 *
 *	W_cubic(t) = C * (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)
 *
 * in segments and seconds: concave up to the window where the loss
 * happened (W_max), flat around it, then convex to probe for more.  An
 * estimate of what Reno would have (W_est, 4.3) is the floor.  Loss
 * multiplies the window by beta = 0.7 (4.6) and, if the window did not
 * reach the previous W_max, lowers W_max further (fast convergence, 4.7).
 * Slow start is the standard one (4.10) with RFC 3465 byte counting,
 * and HyStart++ (RFC 9406) to leave it before it overflows a queue.
 *
 * Floating point is used for the cubic (the stack is in user space); the
 * result is deterministic for a given sequence of ACKs and times.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

#define CUBIC_C 0.4             /* RFC 9438 5.1 */
#define CUBIC_BETA 0.7          /* RFC 9438 4.6 */
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA)) /* 4.3 */

/* Private state, kept in tp->t_ccpriv. */
struct cubic {
	double w_max;           /* W_max, segments (0: no loss yet) */
	double prior_w_max;     /* before the last reduction (undo, 4.9) */
	double k;               /* K, seconds */
	double w_est;           /* W_est, segments */
	double cwnd_epoch;      /* cwnd when the epoch began, segments */
	double frac;            /* growth below one byte, carried over */
	ws_time_t t_epoch;      /* start of the epoch */
	uint32_t flags;
};
#define CUBIC_F_EPOCH 0x1       /* t_epoch and K are valid */
#define CUBIC_F_AFTER_RTO 0x2   /* RFC 9438 4.8: first epoch after an RTO */

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcpcb *)0)->t_ccpriv),
    "CUBIC state must fit t_ccpriv");

static void
cubic_load(const struct tcpcb *tp, struct cubic *c)
{
	memcpy(c, tp->t_ccpriv, sizeof(*c));
}

static void
cubic_store(struct tcpcb *tp, const struct cubic *c)
{
	memcpy(tp->t_ccpriv, c, sizeof(*c));
}

/* RFC 9438 4.2 Figure 1: W_cubic(t), segments. */
static double
cubic_w(const struct cubic *c, double t)
{
	double d = t - c->k;

	return CUBIC_C * d * d * d + c->w_max;
}

static void
cubic_init(struct tcpcb *tp)
{
	struct cubic c;

	memset(&c, 0, sizeof(c));
	cubic_store(tp, &c);
	tcp_cc_newreno.init(tp); /* RFC 6928 initial window, no ssthresh */
}

/* Start an epoch (RFC 9438 4.2): the first ACK of congestion avoidance. */
static void
cubic_epoch(struct tcpcb *tp, struct cubic *c, double cwnd)
{
	c->t_epoch = tp->t_st->now;
	c->cwnd_epoch = cwnd;
	c->w_est = cwnd;
	c->frac = 0;
	if ((c->flags & CUBIC_F_AFTER_RTO) || c->w_max <= cwnd) {
		/* 4.8, or no loss yet: probe from here, K = 0. */
		c->w_max = cwnd;
		c->k = 0;
	} else
		c->k = cbrt((c->w_max - cwnd) / CUBIC_C);
	c->flags = (c->flags & ~CUBIC_F_AFTER_RTO) | CUBIC_F_EPOCH;
}

static void
cubic_ack(struct tcpcb *tp, uint32_t acked)
{
	struct cubic c;
	double mss = tp->t_maxseg, cwnd, segs, t, rtt, target, inc;
	uint32_t add;

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		/* Slow start (4.10), with HyStart++ (RFC 9406). */
		tcp_cc_slowstart(tp, acked);
		return;
	}
	cubic_load(tp, &c);
	cwnd = tp->snd_cwnd / mss;
	segs = acked / mss;
	if (!(c.flags & CUBIC_F_EPOCH))
		cubic_epoch(tp, &c, cwnd);
	t = (double)(tp->t_st->now - c.t_epoch) / WS_USEC_PER_SEC;
	rtt = tp->t_rtt.valid ? (double)tp->t_rtt.srtt_us / WS_USEC_PER_SEC :
	    0.1;

	/* 4.3: the Reno-friendly estimate, alpha = 1 once past W_max. */
	c.w_est += (c.w_est >= c.w_max ? 1.0 : CUBIC_ALPHA) * segs / cwnd;
	if (cubic_w(&c, t) < c.w_est) {
		/* Reno-friendly region: cwnd = W_est. */
		if (c.w_est > cwnd)
			c.frac += (c.w_est - cwnd) * mss;
	} else {
		/* 4.4 concave and 4.5 convex regions. */
		target = cubic_w(&c, t + rtt);
		if (target < cwnd)
			target = cwnd;
		if (target > 1.5 * cwnd)
			target = 1.5 * cwnd;
		inc = (target - cwnd) / cwnd * segs;
		c.frac += inc * mss;
	}
	if (c.frac >= 1.0) {
		add = c.frac > 1e9 ? 1000000000u : (uint32_t)c.frac;
		c.frac -= add;
		tp->snd_cwnd = tp->snd_cwnd + add > tcp_cc_maxcwnd() ?
		    tcp_cc_maxcwnd() : tp->snd_cwnd + add;
	}
	cubic_store(tp, &c);
}

/* 4.6 and 4.7: the window where the loss happened, and the new ssthresh. */
static void
cubic_reduce(struct tcpcb *tp, struct cubic *c)
{
	double cwnd = (double)tp->snd_cwnd / tp->t_maxseg;
	double ss = tp->snd_cwnd * CUBIC_BETA;

	c->prior_w_max = c->w_max;
	if (cwnd < c->w_max)
		c->w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
	else
		c->w_max = cwnd;
	c->flags &= ~CUBIC_F_EPOCH;
	if (ss < 2.0 * tp->t_maxseg)
		ss = 2.0 * tp->t_maxseg;
	tp->snd_ssthresh = (uint32_t)ss;
	tp->t_cabytes = 0;
}

static void
cubic_cong_signal(struct tcpcb *tp)
{
	struct cubic c;

	cubic_load(tp, &c);
	c.flags &= ~CUBIC_F_AFTER_RTO;
	cubic_reduce(tp, &c);
	cubic_store(tp, &c);
}

/* RFC 6582 3.2 step 3 / RFC 6675: leave recovery at ssthresh. */
static void
cubic_post_recovery(struct tcpcb *tp, uint32_t ack)
{
	tcp_cc_newreno.post_recovery(tp, ack);
}

/*
 * 4.8: an RTO reduces like the standard (cwnd = 1 segment) with ssthresh
 * from beta; the next epoch starts with K = 0 at the window it has then.
 */
static void
cubic_timeout(struct tcpcb *tp)
{
	struct cubic c;

	cubic_load(tp, &c);
	/* Not again for a repeated timeout (tcp_cc_rto_repeated). */
	if (!tcp_cc_rto_repeated(tp))
		cubic_reduce(tp, &c);
	c.flags = (c.flags & ~CUBIC_F_EPOCH) | CUBIC_F_AFTER_RTO;
	cubic_store(tp, &c);
	tp->snd_cwnd = tp->t_maxseg;
}

/* 4.9: a spurious reduction: W_max as it was before it. */
static void
cubic_undo(struct tcpcb *tp)
{
	struct cubic c;

	cubic_load(tp, &c);
	if (c.prior_w_max > c.w_max)
		c.w_max = c.prior_w_max;
	c.flags &= ~(CUBIC_F_EPOCH | CUBIC_F_AFTER_RTO);
	cubic_store(tp, &c);
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ack = cubic_ack,
	.cong_signal = cubic_cong_signal,
	.post_recovery = cubic_post_recovery,
	.timeout = cubic_timeout,
	.undo = cubic_undo,
};

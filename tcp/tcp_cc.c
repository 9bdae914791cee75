/*
 * Congestion control: NewReno (RFC 5681 slow start and congestion
 * avoidance, RFC 6582 fast recovery), behind struct tcp_cc_ops so that
 * other algorithms (CUBIC, RFC 9438, in tcp_cubic.c) plug in per
 * connection, and the registry that maps WS_TCP_CC_* to the tables.  The
 * mechanics of loss recovery (what is resent, when, window inflation)
 * live in tcp_recovery.c and tcp_output.c; the ops only choose numbers.
 */
#include "config.h"

#include <string.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

#define SSTHRESH_INIT (UINT32_MAX / 2) /* RFC 5681 3.1: "arbitrarily high" */

/* RFC 9406 4.3 constants. */
#define HYSTART_MIN_RTT_THRESH_US 4000u
#define HYSTART_MAX_RTT_THRESH_US 16000u
#define HYSTART_MIN_RTT_DIVISOR 8
#define HYSTART_N_RTT_SAMPLE 8
#define HYSTART_CSS_GROWTH_DIVISOR 4
#define HYSTART_CSS_ROUNDS 5

static uint32_t
flight_size(const struct tcpcb *tp)
{
	return tp->snd_max - tp->snd_una;
}

/* RFC 5681 3.1 equation (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t
newreno_ssthresh(const struct tcpcb *tp)
{
	uint32_t half = flight_size(tp) / 2;

	return half > 2 * tp->t_maxseg ? half : 2 * tp->t_maxseg;
}

/* RFC 6928: IW = min(10 * MSS, max(2 * MSS, 14600)). */
static void
newreno_init(struct tcpcb *tp)
{
	uint32_t iw = 2 * tp->t_maxseg > 14600 ? 2 * tp->t_maxseg : 14600;

	if (iw > TCP_IW_SEGS * tp->t_maxseg)
		iw = TCP_IW_SEGS * tp->t_maxseg;
	tp->snd_cwnd = iw;
	tp->snd_ssthresh = SSTHRESH_INIT;
	tp->t_cabytes = 0;
	tcp_hystart_init(tp);
}

/*
 * RFC 5681 3.1: slow start grows cwnd by at most SMSS per ACK (RFC 3465
 * L = 2 * SMSS); congestion avoidance by about SMSS per RTT, counted in
 * bytes acknowledged (RFC 3465 appropriate byte counting).
 */
static void
newreno_ack(struct tcpcb *tp, uint32_t acked)
{
	uint32_t mss = tp->t_maxseg;

	if (tp->snd_cwnd < tp->snd_ssthresh) {
		tcp_cc_slowstart(tp, acked);
		return;
	}
	tp->t_cabytes += acked;
	if (tp->t_cabytes >= tp->snd_cwnd) {
		tp->t_cabytes -= tp->snd_cwnd;
		tp->snd_cwnd += mss;
	}
	/* Never beyond what the largest window could use. */
	if (tp->snd_cwnd > tcp_cc_maxcwnd())
		tp->snd_cwnd = tcp_cc_maxcwnd();
}

static void
newreno_cong_signal(struct tcpcb *tp)
{
	tp->snd_ssthresh = newreno_ssthresh(tp);
	tp->t_cabytes = 0;
}

/*
 * RFC 6582 3.2 step 3 (full ACK), option 1: cwnd = min(ssthresh,
 * max(FlightSize, SMSS) + SMSS), FlightSize measured after the ACK, so
 * that a recovery that drained the network does not end in a burst.
 */
static void
newreno_post_recovery(struct tcpcb *tp, uint32_t ack)
{
	uint32_t flight = tp->snd_max - ack;

	if (flight < tp->t_maxseg)
		flight = tp->t_maxseg;
	tp->snd_cwnd = flight + tp->t_maxseg < tp->snd_ssthresh ?
	    flight + tp->t_maxseg : tp->snd_ssthresh;
}

/*
 * RFC 5681 3.1: when the segment the timer resends was already resent by
 * the timer, "the value of ssthresh is held constant".  Recomputing it
 * is not harmless: after the first RTO cwnd is one segment, and CUBIC's
 * ssthresh = beta * cwnd would fall to 2 SMSS (and W_max with it), so
 * that one path outage left CUBIC crawling in congestion avoidance.
 */
bool
tcp_cc_rto_repeated(const struct tcpcb *tp)
{
	return tp->t_rxtshift > 1;
}

/* RFC 5681 3.1: after an RTO, ssthresh as above and cwnd = 1 segment. */
static void
newreno_timeout(struct tcpcb *tp)
{
	if (!tcp_cc_rto_repeated(tp))
		tp->snd_ssthresh = newreno_ssthresh(tp);
	tp->snd_cwnd = tp->t_maxseg;
	tp->t_cabytes = 0;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.ack = newreno_ack,
	.cong_signal = newreno_cong_signal,
	.post_recovery = newreno_post_recovery,
	.timeout = newreno_timeout,
	.undo = NULL, /* nothing private: cwnd and ssthresh are restored */
};

/* ---- HyStart++ (RFC 9406), for every algorithm's slow start ---- */

/*
 * HyStart++ watches the initial slow start only (RFC 9406 4.3: later
 * ones stop at the ssthresh a loss has set), and not during a recovery.
 * It is on unless WS_TCP_HYSTART turned it off.
 */
void
tcp_hystart_init(struct tcpcb *tp)
{
	struct tcp_hystart *h = &tp->t_hystart;

	memset(h, 0, sizeof(*h));
	h->phase = tp->t_nohystart ? HYSTART_OFF : HYSTART_SS;
	h->last_min_us = UINT32_MAX;
	h->cur_min_us = UINT32_MAX;
	h->css_base_us = UINT32_MAX;
}

static bool
hystart_active(const struct tcpcb *tp)
{
	return tp->t_hystart.phase != HYSTART_OFF &&
	    tp->snd_ssthresh == SSTHRESH_INIT &&
	    !(tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY));
}

/*
 * RFC 9406 4.2, per RTT sample of an ACK of new data, `ack` its
 * cumulative acknowledgment: rounds end when the data outstanding at
 * their start is acknowledged; once a round has N_RTT_SAMPLE samples,
 * a minimum RTT grown by RttThresh over the last round's moves slow
 * start to Conservative Slow Start (the queue is building: more of
 * slow start would overflow it).  In CSS a minimum RTT below the one
 * that started it means the increase was jitter: back to slow start;
 * CSS_ROUNDS rounds of CSS end it in congestion avoidance at this cwnd.
 */
void
tcp_cc_rtt_sample(struct tcpcb *tp, uint32_t ack, uint32_t rtt_us)
{
	struct tcp_hystart *h = &tp->t_hystart;
	uint32_t thresh;

	if (!hystart_active(tp))
		return;
	if (!h->round || SEQ_GEQ(ack, h->window_end)) {
		h->round = true;
		h->window_end = tp->snd_max;
		h->last_min_us = h->cur_min_us;
		h->cur_min_us = UINT32_MAX;
		h->samples = 0;
		if (h->phase == HYSTART_CSS &&
		    ++h->css_rounds >= HYSTART_CSS_ROUNDS) {
			tp->snd_ssthresh = tp->snd_cwnd;
			h->phase = HYSTART_OFF;
			return;
		}
	}
	if (rtt_us < h->cur_min_us)
		h->cur_min_us = rtt_us;
	if (++h->samples < HYSTART_N_RTT_SAMPLE)
		return;
	if (h->phase == HYSTART_SS) {
		if (h->last_min_us == UINT32_MAX)
			return;
		/* RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms). */
		thresh = h->last_min_us / HYSTART_MIN_RTT_DIVISOR;
		if (thresh < HYSTART_MIN_RTT_THRESH_US)
			thresh = HYSTART_MIN_RTT_THRESH_US;
		if (thresh > HYSTART_MAX_RTT_THRESH_US)
			thresh = HYSTART_MAX_RTT_THRESH_US;
		if (h->cur_min_us >= h->last_min_us + thresh) {
			h->css_base_us = h->cur_min_us;
			h->css_rounds = 0;
			h->phase = HYSTART_CSS;
			STAT_INC(tp->t_st, tcp, hystart_css);
		}
	} else if (h->cur_min_us < h->css_base_us) {
		h->css_base_us = UINT32_MAX;
		h->phase = HYSTART_SS;
		STAT_INC(tp->t_st, tcp, hystart_spurious);
	}
}

/*
 * Slow start growth for `acked` new bytes: RFC 5681 3.1 with RFC 3465
 * byte counting (L = 2 SMSS); in CSS a quarter of it (RFC 9406 4.2,
 * CSS_GROWTH_DIVISOR).
 */
void
tcp_cc_slowstart(struct tcpcb *tp, uint32_t acked)
{
	uint32_t inc = acked < 2 * tp->t_maxseg ? acked : 2 * tp->t_maxseg;

	if (tp->t_hystart.phase == HYSTART_CSS && hystart_active(tp))
		inc /= HYSTART_CSS_GROWTH_DIVISOR;
	tp->snd_cwnd = tp->snd_cwnd + inc > tcp_cc_maxcwnd() ?
	    tcp_cc_maxcwnd() : tp->snd_cwnd + inc;
}

/* The largest congestion window worth having: the largest send window. */
uint32_t
tcp_cc_maxcwnd(void)
{
	return (uint32_t)TCP_MAXWIN << TCP_MAX_WINSHIFT;
}

/* The table for WS_TCP_CC_*, NULL if not available. */
const struct tcp_cc_ops *
tcp_cc_get(int which)
{
	switch (which) {
	case WS_TCP_CC_NEWRENO:
		return &tcp_cc_newreno;
	case WS_TCP_CC_CUBIC:
		return &tcp_cc_cubic;
	default:
		return NULL;
	}
}

/* The WS_TCP_CC_* value of a table (ws_tcp_info). */
int
tcp_cc_id(const struct tcp_cc_ops *cc)
{
	return cc == &tcp_cc_cubic ? WS_TCP_CC_CUBIC : WS_TCP_CC_NEWRENO;
}

/*
 * Congestion control: NewReno (RFC 5681 slow start and congestion
 * avoidance, RFC 6582 fast recovery), behind struct tcp_cc_ops so that
 * other algorithms (CUBIC, RFC 9438, in tcp_cubic.c) plug in per
 * connection, and the registry that maps WS_TCP_CC_* to the tables.  The
 * mechanics of loss recovery (what is resent, when, window inflation)
 * live in tcp_recovery.c and tcp_output.c; the ops only choose numbers.
 */
#include "config.h"

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

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
	tp->snd_ssthresh = UINT32_MAX / 2;
	tp->t_cabytes = 0;
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
		tp->snd_cwnd += acked < 2 * mss ? acked : 2 * mss;
	} else {
		tp->t_cabytes += acked;
		if (tp->t_cabytes >= tp->snd_cwnd) {
			tp->t_cabytes -= tp->snd_cwnd;
			tp->snd_cwnd += mss;
		}
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

/* RFC 5681 3.1: after an RTO, ssthresh as above and cwnd = 1 segment. */
static void
newreno_timeout(struct tcpcb *tp)
{
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

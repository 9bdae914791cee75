/*
 * TCP timers as absolute deadlines (see TCPT_* in tcp_var.h): one scan
 * over the connections runs what is due and tcp_next_deadline reports the
 * earliest deadline left.  The handlers follow OpenBSD tcp_timer.c.
 */
#include "config.h"

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/*
 * Retransmission timeout (RFC 6298 5.4-5.6, RFC 9293 3.8.1): resend
 * from SND.UNA with the timer backed off; give up after too many tries
 * or too long.
 */
void
tcp_timer_rexmt(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	uint32_t limit = TCPS_HAVEESTABLISHED(tp->t_state) ?
	    TCP_MAXRXTSHIFT : TCP_SYN_RETRIES;

	if (tp->t_rxtstart == 0)
		tp->t_rxtstart = st->now;
	if (tp->t_rxtshift >= limit ||
	    st->now - tp->t_rxtstart >= TCP_REXMT_GIVEUP_US) {
		STAT_INC(st, tcp, timeoutdrop);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	STAT_INC(st, tcp, rexmttimeo);
	tp->t_rxtshift++;
	tp->t_rtos++;
	tcp_rtt_backoff(&tp->t_rtt);
	tcp_timer_arm(tp, TCPT_REXMT, tcp_rtt_rto(&tp->t_rtt));
	/* Karn: no RTT sample from what we are about to resend. */
	tp->t_rtttime = 0;
	/* RFC 5681 3.1: the loss shrinks the congestion window. */
	if (TCPS_HAVEESTABLISHED(tp->t_state))
		tp->t_cc->timeout(tp);
	tp->t_flags &= ~TF_FASTRECOVERY;
	tp->snd_recover = tp->snd_max;
	tp->t_dupacks = 0;
	tp->snd_nxt = tp->snd_una;
	if (tp->t_state == TCPS_SYN_SENT || tp->t_state == TCPS_SYN_RECEIVED)
		tp->snd_nxt = tp->iss; /* resend the SYN (SYN,ACK) */
	tcp_output(tp);
}

/*
 * Persist timeout (RFC 9293 3.8.6.1): the peer's window is zero and data
 * waits.  Force one byte out and back off.
 */
void
tcp_timer_persist(struct tcpcb *tp)
{
	STAT_INC(tp->t_st, tcp, persisttimeo);
	tcp_set_persist(tp);
	tp->t_flags |= TF_FORCE;
	tcp_output(tp);
	tp->t_flags &= ~TF_FORCE;
}

/*
 * Keep-alive (RFC 1122 4.2.3.6): after t_keepidle seconds of silence,
 * probe every t_keepintvl seconds; t_keepcntmax unanswered probes drop
 * the connection with WS_ETIMEDOUT.
 */
void
tcp_timer_keep(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	STAT_INC(st, tcp, keeptimeo);
	if (!(tp->t_flags & TF_KEEPALIVE) ||
	    !TCPS_HAVEESTABLISHED(tp->t_state) ||
	    tp->t_state > TCPS_CLOSE_WAIT)
		return;
	if (tp->t_keepcnt >= tp->t_keepcntmax) {
		STAT_INC(st, tcp, keepdrops);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	ws_log(st, WS_LOG_DEBUG, "tcp keepalive probe %u", tp->t_keepcnt);
	tcp_send_keepalive(tp);
	tp->t_keepcnt++;
	tcp_timer_arm(tp, TCPT_KEEP,
	    (uint64_t)tp->t_keepintvl * WS_USEC_PER_SEC);
}

/* 2MSL: TIME-WAIT is over, or an orphan FIN-WAIT-2 waited long enough. */
void
tcp_timer_2msl(struct tcpcb *tp)
{
	tcp_close(tp);
}

/* Delayed ACK (RFC 1122 4.2.3.2): the bound expired, ACK now. */
void
tcp_timer_delack(struct tcpcb *tp)
{
	if (!(tp->t_flags & TF_DELACK))
		return;
	tp->t_flags |= TF_ACKNOW;
	tcp_output(tp);
}

static void (*const tcp_timer_fn[TCPT_NTIMERS])(struct tcpcb *) = {
	[TCPT_REXMT] = tcp_timer_rexmt,
	[TCPT_PERSIST] = tcp_timer_persist,
	[TCPT_KEEP] = tcp_timer_keep,
	[TCPT_2MSL] = tcp_timer_2msl,
	[TCPT_DELACK] = tcp_timer_delack,
};

void
tcp_timer(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	/* Control blocks are only freed by tcp_reap, after the scan. */
	TAILQ_FOREACH(tp, &sc->all, t_list) {
		for (int i = 0; i < TCPT_NTIMERS; i++) {
			if (tp->t_flags & TF_DEAD)
				break;
			if (tp->t_timer[i] > st->now)
				continue;
			tp->t_timer[i] = WS_TIME_NEVER;
			tcp_timer_fn[i](tp);
		}
	}
	tcp_deliver(st);
}

ws_time_t
tcp_next_deadline(const struct ws_stack *st)
{
	const struct tcp_softc *sc = st->tcp;
	const struct tcpcb *tp;
	ws_time_t t = WS_TIME_NEVER;

	TAILQ_FOREACH(tp, &sc->all, t_list) {
		if (tp->t_flags & TF_DEAD)
			continue;
		for (int i = 0; i < TCPT_NTIMERS; i++)
			t = ws_time_min(t, tp->t_timer[i]);
	}
	return t;
}

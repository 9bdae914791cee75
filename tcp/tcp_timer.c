/*
 * TCP timers as absolute deadlines (see TCPT_* in tcp_var.h): a min-heap
 * of connections by earliest deadline (tcp_theap.c) yields what is due,
 * and tcp_next_deadline reports the earliest deadline left.  The handlers follow OpenBSD tcp_timer.c.
 */
#include "config.h"

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/*
 * Whether the retransmissions reached R2 (RFC 9293 3.8.3, MUST-20).  By
 * default data gives up after TCP_MAXRXTSHIFT tries or 120 s (MUST-20:
 * >= 100 s), a SYN only after its retries, which span more than 3
 * minutes (MUST-23).  A user timeout (MUST-21, RFC 5482) replaces both,
 * for SYNs too, as Linux TCP_USER_TIMEOUT does: the oldest data (or the
 * SYN) has waited that long for its ACK.
 */
static bool
tcp_rexmt_expired(const struct tcpcb *tp)
{
	const struct ws_stack *st = tp->t_st;
	uint32_t limit = TCPS_HAVEESTABLISHED(tp->t_state) ? TCP_MAXRXTSHIFT :
	    tp->t_state == TCPS_SYN_SENT ? TCP_SYN_RETRIES : TCP_SYNACK_RETRIES;

	if (tp->t_uto != 0)
		return tp->t_uastart != WS_TIME_NEVER &&
		    st->now - tp->t_uastart >= tp->t_uto;
	return tp->t_rxtshift >= limit || (TCPS_HAVEESTABLISHED(tp->t_state) &&
	    st->now - tp->t_rxtstart >= TCP_REXMT_GIVEUP_US);
}

/*
 * R1 reached (RFC 1122 4.2.3.5, RFC 9293 MUST-20, SHLD-9): negative
 * advice to IP, which asks the next hop's ARP entry to be confirmed
 * (our only gateway may have gone, or moved), and a soft error for the
 * application.
 */
static void
tcp_r1_advice(struct tcpcb *tp)
{
	ip4_negative_advice(tp->t_st, tp->t_faddr);
	tcp_soft_error(tp, WS_ETIMEDOUT);
}

/*
 * Retransmission timeout (RFC 6298 5.4-5.6, RFC 9293 3.8.1): resend
 * from SND.UNA with the timer backed off; give up after too many tries
 * or too long.
 */
void
tcp_timer_rexmt(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	if (tp->t_rxtstart == 0)
		tp->t_rxtstart = st->now;
	/* Nobody waits for an orphan's data: fewer tries (Linux). */
	if ((tp->t_flags & TF_ORPHAN) &&
	    tp->t_rxtshift >= st->cfg.tcp_orphan_retries) {
		STAT_INC(st, tcp, orphandrop);
		STAT_INC(st, tcp, timeoutdrop);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	if (tcp_rexmt_expired(tp)) {
		STAT_INC(st, tcp, timeoutdrop);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	STAT_INC(st, tcp, rexmttimeo);
	tp->t_rxtshift++;
	tp->t_rtos++;
	if (tp->t_rxtshift == TCP_R1_RETRIES)
		tcp_r1_advice(tp);
	tcp_rtt_backoff(&tp->t_rtt);
	tcp_timer_arm(tp, TCPT_REXMT, tcp_rtt_rto(&tp->t_rtt));
	/* Karn: no RTT sample from what we are about to resend. */
	tp->t_rtttime = 0;
	if (TCPS_HAVEESTABLISHED(tp->t_state) && tcp_sb_active(tp) &&
	    tcp_sb_count(tp) > 0) {
		/* With SACK: resend what the peer lacks (tcp_recovery.c). */
		tcp_recovery_timeout(tp);
		tcp_output(tp);
		return;
	}
	/* RFC 5681 3.1: the loss shrinks the congestion window. */
	if (TCPS_HAVEESTABLISHED(tp->t_state))
		tp->t_cc->timeout(tp);
	tp->t_flags &= ~(TF_FASTRECOVERY | TF_LOSSRECOVERY);
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
 *
 * How long to go on: RFC 9293 3.8.6.1 (MUST-37) keeps the connection
 * open as long as the peer answers the probes, so by default only
 * probes that go unanswered end it, after as many as retransmissions
 * (TCP_MAXRXTSHIFT, Linux tcp_retries2).  RFC 6429 lets the system
 * bound the wait anyway for the sake of its resources: the optional
 * cfg.tcp_persist_max_ms, and for orphans (closed by the application,
 * so nobody could ever abort them) cfg.tcp_orphan_retries probes in
 * all, answered or not (Linux tcp_orphan_retries).
 */
void
tcp_timer_persist(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	STAT_INC(st, tcp, persisttimeo);
	if (tp->t_persistprobes >= TCP_MAXRXTSHIFT) {
		STAT_INC(st, tcp, persistdrop);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	if ((tp->t_flags & TF_ORPHAN) &&
	    tp->t_persistn >= st->cfg.tcp_orphan_retries) {
		STAT_INC(st, tcp, persistdrop);
		STAT_INC(st, tcp, orphandrop);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	if (st->cfg.tcp_persist_max_ms != 0 && st->now - tp->t_persiststart >=
	    (uint64_t)st->cfg.tcp_persist_max_ms * WS_USEC_PER_MSEC) {
		STAT_INC(st, tcp, persistdrop);
		STAT_INC(st, tcp, persistlimit);
		tcp_drop(tp, WS_ETIMEDOUT);
		return;
	}
	tcp_set_persist(tp);
	tp->t_persistprobes++;
	tp->t_persistn++;
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
	[TCPT_PTO] = tcp_timer_pto,
	[TCPT_REO] = tcp_timer_reo,
};

/* Run tp's handlers that are due. */
static void
tcp_timer_run(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	for (int i = 0; i < TCPT_NTIMERS; i++) {
		if (tp->t_flags & TF_DEAD)
			break;
		if (tp->t_timer[i] > st->now)
			continue;
		tp->t_timer[i] = WS_TIME_NEVER;
		tcp_timer_fn[i](tp);
	}
}

void
tcp_timer(struct ws_stack *st)
{
	struct tcpcb *tp;

	/*
	 * Only the connections with a deadline due come out of the timer
	 * heap (tcp_theap.c).  Control blocks are only freed by tcp_reap,
	 * after the loop.  Handlers arm timers at least 1 us ahead, so the
	 * loop ends.
	 */
	if (!tcp_theap_rebuild(st)) {
		/* No memory for the heap: every tcpcb, as a scan. */
		TAILQ_FOREACH(tp, &st->tcp->all, t_list)
			tcp_timer_run(tp);
	} else
		while ((tp = tcp_theap_expired(st)) != NULL) {
			tcp_timer_run(tp);
			tcp_theap_resched(tp);
		}
	tcp_deliver(st);
}

ws_time_t
tcp_next_deadline(const struct ws_stack *st)
{
	const struct tcpcb *tp;
	ws_time_t t = WS_TIME_NEVER;

	if (!st->tcp->theap_lost)
		return tcp_theap_next(st);
	TAILQ_FOREACH(tp, &st->tcp->all, t_list) {
		if (tp->t_flags & TF_DEAD)
			continue;
		for (int i = 0; i < TCPT_NTIMERS; i++)
			t = ws_time_min(t, tp->t_timer[i]);
	}
	return t;
}

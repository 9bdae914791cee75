/*
 * Loss recovery driven by ACKs: what tcp_input does with an ACK once it
 * is known to be acceptable.
 *
 *	without SACK	fast retransmit and NewReno recovery (RFC 5681 3.2,
 *			RFC 6582), limited transmit (RFC 3042);
 *	with SACK	the scoreboard (tcp_sack.c) and the pipe of RFC 6675,
 *			losses found by RACK-TLP (RFC 8985, tcp_rack.c) or, if
 *			RACK is off, by RFC 6675 IsLost; after an RTO the same
 *			machinery resends only what was not SACKed;
 *			the window comes down to ssthresh by PRR (RFC 6937);
 *	both		D-SACK (RFC 2883) undoes a reduction whose every
 *			retransmission turned out to be unnecessary (as Linux's
 *			undo_retrans), with congestion control's undo hook.
 *
 * Transmission itself stays in tcp_output.c: in SACK recovery it asks
 * tcp_sack_nextseg() what to send while cwnd - pipe allows.
 */
#include "config.h"

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/* ---- Undo (RFC 2883 D-SACK) ---- */

/* A congestion episode starts: remember the window to go back to. */
static void
tcp_undo_start(struct tcpcb *tp)
{
	/* Already in an episode: the undo goes back to before the first. */
	if (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY))
		return;
	tp->t_prior_cwnd = tp->snd_cwnd;
	tp->t_prior_ssthresh = tp->snd_ssthresh;
	tp->t_undo_ok = tcp_sb_active(tp);
	tp->t_undo_retrans = 0;
	tp->t_undo_n = 0;
}

/* A retransmission of [seq, end) during an episode. */
void
tcp_undo_note_rexmit(struct tcpcb *tp, uint32_t seq, uint32_t end)
{
	if (tp->t_flags & TF_FASTRECOVERY)
		tp->t_prr_rexmit += end - seq; /* PRR's prr_out */
	if (!tp->t_undo_ok ||
	    !(tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)))
		return;
	if (tp->t_undo_n == TCP_UNDO_LOG) {
		tp->t_undo_ok = false; /* too many to account for */
		return;
	}
	tp->t_undo_log[tp->t_undo_n].start = seq;
	tp->t_undo_log[tp->t_undo_n++].end = end;
	tp->t_undo_retrans++;
}

/* The reduction was spurious: back to the window before it. */
static void
tcp_undo(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	if (tp->snd_cwnd < tp->t_prior_cwnd)
		tp->snd_cwnd = tp->t_prior_cwnd;
	if (tp->snd_ssthresh < tp->t_prior_ssthresh)
		tp->snd_ssthresh = tp->t_prior_ssthresh;
	if (tp->t_cc->undo != NULL)
		tp->t_cc->undo(tp);
	if (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)) {
		tp->t_flags &= ~(TF_FASTRECOVERY | TF_LOSSRECOVERY |
		    TF_REXMITNOW);
		tcp_sb_clear_lost(tp);
		tcp_rack_update_reo_wnd(tp, NULL, true);
	}
	tp->t_dupacks = 0;
	tp->t_undo_ok = false;
	/*
	 * Every retransmission was needless: the originals were late, not
	 * lost.  That is reordering (or a delay spike) for RACK, which then
	 * keeps a reordering window even with DupThresh SACKed segments
	 * (RFC 8985 6.2 step 4 widens it for the D-SACK as well).
	 */
	tp->t_rack.reordering_seen = true;
	STAT_INC(st, tcp, spurious_undo);
	tp->t_undos++;
}

/*
 * A D-SACK for [start, end) (RFC 2883 4.2, RFC 3708): if it reports one
 * of our retransmissions, that one was not needed; when all of them are
 * reported so, the losses were not losses.
 */
static void
tcp_undo_dsack(struct tcpcb *tp, const struct tcp_sack_block *b)
{
	if (!tp->t_undo_ok || tp->t_undo_retrans == 0)
		return;
	for (uint32_t i = 0; i < tp->t_undo_n; i++) {
		struct tcp_sack_block *l = &tp->t_undo_log[i];

		if (SEQ_GEQ(b->start, l->start) && SEQ_LT(b->start, l->end)) {
			*l = tp->t_undo_log[--tp->t_undo_n];
			if (--tp->t_undo_retrans == 0)
				tcp_undo(tp);
			return;
		}
	}
}

/* A loss repaired without recovery (a tail loss probe, RFC 8985 7.4). */
void
tcp_cwnd_reduce(struct tcpcb *tp)
{
	tcp_undo_start(tp);
	tp->t_undo_ok = false; /* the probe's own D-SACK decides instead */
	tp->t_cc->cong_signal(tp);
	if (tp->snd_cwnd > tp->snd_ssthresh)
		tp->snd_cwnd = tp->snd_ssthresh;
}

/* ---- Without SACK: RFC 5681 3.2 and RFC 6582 ---- */

/*
 * RFC 6582 3.2 step 3: partial ACK during fast recovery.  Only the first
 * one restarts the retransmission timer (the Impatient variant of RFC
 * 6582 4): each partial ACK repairs one hole per round trip, so when a
 * window lost many segments (a slow-start overshoot loses up to half of
 * it) restarting the timer on every one would stretch the recovery over
 * hundreds of round trips, with the send buffer full and nothing new
 * going out.  Letting the timer expire instead resends the rest in slow
 * start.  Returns whether the caller must leave the timer alone.
 */
static bool
tcp_newreno_partialack(struct tcpcb *tp, uint32_t ack)
{
	uint32_t onxt = tp->snd_nxt, ocwnd = tp->snd_cwnd;
	uint32_t acked = ack - tp->snd_una;
	bool first = tp->t_partialacks++ == 0;

	if (first)
		tcp_timer_disarm(tp, TCPT_REXMT);
	tp->t_rtttime = 0;
	/* Retransmit the first unacknowledged segment. */
	tp->snd_nxt = ack;
	tp->snd_cwnd = tp->t_maxseg + acked;
	tcp_output(tp);
	tp->snd_cwnd = ocwnd;
	if (SEQ_GT(onxt, tp->snd_nxt))
		tp->snd_nxt = onxt;
	/* Deflate by the amount acked, add back one segment. */
	tp->snd_cwnd = tp->snd_cwnd > acked ? tp->snd_cwnd - acked : 0;
	tp->snd_cwnd += tp->t_maxseg;
	return !first;
}

/* RFC 5681 3.2: the third duplicate ACK starts fast retransmit. */
static void
tcp_fastrexmt(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	uint32_t onxt = tp->snd_nxt;

	STAT_INC(st, tcp, fastrexmit);
	tp->t_fastrexmits++;
	tp->t_cc->cong_signal(tp);
	tp->snd_recover = tp->snd_max;
	tp->t_flags |= TF_FASTRECOVERY;
	tp->t_partialacks = 0;
	tcp_timer_disarm(tp, TCPT_REXMT);
	tp->t_rtttime = 0;
	tp->snd_nxt = tp->snd_una;
	tp->snd_cwnd = tp->t_maxseg;
	tcp_output(tp);
	/* cwnd = ssthresh + 3 * SMSS: the segments that left the network. */
	tp->snd_cwnd = tp->snd_ssthresh + tp->t_maxseg * tp->t_dupacks;
	if (SEQ_GT(onxt, tp->snd_nxt))
		tp->snd_nxt = onxt;
}

/*
 * A duplicate ACK without SACK (RFC 5681 2).  The first two may each
 * release one new segment (RFC 3042 limited transmit), the third starts
 * fast retransmit unless this window already had one (RFC 6582 3.2 step
 * 2); later ones inflate the window (RFC 5681 3.2 step 4).
 */
void
tcp_recovery_dupack(struct tcpcb *tp, struct tcp_ackinfo *ai)
{
	struct ws_stack *st = tp->t_st;

	(void)ai;
	tp->t_dupacks++;
	if (tp->t_flags & TF_FASTRECOVERY) {
		tp->snd_cwnd += tp->t_maxseg;
		tcp_output(tp);
	} else if (tp->t_dupacks == TCP_DUPTHRESH) {
		if (SEQ_GT(tp->snd_una, tp->snd_recover) ||
		    tp->snd_recover == tp->iss)
			tcp_fastrexmt(tp);
		else
			tp->t_dupacks = 0;
	} else if (tp->t_dupacks < TCP_DUPTHRESH) {
		/*
		 * RFC 3042: new data may go while FlightSize stays within
		 * cwnd + 2 * SMSS (tcp_output reads t_dupacks).
		 */
		uint32_t omax = tp->snd_max;

		tcp_output(tp);
		if (tp->snd_max != omax)
			STAT_INC(st, tcp, limitedxmit);
	}
}

/*
 * New data acknowledged without SACK: a partial ACK resends the next
 * hole, a full one ends recovery (RFC 6582 3.2 step 3).  Returns whether
 * the retransmission timer must be left as it is (RFC 6582 4) rather
 * than restarted for the new data acknowledged (RFC 6298 5.3).
 */
bool
tcp_recovery_newack(struct tcpcb *tp, struct tcp_ackinfo *ai)
{
	if (!(tp->t_flags & TF_FASTRECOVERY))
		return false;
	if (SEQ_LT(ai->ack, tp->snd_recover))
		return tcp_newreno_partialack(tp, ai->ack);
	tp->t_flags &= ~TF_FASTRECOVERY;
	tp->t_cc->post_recovery(tp, ai->ack);
	return false;
}

/* ---- With SACK: RFC 6675 and RFC 8985 ---- */

/*
 * Proportional Rate Reduction (RFC 6937) for the reduction of a SACK
 * recovery.  Setting cwnd = ssthresh at once (RFC 6675) leaves the
 * sender silent until the pipe has drained to ssthresh, then sends the
 * rest in a burst; with a large reduction or many losses the ACK clock
 * stops.  PRR instead sends, on each ACK, what keeps the data sent in
 * recovery (prr_out) at ssthresh / RecoverFS of what was delivered
 * (prr_delivered) while the pipe is above ssthresh, so that the ACK
 * clock keeps running and the recovery ends with about ssthresh in
 * flight.  It works by setting cwnd = pipe + sndcnt for tcp_output.
 */
static void
tcp_prr_start(struct tcpcb *tp)
{
	tp->t_prr_delivered = 0;
	tp->t_prr_rexmit = 0;
	tp->t_prr_sndmax = tp->snd_max;
	tp->t_prr_recoverfs = tp->snd_max - tp->snd_una;
	tp->t_prr_sacked = tp->t_sb.sacked;
}

/* RFC 6937 3: an ACK during the recovery (not the one that ends it). */
static void
tcp_prr_ack(struct tcpcb *tp, const struct tcp_ackinfo *ai)
{
	uint32_t pipe, sndcnt;
	int64_t delivered, out;

	/* DeliveredData: what left the network, SACKed or acked. */
	delivered = (int64_t)ai->acked + tp->t_sb.sacked - tp->t_prr_sacked;
	if (delivered < 0)
		delivered = 0;
	tp->t_prr_sacked = tp->t_sb.sacked;
	tp->t_prr_delivered += (uint32_t)delivered;
	out = (int64_t)tp->t_prr_rexmit + (int32_t)(tp->snd_max -
	    tp->t_prr_sndmax);
	pipe = tcp_sack_pipe(tp);
	if (pipe > tp->snd_ssthresh) {
		/* sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - out */
		uint64_t rfs = tp->t_prr_recoverfs > 0 ?
		    tp->t_prr_recoverfs : 1;
		int64_t want = (int64_t)(((uint64_t)tp->t_prr_delivered *
		    tp->snd_ssthresh + rfs - 1) / rfs);

		sndcnt = want > out ? (uint32_t)(want - out) : 0;
	} else {
		/*
		 * Losses took the pipe below ssthresh: back up to it at
		 * once, as RFC 6675 does.  RFC 6937's PRR-SSRB would grow
		 * it by at most DeliveredData + SMSS per ACK; after a slow
		 * start overshoot that lost much of a window it stretched
		 * the recovery over several round trips (bench/lossbench:
		 * CUBIC+SACK+RACK at 0.1 % loss fell from 47 to 34 Mbit/s).
		 */
		sndcnt = tp->snd_ssthresh - pipe;
	}
	tp->snd_cwnd = pipe + sndcnt;
}

/*
 * Enter fast recovery (RFC 6675 5 step 4; RFC 8985 when RACK found a
 * loss): RecoveryPoint = HighData, ssthresh from congestion control,
 * cwnd = ssthresh, and the first lost segment goes at once whatever the
 * pipe (TF_REXMITNOW, step 4.3).
 */
void
tcp_enter_recovery(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	STAT_INC(st, tcp, fastrexmit);
	STAT_INC(st, tcp, sackrecovery);
	tp->t_fastrexmits++;
	tp->t_sackrecoveries++;
	tcp_undo_start(tp);
	tp->t_cc->cong_signal(tp);
	/* Until PRR (tcp_prr_ack) sets it from the next ACK on. */
	tp->snd_cwnd = tp->snd_ssthresh;
	tcp_prr_start(tp);
	tp->snd_recover = tp->snd_max;
	tp->t_highrxt = tp->snd_una;
	tp->t_rescue_set = false;
	tp->t_flags |= TF_FASTRECOVERY | TF_REXMITNOW;
	tp->t_rtttime = 0;
	tcp_timer_disarm(tp, TCPT_PTO);
	/*
	 * RFC 6675 4.3 resends HighACK + 1 even if IsLost() says no.  Not
	 * with RACK, whose time-based marks replace RFC 6675's DupAck-based
	 * ones (RFC 8985 is the alternative to them, not an addition; Linux
	 * marks the head lost only without RACK): RACK entered recovery
	 * because it marked a segment lost, and that is what goes first.
	 * A head it
	 * did not mark has its RACK time still running, typically as a
	 * retransmission in flight.  Forcing that out again sends a copy
	 * that a D-SACK reports, which undoes the episode; RACK then finds
	 * the unsent loss again on the same ACK and re-enters, endlessly in
	 * one instant (found by fuzz_stack).
	 */
	if (!(tp->t_flags & TF_RACK) && tcp_sb_count(tp) > 0) {
		struct tcp_sbseg *s = tcp_sb_at(tp, 0);

		if (!(s->flags & (SBF_SACKED | SBF_LOST)))
			tcp_sb_mark_lost(tp, s);
	}
}

/*
 * The retransmission timer expired with data on the scoreboard (RFC 6675
 * 5.1, RFC 8985 6.3): everything not SACKed is lost; slow start resends
 * it, skipping what the peer holds.  A third timeout in a row forgets the
 * SACKs as well, in case the receiver reneged without saying so.
 */
void
tcp_recovery_timeout(struct tcpcb *tp)
{
	tcp_undo_start(tp);
	tp->t_cc->timeout(tp);
	tp->t_flags &= ~(TF_FASTRECOVERY | TF_REXMITNOW);
	tp->t_flags |= TF_LOSSRECOVERY;
	tp->snd_recover = tp->snd_max;
	tp->t_highrxt = tp->snd_una;
	tp->t_rescue_set = false;
	tp->t_dupacks = 0;
	tp->t_rack.tlp_inflight = false;
	tcp_timer_disarm(tp, TCPT_PTO);
	tcp_timer_disarm(tp, TCPT_REO);
	tcp_sb_timeout(tp, tp->t_rxtshift >= 3);
	tp->snd_nxt = tp->snd_max;
}

/*
 * Any acceptable ACK on a connection with a scoreboard, after the SACK
 * blocks and the cumulative ACK were applied to it: D-SACK undo, loss
 * detection (RACK, or RFC 6675 without it), entering and leaving
 * recovery, and the tail loss probe.  tcp_output follows in tcp_input.
 */
void
tcp_recovery_sack(struct tcpcb *tp, struct tcp_ackinfo *ai)
{
	struct ws_stack *st = tp->t_st;
	bool recovering;

	if (ai->dsack) {
		STAT_INC(st, tcp, rcvdsack);
		tp->t_dsacks++;
		tcp_undo_dsack(tp, &ai->dsblk);
	}
	if (ai->dupack)
		tp->t_dupacks++;
	else if (ai->acked > 0)
		tp->t_dupacks = 0;
	recovering = (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)) != 0;

	if (tp->t_flags & TF_RACK) {
		tcp_rack_update_reo_wnd(tp, ai, false);
		tcp_rack_tlp_ack(tp, ai);
		if (tcp_rack_detect_loss(tp) > 0 && !recovering)
			tcp_enter_recovery(tp);
	} else {
		tcp_sack_mark_6675(tp);
		if (!recovering && tcp_sb_count(tp) > 0 &&
		    (tp->t_dupacks >= TCP_DUPTHRESH ||
		    tcp_sack_islost(tp, tcp_sb_at(tp, 0))) &&
		    (SEQ_GT(tp->snd_una, tp->snd_recover) ||
		    tp->snd_recover == tp->iss))
			tcp_enter_recovery(tp);
	}
	/* The ACK that started the recovery counts for PRR as well. */
	if (!recovering && (tp->t_flags & TF_FASTRECOVERY))
		tp->t_prr_sacked -= ai->sacked < tp->t_prr_sacked ?
		    ai->sacked : tp->t_prr_sacked;

	/* RFC 6675 5: recovery ends once RecoveryPoint is acknowledged. */
	if ((tp->t_flags & TF_FASTRECOVERY) &&
	    SEQ_GEQ(ai->ack, tp->snd_recover)) {
		tp->t_flags &= ~(TF_FASTRECOVERY | TF_REXMITNOW);
		tp->t_cc->post_recovery(tp, ai->ack);
		tcp_rack_update_reo_wnd(tp, NULL, true);
		tp->t_dupacks = 0;
	}
	if ((tp->t_flags & TF_LOSSRECOVERY) &&
	    SEQ_GEQ(ai->ack, tp->snd_recover)) {
		tp->t_flags &= ~TF_LOSSRECOVERY;
		tcp_rack_update_reo_wnd(tp, NULL, true);
		tp->t_dupacks = 0;
	}
	if ((tp->t_flags & TF_FASTRECOVERY) && ai->delivered)
		tcp_prr_ack(tp, ai);
	if (ai->delivered)
		tcp_rack_schedule_pto(tp);
}

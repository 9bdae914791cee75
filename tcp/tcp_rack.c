/*
 * RACK-TLP loss detection (RFC 8985), over the SACK scoreboard.
 *
 * RACK ("recent acknowledgment", RFC 8985 6): a segment is lost when a
 * segment sent after it has been delivered and the lost one has had
 * RACK.rtt plus a reordering window to arrive.  Time, not counting
 * duplicate ACKs, decides; the window starts at min_RTT / 4 and grows
 * when D-SACKs show that retransmissions were spurious (6.2 step 4).
 *
 * TLP ("tail loss probe", RFC 8985 7): when the last segments of a flight
 * are lost, no ACK comes to drive RACK.  After about two RTTs of silence
 * the sender probes with new data or the last segment, and the ACK for
 * the probe lets RACK (or the probe itself) repair the tail without an
 * RTO.
 *
 * Time is microseconds throughout; transmissions in the same instant are
 * ordered by when they were sent (see rack_sent_after()).
 */
#include "config.h"

#include <string.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

#define RACK_MINRTT_WIN_US (300ULL * WS_USEC_PER_SEC) /* Linux: 5 min */
#define RACK_REO_PERSIST 16     /* RFC 8985 6.2 step 4 */

/*
 * RACK_sent_after(t1, seq1, t2, seq2), with one refinement: transmissions
 * in the same instant are ordered by when they were sent (a per-connection
 * counter), and only the halves of one split transmission by sequence.
 * Ordering a retransmission by its (old) sequence number alone would
 * make it look sent before a segment delivered in the same instant, so
 * an ACK that delivers nothing new could mark it lost again at once; on
 * a link without delay that is a storm (found by fuzz_stack).
 */
static bool
rack_sent_after(ws_time_t t1, uint32_t o1, uint32_t seq1, ws_time_t t2,
    uint32_t o2, uint32_t seq2)
{
	if (t1 != t2)
		return t1 > t2;
	if (o1 != o2)
		return (int32_t)(o1 - o2) > 0;
	return SEQ_GT(seq1, seq2);
}

/* Our timestamp clock (RFC 7323) at time t. */
uint32_t
tcp_ts_of(const struct tcpcb *tp, ws_time_t t)
{
	return (uint32_t)(t / WS_USEC_PER_MSEC) + tp->ts_offset;
}

/*
 * RFC 8985 6.1: the state when the connection is established.  The RTT
 * samples of the handshake (min_RTT) are kept.
 */
void
tcp_rack_init(struct tcpcb *tp)
{
	struct tcp_rack *r = &tp->t_rack;
	uint32_t min_rtt = r->min_rtt;
	ws_time_t min_rtt_at = r->min_rtt_at;

	memset(r, 0, sizeof(*r));
	r->min_rtt = min_rtt;
	r->min_rtt_at = min_rtt_at;
	r->reo_wnd_mult = 1;
	r->reo_wnd_persist = RACK_REO_PERSIST;
	r->fack = tp->snd_una;
	tp->t_sb.losthint = tp->snd_una;
}

/* RACK.min_RTT: the minimum over a window of samples (RFC 8985 6.2). */
void
tcp_rack_rtt_sample(struct tcpcb *tp, uint32_t rtt_us)
{
	struct tcp_rack *r = &tp->t_rack;
	ws_time_t now = tp->t_st->now;

	if (rtt_us == 0)
		rtt_us = 1;
	if (r->min_rtt == 0 || rtt_us <= r->min_rtt ||
	    now - r->min_rtt_at > RACK_MINRTT_WIN_US) {
		r->min_rtt = rtt_us;
		r->min_rtt_at = now;
	}
}

/*
 * RFC 8985 6.2 steps 2 and 3, for a segment newly acknowledged or
 * SACKed: advance RACK.xmit_ts / end_seq / rtt, and note reordering.
 */
void
tcp_rack_delivered(struct tcpcb *tp, const struct tcp_sbseg *s,
    const struct tcp_ackinfo *ai)
{
	struct tcp_rack *r = &tp->t_rack;
	ws_time_t now = tp->t_st->now;
	uint32_t rtt = (uint32_t)(now - s->xmit);

	/* Step 3 (before step 2 may return): reordering. */
	if (SEQ_GT(s->end, r->fack))
		r->fack = s->end;
	else if (SEQ_LT(s->end, r->fack) && !(s->flags & SBF_EVERRETRANS))
		r->reordering_seen = true;

	if (s->flags & SBF_EVERRETRANS) {
		/*
		 * Which transmission was delivered?  A timestamp echo older
		 * than the retransmission says the first; an RTT below the
		 * minimum says so too (step 2).
		 */
		if (ai->ts && (int32_t)(ai->tsecr - tcp_ts_of(tp, s->xmit)) < 0)
			return;
		if (r->min_rtt != 0 && rtt < r->min_rtt)
			return;
	}
	r->rtt = rtt;
	if (!r->valid || rack_sent_after(s->xmit, s->xorder, s->end,
	    r->xmit_ts, r->xorder, r->end_seq)) {
		r->xmit_ts = s->xmit;
		r->xorder = s->xorder;
		r->end_seq = s->end;
		r->valid = true;
	}
}

/*
 * RFC 8985 6.2 step 4, RACK_update_reo_wnd(): a D-SACK means we were too
 * quick; widen the window for one round each time, and return to the
 * minimum after 16 recoveries without one.  `exiting`: a recovery ended.
 */
void
tcp_rack_update_reo_wnd(struct tcpcb *tp, const struct tcp_ackinfo *ai,
    bool exiting)
{
	struct tcp_rack *r = &tp->t_rack;

	if (r->dsack_round_set && SEQ_GEQ(tp->snd_una, r->dsack_round))
		r->dsack_round_set = false;
	if (!r->dsack_round_set && ai != NULL && ai->dsack) {
		r->dsack_round = tp->snd_max;
		r->dsack_round_set = true;
		if (r->reo_wnd_mult < 64)
			r->reo_wnd_mult++;
		r->reo_wnd_persist = RACK_REO_PERSIST;
	} else if (exiting) {
		if (r->reo_wnd_persist > 0)
			r->reo_wnd_persist--;
		if (r->reo_wnd_persist == 0)
			r->reo_wnd_mult = 1;
	}
}

/*
 * The reordering window (RFC 8985 6.2 step 4, end): zero while no
 * reordering has been seen and we are already recovering or DupThresh
 * segments were SACKed (then RACK acts like the duplicate-ACK rule);
 * otherwise min_RTT / 4 per multiple, at most SRTT.
 */
uint32_t
tcp_rack_reo_wnd(const struct tcpcb *tp)
{
	const struct tcp_rack *r = &tp->t_rack;
	uint64_t w;

	if (!r->reordering_seen) {
		if (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY))
			return 0;
		if (tp->t_sb.nsacked >= TCP_DUPTHRESH)
			return 0;
	}
	w = (uint64_t)r->reo_wnd_mult * r->min_rtt / 4;
	if (tp->t_rtt.valid && w > tp->t_rtt.srtt_us)
		w = tp->t_rtt.srtt_us;
	return (uint32_t)w;
}

/*
 * RFC 8985 6.2 step 5, RACK_detect_loss_and_arm_timer(): every segment
 * sent before the latest delivered one and unacknowledged for longer than
 * RACK.rtt + reo_wnd is lost; for the others the reordering timer waits
 * for the longest remaining time.  Returns the segments newly lost.
 */
uint32_t
tcp_rack_detect_loss(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_rack *r = &tp->t_rack;
	struct tcp_scoreboard *sb = &tp->t_sb;
	uint64_t timeout = 0;
	uint32_t reo, n = 0;

	if (!(tp->t_flags & TF_RACK) || !tcp_sb_active(tp) || !r->valid ||
	    (sb->nsacked == 0 && sb->retrans == 0 &&
	    !(tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)))) {
		/* Nothing can have been sent before a delivered segment. */
		tcp_timer_disarm(tp, TCPT_REO);
		return 0;
	}
	reo = tcp_rack_reo_wnd(tp);
	for (uint32_t i = sb->head; i < sb->tail; i++) {
		struct tcp_sbseg *s = &sb->seg[i];
		ws_time_t deadline;

		if (s->flags & SBF_SACKED)
			continue;
		/* Lost and not yet resent: RFC 8985 sets its time to infinity. */
		if ((s->flags & (SBF_LOST | SBF_RETRANS)) == SBF_LOST)
			continue;
		if (!rack_sent_after(r->xmit_ts, r->xorder, r->end_seq,
		    s->xmit, s->xorder, s->end))
			continue;
		deadline = s->xmit + r->rtt + reo;
		if (deadline <= st->now) {
			tcp_sb_mark_lost(tp, s);
			n++;
		} else if (deadline - st->now > timeout)
			timeout = deadline - st->now;
	}
	if (n > 0) {
		STAT_ADD(st, tcp, rackdetect, n);
		tp->t_rackdetects += n;
	}
	if (timeout > 0)
		tcp_timer_arm(tp, TCPT_REO, timeout);
	else
		tcp_timer_disarm(tp, TCPT_REO);
	return n;
}

/*
 * RFC 8985 7.2: arm the probe timeout.  Only in the open state, with data
 * in flight, no probe outstanding, and before the RTO: PTO = 2 * SRTT,
 * plus the worst-case delayed ACK if a single segment is in flight.
 */
void
tcp_rack_schedule_pto(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	ws_time_t rto_at = tp->t_timer[TCPT_REXMT], at;
	uint64_t pto;

	if (!(tp->t_flags & TF_RACK) || !tcp_sb_active(tp) ||
	    !TCPS_HAVEESTABLISHED(tp->t_state) ||
	    (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)) ||
	    tp->t_rack.tlp_inflight || tp->snd_max == tp->snd_una ||
	    tcp_sb_count(tp) == 0 || rto_at == WS_TIME_NEVER ||
	    tp->t_timer[TCPT_PERSIST] != WS_TIME_NEVER || tp->t_rxtshift > 0) {
		tcp_timer_disarm(tp, TCPT_PTO);
		return;
	}
	if (tp->t_rtt.valid) {
		pto = 2ULL * tp->t_rtt.srtt_us;
		if (tp->snd_max - tp->snd_una <= tp->t_maxseg)
			pto += TCP_WCDELACK_US;
		if (pto < TCP_TLP_MIN_US)
			pto = TCP_TLP_MIN_US;
	} else
		pto = WS_USEC_PER_SEC;
	at = ws_time_add_us(st->now, pto);
	/* "If Now() + PTO > TCP_RTO_expire(), PTO = TCP_RTO_expire() - Now()";
	 * one microsecond earlier so that the probe goes before the RTO. */
	if (at >= rto_at)
		at = rto_at > st->now + 1 ? rto_at - 1 : st->now + 1;
	tp->t_timer[TCPT_PTO] = at;
	tcp_theap_resched(tp);
}

/*
 * RFC 8985 7.3: the probe timeout fired.  Send one new segment if the
 * peer's window allows, else retransmit the last one; then the RTO is
 * armed afresh.
 */
void
tcp_timer_pto(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_rack *r = &tp->t_rack;
	uint32_t dstart = tcp_snd_data_start(tp);
	uint32_t buffered = ring_len(&tp->t_sndring);
	uint32_t sent = tp->snd_max - dstart, seq = 0, len = 0;
	bool fin_unsent;

	if (!(tp->t_flags & TF_RACK) || !tcp_sb_active(tp) ||
	    !TCPS_HAVEESTABLISHED(tp->t_state) ||
	    (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)) ||
	    r->tlp_inflight || tp->snd_max == tp->snd_una ||
	    tcp_sb_count(tp) == 0)
		return;
	fin_unsent = (tp->t_flags & TF_CANTSENDMORE) &&
	    !(tp->t_flags & TF_SENTFIN);
	if (SEQ_GT(tp->snd_max, dstart + buffered))
		sent = buffered; /* the FIN is out */
	if ((sent < buffered || fin_unsent) && tp->snd_max - tp->snd_una <
	    tp->snd_wnd) {
		seq = tp->snd_max;
		len = buffered - sent;
		if (len > tp->t_maxseg)
			len = tp->t_maxseg;
		if (len > tp->snd_wnd - (tp->snd_max - tp->snd_una))
			len = tp->snd_wnd - (tp->snd_max - tp->snd_una);
		r->tlp_is_retrans = false;
	} else {
		/* The last segment not SACKed. */
		for (uint32_t i = tcp_sb_count(tp); i-- > 0;) {
			struct tcp_sbseg *s = tcp_sb_at(tp, i);

			if (s->flags & SBF_SACKED)
				continue;
			len = s->end - s->start;
			if (len > tp->t_maxseg)
				len = tp->t_maxseg;
			seq = s->end - len;
			break;
		}
		if (len == 0)
			return; /* all SACKed: RACK and the RTO will act */
		r->tlp_is_retrans = true;
	}
	STAT_INC(st, tcp, tlp);
	tp->t_tlps++;
	r->tlp_seq = seq;
	(void)tcp_output_probe(tp, seq, len);
	r->tlp_inflight = true;
	r->tlp_end_seq = tp->snd_max;
	/* RFC 8985 7.3: restart the RTO after the probe. */
	tcp_timer_arm(tp, TCPT_REXMT, tcp_rtt_rto(&tp->t_rtt));
}

/*
 * RFC 8985 7.4: what the ACKs say about the probe.  A D-SACK for it: the
 * tail was not lost.  An ACK beyond it without one: the probe repaired a
 * loss, so congestion control must react as to any loss.
 */
void
tcp_rack_tlp_ack(struct tcpcb *tp, const struct tcp_ackinfo *ai)
{
	struct tcp_rack *r = &tp->t_rack;

	if (!r->tlp_inflight)
		return;
	if (r->tlp_is_retrans && ai->dsack &&
	    SEQ_LT(ai->dsblk.start, r->tlp_end_seq) &&
	    SEQ_GT(ai->dsblk.end, r->tlp_seq)) {
		r->tlp_inflight = false; /* both copies arrived */
		return;
	}
	if (SEQ_LT(ai->ack, r->tlp_end_seq))
		return;
	if (!r->tlp_is_retrans) {
		r->tlp_inflight = false; /* new data: RACK does the rest */
		return;
	}
	if (SEQ_GT(ai->ack, r->tlp_end_seq)) {
		/* The probe was the only copy that arrived. */
		STAT_INC(tp->t_st, tcp, tlploss);
		r->tlp_inflight = false;
		tcp_cwnd_reduce(tp);
		return;
	}
	/*
	 * ACK == TLP.end_seq: a repeat of it with nothing new (Linux: "pure
	 * dupack") means both copies arrived; else wait for a D-SACK.
	 */
	if (ai->acked == 0 && ai->sacked == 0 && !ai->dsack)
		r->tlp_inflight = false;
}

/* The RACK reordering timer: time has come for some segment. */
void
tcp_timer_reo(struct tcpcb *tp)
{
	if (!TCPS_HAVEESTABLISHED(tp->t_state) || !tcp_sb_active(tp))
		return;
	if (tcp_rack_detect_loss(tp) > 0 &&
	    !(tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)))
		tcp_enter_recovery(tp);
	tcp_output(tp);
}

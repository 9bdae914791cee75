/*
 * TCP input (RFC 9293 3.10.7 "SEGMENT ARRIVES"), in OpenBSD's order but
 * with each step in its own helper:
 *
 *	tcp_input		validate, find the connection, dispatch
 *	  tcp_input_listen	3.10.7.2 LISTEN
 *	  tcp_input_synsent	3.10.7.3 SYN-SENT
 *	  tcp_input_sync	3.10.7.4 the other states:
 *	    tcp_input_paws	  RFC 7323 5.3 PAWS
 *	    tcp_input_rst	  second: RST (RFC 5961 3)
 *	    tcp_input_trim	  first: acceptability, trim to the window
 *	    tcp_input_syn	  fourth: SYN (RFC 5961 4)
 *	    tcp_input_ack	  fifth: ACK (RFC 5961 5), window update
 *	    tcp_input_urg	  sixth: URG (RFC 9293 3.8.5, RFC 6093)
 *	    tcp_input_data	  seventh/eighth: text and FIN
 *
 * Each helper returns what to do next; the exits drop, dropafterack and
 * dropwithreset are at the end of tcp_input as in OpenBSD.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/* What a step decided. */
enum {
	SEG_CONT,           /* go on with the next step */
	SEG_DONE,           /* fully handled (output already done) */
	SEG_DROP,           /* drop silently */
	SEG_DROPAFTERACK,   /* drop, but ACK (unless it is a RST) */
	SEG_DROPWITHRESET,  /* drop and answer with a RST */
};

/* One received segment while it is being processed. */
struct tcp_seg {
	struct tcp_hdr th;      /* parsed header (th.seq/flags: as received) */
	const uint8_t *data;    /* payload (trimmed) */
	uint32_t tlen;          /* payload bytes (trimmed) */
	uint32_t seq;           /* sequence of data[0] (SYN skipped) */
	uint8_t flags;          /* TH_* still to process */
	uint32_t otlen;         /* payload bytes as received */
	uint32_t laddr, faddr;  /* our address, the peer's */
	uint32_t tw_iss;        /* TIME_WAIT reuse: ISS must exceed this */
	bool tw_reuse;
	bool olddup;            /* entirely old: its ACK counts, nothing else */
	uint8_t ecn;            /* the IP ECN field (RFC 3168 5) */
};

static bool
TSTMP_LT(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool
TSTMP_GEQ(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* RFC 9293 3.10.7.4: the window the segment must fall into. */
static uint32_t
tcp_input_rwin(struct tcpcb *tp)
{
	uint32_t adv = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
	    tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t space = tcp_rcv_window(tp);

	return adv > space ? adv : space;
}

/*
 * Options of a SYN (RFC 9293 3.7.1, RFC 7323 2.2/3.2, RFC 2018 2): each
 * extension is used only when both sides offered it.
 */
static void
tcp_syn_options(struct tcpcb *tp, const struct tcp_seg *s)
{
	const struct tcp_opts *o = &s->th.opts;

	if ((o->present & TOF_WSCALE) && (tp->t_flags & TF_REQ_SCALE)) {
		tp->t_flags |= TF_RCVD_SCALE;
		tp->requested_s_scale = o->wscale > TCP_MAX_WSCALE ?
		    TCP_MAX_WSCALE : o->wscale;
	}
	if ((tp->t_flags & TF_SCALEOK) == TF_SCALEOK) {
		tp->snd_scale = tp->requested_s_scale;
		tp->rcv_scale = tp->request_r_scale;
	} else {
		tp->t_flags &= ~TF_SCALEOK;
		tp->snd_scale = tp->rcv_scale = 0;
	}
	if ((o->present & TOF_TS) && (tp->t_flags & TF_REQ_TSTMP)) {
		tp->t_flags |= TF_RCVD_TSTMP;
		tp->ts_recent = o->tsval;
		tp->ts_recent_age = tp->t_st->now;
	} else
		tp->t_flags &= ~TF_TSOK;
	if ((o->present & TOF_SACKPERM) && (tp->t_flags & TF_REQ_SACK))
		tp->t_flags |= TF_SACK_PERMIT;
	tcp_mss_update(tp, (o->present & TOF_MSS) ? (int)o->mss : -1);
}

/* Take an RTT sample from an ACK of new data (RFC 6298, RFC 7323 4). */
static void
tcp_ack_rtt(struct tcpcb *tp, const struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	uint32_t ack = s->th.ack;

	if ((tp->t_flags & TF_TSOK) == TF_TSOK &&
	    (s->th.opts.present & TOF_TS) && s->th.opts.tsecr != 0) {
		uint32_t ms = tcp_tsnow(tp) - s->th.opts.tsecr;

		/* RFC 7323 4.1: ignore echoes from the future or very old. */
		if ((int32_t)ms >= 0 && ms < 60u * 60 * 1000) {
			tcp_rtt_sample(&tp->t_rtt, ms * 1000);
			tcp_rack_rtt_sample(tp, ms * 1000);
			tcp_cc_rtt_sample(tp, ack, ms * 1000);
			STAT_INC(st, tcp, rttupdated);
		}
		tp->t_rtttime = 0;
	} else if (tp->t_rtttime != 0 && SEQ_GT(ack, tp->t_rtseq)) {
		/* Karn: t_rtttime is cleared when the segment is resent. */
		tcp_rtt_sample(&tp->t_rtt, (uint32_t)(st->now - tp->t_rtttime));
		tcp_rack_rtt_sample(tp, (uint32_t)(st->now - tp->t_rtttime));
		tcp_cc_rtt_sample(tp, ack, (uint32_t)(st->now - tp->t_rtttime));
		STAT_INC(st, tcp, rttupdated);
		tp->t_rtttime = 0;
	}
}

/* RFC 5961 challenge ACK, rate limited per stack (RFC 5961 7). */
static void
tcp_challenge_ack(struct tcpcb *tp)
{
	if (tcp_challenge_ok(tp->t_st))
		tcp_send_ack(tp);
}

/*
 * An unacceptable segment is answered with an ACK (RFC 9293 3.10.7.4,
 * RFC 7323 5.3), but one without data (nor SYN or FIN) at most every
 * TCP_OOWACK_US per connection (RFC 5961 10, Linux's
 * tcp_invalid_ratelimit): two ends that each find the other's segments
 * unacceptable (a bogus timestamp that fails PAWS, a spoofed ACK) would
 * otherwise answer each other forever without time passing.
 */
static bool
tcp_oow_ack_ok(struct tcpcb *tp, const struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;

	if (s->otlen > 0 || (s->th.flags & (TH_SYN | TH_FIN)))
		return true;
	if (tp->t_oowack != 0 && st->now - tp->t_oowack < TCP_OOWACK_US) {
		STAT_INC(st, tcp, oowlimited);
		return false;
	}
	tp->t_oowack = st->now == 0 ? 1 : st->now;
	return true;
}

/*
 * Send a RST answering segment s (RFC 9293 3.10.7.1); tp, if not NULL,
 * is the socket that sends it (its TOS and TTL).
 */
static void
tcp_dropwithreset(struct ws_stack *st, const struct tcpcb *tp,
    const struct tcp_seg *s)
{
	const struct tcp_hdr *th = &s->th;

	/* RFC 9293 3.10.7.1: never answer a RST with a RST. */
	if (th->flags & TH_RST)
		return;
	if (th->flags & TH_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		tcp_respond(st, tp, s->laddr, th->dport, s->faddr,
		    th->sport, th->ack, 0, TH_RST, 0);
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		uint32_t seglen = s->otlen + ((th->flags & TH_SYN) ? 1 : 0) +
		    ((th->flags & TH_FIN) ? 1 : 0);

		tcp_respond(st, tp, s->laddr, th->dport, s->faddr,
		    th->sport, 0, th->seq + seglen, TH_RST | TH_ACK, 0);
	}
}

/*
 * RFC 9293 3.10.7.2: a segment for a listening socket.  A SYN within the
 * backlog creates a connection in SYN-RECEIVED and answers SYN,ACK.
 *
 * Two queues bound what SYNs may cost (RFC 4987 3.1, 3.6): the accept
 * queue (t_q, the backlog of ws_tcp_listen) and the half-open queue
 * (t_q0, cfg.tcp_syn_backlog).  Past the accept queue a SYN is dropped
 * (its connection could not be queued anyway); past the half-open queue
 * it is answered with a SYN cookie, which costs no state, and an ACK
 * that returns a valid cookie creates the connection directly in
 * ESTABLISHED (*newtp: the caller goes on with that segment).
 */
static int
tcp_input_listen(struct ws_stack *st, struct tcpcb *lp, struct tcp_seg *s,
    struct tcpcb **newtp)
{
	struct tcpcb *tp;

	*newtp = NULL;
	if (s->flags & TH_RST)
		return SEG_DROP; /* "An incoming RST should be ignored." */
	if (s->flags & TH_ACK) {
		if (!(s->flags & TH_SYN)) {
			int r = tcp_syncookie_accept(st, lp, s->laddr,
			    s->faddr, &s->th, newtp);

			if (r == 0)
				return SEG_CONT;
			if (r > 0)
				return SEG_DROP;
		}
		return SEG_DROPWITHRESET; /* "<SEQ=SEG.ACK><CTL=RST>" */
	}
	if (!(s->flags & TH_SYN))
		return SEG_DROP;
	if (lp->t_qlen >= lp->t_qlimit) {
		/* Accept queue full: let the peer retry (as Linux/BSD do). */
		STAT_INC(st, tcp, listendrop);
		STAT_INC(st, tcp, listenoverflow);
		return SEG_DROP;
	}
	if (lp->t_q0len >= st->cfg.tcp_syn_backlog) {
		if (!st->cfg.tcp_no_syncookies) {
			tcp_syncookie_send(st, lp, s->laddr, s->faddr, &s->th);
			return SEG_DONE;
		}
		STAT_INC(st, tcp, listendrop);
		STAT_INC(st, tcp, synbacklogdrop);
		return SEG_DROP;
	}
	tp = tcp_newtcpcb(st);
	if (tp == NULL)
		return SEG_DROP;
	/* Inherit the listener's options. */
	tcp_child_init(lp, tp, s->laddr, s->th.dport, s->faddr, s->th.sport);

	/* RFC 9293 3.10.7.2: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ. */
	tp->irs = s->th.seq;
	tp->rcv_nxt = s->th.seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->request_r_scale = tcp_wscale_for(tp->t_rcvbuf);
	tcp_syn_options(tp, s);
	/* RFC 3168 6.1.1: an ECN-setup SYN has both ECE and CWR. */
	if (tp->t_ecnmode != WS_TCP_ECN_OFF &&
	    (s->th.flags & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR)) {
		tp->t_ecnflags |= TE_OK;
		STAT_INC(st, tcp, ecn_negotiated);
	}
	tp->iss = tcp_new_iss(st, tp);
	if (s->tw_reuse && SEQ_LEQ(tp->iss, s->tw_iss))
		tp->iss = s->tw_iss + (1u << 17); /* RFC 6191: above the old */
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_recover = tp->iss;
	/* The window of a SYN is never scaled (RFC 7323 2.2). */
	tp->snd_wnd = s->th.win;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = s->th.seq;
	tp->snd_wl2 = tp->iss;
	tp->t_state = TCPS_SYN_RECEIVED;
	tp->t_rcvtime = st->now;
	tcp_hash_insert(tp);
	STAT_INC(st, tcp, accepts);
	/* Data in the SYN is not kept: the peer retransmits it. */
	tcp_output(tp);
	return SEG_DONE;
}

/* RFC 9293 3.10.7.3: a segment for a connection in SYN-SENT. */
static int
tcp_input_synsent(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	const struct tcp_hdr *th = &s->th;
	uint32_t rwin;

	/* First: the ACK must acknowledge our SYN. */
	if (th->flags & TH_ACK) {
		if (SEQ_LEQ(th->ack, tp->iss) || SEQ_GT(th->ack, tp->snd_max)) {
			if (th->flags & TH_RST)
				return SEG_DROP;
			return SEG_DROPWITHRESET;
		}
	}
	/* Second: RST with an acceptable ACK refuses the connection. */
	if (th->flags & TH_RST) {
		if (th->flags & TH_ACK)
			tcp_drop(tp, WS_ECONNREFUSED);
		return (th->flags & TH_ACK) ? SEG_DONE : SEG_DROP;
	}
	/* Fourth: SYN. */
	if (!(th->flags & TH_SYN))
		return SEG_DROP;
	tp->irs = th->seq;
	tp->rcv_nxt = th->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tcp_syn_options(tp, s);
	tp->snd_wnd = th->win;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	if (th->flags & TH_ACK) {
		/*
		 * RFC 3168 6.1.1: ECN if our SYN asked and the SYN-ACK has
		 * ECE without CWR (with both, the peer merely reflected the
		 * flags, as a broken stack does).
		 */
		if ((tp->t_ecnflags & TE_SYNSENT) &&
		    (th->flags & (TH_ECE | TH_CWR)) == TH_ECE) {
			tp->t_ecnflags |= TE_OK;
			STAT_INC(st, tcp, ecn_negotiated);
		}
		tp->snd_wl2 = th->ack;
		tcp_ack_rtt(tp, s);
		tp->snd_una = th->ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		tcp_timer_disarm(tp, TCPT_REXMT);
		tcp_rtt_reset_backoff(&tp->t_rtt);
		tcp_established(tp);
		tp->t_flags |= TF_ACKNOW;
		/* Go on with any data or FIN after the SYN (step six). */
		s->seq = th->seq + 1;
		s->flags &= ~TH_SYN;
		rwin = tcp_input_rwin(tp);
		if (s->tlen > rwin) {
			STAT_INC(st, tcp, rcvpackafterwin);
			s->tlen = rwin;
			s->flags &= ~TH_FIN;
		}
		return SEG_CONT;
	}
	/*
	 * Simultaneous open: SYN-RECEIVED and <SEQ=ISS><ACK=RCV.NXT>
	 * <CTL=SYN,ACK> (the SYN is sent again, now with an ACK).
	 */
	tp->t_state = TCPS_SYN_RECEIVED;
	tp->snd_nxt = tp->iss;
	tcp_timer_disarm(tp, TCPT_REXMT);
	tcp_output(tp);
	return SEG_DONE;
}

/* RFC 7323 5.3: PAWS, drop segments carrying an old timestamp. */
static int
tcp_input_paws(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	const struct tcp_opts *o = &s->th.opts;

	if ((tp->t_flags & TF_TSOK) != TF_TSOK || !(o->present & TOF_TS) ||
	    (s->flags & TH_RST))
		return SEG_CONT;
	if (tp->ts_recent != 0 && TSTMP_LT(o->tsval, tp->ts_recent)) {
		/* RFC 7323 5.5: a timestamp idle for 24 days is invalid. */
		if (st->now - tp->ts_recent_age >
		    24ULL * 24 * 3600 * WS_USEC_PER_SEC) {
			tp->ts_recent = 0;
			return SEG_CONT;
		}
		STAT_INC(st, tcp, rcvpawsdrop);
		STAT_INC(st, tcp, rcvduppack);
		STAT_ADD(st, tcp, rcvdupbyte, s->tlen);
		return tcp_oow_ack_ok(tp, s) ? SEG_DROPAFTERACK : SEG_DROP;
	}
	return SEG_CONT;
}

/*
 * RFC 9293 3.10.7.4 second check, with RFC 5961 3.2: a RST is valid only
 * when SEG.SEQ == RCV.NXT; one elsewhere in the window draws a challenge
 * ACK; one outside the window is dropped.
 */
static int
tcp_input_rst(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	uint32_t wnd = tcp_input_rwin(tp);
	bool inwin;

	if (wnd == 0)
		inwin = s->th.seq == tp->rcv_nxt;
	else
		inwin = SEQ_BETWEEN(s->th.seq, tp->rcv_nxt, tp->rcv_nxt + wnd);
	if (!inwin) {
		STAT_INC(st, tcp, rcvbadrst);
		return SEG_DROP;
	}
	if (s->th.seq != tp->rcv_nxt) {
		tcp_challenge_ack(tp);
		return SEG_DONE;
	}
	switch (tp->t_state) {
	case TCPS_SYN_RECEIVED:
		/*
		 * Passive open: the embryo goes away (the listener stays).
		 * Active (simultaneous) open: "connection refused".
		 */
		if (!(tp->t_flags & TF_PASSIVE))
			tp->t_softerror = WS_ECONNREFUSED;
		STAT_INC(st, tcp, conndrops);
		tcp_close(tp);
		break;
	case TCPS_ESTABLISHED:
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
	case TCPS_CLOSE_WAIT:
		/* "Connection reset"; queued sends are flushed. */
		tp->t_softerror = WS_ECONNRESET;
		STAT_INC(st, tcp, drops);
		tcp_close(tp);
		break;
	default:
		/* CLOSING, LAST-ACK, TIME-WAIT: just close. */
		tcp_close(tp);
		break;
	}
	return SEG_DONE;
}

/*
 * RFC 9293 3.10.7.4 sixth: the URG bit.  The urgent pointer is an offset
 * from SEG.SEQ to the octet following the urgent data (MUST-62, RFC 6093
 * 3), so RCV.UP = SEG.SEQ + SEG.UP is one past the last urgent octet.
 * Urgent data stays in the stream (RFC 6093 5: "in-line"); what the
 * application learns is where it ends (ws_tcp_urgent(), MUST-33) and,
 * through its callback, that it arrived or that it grew (MUST-32).
 *
 * Only acceptable segments get here, so the pointer has passed the
 * window check: it lies at most 65535 past a sequence number in the
 * window.  RCV.UP only moves forward ("RCV.UP <- max(RCV.UP,SEG.UP)"),
 * and a pointer at or before what the application has already read is
 * stale (a retransmission, or a mark since consumed): nothing to signal.
 * In CLOSE-WAIT and later "ignore the URG": the FIN came first.
 */
static void
tcp_input_urg(struct tcpcb *tp, const struct tcp_seg *s)
{
	uint32_t up, base;

	if ((s->th.flags & (TH_URG | TH_ACK)) != (TH_URG | TH_ACK) ||
	    s->olddup || TCPS_HAVERCVDFIN(tp->t_state) ||
	    !TCPS_HAVEESTABLISHED(tp->t_state))
		return;
	up = s->th.seq + s->th.urp;
	base = tcp_rcv_readseq(tp);
	if (tp->t_rcvurg && SEQ_GT(tp->rcv_up, base))
		base = tp->rcv_up;
	if (!SEQ_GT(up, base))
		return;
	tp->rcv_up = up;
	tp->t_rcvurg = true;
	STAT_INC(tp->t_st, tcp, rcvurg);
	tcp_notify(tp);
}

/*
 * RFC 9293 3.10.7.4 first check: the acceptability test (the four cases
 * of segment length x window zero or not), done by trimming the segment
 * to the window as BSD does: what lies before RCV.NXT is a duplicate,
 * what lies past RCV.NXT+RCV.WND is cut off.  A segment with nothing
 * left is not acceptable: "send an acknowledgment ... and drop".
 */
static int
tcp_input_trim(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	uint32_t wnd = tcp_input_rwin(tp);
	int32_t todrop;

	todrop = SEQ_DIFF(tp->rcv_nxt, s->seq);
	if (todrop > 0) {
		if (s->flags & TH_SYN) {
			/* An old SYN: it takes one sequence number. */
			s->flags &= ~TH_SYN;
			s->seq++;
			todrop--;
		}
		/* RFC 2883 4.1.1: report what arrived twice (D-SACK). */
		if (s->tlen > 0)
			tcp_sack_dsack(tp, s->seq, s->seq +
			    ((uint32_t)todrop < s->tlen ? (uint32_t)todrop :
			    s->tlen));
		if (todrop > (int32_t)s->tlen ||
		    (todrop == (int32_t)s->tlen && !(s->flags & TH_FIN))) {
			/*
			 * A complete duplicate (or a keep-alive probe): it
			 * is not acceptable, so it gets an ACK; but as in
			 * BSD its ACK field is still processed (it may
			 * acknowledge our FIN in CLOSING, say).  A
			 * retransmitted FIN in TIME-WAIT restarts the 2MSL
			 * wait (RFC 9293 3.10.7.4 eighth).
			 */
			if (s->tlen > 0 || (s->flags & TH_FIN)) {
				STAT_INC(st, tcp, rcvduppack);
				STAT_ADD(st, tcp, rcvdupbyte, s->tlen);
			}
			if (tp->t_state == TCPS_TIME_WAIT &&
			    (s->flags & TH_FIN))
				tcp_timer_arm(tp, TCPT_2MSL,
				    2ULL * st->cfg.tcp_msl_ms * WS_USEC_PER_MSEC);
			if (tcp_oow_ack_ok(tp, s))
				tp->t_flags |= TF_ACKNOW;
			if (todrop == 0 && s->tlen == 0 && !(s->flags & TH_FIN))
				return SEG_CONT; /* an old SYN: ACK it */
			/*
			 * Its seq is moved up so the ACK can be processed, but
			 * it is still unacceptable: it must not update
			 * TS.Recent (RFC 7323 4.3) nor the send window, or
			 * one stale segment could poison PAWS and shut the
			 * window (found by fuzz_stack).
			 */
			s->flags &= ~TH_FIN;
			s->data += s->tlen;
			s->seq = tp->rcv_nxt;
			s->tlen = 0;
			s->olddup = true;
			return SEG_CONT;
		}
		/* Partly old: keep only the new part. */
		STAT_INC(st, tcp, rcvduppack);
		STAT_ADD(st, tcp, rcvdupbyte, (uint32_t)todrop);
		s->data += todrop;
		s->tlen -= (uint32_t)todrop;
		s->seq += (uint32_t)todrop;
	}

	/*
	 * RFC 1122 4.2.2.13 / RFC 9293 3.10.7.4: new data after the
	 * application closed cannot be delivered: reset.
	 */
	if (!(tp->t_flags & TF_HANDLE) && !(tp->t_flags & TF_PASSIVE &&
	    tp->t_head != NULL) && tp->t_state > TCPS_CLOSE_WAIT &&
	    s->tlen > 0) {
		STAT_INC(st, tcp, rcvafterclose);
		STAT_INC(st, tcp, drops);
		tcp_close(tp);
		return SEG_DROPWITHRESET;
	}

	todrop = SEQ_DIFF(s->seq + s->tlen, tp->rcv_nxt + wnd);
	if (todrop > 0) {
		STAT_INC(st, tcp, rcvpackafterwin);
		if (todrop >= (int32_t)s->tlen) {
			/*
			 * Nothing fits.  A probe of a zero window (its first
			 * byte at RCV.NXT) is answered with an ACK that
			 * repeats the window (RFC 9293 3.8.6.1).
			 */
			if (wnd == 0 && s->seq == tp->rcv_nxt) {
				STAT_INC(st, tcp, rcvwinprobe);
				/*
				 * RFC 9293 3.4 (MUST-66): "special
				 * allowance" for URG with a zero window:
				 * the urgent pointer is what a sender
				 * blocked by our window most needs to get
				 * through.
				 */
				tcp_input_urg(tp, s);
			}
			return tcp_oow_ack_ok(tp, s) ? SEG_DROPAFTERACK :
			    SEG_DROP;
		}
		s->tlen -= (uint32_t)todrop;
		s->flags &= ~(TH_FIN | TH_PUSH);
	}
	return SEG_CONT;
}

/*
 * RFC 9293 3.10.7.4 fourth check: a SYN in a synchronized state.  RFC
 * 5961 4.2: whatever its sequence number, answer with a challenge ACK.
 */
static int
tcp_input_syn(struct tcpcb *tp, struct tcp_seg *s)
{
	(void)s;
	if (tp->t_state == TCPS_SYN_RECEIVED && (tp->t_flags & TF_PASSIVE)) {
		/* "return this connection to the LISTEN state". */
		STAT_INC(tp->t_st, tcp, conndrops);
		tcp_close(tp);
		return SEG_DONE;
	}
	tcp_challenge_ack(tp);
	return SEG_DONE;
}

/*
 * RFC 3168 6.1.2: an ACK with ECE (never a SYN-ACK: that one negotiates)
 * is a congestion signal like a loss, without anything to resend.  cwnd
 * and ssthresh go down as congestion control would for a loss, at most
 * once per window of data: not again until an ACK passes snd_max of the
 * last reduction, nor inside a loss recovery, which has reduced for this
 * window already.  Either way the next new data carries CWR, so that
 * the peer stops echoing.  Returns whether cwnd was reduced.
 */
static bool
tcp_ecn_ece(struct tcpcb *tp, const struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;

	if (!(tp->t_ecnflags & TE_OK) || !(s->th.flags & TH_ECE) ||
	    (s->th.flags & TH_SYN) || !TCPS_HAVEESTABLISHED(tp->t_state))
		return false;
	STAT_INC(st, tcp, rcv_ece);
	if (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY)) {
		tp->t_ecnflags |= TE_SNDCWR;
		return false;
	}
	if ((tp->t_ecnflags & TE_REDUCED) &&
	    !SEQ_GT(s->th.ack, tp->t_ecn_recover))
		return false;
	tcp_cwnd_reduce(tp);
	tp->t_ecn_recover = tp->snd_max;
	tp->t_ecnflags |= TE_REDUCED | TE_SNDCWR;
	STAT_INC(st, tcp, ecn_reductions);
	return true;
}

/*
 * RFC 3168 6.1.3, the receiver: a CWR ends the echo of an earlier CE;
 * a CE (on this segment, after its CWR) starts one.  The ACK goes at
 * once when the echo starts, as Linux does, so that a sender with a
 * small window hears of it soon; later CEs ride on the ACKs that go
 * anyway (the echo is sticky), so batch coalescing is not disturbed.
 */
static void
tcp_ecn_input(struct tcpcb *tp, const struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;

	if (!(tp->t_ecnflags & TE_OK))
		return;
	if (s->th.flags & TH_CWR)
		tp->t_ecnflags &= ~TE_SNDECE;
	if (s->ecn != IP4_ECN_CE)
		return;
	STAT_INC(st, tcp, rcv_ce);
	if (!(tp->t_ecnflags & TE_SNDECE)) {
		tp->t_ecnflags |= TE_SNDECE;
		if (s->tlen > 0)
			tp->t_flags |= TF_ACKNOW;
	}
}

/*
 * RFC 9293 3.10.7.4 fifth check: the ACK field.  Returns SEG_CONT to go
 * on with the text, or an exit.
 */
static int
tcp_input_ack(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	const struct tcp_hdr *th = &s->th;
	uint32_t ack = th->ack, acked, nwnd;
	struct tcp_ackinfo ai;
	bool ourfinisacked = false, sack, ecered;

	if (tp->t_state == TCPS_SYN_RECEIVED) {
		/* "If SND.UNA < SEG.ACK =< SND.NXT, enter ESTABLISHED". */
		if (SEQ_LEQ(ack, tp->snd_una) || SEQ_GT(ack, tp->snd_max))
			return SEG_DROPWITHRESET;
		if (tp->t_head != NULL && tp->t_head->t_qlen >=
		    tp->t_head->t_qlimit) {
			/*
			 * The accept queue is full: stay in SYN-RECEIVED and
			 * ignore the ACK (Linux listen overflow); the peer's
			 * retransmissions or ours complete it later.
			 */
			STAT_INC(st, tcp, listenoverflow);
			return SEG_DROP;
		}
		tcp_ack_rtt(tp, s);
		tcp_timer_disarm(tp, TCPT_REXMT);
		tcp_rtt_reset_backoff(&tp->t_rtt);
		tcp_established(tp);
		tp->snd_una++; /* our SYN */
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		tp->snd_wnd = (uint32_t)th->win << tp->snd_scale;
		if (tp->snd_wnd > tp->max_sndwnd)
			tp->max_sndwnd = tp->snd_wnd;
		tp->snd_wl1 = s->seq;
		tp->snd_wl2 = ack;
	}

	/*
	 * RFC 5961 5.2: acceptable only if
	 * SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT; otherwise a
	 * challenge ACK, and the segment is dropped.
	 */
	if (SEQ_GT(ack, tp->snd_max)) {
		STAT_INC(st, tcp, rcvacktoomuch);
		tcp_challenge_ack(tp);
		return SEG_DONE;
	}
	if (SEQ_LT(ack, tp->snd_una - (tp->max_sndwnd > 0 ?
	    tp->max_sndwnd : 1))) {
		tcp_challenge_ack(tp);
		return SEG_DONE;
	}

	ecered = tcp_ecn_ece(tp, s);
	nwnd = (uint32_t)th->win << tp->snd_scale;
	memset(&ai, 0, sizeof(ai));
	ai.ack = ack;
	if ((tp->t_flags & TF_TSOK) == TF_TSOK &&
	    (th->opts.present & TOF_TS) && th->opts.tsecr != 0) {
		ai.ts = true;
		ai.tsecr = th->opts.tsecr;
	}
	sack = tcp_sb_active(tp) && TCPS_HAVEESTABLISHED(tp->t_state);
	if (SEQ_LEQ(ack, tp->snd_una)) {
		/* RFC 2018, RFC 2883: the SACK blocks go on the scoreboard. */
		if (sack)
			tcp_sb_sack(tp, &th->opts, &ai);
		/*
		 * RFC 5681 2: a duplicate ACK carries no data, no window
		 * change, acknowledges nothing new while data is
		 * outstanding.  With SACK (RFC 6675 2) what counts is
		 * that it SACKs something new.
		 */
		if (sack) {
			ai.dupack = ack == tp->snd_una &&
			    tp->snd_max != tp->snd_una && ai.sacked > 0;
			if (ai.dupack)
				STAT_INC(st, tcp, rcvdupack);
			tcp_recovery_sack(tp, &ai);
		} else if (s->otlen == 0 && !(s->flags & (TH_SYN | TH_FIN)) &&
		    !(s->th.flags & TH_FIN) && ack == tp->snd_una &&
		    nwnd == tp->snd_wnd && tp->snd_max != tp->snd_una &&
		    tp->t_timer[TCPT_REXMT] != WS_TIME_NEVER) {
			STAT_INC(st, tcp, rcvdupack);
			tcp_recovery_dupack(tp, &ai);
			return SEG_DONE;
		}
		if (!sack && (ack != tp->snd_una || s->otlen > 0))
			tp->t_dupacks = 0;
	} else {
		/* New data acknowledged. */
		bool inrec = (tp->t_flags & TF_FASTRECOVERY) != 0;
		bool holdrexmt = false;

		acked = ack - tp->snd_una;
		ai.acked = acked;
		if (!sack)
			holdrexmt = tcp_recovery_newack(tp, &ai);
		tp->t_dupacks = 0;
		tcp_ack_rtt(tp, s);
		tp->t_rxtshift = 0;
		tp->t_rxtstart = 0;
		/* The user timeout counts from the last progress. */
		tp->t_uastart = ack == tp->snd_max ? WS_TIME_NEVER : st->now;
		tcp_rtt_reset_backoff(&tp->t_rtt);
		if (ack == tp->snd_max) {
			tcp_timer_disarm(tp, TCPT_REXMT);
			tcp_timer_disarm(tp, TCPT_PTO);
			tcp_timer_disarm(tp, TCPT_REO);
		} else if (tp->t_timer[TCPT_PERSIST] == WS_TIME_NEVER &&
		    !holdrexmt)
			tcp_timer_arm(tp, TCPT_REXMT, tcp_rtt_rto(&tp->t_rtt));

		/*
		 * Congestion control grows the window outside fast
		 * recovery, by the bytes acknowledged (RFC 3465), not on
		 * the ACK that ends a recovery.
		 */
		if ((tp->t_flags & TF_SENTFIN) &&
		    acked > ring_len(&tp->t_sndring)) {
			ourfinisacked = true;
			acked = ring_len(&tp->t_sndring);
		}
		tp->t_bytes_acked += acked;
		/* RFC 3168 6.1.2: no growth on the ACK that reduced. */
		if (!inrec && !(tp->t_flags & TF_FASTRECOVERY) && !ecered)
			tp->t_cc->ack(tp, acked);
		/* Release acknowledged data; past it lies our FIN. */
		ring_drop(&tp->t_sndring, acked);
		tp->snd_una = ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		/* Our urgent data is all acknowledged: urgent mode ends. */
		if (tp->t_sndurg && SEQ_GEQ(tp->snd_una, tp->snd_up))
			tp->t_sndurg = false;
		if (ring_empty(&tp->t_sndring))
			tcp_ring_release(tp, &tp->t_sndring);
		if (sack) {
			/*
			 * The cumulative ACK before the SACK blocks, so that
			 * RACK sees deliveries in sequence order and does not
			 * take this ACK's own SACKs for reordering.
			 */
			tcp_sb_ack(tp, &ai);
			tcp_sb_sack(tp, &th->opts, &ai);
			tcp_recovery_sack(tp, &ai);
		}
		tcp_notify(tp);
	}

	/*
	 * RFC 9293 3.10.7.4 fifth, ESTABLISHED: update the send window if
	 * the segment is newer than the last update (SND.WL1/WL2).
	 */
	if (!s->olddup && (SEQ_LT(tp->snd_wl1, s->seq) ||
	    (tp->snd_wl1 == s->seq && SEQ_LEQ(tp->snd_wl2, ack)))) {
		if (s->tlen == 0 && tp->snd_wl2 == ack && nwnd > tp->snd_wnd)
			STAT_INC(st, tcp, rcvwinupd);
		tp->snd_wnd = nwnd;
		tp->snd_wl1 = s->seq;
		tp->snd_wl2 = ack;
		if (nwnd > tp->max_sndwnd)
			tp->max_sndwnd = nwnd;
		if (nwnd > 0 && tp->t_timer[TCPT_PERSIST] != WS_TIME_NEVER &&
		    ring_len(&tp->t_sndring) > 0) {
			/* The window opened: leave persist, send at once. */
			tcp_timer_disarm(tp, TCPT_PERSIST);
			tp->t_persistshift = 0;
			tp->snd_nxt = tp->snd_una;
		}
	}

	if (!ourfinisacked)
		return SEG_CONT;
	switch (tp->t_state) {
	case TCPS_FIN_WAIT_1:
		/* "if the FIN is now acknowledged, enter FIN-WAIT-2". */
		tp->t_state = TCPS_FIN_WAIT_2;
		tcp_timer_disarm(tp, TCPT_REXMT);
		/* An orphan must not wait for the peer forever. */
		if (!(tp->t_flags & TF_HANDLE))
			tcp_timer_arm(tp, TCPT_2MSL, TCP_FIN2_US);
		tcp_notify(tp);
		break;
	case TCPS_CLOSING:
		/* "enter the TIME-WAIT state, otherwise ignore". */
		tp->t_state = TCPS_TIME_WAIT;
		tcp_orphan_done(tp); /* bounded by 2MSL and tcp_max_conns */
		tcp_canceltimers(tp);
		tcp_timer_arm(tp, TCPT_2MSL,
		    2ULL * st->cfg.tcp_msl_ms * WS_USEC_PER_MSEC);
		tcp_notify(tp);
		break;
	case TCPS_LAST_ACK:
		/* "delete the TCB, enter the CLOSED state, and return". */
		tcp_close(tp);
		return SEG_DONE;
	default:
		break;
	}
	return SEG_CONT;
}

/* RFC 9293 3.10.7.4 eighth: the FIN has arrived in order. */
static void
tcp_input_fin(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	/* No data follows the FIN: an urgent mark past it ends with it. */
	if (tp->t_rcvurg && SEQ_GT(tp->rcv_up, tp->rcv_nxt))
		tp->rcv_up = tp->rcv_nxt;
	tp->rcv_nxt++;
	tp->t_flags |= TF_ACKNOW | TF_RCVDFIN;
	tp->t_flags &= ~TF_FINOOO;
	switch (tp->t_state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tp->t_state = TCPS_CLOSE_WAIT;
		break;
	case TCPS_FIN_WAIT_1:
		/* Our FIN is not acknowledged yet (else FIN-WAIT-2). */
		tp->t_state = TCPS_CLOSING;
		break;
	case TCPS_FIN_WAIT_2:
		tp->t_state = TCPS_TIME_WAIT;
		tcp_orphan_done(tp);
		tcp_canceltimers(tp);
		tcp_timer_arm(tp, TCPT_2MSL,
		    2ULL * st->cfg.tcp_msl_ms * WS_USEC_PER_MSEC);
		break;
	case TCPS_TIME_WAIT:
		tcp_timer_arm(tp, TCPT_2MSL,
		    2ULL * st->cfg.tcp_msl_ms * WS_USEC_PER_MSEC);
		break;
	default:
		break;
	}
	tcp_notify(tp);
}

/*
 * RFC 9293 3.10.7.4 seventh (segment text) and eighth (FIN).  Text goes
 * straight into the receive ring at SEG.SEQ - RCV.NXT; the assembler
 * records which parts have arrived and releases the in-order prefix.
 */
static int
tcp_input_data(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;

	if (s->tlen > 0 && (tp->t_state == TCPS_ESTABLISHED ||
	    tp->t_state == TCPS_FIN_WAIT_1 || tp->t_state == TCPS_FIN_WAIT_2 ||
	    tp->t_state == TCPS_SYN_RECEIVED)) {
		uint32_t off = s->seq - tp->rcv_nxt, n;
		bool hadooo = !asm_empty(&tp->t_asm);

		/* RFC 2883 4.1.2: out-of-order data we already hold. */
		if (off > 0 && hadooo && asm_contains(&tp->t_asm, off, s->tlen))
			tcp_sack_dsack(tp, s->seq, s->seq + s->tlen);
		/*
		 * Out-of-order bytes take no memory of their own: they sit
		 * in the ring at their offset, so they are bounded by the
		 * receive buffer (and the window), and the assembler keeps
		 * at most ASM_MAX_BLOCKS ranges.
		 */
		n = tcp_ring_reserve(tp, &tp->t_rcvring) != 0 ? 0 :
		    ring_write_at(st, &tp->t_rcvring, off, s->data, s->tlen);
		if (n < s->tlen)
			s->flags &= ~TH_FIN;
		/*
		 * In-order data needs no new block (asm_shift, not asm_add):
		 * however many holes a peer has left, the next in-order
		 * segment is always taken, so the stream cannot stall.
		 */
		if (n == 0 || (off > 0 && asm_add(&tp->t_asm, off, n) != 0)) {
			/* No memory, or too many holes: the peer resends. */
			STAT_INC(st, tcp, rcvoodrop);
			if (n == 0 && ring_space(&tp->t_rcvring) > 0)
				STAT_INC(st, tcp, nomem);
			tp->t_flags |= TF_ACKNOW;
			s->flags &= ~TH_FIN;
		} else if (off == 0) {
			uint32_t front;

			asm_shift(&tp->t_asm, n);
			front = n + asm_take_front(&tp->t_asm);

			ring_commit(&tp->t_rcvring, front);
			tp->rcv_nxt += front;
			STAT_INC(st, tcp, rcvpack);
			STAT_ADD(st, tcp, rcvbyte, n);
			tp->t_bytes_received += front;
			/*
			 * RFC 5681 4.2 / RFC 1122 4.2.3.2: ACK at once
			 * when a hole was filled, else at least every
			 * second full-sized segment, else within the
			 * delayed-ACK bound.
			 */
			if (hadooo || !asm_empty(&tp->t_asm))
				tp->t_flags |= TF_ACKNOW;
			else if (tp->rcv_nxt - tp->last_ack_sent >=
			    2 * tp->t_maxseg) {
				/* Within a batch: one ACK at its end. */
				if (!tcp_ack_defer(tp))
					tp->t_flags |= TF_ACKNOW;
			} else if (!(tp->t_flags & TF_DELACK)) {
				tp->t_flags |= TF_DELACK;
				tcp_timer_arm(tp, TCPT_DELACK, TCP_DELACK_US);
			}
			tcp_notify(tp);
		} else {
			/* Out of order: a duplicate ACK now (RFC 5681 4.2). */
			STAT_INC(st, tcp, rcvoopack);
			STAT_ADD(st, tcp, rcvoobyte, n);
			tcp_sack_ooo(tp, s->seq);
			tp->t_flags |= TF_ACKNOW;
		}
	} else if (s->tlen > 0) {
		/* CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: ignore text. */
		tp->t_flags |= TF_ACKNOW;
		s->flags &= ~TH_FIN;
	}

	if ((s->flags & TH_FIN) && TCPS_HAVERCVDFIN(tp->t_state)) {
		/* A second FIN takes no sequence space: "remain". */
		tp->t_flags |= TF_ACKNOW;
		if (tp->t_state == TCPS_TIME_WAIT)
			tcp_timer_arm(tp, TCPT_2MSL,
			    2ULL * st->cfg.tcp_msl_ms * WS_USEC_PER_MSEC);
	} else if (s->flags & TH_FIN) {
		uint32_t finseq = s->seq + s->tlen;

		if (finseq == tp->rcv_nxt)
			tcp_input_fin(tp);
		else if (SEQ_GT(finseq, tp->rcv_nxt)) {
			/* Hold it until the hole before it is filled. */
			tp->t_flags |= TF_FINOOO | TF_ACKNOW;
			tp->t_finseq = finseq;
		}
	} else if ((tp->t_flags & TF_FINOOO) && tp->t_finseq == tp->rcv_nxt &&
	    !TCPS_HAVERCVDFIN(tp->t_state))
		tcp_input_fin(tp);
	return SEG_CONT;
}

/* RFC 9293 3.10.7.4: the synchronized states (SYN-RECEIVED on). */
static int
tcp_input_sync(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	const struct tcp_opts *o = &s->th.opts;
	int r;

	/* A retransmitted SYN: our SYN,ACK was lost, send it again. */
	if (tp->t_state == TCPS_SYN_RECEIVED && (s->flags & TH_SYN) &&
	    !(s->flags & (TH_ACK | TH_RST)) && s->th.seq == tp->irs) {
		tp->snd_nxt = tp->iss;
		tcp_output(tp);
		return SEG_DONE;
	}
	if ((r = tcp_input_paws(tp, s)) != SEG_CONT)
		return r;
	if (s->flags & TH_RST)
		return tcp_input_rst(tp, s);
	if ((r = tcp_input_trim(tp, s)) != SEG_CONT)
		return r;

	/* RFC 7323 4.3: remember the timestamp to echo. */
	if ((tp->t_flags & TF_TSOK) == TF_TSOK && (o->present & TOF_TS) &&
	    !s->olddup && SEQ_LEQ(s->seq, tp->last_ack_sent) &&
	    TSTMP_GEQ(o->tsval, tp->ts_recent)) {
		tp->ts_recent = o->tsval;
		tp->ts_recent_age = st->now;
	}
	/* The segment is acceptable: the peer is alive (keep-alive, and
	 * it answers our zero-window probes). */
	tp->t_rcvtime = st->now;
	tp->t_keepcnt = 0;
	tp->t_persistprobes = 0;
	if ((tp->t_flags & TF_KEEPALIVE) && TCPS_HAVEESTABLISHED(tp->t_state))
		tcp_timer_arm(tp, TCPT_KEEP,
		    (uint64_t)tp->t_keepidle * WS_USEC_PER_SEC);

	if (s->flags & TH_SYN)
		return tcp_input_syn(tp, s);
	/* "if the ACK bit is off, drop the segment" (ACKing a duplicate). */
	if (!(s->flags & TH_ACK))
		return (tp->t_flags & TF_ACKNOW) ? SEG_DROPAFTERACK : SEG_DROP;
	if ((r = tcp_input_ack(tp, s)) != SEG_CONT)
		return r;
	tcp_ecn_input(tp, s);
	tcp_input_urg(tp, s);
	tcp_input_data(tp, s);
	tcp_output(tp);
	return SEG_DONE;
}

/*
 * RFC 6191: a SYN for a connection in TIME-WAIT may start a new
 * incarnation if it is provably newer (timestamp, else sequence number).
 */
static bool
tcp_tw_reusable(const struct tcpcb *tp, const struct tcp_seg *s)
{
	const struct tcp_opts *o = &s->th.opts;

	if ((s->flags & (TH_SYN | TH_ACK | TH_RST)) != TH_SYN)
		return false;
	if ((tp->t_flags & TF_TSOK) == TF_TSOK && (o->present & TOF_TS))
		return (int32_t)(o->tsval - tp->ts_recent) > 0;
	return SEQ_GT(s->th.seq, tp->rcv_nxt);
}

void
tcp_input(struct ws_stack *st, struct pkt *p, const struct ip4_info *ip)
{
	struct tcp_seg s;
	struct tcpcb *tp = NULL;
	int r;

	STAT_INC(st, tcp, rcvtotal);
	memset(&s, 0, sizeof(s));
	switch (tcp_wire_parse(p->data, p->len, &s.th)) {
	case TCP_WIRE_OK:
		break;
	case TCP_WIRE_SHORT:
		STAT_INC(st, tcp, rcvshort);
		goto drop;
	case TCP_WIRE_BADOFF:
		STAT_INC(st, tcp, rcvbadoff);
		goto drop;
	default:
		STAT_INC(st, tcp, rcvbadopt);
		goto drop;
	}
	if (!tcp_wire_cksum_ok(p->data, p->len, ip->src, ip->dst)) {
		STAT_INC(st, tcp, rcvbadsum);
		goto drop;
	}
	s.data = p->data + s.th.off;
	s.tlen = s.otlen = (uint32_t)(p->len - s.th.off);
	s.seq = s.th.seq;
	s.flags = s.th.flags;
	s.laddr = ip->dst;
	s.faddr = ip->src;
	s.ecn = ip->tos & IP4_ECN_MASK;
	/*
	 * RFC 1122 4.2.3.10: ignore segments from broadcast/multicast or
	 * unspecified sources, and port 0: nothing may answer them.
	 */
	if (s.faddr == 0 || s.faddr == 0xffffffffu ||
	    (s.faddr & 0xf0000000u) == 0xe0000000u ||
	    (s.laddr & 0xf0000000u) == 0xe0000000u ||
	    s.laddr == 0xffffffffu || s.th.sport == 0 || s.th.dport == 0)
		goto drop;

	tp = tcp_lookup(st, s.laddr, s.th.dport, s.faddr, s.th.sport);
	ws_log(st, WS_LOG_DEBUG, "tcp in %u>%u %s fl=%#x seq=%u ack=%u win=%u "
	    "len=%u", s.th.sport, s.th.dport, tp == NULL ? "-" :
	    ws_tcp_state_name((enum ws_tcp_state)tp->t_state), s.th.flags,
	    s.th.seq, s.th.ack, s.th.win, s.tlen);
	if (tp != NULL && tp->t_state == TCPS_TIME_WAIT &&
	    tcp_tw_reusable(tp, &s)) {
		STAT_INC(st, tcp, twreuse);
		s.tw_reuse = true;
		s.tw_iss = tp->snd_max;
		tcp_close(tp);
		tcp_reap(st); /* its slot counts against tcp_max_conns */
		tp = NULL;
	}
	if (tp == NULL) {
		tp = tcp_lookup_listen(st, s.th.dport);
		if (tp == NULL) {
			/* RFC 9293 3.10.7.1: CLOSED (no socket at all). */
			if (!(s.flags & TH_RST))
				STAT_INC(st, tcp, rcvnoport);
			goto dropwithreset;
		}
	}

	switch (tp->t_state) {
	case TCPS_LISTEN: {
		struct tcpcb *ntp;

		r = tcp_input_listen(st, tp, &s, &ntp);
		if (ntp != NULL) {
			/* A SYN cookie made the connection: the rest of the
			 * segment (data, FIN) is processed in ESTABLISHED. */
			tp = ntp;
			r = tcp_input_sync(tp, &s);
		}
		break;
	}
	case TCPS_SYN_SENT:
		r = tcp_input_synsent(tp, &s);
		if (r == SEG_CONT) {
			/* RFC 9293 3.10.7.3: "continue ... at the sixth step". */
			tcp_input_urg(tp, &s);
			tcp_input_data(tp, &s);
			tcp_output(tp);
			r = SEG_DONE;
		}
		break;
	default:
		r = tcp_input_sync(tp, &s);
		break;
	}
	switch (r) {
	case SEG_DROPAFTERACK:
		goto dropafterack;
	case SEG_DROPWITHRESET:
		goto dropwithreset;
	case SEG_DROP:
		goto drop;
	default:
		goto done;
	}

dropafterack:
	/* RFC 9293 3.10.7.4: an unacceptable segment gets an ACK. */
	if (s.th.flags & TH_RST)
		goto drop;
	STAT_INC(st, tcp, rcvdropack);
	tcp_send_ack(tp);
	goto done;

dropwithreset:
	STAT_INC(st, tcp, rcvdroprst);
	tcp_dropwithreset(st, tp, &s);
	goto done;

drop:
	STAT_INC(st, tcp, rcvdrop);
done:
	pkt_free(st, p);
	tcp_deliver(st);
}

/*
 * ICMP errors about our segments (RFC 9293 3.10.7 via RFC 1122
 * 4.2.3.9, RFC 5927): unreachable during SYN-SENT fails the connect,
 * later it is a soft error, as Time Exceeded always is; "fragmentation
 * needed" lowers the MSS (path MTU discovery, not an error).  The quoted sequence number
 * must lie in [SND.UNA, SND.MAX) so blind attackers cannot forge these.
 */
void
tcp_ctlinput(struct ws_stack *st, uint8_t type, uint8_t code,
    uint16_t nextmtu, const struct ip4_info *inner, const uint8_t *th,
    size_t thlen)
{
	struct tcpcb *tp;
	uint32_t seq;

	if (thlen < 8 || inner->proto != IPPROTO_TCP_)
		return;
	tp = tcp_lookup(st, inner->src, (uint16_t)(th[0] << 8 | th[1]),
	    inner->dst, (uint16_t)(th[2] << 8 | th[3]));
	if (tp == NULL)
		return;
	seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
	    (uint32_t)th[6] << 8 | th[7];
	if (SEQ_LT(seq, tp->snd_una) || SEQ_GEQ(seq, tp->snd_max))
		return;
	if (type == 3 && code == 4) {
		/* RFC 1191: path MTU discovery. */
		uint32_t mss;

		if (nextmtu < 68 + 40)
			return;
		mss = (uint32_t)nextmtu - 40;
		if (mss < tp->t_peermss || tp->t_peermss == 0) {
			STAT_INC(st, tcp, pmtuupdate);
			tp->t_peermss = mss;
			tcp_mss_update(tp, -1);
			if (tcp_sb_active(tp) && tcp_sb_count(tp) > 0) {
				/*
				 * Resend only what was too big, cut to the
				 * new size, with the congestion window as it
				 * is (the loss was not congestion; Linux
				 * tcp_simple_retransmit).
				 */
				tcp_sb_split_mss(tp, tp->t_maxseg);
				if (tp->t_sb.lost > 0 && !(tp->t_flags &
				    (TF_FASTRECOVERY | TF_LOSSRECOVERY))) {
					tp->t_flags |= TF_LOSSRECOVERY;
					tp->snd_recover = tp->snd_max;
					tp->t_highrxt = tp->snd_una;
				}
			} else
				tp->snd_nxt = tp->snd_una;
			tcp_output(tp);
		}
	} else if (type == 3 || type == 11) {
		/*
		 * RFC 1122 4.2.3.9: hard errors only while connecting
		 * (as Linux).  Later, Destination Unreachable (MUST-56 for
		 * codes 0, 1, 5) and Time Exceeded are soft: the timers
		 * decide, the application is told (MUST-47, SHLD-25).
		 */
		int err = type == 11 ? WS_EHOSTUNREACH :
		    (code == 2 || code == 3) ? WS_ECONNREFUSED :
		    (code == 0 || code == 6) ? WS_ENETUNREACH : WS_EHOSTUNREACH;

		if (tp->t_state == TCPS_SYN_SENT && type == 3)
			tcp_drop(tp, err);
		else
			tcp_soft_error(tp, err);
	}
	tcp_deliver(st);
}

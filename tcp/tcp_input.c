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

/* The smallest window shift that lets us announce the whole buffer. */
static uint8_t
tcp_wscale_for(uint32_t buf)
{
	uint8_t s = 0;

	while (s < TCP_MAX_WINSHIFT && ((uint32_t)TCP_MAXWIN << s) < buf)
		s++;
	return s;
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
			STAT_INC(st, tcp, rttupdated);
		}
		tp->t_rtttime = 0;
	} else if (tp->t_rtttime != 0 && SEQ_GT(ack, tp->t_rtseq)) {
		/* Karn: t_rtttime is cleared when the segment is resent. */
		tcp_rtt_sample(&tp->t_rtt, (uint32_t)(st->now - tp->t_rtttime));
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

/* Send a RST answering segment s (RFC 9293 3.10.7.1). */
static void
tcp_dropwithreset(struct ws_stack *st, const struct tcp_seg *s)
{
	const struct tcp_hdr *th = &s->th;

	/* RFC 9293 3.10.7.1: never answer a RST with a RST. */
	if (th->flags & TH_RST)
		return;
	if (th->flags & TH_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		tcp_respond(st, s->laddr, th->dport, s->faddr, th->sport,
		    th->ack, 0, TH_RST, 0);
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		uint32_t seglen = s->otlen + ((th->flags & TH_SYN) ? 1 : 0) +
		    ((th->flags & TH_FIN) ? 1 : 0);

		tcp_respond(st, s->laddr, th->dport, s->faddr, th->sport, 0,
		    th->seq + seglen, TH_RST | TH_ACK, 0);
	}
}

/*
 * RFC 9293 3.10.7.2: a segment for a listening socket.  A SYN within the
 * backlog creates a connection in SYN-RECEIVED and answers SYN,ACK.
 */
static int
tcp_input_listen(struct ws_stack *st, struct tcpcb *lp, struct tcp_seg *s)
{
	struct tcpcb *tp;

	if (s->flags & TH_RST)
		return SEG_DROP; /* "An incoming RST should be ignored." */
	if (s->flags & TH_ACK)
		return SEG_DROPWITHRESET; /* "<SEQ=SEG.ACK><CTL=RST>" */
	if (!(s->flags & TH_SYN))
		return SEG_DROP;
	if (lp->t_q0len + lp->t_qlen >= lp->t_qlimit) {
		/* Backlog full: let the peer retry (as Linux/BSD do). */
		STAT_INC(st, tcp, listendrop);
		return SEG_DROP;
	}
	tp = tcp_newtcpcb(st);
	if (tp == NULL)
		return SEG_DROP;
	/* Inherit the listener's options. */
	tp->t_sndbuf = lp->t_sndbuf;
	tp->t_rcvbuf = lp->t_rcvbuf;
	ring_set_cap(st, &tp->t_sndring, tp->t_sndbuf);
	ring_set_cap(st, &tp->t_rcvring, tp->t_rcvbuf);
	tp->t_flags = (lp->t_flags & (TF_REQ_SCALE | TF_REQ_TSTMP |
	    TF_REQ_SACK | TF_NODELAY | TF_KEEPALIVE)) | TF_PASSIVE;
	tp->t_keepidle = lp->t_keepidle;
	tp->t_keepintvl = lp->t_keepintvl;
	tp->t_keepcntmax = lp->t_keepcntmax;
	tp->t_mssclamp = lp->t_mssclamp;
	tp->t_cc = lp->t_cc;
	tp->t_laddr = s->laddr;
	tp->t_lport = s->th.dport;
	tp->t_faddr = s->faddr;
	tp->t_fport = s->th.sport;
	tcp_set_tsoffset(tp);
	tp->t_head = lp;
	tp->t_inq = false;
	TAILQ_INSERT_TAIL(&lp->t_q0, tp, t_qe);
	lp->t_q0len++;

	/* RFC 9293 3.10.7.2: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ. */
	tp->irs = s->th.seq;
	tp->rcv_nxt = s->th.seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->request_r_scale = tcp_wscale_for(tp->t_rcvbuf);
	tcp_syn_options(tp, s);
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
		return SEG_DROPAFTERACK;
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
			tp->t_flags |= TF_ACKNOW;
			if (todrop == 0 && s->tlen == 0 && !(s->flags & TH_FIN))
				return SEG_CONT; /* an old SYN: ACK it */
			s->flags &= ~TH_FIN;
			s->data += s->tlen;
			s->seq = tp->rcv_nxt;
			s->tlen = 0;
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
			if (wnd == 0 && s->seq == tp->rcv_nxt)
				STAT_INC(st, tcp, rcvwinprobe);
			return SEG_DROPAFTERACK;
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
	if (tp->t_state == TCPS_SYN_RECEIVED && (tp->t_flags & TF_PASSIVE)) {
		/* "return this connection to the LISTEN state". */
		STAT_INC(tp->t_st, tcp, conndrops);
		tcp_close(tp);
		return SEG_DONE;
	}
	tcp_challenge_ack(tp);
	return SEG_DONE;
}

/* RFC 6582 3.2 step 3: partial ACK during fast recovery. */
static void
tcp_newreno_partialack(struct tcpcb *tp, uint32_t ack)
{
	uint32_t onxt = tp->snd_nxt, ocwnd = tp->snd_cwnd;
	uint32_t acked = ack - tp->snd_una;

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
}

/* RFC 5681 3.2: the third duplicate ACK starts fast retransmit. */
static void
tcp_fastrexmt(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	uint32_t onxt = tp->snd_nxt;

	STAT_INC(st, tcp, fastrexmit);
	tp->t_cc->cong_signal(tp);
	tp->snd_recover = tp->snd_max;
	tp->t_flags |= TF_FASTRECOVERY;
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
 * RFC 9293 3.10.7.4 fifth check: the ACK field.  Returns SEG_CONT to go
 * on with the text, or an exit.
 */
static int
tcp_input_ack(struct tcpcb *tp, struct tcp_seg *s)
{
	struct ws_stack *st = tp->t_st;
	const struct tcp_hdr *th = &s->th;
	uint32_t ack = th->ack, acked, nwnd;
	bool ourfinisacked = false;

	if (tp->t_state == TCPS_SYN_RECEIVED) {
		/* "If SND.UNA < SEG.ACK =< SND.NXT, enter ESTABLISHED". */
		if (SEQ_LEQ(ack, tp->snd_una) || SEQ_GT(ack, tp->snd_max))
			return SEG_DROPWITHRESET;
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

	nwnd = (uint32_t)th->win << tp->snd_scale;
	if (SEQ_LEQ(ack, tp->snd_una)) {
		/*
		 * RFC 5681 2: a duplicate ACK carries no data, no window
		 * change, acknowledges nothing new while data is
		 * outstanding.
		 */
		if (s->otlen == 0 && !(s->flags & (TH_SYN | TH_FIN)) &&
		    !(s->th.flags & TH_FIN) && ack == tp->snd_una && nwnd == tp->snd_wnd &&
		    tp->snd_max != tp->snd_una &&
		    tp->t_timer[TCPT_REXMT] != WS_TIME_NEVER) {
			STAT_INC(st, tcp, rcvdupack);
			tp->t_dupacks++;
			if (tp->t_flags & TF_FASTRECOVERY) {
				/* RFC 5681 3.2 step 4: inflate. */
				tp->snd_cwnd += tp->t_maxseg;
				tcp_output(tp);
			} else if (tp->t_dupacks == 3) {
				/* RFC 6582 3.2 step 2: not twice per window. */
				if (SEQ_GT(ack, tp->snd_recover) ||
				    tp->snd_recover == tp->iss)
					tcp_fastrexmt(tp);
				else
					tp->t_dupacks = 0;
			}
			return SEG_DONE;
		}
		if (ack != tp->snd_una || s->otlen > 0)
			tp->t_dupacks = 0;
	} else {
		/* New data acknowledged. */
		acked = ack - tp->snd_una;
		if (tp->t_flags & TF_FASTRECOVERY) {
			if (SEQ_LT(ack, tp->snd_recover))
				tcp_newreno_partialack(tp, ack);
			else {
				/* RFC 6582 3.2 step 3: full ACK ends it. */
				tp->t_flags &= ~TF_FASTRECOVERY;
				tp->t_cc->post_recovery(tp, ack);
			}
		}
		tp->t_dupacks = 0;
		tcp_ack_rtt(tp, s);
		tp->t_rxtshift = 0;
		tp->t_rxtstart = 0;
		tcp_rtt_reset_backoff(&tp->t_rtt);
		if (ack == tp->snd_max)
			tcp_timer_disarm(tp, TCPT_REXMT);
		else if (tp->t_timer[TCPT_PERSIST] == WS_TIME_NEVER)
			tcp_timer_arm(tp, TCPT_REXMT, tcp_rtt_rto(&tp->t_rtt));

		/* Release acknowledged data; past it lies our FIN. */
		if ((tp->t_flags & TF_SENTFIN) &&
		    acked > ring_len(&tp->t_sndring)) {
			ourfinisacked = true;
			tp->t_bytes_acked += ring_len(&tp->t_sndring);
			if (!(tp->t_flags & TF_FASTRECOVERY))
				tp->t_cc->ack(tp, ring_len(&tp->t_sndring));
			ring_drop(&tp->t_sndring, ring_len(&tp->t_sndring));
		} else {
			tp->t_bytes_acked += acked;
			if (!(tp->t_flags & TF_FASTRECOVERY))
				tp->t_cc->ack(tp, acked);
			ring_drop(&tp->t_sndring, acked);
		}
		tp->snd_una = ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		if (ring_empty(&tp->t_sndring))
			ring_release(st, &tp->t_sndring);
		tcp_notify(tp);
	}

	/*
	 * RFC 9293 3.10.7.4 fifth, ESTABLISHED: update the send window if
	 * the segment is newer than the last update (SND.WL1/WL2).
	 */
	if (SEQ_LT(tp->snd_wl1, s->seq) || (tp->snd_wl1 == s->seq &&
	    SEQ_LEQ(tp->snd_wl2, ack))) {
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

		n = ring_write_at(st, &tp->t_rcvring, off, s->data, s->tlen);
		if (n < s->tlen)
			s->flags &= ~TH_FIN;
		if (n == 0 || asm_add(&tp->t_asm, off, n) != 0) {
			/* No memory, or too many holes: the peer resends. */
			STAT_INC(st, tcp, rcvoodrop);
			if (n == 0 && ring_space(&tp->t_rcvring) > 0)
				STAT_INC(st, tcp, nomem);
			tp->t_flags |= TF_ACKNOW;
			s->flags &= ~TH_FIN;
		} else if (off == 0) {
			uint32_t front = asm_take_front(&tp->t_asm);

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
			if (hadooo || !asm_empty(&tp->t_asm) ||
			    tp->rcv_nxt - tp->last_ack_sent >= 2 * tp->t_maxseg)
				tp->t_flags |= TF_ACKNOW;
			else if (!(tp->t_flags & TF_DELACK)) {
				tp->t_flags |= TF_DELACK;
				tcp_timer_arm(tp, TCPT_DELACK, TCP_DELACK_US);
			}
			tcp_notify(tp);
		} else {
			/* Out of order: a duplicate ACK now (RFC 5681 4.2). */
			STAT_INC(st, tcp, rcvoopack);
			STAT_ADD(st, tcp, rcvoobyte, n);
			tp->t_lastoo = s->seq;
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
	    SEQ_LEQ(s->seq, tp->last_ack_sent) &&
	    TSTMP_GEQ(o->tsval, tp->ts_recent)) {
		tp->ts_recent = o->tsval;
		tp->ts_recent_age = st->now;
	}
	/* The segment is acceptable: the peer is alive (keep-alive). */
	tp->t_rcvtime = st->now;
	tp->t_keepcnt = 0;
	if ((tp->t_flags & TF_KEEPALIVE) && TCPS_HAVEESTABLISHED(tp->t_state))
		tcp_timer_arm(tp, TCPT_KEEP,
		    (uint64_t)tp->t_keepidle * WS_USEC_PER_SEC);

	if (s->flags & TH_SYN)
		return tcp_input_syn(tp, s);
	/* "if the ACK bit is off, drop the segment" (ACKing a duplicate). */
	if (!(s->flags & TH_ACK))
		return (tp->t_flags & TF_ACKNOW) ? SEG_DROPAFTERACK : SEG_DROP;
	/* Remember SACK blocks for later recovery work (RFC 2018). */
	if ((tp->t_flags & TF_SACK_PERMIT) && (o->present & TOF_SACK)) {
		tp->t_nsackblk = o->nsack < TCP_SACK_SCORE ? o->nsack :
		    TCP_SACK_SCORE;
		memcpy(tp->t_sackblk, o->sack,
		    tp->t_nsackblk * sizeof(tp->t_sackblk[0]));
	}
	if ((r = tcp_input_ack(tp, s)) != SEG_CONT)
		return r;
	/* Sixth: URG is not supported; the urgent pointer is never used. */
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
	struct tcpcb *tp;
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
	case TCPS_LISTEN:
		r = tcp_input_listen(st, tp, &s);
		break;
	case TCPS_SYN_SENT:
		r = tcp_input_synsent(tp, &s);
		if (r == SEG_CONT) {
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
	tcp_dropwithreset(st, &s);
	goto done;

drop:
	STAT_INC(st, tcp, rcvdrop);
done:
	pkt_free(st, p);
	tcp_deliver(st);
}

/*
 * ICMP errors about our segments (RFC 9293 3.10.7 via RFC 1122
 * 4.2.3.9, RFC 5927): unreachable during SYN-SENT fails the connect;
 * "fragmentation needed" lowers the MSS.  The quoted sequence number
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
			tp->t_peermss = mss;
			tcp_mss_update(tp, -1);
			tp->snd_nxt = tp->snd_una;
			tcp_output(tp);
		}
	} else if (type == 3) {
		/* RFC 1122 4.2.3.9: hard errors only while connecting. */
		int err = (code == 2 || code == 3) ? WS_ECONNREFUSED :
		    WS_EHOSTUNREACH;

		/* Later, such errors are soft: the timers decide. */
		if (tp->t_state == TCPS_SYN_SENT)
			tcp_drop(tp, err);
	}
	tcp_deliver(st);
}

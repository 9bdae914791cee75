/*
 * TCP output (after OpenBSD tcp_output.c): decide whether a segment
 * should go out now, build it with its options and the payload taken
 * from the send ring, and account for what it consumed of the sequence
 * space.  Retransmission is the same path with snd_nxt pulled back.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/* Flags sent in each state (OpenBSD tcp_outflags[]). */
static const uint8_t tcp_outflags[TCP_NSTATES] = {
	[TCPS_CLOSED] = TH_RST | TH_ACK,
	[TCPS_LISTEN] = 0,
	[TCPS_SYN_SENT] = TH_SYN,
	[TCPS_SYN_RECEIVED] = TH_SYN | TH_ACK,
	[TCPS_ESTABLISHED] = TH_ACK,
	[TCPS_CLOSE_WAIT] = TH_ACK,
	[TCPS_FIN_WAIT_1] = TH_FIN | TH_ACK,
	[TCPS_CLOSING] = TH_FIN | TH_ACK,
	[TCPS_LAST_ACK] = TH_FIN | TH_ACK,
	[TCPS_FIN_WAIT_2] = TH_ACK,
	[TCPS_TIME_WAIT] = TH_ACK,
};

static uint32_t
umin(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The window we can offer: free space in the receive ring, limited to
 * what the header can express at our scale.
 */
uint32_t
tcp_rcv_window(struct tcpcb *tp)
{
	uint32_t win = ring_space(&tp->t_rcvring);

	if (tp->t_flags & TF_CANTRCVMORE && !(tp->t_flags & TF_HANDLE))
		win = 0;
	return umin(win, (uint32_t)TCP_MAXWIN << tp->rcv_scale);
}

/* The options of one segment. */
static void
tcp_fill_opts(struct tcpcb *tp, uint8_t flags, struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (flags & TH_SYN) {
		/* RFC 9293 3.7.1: MSS only in SYNs. */
		tp->t_ourmss = tcp_mss_ours(tp);
		o->present |= TOF_MSS;
		o->mss = (uint16_t)umin(tp->t_ourmss, 65535);
		/* RFC 7323 2.2: offer scaling in a SYN; answer only if offered. */
		if ((tp->t_flags & TF_REQ_SCALE) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_RCVD_SCALE))) {
			o->present |= TOF_WSCALE;
			o->wscale = tp->request_r_scale;
		}
		if ((tp->t_flags & TF_REQ_SACK) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_SACK_PERMIT))) {
			o->present |= TOF_SACKPERM;
		}
		if ((tp->t_flags & TF_REQ_TSTMP) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_RCVD_TSTMP))) {
			o->present |= TOF_TS;
			o->tsval = tcp_tsnow(tp);
			o->tsecr = tp->ts_recent;
		}
		return;
	}
	/* RFC 7323 3.2: once negotiated, every non-RST segment carries TS. */
	if ((tp->t_flags & TF_TSOK) == TF_TSOK && !(flags & TH_RST)) {
		o->present |= TOF_TS;
		o->tsval = tcp_tsnow(tp);
		o->tsecr = tp->ts_recent;
	}
	/* RFC 2018 4: report out-of-order blocks, the newest first. */
	if ((tp->t_flags & TF_SACK_PERMIT) && (flags & TH_ACK) &&
	    !asm_empty(&tp->t_asm) && !(flags & TH_RST)) {
		uint32_t n = asm_count(&tp->t_asm), first = n;

		for (uint32_t i = 0; i < n; i++) {
			uint32_t s = tp->rcv_nxt + asm_block_start(&tp->t_asm, i);
			uint32_t e = tp->rcv_nxt + asm_block_end(&tp->t_asm, i);

			if (SEQ_GEQ(tp->t_lastoo, s) && SEQ_LT(tp->t_lastoo, e))
				first = i;
		}
		if (first < n) {
			o->sack[o->nsack].start = tp->rcv_nxt +
			    asm_block_start(&tp->t_asm, first);
			o->sack[o->nsack++].end = tp->rcv_nxt +
			    asm_block_end(&tp->t_asm, first);
		}
		for (uint32_t i = 0; i < n && o->nsack < TCP_MAX_SACK; i++) {
			if (i == first)
				continue;
			o->sack[o->nsack].start = tp->rcv_nxt +
			    asm_block_start(&tp->t_asm, i);
			o->sack[o->nsack++].end = tp->rcv_nxt +
			    asm_block_end(&tp->t_asm, i);
		}
		o->present |= TOF_SACK;
		o->nsack = (uint8_t)tcp_wire_sack_fit(o);
		if (o->nsack == 0)
			o->present &= ~TOF_SACK;
	}
}

/*
 * Build and send one segment: flags, seq, data [off, off + len) of the
 * send ring.  Returns 0 or the error from ip4_output.
 */
static int
tcp_xmit(struct tcpcb *tp, uint8_t flags, uint32_t seq, uint32_t off,
    uint32_t len, const struct tcp_opts *o, uint32_t win)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_hdr th;
	struct pkt *p;
	size_t hlen;
	uint8_t *dst;

	p = pkt_alloc(st, len);
	if (p == NULL) {
		STAT_INC(st, tcp, nomem);
		return WS_ENOMEM;
	}
	dst = p->data;
	while (len > 0) {
		const uint8_t *src;
		uint32_t k = ring_peek_span(&tp->t_sndring, off, &src);

		if (k == 0)
			break;
		k = umin(k, len);
		memcpy(dst, src, k);
		dst += k;
		off += k;
		len -= k;
	}
	WS_ASSERT(len == 0);
	memset(&th, 0, sizeof(th));
	th.sport = tp->t_lport;
	th.dport = tp->t_fport;
	th.seq = seq;
	th.ack = (flags & TH_ACK) ? tp->rcv_nxt : 0;
	th.flags = flags;
	th.win = (uint16_t)(flags & TH_SYN ? umin(win, TCP_MAXWIN) :
	    umin(win >> tp->rcv_scale, TCP_MAXWIN));
	th.opts = *o;
	hlen = TCP_HDR_MIN + tcp_wire_optlen(o);
	if (pkt_push(p, hlen) == NULL) {
		pkt_free(st, p);
		return WS_ENOBUFS;
	}
	tcp_wire_emit(p->data, &th);
	tcp_wire_set_cksum(p->data, p->len, tp->t_laddr, tp->t_faddr);
	STAT_INC(st, tcp, sndtotal);
	ws_log(st, WS_LOG_DEBUG, "tcp out %u>%u %s fl=%#x seq=%u ack=%u "
	    "win=%u len=%u", tp->t_lport, tp->t_fport,
	    ws_tcp_state_name((enum ws_tcp_state)tp->t_state), flags, seq,
	    th.ack, th.win, (unsigned)(p->len - hlen));
	return ip4_output(st, p, &(struct ip4_out){ .src = tp->t_laddr,
	    .dst = tp->t_faddr, .proto = IPPROTO_TCP_, .df = true });
}

/*
 * Send what the state, the windows and the queued data allow (RFC 9293
 * 3.8.6, RFC 1122 4.2.3.4 Nagle and sender SWS avoidance, RFC 5681).
 * Returns 0 or a WS_E* code from the layers below.
 */
int
tcp_output(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	int error = 0;

	if (tp->t_state == TCPS_CLOSED || tp->t_state == TCPS_LISTEN ||
	    (tp->t_flags & TF_DEAD))
		return 0;
	for (int rounds = 0; rounds < 1024; rounds++) {
		struct tcp_opts o;
		uint32_t dstart = tcp_snd_data_start(tp);
		uint32_t buffered = ring_len(&tp->t_sndring);
		uint32_t off, win, len, optlen, maxlen, rwin, adv;
		uint32_t mss_total;
		uint8_t flags = tcp_outflags[tp->t_state];
		bool idle = tp->snd_max == tp->snd_una;
		bool sendit = false, sendalot = false;
		int32_t slen;
		uint32_t seq, startseq;

		/*
		 * SYN: sent while snd_nxt is at the ISS; after that the
		 * handshake segments carry no data of ours.
		 */
		if (flags & TH_SYN) {
			if (tp->snd_nxt != tp->iss)
				flags &= ~TH_SYN;
		}
		if (flags == 0)
			return 0; /* SYN_SENT with the SYN out: nothing to say */
		off = SEQ_GT(tp->snd_nxt, dstart) ? tp->snd_nxt - dstart : 0;
		win = umin(tp->snd_wnd, tp->snd_cwnd);
		if (tp->t_flags & TF_FORCE) {
			/* Persist probe: one byte into a zero window. */
			if (win == 0) {
				if (off < buffered)
					win = 1;
			} else {
				tcp_timer_disarm(tp, TCPT_PERSIST);
				tp->t_persistshift = 0;
			}
		}
		if (tp->t_state < TCPS_ESTABLISHED)
			slen = 0; /* no data before the handshake completes */
		else
			slen = (int32_t)umin(buffered, win) - (int32_t)off;
		if (slen < 0) {
			/*
			 * The window shrank below what we sent: pull back
			 * and probe (OpenBSD; RFC 9293 3.8.6.1).
			 */
			slen = 0;
			if (win == 0) {
				tcp_timer_disarm(tp, TCPT_REXMT);
				tp->t_rxtshift = 0;
				tp->snd_nxt = tp->snd_una;
				if (tp->t_timer[TCPT_PERSIST] == WS_TIME_NEVER)
					tcp_set_persist(tp);
			}
		}
		len = (uint32_t)slen;
		/* FIN goes with the last byte of data. */
		if ((flags & TH_FIN) && off + len < buffered)
			flags &= ~TH_FIN;
		if ((flags & TH_FIN) && !(tp->t_flags & TF_CANTSENDMORE))
			flags &= ~TH_FIN;

		tcp_fill_opts(tp, flags, &o);
		optlen = (uint32_t)tcp_wire_optlen(&o);
		mss_total = tp->t_maxseg +
		    ((tp->t_flags & TF_TSOK) == TF_TSOK ? TCPOLEN_TS + 2 : 0);
		maxlen = mss_total > optlen ? mss_total - optlen : 1;
		if (len > maxlen) {
			len = maxlen;
			sendalot = true;
			if (flags & TH_FIN)
				flags &= ~TH_FIN;
		}
		if ((flags & TH_FIN) && off + len < buffered)
			flags &= ~TH_FIN;
		/*
		 * The FIN went out and is not being retransmitted (that
		 * pulls snd_nxt back): this is an ACK or window update.
		 */
		if ((flags & TH_FIN) && (tp->t_flags & TF_SENTFIN) &&
		    tp->snd_nxt == tp->snd_max)
			flags &= ~TH_FIN;

		/* Sender-side SWS avoidance and Nagle (RFC 1122 4.2.3.4). */
		if (len > 0) {
			if (len >= maxlen)
				sendit = true;
			else if ((idle || (tp->t_flags & TF_NODELAY)) &&
			    off + len >= buffered)
				sendit = true;
			else if (tp->t_flags & TF_FORCE)
				sendit = true;
			else if (tp->max_sndwnd > 0 &&
			    len >= tp->max_sndwnd / 2)
				sendit = true;
			else if (SEQ_LT(tp->snd_nxt, tp->snd_max))
				sendit = true;
		}
		/*
		 * Receiver-side SWS avoidance (RFC 1122 4.2.3.3): announce
		 * a larger window only when it grew by at least
		 * min(RCV.BUFF / 2, MSS)... we use two segments or half the
		 * buffer, as BSD does.
		 */
		rwin = tcp_rcv_window(tp);
		if (TCPS_HAVERCVDSYN(tp->t_state) && !TCPS_HAVERCVDFIN(tp->t_state)) {
			uint32_t cur = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
			    tp->rcv_adv - tp->rcv_nxt : 0;

			adv = rwin > cur ? rwin - cur : 0;
			if (adv >= 2 * tp->t_maxseg || 2 * adv >= tp->t_rcvbuf ||
			    (cur == 0 && adv >= tp->t_maxseg))
				sendit = true;
		}
		if (tp->t_flags & TF_ACKNOW)
			sendit = true;
		if (flags & (TH_SYN | TH_RST))
			sendit = true;
		if ((flags & TH_FIN) && (!(tp->t_flags & TF_SENTFIN) ||
		    tp->snd_nxt == tp->snd_una))
			sendit = true;
		if (!sendit) {
			/*
			 * Data waits but nothing can go: make sure a timer
			 * will get us going again (RFC 9293 3.8.6.1).
			 */
			if (buffered > off && tp->t_state >= TCPS_ESTABLISHED &&
			    tp->t_timer[TCPT_REXMT] == WS_TIME_NEVER &&
			    tp->t_timer[TCPT_PERSIST] == WS_TIME_NEVER) {
				tp->t_rxtshift = 0;
				tcp_set_persist(tp);
			}
			return 0;
		}

		/* Receiver SWS: never advertise a tiny window. */
		if (rwin < tp->t_rcvbuf / 4 && rwin < tp->t_maxseg)
			rwin = 0;
		/* RFC 9293 3.8.6.2.2: never shrink the offered window. */
		if (SEQ_GT(tp->rcv_adv, tp->rcv_nxt) &&
		    rwin < tp->rcv_adv - tp->rcv_nxt)
			rwin = tp->rcv_adv - tp->rcv_nxt;
		if (!(flags & TH_SYN))
			rwin = (rwin >> tp->rcv_scale) << tp->rcv_scale;

		if (len > 0 || (flags & (TH_SYN | TH_FIN)) ||
		    tp->t_timer[TCPT_PERSIST] != WS_TIME_NEVER)
			seq = tp->snd_nxt;
		else
			seq = tp->snd_max;

		if (len > 0) {
			if (tp->t_flags & TF_FORCE && len == 1)
				STAT_INC(st, tcp, sndprobe);
			if (SEQ_LT(tp->snd_nxt, tp->snd_max)) {
				STAT_INC(st, tcp, sndrexmitpack);
				STAT_ADD(st, tcp, sndrexmitbyte, len);
				tp->t_retransmits++;
			} else {
				STAT_INC(st, tcp, sndpack);
				STAT_ADD(st, tcp, sndbyte, len);
				tp->t_bytes_sent += len;
			}
		} else if (flags & (TH_SYN | TH_FIN | TH_RST))
			STAT_INC(st, tcp, sndctrl);
		else if (tp->t_flags & TF_DELACK)
			STAT_INC(st, tcp, snddelack);
		else if (!(tp->t_flags & TF_ACKNOW) &&
		    tp->t_timer[TCPT_DELACK] == WS_TIME_NEVER)
			STAT_INC(st, tcp, sndwinupd);
		else
			STAT_INC(st, tcp, sndacks);

		/* PSH with the last byte we have (RFC 9293 3.9.1.2). */
		if (len > 0 && off + len == buffered)
			flags |= TH_PUSH;
		error = tcp_xmit(tp, flags, seq, off, len, &o, rwin);

		/* Account for the sequence space we used (OpenBSD). */
		startseq = tp->snd_nxt;
		if (!(tp->t_flags & TF_FORCE) ||
		    tp->t_timer[TCPT_PERSIST] == WS_TIME_NEVER) {
			if (flags & TH_SYN)
				tp->snd_nxt++;
			if (flags & TH_FIN) {
				tp->snd_nxt++;
				tp->t_flags |= TF_SENTFIN;
			}
			tp->snd_nxt += len;
			if (SEQ_GT(tp->snd_nxt, tp->snd_max)) {
				tp->snd_max = tp->snd_nxt;
				/* Time this segment (Karn: only new data). */
				if (tp->t_rtttime == 0 &&
				    (len > 0 || (flags & (TH_SYN | TH_FIN)))) {
					tp->t_rtttime = st->now == 0 ? 1 : st->now;
					tp->t_rtseq = startseq;
					STAT_INC(st, tcp, segstimed);
				}
			}
			if (tp->t_timer[TCPT_REXMT] == WS_TIME_NEVER &&
			    tp->snd_nxt != tp->snd_una) {
				if (tp->t_timer[TCPT_PERSIST] != WS_TIME_NEVER) {
					tcp_timer_disarm(tp, TCPT_PERSIST);
					tp->t_persistshift = 0;
				}
				tcp_timer_arm(tp, TCPT_REXMT,
				    tcp_rtt_rto(&tp->t_rtt));
			}
		} else if (SEQ_GT(tp->snd_nxt + len, tp->snd_max))
			tp->snd_max = tp->snd_nxt + len;

		if (flags & TH_ACK) {
			if (rwin > 0 && SEQ_GT(tp->rcv_nxt + rwin, tp->rcv_adv))
				tp->rcv_adv = tp->rcv_nxt + rwin;
			if (SEQ_LT(tp->rcv_adv, tp->rcv_nxt))
				tp->rcv_adv = tp->rcv_nxt;
			tp->last_ack_sent = tp->rcv_nxt;
			tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
			tcp_timer_disarm(tp, TCPT_DELACK);
		}
		if (error != 0) {
			/* Nothing left the host: the timers will retry. */
			if (error == WS_ENOBUFS || error == WS_ENOMEM)
				return 0;
			/*
			 * RFC 1122 4.2.3.9 treats unreachability as soft,
			 * except while connecting: once a retransmitted SYN
			 * finds the neighbour unresolvable (ARP failed) or
			 * no route, give up with that error.
			 */
			if ((error == WS_EHOSTUNREACH ||
			    error == WS_ENETUNREACH) &&
			    tp->t_state == TCPS_SYN_SENT && tp->t_rxtshift > 0)
				tcp_drop(tp, error);
			return error;
		}
		if (!sendalot)
			return 0;
	}
	return error;
}

/* An immediate ACK (RFC 9293: "send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"). */
void
tcp_send_ack(struct tcpcb *tp)
{
	tp->t_flags |= TF_ACKNOW;
	tcp_output(tp);
}

/* A RST for the connection (abort, data after close, drop). */
void
tcp_send_rst(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	if (!TCPS_HAVERCVDSYN(tp->t_state) || (tp->t_flags & TF_DEAD))
		return;
	/* RFC 9293 3.10.4: <SEQ=SND.NXT><CTL=RST> (we add the ACK, as BSD). */
	tcp_respond(st, tp->t_laddr, tp->t_lport, tp->t_faddr, tp->t_fport,
	    tp->snd_max, tp->rcv_nxt, TH_RST | TH_ACK, 0);
}

/*
 * RFC 1122 4.2.3.6 keep-alive probe: an ACK with SEG.SEQ = SND.NXT - 1
 * (no data), which the peer must answer with an ACK.
 */
void
tcp_send_keepalive(struct tcpcb *tp)
{
	struct tcp_opts o;

	memset(&o, 0, sizeof(o));
	if ((tp->t_flags & TF_TSOK) == TF_TSOK) {
		o.present = TOF_TS;
		o.tsval = tcp_tsnow(tp);
		o.tsecr = tp->ts_recent;
	}
	STAT_INC(tp->t_st, tcp, keepprobe);
	(void)tcp_xmit(tp, TH_ACK, tp->snd_una - 1, 0, 0, &o,
	    SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0);
}

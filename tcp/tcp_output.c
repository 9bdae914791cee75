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
	/* No storage yet and no budget for it (tcp_mem_max): offer
	 * nothing new (what was offered before still stands). */
	if (tp->t_rcvring.buf == NULL &&
	    !tcp_mem_avail(tp->t_st, ring_cap(&tp->t_rcvring)))
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
	/* RFC 2018 4, RFC 2883: out-of-order blocks and D-SACK. */
	if ((tp->t_flags & TF_SACK_PERMIT) && (flags & TH_ACK) &&
	    !(flags & TH_RST) && (!asm_empty(&tp->t_asm) ||
	    (tp->t_flags & TF_DSACKPEND)))
		tcp_sack_fill(tp, o);
}

/* Copy [off, off + len) of the send ring to dst. */
static void
tcp_sndring_copy(struct tcpcb *tp, uint8_t *dst, uint32_t off, uint32_t len)
{
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
}

/*
 * Payload bytes of a full-sized segment that carries optlen bytes of
 * options: t_maxseg already has the timestamp option taken out (RFC 7323
 * 3.2), other options come out of the rest.  0 when the options leave no
 * room.
 */
static uint32_t
tcp_seg_maxdata(const struct tcpcb *tp, uint32_t optlen)
{
	uint32_t total = tp->t_maxseg + ((tp->t_flags & TF_TSOK) == TF_TSOK ?
	    TCPOLEN_TS + 2 : 0);

	return total > optlen ? total - optlen : 0;
}

/*
 * Segmentation offload.  When the device cuts super-segments itself
 * (link gso_max; Linux's GSO through PACKET_VNET_HDR), consecutive data
 * segments of one connection that tcp_output() sends in one call are
 * gathered into one frame instead of one frame each: the same headers but
 * for the sequence number and PSH, every segment but the last full-sized.
 * All TCP bookkeeping (snd_nxt, scoreboard, RACK, timers) still happens
 * per segment in the callers; only the emission is merged, so what the
 * peer receives is exactly what separate segments would have been.  The
 * pending super-segment never outlives the outermost tcp_output() call.
 */
static int
tcp_gso_flush(struct ws_stack *st)
{
	struct tcp_gso *g = &st->tcp->gso;
	struct tcpcb *tp = g->tp;
	struct pkt *p = g->p;
	struct ip4_out o;
	uint8_t *h;

	if (p == NULL)
		return 0;
	g->p = NULL;
	g->tp = NULL;
	if ((h = pkt_push(p, g->hlen)) == NULL) {
		pkt_free(st, p);
		return WS_ENOBUFS;
	}
	memcpy(h, g->hdr, g->hlen);
	if (g->nsegs > 1) {
		p->gso_size = (uint16_t)g->seglen;
		tcp_wire_set_cksum_partial(h, p->len, tp->t_laddr, tp->t_faddr);
		STAT_INC(st, tcp, sndgso);
		STAT_ADD(st, tcp, sndgsosegs, g->nsegs);
	} else
		tcp_wire_set_cksum(h, p->len, tp->t_laddr, tp->t_faddr);
	tcp_ip_out(tp, tp->t_laddr, tp->t_faddr, &o);
	o.tos = g->tos;
	return ip4_output(st, p, &o);
}

/* Whether the header in hb (hlen bytes) may follow the pending one. */
static bool
tcp_gso_same_hdr(const struct tcp_gso *g, const uint8_t *hb, size_t hlen)
{
	/* Equal but for seq (4..7), flags (13) and checksum (16..17). */
	return hlen == g->hlen && memcmp(hb, g->hdr, 4) == 0 &&
	    memcmp(hb + 8, g->hdr + 8, 5) == 0 &&
	    memcmp(hb + 14, g->hdr + 14, 2) == 0 &&
	    memcmp(hb + 18, g->hdr + 18, hlen - 18) == 0;
}

/*
 * Add a data segment (header hb, payload [off, off + len) of the send
 * ring) to the pending super-segment.  Returns false when the segment
 * must go out on its own (the pending one has then been flushed).
 */
static bool
tcp_gso_add(struct tcpcb *tp, const uint8_t *hb, size_t hlen, uint8_t flags,
    uint8_t tos, uint32_t seq, uint32_t off, uint32_t len, int *error)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_gso *g = &st->tcp->gso;

	*error = 0;
	if (g->p != NULL && (g->tp != tp || g->closed || seq != g->next_seq ||
	    tos != g->tos ||
	    len > g->seglen || g->p->len + len > g->room ||
	    !tcp_gso_same_hdr(g, hb, hlen)))
		*error = tcp_gso_flush(st);
	if (g->p == NULL) {
		uint32_t room = ip4_gso_maxpayload(st) - (uint32_t)hlen;
		uint32_t full = tcp_seg_maxdata(tp,
		    (uint32_t)(hlen - TCP_HDR_MIN));

		/* Only a full-sized segment starts one. */
		if (full == 0 || len != full)
			return false;
		/* Room for whole segments only: the last one may be short. */
		room -= room % len;
		if (room < 2 * len)
			return false;
		if ((g->p = pkt_alloc(st, room)) == NULL) {
			STAT_INC(st, tcp, nomem);
			return false;
		}
		pkt_trim(g->p, 0);
		g->tp = tp;
		g->tos = tos;
		memcpy(g->hdr, hb, hlen);
		g->hlen = (uint32_t)hlen;
		g->seglen = len;
		g->room = room;
		g->nsegs = 0;
		g->closed = false;
	}
	tcp_sndring_copy(tp, g->p->data + g->p->len, off, len);
	g->p->len += len;
	g->next_seq = seq + len;
	g->nsegs++;
	/* PSH marks the last segment; a short one is the last too. */
	if ((flags & TH_PUSH) || g->p->len % g->seglen != 0) {
		g->hdr[13] |= flags & TH_PUSH;
		g->closed = true;
	}
	return true;
}

/*
 * ECN in a segment we send (RFC 3168 6.1): the ECE/CWR flags it carries
 * (added to *flags) and its IP TOS byte.
 */
static uint8_t
tcp_ecn_out(struct tcpcb *tp, uint8_t *flags, uint32_t seq, uint32_t len)
{
	struct ws_stack *st = tp->t_st;
	uint8_t tos = tp->t_tos;

	if (*flags & TH_RST)
		return tos;
	if (*flags & TH_SYN) {
		if (*flags & TH_ACK) {
			/* 6.1.1: the SYN-ACK says yes with ECE alone. */
			if (tp->t_ecnflags & TE_OK)
				*flags |= TH_ECE;
		} else if (tp->t_ecnmode == WS_TCP_ECN_ON &&
		    tp->t_rxtshift == 0) {
			/*
			 * 6.1.1: an ECN-setup SYN.  6.1.1.1: a SYN that went
			 * unanswered may have been dropped for asking, so
			 * the retransmissions go without (as Linux's
			 * tcp_ecn_fallback).
			 */
			*flags |= TH_ECE | TH_CWR;
			tp->t_ecnflags |= TE_SYNSENT;
		} else
			tp->t_ecnflags &= ~TE_SYNSENT;
		return tos; /* 6.1.1: SYNs are never ECT */
	}
	if (!(tp->t_ecnflags & TE_OK))
		return tos;
	/* 6.1.3: ECE on every ACK until the peer's CWR. */
	if ((tp->t_ecnflags & TE_SNDECE) && (*flags & TH_ACK))
		*flags |= TH_ECE;
	/*
	 * Only new data is ECT: not pure ACKs (6.1.4), not retransmissions
	 * (6.1.5), not window probes (6.1.6).  The CWR of a reduction
	 * (6.1.2) goes on the first of them.
	 */
	if (len == 0 || SEQ_LT(seq, tp->snd_max) ||
	    ((tp->t_flags & TF_FORCE) &&
	    tp->t_timer[TCPT_PERSIST] != WS_TIME_NEVER))
		return tos;
	if (tp->t_ecnflags & TE_SNDCWR) {
		*flags |= TH_CWR;
		tp->t_ecnflags &= ~TE_SNDCWR;
		STAT_INC(st, tcp, snd_cwr);
	}
	return (uint8_t)(tos | IP4_ECN_ECT0);
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
	struct tcp_gso *g = &st->tcp->gso;
	struct tcp_hdr th;
	struct ip4_out io;
	struct pkt *p;
	size_t hlen;
	uint8_t tos;
	int error;

	tos = tcp_ecn_out(tp, &flags, seq, len);

	memset(&th, 0, sizeof(th));
	th.sport = tp->t_lport;
	th.dport = tp->t_fport;
	th.seq = seq;
	th.ack = (flags & TH_ACK) ? tp->rcv_nxt : 0;
	th.flags = flags;
	th.win = (uint16_t)(flags & TH_SYN ? umin(win, TCP_MAXWIN) :
	    umin(win >> tp->rcv_scale, TCP_MAXWIN));
	th.opts = *o;
	/*
	 * Urgent mode (RFC 9293 3.8.5): every segment that starts before
	 * SND.UP says where the urgent data ends, as an offset from its own
	 * sequence number to the first non-urgent octet (MUST-62, RFC 6093
	 * 3).  Retransmissions carry it too, until SND.UP is acknowledged.
	 * An offset beyond 16 bits is sent as 65535: the peer learns that
	 * urgent data is coming, and later segments move the pointer on to
	 * the real end before it can read that far -- provided the capped
	 * point lies past all we have sent.  A retransmission far behind
	 * snd_max could plant it in data the peer already holds, a false
	 * end of the urgent data; it goes without URG instead.
	 */
	if (tp->t_sndurg && (flags & (TH_ACK | TH_SYN | TH_RST)) == TH_ACK &&
	    SEQ_GT(tp->snd_up, seq) && (tp->snd_up - seq <= TCP_MAXWIN ||
	    SEQ_GT(seq + TCP_MAXWIN, tp->snd_max))) {
		th.flags |= TH_URG;
		th.urp = (uint16_t)umin(tp->snd_up - seq, TCP_MAXWIN);
		STAT_INC(st, tcp, sndurg);
	}
	hlen = TCP_HDR_MIN + tcp_wire_optlen(o);
	STAT_INC(st, tcp, sndtotal);
	ws_log(st, WS_LOG_DEBUG, "tcp out %u>%u %s fl=%#x seq=%u ack=%u "
	    "win=%u len=%u", tp->t_lport, tp->t_fport,
	    ws_tcp_state_name((enum ws_tcp_state)tp->t_state), th.flags, seq,
	    th.ack, th.win, (unsigned)len);
	/* Not an urgent segment: its pointer is relative to its own seq. */
	if (g->depth > 0 && st->link->gso_max > st->link->mtu && len > 0 &&
	    (th.flags & ~TH_PUSH) == TH_ACK) {
		uint8_t hb[TCP_HDR_MAX];

		tcp_wire_emit(hb, &th);
		if (tcp_gso_add(tp, hb, hlen, flags, tos, seq, off, len,
		    &error))
			return error;
	} else if (g->p != NULL && (error = tcp_gso_flush(st)) != 0 &&
	    error != WS_ENOBUFS && error != WS_ENOMEM)
		return error; /* keep the order: the pending data goes first */

	p = pkt_alloc(st, len);
	if (p == NULL) {
		STAT_INC(st, tcp, nomem);
		return WS_ENOMEM;
	}
	tcp_sndring_copy(tp, p->data, off, len);
	if (pkt_push(p, hlen) == NULL) {
		pkt_free(st, p);
		return WS_ENOBUFS;
	}
	tcp_wire_emit(p->data, &th);
	tcp_wire_set_cksum(p->data, p->len, tp->t_laddr, tp->t_faddr);
	tcp_ip_out(tp, tp->t_laddr, tp->t_faddr, &io);
	io.tos = tos;
	return ip4_output(st, p, &io);
}

/*
 * The window to announce in a segment with `flags`: receiver SWS
 * avoidance (RFC 1122 4.2.3.3), never shrinking what was offered (RFC
 * 9293 3.8.6.2.2), rounded to what the scale can express.
 */
static uint32_t
tcp_window_to_offer(struct tcpcb *tp, uint8_t flags)
{
	uint32_t rwin = tcp_rcv_window(tp);

	if (rwin < tp->t_rcvbuf / 4 && rwin < tp->t_maxseg)
		rwin = 0;
	if (SEQ_GT(tp->rcv_adv, tp->rcv_nxt) &&
	    rwin < tp->rcv_adv - tp->rcv_nxt)
		rwin = tp->rcv_adv - tp->rcv_nxt;
	if (!(flags & TH_SYN))
		rwin = (rwin >> tp->rcv_scale) << tp->rcv_scale;
	return rwin;
}

/* A segment carrying an ACK of rcv_nxt and window rwin went out. */
static void
tcp_ack_sent(struct tcpcb *tp, uint32_t rwin)
{
	if (rwin > 0 && SEQ_GT(tp->rcv_nxt + rwin, tp->rcv_adv))
		tp->rcv_adv = tp->rcv_nxt + rwin;
	if (SEQ_LT(tp->rcv_adv, tp->rcv_nxt))
		tp->rcv_adv = tp->rcv_nxt;
	tp->last_ack_sent = tp->rcv_nxt;
	tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
	tcp_timer_disarm(tp, TCPT_DELACK);
	tcp_sack_sent(tp);
}

/*
 * Bookkeeping after [seq, end) (end counts a FIN) went out as data:
 * the scoreboard, Karn's rule for the timed segment, and the undo log of
 * retransmissions.  osndmax is snd_max before the segment.
 */
static void
tcp_data_sent(struct tcpcb *tp, uint32_t seq, uint32_t end,
    uint32_t osndmax)
{
	if (!TCPS_HAVEESTABLISHED(tp->t_state) || !SEQ_LT(seq, end))
		return;
	if (SEQ_LT(seq, osndmax)) {
		uint32_t rend = SEQ_MIN(end, osndmax);

		/* Karn (RFC 6298 3): no sample from what was resent. */
		if (tp->t_rtttime != 0 && SEQ_GEQ(tp->t_rtseq, seq) &&
		    SEQ_LT(tp->t_rtseq, rend))
			tp->t_rtttime = 0;
		tcp_undo_note_rexmit(tp, seq, rend);
	}
	tcp_sb_xmit(tp, seq, end, osndmax);
}

/*
 * Send one data segment at seq of at most len sequence numbers (a FIN
 * if it reaches the end of the stream), outside the snd_nxt logic of
 * tcp_output: SACK-based retransmissions (RFC 6675 NextSeg) and tail
 * loss probes (RFC 8985 7.3).  Sets *sent to the sequence numbers used.
 */
static int
tcp_send_seg(struct tcpcb *tp, uint32_t seq, uint32_t len, uint32_t *sent)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_opts o;
	uint32_t dstart = tcp_snd_data_start(tp);
	uint32_t buffered = ring_len(&tp->t_sndring);
	uint32_t off = seq - dstart, dlen, maxlen, optlen, rwin, end, osndmax;
	uint8_t flags = TH_ACK;
	int error;

	*sent = 0;
	if (!TCPS_HAVEESTABLISHED(tp->t_state) || SEQ_LT(seq, tp->snd_una) ||
	    SEQ_GT(seq, tp->snd_max))
		return 0;
	tcp_fill_opts(tp, flags, &o);
	optlen = (uint32_t)tcp_wire_optlen(&o);
	if ((maxlen = tcp_seg_maxdata(tp, optlen)) == 0)
		maxlen = 1;
	dlen = off < buffered ? umin(len, buffered - off) : 0;
	dlen = umin(dlen, maxlen);
	/*
	 * The FIN follows the last byte: sent now if it has not been, and
	 * resent if the range asked for reaches past the data.
	 */
	if ((tp->t_flags & TF_CANTSENDMORE) && off + dlen == buffered &&
	    (tcp_outflags[tp->t_state] & TH_FIN) &&
	    (!(tp->t_flags & TF_SENTFIN) || len > dlen))
		flags |= TH_FIN;
	if (dlen == 0 && !(flags & TH_FIN))
		return 0;
	rwin = tcp_window_to_offer(tp, flags);
	if (dlen > 0 && off + dlen == buffered)
		flags |= TH_PUSH;
	if (SEQ_LT(seq, tp->snd_max)) {
		STAT_INC(st, tcp, sndrexmitpack);
		STAT_ADD(st, tcp, sndrexmitbyte, dlen);
		tp->t_retransmits++;
	} else if (dlen > 0) {
		STAT_INC(st, tcp, sndpack);
		STAT_ADD(st, tcp, sndbyte, dlen);
		tp->t_bytes_sent += dlen;
	} else
		STAT_INC(st, tcp, sndctrl);
	error = tcp_xmit(tp, flags, seq, off, dlen, &o, rwin);
	end = seq + dlen + ((flags & TH_FIN) ? 1 : 0);
	osndmax = tp->snd_max;
	if (SEQ_GT(end, tp->snd_max)) {
		if (tp->snd_nxt == tp->snd_max)
			tp->snd_nxt = end;
		tp->snd_max = end;
		if (flags & TH_FIN)
			tp->t_flags |= TF_SENTFIN;
		if (tp->t_rtttime == 0) {
			tp->t_rtttime = st->now == 0 ? 1 : st->now;
			tp->t_rtseq = osndmax;
			STAT_INC(st, tcp, segstimed);
		}
	}
	tcp_data_sent(tp, seq, end, osndmax);
	if (tp->t_timer[TCPT_REXMT] == WS_TIME_NEVER &&
	    tp->snd_max != tp->snd_una)
		tcp_timer_arm(tp, TCPT_REXMT, tcp_rtt_rto(&tp->t_rtt));
	tcp_ack_sent(tp, rwin);
	*sent = end - seq;
	if (error == WS_ENOBUFS || error == WS_ENOMEM)
		error = 0; /* as if lost: the timers retry */
	return error;
}

/* A tail loss probe (tcp_rack.c). */
int
tcp_output_probe(struct tcpcb *tp, uint32_t seq, uint32_t len)
{
	uint32_t sent;

	return tcp_send_seg(tp, seq, len, &sent);
}

/* Unsent data (or an unsent FIN) the peer's window would take. */
static bool
tcp_newdata_ok(const struct tcpcb *tp)
{
	uint32_t dstart = tcp_snd_data_start(tp);
	uint32_t buffered = ring_len(&tp->t_sndring);
	uint32_t flight = tp->snd_max - tp->snd_una;

	if (SEQ_GEQ(tp->snd_max, dstart + buffered) &&
	    !((tp->t_flags & TF_CANTSENDMORE) && !(tp->t_flags & TF_SENTFIN)))
		return false;
	return flight < tp->snd_wnd;
}

/*
 * RFC 6675 4 step (C), also after an RTO (5.1): while cwnd - pipe leaves
 * room for a full segment, send what NextSeg() picks; new data is left
 * to the caller's loop.  On entry to recovery one retransmission goes
 * regardless (TF_REXMITNOW, step 4.3).
 */
static int
tcp_output_sack_rexmit(struct tcpcb *tp)
{
	for (int rounds = 0; rounds < 1024 && tcp_sb_active(tp); rounds++) {
		uint32_t pipe = tcp_sack_pipe(tp), seq, len, sent;
		bool now = (tp->t_flags & TF_REXMITNOW) != 0;
		int rule, error;

		if (pipe + tp->t_maxseg > tp->snd_cwnd && !now)
			return 0;
		if (tcp_sack_nextseg(tp, !now && tcp_newdata_ok(tp), &seq,
		    &len, &rule) != TCP_NEXTSEG_REXMIT) {
			tp->t_flags &= ~TF_REXMITNOW;
			return 0;
		}
		tp->t_flags &= ~TF_REXMITNOW;
		error = tcp_send_seg(tp, seq, umin(len, tp->t_maxseg), &sent);
		if (sent > 0 && (rule == 1 || rule == 3) &&
		    SEQ_GT(seq + sent, tp->t_highrxt))
			tp->t_highrxt = seq + sent;
		if (error != 0)
			return error;
		if (sent == 0)
			return 0; /* should not happen: never spin */
	}
	return 0;
}

/* tcp_output() without the SACK retransmissions: the snd_nxt machine. */
static int
tcp_output_loop(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	bool sack = tcp_sb_active(tp) && TCPS_HAVEESTABLISHED(tp->t_state);
	int error = 0;

	for (int rounds = 0; rounds < 1024; rounds++) {
		struct tcp_opts o;
		uint32_t dstart = tcp_snd_data_start(tp);
		uint32_t buffered = ring_len(&tp->t_sndring);
		uint32_t off, win, len, optlen, maxlen, rwin, adv;
		uint8_t flags = tcp_outflags[tp->t_state];
		bool idle = tp->snd_max == tp->snd_una;
		bool sendit = false, sendalot = false;
		int32_t slen;
		uint32_t seq, startseq, osndmax, ccwin;

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
		if (sack) {
			/*
			 * With SACK what may be outstanding is what is not
			 * known to have left the network (RFC 6675 pipe, as
			 * Linux does outside recovery too): cwnd - pipe more
			 * than is outstanding now, in recovery only by full
			 * segments (RFC 6675 4 step C).
			 */
			uint32_t pipe = tcp_sack_pipe(tp);
			uint32_t cwin = tp->snd_cwnd > pipe ?
			    tp->snd_cwnd - pipe : 0;

			if ((tp->t_flags & (TF_FASTRECOVERY |
			    TF_LOSSRECOVERY)) && cwin < tp->t_maxseg)
				cwin = 0;
			ccwin = tp->snd_max - tp->snd_una + cwin;
		} else {
			ccwin = tp->snd_cwnd;
			/* RFC 3042 limited transmit: cwnd + 2 * SMSS at most. */
			if (!(tp->t_flags & TF_FASTRECOVERY) &&
			    tp->t_dupacks > 0 && tp->t_dupacks < TCP_DUPTHRESH)
				ccwin += tp->t_dupacks * tp->t_maxseg;
		}
		win = umin(tp->snd_wnd, ccwin);
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
			 * and probe (OpenBSD; RFC 9293 3.8.6.1).  Only data
			 * waits for the window: when nothing but our FIN is
			 * outstanding, the retransmission timer resends it
			 * (FreeBSD: only while off < sb_cc).  Pulling back
			 * for it made the FIN below go out again on every
			 * ACK the peer sent, with no time passing
			 * (fuzz_stack finwait1-zero-window-fin-storm).
			 */
			slen = 0;
			if (win == 0 && buffered > 0) {
				tcp_timer_disarm(tp, TCPT_REXMT);
				tp->t_rxtshift = 0;
				tp->snd_nxt = tp->snd_una;
				/* No FIN at snd_una ahead of the data. */
				off = 0;
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
		if ((maxlen = tcp_seg_maxdata(tp, optlen)) == 0)
			maxlen = 1;
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
			/* Urgent data does not wait for Nagle (RFC 9293
			 * 3.8.5: the point is to get it there soon). */
			else if (tp->t_sndurg && SEQ_GT(tp->snd_up, tp->snd_nxt))
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
			/* A pure window update waits for the batch end. */
			if ((adv >= 2 * tp->t_maxseg ||
			    2 * adv >= tp->t_rcvbuf ||
			    (cur == 0 && adv >= tp->t_maxseg)) &&
			    (sendit || cur == 0 || !tcp_ack_defer(tp)))
				sendit = true;
		}
		if (tp->t_flags & TF_ACKNOW)
			sendit = true;
		if (flags & (TH_SYN | TH_RST))
			sendit = true;
		if ((flags & TH_FIN) && (!(tp->t_flags & TF_SENTFIN) ||
		    tp->snd_nxt == tp->snd_una))
			sendit = true;
		/*
		 * Data waits but none of it goes now (nothing goes, or only
		 * an ACK: urgent mode against a closed window): make sure a
		 * timer will get us going again (RFC 9293 3.8.6.1).
		 */
		if ((!sendit || len == 0) && buffered > off &&
		    tp->t_state >= TCPS_ESTABLISHED &&
		    tp->t_timer[TCPT_REXMT] == WS_TIME_NEVER &&
		    tp->t_timer[TCPT_PERSIST] == WS_TIME_NEVER) {
			tp->t_rxtshift = 0;
			tcp_set_persist(tp);
		}
		if (!sendit)
			return 0;

		rwin = tcp_window_to_offer(tp, flags);

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
		osndmax = tp->snd_max;
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
		} else {
			/*
			 * A persist probe: snd_nxt stays (there is no
			 * window), but a FIN that went with the last byte is
			 * in snd_max (FreeBSD), or the peer's ACK of it would
			 * be "too much" and dropped (RFC 5961 5.2) forever.
			 */
			uint32_t xlen = len + ((flags & TH_FIN) ? 1 : 0);

			if (flags & TH_FIN)
				tp->t_flags |= TF_SENTFIN;
			if (SEQ_GT(tp->snd_nxt + xlen, tp->snd_max))
				tp->snd_max = tp->snd_nxt + xlen;
		}
		if (len > 0 || (flags & TH_FIN))
			tcp_data_sent(tp, seq, seq + len +
			    ((flags & TH_FIN) ? 1 : 0), osndmax);

		if (flags & TH_ACK)
			tcp_ack_sent(tp, rwin);
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

static int
tcp_output_one(struct tcpcb *tp)
{
	uint32_t omax = tp->snd_max;
	int error;

	if (tcp_sb_active(tp) && TCPS_HAVEESTABLISHED(tp->t_state) &&
	    (tp->t_flags & (TF_FASTRECOVERY | TF_LOSSRECOVERY))) {
		error = tcp_output_sack_rexmit(tp);
		if (error != 0 || (tp->t_flags & TF_DEAD))
			return error;
	}
	error = tcp_output_loop(tp);
	/* RFC 8985 7.2: new data went out, the probe timer starts over. */
	if (tp->snd_max != omax && !(tp->t_flags & TF_DEAD))
		tcp_rack_schedule_pto(tp);
	return error;
}

/*
 * Send what the state, the windows and the queued data allow (RFC 9293
 * 3.8.6, RFC 1122 4.2.3.4 Nagle and sender SWS avoidance, RFC 5681); in
 * SACK recovery the retransmissions NextSeg() picks go first.  Returns 0
 * or a WS_E* code from the layers below.
 */
int
tcp_output(struct tcpcb *tp)
{
	struct tcp_softc *sc = tp->t_st->tcp;
	int error;

	if (tp->t_state == TCPS_CLOSED || tp->t_state == TCPS_LISTEN ||
	    (tp->t_flags & TF_DEAD))
		return 0;
	sc->gso.depth++;
	error = tcp_output_one(tp);
	if (--sc->gso.depth == 0 && sc->gso.p != NULL) {
		int ferr = tcp_gso_flush(tp->t_st);

		if (error == 0 && ferr != WS_ENOBUFS && ferr != WS_ENOMEM)
			error = ferr;
	}
	return error;
}

/*
 * ACK coalescing over a batch of received frames.  ws_stack_poll reads up
 * to a batch of frames (whatever the device had waiting) between
 * tcp_batch_begin and tcp_batch_end; inside it, the "ACK every second
 * full-sized segment" rule (RFC 5681 4.2, RFC 1122 4.2.3.2) and pure
 * window updates only mark the connection, and tcp_batch_end sends one
 * ACK per marked connection once the whole batch has been processed.  So
 * we still ACK at least every second segment *of what we have processed*,
 * as Linux does with GRO; out-of-order data, filled holes, FINs and
 * everything else keep their immediate ACK.  A cap bounds the bytes one
 * ACK may cover (like GRO's 64 KB), so the sender's clock keeps ticking
 * when a batch is long.
 */
#define TCP_ACKBATCH_MAX (64u * 1024)

bool
tcp_ack_defer(struct tcpcb *tp)
{
	struct tcp_softc *sc = tp->t_st->tcp;
	uint32_t cap = tp->t_rcvbuf / 4;

	if (!sc->inbatch)
		return false;
	if (cap > TCP_ACKBATCH_MAX)
		cap = TCP_ACKBATCH_MAX;
	if (cap < 2 * tp->t_maxseg)
		cap = 2 * tp->t_maxseg;
	if (tp->rcv_nxt - tp->last_ack_sent >= cap)
		return false;
	if (!tp->t_inaq) {
		tp->t_aqnext = sc->ackq;
		sc->ackq = tp;
		tp->t_inaq = true;
	}
	return true;
}

/* tp is going away: take it off the deferred-ACK list. */
void
tcp_ack_unqueue(struct tcpcb *tp)
{
	struct tcpcb **pp;

	if (!tp->t_inaq)
		return;
	for (pp = &tp->t_st->tcp->ackq; *pp != NULL; pp = &(*pp)->t_aqnext)
		if (*pp == tp) {
			*pp = tp->t_aqnext;
			break;
		}
	tp->t_aqnext = NULL;
	tp->t_inaq = false;
}

void
tcp_batch_begin(struct ws_stack *st)
{
	st->tcp->inbatch = true;
}

void
tcp_batch_end(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	sc->inbatch = false;
	while ((tp = sc->ackq) != NULL) {
		sc->ackq = tp->t_aqnext;
		tp->t_aqnext = NULL;
		tp->t_inaq = false;
		if (tp->t_flags & TF_DEAD)
			continue;
		/* Data not yet acknowledged: ACK it; else maybe a window
		 * update, under the usual receiver SWS rules. */
		if (tp->rcv_nxt != tp->last_ack_sent)
			tp->t_flags |= TF_ACKNOW;
		tcp_output(tp);
	}
	tcp_deliver(st);
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
	tcp_respond(st, tp, tp->t_laddr, tp->t_lport, tp->t_faddr,
	    tp->t_fport, tp->snd_max, tp->rcv_nxt, TH_RST | TH_ACK, 0);
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

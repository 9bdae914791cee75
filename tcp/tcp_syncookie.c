/*
 * SYN cookies (RFC 4987 3.6): when a listener's half-open queue is full,
 * the SYN,ACK carries all the state the connection needs in its initial
 * sequence number (and, with timestamps, in the low bits of its TSval),
 * so a SYN flood costs no memory and a legitimate client whose ACK
 * returns the cookie still gets its connection.
 *
 * The cookie (see tcp_var.h):
 *	h      = SipHash-2-4(key, laddr lport faddr fport irs slot mssidx
 *	         optbits)
 *	cookie = (h & ~7) | mssidx
 * slot is now / TCP_SYNCOOKIE_PERIOD_US (64 s); a cookie is accepted in
 * its slot and the next, so it lives 64 to 128 s.  irs is the peer's ISN
 * (SEG.SEQ - 1 of the ACK), which ties the cookie to the SYN.  mssidx
 * picks the peer's MSS from tcp_sc_msstab (rounded down).  optbits is 0
 * without timestamps, else 0x80 | the low 6 bits of our TSval:
 *	bits 0-3  the peer's window scale (0-14, 15: none)
 *	bit 4     SACK permitted
 *	bit 5     ECN (never set: cookie connections go without ECN)
 * The ACK echoes our TSval in TSecr, so those bits come back and, being
 * hashed, cannot be altered.  Without timestamps there is nowhere to
 * keep them: the SYN,ACK offers only MSS, and the connection runs
 * without window scaling and SACK (as Linux's).
 *
 * A forged ACK must guess 29 bits of keyed hash per try; cookies are
 * only checked while cookies were sent within the last two slots, so an
 * idle listener gives an attacker nothing to aim at.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include <wirestack/err.h>

#include "core/endian.h"
#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/* Peer MSS values a cookie can stand for (3 bits: 8 entries). */
const uint16_t tcp_sc_msstab[TCP_SC_NMSS] = {
	64, 256, 536, 1220, 1440, 1460, 4312, 8960,
};

/* The largest table entry not above peermss (entry 0 below 64). */
uint32_t
tcp_sc_mssidx(uint32_t peermss)
{
	uint32_t i = TCP_SC_NMSS - 1;

	while (i > 0 && tcp_sc_msstab[i] > peermss)
		i--;
	return i;
}

/* The option bits for our TSval; wscale < 0: the peer sent none. */
uint32_t
tcp_sc_tsbits(int wscale, bool sack)
{
	uint32_t b = wscale < 0 ? TCP_SC_WS_NONE : (uint32_t)wscale;

	return b | (sack ? TCP_SC_SACK : 0);
}

/*
 * Our TSval carrying `bits`: the clock with its low bits replaced, moved
 * back one step if that would put it ahead of the clock, so the TSvals
 * of the connection stay monotonic (RFC 7323 5.4).
 */
uint32_t
tcp_sc_tsval(uint32_t tsnow, uint32_t bits)
{
	uint32_t ts = (tsnow & ~TCP_SC_TSMASK) | (bits & TCP_SC_TSMASK);

	if ((int32_t)(ts - tsnow) > 0)
		ts -= 1u << TCP_SC_TSBITS;
	return ts;
}

static uint32_t
tcp_sc_hash(const uint8_t key[TCP_ISS_KEYLEN], uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport, uint32_t irs,
    uint32_t slot, uint32_t mssidx, uint32_t optbits)
{
	uint8_t in[22];
	uint8_t out[crypto_shorthash_siphash24_BYTES];

	/* A fixed byte layout, so the cookie does not depend on the host. */
	be32_store(in, laddr);
	be16_store(in + 4, lport);
	be32_store(in + 6, faddr);
	be16_store(in + 10, fport);
	be32_store(in + 12, irs);
	be32_store(in + 16, slot);
	in[20] = (uint8_t)mssidx;
	in[21] = (uint8_t)optbits;
	crypto_shorthash_siphash24(out, in, sizeof(in), key);
	return be32_load(out) ^ be32_load(out + 4);
}

static uint32_t
tcp_sc_slot(ws_time_t now)
{
	return (uint32_t)(now / TCP_SYNCOOKIE_PERIOD_US);
}

uint32_t
tcp_syncookie_make(const uint8_t key[TCP_ISS_KEYLEN], uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport, uint32_t irs,
    ws_time_t now, uint32_t mssidx, uint32_t optbits)
{
	mssidx &= TCP_SC_NMSS - 1;
	return (tcp_sc_hash(key, laddr, lport, faddr, fport, irs,
	    tcp_sc_slot(now), mssidx, optbits) & ~(uint32_t)(TCP_SC_NMSS - 1)) |
	    mssidx;
}

/* The MSS index of a cookie made in this slot or the one before, or -1. */
int
tcp_syncookie_check(const uint8_t key[TCP_ISS_KEYLEN], uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport, uint32_t irs,
    ws_time_t now, uint32_t cookie, uint32_t optbits)
{
	uint32_t mssidx = cookie & (TCP_SC_NMSS - 1);
	uint32_t slot = tcp_sc_slot(now);

	for (uint32_t age = 0; age < 2; age++) {
		uint32_t h = tcp_sc_hash(key, laddr, lport, faddr, fport, irs,
		    slot - age, mssidx, optbits);

		if (((h ^ cookie) & ~(uint32_t)(TCP_SC_NMSS - 1)) == 0)
			return (int)mssidx;
	}
	return -1;
}

/* What the options of the ACK (or the SYN) add to the hash. */
static uint32_t
tcp_sc_optbits(bool ts, uint32_t tsbits)
{
	return ts ? 0x80u | (tsbits & TCP_SC_TSMASK) : 0;
}

/*
 * Answer the SYN th (from faddr to listener lp at laddr) with a SYN,ACK
 * whose ISN is a cookie.  Nothing is kept.
 */
void
tcp_syncookie_send(struct ws_stack *st, struct tcpcb *lp, uint32_t laddr,
    uint32_t faddr, const struct tcp_hdr *th)
{
	struct tcp_softc *sc = st->tcp;
	const struct tcp_opts *o = &th->opts;
	struct tcp_hdr out;
	struct ip4_out io;
	struct pkt *p;
	uint32_t ourmss = tcp_mss_ours(lp), peermss, mssidx, optbits = 0;
	bool ts = (o->present & TOF_TS) && (lp->t_flags & TF_REQ_TSTMP);
	size_t hlen;

	peermss = (o->present & TOF_MSS) ? o->mss : TCP_DEFAULT_MSS;
	mssidx = tcp_sc_mssidx(peermss);
	memset(&out, 0, sizeof(out));
	out.opts.present = TOF_MSS;
	out.opts.mss = (uint16_t)(ourmss > 65535 ? 65535 : ourmss);
	if (ts) {
		int ws = -1;
		bool sack = false;

		if ((o->present & TOF_WSCALE) && (lp->t_flags & TF_REQ_SCALE)) {
			ws = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE :
			    o->wscale;
			out.opts.present |= TOF_WSCALE;
			out.opts.wscale = tcp_wscale_for(lp->t_rcvbuf);
		}
		if ((o->present & TOF_SACKPERM) && (lp->t_flags & TF_REQ_SACK)) {
			sack = true;
			out.opts.present |= TOF_SACKPERM;
		}
		out.opts.present |= TOF_TS;
		out.opts.tsval = tcp_sc_tsval(tcp_tsnow_addr(st, laddr, faddr),
		    tcp_sc_tsbits(ws, sack));
		out.opts.tsecr = o->tsval;
		optbits = tcp_sc_optbits(true, out.opts.tsval);
	}
	out.sport = th->dport;
	out.dport = th->sport;
	out.seq = tcp_syncookie_make(sc->cookie_key, laddr, th->dport, faddr,
	    th->sport, th->seq, st->now, mssidx, optbits);
	out.ack = th->seq + 1;
	out.flags = TH_SYN | TH_ACK;
	/* The window of a SYN is never scaled (RFC 7323 2.2). */
	out.win = (uint16_t)(lp->t_rcvbuf > TCP_MAXWIN ? TCP_MAXWIN :
	    lp->t_rcvbuf);
	p = pkt_alloc(st, 0);
	if (p == NULL) {
		STAT_INC(st, tcp, nomem);
		return;
	}
	hlen = TCP_HDR_MIN + tcp_wire_optlen(&out.opts);
	if (pkt_push(p, hlen) == NULL) {
		pkt_free(st, p);
		return;
	}
	tcp_wire_emit(p->data, &out);
	tcp_wire_set_cksum(p->data, p->len, laddr, faddr);
	sc->cookie_last = st->now == 0 ? 1 : st->now;
	STAT_INC(st, tcp, syncookies_sent);
	STAT_INC(st, tcp, sndtotal);
	STAT_INC(st, tcp, sndctrl);
	tcp_ip_out(lp, laddr, faddr, &io);
	ip4_output(st, p, &io);
}

/*
 * An ACK th (no SYN, no RST) reached listener lp: if it returns a valid
 * cookie, create the connection in ESTABLISHED on lp's accept queue.
 * Returns 0 (*out set: the caller processes the rest of the segment),
 * 1 to drop the segment silently (accept queue full, no memory) or -1
 * when this is no cookie (the caller answers with a RST).
 */
int
tcp_syncookie_accept(struct ws_stack *st, struct tcpcb *lp, uint32_t laddr,
    uint32_t faddr, const struct tcp_hdr *th, struct tcpcb **out)
{
	struct tcp_softc *sc = st->tcp;
	const struct tcp_opts *o = &th->opts;
	struct tcpcb *tp;
	uint32_t tsbits = 0, irs = th->seq - 1, iss = th->ack - 1, synwin;
	uint32_t wscale = TCP_SC_WS_NONE;
	bool ts, sack = false;
	int mssidx;

	*out = NULL;
	if (st->cfg.tcp_no_syncookies || sc->cookie_last == 0 ||
	    st->now - sc->cookie_last >= 2 * TCP_SYNCOOKIE_PERIOD_US)
		return -1;
	ts = (o->present & TOF_TS) && (lp->t_flags & TF_REQ_TSTMP);
	if (ts)
		tsbits = o->tsecr & TCP_SC_TSMASK;
	mssidx = tcp_syncookie_check(sc->cookie_key, laddr, th->dport, faddr,
	    th->sport, irs, st->now, iss, tcp_sc_optbits(ts, tsbits));
	if (mssidx >= 0 && ts) {
		/* Authentic bits we made; check them all the same. */
		wscale = tsbits & TCP_SC_WS_NONE;
		sack = (tsbits & TCP_SC_SACK) != 0;
		if ((tsbits & TCP_SC_ECN) || (wscale != TCP_SC_WS_NONE &&
		    (wscale > TCP_MAX_WSCALE || !(lp->t_flags & TF_REQ_SCALE))) ||
		    (sack && !(lp->t_flags & TF_REQ_SACK)))
			mssidx = -1;
	}
	if (mssidx < 0) {
		STAT_INC(st, tcp, syncookies_failed);
		return -1;
	}
	if (lp->t_qlen >= lp->t_qlimit) {
		STAT_INC(st, tcp, listenoverflow);
		return 1;
	}
	tp = tcp_newtcpcb(st);
	if (tp == NULL)
		return 1;
	STAT_INC(st, tcp, syncookies_recv);
	STAT_INC(st, tcp, accepts);
	tcp_child_init(lp, tp, laddr, th->dport, faddr, th->sport);

	/* What tcp_input_listen and tcp_syn_options would have set. */
	tp->t_flags &= ~(TF_REQ_SCALE | TF_REQ_SACK);
	if (ts) {
		tp->t_flags |= TF_RCVD_TSTMP;
		tp->ts_recent = o->tsval;
		tp->ts_recent_age = st->now;
		if (wscale != TCP_SC_WS_NONE) {
			tp->t_flags |= TF_REQ_SCALE | TF_RCVD_SCALE;
			tp->request_r_scale = tcp_wscale_for(tp->t_rcvbuf);
			tp->requested_s_scale = (uint8_t)wscale;
			tp->rcv_scale = tp->request_r_scale;
			tp->snd_scale = (uint8_t)wscale;
		}
		if (sack)
			tp->t_flags |= TF_REQ_SACK | TF_SACK_PERMIT;
	} else
		tp->t_flags &= ~TF_TSOK;
	tcp_mss_update(tp, tcp_sc_msstab[mssidx]);
	tp->t_ourmss = tcp_mss_ours(tp);

	tp->irs = irs;
	tp->rcv_nxt = irs + 1;
	/* What the SYN,ACK offered (unscaled) still stands. */
	synwin = tp->t_rcvbuf > TCP_MAXWIN ? TCP_MAXWIN : tp->t_rcvbuf;
	tp->rcv_adv = tp->rcv_nxt + synwin;
	tp->last_ack_sent = tp->rcv_nxt;
	tp->iss = iss;
	tp->snd_una = tp->snd_nxt = tp->snd_max = iss + 1;
	tp->snd_recover = tp->snd_una;
	tp->snd_wnd = (uint32_t)th->win << tp->snd_scale;
	tp->max_sndwnd = tp->snd_wnd;
	tp->snd_wl1 = th->seq;
	tp->snd_wl2 = th->ack;
	tp->t_state = TCPS_SYN_RECEIVED;
	tcp_hash_insert(tp);
	/* No RTT sample: the cookie's time is known only to 64 ms. */
	tcp_established(tp);
	*out = tp;
	return 0;
}

/*
 * TCP support routines: attach/detach, the connection tables, control
 * block life cycle (creation, close, deferred free), RSTs for segments
 * without a connection, event delivery, MSS and timer helpers.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

#define TCP_HASH_BUCKETS 1024       /* to start with */
#define TCP_HASH_MAX (1u << 20)     /* tcp_hash_grow stops here */

static uint32_t
tcp_hashval(const struct tcp_softc *sc, uint32_t faddr, uint16_t fport,
    uint16_t lport)
{
	uint32_t h;

	/* A cheap mix salted with the secret, so peers cannot aim at a chain. */
	h = faddr ^ ((uint32_t)fport << 16 | lport);
	h ^= (uint32_t)sc->iss_key[0] | (uint32_t)sc->iss_key[1] << 8 |
	    (uint32_t)sc->iss_key[2] << 16 | (uint32_t)sc->iss_key[3] << 24;
	h *= 0x9e3779b1u;
	h ^= h >> 15;
	return h & sc->hashmask;
}

int
tcp_attach(struct ws_stack *st)
{
	struct tcp_softc *sc;

	sc = ws_calloc(st, 1, sizeof(*sc));
	if (sc == NULL)
		return WS_ENOMEM;
	sc->hash = ws_calloc(st, TCP_HASH_BUCKETS, sizeof(*sc->hash));
	if (sc->hash == NULL) {
		ws_free(st, sc);
		return WS_ENOMEM;
	}
	sc->hashmask = TCP_HASH_BUCKETS - 1;
	for (uint32_t i = 0; i < TCP_HASH_BUCKETS; i++)
		LIST_INIT(&sc->hash[i]);
	for (size_t i = 0; i < sizeof(sc->listen) / sizeof(sc->listen[0]); i++)
		LIST_INIT(&sc->listen[i]);
	TAILQ_INIT(&sc->all);
	TAILQ_INIT(&sc->zombies);
	TAILQ_INIT(&sc->notifyq);
	tcp_iss_key(st, sc->iss_key);
	tcp_iss_key(st, sc->cookie_key);
	st->tcp = sc;
	return 0;
}

void
tcp_detach(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	if (sc == NULL)
		return;
	/* ws_stack_free(): release everything without sending anything. */
	while ((tp = TAILQ_FIRST(&sc->all)) != NULL)
		tcp_freetcpcb(tp);
	ws_free(st, sc->hash);
	ws_free(st, sc);
	st->tcp = NULL;
}

/* A fresh control block in CLOSED, with the stack's defaults. */
struct tcpcb *
tcp_newtcpcb(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	if (sc->nconns >= st->cfg.tcp_max_conns) {
		STAT_INC(st, tcp, nomem);
		STAT_INC(st, tcp, connlimit);
		return NULL;
	}
	tp = ws_calloc(st, 1, sizeof(*tp));
	if (tp == NULL) {
		STAT_INC(st, tcp, nomem);
		return NULL;
	}
	tp->t_st = st;
	tp->t_state = TCPS_CLOSED;
	for (int i = 0; i < TCPT_NTIMERS; i++)
		tp->t_timer[i] = WS_TIME_NEVER;
	TAILQ_INIT(&tp->t_q0);
	TAILQ_INIT(&tp->t_q);
	tp->t_sndbuf = st->cfg.tcp_sndbuf;
	tp->t_rcvbuf = st->cfg.tcp_rcvbuf;
	ring_init(st, &tp->t_sndring, tp->t_sndbuf);
	ring_init(st, &tp->t_rcvring, tp->t_rcvbuf);
	asm_init(&tp->t_asm);
	tp->t_flags = TF_REQ_SCALE | TF_REQ_TSTMP | TF_REQ_SACK | TF_RACK;
	tp->t_cc = &tcp_cc_cubic; /* RFC 9438 is the default, as in Linux */
	tp->t_maxseg = TCP_DEFAULT_MSS;
	tp->t_peermss = TCP_DEFAULT_MSS;
	tp->snd_cwnd = TCP_IW_SEGS * TCP_DEFAULT_MSS;
	tp->snd_ssthresh = UINT32_MAX / 2;
	tcp_rtt_init(&tp->t_rtt, TCP_RTO_INITIAL_US, TCP_RTO_MIN_US,
	    (uint32_t)TCP_RTO_MAX_US_CFG);
	tp->t_keepidle = TCP_KEEPIDLE_S;
	tp->t_keepintvl = TCP_KEEPINTVL_S;
	tp->t_keepcntmax = TCP_KEEPCNT;
	/*
	 * RFC 3168 6.1.1: answer ECN-setup SYNs but do not ask, as Linux
	 * (tcp_ecn=2): nothing is lost against a peer that asks, and a SYN
	 * of ours can never be the one a broken middlebox drops.
	 */
	tp->t_ecnmode = WS_TCP_ECN_PASSIVE;
	tp->t_uastart = WS_TIME_NEVER;
	TAILQ_INSERT_TAIL(&sc->all, tp, t_list);
	sc->nconns++;
	return tp;
}

/* Free the memory of a control block (whatever its state). */
void
tcp_freetcpcb(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_softc *sc = st->tcp;

	tcp_hash_remove(tp);
	if (tp->t_head != NULL) {
		struct tcpcb *head = tp->t_head;

		if (tp->t_inq) {
			TAILQ_REMOVE(&head->t_q, tp, t_qe);
			head->t_qlen--;
		} else {
			TAILQ_REMOVE(&head->t_q0, tp, t_qe);
			head->t_q0len--;
		}
		tp->t_head = NULL;
	}
	/* Orphan any children of a listener (detach frees them too). */
	while (!TAILQ_EMPTY(&tp->t_q0)) {
		struct tcpcb *c = TAILQ_FIRST(&tp->t_q0);

		TAILQ_REMOVE(&tp->t_q0, c, t_qe);
		c->t_head = NULL;
	}
	while (!TAILQ_EMPTY(&tp->t_q)) {
		struct tcpcb *c = TAILQ_FIRST(&tp->t_q);

		TAILQ_REMOVE(&tp->t_q, c, t_qe);
		c->t_head = NULL;
	}
	if (tp->t_innq) {
		TAILQ_REMOVE(&sc->notifyq, tp, t_nq);
		tp->t_innq = false;
	}
	tcp_ack_unqueue(tp);
	tcp_theap_remove(tp);
	tcp_zombie_remove(tp);
	tcp_orphan_done(tp);
	if (tp->t_flags & TF_MEMWAIT) {
		tp->t_flags &= ~TF_MEMWAIT;
		sc->nmemwait--;
	}
	tcp_ring_fini(tp, &tp->t_sndring);
	tcp_ring_fini(tp, &tp->t_rcvring);
	tcp_sb_free(tp);
	TAILQ_REMOVE(&sc->all, tp, t_list);
	sc->nconns--;
	ws_free(st, tp);
}

/*
 * Grow the 4-tuple table fourfold once it holds more than two control
 * blocks per chain on average, so lookups stay O(1) however many
 * connections there are.  Out of memory: keep the table as it is.
 */
static void
tcp_hash_grow(struct ws_stack *st, struct tcp_softc *sc)
{
	uint32_t oldn = sc->hashmask + 1, n = oldn * 4;
	struct tcp_chain *old = sc->hash, *h;
	struct tcpcb *tp;

	if (n > TCP_HASH_MAX || (h = ws_calloc(st, n, sizeof(*h))) == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		LIST_INIT(&h[i]);
	sc->hash = h;
	sc->hashmask = n - 1;
	for (uint32_t i = 0; i < oldn; i++)
		while ((tp = LIST_FIRST(&old[i])) != NULL) {
			LIST_REMOVE(tp, t_hash);
			LIST_INSERT_HEAD(&h[tcp_hashval(sc, tp->t_faddr,
			    tp->t_fport, tp->t_lport)], tp, t_hash);
		}
	ws_free(st, old);
}

void
tcp_hash_insert(struct tcpcb *tp)
{
	struct tcp_softc *sc = tp->t_st->tcp;

	WS_ASSERT(!tp->t_hashed);
	if (tp->t_state != TCPS_LISTEN && sc->nconns > 2 * (sc->hashmask + 1))
		tcp_hash_grow(tp->t_st, sc);
	if (tp->t_state == TCPS_LISTEN)
		LIST_INSERT_HEAD(&sc->listen[tp->t_lport & 63], tp, t_hash);
	else
		LIST_INSERT_HEAD(&sc->hash[tcp_hashval(sc, tp->t_faddr,
		    tp->t_fport, tp->t_lport)], tp, t_hash);
	tp->t_hashed = true;
}

void
tcp_hash_remove(struct tcpcb *tp)
{
	if (!tp->t_hashed)
		return;
	LIST_REMOVE(tp, t_hash);
	tp->t_hashed = false;
}

struct tcpcb *
tcp_lookup(struct ws_stack *st, uint32_t laddr, uint16_t lport,
    uint32_t faddr, uint16_t fport)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	LIST_FOREACH(tp, &sc->hash[tcp_hashval(sc, faddr, fport, lport)],
	    t_hash) {
		if (tp->t_fport == fport && tp->t_lport == lport &&
		    tp->t_faddr == faddr && tp->t_laddr == laddr)
			return tp;
	}
	return NULL;
}

struct tcpcb *
tcp_lookup_listen(struct ws_stack *st, uint16_t lport)
{
	struct tcpcb *tp;

	LIST_FOREACH(tp, &st->tcp->listen[lport & 63], t_hash) {
		if (tp->t_lport == lport)
			return tp;
	}
	return NULL;
}

/* Some live tcpcb uses lport as its local port. */
bool
tcp_port_inuse(struct ws_stack *st, uint16_t lport)
{
	struct tcpcb *tp;

	TAILQ_FOREACH(tp, &st->tcp->all, t_list) {
		if (tp->t_lport == lport && !(tp->t_flags & TF_DEAD))
			return true;
	}
	return false;
}

/* RFC 9293 3.4.1 and RFC 6528: the ISN of a new connection. */
uint32_t
tcp_new_iss(struct ws_stack *st, const struct tcpcb *tp)
{
	struct tcp_softc *sc = st->tcp;

	if (sc->iss_forced) {
		sc->iss_forced = false;
		return sc->iss_force;
	}
	return tcp_iss(sc->iss_key, tp->t_laddr, tp->t_lport, tp->t_faddr,
	    tp->t_fport, st->now);
}

/* Test hook: the next connection gets this ISS (wrap-around tests). */
void
tcp_set_iss(struct ws_stack *st, uint32_t iss)
{
	st->tcp->iss_forced = true;
	st->tcp->iss_force = iss;
}

/*
 * The connection is over: no more segments are accepted or sent.  The
 * memory stays until the application has released its handle (it may
 * still read buffered data or the error); tcp_reap frees it.
 */
void
tcp_close(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	if (tp->t_flags & TF_DEAD)
		return;
	if (tp->t_state == TCPS_LISTEN) {
		struct tcpcb *c;

		/* Children not yet accepted die with the listener. */
		while ((c = TAILQ_FIRST(&tp->t_q)) != NULL) {
			tcp_send_rst(c);
			tcp_close(c);
		}
		while ((c = TAILQ_FIRST(&tp->t_q0)) != NULL) {
			tcp_send_rst(c);
			tcp_close(c);
		}
	}
	if (TCPS_HAVEESTABLISHED(tp->t_state))
		STAT_INC(st, tcp, closed);
	tcp_canceltimers(tp);
	tcp_hash_remove(tp);
	if (tp->t_head != NULL) {
		struct tcpcb *head = tp->t_head;

		if (tp->t_inq) {
			TAILQ_REMOVE(&head->t_q, tp, t_qe);
			head->t_qlen--;
		} else {
			TAILQ_REMOVE(&head->t_q0, tp, t_qe);
			head->t_q0len--;
		}
		tp->t_head = NULL;
	}
	tp->t_state = TCPS_CLOSED;
	tcp_orphan_done(tp);
	tp->t_flags |= TF_DEAD;
	tcp_ring_fini(tp, &tp->t_sndring);
	tcp_sb_free(tp);
	if (!(tp->t_flags & TF_HANDLE))
		tcp_zombie_add(tp);
	tcp_notify(tp);
}

/* Drop the connection with an error, sending RST if synchronized. */
void
tcp_drop(struct tcpcb *tp, int error)
{
	struct ws_stack *st = tp->t_st;

	if (TCPS_HAVERCVDSYN(tp->t_state)) {
		tcp_send_rst(tp);
		STAT_INC(st, tcp, drops);
	} else
		STAT_INC(st, tcp, conndrops);
	if (error == WS_ETIMEDOUT && tp->t_softerror != 0 &&
	    tp->t_state == TCPS_SYN_SENT)
		error = tp->t_softerror; /* e.g. EHOSTUNREACH from ICMP */
	tp->t_softerror = error;
	tcp_close(tp);
}

void
tcp_zombie_add(struct tcpcb *tp)
{
	if (!tp->t_inzq) {
		TAILQ_INSERT_TAIL(&tp->t_st->tcp->zombies, tp, t_zq);
		tp->t_inzq = true;
	}
}

void
tcp_zombie_remove(struct tcpcb *tp)
{
	if (tp->t_inzq) {
		TAILQ_REMOVE(&tp->t_st->tcp->zombies, tp, t_zq);
		tp->t_inzq = false;
	}
}

/* Free the dead control blocks nobody holds any more. */
void
tcp_reap(struct ws_stack *st)
{
	struct tcpcb *tp;

	while ((tp = TAILQ_FIRST(&st->tcp->zombies)) != NULL) {
		WS_ASSERT((tp->t_flags & TF_DEAD) &&
		    !(tp->t_flags & TF_HANDLE));
		tcp_freetcpcb(tp); /* takes it off the list */
	}
}

/*
 * The IP parameters of a segment of tp (NULL: of no connection, IP's
 * defaults).  The TOS byte goes to IP unchanged (RFC 9293 SHLD-22), in
 * every segment the connection sends, RSTs and ACKs too.
 */
void
tcp_ip_out(const struct tcpcb *tp, uint32_t laddr, uint32_t faddr,
    struct ip4_out *o)
{
	memset(o, 0, sizeof(*o));
	o->src = laddr;
	o->dst = faddr;
	o->proto = IPPROTO_TCP_;
	o->df = true;
	if (tp != NULL) {
		o->tos = tp->t_tos;
		o->ttl = tp->t_ttl;
	}
}

/*
 * Send a bare RST or ACK outside tcp_output (RFC 9293 3.10.7.1 and the
 * RST/ACK replies of the other states); tp, if not NULL, is the socket
 * it speaks for.
 */
void
tcp_respond(struct ws_stack *st, const struct tcpcb *tp, uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport, uint32_t seq,
    uint32_t ack, uint8_t flags, uint16_t win)
{
	struct tcp_hdr th;
	struct ip4_out o;
	struct pkt *p;
	size_t hlen;

	memset(&th, 0, sizeof(th));
	th.sport = lport;
	th.dport = fport;
	th.seq = seq;
	th.ack = (flags & TH_ACK) ? ack : 0;
	th.flags = flags;
	th.win = win;
	p = pkt_alloc(st, 0);
	if (p == NULL) {
		STAT_INC(st, tcp, nomem);
		return;
	}
	hlen = tcp_wire_optlen(&th.opts) + TCP_HDR_MIN;
	if (pkt_push(p, hlen) == NULL) {
		pkt_free(st, p);
		return;
	}
	tcp_wire_emit(p->data, &th);
	tcp_wire_set_cksum(p->data, p->len, laddr, faddr);
	STAT_INC(st, tcp, sndtotal);
	if (flags & TH_RST) {
		STAT_INC(st, tcp, sndrst);
		STAT_INC(st, tcp, sndctrl);
	} else
		STAT_INC(st, tcp, sndacks);
	tcp_ip_out(tp, laddr, faddr, &o);
	ip4_output(st, p, &o);
}

/* Readiness bits (include/wirestack/tcp.h). */
unsigned
tcp_events(const struct tcpcb *tp)
{
	unsigned ev = 0;

	if (tp->t_state == TCPS_LISTEN) {
		if (tp->t_qlen > 0)
			ev |= WS_TCP_READABLE;
		if (tp->t_softerror != 0)
			ev |= WS_TCP_ERROR;
		return ev;
	}
	if (ring_len(&tp->t_rcvring) > 0 || (tp->t_flags & TF_RCVDFIN) ||
	    (tp->t_flags & TF_DEAD))
		ev |= WS_TCP_READABLE;
	if ((tp->t_state == TCPS_ESTABLISHED ||
	    tp->t_state == TCPS_CLOSE_WAIT) &&
	    !(tp->t_flags & TF_CANTSENDMORE) && ring_space(&tp->t_sndring) > 0 &&
	    (tp->t_sndring.buf != NULL ||
	    tcp_mem_avail(tp->t_st, ring_cap(&tp->t_sndring))))
		ev |= WS_TCP_WRITABLE;
	if ((tp->t_flags & TF_RCVDFIN) ||
	    ((tp->t_flags & TF_DEAD) && (tp->t_flags & TF_WASCONNECTED)))
		ev |= WS_TCP_CLOSED;
	if (tp->t_softerror != 0)
		ev |= WS_TCP_ERROR;
	if (tp->t_flags & TF_WASCONNECTED)
		ev |= WS_TCP_CONNECTED;
	if (tcp_urg_left(tp) > 0)
		ev |= WS_TCP_URGENT;
	if (tp->t_lastsoft != 0)
		ev |= WS_TCP_SOFTERR;
	/* A connection that never existed is not "readable". */
	if ((tp->t_flags & TF_DEAD) && !(tp->t_flags & TF_WASCONNECTED) &&
	    tp->t_softerror == 0 && ring_len(&tp->t_rcvring) == 0)
		ev &= ~WS_TCP_READABLE;
	return ev;
}

/* Readiness may have changed: queue the callback for the end of the call. */
void
tcp_notify(struct tcpcb *tp)
{
	struct tcp_softc *sc = tp->t_st->tcp;

	if (tp->t_cb == NULL || !(tp->t_flags & TF_HANDLE) || tp->t_innq)
		return;
	TAILQ_INSERT_TAIL(&sc->notifyq, tp, t_nq);
	tp->t_innq = true;
}

/*
 * A soft error (RFC 1122 4.2.3.9, RFC 9293 MUST-47, SHLD-25): the
 * connection goes on; the last one waits for ws_tcp_soft_error(), unless
 * the application turned the reports off (SHLD-20).
 */
void
tcp_soft_error(struct tcpcb *tp, int error)
{
	if (tp->t_nosofterr || (tp->t_flags & TF_DEAD))
		return;
	tp->t_lastsoft = error;
	tcp_notify(tp);
}

/*
 * Run the queued callbacks.  Called last in every entry point, so a
 * callback may send, close or abort any socket: control blocks are only
 * freed by tcp_reap afterwards.
 */
void
tcp_deliver(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	while ((tp = TAILQ_FIRST(&sc->notifyq)) != NULL) {
		unsigned ev;

		TAILQ_REMOVE(&sc->notifyq, tp, t_nq);
		tp->t_innq = false;
		if (tp->t_cb == NULL || !(tp->t_flags & TF_HANDLE))
			continue;
		ev = tcp_events(tp);
		tp->t_lastev = ev;
		tp->t_cb(tcpcbtoso(tp), ev, tp->t_cbarg);
	}
	tcp_reap(st);
}

/* The secret offset of our timestamp clock toward tp's peer. */
void
tcp_set_tsoffset(struct tcpcb *tp)
{
	tp->ts_offset = tcp_iss(tp->t_st->tcp->iss_key, tp->t_laddr, 0,
	    tp->t_faddr, 0, 0);
}

/* Our timestamp clock: milliseconds plus a per-peer offset. */
uint32_t
tcp_tsnow(const struct tcpcb *tp)
{
	/*
	 * The offset depends only on the address pair (as Linux): it hides
	 * our uptime, yet successive connections between two hosts see one
	 * monotonic clock, which RFC 6191 TIME-WAIT reuse relies on.
	 */
	return (uint32_t)(tp->t_st->now / WS_USEC_PER_MSEC) + tp->ts_offset;
}

/* The MSS we announce: what fits the path MTU, clamped by WS_TCP_MAXSEG. */
uint32_t
tcp_mss_ours(const struct tcpcb *tp)
{
	uint32_t mss = ip4_maxpayload(tp->t_st);

	mss = mss > TCP_HDR_MIN + TCP_MIN_MSS ? mss - TCP_HDR_MIN :
	    TCP_MIN_MSS;
	if (tp->t_mssclamp != 0 && tp->t_mssclamp < mss)
		mss = tp->t_mssclamp < TCP_MIN_MSS ? TCP_MIN_MSS :
		    tp->t_mssclamp;
	return mss;
}

/*
 * RFC 9293 3.7.1: the segment size we send is the smaller of the peer's
 * MSS (536 when it sent none) and what our own path allows; the
 * timestamp option, when used, comes out of it (RFC 9293 3.7.1, "MSS
 * does not count options").  peermss < 0: no MSS option seen.
 */
void
tcp_mss_update(struct tcpcb *tp, int peermss)
{
	uint32_t mss = tcp_mss_ours(tp);

	if (peermss >= 0) {
		tp->t_peermss = (uint32_t)peermss < TCP_MIN_MSS ? TCP_MIN_MSS :
		    (uint32_t)peermss;
	}
	if (tp->t_peermss < mss)
		mss = tp->t_peermss;
	if ((tp->t_flags & TF_TSOK) == TF_TSOK)
		mss -= TCPOLEN_TS + 2;
	tp->t_maxseg = mss;
}

/* The handshake completed (RFC 9293 3.10.7.3/4: enter ESTABLISHED). */
void
tcp_established(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;

	tp->t_state = TCPS_ESTABLISHED;
	tp->t_flags |= TF_WASCONNECTED;
	STAT_INC(st, tcp, connects);
	/*
	 * RFC 6298 5.7: if the SYN (or SYN,ACK) had to be retransmitted and
	 * no RTT sample exists, data starts with an RTO of 3 s.
	 */
	if (tp->t_rxtshift > 0 && !tp->t_rtt.valid)
		tcp_rtt_init(&tp->t_rtt, 3 * WS_USEC_PER_SEC, TCP_RTO_MIN_US,
		    (uint32_t)TCP_RTO_MAX_US_CFG);
	tp->t_rxtshift = 0;
	tp->t_rxtstart = 0;
	tp->t_uastart = WS_TIME_NEVER; /* the SYN is acknowledged */
	tp->t_cc->init(tp);
	tcp_rack_init(tp);
	tp->t_rcvtime = st->now;
	if (tp->t_flags & TF_KEEPALIVE)
		tcp_timer_arm(tp, TCPT_KEEP,
		    (uint64_t)tp->t_keepidle * WS_USEC_PER_SEC);
	tcp_notify(tp);
	if (tp->t_head != NULL && !tp->t_inq) {
		struct tcpcb *head = tp->t_head;

		/* Move from the embryonic queue to the accept queue. */
		TAILQ_REMOVE(&head->t_q0, tp, t_qe);
		head->t_q0len--;
		TAILQ_INSERT_TAIL(&head->t_q, tp, t_qe);
		head->t_qlen++;
		tp->t_inq = true;
		tcp_notify(head);
	}
}

/* RFC 5961 7: at most TCP_CHALLENGE_ACK_LIMIT challenge ACKs a second. */
bool
tcp_challenge_ok(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;

	if (st->now - sc->chack_second >= WS_USEC_PER_SEC ||
	    st->now < sc->chack_second) {
		sc->chack_second = st->now;
		sc->chack_count = 0;
	}
	if (sc->chack_count >= TCP_CHALLENGE_ACK_LIMIT) {
		STAT_INC(st, tcp, challengelimit);
		return false;
	}
	sc->chack_count++;
	STAT_INC(st, tcp, challengeack);
	return true;
}

/*
 * The retransmission timer times the oldest unacknowledged data (or SYN)
 * from t_uastart on.  With a user timeout it never runs past the moment
 * the connection must be given up (as Linux
 * tcp_clamp_rto_to_user_timeout), so the abort comes at the set time.
 */
static uint64_t
tcp_uto_clamp(struct tcpcb *tp, uint64_t us)
{
	ws_time_t now = tp->t_st->now, end;

	if (tp->t_uastart == WS_TIME_NEVER)
		tp->t_uastart = now;
	if (tp->t_uto == 0)
		return us;
	end = ws_time_add_us(tp->t_uastart, tp->t_uto);
	return end <= now ? 0 : (end - now < us ? end - now : us);
}

/* Arm a timer `us` from now (never at now: next_deadline must advance). */
void
tcp_timer_arm(struct tcpcb *tp, int which, uint64_t us)
{
	if (which == TCPT_REXMT)
		us = tcp_uto_clamp(tp, us);
	if (us == 0)
		us = 1;
	ws_time_t was = tp->t_timer[which];

	tp->t_timer[which] = ws_time_add_us(tp->t_st->now, us);
	/* Keep the timer heap's key exact: it may move either way. */
	if (tp->t_heapidx != 0 && was == tp->t_heapkey &&
	    tp->t_timer[which] > was)
		tcp_theap_resched(tp);
	else
		tcp_theap_sched(tp, tp->t_timer[which]);
}

void
tcp_timer_disarm(struct tcpcb *tp, int which)
{
	ws_time_t was = tp->t_timer[which];

	tp->t_timer[which] = WS_TIME_NEVER;
	/* It was the earliest: the heap key moves later. */
	if (was != WS_TIME_NEVER && tp->t_heapidx != 0 &&
	    was == tp->t_heapkey)
		tcp_theap_resched(tp);
}

void
tcp_canceltimers(struct tcpcb *tp)
{
	for (int i = 0; i < TCPT_NTIMERS; i++)
		tp->t_timer[i] = WS_TIME_NEVER;
	tcp_theap_resched(tp);
}

/* RFC 9293 3.8.6.1: start probing a zero window, with backoff. */
void
tcp_set_persist(struct tcpcb *tp)
{
	uint64_t t = tcp_rtt_rto(&tp->t_rtt);

	/* max(RTO, 500 ms), doubled per probe, at most 60 s. */
	if (t < TCP_PERSMIN_US)
		t = TCP_PERSMIN_US;
	t <<= tp->t_persistshift;
	if (t > TCP_PERSMAX_US)
		t = TCP_PERSMAX_US;
	tcp_timer_arm(tp, TCPT_PERSIST, t);
	if (tp->t_persistshift == 0) {
		/* A new zero-window episode; nothing is being retransmitted. */
		tp->t_persiststart = tp->t_st->now;
		tp->t_uastart = WS_TIME_NEVER;
		tp->t_persistn = 0;
		tp->t_persistprobes = 0;
	}
	if (tp->t_persistshift < TCP_MAXRXTSHIFT)
		tp->t_persistshift++;
}

/* The smallest window shift that lets us announce the whole buffer. */
uint8_t
tcp_wscale_for(uint32_t buf)
{
	uint8_t s = 0;

	while (s < TCP_MAX_WINSHIFT && ((uint32_t)TCP_MAXWIN << s) < buf)
		s++;
	return s;
}

/* tcp_tsnow() of a connection between these addresses (SYN cookies). */
uint32_t
tcp_tsnow_addr(struct ws_stack *st, uint32_t laddr, uint32_t faddr)
{
	return (uint32_t)(st->now / WS_USEC_PER_MSEC) +
	    tcp_iss(st->tcp->iss_key, laddr, 0, faddr, 0, 0);
}

/*
 * A connection born from listener lp for this 4-tuple: it inherits the
 * listener's buffers and options and waits on its embryonic queue.
 */
void
tcp_child_init(struct tcpcb *lp, struct tcpcb *tp, uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport)
{
	tp->t_sndbuf = lp->t_sndbuf;
	tp->t_rcvbuf = lp->t_rcvbuf;
	tcp_ring_set_cap(tp, &tp->t_sndring, tp->t_sndbuf);
	tcp_ring_set_cap(tp, &tp->t_rcvring, tp->t_rcvbuf);
	tp->t_flags = (lp->t_flags & (TF_REQ_SCALE | TF_REQ_TSTMP |
	    TF_REQ_SACK | TF_NODELAY | TF_KEEPALIVE | TF_RACK)) | TF_PASSIVE;
	tp->t_keepidle = lp->t_keepidle;
	tp->t_keepintvl = lp->t_keepintvl;
	tp->t_keepcntmax = lp->t_keepcntmax;
	tp->t_mssclamp = lp->t_mssclamp;
	tp->t_cc = lp->t_cc;
	/* RFC 9293 MUST-48/49: what the listener was told, per connection. */
	tp->t_tos = lp->t_tos;
	tp->t_ttl = lp->t_ttl;
	tp->t_uto = lp->t_uto;
	tp->t_nosofterr = lp->t_nosofterr;
	tp->t_nohystart = lp->t_nohystart;
	tp->t_ecnmode = lp->t_ecnmode;
	tp->t_laddr = laddr;
	tp->t_lport = lport;
	tp->t_faddr = faddr;
	tp->t_fport = fport;
	tcp_set_tsoffset(tp);
	tp->t_head = lp;
	tp->t_inq = false;
	TAILQ_INSERT_TAIL(&lp->t_q0, tp, t_qe);
	lp->t_q0len++;
}

/* tp stops being an orphan (it died, or only TIME-WAIT is left). */
void
tcp_orphan_done(struct tcpcb *tp)
{
	if (tp->t_flags & TF_ORPHAN) {
		tp->t_flags &= ~TF_ORPHAN;
		tp->t_st->tcp->norphans--;
	}
}

/* ---- Buffer memory (cfg.tcp_mem_max) ---- */

bool
tcp_mem_avail(const struct ws_stack *st, size_t bytes)
{
	return st->tcp->mem + bytes <= st->cfg.tcp_mem_max;
}

/* Take `bytes` from the budget; false (and counted) when it is spent. */
bool
tcp_mem_charge(struct ws_stack *st, size_t bytes)
{
	if (!tcp_mem_avail(st, bytes)) {
		STAT_INC(st, tcp, memlimit);
		return false;
	}
	st->tcp->mem += bytes;
	return true;
}

/*
 * Give bytes back.  Sockets whose send found the budget spent learn
 * that they may be writable again.
 */
void
tcp_mem_uncharge(struct ws_stack *st, size_t bytes)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	WS_ASSERT(sc->mem >= bytes);
	sc->mem -= bytes;
	if (sc->nmemwait == 0 || bytes == 0)
		return;
	TAILQ_FOREACH(tp, &sc->all, t_list) {
		if (tp->t_flags & TF_MEMWAIT) {
			tp->t_flags &= ~TF_MEMWAIT;
			sc->nmemwait--;
			tcp_notify(tp);
		}
	}
}

/* Storage for ring r of tp, charged to the budget.  0 or WS_ENOMEM. */
int
tcp_ring_reserve(struct tcpcb *tp, struct ring *r)
{
	struct ws_stack *st = tp->t_st;

	if (r->buf != NULL || ring_cap(r) == 0)
		return 0;
	if (!tcp_mem_charge(st, ring_cap(r)))
		return WS_ENOMEM;
	if (ring_reserve(st, r) != 0) {
		tcp_mem_uncharge(st, ring_cap(r));
		STAT_INC(st, tcp, nomem);
		return WS_ENOMEM;
	}
	return 0;
}

void
tcp_ring_fini(struct tcpcb *tp, struct ring *r)
{
	bool had = r->buf != NULL;

	ring_fini(tp->t_st, r);
	if (had)
		tcp_mem_uncharge(tp->t_st, ring_cap(r));
}

void
tcp_ring_release(struct tcpcb *tp, struct ring *r)
{
	if (ring_empty(r))
		tcp_ring_fini(tp, r);
}

void
tcp_ring_set_cap(struct tcpcb *tp, struct ring *r, uint32_t cap)
{
	if (!ring_empty(r))
		return;
	tcp_ring_fini(tp, r);
	ring_set_cap(tp->t_st, r, cap);
}

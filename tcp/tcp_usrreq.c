/*
 * The socket API of include/wirestack/tcp.h (BSD tcp_usrreq.c): user
 * calls turned into state changes (RFC 9293 3.10.1-3.10.6, OPEN, SEND,
 * RECEIVE, CLOSE, ABORT, STATUS) plus output.  A call that produced
 * segments outside an entry point sends them with stack_kick().
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>
#include <wirestack/tcp.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

#define TCP_EPHEMERAL_LO 49152
#define TCP_EPHEMERAL_N 16384
#define TCP_BACKLOG_MAX 4096
#define TCP_BUF_MIN 1024
#define TCP_BUF_MAX (64u * 1024 * 1024)

/* After a call: send what it queued and free what it released. */
static void
tcp_usr_done(struct ws_stack *st)
{
	if (!st->in_call)
		tcp_reap(st);
	stack_kick(st);
}

WS_EXPORT int
ws_tcp_open(struct ws_stack *st, struct ws_tcp **out)
{
	struct tcpcb *tp;

	*out = NULL;
	tp = tcp_newtcpcb(st);
	if (tp == NULL)
		return WS_ENOMEM;
	tp->t_flags |= TF_HANDLE;
	*out = tcpcbtoso(tp);
	return 0;
}

/* Options that only make sense before the connection starts. */
static bool
tcp_fresh(const struct tcpcb *tp)
{
	return tp->t_state == TCPS_CLOSED && !(tp->t_flags & TF_DEAD);
}

WS_EXPORT int
ws_tcp_setopt(struct ws_tcp *s, enum ws_tcp_opt opt, int value)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;

	if (value < 0)
		return WS_EINVAL;
	switch (opt) {
	case WS_TCP_NODELAY:
		if (value) {
			tp->t_flags |= TF_NODELAY;
			tcp_output(tp);
			tcp_usr_done(st);
		} else
			tp->t_flags &= ~TF_NODELAY;
		return 0;
	case WS_TCP_SNDBUF:
	case WS_TCP_RCVBUF:
		if (!tcp_fresh(tp))
			return WS_EISCONN;
		if ((uint32_t)value < TCP_BUF_MIN || (uint32_t)value > TCP_BUF_MAX)
			return WS_EINVAL;
		if (opt == WS_TCP_SNDBUF) {
			tp->t_sndbuf = (uint32_t)value;
			tcp_ring_set_cap(tp, &tp->t_sndring, tp->t_sndbuf);
		} else {
			tp->t_rcvbuf = (uint32_t)value;
			tcp_ring_set_cap(tp, &tp->t_rcvring, tp->t_rcvbuf);
		}
		return 0;
	case WS_TCP_CC: {
		const struct tcp_cc_ops *cc = tcp_cc_get(value);

		if (cc == NULL)
			return WS_EINVAL;
		if (!tcp_fresh(tp) && tp->t_state != TCPS_LISTEN)
			return WS_EISCONN;
		tp->t_cc = cc;
		return 0;
	}
	case WS_TCP_KEEPALIVE:
		if (value) {
			tp->t_flags |= TF_KEEPALIVE;
			if (TCPS_HAVEESTABLISHED(tp->t_state) &&
			    tp->t_state <= TCPS_CLOSE_WAIT)
				tcp_timer_arm(tp, TCPT_KEEP, (uint64_t)
				    tp->t_keepidle * WS_USEC_PER_SEC);
		} else {
			tp->t_flags &= ~TF_KEEPALIVE;
			tcp_timer_disarm(tp, TCPT_KEEP);
		}
		return 0;
	case WS_TCP_KEEPIDLE:
	case WS_TCP_KEEPINTVL:
	case WS_TCP_KEEPCNT:
		if (value < 1 || value > 32767)
			return WS_EINVAL;
		if (opt == WS_TCP_KEEPIDLE)
			tp->t_keepidle = (uint32_t)value;
		else if (opt == WS_TCP_KEEPINTVL)
			tp->t_keepintvl = (uint32_t)value;
		else
			tp->t_keepcntmax = (uint32_t)value;
		return 0;
	case WS_TCP_SACK:
	case WS_TCP_WSCALE:
	case WS_TCP_TIMESTAMPS: {
		uint32_t f = opt == WS_TCP_SACK ? TF_REQ_SACK :
		    opt == WS_TCP_WSCALE ? TF_REQ_SCALE : TF_REQ_TSTMP;

		if (!tcp_fresh(tp))
			return WS_EISCONN;
		if (value)
			tp->t_flags |= f;
		else
			tp->t_flags &= ~f;
		return 0;
	}
	case WS_TCP_HYSTART:
		/* Before the handshake: it concerns the first slow start. */
		if (!tcp_fresh(tp) && tp->t_state != TCPS_LISTEN)
			return WS_EISCONN;
		tp->t_nohystart = !value;
		return 0;
	case WS_TCP_RACK:
		/* Only before data flows: the scoreboard state depends on it. */
		if (!tcp_fresh(tp) && tp->t_state != TCPS_LISTEN)
			return WS_EISCONN;
		if (value)
			tp->t_flags |= TF_RACK;
		else
			tp->t_flags &= ~TF_RACK;
		return 0;
	case WS_TCP_MAXSEG:
		if (!tcp_fresh(tp))
			return WS_EISCONN;
		if (value != 0 && (value < TCP_MIN_MSS || value > 65535))
			return WS_EINVAL;
		tp->t_mssclamp = (uint32_t)value;
		return 0;
	case WS_TCP_USER_TIMEOUT:
		/* RFC 9293 MUST-21; the next timer arming honours it. */
		if (value > TCP_UTO_MAX_MS)
			return WS_EINVAL;
		tp->t_uto = (uint64_t)value * WS_USEC_PER_MSEC;
		return 0;
	case WS_TCP_SOFTERRORS:
		/* SHLD-20: off also forgets the one pending. */
		tp->t_nosofterr = value == 0;
		if (tp->t_nosofterr)
			tp->t_lastsoft = 0;
		return 0;
	case WS_TCP_TOS:
		/*
		 * MUST-48, SHLD-21: at any time, used from the next segment
		 * on.  The two ECN bits belong to TCP, not the application:
		 * ECT only on data of an ECN connection (RFC 3168 6.1.1,
		 * 6.1.5; Linux masks them too), added by tcp_xmit.
		 */
		if (value > 255)
			return WS_EINVAL;
		tp->t_tos = (uint8_t)(value & ~0x03);
		return 0;
	case WS_TCP_ECN:
		/* RFC 3168 6.1.1: decided in the handshake. */
		if (!tcp_fresh(tp) && tp->t_state != TCPS_LISTEN)
			return WS_EISCONN;
		if (value != WS_TCP_ECN_OFF && value != WS_TCP_ECN_ON &&
		    value != WS_TCP_ECN_PASSIVE)
			return WS_EINVAL;
		tp->t_ecnmode = (uint8_t)value;
		return 0;
	case WS_TCP_TTL:
		/* MUST-49 */
		if (value > 255)
			return WS_EINVAL;
		tp->t_ttl = (uint8_t)value;
		return 0;
	}
	return WS_EINVAL;
}

WS_EXPORT int
ws_tcp_listen(struct ws_tcp *s, uint16_t port, int backlog)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;

	if (!tcp_fresh(tp) || (tp->t_flags & TF_WASCONNECTED))
		return WS_EISCONN;
	if (port == 0 || backlog < 0)
		return WS_EINVAL;
	if (tcp_lookup_listen(st, port) != NULL)
		return WS_EADDRINUSE;
	if (tp->t_lport != 0 && tp->t_lport != port)
		return WS_EINVAL;
	if (tp->t_lport == 0 && tcp_port_inuse(st, port))
		return WS_EADDRINUSE;
	tp->t_lport = port;
	tp->t_laddr = st->addr;
	tp->t_qlimit = backlog == 0 ? 1 : (backlog > TCP_BACKLOG_MAX ?
	    TCP_BACKLOG_MAX : (uint32_t)backlog);
	tp->t_state = TCPS_LISTEN;
	tcp_hash_insert(tp);
	return 0;
}

WS_EXPORT int
ws_tcp_accept(struct ws_tcp *listener, struct ws_tcp **out)
{
	struct tcpcb *lp = sototcpcb(listener), *tp;

	*out = NULL;
	if (lp->t_state != TCPS_LISTEN)
		return WS_EINVAL;
	tp = TAILQ_FIRST(&lp->t_q);
	if (tp == NULL)
		return WS_EAGAIN;
	TAILQ_REMOVE(&lp->t_q, tp, t_qe);
	lp->t_qlen--;
	tp->t_head = NULL;
	tp->t_inq = false;
	tp->t_flags |= TF_HANDLE;
	tcp_zombie_remove(tp); /* if dead: now held by the application */
	*out = tcpcbtoso(tp);
	return 0;
}

WS_EXPORT int
ws_tcp_bind(struct ws_tcp *s, uint16_t port)
{
	struct tcpcb *tp = sototcpcb(s);

	if (!tcp_fresh(tp) || tp->t_lport != 0)
		return WS_EINVAL;
	if (port == 0)
		return 0;
	if (tcp_port_inuse(tp->t_st, port))
		return WS_EADDRINUSE;
	tp->t_lport = port;
	return 0;
}

/* Pick a free ephemeral port for the 4-tuple (RFC 6056 "algorithm 1"). */
static int
tcp_pick_port(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	uint32_t start = ws_random_uniform(st, TCP_EPHEMERAL_N);

	for (uint32_t i = 0; i < TCP_EPHEMERAL_N; i++) {
		/* A few random tries, then a scan from a random point. */
		uint32_t n = i < 16 ? ws_random_uniform(st, TCP_EPHEMERAL_N) :
		    (start + i) % TCP_EPHEMERAL_N;
		uint16_t port = (uint16_t)(TCP_EPHEMERAL_LO + n);

		if (tcp_lookup_listen(st, port) != NULL)
			continue;
		if (tcp_lookup(st, tp->t_laddr, port, tp->t_faddr,
		    tp->t_fport) != NULL)
			continue;
		tp->t_lport = port;
		return 0;
	}
	return WS_EADDRNOTAVAIL;
}

WS_EXPORT int
ws_tcp_connect(struct ws_tcp *s, uint32_t addr, uint16_t port)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;
	int error;

	if (tp->t_state == TCPS_SYN_SENT)
		return WS_EALREADY;
	if (!tcp_fresh(tp) || (tp->t_flags & TF_WASCONNECTED))
		return WS_EISCONN;
	if (addr == 0 || addr == 0xffffffffu || port == 0 ||
	    (addr & 0xf0000000u) >= 0xe0000000u)
		return WS_EADDRNOTAVAIL;
	/*
	 * RFC 9293 3.9.1.1 (MUST-46): an active open to a broadcast
	 * address is refused; that includes our subnet's directed
	 * broadcast (as Linux does, with ENETUNREACH); a /31 has none
	 * (RFC 3021).
	 */
	if (st->netmask != 0 && st->netmask < 0xfffffffeu &&
	    stack_onlink(st, addr) && (addr | st->netmask) == 0xffffffffu)
		return WS_ENETUNREACH;
	tp->t_laddr = st->addr;
	tp->t_faddr = addr;
	tp->t_fport = port;
	if (tp->t_lport == 0) {
		if ((error = tcp_pick_port(tp)) != 0) {
			tp->t_faddr = 0;
			tp->t_fport = 0;
			return error;
		}
	} else if (tcp_lookup(st, tp->t_laddr, tp->t_lport, addr, port) !=
	    NULL) {
		tp->t_faddr = 0;
		tp->t_fport = 0;
		return WS_EADDRINUSE;
	}
	/* RFC 9293 3.10.1: select an ISS, send SYN, enter SYN-SENT. */
	{
		uint8_t s_ = 0;

		while (s_ < TCP_MAX_WINSHIFT &&
		    ((uint32_t)TCP_MAXWIN << s_) < tp->t_rcvbuf)
			s_++;
		tp->request_r_scale = s_;
	}
	tp->iss = tcp_new_iss(st, tp);
	tcp_set_tsoffset(tp);
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_recover = tp->iss;
	tp->t_state = TCPS_SYN_SENT;
	tcp_mss_update(tp, -1);
	tcp_hash_insert(tp);
	STAT_INC(st, tcp, connattempt);
	error = tcp_output(tp);
	if (error == WS_ENETUNREACH || error == WS_EHOSTUNREACH) {
		tcp_canceltimers(tp);
		tcp_hash_remove(tp);
		tp->t_state = TCPS_CLOSED;
		tp->t_lport = 0;
		tp->t_faddr = 0;
		tp->t_fport = 0;
		return error;
	}
	tcp_usr_done(st);
	return WS_EINPROGRESS;
}

/* The pending error, cleared (BSD so_error). */
static int
tcp_take_error(struct tcpcb *tp)
{
	int error = tp->t_softerror;

	tp->t_softerror = 0;
	return error;
}

/*
 * RFC 9293 3.10.2 SEND: queue data; urgent: the bytes taken end the
 * urgent data (SND.UP just past them, MUST-62).
 */
static ssize_t
tcp_usr_send(struct tcpcb *tp, const void *buf, size_t len, bool urgent)
{
	struct ws_stack *st = tp->t_st;
	uint32_t n, want;

	if (tp->t_softerror != 0)
		return tcp_take_error(tp);
	if (tp->t_flags & TF_CANTSENDMORE)
		return WS_EPIPE;
	if (tp->t_flags & TF_DEAD)
		return (tp->t_flags & TF_WASCONNECTED) ? WS_EPIPE :
		    WS_ENOTCONN;
	switch (tp->t_state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return WS_ENOTCONN;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return WS_EAGAIN; /* WRITABLE comes with CONNECTED */
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	default:
		return WS_EPIPE;
	}
	if (len == 0)
		return 0;
	want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	if (ring_space(&tp->t_sndring) == 0)
		return WS_EAGAIN;
	if (tcp_ring_reserve(tp, &tp->t_sndring) != 0) {
		/*
		 * The stack's buffer memory (tcp_mem_max) is spent: the
		 * buffer counts as full until some is given back, then the
		 * socket is notified (TF_MEMWAIT).
		 */
		if (!(tp->t_flags & TF_MEMWAIT)) {
			tp->t_flags |= TF_MEMWAIT;
			st->tcp->nmemwait++;
		}
		return WS_EAGAIN;
	}
	n = ring_write(st, &tp->t_sndring, buf, want);
	if (n == 0)
		return WS_ENOMEM;
	if (urgent) {
		/*
		 * Urgent mode lasts until SND.UP is acknowledged; one
		 * segment goes at once (an ACK carrying the pointer if the
		 * window holds the data back), as BSD sends in urgent mode.
		 */
		tp->snd_up = tcp_snd_data_start(tp) + ring_len(&tp->t_sndring);
		tp->t_sndurg = true;
		tp->t_flags |= TF_ACKNOW;
	}
	tcp_output(tp);
	tcp_usr_done(st);
	return (ssize_t)n;
}

WS_EXPORT ssize_t
ws_tcp_send(struct ws_tcp *s, const void *buf, size_t len)
{
	return tcp_usr_send(sototcpcb(s), buf, len, false);
}

WS_EXPORT ssize_t
ws_tcp_send_urgent(struct ws_tcp *s, const void *buf, size_t len)
{
	struct tcpcb *tp = sototcpcb(s);

	/* RFC 9293 3.8.5: an urgent indication needs a data octet. */
	if (len == 0)
		return WS_EINVAL;
	return tcp_usr_send(tp, buf, len, true);
}

WS_EXPORT int
ws_tcp_urgent(const struct ws_tcp *s, size_t *left)
{
	const struct tcpcb *tp = sototcpcb(s);
	uint32_t n;

	if (left != NULL)
		*left = 0;
	if (tp->t_state == TCPS_LISTEN)
		return WS_ENOTCONN;
	n = tcp_urg_left(tp);
	if (left != NULL)
		*left = n;
	return n > 0;
}

WS_EXPORT ssize_t
ws_tcp_recv(struct ws_tcp *s, void *buf, size_t len)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;
	uint32_t n;

	if (tp->t_state == TCPS_LISTEN)
		return WS_ENOTCONN;
	n = ring_read(&tp->t_rcvring, buf,
	    len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	if (n > 0) {
		/* Read past the urgent data: urgent mode is over. */
		if (tp->t_rcvurg && tcp_urg_left(tp) == 0)
			tp->t_rcvurg = false;
		/*
		 * Drained, no out-of-order data past it: give the storage
		 * back, so an idle connection costs no buffer (it comes
		 * back on the next segment, from malloc's free lists).
		 */
		if (ring_empty(&tp->t_rcvring) && asm_empty(&tp->t_asm))
			tcp_ring_release(tp, &tp->t_rcvring);
		/* Room opened: maybe a window update (receiver SWS rules). */
		if (!(tp->t_flags & TF_DEAD))
			tcp_output(tp);
		tcp_usr_done(st);
		return (ssize_t)n;
	}
	if (len == 0 && ring_len(&tp->t_rcvring) > 0)
		return 0;
	if (tp->t_softerror != 0)
		return tcp_take_error(tp);
	if ((tp->t_flags & (TF_RCVDFIN | TF_CANTRCVMORE)) ||
	    ((tp->t_flags & TF_DEAD) && (tp->t_flags & TF_WASCONNECTED)))
		return 0;
	if (tp->t_state == TCPS_CLOSED)
		return WS_ENOTCONN;
	return WS_EAGAIN;
}

/*
 * RFC 9293 3.10.4 CLOSE for our side of the stream: FIN after the queued
 * data (ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK).
 */
static void
tcp_usrclosed(struct tcpcb *tp)
{
	tp->t_flags |= TF_CANTSENDMORE;
	switch (tp->t_state) {
	case TCPS_SYN_RECEIVED:
		/* Our SYN is not acknowledged yet: give up with a RST. */
		tcp_drop(tp, WS_ECONNABORTED);
		return;
	case TCPS_ESTABLISHED:
		tp->t_state = TCPS_FIN_WAIT_1;
		break;
	case TCPS_CLOSE_WAIT:
		tp->t_state = TCPS_LAST_ACK;
		break;
	default:
		break;
	}
	tcp_output(tp);
}

WS_EXPORT int
ws_tcp_shutdown(struct ws_tcp *s, int how)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;

	if (how != WS_SHUT_RD && how != WS_SHUT_WR && how != WS_SHUT_RDWR)
		return WS_EINVAL;
	if (!TCPS_HAVERCVDSYN(tp->t_state) || (tp->t_flags & TF_DEAD)) {
		if (tp->t_state == TCPS_SYN_SENT) {
			tcp_close(tp);
			return 0;
		}
		return WS_ENOTCONN;
	}
	if (how != WS_SHUT_WR)
		tp->t_flags |= TF_CANTRCVMORE;
	if (how != WS_SHUT_RD && !(tp->t_flags & TF_CANTSENDMORE))
		tcp_usrclosed(tp);
	tcp_usr_done(st);
	return 0;
}

WS_EXPORT int
ws_tcp_close(struct ws_tcp *s)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;

	tp->t_cb = NULL;
	tp->t_flags &= ~TF_HANDLE;
	if (tp->t_flags & TF_DEAD) {
		tcp_zombie_add(tp);
		tcp_usr_done(st);
		return 0;
	}
	switch (tp->t_state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tcp_close(tp);
		break;
	default:
		if (ring_len(&tp->t_rcvring) > 0 && (tp->t_state <=
		    TCPS_FIN_WAIT_1 || tp->t_state == TCPS_FIN_WAIT_2)) {
			/*
			 * RFC 2525 2.17 (as Linux): closing with unread data
			 * aborts, so the peer learns it was not consumed.
			 */
			tcp_drop(tp, WS_ECONNABORTED);
			break;
		}
		/* Nobody will read any more: give the memory back now. */
		tcp_ring_fini(tp, &tp->t_rcvring);
		tcp_usrclosed(tp);
		if (tp->t_flags & TF_DEAD || tp->t_state == TCPS_TIME_WAIT)
			break;
		if (tp->t_state == TCPS_FIN_WAIT_2)
			tcp_timer_arm(tp, TCPT_2MSL, TCP_FIN2_US);
		/*
		 * An orphan: it lives on to deliver its data and FIN, with
		 * no one to abort it.  Too many of them and the newest is
		 * reset at once (Linux tcp_max_orphans); each gives up after
		 * tcp_orphan_retries unanswered retransmissions or probes.
		 */
		if (st->tcp->norphans >= st->cfg.tcp_max_orphans) {
			STAT_INC(st, tcp, orphanlimit);
			tcp_drop(tp, WS_ECONNABORTED);
			break;
		}
		tp->t_flags |= TF_ORPHAN;
		st->tcp->norphans++;
		break;
	}
	tcp_usr_done(st);
	return 0;
}

WS_EXPORT void
ws_tcp_abort(struct ws_tcp *s)
{
	struct tcpcb *tp = sototcpcb(s);
	struct ws_stack *st = tp->t_st;

	tp->t_cb = NULL;
	tp->t_flags &= ~TF_HANDLE;
	if (tp->t_flags & TF_DEAD) {
		tcp_zombie_add(tp);
	} else {
		/* RFC 9293 3.10.5 ABORT: RST in synchronized states. */
		if (tp->t_state != TCPS_LISTEN && TCPS_HAVERCVDSYN(tp->t_state))
			tcp_drop(tp, WS_ECONNABORTED);
		else
			tcp_close(tp);
	}
	tcp_usr_done(st);
}

WS_EXPORT unsigned
ws_tcp_events(const struct ws_tcp *s)
{
	return tcp_events(sototcpcb(s));
}

WS_EXPORT int
ws_tcp_error(struct ws_tcp *s)
{
	return tcp_take_error(sototcpcb(s));
}

WS_EXPORT int
ws_tcp_soft_error(struct ws_tcp *s)
{
	struct tcpcb *tp = sototcpcb(s);
	int error = tp->t_lastsoft;

	tp->t_lastsoft = 0;
	return error;
}

WS_EXPORT void
ws_tcp_set_callback(struct ws_tcp *s, ws_tcp_event_fn fn, void *arg)
{
	struct tcpcb *tp = sototcpcb(s);

	tp->t_cb = fn;
	tp->t_cbarg = arg;
}

WS_EXPORT void *
ws_tcp_userdata(const struct ws_tcp *s)
{
	return sototcpcb(s)->t_userdata;
}

WS_EXPORT void
ws_tcp_set_userdata(struct ws_tcp *s, void *data)
{
	sototcpcb(s)->t_userdata = data;
}

WS_EXPORT int
ws_tcp_info(const struct ws_tcp *s, struct ws_tcp_info *info)
{
	const struct tcpcb *tp = sototcpcb(s);

	memset(info, 0, sizeof(*info));
	info->state = (enum ws_tcp_state)tp->t_state;
	info->local_addr = tp->t_laddr;
	info->remote_addr = tp->t_faddr;
	info->local_port = tp->t_lport;
	info->remote_port = tp->t_fport;
	info->rtt_us = tp->t_rtt.srtt_us;
	info->rttvar_us = tp->t_rtt.rttvar_us;
	info->rto_us = tcp_rtt_rto(&tp->t_rtt);
	info->snd_mss = tp->t_maxseg;
	info->rcv_mss = tp->t_ourmss;
	info->snd_cwnd = tp->snd_cwnd;
	info->snd_ssthresh = tp->snd_ssthresh;
	info->snd_wnd = tp->snd_wnd;
	info->rcv_wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
	    tp->rcv_adv - tp->rcv_nxt : 0;
	info->snd_wscale = tp->snd_scale;
	info->rcv_wscale = tp->rcv_scale;
	info->sack_ok = (tp->t_flags & TF_SACK_PERMIT) != 0;
	info->ts_ok = (tp->t_flags & TF_TSOK) == TF_TSOK;
	info->unacked = tp->snd_max - tp->snd_una;
	info->bytes_sent = tp->t_bytes_sent;
	info->bytes_acked = tp->t_bytes_acked;
	info->bytes_received = tp->t_bytes_received;
	info->retransmits = tp->t_retransmits;
	info->rtos = tp->t_rtos;
	info->cc = (uint8_t)tcp_cc_id(tp->t_cc);
	info->rack = (tp->t_flags & TF_RACK) && tcp_sb_active(tp);
	info->reordering = tp->t_rack.reordering_seen;
	info->in_recovery = (tp->t_flags & TF_FASTRECOVERY) ? 1 :
	    (tp->t_flags & TF_LOSSRECOVERY) ? 2 : 0;
	info->pipe = tcp_sb_active(tp) ? tcp_sack_pipe(tp) :
	    tp->snd_max - tp->snd_una;
	info->sacked = tp->t_sb.sacked;
	info->lost = tp->t_sb.lost;
	info->reo_wnd_us = tcp_rack_reo_wnd(tp);
	info->fast_retransmits = tp->t_fastrexmits;
	info->sack_recoveries = tp->t_sackrecoveries;
	info->rack_detections = tp->t_rackdetects;
	info->tlps = tp->t_tlps;
	info->spurious_undos = tp->t_undos;
	info->dsacks = tp->t_dsacks;
	return 0;
}

WS_EXPORT size_t
ws_tcp_sendspace(const struct ws_tcp *s)
{
	const struct tcpcb *tp = sototcpcb(s);

	if (tp->t_state != TCPS_ESTABLISHED && tp->t_state != TCPS_CLOSE_WAIT)
		return 0;
	if (tp->t_flags & (TF_CANTSENDMORE | TF_DEAD))
		return 0;
	return ring_space(&tp->t_sndring);
}

WS_EXPORT size_t
ws_tcp_recvavail(const struct ws_tcp *s)
{
	return ring_len(&sototcpcb(s)->t_rcvring);
}

WS_EXPORT const char *
ws_tcp_state_name(enum ws_tcp_state state)
{
	static const char *const names[TCP_NSTATES] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
		"CLOSE_WAIT", "FIN_WAIT_1", "CLOSING", "LAST_ACK",
		"FIN_WAIT_2", "TIME_WAIT",
	};

	if ((unsigned)state >= TCP_NSTATES)
		return "UNKNOWN";
	return names[state];
}

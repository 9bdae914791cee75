/*
 * Fuzz target: the whole input path of a stack in a chosen state.
 *
 * Two stacks, A (198.18.0.1, the target) and B (198.18.0.2, a real peer),
 * run over the in-memory link in virtual time with counting allocators.
 * The first input byte picks a scenario; the harness drives a real
 * conversation with the public API until A is in that state (listening,
 * handshaking, established with data in flight both ways, or in one of
 * the closing states).  The rest of the input is a program of steps:
 *
 *	- a TCP segment to A, built from input fields with the addresses,
 *	  ports and checksums filled in and the sequence and acknowledgment
 *	  numbers optionally relative to A's own state (rcv_nxt, snd_una,
 *	  snd_max), so that the fuzzer reaches deep states instead of being
 *	  stopped by checksums and window checks;
 *	- the same segment cut into IPv4 fragments (overlaps, reordering);
 *	- an ICMP error quoting one of A's segments;
 *	- an ARP request or reply;
 *	- a raw frame, with the IPv4/TCP/ICMP checksums optionally fixed up;
 *	- a time advance (microseconds to minutes, or to the next deadline);
 *	- a run of the real conversation between A and B;
 *	- an application call on A or B (send, recv, shutdown, close,
 *	  abort, accept, connect, setopt, getters).
 *
 * After every step the invariants below are checked on both stacks; after
 * the last one both stacks are freed and the counting allocators must be
 * back to zero.
 *
 * Invariants (check_stack):
 *	- every connection: SEQ_LEQ(snd_una, snd_nxt), SEQ_LEQ(snd_nxt,
 *	  snd_max); the bytes in flight are in the send ring;
 *	- rings: len <= cap, head < cap, no length without storage;
 *	- the assembler's blocks are sorted, disjoint, non-adjacent, leave a
 *	  hole at offset 0 and fit in the receive ring's free space;
 *	- listener queues match their counters, the accept queue is within
 *	  the backlog and the handshakes within the SYN backlog;
 *	- the connection count matches the list;
 *	- nothing is left on the transmit queue after an entry call;
 *	- after ws_stack_poll(now) no layer has a deadline <= now (a timer
 *	  that stays due would make the application's loop spin);
 *	- live allocations stay bounded.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/wirestack.h>

#include "arp/arp_var.h"
#include "arp/arp_wire.h"
#include "core/cksum.h"
#include "core/endian.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "ipv4/ip4_wire.h"
#include "link/ether_wire.h"
#include "tcp/tcp_var.h"
#include "tests/fuzz/fuzz.h"
#include "tests/lib/harness.h"

#define PORT_A 80          /* A's listener (A as server) */
#define PORT_B 5001        /* B's listener (A as client) */
#define ADDR_OTHER 0xc6120003u /* 198.18.0.3: on-link, unknown */
#define NHANDLES 4
#define MAX_STEPS 256
#define MAX_LIVE 200000    /* allocations; far above any sane state */
#define FRAME_MAX 1514
#define MAX_RUN_SEGMENTS 20000

/* WS_FUZZ_ALLOW_STORM: do not fail on segment storms (to fuzz past a
 * known ACK-loop bug). */
static bool allow_storm;

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

enum scenario {
	SC_LISTEN,
	SC_SYN_SENT,
	SC_SYN_RECEIVED,
	SC_ESTABLISHED,
	SC_INFLIGHT,      /* established, unacked data both ways */
	SC_CLOSE_WAIT,
	SC_LAST_ACK,
	SC_FIN_WAIT_1,
	SC_FIN_WAIT_2,
	SC_CLOSING,
	SC_TIME_WAIT,
	SC_ZEROWIN,       /* A's receive window is full */
	SC_COUNT
};

/* Scenario byte: low 4 bits the scenario, then these. */
#define SEL_SERVER 0x10    /* A is the passive side */
#define SEL_IPMEDIUM 0x20  /* bare IPv4 link, no Ethernet/ARP */
#define SEL_SMALLBUF 0x40  /* 4 KiB socket buffers */
#define SEL_NOOPTS 0x80    /* A offers no SACK/TS/WS */

struct fz {
	const uint8_t *p;
	size_t n;
	uint8_t sel;
	bool ether;
	struct wt_pair pair;
	struct ws_tcp *ha[NHANDLES];  /* A's handles; ha[0] the connection */
	struct ws_tcp *hb[NHANDLES];  /* B's */
	struct ws_tcp *lsn_a, *lsn_b; /* listeners (also in ha/hb) */
	uint16_t aport, bport;        /* the connection's ports, 0: none */
	uint16_t ipid;
	bool stormed;                 /* a run hit MAX_RUN_SEGMENTS */
};

/* ---- Input cursor: reads past the end return zeros. ---- */

static uint8_t
get8(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static uint16_t
get16(struct fz *f)
{
	return (uint16_t)(get8(f) << 8 | get8(f));
}

static uint32_t
get32(struct fz *f)
{
	return (uint32_t)get16(f) << 16 | get16(f);
}

/* ---- Invariants ---- */

static void
check_ring(const struct ring *r)
{
	FUZZ_CHECK(r->len <= r->cap);
	FUZZ_CHECK(r->cap == 0 ? r->head == 0 : r->head < r->cap);
	FUZZ_CHECK(r->buf != NULL || r->len == 0);
}

static void
check_tcpcb(const struct tcpcb *tp)
{
	const struct assembler *a = &tp->t_asm;
	uint32_t prev_end = 0;

	FUZZ_CHECK(tp->t_state >= TCPS_CLOSED && tp->t_state < TCP_NSTATES);
	check_ring(&tp->t_sndring);
	check_ring(&tp->t_rcvring);

	FUZZ_CHECK(a->n <= ASM_MAX_BLOCKS);
	for (uint32_t i = 0; i < a->n; i++) {
		FUZZ_CHECK(a->blk[i].start < a->blk[i].end);
		/* Sorted, disjoint, not adjacent (merged), hole at 0. */
		FUZZ_CHECK(i == 0 ? a->blk[i].start > 0 :
		    a->blk[i].start > prev_end);
		prev_end = a->blk[i].end;
	}
	/* Out-of-order bytes live in the ring's free space. */
	if (a->n > 0)
		FUZZ_CHECK(prev_end <= ring_space(&tp->t_rcvring));

	if (tp->t_state >= TCPS_SYN_SENT) {
		uint32_t start = tcp_snd_data_start(tp);

		FUZZ_CHECK(SEQ_LEQ(tp->snd_una, tp->snd_nxt));
		FUZZ_CHECK(SEQ_LEQ(tp->snd_nxt, tp->snd_max));
		/* Data sent and not acknowledged is still in the ring. */
		if (SEQ_GT(tp->snd_max, start)) {
			uint32_t flight = tp->snd_max - start;
			uint32_t fin = (tp->t_flags & TF_SENTFIN) ? 1 : 0;

			FUZZ_CHECK(flight <= ring_len(&tp->t_sndring) + fin);
		}
	}
	if (tp->t_state == TCPS_LISTEN) {
		const struct tcpcb *c;
		uint32_t n0 = 0, n = 0;

		TAILQ_FOREACH(c, &tp->t_q0, t_qe) {
			FUZZ_CHECK(c->t_head == tp && !c->t_inq);
			n0++;
		}
		TAILQ_FOREACH(c, &tp->t_q, t_qe) {
			FUZZ_CHECK(c->t_head == tp && c->t_inq);
			n++;
		}
		FUZZ_CHECK(n0 == tp->t_q0len && n == tp->t_qlen);
		/* The backlog bounds the accept queue; the SYN backlog the
		 * handshakes in progress (beyond it: SYN cookies). */
		FUZZ_CHECK(n <= tp->t_qlimit);
		FUZZ_CHECK(n0 <= tp->t_st->cfg.tcp_syn_backlog);
	}
}

static void
check_stack(struct ws_stack *st, const struct wt_alloc *al, bool polled)
{
	const struct tcpcb *tp;
	uint32_t n = 0, nz = 0;

	FUZZ_CHECK(st->txq.count == 0 && st->txq.first == NULL);
	FUZZ_CHECK(!st->in_call);

	TAILQ_FOREACH(tp, &st->tcp->all, t_list) {
		check_tcpcb(tp);
		/* Exactly the dead, unheld ones wait to be reaped. */
		FUZZ_CHECK(tp->t_inzq == ((tp->t_flags & TF_DEAD) &&
		    !(tp->t_flags & TF_HANDLE)));
		nz += tp->t_inzq;
		n++;
	}
	FUZZ_CHECK(n == st->tcp->nconns);
	TAILQ_FOREACH(tp, &st->tcp->zombies, t_zq)
		nz--;
	FUZZ_CHECK(nz == 0);
	FUZZ_CHECK(al->live < MAX_LIVE);
	if (polled) {
		FUZZ_CHECK(arp_next_deadline(st) > st->now);
		FUZZ_CHECK(ip4_next_deadline(st) > st->now);
		FUZZ_CHECK(tcp_next_deadline(st) > st->now);
	}
}

static void
check_all(struct fz *f, bool polled)
{
	check_stack(f->pair.a, &f->pair.alloc_a, polled);
	check_stack(f->pair.b, &f->pair.alloc_b, false);
}

/* ---- Driving the pair ---- */

static void
poll_a(struct fz *f)
{
	ws_stack_poll(f->pair.a, f->pair.now);
	check_all(f, true);
}

static uint64_t
segments_sent(const struct fz *f)
{
	return f->pair.a->stats.tcp.sndtotal + f->pair.b->stats.tcp.sndtotal;
}

/*
 * Let A and B talk for `us` of virtual time.  Two stacks left alone must
 * not answer each other forever: a run of at most half a second moves at
 * most a few hundred segments (the socket buffers bound the data), so
 * MAX_RUN_SEGMENTS means an ACK loop (each side answering the other's
 * segment at once, with no time passing).
 */
static void
run_pair(struct fz *f, uint64_t us)
{
	struct wt_pair *p = &f->pair;
	uint64_t before = segments_sent(f);
	ws_time_t end = p->now + us;

	/* wt_pair_run(), but it stops as soon as a storm shows. */
	for (;;) {
		ws_time_t next;

		ws_stack_poll(p->a, p->now);
		ws_stack_poll(p->b, p->now);
		if (segments_sent(f) - before > MAX_RUN_SEGMENTS)
			break;
		next = ws_time_min(ws_stack_next_deadline(p->a),
		    ws_stack_next_deadline(p->b));
		if (next <= p->now)
			continue;
		if (next == WS_TIME_NEVER || next > end) {
			p->now = end;
			ws_stack_poll(p->a, p->now);
			ws_stack_poll(p->b, p->now);
			break;
		}
		p->now = next;
	}
	check_all(f, false);
	if (segments_sent(f) - before > MAX_RUN_SEGMENTS)
		f->stormed = true; /* WS_FUZZ_ALLOW_STORM: stop the input */
	if (!allow_storm && segments_sent(f) - before > MAX_RUN_SEGMENTS)
		fprintf(stderr, "segment storm: %llu segments in %llu us\n",
		    (unsigned long long)(segments_sent(f) - before),
		    (unsigned long long)us);
	FUZZ_CHECK(allow_storm || segments_sent(f) - before <= MAX_RUN_SEGMENTS);
}

static enum ws_tcp_state
state_of(struct ws_tcp *s)
{
	struct ws_tcp_info info;

	if (s == NULL || ws_tcp_info(s, &info) != 0)
		return WS_TCPS_CLOSED;
	return info.state;
}

struct wait_state {
	struct ws_tcp *s;
	enum ws_tcp_state state;
};

static bool
reached(void *arg)
{
	struct wait_state *w = arg;

	return state_of(w->s) == w->state;
}

static bool
run_until(struct fz *f, struct ws_tcp *s, enum ws_tcp_state state)
{
	struct wait_state w = { s, state };
	bool ok = wt_pair_run(&f->pair, reached, &w, 10 * WS_USEC_PER_SEC);

	check_all(f, false);
	return ok;
}

static uint8_t tune_sel;

static void
tune(struct ws_stack_config *cfg, int side)
{
	cfg->no_announce = true;
	if (tune_sel & SEL_SMALLBUF) {
		cfg->tcp_sndbuf = 4096;
		cfg->tcp_rcvbuf = 4096;
	}
	/* Keep the maximum state small: a fuzzer must not build 64k TCBs. */
	cfg->tcp_max_conns = 64;
	cfg->arp_entries = 16;
	cfg->reass_datagrams = 8;
	cfg->reass_bytes = 256 * 1024;
	cfg->tcp_syn_backlog = 4;  /* reach the SYN cookies */
	(void)side;
}

static void
fill(uint8_t *buf, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
}

static void
send_some(struct ws_tcp *s, size_t len)
{
	static uint8_t buf[65536];

	if (len > sizeof(buf))
		len = sizeof(buf);
	fill(buf, len, (uint32_t)len);
	(void)ws_tcp_send(s, buf, len);
}

static void
drain(struct ws_tcp *s)
{
	uint8_t buf[4096];

	while (ws_tcp_recv(s, buf, sizeof(buf)) > 0)
		;
}

/*
 * Establish A <-> B: ha[0] and hb[0] are the two ends.  A is passive
 * (listener ha[1] on PORT_A) or active (B listens on PORT_B, hb[1]).
 * Returns false when the handshake did not complete.
 */
static bool
establish(struct fz *f, bool complete)
{
	struct ws_stack *a = f->pair.a, *b = f->pair.b;
	struct ws_tcp **cli, **srv, **lsn;
	struct ws_stack *cst, *sst;
	uint32_t saddr;
	uint16_t port;

	if (f->sel & SEL_SERVER) {
		cst = b, sst = a, saddr = WT_ADDR_A, port = PORT_A;
		cli = &f->hb[0], srv = &f->ha[0], lsn = &f->ha[1];
	} else {
		cst = a, sst = b, saddr = WT_ADDR_B, port = PORT_B;
		cli = &f->ha[0], srv = &f->hb[0], lsn = &f->hb[1];
	}
	if (ws_tcp_open(sst, lsn) != 0 || ws_tcp_listen(*lsn, port, 4) != 0)
		return false;
	if (sst == a)
		f->lsn_a = *lsn;
	else
		f->lsn_b = *lsn;
	if (ws_tcp_open(cst, cli) != 0)
		return false;
	if (f->sel & SEL_NOOPTS) {
		struct ws_tcp *s = f->sel & SEL_SERVER ? *lsn : *cli;

		ws_tcp_setopt(s, WS_TCP_SACK, 0);
		ws_tcp_setopt(s, WS_TCP_TIMESTAMPS, 0);
		ws_tcp_setopt(s, WS_TCP_WSCALE, 0);
	}
	if (ws_tcp_connect(*cli, saddr, port) != WS_EINPROGRESS)
		return false;
	if (!complete)
		return true;
	if (!run_until(f, *cli, WS_TCPS_ESTABLISHED))
		return false;
	/* The server side may need one more round for the final ACK. */
	for (int i = 0; i < 4 && *srv == NULL; i++) {
		if (ws_tcp_accept(*lsn, srv) != 0)
			run_pair(f, 1000);
	}
	return *srv != NULL;
}

static void
note_ports(struct fz *f)
{
	struct ws_tcp_info info;

	if (f->ha[0] != NULL && ws_tcp_info(f->ha[0], &info) == 0) {
		f->aport = info.local_port;
		f->bport = info.remote_port;
	}
}

/* Put A into the scenario's state.  False: give up on this input. */
static bool
setup(struct fz *f, const uint8_t *data, size_t size)
{
	struct wt_pair_opts opts;
	struct ws_tcp *a0, *b0;
	enum scenario sc;

	memset(f, 0, sizeof(*f));
	f->p = data;
	f->n = size;
	f->sel = get8(f);
	sc = (enum scenario)((f->sel & 0x0f) % SC_COUNT);
	f->ether = !(f->sel & SEL_IPMEDIUM);
	memset(&opts, 0, sizeof(opts));
	opts.mem.medium = f->ether ? WS_MEDIUM_ETHERNET : WS_MEDIUM_IP;
	opts.seed = 1;
	tune_sel = f->sel;
	opts.tune = tune;
	if (wt_pair_setup(&f->pair, &opts) != 0)
		return false;
	f->ipid = 1;

	switch (sc) {
	case SC_LISTEN:
		if (ws_tcp_open(f->pair.a, &f->ha[1]) != 0 ||
		    ws_tcp_listen(f->ha[1], PORT_A, 2) != 0)
			return false;
		f->lsn_a = f->ha[1];
		/* Let B resolve A so that ARP is warm both ways. */
		f->aport = PORT_A;
		f->bport = 40000;
		return true;
	case SC_SYN_SENT:
		f->sel &= (uint8_t)~SEL_SERVER;
		if (!establish(f, false))
			return false;
		poll_a(f); /* SYN out (and ARP request on Ethernet) */
		note_ports(f);
		return true;
	case SC_SYN_RECEIVED:
		f->sel |= SEL_SERVER;
		if (!establish(f, false))
			return false;
		/* B's SYN reaches A; A's SYN-ACK is not delivered. */
		for (int i = 0; i < 6; i++) {
			ws_stack_poll(f->pair.b, f->pair.now);
			ws_stack_poll(f->pair.a, f->pair.now);
			if (f->pair.a->tcp->nconns > 1)
				break;
		}
		check_all(f, false);
		f->aport = PORT_A;
		{
			struct ws_tcp_info info;

			if (ws_tcp_info(f->hb[0], &info) == 0)
				f->bport = info.local_port;
		}
		return true;
	default:
		break;
	}

	if (!establish(f, true))
		return false;
	note_ports(f);
	a0 = f->ha[0];
	b0 = f->hb[0];
	switch (sc) {
	case SC_ESTABLISHED:
		break;
	case SC_INFLIGHT:
		/* B's data arrives and stays unread; A's is in flight. */
		send_some(b0, 3000);
		run_pair(f, 20000);
		send_some(a0, 5000);
		poll_a(f);
		break;
	case SC_CLOSE_WAIT:
		ws_tcp_shutdown(b0, WS_SHUT_WR);
		run_until(f, a0, WS_TCPS_CLOSE_WAIT);
		break;
	case SC_LAST_ACK:
		ws_tcp_shutdown(b0, WS_SHUT_WR);
		run_until(f, a0, WS_TCPS_CLOSE_WAIT);
		send_some(a0, 1000);
		ws_tcp_shutdown(a0, WS_SHUT_WR);
		poll_a(f);
		break;
	case SC_FIN_WAIT_1:
		send_some(a0, 2000);
		ws_tcp_shutdown(a0, WS_SHUT_WR);
		poll_a(f);
		break;
	case SC_FIN_WAIT_2:
		ws_tcp_shutdown(a0, WS_SHUT_WR);
		run_until(f, a0, WS_TCPS_FIN_WAIT_2);
		break;
	case SC_CLOSING:
		/* Both FINs cross: B sends its FIN before it sees A's. */
		ws_tcp_shutdown(a0, WS_SHUT_WR);
		ws_tcp_shutdown(b0, WS_SHUT_WR);
		poll_a(f);
		break;
	case SC_TIME_WAIT:
		ws_tcp_shutdown(a0, WS_SHUT_WR);
		run_until(f, a0, WS_TCPS_FIN_WAIT_2);
		ws_tcp_shutdown(b0, WS_SHUT_WR);
		run_until(f, a0, WS_TCPS_TIME_WAIT);
		break;
	case SC_ZEROWIN:
		/* B fills A's receive buffer; A does not read. */
		for (int i = 0; i < 16; i++) {
			send_some(b0, 16384);
			run_pair(f, 5000);
		}
		break;
	default:
		break;
	}
	return true;
}

/* ---- Frame building ---- */

/* Deliver an IPv4 datagram to A, in an Ethernet frame if the medium has
 * one.  `broadcast`: to ff:ff:.. instead of A's MAC. */
static void
inject_ip(struct fz *f, const uint8_t *dgram, size_t len, bool broadcast)
{
	uint8_t frame[ETHER_HDR_LEN + 65536];
	size_t off = 0;

	if (f->ether) {
		memcpy(frame, broadcast ? ether_broadcast_addr : mac_a, 6);
		memcpy(frame + 6, mac_b, 6);
		be16_store(frame + 12, 0x0800);
		off = ETHER_HDR_LEN;
	}
	memcpy(frame + off, dgram, len);
	ws_stack_input(f->pair.a, f->pair.now, frame, off + len);
	check_all(f, false);
}

/* Write an IPv4 header (no options) at buf with a correct checksum. */
static void
ip_header(struct fz *f, uint8_t *buf, uint32_t src, uint32_t dst,
    uint8_t proto, size_t total, uint16_t frag, uint8_t ttl)
{
	struct ip4_hdr h;

	memset(&h, 0, sizeof(h));
	h.hlen = IP4_HDR_MIN;
	h.total_len = (uint16_t)total;
	h.id = f->ipid++;
	h.frag = frag;
	h.ttl = ttl;
	h.proto = proto;
	h.src = src;
	h.dst = dst;
	ip4_hdr_emit(&h, buf, IP4_HDR_MIN);
}

/* The connection's tcpcb on A, or NULL. */
static struct tcpcb *
conn_a(struct fz *f)
{
	if (f->aport == 0)
		return NULL;
	return tcp_lookup(f->pair.a, WT_ADDR_A, f->aport, WT_ADDR_B, f->bport);
}

/*
 * Build a TCP segment for A from the input at seg (room for 60 + 65535
 * bytes).  Returns its length and the addresses to use.
 */
static size_t
build_tcp(struct fz *f, uint8_t *seg, uint32_t *srcp, uint32_t *dstp)
{
	struct tcpcb *tp = conn_a(f);
	uint8_t mode = get8(f), flags = get8(f), omode = get8(f);
	uint32_t seq, ack, src = WT_ADDR_B, dst = WT_ADDR_A;
	uint16_t sport = f->bport, dport = f->aport, win = get16(f);
	int16_t dseq = (int16_t)get16(f), dack = (int16_t)get16(f);
	size_t optlen = 0, plen, hlen;
	uint8_t *o = seg + TCP_HDR_MIN;

	/* Sequence number: relative to what A expects, or absolute. */
	switch (mode & 0x03) {
	case 0:
		seq = (tp ? tp->rcv_nxt : 0) + (uint32_t)(int32_t)dseq;
		break;
	case 1:
		seq = (tp ? tp->rcv_nxt + tp->rcv_wnd : 0) +
		    (uint32_t)(int32_t)dseq;
		break;
	case 2:
		seq = (tp ? tp->irs : 0) + (uint32_t)(int32_t)dseq;
		break;
	default:
		seq = get32(f);
		break;
	}
	switch ((mode >> 2) & 0x03) {
	case 0:
		ack = (tp ? tp->snd_una : 0) + (uint32_t)(int32_t)dack;
		break;
	case 1:
		ack = (tp ? tp->snd_max : 0) + (uint32_t)(int32_t)dack;
		break;
	case 2:
		ack = (tp ? tp->snd_nxt : 0) + (uint32_t)(int32_t)dack;
		break;
	default:
		ack = get32(f);
		break;
	}
	/* Ports and addresses: the connection, the listener, or any. */
	switch ((mode >> 4) & 0x03) {
	case 0:
		break;
	case 1:
		sport = get16(f);
		dport = PORT_A;
		break;
	case 2:
		sport = get16(f);
		dport = get16(f);
		break;
	default:
		src = (get8(f) & 1) ? ADDR_OTHER : get32(f);
		break;
	}
	if (mode & 0x40)
		dst = get32(f);

	/* Options: none, raw bytes, or built from fields. */
	switch (omode & 0x03) {
	case 0:
		break;
	case 1:
		optlen = get8(f) % (TCP_OPT_MAX + 1);
		for (size_t i = 0; i < optlen; i++)
			o[i] = get8(f);
		while (optlen % 4 != 0)
			o[optlen++] = TCPOPT_EOL;
		break;
	default: {
		struct tcp_hdr th;
		uint8_t tmp[TCP_HDR_MAX];

		memset(&th, 0, sizeof(th));
		if (omode & 0x04) {
			th.opts.present |= TOF_MSS;
			th.opts.mss = get16(f);
		}
		if (omode & 0x08) {
			th.opts.present |= TOF_WSCALE;
			th.opts.wscale = get8(f);
		}
		if (omode & 0x10)
			th.opts.present |= TOF_SACKPERM;
		if (omode & 0x20) {
			th.opts.present |= TOF_TS;
			th.opts.tsval = (tp ? tp->ts_recent : 0) +
			    (uint32_t)(int32_t)(int16_t)get16(f);
			th.opts.tsecr = (omode & 0x80) ? get32(f) :
			    (tp ? tcp_tsnow(tp) : 0);
		}
		if (omode & 0x40) {
			uint32_t base = tp ? tp->snd_una : 0;

			th.opts.present |= TOF_SACK;
			th.opts.nsack = 1 + get8(f) % TCP_MAX_SACK;
			for (unsigned k = 0; k < th.opts.nsack; k++) {
				th.opts.sack[k].start = base + get16(f);
				th.opts.sack[k].end =
				    th.opts.sack[k].start + get16(f);
			}
		}
		hlen = tcp_wire_emit(tmp, &th);
		optlen = hlen - TCP_HDR_MIN;
		memcpy(o, tmp + TCP_HDR_MIN, optlen);
		break;
	}
	}
	hlen = TCP_HDR_MIN + optlen;

	/* Payload: a length from the input, pattern bytes. */
	plen = get8(f);
	if (mode & 0x80)
		plen = plen * 64 + get8(f);
	fill(seg + hlen, plen, seq);

	be16_store(seg, sport);
	be16_store(seg + 2, dport);
	be32_store(seg + 4, seq);
	be32_store(seg + 8, ack);
	seg[12] = (uint8_t)((hlen / 4) << 4);
	seg[13] = flags;
	be16_store(seg + 14, win);
	be16_store(seg + 18, (flags & TH_URG) ? get16(f) : 0);
	tcp_wire_set_cksum(seg, hlen + plen, src, dst);
	if (omode & 0x80 && (omode & 0x03) == 1)
		seg[16] ^= 0x5a; /* a bad checksum, now and then */
	*srcp = src;
	*dstp = dst;
	return hlen + plen;
}

static uint8_t dgram[IP4_HDR_MAX + 65536];

static void
op_tcp(struct fz *f)
{
	uint32_t src, dst;
	size_t len = build_tcp(f, dgram + IP4_HDR_MIN, &src, &dst);

	ip_header(f, dgram, src, dst, 6, IP4_HDR_MIN + len, IP4_DF, 64);
	inject_ip(f, dgram, IP4_HDR_MIN + len, false);
}

/* The same segment, in fragments cut at input-chosen points. */
static void
op_fragments(struct fz *f)
{
	static uint8_t frag[IP4_HDR_MIN + 65536];
	uint32_t src, dst;
	size_t len = build_tcp(f, dgram, &src, &dst);
	unsigned nfrag = 1 + get8(f) % 6;
	uint16_t id = f->ipid++;

	for (unsigned i = 0; i < nfrag; i++) {
		/* Offset and length in 8-byte units; overlaps allowed. */
		size_t off = (size_t)(get8(f) % 64) * 8;
		size_t flen = (size_t)(1 + get8(f) % 64) * 8;
		bool last = get8(f) & 1;
		uint16_t fw;

		if (off >= len)
			off = len - len % 8 - (len % 8 == 0 ? 8 : 0);
		if (last || off + flen >= len) {
			flen = len - off;
			last = true;
		}
		fw = (uint16_t)(off / 8) | (last ? 0 : IP4_MF);
		memcpy(frag + IP4_HDR_MIN, dgram + off, flen);
		ip_header(f, frag, src, dst, 6, IP4_HDR_MIN + flen, fw, 64);
		/* All fragments of the datagram share one id. */
		be16_store(frag + IP4_OFF_ID, id);
		be16_store(frag + IP4_OFF_SUM, 0);
		be16_store(frag + IP4_OFF_SUM, cksum(frag, IP4_HDR_MIN));
		inject_ip(f, frag, IP4_HDR_MIN + flen, false);
	}
}

/* An ICMP error from B (or a router) quoting one of A's segments. */
static void
op_icmp(struct fz *f)
{
	static const uint8_t types[] = { ICMP4_UNREACH, ICMP4_UNREACH,
	    ICMP4_TIMXCEED, ICMP4_PARAMPROB, ICMP4_SOURCEQUENCH,
	    ICMP4_REDIRECT, ICMP4_ECHO, ICMP4_ECHOREPLY };
	struct tcpcb *tp = conn_a(f);
	uint8_t sel = get8(f), code = get8(f);
	uint8_t type = types[sel & 7];
	uint16_t mtu = get16(f);
	size_t qlen = 8 + (sel >> 4) * 4, len;
	uint8_t *icmp = dgram + IP4_HDR_MIN, *q = icmp + ICMP4_HDR_LEN;
	struct icmp4_hdr h;
	uint32_t seq;

	if (type == ICMP4_UNREACH && (sel & 8))
		code = ICMP4_UNREACH_NEEDFRAG;
	/* The quoted datagram: A -> B, TCP, our ports, a recent seq. */
	ip_header(f, q, WT_ADDR_A, (sel & 8) ? WT_ADDR_B : get32(f), 6,
	    IP4_HDR_MIN + 40, IP4_DF, 64);
	seq = (tp ? tp->snd_una : 0) + (uint32_t)(int32_t)(int16_t)get16(f);
	memset(q + IP4_HDR_MIN, 0, 40);
	be16_store(q + IP4_HDR_MIN, f->aport);
	be16_store(q + IP4_HDR_MIN + 2, f->bport);
	be32_store(q + IP4_HDR_MIN + 4, seq);
	q[IP4_HDR_MIN + 12] = 0x50;
	q[IP4_HDR_MIN + 13] = TH_ACK;
	len = ICMP4_HDR_LEN + IP4_HDR_MIN + qlen;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.code = code;
	h.rest = type == ICMP4_PARAMPROB ? (uint32_t)code << 24 : mtu;
	icmp4_hdr_emit(&h, icmp, len);
	ip_header(f, dgram, (sel & 4) ? ADDR_OTHER : WT_ADDR_B, WT_ADDR_A, 1,
	    IP4_HDR_MIN + len, 0, 64);
	inject_ip(f, dgram, IP4_HDR_MIN + len, false);
}

/* An ARP packet to A (Ethernet only). */
static void
op_arp(struct fz *f)
{
	static const uint32_t addrs[] = { WT_ADDR_B, WT_ADDR_A, ADDR_OTHER,
	    0, 0xc6120004u, 0xffffffffu, 0xe0000001u, 0xc6120002u };
	uint8_t frame[60];
	uint8_t sel = get8(f), who = get8(f);
	struct arp_repr r;

	if (!f->ether)
		return;
	memset(&r, 0, sizeof(r));
	r.op = (sel & 1) ? ARP_OP_REPLY : ARP_OP_REQUEST;
	r.spa = addrs[who & 7];
	r.tpa = (sel & 2) ? WT_ADDR_A : addrs[(who >> 3) & 7];
	memcpy(r.sha, mac_b, 6);
	if (sel & 4)
		r.sha[5] = get8(f);
	if (sel & 8)
		memcpy(r.tha, mac_a, 6);
	memset(frame, 0, sizeof(frame));
	memcpy(frame, (sel & 16) ? ether_broadcast_addr : mac_a, 6);
	memcpy(frame + 6, r.sha, 6);
	be16_store(frame + 12, 0x0806);
	arp_wire_emit(&r, frame + ETHER_HDR_LEN, sizeof(frame) - ETHER_HDR_LEN);
	if (sel & 32)
		frame[ETHER_HDR_LEN + (get8(f) % ARP_ETHER_IPV4_LEN)] = get8(f);
	ws_stack_input(f->pair.a, f->pair.now, frame, sizeof(frame));
	check_all(f, false);
}

/* Fix the IPv4 header checksum and, for a complete datagram, the TCP or
 * ICMP one of a frame built from raw input. */
static void
fixup(uint8_t *ip, size_t len)
{
	size_t hlen, total;

	if (len < IP4_HDR_MIN || (ip[0] >> 4) != 4)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen > len)
		return;
	total = be16_load(ip + IP4_OFF_LEN);
	be16_store(ip + IP4_OFF_SUM, 0);
	be16_store(ip + IP4_OFF_SUM, cksum(ip, hlen));
	if (total < hlen || total > len ||
	    (be16_load(ip + IP4_OFF_FRAG) & (IP4_MF | IP4_OFFMASK)) != 0)
		return;
	if (ip[IP4_OFF_PROTO] == 6 && total - hlen >= TCP_HDR_MIN)
		tcp_wire_set_cksum(ip + hlen, total - hlen,
		    be32_load(ip + IP4_OFF_SRC), be32_load(ip + IP4_OFF_DST));
	else if (ip[IP4_OFF_PROTO] == 1 && total - hlen >= ICMP4_HDR_LEN) {
		be16_store(ip + hlen + 2, 0);
		be16_store(ip + hlen + 2, cksum(ip + hlen, total - hlen));
	}
}

/*
 * Make a captured TCP segment count for A: the connection's ports (bit
 * 0x20) and sequence numbers where A expects them (bit 0x40).
 */
static void
retarget(struct fz *f, uint8_t *ip, size_t len, uint8_t sel)
{
	struct tcpcb *tp = conn_a(f);
	size_t hlen;

	if (len < IP4_HDR_MIN || ip[IP4_OFF_PROTO] != 6)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < IP4_HDR_MIN || hlen + TCP_HDR_MIN > len)
		return;
	if (sel & 0x20) {
		be16_store(ip + hlen, f->bport);
		be16_store(ip + hlen + 2, f->aport);
	}
	if ((sel & 0x40) && tp != NULL) {
		be32_store(ip + hlen + 4, tp->rcv_nxt);
		be32_store(ip + hlen + 8, tp->snd_una);
	}
}

/* A raw frame from the input. */
static void
op_raw(struct fz *f)
{
	static uint8_t frame[FRAME_MAX];
	uint8_t sel = get8(f);
	size_t len = get16(f) % (FRAME_MAX + 1), off = 0;

	if (len > f->n)
		len = f->n;
	memcpy(frame, f->p, len);
	f->p += len;
	f->n -= len;
	if (f->ether && (sel & 1) && len >= ETHER_HDR_LEN) {
		/* Aim it at A: our MAC (or broadcast), B's source. */
		memcpy(frame, (sel & 4) ? ether_broadcast_addr : mac_a, 6);
		memcpy(frame + 6, mac_b, 6);
	}
	if (f->ether)
		off = ETHER_HDR_LEN;
	if ((sel & 2) && len >= off + IP4_HDR_MIN) {
		if (f->ether)
			be16_store(frame + 12, 0x0800);
		if (sel & 8) {
			be32_store(frame + off + IP4_OFF_SRC, WT_ADDR_B);
			be32_store(frame + off + IP4_OFF_DST, WT_ADDR_A);
		}
		if (sel & 16)
			be16_store(frame + off + IP4_OFF_LEN,
			    (uint16_t)(len - off));
		if (sel & 0x60)
			retarget(f, frame + off, len - off, sel);
		fixup(frame + off, len - off);
	}
	/* Exact-size heap copy so ASan sees a read past the frame. */
	{
		uint8_t *copy = malloc(len ? len : 1);

		FUZZ_CHECK(copy != NULL);
		memcpy(copy, frame, len);
		ws_stack_input(f->pair.a, f->pair.now, copy, len);
		free(copy);
	}
	check_all(f, false);
}

static void
op_time(struct fz *f)
{
	uint8_t sel = get8(f);
	uint64_t us;

	switch (sel & 7) {
	case 0:
		us = (uint64_t)get8(f) * 100;
		break;
	case 1:
		us = (uint64_t)get16(f) * WS_USEC_PER_MSEC;
		break;
	case 2:
	case 3: {
		ws_time_t next = ws_stack_next_deadline(f->pair.a);

		us = next == WS_TIME_NEVER || next <= f->pair.now ? 1 :
		    next - f->pair.now;
		if (us > 1000 * WS_USEC_PER_SEC)
			us = 1000 * WS_USEC_PER_SEC;
		break;
	}
	case 4:
		us = (uint64_t)get8(f) * WS_USEC_PER_SEC;
		break;
	case 5:
		us = 61 * WS_USEC_PER_SEC; /* past 2 MSL, FIN_WAIT_2 */
		break;
	default:
		us = sel;
		break;
	}
	f->pair.now += us;
	poll_a(f);
}

static void
op_peer(struct fz *f)
{
	run_pair(f, (uint64_t)(get8(f) + 1) * 2 * WS_USEC_PER_MSEC);
}

/* An application call on A (side 0) or B (side 1). */
static void
op_app(struct fz *f, int side)
{
	struct ws_stack *st = side == 0 ? f->pair.a : f->pair.b;
	struct ws_tcp **h = side == 0 ? f->ha : f->hb;
	struct ws_tcp **lsn = side == 0 ? &f->lsn_a : &f->lsn_b;
	uint8_t sel = get8(f);
	unsigned i = (sel >> 4) % NHANDLES;
	struct ws_tcp *s = h[i];
	struct ws_tcp_info info;

	switch (sel & 0x0f) {
	case 0:
	case 1:
		if (s != NULL && s != *lsn)
			send_some(s, (size_t)get8(f) * 64 + 1);
		break;
	case 2:
		if (s != NULL && s != *lsn) {
			uint8_t buf[2048];

			(void)ws_tcp_recv(s, buf, (size_t)get8(f) * 8);
		}
		break;
	case 3:
		if (s != NULL && s != *lsn)
			drain(s);
		break;
	case 4:
		if (s != NULL)
			(void)ws_tcp_shutdown(s, get8(f) % 3);
		break;
	case 5:
		if (s != NULL) {
			if (s == *lsn)
				*lsn = NULL;
			(void)ws_tcp_close(s);
			h[i] = NULL;
		}
		break;
	case 6:
		if (s != NULL) {
			if (s == *lsn)
				*lsn = NULL;
			ws_tcp_abort(s);
			h[i] = NULL;
		}
		break;
	case 7:
		if (*lsn != NULL && s == NULL) {
			if (ws_tcp_accept(*lsn, &h[i]) != 0)
				h[i] = NULL;
		}
		break;
	case 8:
		if (s == NULL && ws_tcp_open(st, &h[i]) == 0) {
			uint32_t to = side == 0 ? WT_ADDR_B : WT_ADDR_A;
			uint16_t port = (get8(f) & 1) ?
			    (side == 0 ? PORT_B : PORT_A) : get16(f);

			(void)ws_tcp_connect(h[i], to, port);
		}
		break;
	case 9:
		if (s != NULL) {
			uint8_t opt = get8(f);

			(void)ws_tcp_setopt(s, (enum ws_tcp_opt)(1 + opt % 12),
			    (int)(int8_t)get8(f));
		}
		break;
	case 10:
		if (s == NULL && *lsn == NULL && ws_tcp_open(st, &h[i]) == 0) {
			if (ws_tcp_listen(h[i], side == 0 ? PORT_A : PORT_B,
			    get8(f) % 4) == 0)
				*lsn = h[i];
		}
		break;
	default:
		if (s != NULL) {
			(void)ws_tcp_info(s, &info);
			(void)ws_tcp_events(s);
			(void)ws_tcp_error(s);
			(void)ws_tcp_sendspace(s);
			(void)ws_tcp_recvavail(s);
		}
		break;
	}
	/* Calls made outside an entry point flush by themselves. */
	check_all(f, false);
}

/* WS_FUZZ_VERBOSE: the sequence variables of every connection. */
static void
dump_conns(struct fz *f)
{
	for (int side = 0; side < 2; side++) {
		struct ws_stack *st = side == 0 ? f->pair.a : f->pair.b;
		const struct tcpcb *tp;

		TAILQ_FOREACH(tp, &st->tcp->all, t_list)
			fprintf(stderr, "#   %c %u>%u %s una %u nxt %u max %u "
			    "wnd %u rcv_nxt %u rcv_wnd %u adv %u snd %u rcv %u "
			    "flags %#x\n", side == 0 ? 'A' : 'B', tp->t_lport,
			    tp->t_fport, ws_tcp_state_name(
			    (enum ws_tcp_state)tp->t_state), tp->snd_una,
			    tp->snd_nxt, tp->snd_max, tp->snd_wnd, tp->rcv_nxt,
			    tp->rcv_wnd, tp->rcv_adv, ring_len(&tp->t_sndring),
			    ring_len(&tp->t_rcvring), tp->t_flags);
		fprintf(stderr, "#   %c: paws drops %llu, dup segments %llu, "
		    "after window %llu, challenge acks %llu, dup acks %llu, "
		    "ack too much %llu, acks sent %llu, probes sent %llu\n",
		    side == 0 ? 'A' : 'B',
		    (unsigned long long)st->stats.tcp.rcvpawsdrop,
		    (unsigned long long)st->stats.tcp.rcvduppack,
		    (unsigned long long)st->stats.tcp.rcvpackafterwin,
		    (unsigned long long)st->stats.tcp.challengeack,
		    (unsigned long long)st->stats.tcp.rcvdupack,
		    (unsigned long long)st->stats.tcp.rcvacktoomuch,
		    (unsigned long long)st->stats.tcp.sndacks,
		    (unsigned long long)st->stats.tcp.sndprobe);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	static int verbose = -1;
	size_t leaked;

	if (verbose < 0) {
		verbose = getenv("WS_FUZZ_VERBOSE") != NULL;
		allow_storm = getenv("WS_FUZZ_ALLOW_STORM") != NULL;
	}

	if (setup(&f, data, size)) {
		if (verbose)
			fprintf(stderr, "# scenario %u%s%s%s%s: A is %s\n",
			    (f.sel & 0x0f) % SC_COUNT,
			    f.sel & SEL_SERVER ? " server" : " client",
			    f.sel & SEL_IPMEDIUM ? " ip" : "",
			    f.sel & SEL_SMALLBUF ? " smallbuf" : "",
			    f.sel & SEL_NOOPTS ? " noopts" : "",
			    conn_a(&f) != NULL ? ws_tcp_state_name(
			    (enum ws_tcp_state)conn_a(&f)->t_state) :
			    "not connected");
		for (int step = 0; step < MAX_STEPS && f.n > 0 && !f.stormed;
		    step++) {
			uint8_t op = get8(&f);

			if (verbose)
				fprintf(stderr, "# step %d: op %u at %llu us, "
				    "%zu bytes left; segments sent A %llu "
				    "B %llu\n", step, op % 16,
				    (unsigned long long)f.pair.now, f.n,
				    (unsigned long long)
				    f.pair.a->stats.tcp.sndtotal,
				    (unsigned long long)
				    f.pair.b->stats.tcp.sndtotal);
			if (verbose)
				dump_conns(&f);
			switch (op % 16) {
			case 0:
			case 1:
			case 2:
			case 3:
			case 4:
				op_tcp(&f);
				break;
			case 5:
				op_fragments(&f);
				break;
			case 6:
				op_icmp(&f);
				break;
			case 7:
				op_arp(&f);
				break;
			case 8:
			case 9:
				op_raw(&f);
				break;
			case 10:
			case 11:
				op_time(&f);
				break;
			case 12:
				op_peer(&f);
				break;
			case 13:
			case 14:
				op_app(&f, 0);
				break;
			default:
				op_app(&f, 1);
				break;
			}
		}
	}
	if (verbose && f.pair.a != NULL && f.pair.a->tcp != NULL) {
		fprintf(stderr, "# end\n");
		dump_conns(&f);
	}
	leaked = wt_pair_teardown(&f.pair);
	if (leaked != 0)
		fprintf(stderr, "leak: %zu blocks (A %zu, B %zu)\n", leaked,
		    f.pair.alloc_a.live, f.pair.alloc_b.live);
	FUZZ_CHECK(leaked == 0);
	return 0;
}

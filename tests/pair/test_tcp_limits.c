/*
 * Resource limits and "no memory growth from input" (the hardening
 * issue): a SYN flood against a tiny SYN backlog while a real client
 * connects (SYN cookies, RFC 4987), and hostile peers played by the test
 * (tiny segments, endless out-of-order data, endless fragments, a zero
 * window forever) while the counting allocator watches the live blocks.
 *
 * "Live" below is the allocator's outstanding blocks minus the packet
 * buffers cached in the stack's pool (a bounded free list).
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"
#include "tests/pair/tcp_pair.h"

#define SEC WS_USEC_PER_SEC
#define FLOOD_SYNS 100000
#define SYN_BACKLOG 16

static size_t
live_of(const struct wt_alloc *a, const struct ws_stack *st)
{
	return a->live - st->pool_count;
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* ---- SYN flood from spoofed sources, a real client gets through ---- */

struct flood {
	struct wt_pair *p;
	uint32_t sent;          /* SYNs injected */
	size_t base, maxlive;   /* B's live blocks */
	struct tp_conn *cn;     /* the real client's connection */
	struct tp_bidir *bd;    /* the transfer while the flood goes on */
};

/* n SYNs from random sources in 198.18.0.0/15 (not A or B). */
static void
flood_syns(struct flood *f, uint32_t n)
{
	uint8_t buf[128];

	for (uint32_t i = 0; i < n; i++) {
		struct seg sg;
		uint32_t src;
		size_t len, live;

		do
			src = 0xc6120000u | (rnd() & 0x1ffff);
		while (src == WT_ADDR_A || src == WT_ADDR_B ||
		    (src & 0xff) == 0 || (src & 0xff) == 0xff);
		memset(&sg, 0, sizeof(sg));
		sg.sport = (uint16_t)(1024 + rnd() % 60000);
		sg.dport = TP_PORT;
		sg.seq = rnd();
		sg.flags = TH_SYN;
		sg.win = 65535;
		dlg_syn_opts(&sg.opts, 1460, 7, rnd());
		len = dlg_build_from(&sg, src, WT_ADDR_B, (uint16_t)rnd(), buf);
		ws_stack_input(f->p->b, f->p->now, buf, len);
		f->sent++;
		live = live_of(&f->p->alloc_b, f->p->b);
		if (live > f->maxlive)
			f->maxlive = live;
	}
}

static bool
flood_xfer_done(void *arg)
{
	struct flood *f = arg;

	if (f->sent < FLOOD_SYNS + 20000)
		flood_syns(f, 50);
	return tp_bidir_done(f->bd);
}

static bool
flood_accepted(void *arg)
{
	struct flood *f = arg;

	flood_syns(f, 20);
	return tp_accepted(f->cn);
}

static void
tune_flood(struct ws_stack_config *cfg, int side)
{
	if (side == 1)
		cfg->tcp_syn_backlog = SYN_BACKLOG;
}

static void
test_synflood(void **state)
{
	struct wt_pair P;
	struct wt_pair_opts o = { 0 };
	struct flood f;
	struct tp_conn cn;
	struct tp_xfer up, down;
	struct tp_bidir bd = { &up, &down };
	struct ws_tcp_info ti, ci;
	struct ws_stats s;

	(void)state;
	o.tune = tune_flood;
	o.mem.queue_limit = 256;
	tp_setup_ip(&P, &o);
	memset(&f, 0, sizeof(f));
	f.p = &P;
	memset(&cn, 0, sizeof(cn));
	assert_int_equal(ws_tcp_open(P.b, &cn.l), 0);
	assert_int_equal(ws_tcp_listen(cn.l, TP_PORT, 8), 0);
	wt_pair_run(&P, NULL, NULL, SEC / 10);
	f.base = f.maxlive = live_of(&P.alloc_b, P.b);

	/* 100,000 SYNs over one virtual second. */
	while (f.sent < FLOOD_SYNS) {
		flood_syns(&f, 1000);
		wt_pair_run(&P, NULL, NULL, SEC / 100);
	}
	s = tp_stats(P.b);
	assert_true(s.tcp.syncookies_sent >= FLOOD_SYNS - SYN_BACKLOG);
	assert_true(P.b->tcp->nconns <= 1 + SYN_BACKLOG);
	/* No memory per SYN: a handful of embryos at most. */
	assert_true(f.maxlive <= f.base + 2 * SYN_BACKLOG);

	/* A real client connects while the flood goes on... */
	assert_int_equal(ws_tcp_open(P.a, &cn.c), 0);
	assert_int_equal(ws_tcp_connect(cn.c, WT_ADDR_B, TP_PORT),
	    WS_EINPROGRESS);
	f.cn = &cn;
	assert_true(wt_pair_run(&P, flood_accepted, &f, 10 * SEC));
	ws_tcp_info(cn.s, &ti);
	ws_tcp_info(cn.c, &ci);
	assert_int_equal(ti.state, WS_TCPS_ESTABLISHED);
	assert_true(tp_stats(P.b).tcp.syncookies_recv >= 1);
	/* ... with what its SYN asked for, carried by the cookie. */
	assert_true(ti.sack_ok && ti.ts_ok);
	assert_int_equal(ti.snd_wscale, ci.rcv_wscale);
	assert_int_equal(ti.rcv_wscale, ci.snd_wscale);
	assert_int_equal(ti.snd_mss, ci.rcv_mss - 12);

	/* ... and holds a dialog both ways, still under fire. */
	tp_xfer_init(&up, cn.c, cn.s, 300000, 1);
	tp_xfer_init(&down, cn.s, cn.c, 300000, 2);
	f.bd = &bd;
	assert_true(wt_pair_run(&P, flood_xfer_done, &f, 60 * SEC));
	assert_memory_equal(up.data, up.got, up.len);
	assert_memory_equal(down.data, down.got, down.len);
	assert_true(f.sent > FLOOD_SYNS + 100); /* SYNs kept coming */
	tp_xfer_fini(&up);
	tp_xfer_fini(&down);
	/* Rings for one connection (4 x 256 KB at most) and the embryos. */
	assert_true(f.maxlive <= f.base + 2 * SYN_BACKLOG + 16);
	print_message("# flood: %u SYNs, %llu cookies sent, %llu valid, "
	    "max live blocks %zu (base %zu)\n", f.sent,
	    (unsigned long long)tp_stats(P.b).tcp.syncookies_sent,
	    (unsigned long long)tp_stats(P.b).tcp.syncookies_recv,
	    f.maxlive, f.base);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_close(cn.l);
	wt_pair_run(&P, NULL, NULL, SEC);
	assert_int_equal(wt_pair_teardown(&P), 0);
}

/* ---- Hostile peers against one stack (the test plays the peer) ---- */

static void
tune_small_rcvbuf(struct ws_stack_config *cfg)
{
	cfg->tcp_rcvbuf = 16384;
}

static uint8_t
byte_at(uint32_t seq)
{
	return (uint8_t)(seq * 31 + (seq >> 8));
}

/* Read everything the app has, checking each byte against its seq. */
static size_t
read_check(struct ws_tcp *s, uint32_t *seq)
{
	uint8_t buf[4096];
	size_t total = 0;
	ssize_t n;

	while ((n = ws_tcp_recv(s, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			assert_int_equal(buf[i], byte_at((*seq)++));
		total += (size_t)n;
	}
	return total;
}

/*
 * 100,000 one-byte segments: each costs ring bytes only; no allocation
 * per segment, whatever the window does.
 */
static void
test_tiny_segments(void **state)
{
	uint32_t rseq;
	size_t base = 0, maxlive = 0, got = 0;

	(void)state;
	dlg_to_established(&D);
	rseq = D.snd;
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t b = byte_at(D.snd);
		size_t live;

		dlg_send_data(&D, &b, 1, 0);
		if (i % 16 == 0) {
			dlg_wait(&D, 100);
			dlg_drain(&D, NULL, 0);
		}
		if (ws_tcp_recvavail(D.s) >= 8192)
			got += read_check(D.s, &rseq);
		live = live_of(&D.alloc, D.st);
		if (i == 100)
			base = live;
		if (live > maxlive)
			maxlive = live;
	}
	got += read_check(D.s, &rseq);
	assert_int_equal(got, 100000);
	assert_true(maxlive <= base + 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvpack, 100000);
}

/*
 * A peer that only ever sends out-of-order data, anywhere in (and past)
 * the window: it is kept in the ring, in at most ASM_MAX_BLOCKS blocks,
 * and costs nothing more; when the hole is filled it all reads back.
 */
static void
test_endless_ooo(void **state)
{
	size_t base, maxlive, live;
	uint32_t start, rseq, got = 0;
	struct ws_stats s;

	(void)state;
	dlg_to_established(&D);
	start = D.snd;
	/* The ring exists once any data came: one byte, read. */
	{
		uint8_t b = byte_at(D.snd);

		dlg_send_data(&D, &b, 1, 0);
		rseq = start;
		assert_int_equal(read_check(D.s, &rseq), 1);
		start = D.snd;
	}
	dlg_drain(&D, NULL, 0);
	base = maxlive = live_of(&D.alloc, D.st);
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t data[64];
		uint32_t off = 1 + rnd() % 200000, len = 1 + rnd() % 64;
		struct seg sg = dlg_seg(TH_ACK, start + off, D.rcv);

		for (uint32_t k = 0; k < len; k++)
			data[k] = byte_at(start + off + k);
		sg.data = data;
		sg.len = len;
		dlg_send(&D, &sg);
		if (i % 64 == 0)
			dlg_drain(&D, NULL, 0);
		live = live_of(&D.alloc, D.st);
		if (live > maxlive)
			maxlive = live;
		assert_true(asm_count(&((struct tcpcb *)D.s)->t_asm) <=
		    ASM_MAX_BLOCKS);
	}
	/* + 1: the receive ring, released when the read drained it. */
	assert_true(maxlive <= base + 1);
	s = dlg_stats(&D);
	assert_true(s.tcp.rcvoopack > 0);
	assert_true(s.tcp.rcvoodrop > 0);        /* too many holes */
	assert_true(s.tcp.rcvpackafterwin > 0);  /* past the window */
	assert_int_equal(ws_tcp_recvavail(D.s), 0);
	/* Fill from the hole on: everything reads back intact. */
	rseq = start;
	D.snd = start;
	for (int round = 0; got < 200000; round++) {
		assert_true(round < 1000);
		uint8_t data[1000];
		struct seg sg = dlg_seg(TH_ACK, D.snd, D.rcv);

		for (uint32_t k = 0; k < sizeof(data); k++)
			data[k] = byte_at(D.snd + k);
		sg.data = data;
		sg.len = sizeof(data);
		dlg_send(&D, &sg);
		dlg_drain(&D, NULL, 0);
		/* The stack may have taken more (held out-of-order data). */
		D.snd = ((struct tcpcb *)D.s)->rcv_nxt;
		got += (uint32_t)read_check(D.s, &rseq);
	}
	assert_int_equal(rseq, start + got);
}

/*
 * Endless fragments that never complete: reassembly keeps at most
 * reass_datagrams datagrams in reass_bytes, and the rest is counted.
 */
static void
tune_reass(struct ws_stack_config *cfg)
{
	cfg->reass_datagrams = 16;
	cfg->reass_bytes = 32768;
}

static void
test_endless_fragments(void **state)
{
	uint8_t buf[20 + 64];
	size_t base, maxlive, live;
	struct ws_stats s;

	(void)state;
	dlg_listen(&D, 4);
	base = maxlive = live_of(&D.alloc, D.st);
	for (uint32_t i = 0; i < 100000; i++) {
		/* Fragment k of datagram id: 8..56 bytes, MF, never the last. */
		uint32_t plen = 8 * (1 + rnd() % 7);
		uint16_t id = (uint16_t)(rnd() % 4096);
		uint16_t off = (uint16_t)(rnd() % 512);

		memset(buf, 0, sizeof(buf));
		buf[0] = 0x45;
		be16_store(buf + 2, (uint16_t)(20 + plen));
		be16_store(buf + 4, id);
		be16_store(buf + 6, (uint16_t)(0x2000 | off));
		buf[8] = 64;
		buf[9] = 6;
		be32_store(buf + 12, DLG_PEER);
		be32_store(buf + 16, DLG_LOCAL);
		be16_store(buf + 10, cksum(buf, 20));
		if (i % 1000 == 0)
			dlg_wait(&D, 10 * DLG_MS);
		dlg_send_raw(&D, buf, 20 + plen);
		live = live_of(&D.alloc, D.st);
		if (live > maxlive)
			maxlive = live;
	}
	s = dlg_stats(&D);
	assert_true(s.ip4.fraglimit > 0);
	assert_int_equal(s.ip4.reassembled, 0);
	/* 16 datagrams and their fragments within 32 KB: bounded, tiny
	 * next to the 100,000 fragments sent. */
	assert_true(maxlive <= base + 16 + 32768 / 8);
	/* They all time out: back to where we started. */
	dlg_wait(&D, 60 * DLG_US);
	assert_int_equal(live_of(&D.alloc, D.st), base);
}

/* ---- A zero window forever ---- */

/* Handshake whose ACK closes the window; the app queues n bytes. */
static void
zero_window_conn(size_t n)
{
	struct seg sg;
	static uint8_t data[200000];

	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 0;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	assert_true(n <= sizeof(data));
	assert_int_equal(ws_tcp_send(D.s, data, n), (ssize_t)n);
	dlg_expect_none(&D); /* nothing fits a zero window */
}

/*
 * Run the peer for `us` of virtual time: it answers every probe with a
 * zero window (answer) or never answers.  Returns true if the stack
 * reset the connection.
 */
static bool
zero_window_peer(uint64_t us, bool answer, unsigned *probes)
{
	ws_time_t end = D.now + us;
	unsigned rounds = 0;

	*probes = 0;
	while (D.now < end) {
		assert_true(++rounds < 1000000);
		ws_time_t next = ws_stack_next_deadline(D.st);
		struct seg o;

		if (next == WS_TIME_NEVER || next > end)
			next = end;
		dlg_at(&D, next);
		while (dlg_recv(&D, &o)) {
			if (o.flags & TH_RST)
				return true;
			if (o.len > 0 || (o.flags & TH_FIN))
				(*probes)++;
			if (answer) {
				struct seg sg = dlg_seg(TH_ACK, D.snd, D.rcv);

				sg.win = 0;
				dlg_send(&D, &sg);
			}
		}
	}
	return false;
}

/*
 * RFC 9293 3.8.6.1 (MUST-37): as long as the peer answers the probes
 * the connection stays, here for a day of virtual time...
 */
static void
test_zero_window_answered(void **state)
{
	unsigned probes;

	(void)state;
	zero_window_conn(1000);
	assert_false(zero_window_peer(24ULL * 3600 * DLG_US, true, &probes));
	assert_true(probes > 1000); /* every 60 s once backed off */
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(dlg_stats(&D).tcp.persistdrop, 0);
}

/* ... but probes nobody answers end it like retransmissions do. */
static void
test_zero_window_unanswered(void **state)
{
	unsigned probes;

	(void)state;
	zero_window_conn(1000);
	assert_true(zero_window_peer(3600 * DLG_US, false, &probes));
	assert_int_equal(probes, TCP_MAXRXTSHIFT);
	assert_int_equal(dlg_stats(&D).tcp.persistdrop, 1);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
}

/* tcp_persist_max_ms: the system may bound the wait (RFC 6429). */
static void
tune_persist_max(struct ws_stack_config *cfg)
{
	cfg->tcp_persist_max_ms = 600000;
}

static void
test_zero_window_persist_max(void **state)
{
	unsigned probes;
	ws_time_t t0;

	(void)state;
	zero_window_conn(1000);
	t0 = D.now;
	assert_true(zero_window_peer(3600 * DLG_US, true, &probes));
	assert_true(D.now - t0 >= 600 * DLG_US);
	assert_true(D.now - t0 <= 700 * DLG_US);
	assert_int_equal(dlg_stats(&D).tcp.persistlimit, 1);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
}

/*
 * The orphan: the app queued 200 KB and closed (FIN-WAIT-1 behind a
 * zero window).  Nobody could ever abort it, so after
 * tcp_orphan_retries probes it goes, answered or not, and every block
 * it held is freed.
 */
static void
test_zero_window_orphan(void **state)
{
	unsigned probes;
	size_t base;

	(void)state;
	base = live_of(&D.alloc, D.st);
	zero_window_conn(200000);
	assert_int_equal(ws_tcp_close(D.s), 0);
	D.s = NULL;
	assert_int_equal(D.st->tcp->norphans, 1);
	assert_true(zero_window_peer(3600 * DLG_US, true, &probes));
	assert_int_equal(probes, 8);
	assert_int_equal(dlg_stats(&D).tcp.orphandrop, 1);
	assert_int_equal(D.st->tcp->norphans, 0);
	assert_int_equal(D.st->tcp->nconns, 1); /* the listener */
	assert_int_equal(D.st->tcp->mem, 0);
	/* Everything but the listener (opened in zero_window_conn). */
	assert_true(live_of(&D.alloc, D.st) <= base + 1);
}

/*
 * A persist probe that carries the last byte carries the FIN too (it
 * follows the last byte, as in BSD).  A peer whose window had in fact
 * reopened takes both and acknowledges the FIN: that ACK must not look
 * like one for data never sent (RFC 5961 5.2 would drop it, every time
 * it came, and the FIN would never be acknowledged).
 */
static void
test_zero_window_probe_fin(void **state)
{
	struct seg sg, o;
	struct ws_stats s;

	(void)state;
	zero_window_conn(1);
	assert_int_equal(ws_tcp_shutdown(D.s, WS_SHUT_WR), 0);
	dlg_expect_none(&D); /* the FIN waits behind the byte */
	assert_int_equal(dlg_state(D.s), WS_TCPS_FIN_WAIT_1);
	dlg_at(&D, ws_stack_next_deadline(D.st));
	dlg_expect(&D, TH_FIN | TH_PUSH | TH_ACK, D.rcv, D.snd, 1, &o);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 2);
	dlg_send(&D, &sg);
	s = dlg_stats(&D);
	assert_int_equal(s.tcp.rcvacktoomuch, 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_FIN_WAIT_2);
	dlg_expect_none(&D);
}

/*
 * The FIN storm (fuzz_stack finwait1-zero-window-fin-storm): B, in
 * FIN-WAIT-1 with one byte and its FIN queued behind A's zero window,
 * meets an A whose RCV.NXT is already one past B's SND.NXT (A took a
 * forged FIN there).  So A acknowledges what B has not sent (RFC 9293
 * 3.10.7.4: B answers with a rate-limited challenge ACK and drops it) and
 * finds B's real FIN a duplicate, which it ACKs at once.  B must resend
 * its FIN (or probe) only from its timers (RFC 9293 3.8.6.1 MUST-36, RFC
 * 6298), never in answer to each of those ACKs: the two must not talk
 * without virtual time passing.
 */
#define STORM_RCVBUF 4096
#define STORM_MAX_SEGS 10000    /* a storm; the test stops there */

static void
tune_storm(struct ws_stack_config *cfg, int side)
{
	if (side == 0)
		cfg->tcp_rcvbuf = STORM_RCVBUF;
}

/*
 * Run the pair for `us` of virtual time like wt_pair_run(), but count
 * the segments both sent at one instant; returns the largest count (a
 * storm stops the run at STORM_MAX_SEGS).
 */
static uint64_t
storm_run(struct wt_pair *p, uint64_t us)
{
	ws_time_t end = p->now + us;
	uint64_t most = 0, at_now, before;

	before = tp_stats(p->a).tcp.sndtotal + tp_stats(p->b).tcp.sndtotal;
	for (;;) {
		ws_time_t next;
		uint64_t total;

		ws_stack_poll(p->a, p->now);
		ws_stack_poll(p->b, p->now);
		total = tp_stats(p->a).tcp.sndtotal +
		    tp_stats(p->b).tcp.sndtotal;
		at_now = total - before;
		if (at_now > most)
			most = at_now;
		if (most >= STORM_MAX_SEGS)
			break;
		next = ws_time_min(ws_stack_next_deadline(p->a),
		    ws_stack_next_deadline(p->b));
		if (next <= p->now)
			continue;
		if (next == WS_TIME_NEVER || next > end)
			break;
		p->now = next;
		before = total;
	}
	return most;
}

static void
test_finwait1_zero_window_storm(void **state)
{
	static uint8_t data[STORM_RCVBUF];
	struct wt_pair P;
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	const struct tcpcb *ta, *tb;
	struct seg sg;
	uint8_t buf[128];
	size_t len;
	uint64_t most;

	(void)state;
	o.tune = tune_storm;
	tp_setup_ip(&P, &o);
	tp_connect(&P, &cn);
	ta = sototcpcb(cn.c);
	tb = sototcpcb(cn.s);
	/* B fills A's receive buffer exactly; A never reads. */
	assert_int_equal(ws_tcp_send(cn.s, data, sizeof(data)),
	    (ssize_t)sizeof(data));
	assert_false(wt_pair_run(&P, NULL, NULL, WS_USEC_PER_SEC));
	assert_int_equal(ws_tcp_recvavail(cn.c), sizeof(data));
	assert_int_equal(tb->snd_wnd, 0);
	assert_int_equal(tb->snd_una, tb->snd_max);
	/* One byte and the FIN wait behind the zero window. */
	assert_int_equal(ws_tcp_send(cn.s, "x", 1), 1);
	assert_int_equal(ws_tcp_shutdown(cn.s, WS_SHUT_WR), 0);
	assert_int_equal(storm_run(&P, 1000), 0);
	assert_int_equal(tb->t_state, TCPS_FIN_WAIT_1);
	assert_int_equal(tb->snd_nxt, tb->snd_una);

	/* The forged FIN: at B's SND.NXT, where B's byte will go. */
	memset(&sg, 0, sizeof(sg));
	sg.sport = TP_PORT;
	sg.dport = ta->t_lport;
	sg.seq = tb->snd_nxt;
	sg.ack = ta->snd_nxt;
	sg.flags = TH_FIN | TH_ACK;
	sg.win = 65535;
	if ((ta->t_flags & TF_TSOK) == TF_TSOK) {
		sg.opts.present = TOF_TS;
		sg.opts.tsval = ta->ts_recent;
		sg.opts.tsecr = ta->ts_recent; /* any echo will do */
	}
	len = dlg_build_from(&sg, WT_ADDR_B, WT_ADDR_A, 1, buf);
	ws_stack_input(P.a, P.now, buf, len);
	assert_int_equal(ta->t_state, TCPS_CLOSE_WAIT);
	assert_int_equal(ta->rcv_nxt, tb->snd_nxt + 1);

	/*
	 * A minute of the two alone: B's persist probe (the byte, its FIN
	 * with it), then its retransmission timer.  A handful of segments
	 * per instant, not a storm.
	 */
	most = storm_run(&P, 60 * WS_USEC_PER_SEC);
	print_message("# storm: at most %llu segments at one instant, "
	    "B sent %llu\n", (unsigned long long)most,
	    (unsigned long long)tp_stats(P.b).tcp.sndtotal);
	assert_true(most <= 8);
	assert_true(tp_stats(P.b).tcp.sndtotal < 200);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_close(cn.l);
	assert_int_equal(wt_pair_teardown(&P), 0);
}

/*
 * fuzz_stack's sack-dsack-undo-rexmit-storm: A (SACK + RACK) accepts a
 * forged ACK that moves its SND.UNA into data B holds out of order (B
 * never got A's first segment), with a SACK for A's last segment.  B's
 * own ACKs stay at its RCV.NXT, below A's SND.UNA (old but acceptable,
 * RFC 5961 5.2), and their SACK blocks start there too, so A ignores
 * them.  RACK marks everything between lost; A resends what cwnd allows,
 * B reports each copy with a D-SACK (RFC 2883), and once all of them are
 * reported A undoes the episode; RACK then finds the segments that were
 * never resent lost again, on the same ACK.  Re-entering recovery must
 * resend those (RFC 8985), not force out the first segment once more
 * (RFC 6675 4.3's HighACK + 1), whose copy is D-SACKed and undone in
 * turn, in a loop that runs without virtual time passing.
 */
#define UNDO_SEGS 10

struct undo_flight {
	uint8_t frame[UNDO_SEGS * 2][1600];
	size_t len[UNDO_SEGS * 2];
	unsigned n;
};

static void
undo_take(void *arg, const uint8_t *frame, size_t len)
{
	struct undo_flight *f = arg;

	assert_true(f->n < UNDO_SEGS * 2 && len <= sizeof(f->frame[0]));
	memcpy(f->frame[f->n], frame, len);
	f->len[f->n++] = len;
}

static void
test_sack_dsack_undo_storm(void **state)
{
	static uint8_t data[UNDO_SEGS * 1448];
	static struct undo_flight fl;
	struct wt_pair P;
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	const struct tcpcb *ta, *tb;
	struct seg sg;
	uint8_t buf[128];
	size_t len;
	uint32_t una, max, mss, spurious;
	uint64_t most;

	(void)state;
	tp_setup_ip(&P, &o);
	tp_connect(&P, &cn);
	ta = sototcpcb(cn.c);
	tb = sototcpcb(cn.s);
	assert_true((ta->t_flags & TF_RACK) && tcp_sb_active(ta));
	mss = ta->t_maxseg;
	assert_true(mss <= 1448);
	/* A sends a flight of UNDO_SEGS segments (the initial window). */
	assert_int_equal(ws_tcp_send(cn.c, data, UNDO_SEGS * mss),
	    (ssize_t)(UNDO_SEGS * mss));
	ws_stack_poll(P.a, P.now);
	una = ta->snd_una;
	max = ta->snd_max;
	assert_int_equal(max - una, UNDO_SEGS * mss);

	/* The forged ACK: into the second segment, SACKing the last. */
	memset(&sg, 0, sizeof(sg));
	sg.sport = TP_PORT;
	sg.dport = ta->t_lport;
	sg.seq = ta->rcv_nxt;
	sg.ack = una + mss + 64;
	sg.flags = TH_ACK;
	sg.win = 65535;
	sg.opts.present = TOF_SACK;
	sg.opts.nsack = 1;
	sg.opts.sack[0].start = max - mss;
	sg.opts.sack[0].end = max;
	if ((ta->t_flags & TF_TSOK) == TF_TSOK) {
		sg.opts.present |= TOF_TS;
		sg.opts.tsval = ta->ts_recent;
		sg.opts.tsecr = tcp_ts_of(ta, P.now);
	}
	len = dlg_build_from(&sg, WT_ADDR_B, WT_ADDR_A, 1, buf);
	ws_stack_input(P.a, P.now, buf, len);
	assert_int_equal(ta->snd_una, una + mss + 64);
	assert_true(ta->t_flags & TF_FASTRECOVERY);

	/*
	 * B gets A's flight and the retransmissions that followed, all but
	 * the first segment: its RCV.NXT stays below A's SND.UNA.
	 */
	fl.n = 0;
	ws_link_recv(P.lb, P.now, undo_take, &fl, UNDO_SEGS * 2);
	assert_true(fl.n > UNDO_SEGS);
	for (unsigned i = 1; i < fl.n; i++)
		ws_stack_input(P.b, P.now, fl.frame[i], fl.len[i]);
	assert_int_equal(tb->rcv_nxt, una);

	/*
	 * A minute of the two alone: a few undos and RACK retransmissions
	 * at this instant, then A's backed-off RTO.  Not a storm.
	 */
	most = storm_run(&P, 60 * WS_USEC_PER_SEC);
	spurious = ta->t_undos;
	print_message("# undo storm: at most %llu segments at one instant, "
	    "A sent %llu, %u undos\n", (unsigned long long)most,
	    (unsigned long long)tp_stats(P.a).tcp.sndtotal, spurious);
	assert_true(spurious >= 1);
	assert_true(most <= 8);
	assert_true(tp_stats(P.a).tcp.sndtotal < 100);
	assert_true(tcp_sb_check(ta));
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_close(cn.l);
	assert_int_equal(wt_pair_teardown(&P), 0);
}

/* tcp_max_orphans: past it, a closing socket is reset at once. */
static void
tune_orphans(struct ws_stack_config *cfg)
{
	cfg->tcp_max_orphans = 1;
}

static void
test_max_orphans(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 5000, 0), o;
	struct ws_tcp *s2;

	(void)state;
	zero_window_conn(1000);
	assert_int_equal(ws_tcp_close(D.s), 0);
	D.s = NULL;
	assert_int_equal(D.st->tcp->norphans, 1);
	/* A second connection from another port, also stuck. */
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	sg = dlg_seg(TH_ACK, 5001, o.seq + 1);
	sg.sport = DLG_PPORT + 1;
	sg.win = 0;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &s2), 0);
	assert_int_equal(ws_tcp_send(s2, "x", 1), 1);
	assert_int_equal(ws_tcp_close(s2), 0);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags & TH_RST, TH_RST);
	assert_int_equal(o.dport, DLG_PPORT + 1);
	assert_int_equal(dlg_stats(&D).tcp.orphanlimit, 1);
	assert_int_equal(D.st->tcp->norphans, 1);
}

/* ---- tcp_mem_max: buffers of all connections together ---- */

static void
tune_mem(struct ws_stack_config *cfg)
{
	cfg->tcp_sndbuf = 65536;
	cfg->tcp_rcvbuf = 65536;
	cfg->tcp_mem_max = 2 * 65536;
}

static void
test_mem_max(void **state)
{
	struct seg sg, o;
	struct ws_tcp *s2;
	struct ws_tcp_info ti;
	char buf[8];

	(void)state;
	dlg_to_established(&D);
	/* Data in and out: both rings of D.s take the whole budget. */
	dlg_send_data(&D, "abc", 3, 0);
	assert_int_equal(ws_tcp_send(D.s, "xyz", 3), 3);
	assert_int_equal(D.st->tcp->mem, 2 * 65536);
	dlg_drain(&D, NULL, 0);

	/* A second connection: no memory for its rings. */
	sg = dlg_seg(TH_SYN, 5000, 0);
	sg.sport = DLG_PPORT + 1;
	sg.opts.present = TOF_MSS;
	sg.opts.mss = 1460;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	sg = dlg_seg(TH_ACK, 5001, o.seq + 1);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &s2), 0);
	/* Sending: "buffer full", not writable, no crash. */
	assert_false(ws_tcp_events(s2) & WS_TCP_WRITABLE);
	assert_int_equal(ws_tcp_send(s2, "x", 1), WS_EAGAIN);
	/* Receiving: the data is dropped and counted; ACKed, not kept. */
	sg = dlg_seg(TH_ACK | TH_PUSH, 5001, o.seq + 1);
	sg.sport = DLG_PPORT + 1;
	sg.data = "hello";
	sg.len = 5;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.ack, 5001);
	assert_int_equal(ws_tcp_recvavail(s2), 0);
	assert_true(dlg_stats(&D).tcp.memlimit >= 1);
	assert_true(dlg_stats(&D).tcp.rcvpackafterwin >= 1);
	/* The budget never went over. */
	assert_int_equal(D.st->tcp->mem, 2 * 65536);
	/* D.s goes away: s2 may write now, and is told so. */
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3);
	ws_tcp_abort(D.s);
	D.s = NULL;
	assert_int_equal(D.st->tcp->mem, 0);
	assert_true(ws_tcp_events(s2) & WS_TCP_WRITABLE);
	assert_int_equal(ws_tcp_send(s2, "x", 1), 1);
	/* And the resent data is taken. */
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_recvavail(s2), 5);
	ws_tcp_info(s2, &ti);
	assert_int_equal(ti.state, WS_TCPS_ESTABLISHED);
	ws_tcp_abort(s2);
}

/* tcp_max_conns is counted when hit. */
static void
tune_conns(struct ws_stack_config *cfg)
{
	cfg->tcp_max_conns = 2;
}

static void
test_max_conns(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 5000, 0), o;

	(void)state;
	dlg_listen(&D, 8);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.connlimit, 1);
	assert_int_equal(D.st->tcp->nconns, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synflood),
		DLG_TEST_TUNED(test_tiny_segments, tune_small_rcvbuf),
		DLG_TEST(test_endless_ooo),
		DLG_TEST_TUNED(test_endless_fragments, tune_reass),
		DLG_TEST(test_zero_window_answered),
		DLG_TEST(test_zero_window_unanswered),
		DLG_TEST_TUNED(test_zero_window_persist_max, tune_persist_max),
		DLG_TEST(test_zero_window_orphan),
		DLG_TEST(test_zero_window_probe_fin),
		cmocka_unit_test(test_finwait1_zero_window_storm),
		cmocka_unit_test(test_sack_dsack_undo_storm),
		DLG_TEST_TUNED(test_max_orphans, tune_orphans),
		DLG_TEST_TUNED(test_mem_max, tune_mem),
		DLG_TEST_TUNED(test_max_conns, tune_conns),
	};

	return cmocka_run_group_tests_name("tcp_limits", tests, NULL, NULL);
}

/*
 * TCP between two stacks over the in-memory link (medium IP), in virtual
 * time: handshakes, bulk transfer, every way of closing, resets, errors,
 * TIME_WAIT, zero window, urgent data.
 */
#include "config.h"

#include <stdio.h>

#include "tests/pair/tcp_pair.h"

#define SEC WS_USEC_PER_SEC

static struct wt_pair P;

/* Every case runs on a fresh pair P (stack seed 0). */
#define T(f) TP_TEST(f, &P, 0)

static bool
state_is(void *arg)
{
	struct { struct ws_tcp *s; enum ws_tcp_state st; } *w = arg;
	struct ws_tcp_info ti;

	ws_tcp_info(w->s, &ti);
	return ti.state == w->st;
}

static enum ws_tcp_state
tstate(struct ws_tcp *s)
{
	struct ws_tcp_info ti;

	ws_tcp_info(s, &ti);
	return ti.state;
}

static void
test_handshake(void **state)
{
	struct tp_conn cn;
	struct ws_tcp_info ci, si;
	struct ws_stats sa, sb;

	(void)state;
	tp_connect(&P, &cn);
	ws_tcp_info(cn.c, &ci);
	ws_tcp_info(cn.s, &si);
	assert_int_equal(ci.state, WS_TCPS_ESTABLISHED);
	assert_int_equal(si.state, WS_TCPS_ESTABLISHED);
	assert_int_equal(ci.remote_port, TP_PORT);
	assert_int_equal(si.local_port, TP_PORT);
	assert_int_equal(si.remote_port, ci.local_port);
	assert_true(ci.local_port >= 49152);
	/* MTU 1500: MSS 1460, less 12 bytes of timestamps. */
	assert_int_equal(ci.snd_mss, 1448);
	assert_int_equal(si.snd_mss, 1448);
	assert_true(ci.ts_ok && si.ts_ok && ci.sack_ok && si.sack_ok);
	/* 256 KB buffers need a window shift of 3. */
	assert_int_equal(ci.rcv_wscale, 3);
	assert_int_equal(ci.snd_wscale, 3);
	assert_true(ws_tcp_events(cn.c) & WS_TCP_WRITABLE);
	assert_true(ws_tcp_events(cn.s) & WS_TCP_WRITABLE);
	assert_false(ws_tcp_events(cn.s) & WS_TCP_READABLE);
	sa = tp_stats(P.a);
	sb = tp_stats(P.b);
	assert_int_equal(sa.tcp.connattempt, 1);
	assert_int_equal(sa.tcp.connects, 1);
	assert_int_equal(sb.tcp.accepts, 1);
	assert_int_equal(sb.tcp.connects, 1);
	/* Three segments: SYN, SYN-ACK, ACK. */
	assert_int_equal(sa.tcp.sndtotal + sb.tcp.sndtotal, 3);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_close(cn.l);
}

static void
test_options_off(void **state)
{
	struct ws_tcp *l, *c, *s = NULL;
	struct ws_tcp_info ci;
	struct tp_conn cn;

	(void)state;
	assert_int_equal(ws_tcp_open(P.b, &l), 0);
	assert_int_equal(ws_tcp_listen(l, TP_PORT, 4), 0);
	assert_int_equal(ws_tcp_open(P.a, &c), 0);
	assert_int_equal(ws_tcp_setopt(c, WS_TCP_TIMESTAMPS, 0), 0);
	assert_int_equal(ws_tcp_setopt(c, WS_TCP_WSCALE, 0), 0);
	assert_int_equal(ws_tcp_setopt(c, WS_TCP_SACK, 0), 0);
	assert_int_equal(ws_tcp_setopt(c, WS_TCP_MAXSEG, 1000), 0);
	assert_int_equal(ws_tcp_connect(c, WT_ADDR_B, TP_PORT), WS_EINPROGRESS);
	cn.l = l;
	cn.c = c;
	cn.s = NULL;
	assert_true(wt_pair_run(&P, tp_accepted, &cn, 5 * SEC));
	s = cn.s;
	ws_tcp_info(c, &ci);
	assert_false(ci.ts_ok);
	assert_false(ci.sack_ok);
	assert_int_equal(ci.snd_wscale, 0);
	assert_int_equal(ci.rcv_wscale, 0);
	/* WS_TCP_MAXSEG clamps both directions (as Linux TCP_MAXSEG). */
	assert_int_equal(ci.snd_mss, 1000);
	ws_tcp_info(s, &ci);
	assert_int_equal(ci.snd_mss, 1000); /* the peer's clamped MSS */
	assert_false(ci.ts_ok);
	/* Too late for these now. */
	assert_int_equal(ws_tcp_setopt(c, WS_TCP_SNDBUF, 4096), WS_EISCONN);
	ws_tcp_abort(c);
	ws_tcp_abort(s);
	ws_tcp_close(l);
}

/* Close all three sockets and let TIME_WAIT run out: nothing may remain. */
static void
close_all(struct tp_conn *cn)
{
	ws_tcp_close(cn->c);
	ws_tcp_close(cn->s);
	ws_tcp_close(cn->l);
	wt_pair_run(&P, NULL, NULL, 200 * SEC);
}

/*
 * len bytes of random data each way at once (seeds seed, seed + 1),
 * byte-exact within limit_us, then a clean close.
 */
static void
bulk_bidir(struct tp_conn *cn, size_t len, uint64_t seed, uint64_t limit_us)
{
	struct tp_xfer a, b;
	struct tp_bidir d = { &a, &b };

	tp_xfer_init(&a, cn->c, cn->s, len, seed);
	tp_xfer_init(&b, cn->s, cn->c, len, seed + 1);
	a.close_after = b.close_after = true;
	assert_true(wt_pair_run(&P, tp_bidir_done, &d, limit_us));
	assert_memory_equal(a.data, a.got, a.len);
	assert_memory_equal(b.data, b.got, b.len);
	tp_xfer_fini(&a);
	tp_xfer_fini(&b);
	close_all(cn);
}

/* 4 MB each way at once, random data, byte-exact, then a clean close. */
static void
test_bulk_bidir(void **state)
{
	struct tp_conn cn;

	(void)state;
	tp_connect(&P, &cn);
	bulk_bidir(&cn, 4u << 20, 11, 120 * SEC);
}

/* The same over Ethernet (ARP resolves first) with a 9000-byte MTU. */
static void
test_bulk_ether_jumbo(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	struct ws_tcp_info ci;

	(void)state;
	assert_int_equal(wt_pair_teardown(&P), 0);
	o.mem.medium = WS_MEDIUM_ETHERNET;
	o.mem.mtu = 9000;
	assert_int_equal(wt_pair_setup(&P, &o), 0);
	tp_connect(&P, &cn);
	ws_tcp_info(cn.c, &ci);
	assert_int_equal(ci.snd_mss, 9000 - 40 - 12);
	bulk_bidir(&cn, 1u << 20, 31, 60 * SEC);
}

/* A slow link (10 Mbit/s, 5 ms) so that windows and cwnd matter. */
static void
test_bulk_slow_link(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	struct tp_xfer a;
	struct ws_tcp_info ci;

	(void)state;
	assert_int_equal(wt_pair_teardown(&P), 0);
	o.mem.rate_bps = 10000000;
	o.mem.delay_us = 5000;
	o.mem.queue_limit = 64;
	tp_setup_ip(&P, &o);
	tp_connect(&P, &cn);
	tp_xfer_init(&a, cn.c, cn.s, 2u << 20, 21);
	a.close_after = true;
	{
		ws_time_t t0 = P.now;

		assert_true(wt_pair_run(&P, tp_xfer_done, &a, 60 * SEC));
		fprintf(stderr, "# 2 MB at 10 Mbit/s took %llu ms\n",
		    (unsigned long long)(P.now - t0) / 1000);
		/* The wire needs 1.75 s; slow start and recovery add some. */
		assert_true(P.now - t0 < 3 * SEC);
	}
	assert_memory_equal(a.data, a.got, a.len);
	wt_pair_run(&P, NULL, NULL, SEC / 2); /* the last ACKs */
	ws_tcp_info(cn.c, &ci);
	fprintf(stderr, "# rexmit %llu rtos %llu cwnd %u ssthresh %u rtt %u\n",
	    (unsigned long long)ci.retransmits, (unsigned long long)ci.rtos,
	    ci.snd_cwnd, ci.snd_ssthresh, ci.rtt_us);
	/* RTT about 10 ms plus queueing; losses at the 64-frame queue are
	 * repaired by fast retransmit, without timeouts. */
	assert_true(ci.rtt_us >= 10000);
	assert_int_equal(ci.rtos, 0);
	assert_true(ci.bytes_acked >= a.len);
	tp_xfer_fini(&a);
	close_all(&cn);
}

/* Active close by the client: FIN_WAIT_1/2, TIME_WAIT for 2 MSL. */
static void
test_close_active(void **state)
{
	struct tp_conn cn;
	struct { struct ws_tcp *s; enum ws_tcp_state st; } w;
	char buf[8];
	ws_time_t t0;

	(void)state;
	tp_connect(&P, &cn);
	assert_int_equal(ws_tcp_shutdown(cn.c, WS_SHUT_WR), 0);
	w.s = cn.s;
	w.st = WS_TCPS_CLOSE_WAIT;
	assert_true(wt_pair_run(&P, state_is, &w, SEC));
	wt_pair_run(&P, NULL, NULL, SEC / 100); /* the ACK of the FIN */
	assert_int_equal(tstate(cn.c), WS_TCPS_FIN_WAIT_2);
	assert_int_equal(ws_tcp_recv(cn.s, buf, sizeof(buf)), 0); /* EOF */
	assert_true(ws_tcp_events(cn.s) & WS_TCP_CLOSED);
	/* Half-closed: the server may still send. */
	assert_int_equal(ws_tcp_send(cn.s, "late", 4), 4);
	assert_int_equal(ws_tcp_send(cn.c, "x", 1), WS_EPIPE);
	w.s = cn.c;
	w.st = WS_TCPS_TIME_WAIT;
	assert_int_equal(ws_tcp_close(cn.s), 0);
	assert_true(wt_pair_run(&P, state_is, &w, SEC));
	assert_int_equal(ws_tcp_recv(cn.c, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "late", 4);
	assert_int_equal(ws_tcp_recv(cn.c, buf, sizeof(buf)), 0);
	/* TIME_WAIT lasts 2 * MSL (60 s by default). */
	t0 = P.now;
	w.st = WS_TCPS_CLOSED;
	assert_true(wt_pair_run(&P, state_is, &w, 100 * SEC));
	assert_true(P.now - t0 >= 60 * SEC - 1000);
	assert_true(P.now - t0 <= 61 * SEC);
	assert_int_equal(tp_stats(P.b).tcp.closed, 1);
	ws_tcp_close(cn.c);
	ws_tcp_close(cn.l);
}

/* Passive close: the server closes first after data; then the client. */
static void
test_close_passive(void **state)
{
	struct tp_conn cn;
	struct { struct ws_tcp *s; enum ws_tcp_state st; } w;
	char buf[16];

	(void)state;
	tp_connect(&P, &cn);
	assert_int_equal(ws_tcp_send(cn.s, "hello", 5), 5);
	assert_int_equal(ws_tcp_close(cn.s), 0); /* handle gone */
	w.s = cn.c;
	w.st = WS_TCPS_CLOSE_WAIT;
	assert_true(wt_pair_run(&P, state_is, &w, SEC));
	assert_int_equal(ws_tcp_recv(cn.c, buf, sizeof(buf)), 5);
	assert_int_equal(ws_tcp_recv(cn.c, buf, sizeof(buf)), 0);
	assert_int_equal(ws_tcp_close(cn.c), 0);
	/* LAST_ACK -> CLOSED on the client, TIME_WAIT on the server. */
	wt_pair_run(&P, NULL, NULL, 200 * SEC);
	ws_tcp_close(cn.l);
	assert_int_equal(tp_stats(P.a).tcp.closed, 1);
	assert_int_equal(tp_stats(P.b).tcp.closed, 1);
}

/* Both close at the same moment: FIN_WAIT_1 -> CLOSING -> TIME_WAIT. */
static void
test_close_simultaneous(void **state)
{
	struct tp_conn cn;
	struct { struct ws_tcp *s; enum ws_tcp_state st; } w;

	(void)state;
	tp_connect(&P, &cn);
	assert_int_equal(ws_tcp_shutdown(cn.c, WS_SHUT_WR), 0);
	assert_int_equal(ws_tcp_shutdown(cn.s, WS_SHUT_WR), 0);
	assert_int_equal(tstate(cn.c), WS_TCPS_FIN_WAIT_1);
	assert_int_equal(tstate(cn.s), WS_TCPS_FIN_WAIT_1);
	w.s = cn.c;
	w.st = WS_TCPS_TIME_WAIT;
	assert_true(wt_pair_run(&P, state_is, &w, SEC));
	assert_int_equal(tstate(cn.s), WS_TCPS_TIME_WAIT);
	w.st = WS_TCPS_CLOSED;
	assert_true(wt_pair_run(&P, state_is, &w, 100 * SEC));
	assert_int_equal(tstate(cn.s), WS_TCPS_CLOSED);
	ws_tcp_close(cn.c);
	ws_tcp_close(cn.s);
	ws_tcp_close(cn.l);
}

static bool
both_established(void *arg)
{
	struct ws_tcp **s = arg;

	return tstate(s[0]) == WS_TCPS_ESTABLISHED &&
	    tstate(s[1]) == WS_TCPS_ESTABLISHED;
}

/* Simultaneous open (RFC 9293 figure 7): both sides send SYN. */
static void
test_simultaneous_open(void **state)
{
	struct ws_tcp *s[2];
	struct tp_xfer x;

	(void)state;
	assert_int_equal(ws_tcp_open(P.a, &s[0]), 0);
	assert_int_equal(ws_tcp_open(P.b, &s[1]), 0);
	assert_int_equal(ws_tcp_bind(s[0], 40000), 0);
	assert_int_equal(ws_tcp_bind(s[1], 40001), 0);
	assert_int_equal(ws_tcp_connect(s[0], WT_ADDR_B, 40001), WS_EINPROGRESS);
	assert_int_equal(ws_tcp_connect(s[1], WT_ADDR_A, 40000), WS_EINPROGRESS);
	assert_true(wt_pair_run(&P, both_established, s, 5 * SEC));
	assert_int_equal(tp_stats(P.a).tcp.connects, 1);
	tp_xfer_init(&x, s[0], s[1], 100000, 5);
	assert_true(wt_pair_run(&P, tp_xfer_done, &x, 10 * SEC));
	assert_memory_equal(x.data, x.got, x.len);
	tp_xfer_fini(&x);
	ws_tcp_close(s[0]);
	ws_tcp_close(s[1]);
	wt_pair_run(&P, NULL, NULL, 200 * SEC);
}

static bool
has_error(void *arg)
{
	return (ws_tcp_events(arg) & WS_TCP_ERROR) != 0;
}

static void
test_refused(void **state)
{
	struct ws_tcp *c;

	(void)state;
	assert_int_equal(ws_tcp_open(P.a, &c), 0);
	assert_int_equal(ws_tcp_connect(c, WT_ADDR_B, 9), WS_EINPROGRESS);
	assert_true(wt_pair_run(&P, has_error, c, 5 * SEC));
	assert_int_equal(ws_tcp_error(c), WS_ECONNREFUSED);
	assert_int_equal(ws_tcp_error(c), 0); /* cleared */
	assert_int_equal(tstate(c), WS_TCPS_CLOSED);
	assert_int_equal(tp_stats(P.b).tcp.rcvnoport, 1);
	assert_int_equal(tp_stats(P.b).tcp.sndrst, 1);
	ws_tcp_close(c);
}

/* Abort sends RST: the peer sees ECONNRESET on recv and send. */
static void
test_abort_reset(void **state)
{
	struct tp_conn cn;
	char buf[4];

	(void)state;
	tp_connect(&P, &cn);
	ws_tcp_abort(cn.c);
	assert_true(wt_pair_run(&P, has_error, cn.s, SEC));
	assert_int_equal(ws_tcp_recv(cn.s, buf, sizeof(buf)), WS_ECONNRESET);
	assert_int_equal(ws_tcp_recv(cn.s, buf, sizeof(buf)), 0);
	assert_int_equal(ws_tcp_send(cn.s, "x", 1), WS_EPIPE);
	assert_int_equal(tstate(cn.s), WS_TCPS_CLOSED);
	ws_tcp_close(cn.s);
	ws_tcp_close(cn.l);
}

/* Closing with unread data aborts (RFC 2525 2.17). */
static void
test_close_unread_resets(void **state)
{
	struct tp_conn cn;

	(void)state;
	tp_connect(&P, &cn);
	assert_int_equal(ws_tcp_send(cn.c, "unread", 6), 6);
	wt_pair_run(&P, NULL, NULL, SEC / 10);
	assert_int_equal(ws_tcp_recvavail(cn.s), 6);
	ws_tcp_close(cn.s);
	assert_true(wt_pair_run(&P, has_error, cn.c, SEC));
	assert_int_equal(ws_tcp_error(cn.c), WS_ECONNRESET);
	ws_tcp_close(cn.c);
	ws_tcp_close(cn.l);
}

/* The peer disappears: retransmissions give up with ETIMEDOUT. */
static void
test_timeout_peer_gone(void **state)
{
	struct tp_conn cn;
	struct ws_stats sa;
	ws_time_t t0;

	(void)state;
	tp_connect(&P, &cn);
	ws_stack_free(P.b); /* B vanishes without a word; A runs alone */
	P.b = NULL;
	assert_int_equal(ws_tcp_send(cn.c, "data", 4), 4);
	t0 = P.now;
	while (!(ws_tcp_events(cn.c) & WS_TCP_ERROR)) {
		ws_time_t next = ws_stack_next_deadline(P.a);

		assert_true(next != WS_TIME_NEVER);
		assert_true(next > P.now);
		P.now = next;
		ws_stack_poll(P.a, P.now);
		assert_true(P.now - t0 < 400 * SEC);
	}
	assert_int_equal(ws_tcp_error(cn.c), WS_ETIMEDOUT);
	sa = tp_stats(P.a);
	assert_int_equal(sa.tcp.timeoutdrop, 1);
	assert_true(sa.tcp.rexmttimeo >= 8);
	/* Gave up within the 2-minute limit plus one maximal RTO. */
	assert_true(P.now - t0 <= 181 * SEC);
	ws_tcp_close(cn.c);
	/* B's handles went with its stack. */
	{
		struct ws_stack_config cfg;
		struct ws_allocator ab;

		wt_alloc_init(&P.alloc_b, &ab);
		ws_stack_config_init(&cfg);
		cfg.link = P.lb;
		cfg.addr = WT_ADDR_B;
		cfg.prefix_len = 24;
		cfg.allocator = &ab;
		cfg.seed = 2;
		assert_int_equal(ws_stack_new(&P.b, &cfg, P.now), 0);
	}
}

/* SYNs into the void: connect fails with ETIMEDOUT after 7 retries, more
 * than 3 minutes (RFC 9293 MUST-23). */
static void
test_connect_timeout(void **state)
{
	struct ws_tcp *c;
	ws_time_t t0 = P.now;

	(void)state;
	assert_int_equal(ws_tcp_open(P.a, &c), 0);
	/* 198.18.0.3 does not exist on the mem link (B drops it). */
	assert_int_equal(ws_tcp_connect(c, 0xc6120003u, 80), WS_EINPROGRESS);
	assert_true(wt_pair_run(&P, has_error, c, 300 * SEC));
	assert_int_equal(ws_tcp_error(c), WS_ETIMEDOUT);
	/* 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 s */
	assert_true(P.now - t0 >= 180 * SEC);
	assert_true(P.now - t0 <= 190 * SEC);
	assert_int_equal(tp_stats(P.a).tcp.rexmttimeo, 7);
	ws_tcp_close(c);
}

/* Ethernet: nobody answers ARP for the address: WS_EHOSTUNREACH. */
static void
test_connect_arp_unreach(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct ws_tcp *c;
	ws_time_t t0;

	(void)state;
	assert_int_equal(wt_pair_teardown(&P), 0);
	o.mem.medium = WS_MEDIUM_ETHERNET;
	assert_int_equal(wt_pair_setup(&P, &o), 0);
	t0 = P.now;
	assert_int_equal(ws_tcp_open(P.a, &c), 0);
	assert_int_equal(ws_tcp_connect(c, 0xc6120009u, 80), WS_EINPROGRESS);
	assert_true(wt_pair_run(&P, has_error, c, 300 * SEC));
	assert_int_equal(ws_tcp_error(c), WS_EHOSTUNREACH);
	/* ARP gives up after 15 s; the next SYN retry learns it. */
	assert_true(P.now - t0 >= 15 * SEC);
	assert_true(P.now - t0 <= 32 * SEC);
	ws_tcp_close(c);
}

struct zw {
	struct tp_conn cn;
	size_t sent;
};

static bool
zw_fill(void *arg)
{
	struct zw *z = arg;
	static uint8_t buf[65536];

	for (;;) {
		ssize_t n = ws_tcp_send(z->cn.c, buf, sizeof(buf));

		if (n <= 0)
			break;
		z->sent += (size_t)n;
	}
	return false;
}

/* The receiver does not read: zero window, persist probes, then resume. */
static void
test_zero_window_persist(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct zw z;
	struct ws_stats sa, sb;
	struct ws_tcp_info si;
	uint8_t buf[65536];
	size_t got = 0;

	(void)state;
	assert_int_equal(wt_pair_teardown(&P), 0);
	tp_setup_ip(&P, &o);
	memset(&z, 0, sizeof(z));
	tp_connect(&P, &z.cn);
	wt_pair_run(&P, zw_fill, &z, 30 * SEC);
	sa = tp_stats(P.a);
	sb = tp_stats(P.b);
	/* B's buffer (256 KB) is full, A's too; A probes. */
	/* Receiver SWS avoidance may leave less than an MSS unused. */
	assert_true(ws_tcp_recvavail(z.cn.s) > 262144 - 1448);
	ws_tcp_info(z.cn.s, &si);
	assert_int_equal(si.rcv_wnd, 0);
	assert_true(sa.tcp.persisttimeo >= 3);
	assert_true(sa.tcp.sndprobe >= 3);
	assert_true(sb.tcp.rcvwinprobe >= 3);
	assert_int_equal(sa.tcp.timeoutdrop, 0);
	/* The connection is still alive; read everything. */
	for (int i = 0; i < 100000 && got < z.sent; i++) {
		ssize_t n = ws_tcp_recv(z.cn.s, buf, sizeof(buf));

		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		assert_int_equal(n, WS_EAGAIN);
		wt_pair_run(&P, NULL, NULL, SEC / 100);
	}
	assert_int_equal(got, z.sent);
	ws_tcp_abort(z.cn.c);
	ws_tcp_abort(z.cn.s);
	ws_tcp_close(z.cn.l);
}

static unsigned cb_calls;
static unsigned cb_last;

static void
count_cb(struct ws_tcp *s, unsigned ev, void *arg)
{
	(void)s;
	(void)arg;
	cb_calls++;
	cb_last = ev;
}

/* The callback fires on readiness changes; echo from inside it works. */
static void
echo_cb(struct ws_tcp *s, unsigned ev, void *arg)
{
	char buf[256];
	ssize_t n;

	(void)arg;
	if (ev & WS_TCP_READABLE) {
		while ((n = ws_tcp_recv(s, buf, sizeof(buf))) > 0)
			assert_int_equal(ws_tcp_send(s, buf, (size_t)n), n);
	}
}

static bool
got_echo(void *arg)
{
	return ws_tcp_recvavail(arg) >= 11;
}

static void
test_callback_echo(void **state)
{
	struct tp_conn cn;
	char buf[16];

	(void)state;
	cb_calls = 0;
	tp_connect(&P, &cn);
	ws_tcp_set_callback(cn.s, echo_cb, NULL);
	ws_tcp_set_callback(cn.c, count_cb, NULL);
	assert_int_equal(ws_tcp_send(cn.c, "hello world", 11), 11);
	assert_true(wt_pair_run(&P, got_echo, cn.c, SEC));
	assert_true(cb_calls >= 1);
	assert_true(cb_last & WS_TCP_READABLE);
	assert_int_equal(ws_tcp_recv(cn.c, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_close(cn.l);
}

/*
 * Urgent data between two stacks (RFC 9293 3.8.5): 100000 plain bytes,
 * one urgent byte, 99999 plain bytes, all queued at once.  The receiver
 * sees urgent mode with a mark that only moves forward and never passes
 * the true one (the first pointers, more than 65535 ahead, are capped),
 * reaches the true mark before it reads the urgent byte, and gets the
 * stream byte-exact, in-line.
 */
#define URG_LEN 200000
#define URG_MARK 100001 /* one past the urgent byte */

struct urg_run {
	struct tp_conn *cn;
	uint8_t *data, *got;
	size_t sent, rcvd;
	size_t mark;            /* latest mark seen by the receiver */
	bool at_mark;           /* saw the true mark before reading it */
	unsigned cb_urgent;     /* receiver callbacks with WS_TCP_URGENT */
};

static void
urg_cb(struct ws_tcp *s, unsigned ev, void *arg)
{
	struct urg_run *u = arg;

	(void)s;
	if (ev & WS_TCP_URGENT)
		u->cb_urgent++;
}

static bool
urg_step(void *arg)
{
	struct urg_run *u = arg;
	uint8_t buf[16384];

	while (u->sent < URG_LEN) {
		size_t stop = u->sent < URG_MARK - 1 ? URG_MARK - 1 :
		    u->sent == URG_MARK - 1 ? URG_MARK : URG_LEN;
		ssize_t n = u->sent == URG_MARK - 1 ?
		    ws_tcp_send_urgent(u->cn->c, u->data + u->sent, 1) :
		    ws_tcp_send(u->cn->c, u->data + u->sent, stop - u->sent);

		if (n == WS_EAGAIN)
			break;
		assert_true(n > 0);
		u->sent += (size_t)n;
	}
	for (;;) {
		size_t left;
		ssize_t n;

		size_t want = sizeof(buf);

		if (ws_tcp_urgent(u->cn->s, &left) == 1) {
			size_t mark = u->rcvd + left;

			assert_true(mark >= u->mark && mark <= URG_MARK);
			u->mark = mark;
			if (mark == URG_MARK && u->rcvd < URG_MARK)
				u->at_mark = true;
			/* Stop at the mark, as BSD sockets do. */
			if (left < want)
				want = left;
		}
		n = ws_tcp_recv(u->cn->s, buf, want);
		if (n == WS_EAGAIN)
			break;
		assert_true(n > 0);
		/* No false end of the urgent data is ever reached. */
		if (u->mark > 0 && u->rcvd + (size_t)n == u->mark)
			assert_int_equal(u->mark, URG_MARK);
		assert_true(u->rcvd + (size_t)n <= URG_LEN);
		memcpy(u->got + u->rcvd, buf, (size_t)n);
		u->rcvd += (size_t)n;
	}
	return u->rcvd == URG_LEN;
}

static void
test_urgent(void **state)
{
	struct tp_conn cn;
	struct urg_run u;
	struct ws_stats sa, sb;
	size_t left;

	(void)state;
	memset(&u, 0, sizeof(u));
	tp_connect(&P, &cn);
	u.cn = &cn;
	u.data = malloc(URG_LEN);
	u.got = malloc(URG_LEN);
	assert_non_null(u.data);
	assert_non_null(u.got);
	tp_fill(u.data, URG_LEN, 9);
	ws_tcp_set_callback(cn.s, urg_cb, &u);
	assert_true(wt_pair_run(&P, urg_step, &u, 30 * SEC));
	assert_memory_equal(u.data, u.got, URG_LEN);
	assert_true(u.at_mark);
	assert_int_equal(u.mark, URG_MARK);
	assert_true(u.cb_urgent >= 1);
	assert_int_equal(ws_tcp_urgent(cn.s, &left), 0);
	assert_int_equal(left, 0);
	ws_stack_stats(P.a, &sa);
	ws_stack_stats(P.b, &sb);
	assert_true(sa.tcp.sndurg >= 1);
	assert_true(sb.tcp.rcvurg >= 1);
	assert_int_equal(sa.tcp.rcvurg, 0);
	assert_int_equal(sb.tcp.sndurg, 0);
	free(u.data);
	free(u.got);
	ws_tcp_abort(cn.c);
	ws_tcp_abort(cn.s);
	ws_tcp_close(cn.l);
}

/* Backlog 1: a second SYN is dropped while the first waits. */
static void
test_backlog(void **state)
{
	struct ws_tcp *l, *c1, *c2, *s = NULL, *s2;

	(void)state;
	assert_int_equal(ws_tcp_open(P.b, &l), 0);
	assert_int_equal(ws_tcp_listen(l, TP_PORT, 1), 0);
	assert_int_equal(ws_tcp_open(P.b, &c1), 0);
	assert_int_equal(ws_tcp_listen(c1, TP_PORT, 1), WS_EADDRINUSE);
	ws_tcp_close(c1);
	assert_int_equal(ws_tcp_open(P.a, &c1), 0);
	assert_int_equal(ws_tcp_open(P.a, &c2), 0);
	assert_int_equal(ws_tcp_connect(c1, WT_ADDR_B, TP_PORT), WS_EINPROGRESS);
	wt_pair_run(&P, NULL, NULL, SEC / 10);
	assert_int_equal(ws_tcp_connect(c2, WT_ADDR_B, TP_PORT), WS_EINPROGRESS);
	wt_pair_run(&P, NULL, NULL, SEC / 10);
	assert_true(tp_stats(P.b).tcp.listendrop >= 1);
	assert_int_equal(tstate(c2), WS_TCPS_SYN_SENT);
	assert_true(ws_tcp_events(l) & WS_TCP_READABLE);
	assert_int_equal(ws_tcp_accept(l, &s), 0);
	assert_int_equal(ws_tcp_accept(l, &s2), WS_EAGAIN);
	assert_null(s2);
	/* The second gets in on its SYN retransmission. */
	wt_pair_run(&P, NULL, NULL, 3 * SEC);
	assert_int_equal(tstate(c2), WS_TCPS_ESTABLISHED);
	ws_tcp_abort(c1);
	ws_tcp_abort(c2);
	ws_tcp_abort(s);
	ws_tcp_close(l); /* resets the unaccepted one */
	wt_pair_run(&P, NULL, NULL, SEC);
}

/* Connection limit: tcp_max_conns counts every control block. */
static void
tune_limit(struct ws_stack_config *cfg, int side)
{
	(void)side;
	cfg->tcp_max_conns = 2;
	cfg->tcp_msl_ms = 1000;
}

static void
test_conn_limit(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct ws_tcp *a, *b, *c;

	(void)state;
	assert_int_equal(wt_pair_teardown(&P), 0);
	o.tune = tune_limit;
	tp_setup_ip(&P, &o);
	assert_int_equal(ws_tcp_open(P.a, &a), 0);
	assert_int_equal(ws_tcp_open(P.a, &b), 0);
	assert_int_equal(ws_tcp_open(P.a, &c), WS_ENOMEM);
	assert_int_equal(tp_stats(P.a).tcp.nomem, 1);
	ws_tcp_close(b);
	assert_int_equal(ws_tcp_open(P.a, &c), 0);
	ws_tcp_close(a);
	ws_tcp_close(c);
}

/* Short MSL: TIME_WAIT expiry and reuse of the 4-tuple (RFC 6191). */
static void
test_time_wait_reuse(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	struct ws_tcp *c2, *s2 = NULL;
	struct { struct ws_tcp *s; enum ws_tcp_state st; } w;
	struct ws_tcp_info ci;

	(void)state;
	assert_int_equal(wt_pair_teardown(&P), 0);
	o.tune = tune_limit;
	tp_setup_ip(&P, &o);
	/* max_conns 2 on each: listener + one connection on B. */
	tp_connect(&P, &cn);
	ws_tcp_info(cn.c, &ci);
	/* The server closes first: B holds TIME_WAIT. */
	ws_tcp_close(cn.s);
	wt_pair_run(&P, NULL, NULL, SEC / 10);
	ws_tcp_close(cn.c);
	wt_pair_run(&P, NULL, NULL, SEC / 10);
	/* A new connection from the same port while B is in TIME_WAIT. */
	assert_int_equal(ws_tcp_open(P.a, &c2), 0);
	assert_int_equal(ws_tcp_bind(c2, ci.local_port), 0);
	assert_int_equal(ws_tcp_connect(c2, WT_ADDR_B, TP_PORT), WS_EINPROGRESS);
	w.s = c2;
	w.st = WS_TCPS_ESTABLISHED;
	assert_true(wt_pair_run(&P, state_is, &w, SEC));
	assert_int_equal(tp_stats(P.b).tcp.twreuse, 1);
	assert_int_equal(ws_tcp_accept(cn.l, &s2), 0);
	ws_tcp_abort(c2);
	ws_tcp_abort(s2);
	ws_tcp_close(cn.l);
	wt_pair_run(&P, NULL, NULL, 5 * SEC);
}

static void
test_api_errors(void **state)
{
	struct ws_tcp *s, *l;
	char buf[4];

	(void)state;
	assert_int_equal(ws_tcp_open(P.a, &s), 0);
	assert_int_equal(ws_tcp_send(s, "x", 1), WS_ENOTCONN);
	assert_int_equal(ws_tcp_recv(s, buf, 1), WS_ENOTCONN);
	assert_int_equal(ws_tcp_shutdown(s, WS_SHUT_WR), WS_ENOTCONN);
	assert_int_equal(ws_tcp_listen(s, 0, 1), WS_EINVAL);
	assert_int_equal(ws_tcp_connect(s, 0, 80), WS_EADDRNOTAVAIL);
	assert_int_equal(ws_tcp_connect(s, 0xe0000001u, 80), WS_EADDRNOTAVAIL);
	assert_int_equal(ws_tcp_connect(s, 0xffffffffu, 80), WS_EADDRNOTAVAIL);
	/* Our /24's directed broadcast, 198.18.0.255 (MUST-46). */
	assert_int_equal(ws_tcp_connect(s, 0xc61200ffu, 80), WS_ENETUNREACH);
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_CC, 99), WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_SNDBUF, -1), WS_EINVAL);
	assert_int_equal(ws_tcp_accept(s, &l), WS_EINVAL);
	assert_int_equal(ws_tcp_connect(s, WT_ADDR_B, 80), WS_EINPROGRESS);
	assert_int_equal(ws_tcp_connect(s, WT_ADDR_B, 80), WS_EALREADY);
	assert_int_equal(ws_tcp_listen(s, 80, 1), WS_EISCONN);
	ws_tcp_close(s);
	assert_int_equal(ws_tcp_open(P.a, &l), 0);
	assert_int_equal(ws_tcp_listen(l, 80, 1), 0);
	assert_int_equal(ws_tcp_send(l, "x", 1), WS_ENOTCONN);
	assert_int_equal(ws_tcp_events(l), 0);
	ws_tcp_close(l);
	assert_string_equal(ws_tcp_state_name(WS_TCPS_TIME_WAIT), "TIME_WAIT");
	assert_string_equal(ws_tcp_state_name(WS_TCPS_SYN_RECEIVED),
	    "SYN_RECEIVED");
	assert_string_equal(ws_tcp_state_name((enum ws_tcp_state)99), "UNKNOWN");
}

/* Keep-alive: a silent peer that vanished is detected. */
static void
test_keepalive(void **state)
{
	struct tp_conn cn;
	struct ws_stats sa;

	(void)state;
	tp_connect(&P, &cn);
	assert_int_equal(ws_tcp_setopt(cn.c, WS_TCP_KEEPIDLE, 10), 0);
	assert_int_equal(ws_tcp_setopt(cn.c, WS_TCP_KEEPINTVL, 2), 0);
	assert_int_equal(ws_tcp_setopt(cn.c, WS_TCP_KEEPCNT, 3), 0);
	assert_int_equal(ws_tcp_setopt(cn.c, WS_TCP_KEEPALIVE, 1), 0);
	/* The peer answers probes: nothing happens for a long time. */
	wt_pair_run(&P, NULL, NULL, 60 * SEC);
	sa = tp_stats(P.a);
	assert_true(sa.tcp.keepprobe >= 4);
	assert_int_equal(sa.tcp.keepdrops, 0);
	assert_int_equal(tstate(cn.c), WS_TCPS_ESTABLISHED);
	/* B aborts: A learns at once (RST), not by keep-alive. */
	ws_tcp_close(cn.l);
	ws_tcp_abort(cn.s);
	assert_true(wt_pair_run(&P, has_error, cn.c, 30 * SEC));
	assert_int_equal(ws_tcp_error(cn.c), WS_ECONNRESET);
	ws_tcp_close(cn.c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_handshake),
		T(test_options_off),
		T(test_bulk_bidir),
		T(test_bulk_ether_jumbo),
		T(test_bulk_slow_link),
		T(test_close_active),
		T(test_close_passive),
		T(test_close_simultaneous),
		T(test_simultaneous_open),
		T(test_refused),
		T(test_abort_reset),
		T(test_close_unread_resets),
		T(test_timeout_peer_gone),
		T(test_connect_timeout),
		T(test_connect_arp_unreach),
		T(test_zero_window_persist),
		T(test_callback_echo),
		T(test_urgent),
		T(test_backlog),
		T(test_conn_limit),
		T(test_time_wait_reuse),
		T(test_api_errors),
		T(test_keepalive),
	};

	return cmocka_run_group_tests_name("tcp_pair", tests, NULL, NULL);
}

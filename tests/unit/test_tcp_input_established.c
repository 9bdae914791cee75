/*
 * RFC 9293 3.10.7.4 in ESTABLISHED: acceptability and trimming, RST and
 * SYN (RFC 5961), ACK processing, data in and out of order, windows,
 * Nagle, delayed ACKs, fast retransmit, sequence wrap-around.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

static uint8_t big[65536];

/* Established with a small receive buffer (window edges are exact). */
static void
small_window(struct dlg *d, int rcvbuf)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;

	assert_int_equal(ws_tcp_open(d->st, &d->l), 0);
	assert_int_equal(ws_tcp_setopt(d->l, WS_TCP_RCVBUF, rcvbuf), 0);
	assert_int_equal(ws_tcp_listen(d->l, DLG_LPORT, 4), 0);
	sg.opts.present = TOF_MSS;
	sg.opts.mss = 1460;
	dlg_send(d, &sg);
	assert_true(dlg_recv(d, &o));
	assert_int_equal(o.win, rcvbuf);
	d->iss = o.seq;
	d->snd = DLG_PEER_ISS + 1;
	d->rcv = o.seq + 1;
	sg = dlg_seg(TH_ACK, d->snd, d->rcv);
	dlg_send(d, &sg);
	assert_int_equal(ws_tcp_accept(d->l, &d->s), 0);
}

/* In-order data: ACK delayed by 40 ms (RFC 1122 4.2.3.2). */
static void
test_delayed_ack(void **state)
{
	struct seg o;
	ws_time_t t0;
	char buf[16];

	(void)state;
	dlg_to_established(&D);
	t0 = D.now;
	dlg_send_data(&D, "hello", 5, TH_PUSH);
	dlg_expect_none(&D);
	assert_true(ws_tcp_events(D.s) & WS_TCP_READABLE);
	assert_int_equal(ws_tcp_recvavail(D.s), 5);
	dlg_at(&D, t0 + 40 * DLG_MS - 1);
	dlg_expect_none(&D);
	dlg_at(&D, t0 + 40 * DLG_MS);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, &o);
	assert_int_equal(o.win, 65535);
	assert_int_equal(dlg_stats(&D).tcp.snddelack, 1);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), WS_EAGAIN);
	assert_int_equal(dlg_stats(&D).tcp.rcvpack, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvbyte, 5);
}

/* A second full-sized segment is ACKed at once. */
static void
test_ack_every_second_segment(void **state)
{
	(void)state;
	dlg_to_established(&D);
	dlg_send_data(&D, big, 1460, 0);
	dlg_expect_none(&D);
	dlg_send_data(&D, big + 1460, 1460, 0);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	dlg_send_data(&D, big + 2920, 1460, 0);
	dlg_expect_none(&D);
}

/* Out of order: immediate duplicate ACK; filling the hole: ACK all. */
static void
test_out_of_order(void **state)
{
	uint32_t base;
	struct seg sg;
	uint8_t buf[4000];

	(void)state;
	dlg_to_established(&D);
	base = D.snd;
	sg = dlg_seg(TH_ACK, base + 1000, D.rcv);
	sg.data = big + 1000;
	sg.len = 1000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base, 0, NULL);
	sg = dlg_seg(TH_ACK, base + 3000, D.rcv);
	sg.data = big + 3000;
	sg.len = 500;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base, 0, NULL);
	assert_int_equal(ws_tcp_recvavail(D.s), 0);
	assert_false(ws_tcp_events(D.s) & WS_TCP_READABLE);
	/* The first hole: now [0, 2000) is in order. */
	sg = dlg_seg(TH_ACK, base, D.rcv);
	sg.data = big;
	sg.len = 1000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base + 2000, 0, NULL);
	/* The second. */
	sg = dlg_seg(TH_ACK, base + 2000, D.rcv);
	sg.data = big + 2000;
	sg.len = 1000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base + 3500, 0, NULL);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3500);
	assert_memory_equal(buf, big, 3500);
	assert_int_equal(dlg_stats(&D).tcp.rcvoopack, 2);
	assert_int_equal(dlg_stats(&D).tcp.rcvoobyte, 1500);
}

/* Duplicates and partial duplicates (RFC 9293 3.10.7.4 first). */
static void
test_duplicates(void **state)
{
	uint32_t base;
	struct seg sg;
	uint8_t buf[4000];

	(void)state;
	dlg_to_established(&D);
	base = D.snd;
	dlg_send_data(&D, big, 1000, 0);
	/* The same again: not acceptable, ACK at once. */
	sg = dlg_seg(TH_ACK, base, D.rcv);
	sg.data = big;
	sg.len = 1000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base + 1000, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rcvduppack, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvdupbyte, 1000);
	/* Overlapping old and new: only the new part counts. */
	sg = dlg_seg(TH_ACK, base + 500, D.rcv);
	sg.data = big + 500;
	sg.len = 1000;
	dlg_send(&D, &sg);
	D.snd = base + 1500;
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 1500);
	assert_memory_equal(buf, big, 1500);
	assert_int_equal(dlg_stats(&D).tcp.rcvdupbyte, 1500);
}

/* Window edges: beyond the window is cut off or refused. */
static void
test_window_edges(void **state)
{
	uint32_t base;
	struct seg sg, o;
	uint8_t buf[5000];

	(void)state;
	small_window(&D, 4096);
	base = D.snd;
	/* Entirely beyond RCV.NXT + RCV.WND: ACK and drop. */
	sg = dlg_seg(TH_ACK, base + 4096, D.rcv);
	sg.data = big;
	sg.len = 10;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rcvpackafterwin, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvdropack, 1);
	/* Straddling the edge: trimmed to the window, FIN cut off too. */
	sg = dlg_seg(TH_ACK | TH_FIN, base + 4000, D.rcv);
	sg.data = big + 4000;
	sg.len = 200;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base, 0, NULL); /* out of order */
	sg = dlg_seg(TH_ACK, base, D.rcv);
	sg.data = big;
	sg.len = 4000;
	dlg_send(&D, &sg);
	/* All 4096 bytes are in, the window is closed. */
	dlg_expect(&D, TH_ACK, D.rcv, base + 4096, 0, &o);
	assert_int_equal(o.win, 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	/* A zero-window probe gets an ACK repeating the window. */
	sg = dlg_seg(TH_ACK, base + 4096, D.rcv);
	sg.data = "z";
	sg.len = 1;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base + 4096, 0, &o);
	assert_int_equal(o.win, 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvwinprobe, 1);
	/* A zero-length ACK at RCV.NXT is still acceptable (window 0). */
	sg = dlg_seg(TH_ACK, base + 4096, D.rcv);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* Reading 1000 bytes: too little to announce (SWS avoidance). */
	assert_int_equal(ws_tcp_recv(D.s, buf, 1000), 1000);
	dlg_expect_none(&D);
	/* Reading past half the buffer: a window update. */
	assert_int_equal(ws_tcp_recv(D.s, buf, 1100), 1100);
	dlg_expect(&D, TH_ACK, D.rcv, base + 4096, 0, &o);
	assert_int_equal(o.win, 2100);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 1996);
	assert_memory_equal(buf, big + 2100, 1996);
}

/* RFC 5961 3.2: only an exact RST resets. */
static void
test_rst(void **state)
{
	struct seg sg;
	char buf[4];

	(void)state;
	dlg_to_established(&D);
	sg = dlg_seg(TH_RST, D.snd + 1, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	sg = dlg_seg(TH_RST, D.snd - 1, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	sg = dlg_seg(TH_RST, D.snd + 300000, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.rcvbadrst, 2);
	sg = dlg_seg(TH_RST | TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_tcp_events(D.s) & (WS_TCP_ERROR | WS_TCP_CLOSED),
	    WS_TCP_ERROR | WS_TCP_CLOSED);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), WS_ECONNRESET);
	assert_int_equal(ws_tcp_send(D.s, "x", 1), WS_EPIPE);
}

/* RFC 5961 7: challenge ACKs are limited per stack per second. */
static void
test_challenge_limit(void **state)
{
	struct seg sg, o;
	int acks = 0;

	(void)state;
	dlg_to_established(&D);
	for (int i = 0; i < 15; i++) {
		sg = dlg_seg(TH_RST, D.snd + 10 + (uint32_t)i, 0);
		dlg_send(&D, &sg);
		while (dlg_recv(&D, &o))
			acks++;
	}
	assert_int_equal(acks, 10);
	assert_int_equal(dlg_stats(&D).tcp.challengeack, 10);
	assert_int_equal(dlg_stats(&D).tcp.challengelimit, 5);
	dlg_wait(&D, DLG_US);
	sg = dlg_seg(TH_RST, D.snd + 10, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
}

/* RFC 5961 4.2: a SYN in a synchronized state: challenge ACK. */
static void
test_syn_challenge(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_established(&D);
	sg = dlg_seg(TH_SYN, D.snd + 100, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	/* Even an exactly in-sequence SYN. */
	sg = dlg_seg(TH_SYN, D.snd, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(dlg_stats(&D).tcp.challengeack, 2);
}

/* RFC 5961 5.2: ACKs of unsent data or far in the past: challenge. */
static void
test_bad_acks(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_established(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	sg.data = "data";
	sg.len = 4;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rcvacktoomuch, 1);
	/* The data of that segment was not taken. */
	assert_int_equal(ws_tcp_recvavail(D.s), 0);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv - 200000);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.challengeack, 2);
	/* A segment without ACK is dropped silently. */
	sg = dlg_seg(0, D.snd, 0);
	sg.data = "x";
	sg.len = 1;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(ws_tcp_recvavail(D.s), 0);
}

/* FIN: CLOSE_WAIT, immediate ACK of FIN, EOF after the data. */
static void
test_fin(void **state)
{
	char buf[8];

	(void)state;
	dlg_to_established(&D);
	dlg_send_data(&D, "bye", 3, TH_FIN);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
	assert_true(ws_tcp_events(D.s) & WS_TCP_CLOSED);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 0);
	/* We can still send in CLOSE_WAIT. */
	assert_int_equal(ws_tcp_send(D.s, "ok", 2), 2);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 2, NULL);
}

/* A FIN ahead of a hole waits for the hole. */
static void
test_fin_out_of_order(void **state)
{
	struct seg sg;
	uint32_t base;

	(void)state;
	dlg_to_established(&D);
	base = D.snd;
	sg = dlg_seg(TH_ACK | TH_FIN, base + 3, D.rcv);
	sg.data = "def";
	sg.len = 3;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	sg = dlg_seg(TH_ACK, base, D.rcv);
	sg.data = "abc";
	sg.len = 3;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, base + 7, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
}

/* Sending: MSS-sized segments, PSH on the last, Nagle, peer window. */
static void
test_send_segments(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_send(D.s, big, 3000), 3000);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 1460, NULL);
	dlg_expect(&D, TH_ACK, D.rcv + 1460, D.snd, 1460, NULL);
	/* Nagle: the 80-byte tail waits for an ACK (data in flight). */
	dlg_expect_none(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 2920);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv + 2920, D.snd, 80, NULL);
	D.rcv += 3000;
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	/* Idle: a small write goes at once; a second one waits. */
	assert_int_equal(ws_tcp_send(D.s, "a", 1), 1);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 1, NULL);
	assert_int_equal(ws_tcp_send(D.s, "b", 1), 1);
	dlg_expect_none(&D);
	/* TCP_NODELAY sends it. */
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_NODELAY, 1), 0);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv + 1, D.snd, 1, NULL);
	assert_int_equal(ws_tcp_send(D.s, "c", 1), 1);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv + 2, D.snd, 1, NULL);
	D.rcv += 3;
	/* The peer's window limits what goes out. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 1000;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_send(D.s, big, 5000), 5000);
	/*
	 * Sender SWS avoidance (RFC 1122 4.2.3.4): 1000 bytes are less
	 * than a segment and than half the largest window seen, so they
	 * wait for the override timer (the persist timer, 500 ms floor).
	 */
	dlg_expect_none(&D);
	dlg_wait(&D, 500 * DLG_MS - 1);
	dlg_expect_none(&D);
	dlg_wait(&D, 1);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 1000, NULL);
	dlg_expect_none(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1000);
	sg.win = 2000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1000, D.snd, 1460, NULL);
	dlg_expect_none(&D);
}

/* The send window: initial cwnd is 10 segments (RFC 6928). */
static void
test_initial_window(void **state)
{
	struct seg o;
	int n = 0;

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_send(D.s, big, sizeof(big)), sizeof(big));
	while (dlg_recv(&D, &o)) {
		assert_int_equal(o.len, 1460);
		n++;
	}
	assert_int_equal(n, 10);
}

/* Three duplicate ACKs: fast retransmit of the first unacked segment. */
static void
test_fast_retransmit(void **state)
{
	struct seg sg, o;
	ws_time_t t0;

	(void)state;
	dlg_to_established(&D);
	t0 = D.now;
	assert_int_equal(ws_tcp_send(D.s, big, 8 * 1460), 8 * 1460);
	for (int i = 0; i < 8; i++)
		assert_true(dlg_recv(&D, &o));
	/* Segment 0 arrived; 1 was lost; 2, 3, 4 produce dup ACKs. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1460);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	for (int i = 0; i < 2; i++) {
		dlg_send(&D, &sg);
		dlg_expect_none(&D);
	}
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1460, D.snd, 1460, &o);
	assert_memory_equal(o.buf, big + 1460, 1460);
	assert_int_equal(dlg_stats(&D).tcp.fastrexmit, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvdupack, 3);
	assert_true(D.now == t0);
	/* A partial ACK (RFC 6582): the next hole goes at once. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 3 * 1460);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 3 * 1460, D.snd, 1460, &o);
	/* The full ACK ends recovery. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 8 * 1460);
	dlg_send(&D, &sg);
	{
		struct ws_tcp_info ti;

		ws_tcp_info(D.s, &ti);
		assert_int_equal(ti.unacked, 0);
		assert_true(ti.snd_cwnd <= ti.snd_ssthresh);
		assert_int_equal(ti.retransmits, 2);
	}
}

/* Both ISNs just below 2^32: everything wraps. */
static void
test_wrap_around(void **state)
{
	struct seg sg, o;
	uint8_t buf[8192];
	uint32_t peer = 0xffffff00u;

	(void)state;
	tcp_set_iss(D.st, 0xfffffc00u);
	dlg_listen(&D, 4);
	sg = dlg_seg(TH_SYN, peer, 0);
	sg.opts.present = TOF_MSS;
	sg.opts.mss = 1460;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_SYN | TH_ACK, 0xfffffc00u, peer + 1, 0, &o);
	D.iss = o.seq;
	D.snd = peer + 1;
	D.rcv = o.seq + 1;
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	/* 3000 bytes in each direction across the wrap. */
	dlg_send_data(&D, big, 1000, 0);
	dlg_send_data(&D, big + 1000, 1000, 0);
	dlg_expect_none(&D); /* 2000 bytes: less than two full segments */
	dlg_send_data(&D, big + 2000, 1000, 0);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_true(D.snd < 0x1000);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3000);
	assert_memory_equal(buf, big, 3000);
	assert_int_equal(ws_tcp_send(D.s, big, 3000), 3000);
	dlg_expect(&D, TH_ACK, 0xfffffc01u, D.snd, 1460, NULL);
	dlg_expect(&D, TH_ACK, 0xfffffc01u + 1460, D.snd, 1460, NULL);
	sg = dlg_seg(TH_ACK, D.snd, 0xfffffc01u + 2920);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK | TH_PUSH, 0xfffffc01u + 2920, D.snd, 80, NULL);
	sg = dlg_seg(TH_ACK, D.snd, 0xfffffc01u + 3000);
	dlg_send(&D, &sg);
	{
		struct ws_tcp_info ti;

		ws_tcp_info(D.s, &ti);
		assert_int_equal(ti.unacked, 0);
		assert_int_equal(ti.bytes_acked, 3000);
		assert_int_equal(ti.bytes_received, 3000);
	}
}

/* RFC 7323 PAWS: an old timestamp is dropped (with an ACK). */
static void
test_paws(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;

	(void)state;
	dlg_listen(&D, 4);
	sg.opts.present = TOF_MSS | TOF_TS;
	sg.opts.mss = 1460;
	sg.opts.tsval = 1000;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.opts.tsecr, 1000);
	D.snd = DLG_PEER_ISS + 1;
	D.rcv = o.seq + 1;
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 1001;
	sg.opts.tsecr = o.opts.tsval;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	sg.data = "new";
	sg.len = 3;
	sg.opts.tsval = 1002;
	dlg_send(&D, &sg);
	D.snd += 3;
	/* Old data with an older timestamp: PAWS drops it. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 999;
	sg.data = "old";
	sg.len = 3;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, &o);
	assert_int_equal(o.opts.tsecr, 1002);
	assert_int_equal(ws_tcp_recvavail(D.s), 3);
	assert_int_equal(dlg_stats(&D).tcp.rcvpawsdrop, 1);
}

/*
 * Hostile peer: thousands of random segments near the windows (random
 * flags, options, lengths, numbers) while the application reads and
 * writes.  Nothing may crash, leak, or spin.
 */
static void
test_random_segments(void **state)
{
	uint64_t x = 88172645463325252ULL;
	uint8_t buf[4096];
	int resets = 0;
	uint16_t sport = DLG_PPORT;
	uint32_t snd0;

	(void)state;
	dlg_to_established(&D);
	snd0 = D.snd;
	(void)snd0;
	for (int i = 0; i < 20000; i++) {
		struct seg sg, o;
		uint32_t r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (uint32_t)x;
		sg = dlg_seg((uint8_t)(r & 0x3f), D.snd + (uint32_t)((int32_t)
		    ((x >> 8) & 0x1ffff) - 0x10000), D.rcv +
		    (uint32_t)((int32_t)((x >> 25) & 0xfff) - 0x800));
		sg.win = (uint16_t)(x >> 40);
		sg.urp = (uint16_t)(x >> 20);
		sg.len = (x >> 50) & 1 ? (size_t)((x >> 52) & 0x7ff) : 0;
		sg.data = big + ((x >> 30) & 0xfff);
		if ((x >> 45) & 1) {
			sg.opts.present = (uint32_t)((x >> 46) & 0x1f);
			sg.opts.mss = (uint16_t)(x >> 3);
			sg.opts.wscale = (uint8_t)(x >> 11);
			sg.opts.tsval = (uint32_t)(x >> 17);
			sg.opts.tsecr = (uint32_t)(x >> 29);
			sg.opts.nsack = 2;
			sg.opts.sack[0].start = D.rcv;
			sg.opts.sack[0].end = D.rcv + 100;
			sg.opts.sack[1].start = (uint32_t)x;
			sg.opts.sack[1].end = (uint32_t)(x >> 32);
		}
		if (sg.flags & TH_SYN)
			sg.flags &= (uint8_t)~TH_RST; /* keep the victim alive */
		if (sg.flags & TH_RST && (r >> 10) % 16 != 0)
			sg.flags &= (uint8_t)~TH_RST;
		sg.sport = sport;
		if (i % 1999 == 1000) {
			/* Now and then an exact RST (RCV.NXT from info). */
			struct ws_tcp_info ti;

			sg.flags = TH_RST;
			if (D.s != NULL) {
				ws_tcp_info(D.s, &ti);
				sg.seq = D.snd + (uint32_t)ti.bytes_received +
				    ((ws_tcp_events(D.s) & WS_TCP_CLOSED) ? 1 : 0);
			}
		}
		dlg_send(&D, &sg);
		while (dlg_recv(&D, &o))
			;
		if (i % 7 == 0 && D.s != NULL)
			(void)ws_tcp_recv(D.s, buf, sizeof(buf));
		if (i % 11 == 0 && D.s != NULL)
			(void)ws_tcp_send(D.s, big, (r >> 4) & 0x3fff);
		if (i % 13 == 0)
			dlg_wait(&D, (r >> 8) % 300000);
		if (D.s != NULL && (dlg_state(D.s) == WS_TCPS_CLOSED ||
		    (dlg_state(D.s) == WS_TCPS_CLOSE_WAIT && i % 5 == 0))) {
			ws_tcp_close(D.s); /* the stack finishes the rest */
			D.s = NULL;
			/* Reset: a fresh connection from a new port. */
			while (D.s == NULL) {
				struct seg syn = dlg_seg(TH_SYN, (uint32_t)x, 0);
				struct ws_tcp *junk;

				/* Connections the random peer completed. */
				while (ws_tcp_accept(D.l, &junk) == 0)
					ws_tcp_abort(junk);
				while (dlg_recv(&D, &o))
					;

				x++;
				syn.sport = (uint16_t)(1024 + (x % 60000));
				dlg_send(&D, &syn);
				if (dlg_recv(&D, &o) && o.flags ==
				    (TH_SYN | TH_ACK)) {
					struct seg ack = dlg_seg(TH_ACK,
					    syn.seq + 1, o.seq + 1);

					ack.sport = syn.sport;
					dlg_send(&D, &ack);
					if (ws_tcp_accept(D.l, &D.s) == 0) {
						D.snd = syn.seq + 1;
						D.rcv = o.seq + 1;
						sport = syn.sport;
					}
				}
				while (dlg_recv(&D, &o))
					;
				/* Backlog full of embryos: let them expire. */
				if (D.s == NULL)
					dlg_wait(&D, 10 * DLG_US);
			}
			resets++;
		}
	}
	fprintf(stderr, "# state %s, %d resets, %llu segments, "
	    "%llu challenge ACKs\n", D.s ? ws_tcp_state_name(dlg_state(D.s)) :
	    "-", resets, (unsigned long long)dlg_stats(&D).tcp.rcvtotal,
	    (unsigned long long)dlg_stats(&D).tcp.challengeack);
	assert_true(dlg_stats(&D).tcp.rcvtotal >= 20000);
	/* Still a sane connection: time runs out cleanly. */
	for (int i = 0; i < 10000; i++) {
		ws_time_t next = ws_stack_next_deadline(D.st);
		struct seg o;

		if (next == WS_TIME_NEVER)
			break;
		assert_true(next > D.now);
		dlg_at(&D, next);
		while (dlg_recv(&D, &o))
			;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_delayed_ack),
		DLG_TEST(test_ack_every_second_segment),
		DLG_TEST(test_out_of_order),
		DLG_TEST(test_duplicates),
		DLG_TEST(test_window_edges),
		DLG_TEST(test_rst),
		DLG_TEST(test_challenge_limit),
		DLG_TEST(test_syn_challenge),
		DLG_TEST(test_bad_acks),
		DLG_TEST(test_fin),
		DLG_TEST(test_fin_out_of_order),
		DLG_TEST(test_send_segments),
		DLG_TEST(test_initial_window),
		DLG_TEST(test_fast_retransmit),
		DLG_TEST(test_wrap_around),
		DLG_TEST(test_paws),
		DLG_TEST(test_random_segments),
	};

	dlg_pattern(big, sizeof(big), 7, 3); /* read-only payload */
	return cmocka_run_group_tests_name("tcp_input_established", tests,
	    NULL, NULL);
}

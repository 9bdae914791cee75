/*
 * RFC 9293 3.10.7.1 (CLOSED: no socket) and 3.10.7.2 (LISTEN), plus
 * header validation and hostile options.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/* 3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
static void
test_closed_syn(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 5000, 0), o;

	(void)state;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST | TH_ACK, 0, 5001, 0, &o);
	assert_int_equal(o.win, 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvnoport, 1);
	assert_int_equal(dlg_stats(&D).tcp.sndrst, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvdroprst, 1);
	dlg_expect_none(&D);
}

/* 3.10.7.1: with ACK -> <SEQ=SEG.ACK><CTL=RST>. */
static void
test_closed_ack(void **state)
{
	struct seg sg = dlg_seg(TH_ACK, 5000, 777777);

	(void)state;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, 777777, 0, 0, NULL);
}

/* SEG.LEN counts data, SYN and FIN. */
static void
test_closed_data_fin(void **state)
{
	struct seg sg = dlg_seg(TH_FIN | TH_PUSH, 5000, 0);

	(void)state;
	sg.data = "0123456789";
	sg.len = 10;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST | TH_ACK, 0, 5011, 0, NULL);
}

/* Never answer a RST; never answer a broadcast or multicast source. */
static void
test_closed_rst_and_martians(void **state)
{
	struct seg sg = dlg_seg(TH_RST, 5000, 0);
	uint8_t buf[256];
	size_t n;

	(void)state;
	dlg_send(&D, &sg);
	sg.flags = TH_RST | TH_ACK;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* Port 0 (source) gets nothing either. */
	sg = dlg_seg(TH_SYN, 1, 0);
	sg.sport = 0;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* A multicast source: rewrite the IP source of a valid SYN. */
	sg = dlg_seg(TH_SYN, 1, 0);
	n = dlg_build(&sg, buf, false);
	be32_store(buf + 12, 0xe0000001u);
	be16_store(buf + 10, 0);
	be16_store(buf + 10, cksum(buf, 20));
	dlg_send_raw(&D, buf, n);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.sndrst, 0);
}

/* Header validation: each failure is counted, nothing is sent. */
static void
test_bad_headers(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 1, 0);
	uint8_t buf[256];
	size_t n;
	struct ws_stats s;

	(void)state;
	/* Bad checksum. */
	n = dlg_build(&sg, buf, true);
	dlg_send_raw(&D, buf, n);
	/* Truncated: 12 bytes of TCP. */
	n = dlg_build(&sg, buf, false);
	be16_store(buf + 2, 32);
	be16_store(buf + 10, 0);
	be16_store(buf + 10, cksum(buf, 20));
	dlg_send_raw(&D, buf, 32);
	/* Data offset 4 (< 5). */
	n = dlg_build(&sg, buf, false);
	buf[20 + 12] = 0x40;
	dlg_send_raw(&D, buf, n);
	/* Data offset 15 with a 20-byte segment. */
	n = dlg_build(&sg, buf, false);
	buf[20 + 12] = 0xf0;
	dlg_send_raw(&D, buf, n);
	dlg_expect_none(&D);
	s = dlg_stats(&D);
	assert_int_equal(s.tcp.rcvbadsum, 1);
	assert_int_equal(s.tcp.rcvshort, 1);
	assert_int_equal(s.tcp.rcvbadoff, 2);
	assert_int_equal(s.tcp.sndtotal, 0);
	assert_int_equal(s.tcp.rcvdrop, 4);
}

/* Hostile option lists never crash, and malformed ones are dropped. */
static void
test_hostile_options(void **state)
{
	static const uint8_t bad[][8] = {
		{ 2, 0, 0, 0, 0, 0, 0, 0 },        /* length 0 */
		{ 2, 1, 0, 0, 0, 0, 0, 0 },        /* length 1 */
		{ 2, 3, 5, 0, 0, 0, 0, 0 },        /* MSS of length 3 */
		{ 8, 12, 0, 0, 0, 0, 0, 0 },       /* runs past the header */
		{ 1, 1, 1, 1, 1, 1, 3, 9 },        /* WS past the end */
	};
	struct seg sg = dlg_seg(TH_SYN, 1, 0), o;
	uint8_t buf[256];
	size_t n;

	(void)state;
	dlg_listen(&D, 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Build a 28-byte header and patch the options in. */
		sg.opts.present = TOF_MSS | TOF_SACKPERM;
		sg.opts.mss = 1460;
		n = dlg_build(&sg, buf, false);
		assert_int_equal(n, 20 + 28);
		memcpy(buf + 40, bad[i], 8);
		tcp_wire_set_cksum(buf + 20, n - 20, DLG_PEER, DLG_LOCAL);
		dlg_send_raw(&D, buf, n);
		dlg_expect_none(&D);
	}
	assert_int_equal(dlg_stats(&D).tcp.rcvbadopt, 5);
	/* MSS 0 and window scale 200 are survivable: clamped. */
	sg.opts.present = TOF_MSS | TOF_WSCALE | TOF_TS;
	sg.opts.mss = 0;
	sg.opts.wscale = 200;
	sg.opts.tsval = 1;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.ack, 2);
	assert_int_equal(o.opts.wscale, 3);
}

/* 3.10.7.2: RST ignored, ACK answered with RST, SYN with SYN,ACK. */
static void
test_listen_basic(void **state)
{
	struct seg sg, o;

	(void)state;
	dlg_listen(&D, 4);
	sg = dlg_seg(TH_RST, 10, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	sg = dlg_seg(TH_ACK, 10, 4242);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, 4242, 0, 0, NULL);
	/* Neither SYN nor RST nor ACK: dropped. */
	sg = dlg_seg(TH_FIN, 10, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* A plain SYN: SYN,ACK with our MSS only (nothing else offered). */
	sg = dlg_seg(TH_SYN, 100, 0);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.ack, 101);
	assert_int_equal(o.win, 65535);
	assert_int_equal(o.opts.present, TOF_MSS);
	assert_int_equal(o.opts.mss, 1460);
	assert_int_equal(dlg_stats(&D).tcp.accepts, 1);
	assert_false(ws_tcp_events(D.l) & WS_TCP_READABLE);
	/* The connection needs the final ACK before accept. */
	assert_int_equal(ws_tcp_accept(D.l, &D.s), WS_EAGAIN);
}

/* RFC 7323 / RFC 2018: options are echoed only when offered. */
static void
test_listen_options(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 100, 0), o;
	struct ws_tcp_info ti;

	(void)state;
	dlg_listen(&D, 4);
	dlg_syn_opts(&sg.opts, 1200, 7, 55555);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.opts.present,
	    TOF_MSS | TOF_WSCALE | TOF_SACKPERM | TOF_TS);
	assert_int_equal(o.opts.wscale, 3); /* 256 KB buffer */
	assert_int_equal(o.opts.tsecr, 55555);
	/* The SYN's window is never scaled. */
	assert_int_equal(o.win, 65535);
	sg = dlg_seg(TH_ACK, 101, o.seq + 1);
	sg.win = 100; /* scaled by 7: 12800 bytes */
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 55556;
	sg.opts.tsecr = o.opts.tsval;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.snd_wnd, 12800);
	assert_int_equal(ti.snd_wscale, 7);
	assert_int_equal(ti.rcv_wscale, 3);
	assert_int_equal(ti.snd_mss, 1200 - 12);
	assert_true(ti.ts_ok && ti.sack_ok);
}

/*
 * Accept queue full (backlog 1, one connection waiting for accept):
 * further SYNs are dropped silently and counted; half-open connections
 * are bounded by tcp_syn_backlog, not by the backlog.
 */
static void
test_listen_backlog(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 100, 0), o;

	(void)state;
	dlg_listen(&D, 1);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	/* A second half-open connection is fine (q0 is separate). */
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	/* The first completes and waits on the accept queue (1 = full). */
	sg = dlg_seg(TH_ACK, 101, 0);
	sg.ack = 0;
	{
		struct seg a = dlg_seg(TH_SYN, 100, 0), o1;

		/* Its SYN,ACK again, to learn its ISS. */
		dlg_send(&D, &a);
		assert_true(dlg_recv(&D, &o1));
		sg.ack = o1.seq + 1;
	}
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_true(ws_tcp_events(D.l) & WS_TCP_READABLE);
	/* The second's ACK cannot be queued: ignored, it stays half-open. */
	sg = dlg_seg(TH_ACK, 101, o.seq + 1);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_int_equal(dlg_stats(&D).tcp.listenoverflow, 1);
	/* A third SYN: dropped and counted. */
	sg = dlg_seg(TH_SYN, 100, 0);
	sg.sport = DLG_PPORT + 2;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.listendrop, 1);
	assert_int_equal(dlg_stats(&D).tcp.listenoverflow, 2);
	/* Once accepted, the second completes with its next ACK. */
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	sg = dlg_seg(TH_ACK, 101, o.seq + 1);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_true(ws_tcp_events(D.l) & WS_TCP_READABLE);
}

/* Closing the listener resets connections nobody accepted. */
static void
test_listen_close_resets(void **state)
{
	struct seg o;

	(void)state;
	dlg_to_synrcvd(&D);
	ws_tcp_close(D.l);
	D.l = NULL;
	dlg_expect(&D, TH_RST | TH_ACK, D.rcv, D.snd, 0, &o);
	/* Nothing listens any more. */
	{
		struct seg sg = dlg_seg(TH_SYN, 9, 0);

		dlg_send(&D, &sg);
		dlg_expect(&D, TH_RST | TH_ACK, 0, 10, 0, NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_closed_syn),
		DLG_TEST(test_closed_ack),
		DLG_TEST(test_closed_data_fin),
		DLG_TEST(test_closed_rst_and_martians),
		DLG_TEST(test_bad_headers),
		DLG_TEST(test_hostile_options),
		DLG_TEST(test_listen_basic),
		DLG_TEST(test_listen_options),
		DLG_TEST(test_listen_backlog),
		DLG_TEST(test_listen_close_resets),
	};

	return cmocka_run_group_tests_name("tcp_input_listen", tests, NULL,
	    NULL);
}

/*
 * RFC 9293 3.10.7.4 in SYN-RECEIVED (passive open): the ACK that
 * completes the handshake, bad ACKs, RSTs, SYNs, FIN.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/* "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED". */
static void
test_ack_establishes(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 1234;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_true(ws_tcp_events(D.l) & WS_TCP_READABLE);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(ws_tcp_events(D.s), WS_TCP_CONNECTED | WS_TCP_WRITABLE);
	{
		struct ws_tcp_info ti;

		ws_tcp_info(D.s, &ti);
		assert_int_equal(ti.snd_wnd, 1234);
		assert_int_equal(ti.remote_port, DLG_PPORT);
		assert_int_equal(ti.remote_addr, DLG_PEER);
	}
	assert_int_equal(dlg_stats(&D).tcp.connects, 1);
}

/* An unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>; the embryo survives. */
static void
test_bad_ack_reset(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 10);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.rcv + 10, 0, 0, NULL);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv - 1);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.rcv - 1, 0, 0, NULL);
	/* The right ACK still works. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
}

/* A segment without ACK (and without SYN/RST) is dropped. */
static void
test_no_ack_dropped(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(0, D.snd, 0);
	sg.data = "abc";
	sg.len = 3;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), WS_EAGAIN);
}

/* RFC 5961 3.2: exact RST removes the embryo; in-window: challenge. */
static void
test_rst(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_RST, D.snd + 100, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL); /* challenge ACK */
	assert_int_equal(dlg_stats(&D).tcp.challengeack, 1);
	sg = dlg_seg(TH_RST, D.snd + 10000000, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.rcvbadrst, 1);
	sg = dlg_seg(TH_RST, D.snd, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* Gone: its ACK now meets only the listener, which resets. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.rcv, 0, 0, NULL);
}

/* The peer retransmits its SYN: our SYN,ACK went missing; resend it. */
static void
test_syn_retransmitted(void **state)
{
	struct seg sg, o;

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_SYN | TH_ACK, D.iss, D.snd, 0, &o);
	assert_int_equal(o.opts.present, TOF_MSS);
}

/* A different SYN: "return this connection to the LISTEN state". */
static void
test_new_syn(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_SYN, D.snd + 5, 0);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.conndrops, 1);
	/* The listener is back to its empty self and takes a new SYN. */
	sg = dlg_seg(TH_SYN, 77, 0);
	dlg_send(&D, &sg);
	{
		struct seg o;

		assert_true(dlg_recv(&D, &o));
		assert_int_equal(o.flags, TH_SYN | TH_ACK);
		assert_int_equal(o.ack, 78);
	}
}

/* ACK + data + FIN at once: ESTABLISHED then CLOSE_WAIT. */
static void
test_ack_data_fin(void **state)
{
	struct seg sg;
	char buf[8];

	(void)state;
	dlg_to_synrcvd(&D);
	sg = dlg_seg(TH_ACK | TH_FIN, D.snd, D.rcv);
	sg.data = "hi";
	sg.len = 2;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd + 3, 0, NULL);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 2);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 0);
	assert_true(ws_tcp_events(D.s) & WS_TCP_CLOSED);
}

/* SYN,ACK retransmissions: 1 s, then doubling; dropped after 6. */
static void
test_synack_rexmt(void **state)
{
	ws_time_t t0;
	struct seg o;
	uint64_t rto = DLG_US;

	(void)state;
	dlg_to_synrcvd(&D);
	t0 = D.now;
	for (int i = 0; i < 6; i++) {
		dlg_at(&D, t0 + rto - 1);
		dlg_expect_none(&D);
		dlg_at(&D, t0 + rto);
		dlg_expect(&D, TH_SYN | TH_ACK, D.iss, D.snd, 0, &o);
		t0 += rto;
		rto *= 2;
	}
	dlg_at(&D, t0 + rto);
	/* Given up: RST, and the listener has nothing pending. */
	dlg_expect(&D, TH_RST | TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.timeoutdrop, 1);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_ack_establishes),
		DLG_TEST(test_bad_ack_reset),
		DLG_TEST(test_no_ack_dropped),
		DLG_TEST(test_rst),
		DLG_TEST(test_syn_retransmitted),
		DLG_TEST(test_new_syn),
		DLG_TEST(test_ack_data_fin),
		DLG_TEST(test_synack_rexmt),
	};

	return cmocka_run_group_tests_name("tcp_input_synrcvd", tests, NULL,
	    NULL);
}

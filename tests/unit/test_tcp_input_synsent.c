/*
 * RFC 9293 3.10.7.3: segments arriving in SYN-SENT; the SYN we send;
 * simultaneous open; ICMP errors while connecting.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/* Our SYN: MSS from the MTU, scaling, SACK and timestamps offered. */
static void
test_syn_contents(void **state)
{
	struct seg syn;

	(void)state;
	dlg_to_synsent(&D, &syn);
	assert_int_equal(syn.ack, 0);
	assert_int_equal(syn.len, 0);
	assert_int_equal(syn.win, 65535);
	assert_int_equal(syn.opts.present,
	    TOF_MSS | TOF_WSCALE | TOF_SACKPERM | TOF_TS);
	assert_int_equal(syn.opts.mss, 1460);
	assert_int_equal(syn.opts.wscale, 3);
	assert_int_equal(syn.opts.tsecr, 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_SENT);
	assert_int_equal(dlg_stats(&D).tcp.connattempt, 1);
	assert_int_equal(ws_tcp_events(D.s), 0);
	assert_int_equal(ws_tcp_send(D.s, "x", 1), WS_EAGAIN);
}

/* A good SYN,ACK: ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
static void
test_synack(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synsent(&D, NULL);
	sg = dlg_seg(TH_SYN | TH_ACK, DLG_PEER_ISS, D.iss + 1);
	sg.opts.present = TOF_MSS;
	sg.opts.mss = 1000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.iss + 1, DLG_PEER_ISS + 1, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(ws_tcp_events(D.s), WS_TCP_CONNECTED | WS_TCP_WRITABLE);
	{
		struct ws_tcp_info ti;

		ws_tcp_info(D.s, &ti);
		assert_int_equal(ti.snd_mss, 1000);
		assert_false(ti.ts_ok); /* the peer did not answer TS */
		assert_int_equal(ti.snd_wscale, 0);
		assert_int_equal(ti.rcv_wscale, 0);
	}
}

/* An unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>, state unchanged. */
static void
test_synack_bad_ack(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synsent(&D, NULL);
	sg = dlg_seg(TH_SYN | TH_ACK, DLG_PEER_ISS, D.iss);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.iss, 0, 0, NULL);
	sg.ack = D.iss + 2;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.iss + 2, 0, 0, NULL);
	/* RST with a bad ACK: dropped, no answer. */
	sg.flags = TH_RST | TH_ACK;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_SENT);
}

/* RST with an acceptable ACK: "connection refused". */
static void
test_rst_refused(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synsent(&D, NULL);
	/* A RST without ACK is ignored. */
	sg = dlg_seg(TH_RST, 0, 0);
	dlg_send(&D, &sg);
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_SENT);
	sg = dlg_seg(TH_RST | TH_ACK, 0, D.iss + 1);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_true(ws_tcp_events(D.s) & WS_TCP_ERROR);
	assert_false(ws_tcp_events(D.s) & WS_TCP_CONNECTED);
	assert_int_equal(ws_tcp_error(D.s), WS_ECONNREFUSED);
	assert_int_equal(dlg_stats(&D).tcp.conndrops, 1);
}

/* Neither SYN nor RST: drop. */
static void
test_plain_ack_dropped(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_synsent(&D, NULL);
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS, D.iss + 1);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_SENT);
}

/* Simultaneous open (RFC 9293 figure 8). */
static void
test_simultaneous_open(void **state)
{
	struct seg sg, o;

	(void)state;
	dlg_to_synsent(&D, NULL);
	sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0);
	dlg_send(&D, &sg);
	/* <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
	dlg_expect(&D, TH_SYN | TH_ACK, D.iss, DLG_PEER_ISS + 1, 0, &o);
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_RECEIVED);
	/* The peer's SYN,ACK completes it. */
	sg = dlg_seg(TH_SYN | TH_ACK, DLG_PEER_ISS, D.iss + 1);
	dlg_send(&D, &sg);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	dlg_expect(&D, TH_ACK, D.iss + 1, DLG_PEER_ISS + 1, 0, NULL);
	assert_true(ws_tcp_events(D.s) & WS_TCP_CONNECTED);
}

/* Data (and FIN) in the SYN,ACK are delivered. */
static void
test_synack_with_data(void **state)
{
	struct seg sg;
	char buf[16];

	(void)state;
	dlg_to_synsent(&D, NULL);
	sg = dlg_seg(TH_SYN | TH_ACK | TH_FIN, DLG_PEER_ISS, D.iss + 1);
	sg.data = "early";
	sg.len = 5;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.iss + 1, DLG_PEER_ISS + 7, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "early", 5);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 0);
}

/* ICMP host unreachable while connecting: WS_EHOSTUNREACH. */
static void
test_icmp_unreach(void **state)
{
	struct ip4_info inner = { .src = DLG_LOCAL, .dst = DLG_PEER,
	    .proto = IPPROTO_TCP_ };
	uint8_t th[8];

	(void)state;
	dlg_to_synsent(&D, NULL);
	be16_store(th, DLG_LPORT);
	be16_store(th + 2, DLG_PPORT);
	/* A quoted sequence number outside SND.UNA..SND.MAX is ignored. */
	be32_store(th + 4, D.iss + 100);
	D.st->in_call = true;
	tcp_ctlinput(D.st, 3, 1, 0, &inner, th, sizeof(th));
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_SENT);
	be32_store(th + 4, D.iss);
	tcp_ctlinput(D.st, 3, 1, 0, &inner, th, sizeof(th));
	D.st->in_call = false;
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_tcp_error(D.s), WS_EHOSTUNREACH);
	dlg_expect_none(&D);
}

/* ISS close to 2^32: the SYN's sequence number wraps cleanly. */
static void
test_iss_wrap(void **state)
{
	struct seg sg;
	char buf[8];

	(void)state;
	tcp_set_iss(D.st, 0xffffffffu);
	dlg_to_synsent(&D, NULL);
	assert_int_equal(D.iss, 0xffffffffu);
	sg = dlg_seg(TH_SYN | TH_ACK, 0xfffffffeu, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, 0, 0xffffffffu, 0, NULL);
	assert_int_equal(ws_tcp_send(D.s, "wrap", 4), 4);
	dlg_expect(&D, TH_ACK | TH_PUSH, 0, 0xffffffffu, 4, NULL);
	sg = dlg_seg(TH_ACK, 0xffffffffu, 4);
	sg.data = "back";
	sg.len = 4;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "back", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_syn_contents),
		DLG_TEST(test_synack),
		DLG_TEST(test_synack_bad_ack),
		DLG_TEST(test_rst_refused),
		DLG_TEST(test_plain_ack_dropped),
		DLG_TEST(test_simultaneous_open),
		DLG_TEST(test_synack_with_data),
		DLG_TEST(test_icmp_unreach),
		DLG_TEST(test_iss_wrap),
	};

	return cmocka_run_group_tests_name("tcp_input_synsent", tests, NULL,
	    NULL);
}

/*
 * RFC 9293 3.10.7.4 in the closing states: FIN_WAIT_1, FIN_WAIT_2,
 * CLOSING, TIME_WAIT (the active closer) and CLOSE_WAIT, LAST_ACK (the
 * passive one); data after close; TIME_WAIT reuse (RFC 6191).
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

static void
tune(struct ws_stack_config *cfg)
{
	cfg->tcp_msl_ms = 1000; /* TIME_WAIT: 2 s */
}

/* Every case runs with the short MSL. */
#define T(f) DLG_TEST_TUNED(f, tune)

/* ESTABLISHED -> FIN_WAIT_1: our FIN is <SEQ=SND.NXT><CTL=FIN,ACK>. */
static void
to_finwait1(struct dlg *d)
{
	dlg_to_established(d);
	assert_int_equal(ws_tcp_shutdown(d->s, WS_SHUT_WR), 0);
	dlg_expect(d, TH_FIN | TH_ACK, d->rcv, d->snd, 0, NULL);
	assert_int_equal(dlg_state(d->s), WS_TCPS_FIN_WAIT_1);
}

/* ESTABLISHED -> CLOSE_WAIT: the peer's FIN is ACKed at once. */
static void
to_closewait(struct dlg *d)
{
	dlg_to_established(d);
	dlg_send_data(d, NULL, 0, TH_FIN);
	dlg_expect(d, TH_ACK, d->rcv, d->snd, 0, NULL);
}

/* An exact RST (at seq) closes D.s quietly: no error to report. */
static void
rst_closes(uint32_t seq)
{
	struct seg sg = dlg_seg(TH_RST, seq, 0);

	dlg_send(&D, &sg);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_tcp_error(D.s), 0);
}

static void
test_finwait1_to_finwait2_to_timewait(void **state)
{
	struct seg sg;
	ws_time_t t0;
	char buf[8];

	(void)state;
	to_finwait1(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_FIN_WAIT_2);
	/* FIN_WAIT_2 still receives. */
	dlg_send_data(&D, "more", 4, TH_PUSH);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 4);
	dlg_send_data(&D, NULL, 0, TH_FIN);
	t0 = D.now;
	dlg_expect(&D, TH_ACK, D.rcv + 1, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_TIME_WAIT);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 0);
	/* 2 * MSL later the connection is gone. */
	assert_int_equal(ws_stack_next_deadline(D.st), t0 + 2 * DLG_US);
	dlg_at(&D, t0 + 2 * DLG_US - 1);
	assert_int_equal(dlg_state(D.s), WS_TCPS_TIME_WAIT);
	dlg_at(&D, t0 + 2 * DLG_US);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
	dlg_expect_none(&D);
}

/* FIN_WAIT_1 + FIN (ours unacked) -> CLOSING -> TIME_WAIT. */
static void
test_closing(void **state)
{
	struct seg sg;

	(void)state;
	to_finwait1(&D);
	sg = dlg_seg(TH_FIN | TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	D.snd++;
	dlg_expect(&D, TH_ACK, D.rcv + 1, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSING);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_TIME_WAIT);
}

/* FIN_WAIT_1 + FIN,ACK of our FIN -> TIME_WAIT directly. */
static void
to_timewait(struct dlg *d)
{
	struct seg sg;

	to_finwait1(d);
	sg = dlg_seg(TH_FIN | TH_ACK, d->snd, d->rcv + 1);
	dlg_send(d, &sg);
	dlg_expect(d, TH_ACK, d->rcv + 1, d->snd + 1, 0, NULL);
	assert_int_equal(dlg_state(d->s), WS_TCPS_TIME_WAIT);
}

static void
test_finwait1_finack(void **state)
{
	(void)state;
	to_timewait(&D);
}

/* Our FIN is retransmitted like data. */
static void
test_fin_retransmit(void **state)
{
	ws_time_t t0;

	(void)state;
	dlg_to_established(&D);
	t0 = D.now;
	assert_int_equal(ws_tcp_shutdown(D.s, WS_SHUT_WR), 0);
	dlg_expect(&D, TH_FIN | TH_ACK, D.rcv, D.snd, 0, NULL);
	/* RTO: 200 ms floor (the handshake RTT was ~0). */
	dlg_at(&D, t0 + 200 * DLG_MS);
	dlg_expect(&D, TH_FIN | TH_ACK, D.rcv, D.snd, 0, NULL);
	dlg_at(&D, t0 + 600 * DLG_MS);
	dlg_expect(&D, TH_FIN | TH_ACK, D.rcv, D.snd, 0, NULL);
}

/* TIME_WAIT: a retransmitted FIN is ACKed and restarts 2 MSL. */
static void
test_timewait_fin_again(void **state)
{
	struct seg sg;
	ws_time_t t1;

	(void)state;
	to_finwait1(&D);
	sg = dlg_seg(TH_FIN | TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1, D.snd + 1, 0, NULL);
	dlg_wait(&D, DLG_US);
	t1 = D.now;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1, D.snd + 1, 0, NULL);
	assert_int_equal(ws_stack_next_deadline(D.st), t1 + 2 * DLG_US);
	/* New data in TIME_WAIT: ACKed, ignored. */
	sg = dlg_seg(TH_ACK, D.snd + 1, D.rcv + 1);
	sg.data = "zz";
	sg.len = 2;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1, D.snd + 1, 0, NULL);
	assert_int_equal(ws_tcp_recvavail(D.s), 0);
	/* An exact RST closes it (RFC 9293 3.10.7.4). */
	rst_closes(D.snd + 1);
}

/* CLOSE_WAIT -> LAST_ACK -> CLOSED; LAST_ACK and RST. */
static void
test_passive_close(void **state)
{
	struct seg sg;

	(void)state;
	to_closewait(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
	/* Data after the FIN is not acceptable any more: ACK, ignore. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.data = "x";
	sg.len = 1;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(ws_tcp_close(D.s), 0);
	D.s = NULL;
	dlg_expect(&D, TH_FIN | TH_ACK, D.rcv, D.snd, 0, NULL);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* Gone: another ACK meets only the listener and gets a RST. */
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.rcv + 1, 0, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.closed, 1);
}

static void
test_lastack_rst(void **state)
{
	(void)state;
	to_closewait(&D);
	assert_int_equal(ws_tcp_shutdown(D.s, WS_SHUT_WR), 0);
	dlg_expect(&D, TH_FIN | TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_LAST_ACK);
	rst_closes(D.snd);
}

/* Data arriving after the application closed: RST (RFC 1122 4.2.2.13). */
static void
test_data_after_close(void **state)
{
	struct seg sg;

	(void)state;
	to_finwait1(&D);
	assert_int_equal(ws_tcp_close(D.s), 0);
	D.s = NULL;
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	sg.data = "late";
	sg.len = 4;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.rcv + 1, 0, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rcvafterclose, 1);
}

/* An orphaned FIN_WAIT_2 does not wait forever for the peer's FIN. */
static void
test_finwait2_orphan_timeout(void **state)
{
	struct seg sg;

	(void)state;
	to_finwait1(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	assert_int_equal(dlg_state(D.s), WS_TCPS_FIN_WAIT_2);
	/* With the handle held, no timer runs (half-close may be long). */
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
	assert_int_equal(ws_tcp_close(D.s), 0);
	D.s = NULL;
	assert_int_equal(ws_stack_next_deadline(D.st), D.now + 60 * DLG_US);
	dlg_wait(&D, 60 * DLG_US);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
	/* It is gone: its port answers with RST. */
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, D.rcv + 1, 0, 0, NULL);
}

/* RFC 6191: a SYN with a higher sequence number reuses TIME_WAIT. */
static void
test_timewait_reuse(void **state)
{
	struct seg sg, o;

	(void)state;
	to_timewait(&D);
	/* An old sequence number: challenge ACK, no reuse. */
	sg = dlg_seg(TH_SYN, D.snd - 100, 0);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv + 1, D.snd + 1, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.twreuse, 0);
	/* A new one: the listener answers with a SYN,ACK. */
	sg = dlg_seg(TH_SYN, D.snd + 100000, 0);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.ack, D.snd + 100001);
	/* Its ISS lies beyond the old connection's sequence space. */
	assert_true(SEQ_GT(o.seq, D.rcv + 1));
	assert_int_equal(dlg_stats(&D).tcp.twreuse, 1);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
}

/* Close with unsent data: the FIN follows the data. */
static void
test_close_with_data(void **state)
{
	struct seg o;

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_send(D.s, "last words", 10), 10);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 10, NULL);
	assert_int_equal(ws_tcp_send(D.s, "more", 4), 4); /* Nagle holds it */
	dlg_expect_none(&D);
	/* Close pushes the tail out with the FIN (as BSD and Linux). */
	assert_int_equal(ws_tcp_close(D.s), 0);
	D.s = NULL;
	dlg_expect(&D, TH_FIN | TH_PUSH | TH_ACK, D.rcv + 10, D.snd, 4, &o);
	assert_memory_equal(o.buf, "more", 4);
	{
		struct seg sg = dlg_seg(TH_ACK | TH_FIN, D.snd, D.rcv + 15);

		dlg_send(&D, &sg);
	}
	dlg_expect(&D, TH_ACK, D.rcv + 15, D.snd + 1, 0, NULL);
}

/*
 * Data and FIN out, then the peer shrinks its window to zero without
 * acknowledging anything (RFC 9293 3.8.6: it SHOULD NOT, SHLD-14, and
 * the sender MUST cope, MUST-34): the sender pulls back to probe the
 * window (RFC 9293 3.8.6.1), and its FIN must stay behind the data it
 * follows, never go out alone at SND.UNA, where a receiver missing the
 * data would take it as the end of the stream.
 */
static void
test_fin_behind_shrunk_window(void **state)
{
	struct seg sg, o;

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_send(D.s, "last words", 10), 10);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 10, NULL);
	assert_int_equal(ws_tcp_shutdown(D.s, WS_SHUT_WR), 0);
	dlg_expect(&D, TH_FIN | TH_ACK, D.rcv + 10, D.snd, 0, NULL);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 0;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	/* The persist timer probes with the first byte, no FIN. */
	dlg_at(&D, ws_stack_next_deadline(D.st));
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 1, &o);
	assert_memory_equal(o.buf, "l", 1);
	/* The window reopens: the rest, and the FIN after it. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_FIN | TH_PUSH | TH_ACK, D.rcv + 1, D.snd, 9, &o);
	assert_memory_equal(o.buf, "ast words", 9);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 11);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_FIN_WAIT_2);
}

/* Abort: <SEQ=SND.NXT><CTL=RST>. */
static void
test_abort(void **state)
{
	(void)state;
	dlg_to_established(&D);
	ws_tcp_abort(D.s);
	D.s = NULL;
	dlg_expect(&D, TH_RST | TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.drops, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_finwait1_to_finwait2_to_timewait),
		T(test_closing),
		T(test_finwait1_finack),
		T(test_fin_retransmit),
		T(test_timewait_fin_again),
		T(test_passive_close),
		T(test_lastack_rst),
		T(test_data_after_close),
		T(test_finwait2_orphan_timeout),
		T(test_timewait_reuse),
		T(test_close_with_data),
		T(test_fin_behind_shrunk_window),
		T(test_abort),
	};

	return cmocka_run_group_tests_name("tcp_input_close", tests, NULL,
	    NULL);
}

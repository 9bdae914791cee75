/*
 * TCP timers in virtual time: retransmission backoff (RFC 6298), SYN
 * retries, persist probes (RFC 9293 3.8.6.1), keep-alive (RFC 1122
 * 4.2.3.6), delayed ACK, and the next-deadline contract.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/*
 * SYN: RTO 1 s doubling (capped at 60 s); 7 retransmissions, so SYNs go
 * out for more than 3 minutes (RFC 9293 MUST-23); then ETIMEDOUT.
 */
static void
test_syn_backoff(void **state)
{
	ws_time_t t = 0, t0;
	uint64_t rto = DLG_US;
	struct seg o;

	(void)state;
	dlg_to_synsent(&D, NULL);
	t0 = t = D.now;
	for (int i = 0; i < 7; i++) {
		assert_int_equal(ws_stack_next_deadline(D.st), t + rto);
		dlg_at(&D, t + rto - 1);
		dlg_expect_none(&D);
		dlg_at(&D, t + rto);
		dlg_expect(&D, TH_SYN, D.iss, 0, 0, &o);
		t += rto;
		rto = rto * 2 > 60 * DLG_US ? 60 * DLG_US : rto * 2;
	}
	dlg_at(&D, t + rto);
	dlg_expect_none(&D); /* no RST for a connection never synchronized */
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
	/* 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 s */
	assert_int_equal(D.now - t0, 183 * DLG_US);
	assert_true(D.now - t0 >= 180 * DLG_US);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
}

/* Data: RTO from the measured RTT, doubled each time (Karn). */
static void
test_data_backoff(void **state)
{
	ws_time_t t;
	uint64_t rto;
	struct seg o;
	struct ws_tcp_info ti;

	(void)state;
	dlg_to_synsent(&D, NULL);
	/* A 100 ms handshake RTT: RTO = 100 + 4 * 50 = 300 ms. */
	dlg_wait(&D, 100 * DLG_MS);
	{
		struct seg sg = dlg_seg(TH_SYN | TH_ACK, DLG_PEER_ISS, D.iss + 1);

		sg.opts.present = TOF_MSS;
		sg.opts.mss = 1460;
		dlg_send(&D, &sg);
	}
	dlg_expect(&D, TH_ACK, D.iss + 1, D.snd, 0, NULL);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.rtt_us, 100000);
	assert_int_equal(ti.rto_us, 300000);
	assert_int_equal(ws_tcp_send(D.s, "data", 4), 4);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 4, NULL);
	t = D.now;
	rto = 300 * DLG_MS;
	for (int i = 0; i < 5; i++) {
		dlg_at(&D, t + rto - 1);
		dlg_expect_none(&D);
		dlg_at(&D, t + rto);
		dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 4, &o);
		t += rto;
		rto *= 2;
	}
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.rtos, 5);
	assert_int_equal(ti.retransmits, 5);
	assert_int_equal(ti.snd_cwnd, 1460); /* RFC 5681: 1 segment */
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 5);
	/* The ACK stops it; no sample from a retransmission (Karn). */
	{
		struct seg sg = dlg_seg(TH_ACK, D.snd, D.rcv + 4);

		dlg_wait(&D, 10 * DLG_MS);
		dlg_send(&D, &sg);
	}
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.rtt_us, 100000);
	assert_int_equal(ti.unacked, 0);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
}

/* RFC 6298 5.7: after a SYN timeout without a sample, RTO = 3 s. */
static void
test_rto_after_syn_timeout(void **state)
{
	struct seg sg;
	ws_time_t t;

	(void)state;
	dlg_to_synsent(&D, NULL);
	dlg_wait(&D, DLG_US);
	dlg_expect(&D, TH_SYN, D.iss, 0, 0, NULL);
	sg = dlg_seg(TH_SYN | TH_ACK, DLG_PEER_ISS, D.iss + 1);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.iss + 1, D.snd, 0, NULL);
	assert_int_equal(ws_tcp_send(D.s, "x", 1), 1);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 1, NULL);
	t = D.now;
	dlg_at(&D, t + 3 * DLG_US - 1);
	dlg_expect_none(&D);
	dlg_at(&D, t + 3 * DLG_US);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 1, NULL);
}

/* The peer's zero window: persist probes with backoff; reopening. */
static void
test_persist(void **state)
{
	struct seg sg, o;
	ws_time_t t;
	uint64_t iv = 500 * DLG_MS;

	(void)state;
	dlg_to_established(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 0;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_send(D.s, "abcdef", 6), 6);
	dlg_expect_none(&D);
	t = D.now;
	for (int i = 0; i < 4; i++) {
		dlg_at(&D, t + iv - 1);
		dlg_expect_none(&D);
		dlg_at(&D, t + iv);
		/* One byte beyond the window; SND.NXT does not move. */
		dlg_expect(&D, TH_ACK, D.rcv, D.snd, 1, &o);
		assert_int_equal(o.buf[0], 'a');
		dlg_send(&D, &sg); /* still zero */
		dlg_expect_none(&D);
		t += iv;
		iv *= 2;
	}
	assert_int_equal(dlg_stats(&D).tcp.persisttimeo, 4);
	assert_int_equal(dlg_stats(&D).tcp.sndprobe, 4);
	/* The window opens: everything goes. */
	sg.win = 1000;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 6, &o);
	assert_memory_equal(o.buf, "abcdef", 6);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 6);
	dlg_send(&D, &sg);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
}

/* Keep-alive: probes <SEQ=SND.NXT-1> after idle, then every interval. */
static void
test_keepalive(void **state)
{
	ws_time_t t;
	struct seg o, sg;

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_KEEPIDLE, 10), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_KEEPINTVL, 2), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_KEEPCNT, 3), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_KEEPALIVE, 1), 0);
	t = D.now;
	dlg_at(&D, t + 10 * DLG_US - 1);
	dlg_expect_none(&D);
	dlg_at(&D, t + 10 * DLG_US);
	dlg_expect(&D, TH_ACK, D.rcv - 1, D.snd, 0, &o);
	/* Answered: the idle period starts again. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	t = D.now;
	dlg_at(&D, t + 10 * DLG_US);
	dlg_expect(&D, TH_ACK, D.rcv - 1, D.snd, 0, &o);
	dlg_at(&D, t + 12 * DLG_US);
	dlg_expect(&D, TH_ACK, D.rcv - 1, D.snd, 0, &o);
	dlg_at(&D, t + 14 * DLG_US);
	dlg_expect(&D, TH_ACK, D.rcv - 1, D.snd, 0, &o);
	/* Three unanswered: dropped with ETIMEDOUT and a RST. */
	dlg_at(&D, t + 16 * DLG_US);
	dlg_expect(&D, TH_RST | TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
	assert_int_equal(dlg_stats(&D).tcp.keepdrops, 1);
	assert_int_equal(dlg_stats(&D).tcp.keepprobe, 4);
}

/* Keep-alive is off by default: an idle connection never wakes. */
static void
test_no_timers_when_idle(void **state)
{
	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
	dlg_send_data(&D, "x", 1, 0);
	assert_int_equal(ws_stack_next_deadline(D.st), D.now + 40 * DLG_MS);
}

/* The deadline never lies in the past once poll has run. */
static void
test_deadline_advances(void **state)
{
	uint8_t buf[4096];

	(void)state;
	dlg_to_established(&D);
	memset(buf, 'q', sizeof(buf));
	assert_int_equal(ws_tcp_send(D.s, buf, sizeof(buf)), sizeof(buf));
	for (int i = 0; i < 200; i++) {
		ws_time_t next = ws_stack_next_deadline(D.st);
		struct seg o;

		if (next == WS_TIME_NEVER)
			break;
		assert_true(next > D.now);
		dlg_at(&D, next);
		while (dlg_recv(&D, &o))
			;
	}
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_syn_backoff),
		DLG_TEST(test_data_backoff),
		DLG_TEST(test_rto_after_syn_timeout),
		DLG_TEST(test_persist),
		DLG_TEST(test_keepalive),
		DLG_TEST(test_no_timers_when_idle),
		DLG_TEST(test_deadline_advances),
	};

	return cmocka_run_group_tests_name("tcp_timer", tests, NULL, NULL);
}

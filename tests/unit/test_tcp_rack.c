/*
 * RACK-TLP (RFC 8985) as segment dialogues in virtual time: the
 * reordering window and its timer, reordering detection, the tail loss
 * probe (when it fires, what it sends) and what its ACKs mean.
 *
 * Every connection has SRTT = min_RTT = 100 ms from the handshake, so
 * RTO = SRTT + 4 * RTTVAR = 300 ms, reo_wnd = min_RTT / 4 = 25 ms and
 * PTO = 2 * SRTT = 200 ms.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

#define MSS 1460
#define RTT (100 * DLG_MS)

static uint8_t big[65536];

static uint32_t
send_segments(int n, int expect)
{
	struct seg o[16];

	assert_int_equal(ws_tcp_send(D.s, big, (size_t)n * MSS), n * MSS);
	assert_int_equal(dlg_drain(&D, o, 16), expect);
	return D.rcv;
}

#define SEG(i) (s0 + (uint32_t)(i) * MSS)

/*
 * Established with SRTT = min_RTT = RTT (opt_setup as for
 * dlg_to_established_sack()); returns the control block.
 */
static struct tcpcb *
rack_conn(void (*opt_setup)(struct ws_tcp *l))
{
	dlg_to_established_sack(&D, false, RTT, opt_setup);
	return sototcpcb(D.s);
}

/* A timer due at t: nothing is sent just before, and time reaches t. */
static void
until_due(ws_time_t t)
{
	dlg_at(&D, t - 1);
	dlg_expect_none(&D);
	dlg_at(&D, t);
}

/* A segment goes out now: a probe (tlp 1) or by the RTO (rto 1). */
static void
sent_by(uint64_t tlp, uint64_t rto)
{
	assert_true(dlg_recv(&D, &(struct seg){ 0 }));
	assert_int_equal(dlg_stats(&D).tcp.tlp, tlp);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, rto);
}

/*
 * One SACKed segment above a hole: not lost yet; the reordering timer
 * fires at xmit + RACK.rtt + reo_wnd (RFC 8985 6.2 step 5) and then it
 * is, without three duplicate ACKs.
 */
static void
test_reo_timer(void **state)
{
	struct tcpcb *tp;
	uint32_t s0;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(NULL);
	t0 = D.now;
	s0 = send_segments(10, 10);
	dlg_wait(&D, RTT);
	dlg_send_sack(&D, SEG(1), NULL, 0);
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(2), SEG(3) }, 1);
	dlg_expect_none(&D);
	assert_int_equal(tcp_rack_reo_wnd(tp), RTT / 4);
	assert_int_equal(tp->t_timer[TCPT_REO], t0 + RTT + RTT / 4);
	until_due(t0 + RTT + RTT / 4);
	dlg_expect(&D, TH_ACK, SEG(1), D.snd, MSS, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rackdetect, 1);
	assert_int_equal(dlg_stats(&D).tcp.sackrecovery, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcvdupack, 1);
	assert_true(tcp_sb_check(tp));
}

/*
 * A segment delivered after a later one, without having been resent,
 * is reordering (RFC 8985 6.2 step 3); from then on the reordering
 * window stays min_RTT / 4 even with DupThresh segments SACKed.
 */
static void
test_reordering_seen(void **state)
{
	struct tcpcb *tp;
	struct ws_tcp_info ti;
	uint32_t s0;

	(void)state;
	tp = rack_conn(NULL);
	s0 = send_segments(10, 10);
	dlg_wait(&D, RTT);
	dlg_send_sack(&D, SEG(0), (uint32_t[]){ SEG(1), SEG(2) }, 1);
	assert_false(tp->t_rack.reordering_seen);
	dlg_wait(&D, 5 * DLG_MS);
	dlg_send_sack(&D, SEG(2), NULL, 0);
	assert_true(tp->t_rack.reordering_seen);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.reordering, 1);
	/* Three SACKed above segment 2: still 25 ms of patience. */
	dlg_send_sack(&D, SEG(2), (uint32_t[]){ SEG(3), SEG(6) }, 1);
	assert_int_equal(tp->t_sb.nsacked, 3);
	assert_int_equal(tcp_rack_reo_wnd(tp), RTT / 4);
	dlg_expect_none(&D);
	assert_true(tp->t_timer[TCPT_REO] != WS_TIME_NEVER);
	assert_int_equal(dlg_stats(&D).tcp.rackdetect, 0);
}

/*
 * RFC 8985 7: a flight whose ACKs never come.  The probe fires 2 * SRTT
 * after the last transmission, before the RTO, and resends the last
 * segment when there is no new data; the RTO is restarted after it.
 */
static void
test_tlp_fires(void **state)
{
	struct tcpcb *tp;
	uint32_t s0;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(NULL);
	t0 = D.now;
	s0 = send_segments(4, 4);
	assert_int_equal(tp->t_timer[TCPT_PTO], t0 + 2 * RTT);
	assert_int_equal(tp->t_timer[TCPT_REXMT], t0 + 3 * RTT);
	until_due(t0 + 2 * RTT);
	dlg_expect(&D, TH_ACK | TH_PUSH, SEG(3), D.snd, MSS, NULL);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.tlp, 1);
	assert_int_equal(dlg_stats(&D).tcp.sndrexmitpack, 1);
	assert_true(tp->t_rack.tlp_inflight);
	assert_true(tp->t_rack.tlp_is_retrans);
	assert_int_equal(tp->t_timer[TCPT_REXMT], t0 + 2 * RTT + 3 * RTT);
	assert_int_equal(tp->t_timer[TCPT_PTO], WS_TIME_NEVER);
	/* Only one probe: then the RTO. */
	until_due(t0 + 5 * RTT);
	dlg_expect(&D, TH_ACK, SEG(0), D.snd, MSS, NULL);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 1);
	assert_int_equal(dlg_stats(&D).tcp.tlp, 1);
}

/* With unsent data the probe is a new segment (RFC 8985 7.3). */
static void
test_tlp_new_data(void **state)
{
	struct tcpcb *tp;
	uint32_t s0;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(NULL);
	t0 = D.now;
	s0 = send_segments(12, 10); /* the initial window holds 10 */
	dlg_at(&D, t0 + 2 * RTT);
	dlg_expect(&D, TH_ACK, SEG(10), D.snd, MSS, NULL);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.tlp, 1);
	assert_int_equal(dlg_stats(&D).tcp.sndrexmitpack, 0);
	assert_false(tp->t_rack.tlp_is_retrans);
	assert_int_equal(tp->t_rack.tlp_end_seq, SEG(11));
}

/*
 * One segment in flight: PTO = 2 * SRTT + WCDelAckT = 400 ms, past the
 * RTO (300 ms), so the probe goes just before the RTO instead.
 */
static void
test_tlp_single_segment(void **state)
{
	struct tcpcb *tp;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(NULL);
	t0 = D.now;
	send_segments(1, 1);
	assert_int_equal(tp->t_timer[TCPT_REXMT], t0 + 3 * RTT);
	assert_int_equal(tp->t_timer[TCPT_PTO], t0 + 3 * RTT - 1);
	dlg_at(&D, t0 + 3 * RTT - 1);
	sent_by(1, 0);
}

/*
 * The probe's D-SACK says both copies arrived: no loss, no reduction
 * (RFC 8985 7.4).
 */
static void
test_tlp_dsack_no_reduction(void **state)
{
	struct tcpcb *tp;
	uint32_t s0, cwnd, ssthresh;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(NULL);
	t0 = D.now;
	s0 = send_segments(4, 4);
	dlg_at(&D, t0 + 2 * RTT);
	assert_true(dlg_recv(&D, &(struct seg){ 0 }));
	/* The originals were only late: all acknowledged... */
	dlg_send_sack(&D, SEG(4), NULL, 0);
	assert_true(tp->t_rack.tlp_inflight);
	cwnd = tp->snd_cwnd;
	ssthresh = tp->snd_ssthresh;
	/* ...and the probe arrives as a duplicate. */
	dlg_send_sack(&D, SEG(4), (uint32_t[]){ SEG(3), SEG(4) }, 1);
	assert_false(tp->t_rack.tlp_inflight);
	assert_int_equal(tp->snd_cwnd, cwnd);
	assert_int_equal(tp->snd_ssthresh, ssthresh);
	assert_int_equal(dlg_stats(&D).tcp.tlploss, 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvdsack, 1);
}

/*
 * The probe was the only copy to arrive: the ACK for data sent after it
 * shows a loss was repaired, and congestion control reacts (RFC 8985
 * 7.4.2).
 */
static void
test_tlp_repairs_loss(void **state)
{
	struct tcpcb *tp;
	uint32_t s0, cwnd;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(NULL);
	t0 = D.now;
	s0 = send_segments(4, 4);
	dlg_at(&D, t0 + 2 * RTT);
	assert_true(dlg_recv(&D, &(struct seg){ 0 }));
	dlg_wait(&D, RTT);
	dlg_send_sack(&D, SEG(4), NULL, 0);
	assert_true(tp->t_rack.tlp_inflight);
	cwnd = tp->snd_cwnd;
	D.rcv = SEG(4);
	assert_int_equal(ws_tcp_send(D.s, big, 100), 100);
	assert_true(dlg_recv(&D, &(struct seg){ 0 }));
	dlg_wait(&D, RTT);
	dlg_send_sack(&D, SEG(4) + 100, NULL, 0);
	assert_false(tp->t_rack.tlp_inflight);
	assert_int_equal(dlg_stats(&D).tcp.tlploss, 1);
	/* The ACK grew cwnd by 100 bytes first (slow start). */
	assert_int_equal(tp->snd_ssthresh, (uint32_t)((cwnd + 100) * 0.7));
	assert_true(tp->snd_cwnd <= tp->snd_ssthresh);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 0);
}

/* RACK off (WS_TCP_RACK 0): no probe, the RTO does the work. */
static void
rack_off(struct ws_tcp *l)
{
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_RACK, 0), 0);
}

static void
test_no_tlp_without_rack(void **state)
{
	struct tcpcb *tp;
	struct ws_tcp_info ti;
	ws_time_t t0;

	(void)state;
	tp = rack_conn(rack_off);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.rack, 0);
	t0 = D.now;
	send_segments(4, 4);
	assert_int_equal(tp->t_timer[TCPT_PTO], WS_TIME_NEVER);
	until_due(t0 + 3 * RTT);
	sent_by(0, 1);
}

/*
 * RFC 8985 6.2 step 4: a D-SACK widens the reordering window by one
 * min_RTT / 4 for the round, capped at SRTT.
 */
static void
test_reo_wnd_dsack(void **state)
{
	struct tcpcb *tp;
	struct tcp_ackinfo ai;

	(void)state;
	tp = rack_conn(NULL);
	send_segments(4, 4); /* a round lasts until these are acknowledged */
	tp->t_rack.reordering_seen = true;
	assert_int_equal(tcp_rack_reo_wnd(tp), RTT / 4);
	memset(&ai, 0, sizeof(ai));
	ai.dsack = true;
	tcp_rack_update_reo_wnd(tp, &ai, false);
	assert_int_equal(tcp_rack_reo_wnd(tp), 2 * RTT / 4);
	/* Same round: no further growth. */
	tcp_rack_update_reo_wnd(tp, &ai, false);
	assert_int_equal(tcp_rack_reo_wnd(tp), 2 * RTT / 4);
	for (int i = 0; i < 10; i++) {
		tp->t_rack.dsack_round_set = false;
		tcp_rack_update_reo_wnd(tp, &ai, false);
	}
	assert_int_equal(tcp_rack_reo_wnd(tp), RTT); /* at most SRTT */
	/* 16 recoveries without D-SACK: back to the minimum. */
	for (int i = 0; i < 16; i++)
		tcp_rack_update_reo_wnd(tp, NULL, true);
	assert_int_equal(tcp_rack_reo_wnd(tp), RTT / 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_reo_timer),
		DLG_TEST(test_reordering_seen),
		DLG_TEST(test_tlp_fires),
		DLG_TEST(test_tlp_new_data),
		DLG_TEST(test_tlp_single_segment),
		DLG_TEST(test_tlp_dsack_no_reduction),
		DLG_TEST(test_tlp_repairs_loss),
		DLG_TEST(test_no_tlp_without_rack),
		DLG_TEST(test_reo_wnd_dsack),
	};

	dlg_pattern(big, sizeof(big), 5, 7); /* read-only payload */
	return cmocka_run_group_tests_name("tcp_rack", tests, NULL, NULL);
}

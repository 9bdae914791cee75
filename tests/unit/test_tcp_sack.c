/*
 * SACK as segment dialogues in virtual time (RFC 2018, RFC 2883,
 * RFC 6675): the blocks the stack generates as a receiver (order, how
 * many fit, D-SACK), and as a sender the scoreboard, the pipe, the
 * NextSeg() rules, SACK-based recovery and an RTO that does not resend
 * what was SACKed.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

#define MSS 1460

static uint8_t big[65536];

static void
rack_off(struct ws_tcp *l)
{
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_RACK, 0), 0);
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_CC, WS_TCP_CC_NEWRENO), 0);
}

static void
newreno(struct ws_tcp *l)
{
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_CC, WS_TCP_CC_NEWRENO), 0);
}

/* The peer sends len bytes at base + off. */
static void
peer_data(uint32_t base, uint32_t off, uint32_t len)
{
	struct seg sg = dlg_seg(TH_ACK, base + off, D.rcv);

	sg.data = big + off;
	sg.len = len;
	if (D.ts) {
		sg.opts.present = TOF_TS;
		sg.opts.tsval = D.tsval;
		sg.opts.tsecr = D.tsecr;
	}
	dlg_send(&D, &sg);
}

/* The next segment from the stack ACKs ack with exactly these blocks
 * (offsets from base). */
static void
expect_sack(uint32_t base, uint32_t ack, const uint32_t *blk, int n)
{
	struct seg o;

	assert_true(dlg_recv(&D, &o));
	if (o.ack != base + ack || o.opts.nsack != n) {
		fprintf(stderr, "# ack %u nsack %u, want %u %d:", o.ack - base,
		    o.opts.nsack, ack, n);
		for (int i = 0; i < o.opts.nsack; i++)
			fprintf(stderr, " [%u,%u)", o.opts.sack[i].start - base,
			    o.opts.sack[i].end - base);
		fprintf(stderr, "\n");
	}
	assert_int_equal(o.ack, base + ack);
	assert_int_equal(o.opts.nsack, n);
	assert_int_equal((o.opts.present & TOF_SACK) != 0, n > 0);
	for (int i = 0; i < n; i++) {
		assert_int_equal(o.opts.sack[i].start, base + blk[2 * i]);
		assert_int_equal(o.opts.sack[i].end, base + blk[2 * i + 1]);
	}
}

/*
 * RFC 2018 4: the first block holds the segment that triggered the ACK,
 * the rest follow most recent first; without timestamps 4 blocks fit,
 * the oldest is dropped; a segment that joins two blocks makes the
 * merged block the first.
 */
static void
test_blocks_order(void **state)
{
	uint32_t b;

	(void)state;
	dlg_to_established_sack(&D, false, 0, NULL);
	b = D.snd;
	peer_data(b, 100, 100);
	expect_sack(b, 0, (uint32_t[]){ 100, 200 }, 1);
	peer_data(b, 300, 100);
	expect_sack(b, 0, (uint32_t[]){ 300, 400, 100, 200 }, 2);
	peer_data(b, 500, 100);
	expect_sack(b, 0, (uint32_t[]){ 500, 600, 300, 400, 100, 200 }, 3);
	peer_data(b, 700, 100);
	expect_sack(b, 0, (uint32_t[]){ 700, 800, 500, 600, 300, 400, 100,
	    200 }, 4);
	/* Five blocks: the least recent one does not fit. */
	peer_data(b, 900, 100);
	expect_sack(b, 0, (uint32_t[]){ 900, 1000, 700, 800, 500, 600, 300,
	    400 }, 4);
	/* An older block repeated: it moves to the front. */
	peer_data(b, 300, 100);
	expect_sack(b, 0, (uint32_t[]){ 300, 400, 300, 400, 900, 1000, 700,
	    800 }, 4); /* D-SACK first (RFC 2883), then its block */
	/* 200..300 joins 100..200 and 300..400. */
	peer_data(b, 200, 100);
	expect_sack(b, 0, (uint32_t[]){ 100, 400, 900, 1000, 700, 800, 500,
	    600 }, 4);
	/* The hole at the start: everything up to 400 is in order. */
	peer_data(b, 0, 100);
	expect_sack(b, 400, (uint32_t[]){ 900, 1000, 700, 800, 500, 600 },
	    3);
	dlg_expect_none(&D);
	assert_int_equal(ws_tcp_recvavail(D.s), 400);
}

/* With timestamps (12 bytes of options) only 3 blocks fit. */
static void
test_blocks_with_timestamps(void **state)
{
	uint32_t b;

	(void)state;
	dlg_to_established_sack(&D, true, 0, NULL);
	b = D.snd;
	for (uint32_t off = 100; off <= 700; off += 200)
		peer_data(b, off, 100);
	for (int i = 0; i < 3; i++)
		assert_true(dlg_recv(&D, &(struct seg){ 0 }));
	expect_sack(b, 0, (uint32_t[]){ 700, 800, 500, 600, 300, 400 }, 3);
}

/* Blocks at the edges of the sequence space (wrap-around). */
static void
test_blocks_wrap(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, 0xffffff00u, 0), o;
	uint32_t b;

	(void)state;
	dlg_listen(&D, 4);
	sg.opts.present = TOF_MSS | TOF_SACKPERM;
	sg.opts.mss = 1460;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	D.snd = 0xffffff01u;
	D.rcv = o.seq + 1;
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	b = D.snd;
	/* [b+200, b+400) straddles 2^32. */
	peer_data(b, 200, 200);
	expect_sack(b, 0, (uint32_t[]){ 200, 400 }, 1);
	assert_true(b + 400 < b);
	peer_data(b, 0, 200);
	expect_sack(b, 400, NULL, 0);
}

/*
 * RFC 2883 4.1.1: a duplicate below the cumulative ACK is reported in
 * the first block of the next ACK, once; 4.1.2: a duplicate of data held
 * out of order is reported first, then the block that holds it.
 */
static void
test_dsack(void **state)
{
	uint32_t b;

	(void)state;
	dlg_to_established_sack(&D, false, 0, NULL);
	b = D.snd;
	peer_data(b, 0, 100);
	dlg_wait(&D, TCP_DELACK_US);
	expect_sack(b, 100, NULL, 0);
	peer_data(b, 0, 100);
	expect_sack(b, 100, (uint32_t[]){ 0, 100 }, 1);
	assert_int_equal(dlg_stats(&D).tcp.snddsack, 1);
	/* Partly old: only the old part is a duplicate. */
	peer_data(b, 50, 100);
	expect_sack(b, 150, (uint32_t[]){ 50, 100 }, 1);
	/* Out of order, then the same again, then part of it. */
	peer_data(b, 300, 100);
	expect_sack(b, 150, (uint32_t[]){ 300, 400 }, 1);
	peer_data(b, 300, 100);
	expect_sack(b, 150, (uint32_t[]){ 300, 400, 300, 400 }, 2);
	peer_data(b, 320, 40);
	expect_sack(b, 150, (uint32_t[]){ 320, 360, 300, 400 }, 2);
	assert_int_equal(dlg_stats(&D).tcp.snddsack, 4);
	/* Reported once only. */
	peer_data(b, 500, 100);
	expect_sack(b, 150, (uint32_t[]){ 500, 600, 300, 400 }, 2);
}

/* Send n segments of MSS and read them; returns the first sequence. */
static uint32_t
send_segments(int n)
{
	struct seg o[16];

	assert_int_equal(ws_tcp_send(D.s, big, (size_t)n * MSS), n * MSS);
	assert_int_equal(dlg_drain(&D, o, 16), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(o[i].seq, D.rcv + (uint32_t)i * MSS);
	return D.rcv;
}

#define SEG(i) (s0 + (uint32_t)(i) * MSS)

/*
 * RFC 2018 3 on the sender: blocks mark whole segments, a block that
 * ends inside one splits it, blocks outside SND.UNA..SND.MAX are
 * ignored, a first block below the ACK is a D-SACK (RFC 2883 4).
 */
static void
test_scoreboard_updates(void **state)
{
	struct tcpcb *tp;
	uint32_t s0;

	(void)state;
	dlg_to_established_sack(&D, false, 100 * DLG_MS, rack_off);
	tp = sototcpcb(D.s);
	s0 = send_segments(10);
	assert_int_equal(tcp_sb_count(tp), 10);
	assert_true(tcp_sb_check(tp));
	dlg_wait(&D, 100 * DLG_MS);

	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(2), SEG(4) }, 1);
	assert_int_equal(tcp_sb_count(tp), 9);
	assert_true(tcp_sb_at(tp, 1)->flags & SBF_SACKED);
	assert_true(tcp_sb_at(tp, 2)->flags & SBF_SACKED);
	assert_false(tcp_sb_at(tp, 0)->flags & SBF_SACKED);
	assert_int_equal(tp->t_sb.sacked, 2 * MSS);
	assert_int_equal(tp->t_sb.nsacked, 2);
	assert_int_equal(tcp_sack_pipe(tp), 7 * MSS);
	assert_true(tcp_sb_check(tp));

	/* Half of segment 5: the record is split. */
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(5) + 730, SEG(6),
	    SEG(2), SEG(4) }, 2);
	assert_int_equal(tcp_sb_count(tp), 10);
	assert_int_equal(tp->t_sb.sacked, 2 * MSS + 730);
	assert_true(tcp_sb_find(tp, SEG(5) + 730)->flags & SBF_SACKED);
	assert_false(tcp_sb_find(tp, SEG(5))->flags & SBF_SACKED);
	assert_int_equal(tcp_sb_find(tp, SEG(5))->end, SEG(5) + 730);
	assert_true(tcp_sb_check(tp));

	/* Beyond SND.MAX, and below SND.UNA: ignored. */
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(9), SEG(11), SEG(0) + 1,
	    SEG(1) }, 2);
	assert_int_equal(tp->t_sb.sacked, 2 * MSS + 730);
	assert_int_equal(dlg_stats(&D).tcp.rcvdsack, 0);
	/* A first block below the ACK: a D-SACK, which marks nothing. */
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(0), SEG(1), SEG(7),
	    SEG(8) }, 2);
	assert_int_equal(dlg_stats(&D).tcp.rcvdsack, 1);
	assert_int_equal(tp->t_sb.sacked, 3 * MSS + 730);
	assert_int_equal(dlg_stats(&D).tcp.rcvsack, 4);
	assert_true(tcp_sb_check(tp));
	/* RFC 6675 IsLost: 3 SACKed segments above segment 1. */
	assert_true(tcp_sack_islost(tp, tcp_sb_find(tp, SEG(1))));
	assert_false(tcp_sack_islost(tp, tcp_sb_find(tp, SEG(6))));

	/* The cumulative ACK removes what it covers, SACKed or not. */
	dlg_send_sack(&D, SEG(10), NULL, 0);
	assert_int_equal(tcp_sb_count(tp), 0);
	assert_int_equal(tp->t_sb.sacked, 0);
	assert_int_equal(tp->t_sb.nsacked, 0);
	assert_true(tcp_sb_check(tp));
}

/*
 * RFC 6675 without RACK: 7 segments SACKed above a hole of 2: both are
 * lost (IsLost), recovery starts, cwnd = ssthresh = FlightSize / 2, and
 * while cwnd - pipe allows both are resent; then pipe = 2 segments
 * (their retransmissions), nothing else qualifies.
 */
static void
test_pipe_and_recovery_6675(void **state)
{
	struct tcpcb *tp;
	struct ws_tcp_info ti;
	uint32_t s0;

	(void)state;
	dlg_to_established_sack(&D, false, 100 * DLG_MS, rack_off);
	tp = sototcpcb(D.s);
	s0 = send_segments(10);
	dlg_wait(&D, 100 * DLG_MS);
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(3), SEG(10) }, 1);
	dlg_expect(&D, TH_ACK, SEG(1), D.snd, MSS, NULL);
	dlg_expect(&D, TH_ACK, SEG(2), D.snd, MSS, NULL);
	dlg_expect_none(&D);
	assert_true(tp->t_flags & TF_FASTRECOVERY);
	assert_int_equal(tp->snd_ssthresh, 9 * MSS / 2);
	assert_int_equal(tp->snd_cwnd, 9 * MSS / 2);
	assert_int_equal(tp->t_sb.sacked, 7 * MSS);
	assert_int_equal(tp->t_sb.lost, 2 * MSS);
	assert_int_equal(tp->t_sb.retrans, 2 * MSS);
	/* pipe = 9 out - 7 SACKed - 2 lost + 2 resent. */
	assert_int_equal(tcp_sack_pipe(tp), 2 * MSS);
	assert_int_equal(tp->t_highrxt, SEG(3));
	assert_int_equal(dlg_stats(&D).tcp.sackrecovery, 1);
	assert_int_equal(dlg_stats(&D).tcp.rackdetect, 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.in_recovery, 1);
	assert_int_equal(ti.pipe, 2 * MSS);
	/* A partial ACK: still recovering; the full one ends it. */
	dlg_send_sack(&D, SEG(2), (uint32_t[]){ SEG(3), SEG(10) }, 1);
	assert_true(tp->t_flags & TF_FASTRECOVERY);
	assert_int_equal(tcp_sack_pipe(tp), MSS);
	dlg_send_sack(&D, SEG(10), NULL, 0);
	assert_false(tp->t_flags & TF_FASTRECOVERY);
	/* RFC 6582 3.2 step 3: min(ssthresh, max(FlightSize, SMSS) + SMSS). */
	assert_int_equal(tp->snd_cwnd, 2 * MSS);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 0);
	assert_true(tcp_sb_check(tp));
}

/* RFC 6675 4 NextSeg(), rule by rule, on a hand-made scoreboard. */
static void
test_nextseg_rules(void **state)
{
	struct tcpcb *tp;
	uint32_t s0, seq, len;
	int rule;

	(void)state;
	dlg_to_established_sack(&D, false, 100 * DLG_MS, rack_off);
	tp = sototcpcb(D.s);
	s0 = send_segments(10);
	tp->t_highrxt = SEG(0);

	/* (2) new data when nothing is lost. */
	assert_int_equal(tcp_sack_nextseg(tp, true, &seq, &len, &rule),
	    TCP_NEXTSEG_NEW);
	assert_int_equal(rule, 2);
	/* (1) a lost segment first, even with new data to send. */
	tcp_sb_mark_lost(tp, tcp_sb_at(tp, 3));
	assert_int_equal(tcp_sack_nextseg(tp, true, &seq, &len, &rule),
	    TCP_NEXTSEG_REXMIT);
	assert_int_equal(rule, 1);
	assert_int_equal(seq, SEG(3));
	assert_int_equal(len, MSS);
	/* Once resent, the next lost one. */
	tcp_sb_setflags(tp, tcp_sb_at(tp, 3), SBF_LOST | SBF_RETRANS);
	tcp_sb_mark_lost(tp, tcp_sb_at(tp, 5));
	assert_int_equal(tcp_sack_nextseg(tp, false, &seq, &len, &rule),
	    TCP_NEXTSEG_REXMIT);
	assert_int_equal(seq, SEG(5));
	/* A lower one found lost later still comes first. */
	tcp_sb_mark_lost(tp, tcp_sb_at(tp, 1));
	assert_int_equal(tcp_sack_nextseg(tp, false, &seq, &len, &rule),
	    TCP_NEXTSEG_REXMIT);
	assert_int_equal(seq, SEG(1));
	assert_true(tcp_sb_check(tp));

	/* (3) nothing lost, no new data: unSACKed above HighRxt. */
	tcp_sb_clear_lost(tp);
	tp->t_highrxt = SEG(4);
	assert_int_equal(tcp_sack_nextseg(tp, false, &seq, &len, &rule),
	    TCP_NEXTSEG_REXMIT);
	assert_int_equal(rule, 3);
	assert_int_equal(seq, SEG(4));

	/* (4) the rescue: the last unSACKed segment not being resent. */
	for (int i = 4; i < 9; i++)
		tcp_sb_setflags(tp, tcp_sb_at(tp, (uint32_t)i), SBF_RETRANS);
	tcp_sb_setflags(tp, tcp_sb_at(tp, 9), SBF_SACKED);
	tp->t_flags |= TF_FASTRECOVERY;
	tp->snd_recover = tp->snd_max;
	tp->t_rescue_set = false;
	assert_int_equal(tcp_sack_nextseg(tp, false, &seq, &len, &rule),
	    TCP_NEXTSEG_REXMIT);
	assert_int_equal(rule, 4);
	assert_int_equal(seq, SEG(2));
	assert_int_equal(tp->t_highrxt, SEG(4)); /* not moved */
	assert_true(tp->t_rescue_set);
	/* Once per recovery. */
	assert_int_equal(tcp_sack_nextseg(tp, false, &seq, &len, &rule),
	    TCP_NEXTSEG_NONE);
	/* With RACK, rules 3 and 4 are the tail loss probe's job. */
	tp->t_rescue_set = false;
	tp->t_flags |= TF_RACK;
	assert_int_equal(tcp_sack_nextseg(tp, false, &seq, &len, &rule),
	    TCP_NEXTSEG_NONE);
	tp->t_flags &= ~(TF_RACK | TF_FASTRECOVERY);
	assert_true(tcp_sb_check(tp));
}

/*
 * RFC 6675 5.1 / RFC 8985: after an RTO, what the peer SACKed is not
 * sent again; the holes go, in order, as slow start allows.
 */
static void
test_rto_skips_sacked(void **state)
{
	struct tcpcb *tp;
	struct seg o[16];
	uint32_t s0;
	int n;

	(void)state;
	dlg_to_established_sack(&D, false, 100 * DLG_MS, rack_off);
	tp = sototcpcb(D.s);
	s0 = send_segments(10);
	dlg_wait(&D, 100 * DLG_MS);
	/* Segments 1 and 3 arrived, 0 did not (two SACKs: no recovery). */
	dlg_send_sack(&D, SEG(0), (uint32_t[]){ SEG(1), SEG(2) }, 1);
	dlg_send_sack(&D, SEG(0), (uint32_t[]){ SEG(3), SEG(4), SEG(1),
	    SEG(2) }, 2);
	dlg_expect_none(&D);
	assert_int_equal(tp->t_dupacks, 2);
	/* RTO = SRTT + 4 RTTVAR = 300 ms after the first segment. */
	dlg_wait(&D, 200 * DLG_MS - 1);
	dlg_expect_none(&D);
	dlg_wait(&D, 1);
	dlg_expect(&D, TH_ACK, SEG(0), D.snd, MSS, NULL);
	dlg_expect_none(&D);
	assert_true(tp->t_flags & TF_LOSSRECOVERY);
	assert_int_equal(tp->t_sb.lost, 8 * MSS);
	assert_int_equal(tp->t_sb.sacked, 2 * MSS);
	/* Segment 0 and (SACKed) 1 acknowledged: cwnd 3 segments. */
	dlg_send_sack(&D, SEG(2), (uint32_t[]){ SEG(3), SEG(4) }, 1);
	n = dlg_drain(&D, o, 16);
	assert_int_equal(n, 3);
	assert_int_equal(o[0].seq, SEG(2));
	assert_int_equal(o[1].seq, SEG(4)); /* not 3: SACKed */
	assert_int_equal(o[2].seq, SEG(5));
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 1);
	assert_true(tcp_sb_check(tp));
	dlg_send_sack(&D, SEG(10), NULL, 0);
	assert_false(tp->t_flags & TF_LOSSRECOVERY);
}

/*
 * With RACK (the default) and CUBIC: the third SACKed segment makes the
 * missing one lost at once (no reordering seen, so the reordering
 * window is 0: RFC 8985 6.2), recovery starts with cwnd = ssthresh =
 * 0.7 cwnd (RFC 9438 4.6), the hole is resent.
 */
static void
test_sack_recovery_rack(void **state)
{
	struct tcpcb *tp;
	struct ws_tcp_info ti;
	uint32_t s0, cwnd;

	(void)state;
	dlg_to_established_sack(&D, false, 100 * DLG_MS, NULL);
	tp = sototcpcb(D.s);
	assert_ptr_equal(tp->t_cc, &tcp_cc_cubic);
	s0 = send_segments(10);
	dlg_wait(&D, 100 * DLG_MS);
	dlg_send_sack(&D, SEG(1), NULL, 0);
	cwnd = tp->snd_cwnd;
	assert_int_equal(cwnd, 11 * MSS);
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(2), SEG(3) }, 1);
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(2), SEG(4) }, 1);
	dlg_expect_none(&D);
	dlg_send_sack(&D, SEG(1), (uint32_t[]){ SEG(2), SEG(5) }, 1);
	dlg_expect(&D, TH_ACK, SEG(1), D.snd, MSS, NULL);
	dlg_expect_none(&D);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.in_recovery, 1);
	assert_int_equal(ti.rack_detections, 1);
	assert_int_equal(ti.sack_recoveries, 1);
	assert_int_equal(ti.snd_ssthresh, (uint32_t)(cwnd * 0.7));
	assert_int_equal(ti.snd_cwnd, ti.snd_ssthresh);
	assert_int_equal(dlg_stats(&D).tcp.rackdetect, 1);
	assert_int_equal(dlg_stats(&D).tcp.fastrexmit, 1);
	dlg_send_sack(&D, SEG(10), NULL, 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.in_recovery, 0);
	assert_int_equal(ti.rtos, 0);
	assert_int_equal(ti.retransmits, 1);
}

/* Without SACK on the peer's side nothing of this is used. */
static void
test_no_sack_peer(void **state)
{
	struct tcpcb *tp;

	(void)state;
	dlg_to_established(&D);
	tp = sototcpcb(D.s);
	assert_false(tcp_sb_active(tp));
	assert_int_equal(ws_tcp_send(D.s, big, 3 * MSS), 3 * MSS);
	assert_int_equal(dlg_drain(&D, (struct seg[4]){ 0 }, 4), 3);
	assert_int_equal(tcp_sb_count(tp), 0);
	assert_null(tp->t_sb.seg);
	(void)newreno;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_blocks_order),
		DLG_TEST(test_blocks_with_timestamps),
		DLG_TEST(test_blocks_wrap),
		DLG_TEST(test_dsack),
		DLG_TEST(test_scoreboard_updates),
		DLG_TEST(test_pipe_and_recovery_6675),
		DLG_TEST(test_nextseg_rules),
		DLG_TEST(test_rto_skips_sacked),
		DLG_TEST(test_sack_recovery_rack),
		DLG_TEST(test_no_sack_peer),
	};

	dlg_pattern(big, sizeof(big), 13, 1); /* read-only payload */
	return cmocka_run_group_tests_name("tcp_sack", tests, NULL, NULL);
}

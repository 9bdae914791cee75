/*
 * RFC 7323 and friends as dialogues: window scaling and timestamps are
 * used only when both sides offer them, RTT from timestamp echoes, PAWS
 * (also across the wrap of the timestamp clock), the per-peer random
 * timestamp offset, sequence wrap-around on the SACK scoreboard, and
 * path MTU discovery (RFC 1191) validated against the connection.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

#define MSS 1460

static uint8_t big[65536];

/* Passive open with the peer's SYN options o; returns the SYN,ACK. */
static struct seg
open_with(const struct tcp_opts *o, uint16_t win)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), syn;

	dlg_listen(&D, 4);
	sg.opts = *o;
	sg.win = win;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &syn));
	D.iss = syn.seq;
	D.snd = DLG_PEER_ISS + 1;
	D.rcv = syn.seq + 1;
	return syn;
}

/*
 * RFC 7323 2.2/2.3: both offered: windows are scaled both ways; our
 * shift lets the default 256 KiB buffer be announced (shift 3); the
 * SYN's own window is never scaled.
 */
static void
test_wscale_both(void **state)
{
	struct tcp_opts o = { .present = TOF_MSS | TOF_WSCALE, .mss = 1460,
	    .wscale = 7 };
	struct seg syn, sg, a;
	struct ws_tcp_info ti;

	(void)state;
	syn = open_with(&o, 1000);
	assert_true(syn.opts.present & TOF_WSCALE);
	assert_int_equal(syn.opts.wscale, 3);
	assert_int_equal(syn.win, 65535);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 100;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.snd_wscale, 7);
	assert_int_equal(ti.rcv_wscale, 3);
	assert_int_equal(ti.snd_wnd, 100 << 7);
	/* Our announced window is the 256 KiB buffer >> 3. */
	dlg_send_data(&D, big, 10, 0);
	dlg_wait(&D, TCP_DELACK_US);
	assert_true(dlg_recv(&D, &a));
	assert_int_equal(a.win, (262144 - 10) >> 3);
}

/* RFC 7323 2.2: only one side offered: no scaling either way. */
static void
test_wscale_one_side(void **state)
{
	struct tcp_opts o = { .present = TOF_MSS, .mss = 1460 };
	struct seg syn, sg;
	struct ws_tcp_info ti;

	(void)state;
	syn = open_with(&o, 1000);
	assert_false(syn.opts.present & TOF_WSCALE);
	assert_false(syn.opts.present & TOF_TS);
	assert_false(syn.opts.present & TOF_SACKPERM);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 100;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.snd_wscale, 0);
	assert_int_equal(ti.rcv_wscale, 0);
	assert_int_equal(ti.snd_wnd, 100);
	assert_int_equal(ti.ts_ok, 0);
	assert_int_equal(ti.sack_ok, 0);
}

/*
 * RFC 7323 3, 4: timestamps on every segment once negotiated; the RTT
 * comes from the echo; TSval = our milliseconds plus a secret offset.
 */
static void
test_timestamps_rtt(void **state)
{
	struct tcp_opts o = { .present = TOF_MSS | TOF_TS, .mss = 1460,
	    .tsval = 777 };
	struct seg syn, sg, d1;
	struct ws_tcp_info ti;
	uint32_t off;

	(void)state;
	syn = open_with(&o, 65535);
	assert_true(syn.opts.present & TOF_TS);
	assert_int_equal(syn.opts.tsecr, 777);
	off = syn.opts.tsval - (uint32_t)(D.now / 1000);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 778;
	sg.opts.tsecr = syn.opts.tsval;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	/* The MSS leaves room for the option (RFC 7323 3.2 / 9293 3.7.1). */
	assert_int_equal(ws_tcp_send(D.s, big, 2000), 2000);
	assert_true(dlg_recv(&D, &d1));
	assert_int_equal(d1.len, 1448);
	assert_true(d1.opts.present & TOF_TS);
	assert_int_equal(d1.opts.tsval, (uint32_t)(D.now / 1000) + off);
	assert_int_equal(d1.opts.tsecr, 778);
	dlg_wait(&D, 80 * DLG_MS);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1448);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 800;
	sg.opts.tsecr = d1.opts.tsval;
	dlg_send(&D, &sg);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.ts_ok, 1);
	/* The handshake sample was 0 ms (taken as 1 us); this one 80 ms. */
	assert_int_equal(ti.rtt_us, (1 * 7 + 80000) / 8);
	/* The offset is secret but fixed per address pair. */
	assert_true(off != 0);
}

/*
 * RFC 7323 5.3 PAWS with the peer's clock wrapping: 0xffffff00 then
 * 0x10 is newer (accepted); then 0xfffffe00 is old (dropped, ACKed).
 */
static void
test_paws_wrap(void **state)
{
	struct tcp_opts o = { .present = TOF_MSS | TOF_TS, .mss = 1460,
	    .tsval = 0xffffff00u };
	struct seg syn, sg, a;

	(void)state;
	syn = open_with(&o, 65535);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 0xffffff80u;
	sg.opts.tsecr = syn.opts.tsval;
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	sg.opts.tsval = 0x10; /* wrapped: newer */
	sg.data = "abcd";
	sg.len = 4;
	dlg_send(&D, &sg);
	D.snd += 4;
	assert_int_equal(ws_tcp_recvavail(D.s), 4);
	assert_int_equal(sototcpcb(D.s)->ts_recent, 0x10);
	/* Older than 0x10 across the wrap: PAWS drops it. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 0xfffffe00u;
	sg.data = "efgh";
	sg.len = 4;
	dlg_wait(&D, TCP_DELACK_US); /* the delayed ACK of "abcd" */
	(void)dlg_recv(&D, &a);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, &a);
	assert_int_equal(a.opts.tsecr, 0x10);
	assert_int_equal(ws_tcp_recvavail(D.s), 4);
	assert_int_equal(dlg_stats(&D).tcp.rcvpawsdrop, 1);
	/* A run of bad empty segments draws one ACK per 500 ms. */
	sg.data = NULL;
	sg.len = 0;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	dlg_send(&D, &sg);
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.oowlimited, 2);
	dlg_wait(&D, TCP_OOWACK_US);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
}

/* Our timestamp clock differs between peers (RFC 7323 5.4, RFC 9293). */
static void
test_ts_offset_per_peer(void **state)
{
	struct tcpcb *a, *b;
	struct ws_tcp *s1, *s2;

	(void)state;
	assert_int_equal(ws_tcp_open(D.st, &s1), 0);
	assert_int_equal(ws_tcp_open(D.st, &s2), 0);
	a = sototcpcb(s1);
	b = sototcpcb(s2);
	a->t_laddr = b->t_laddr = DLG_LOCAL;
	a->t_faddr = DLG_PEER;
	b->t_faddr = DLG_PEER + 1;
	tcp_set_tsoffset(a);
	tcp_set_tsoffset(b);
	assert_true(a->ts_offset != b->ts_offset);
	assert_int_equal(tcp_tsnow(a) - a->ts_offset, D.now / 1000);
	/* The clock wraps like any 32-bit counter. */
	a->ts_offset = 0xffffffffu - (uint32_t)(D.now / 1000);
	assert_int_equal(tcp_tsnow(a), 0xffffffffu);
	dlg_wait(&D, 2 * DLG_MS);
	assert_int_equal(tcp_tsnow(a), 1);
	ws_tcp_close(s1);
	ws_tcp_close(s2);
}

/*
 * The sender's scoreboard across 2^32: SACK blocks that straddle the
 * wrap mark the right segments and RACK resends the right one.
 */
static void
test_scoreboard_wrap(void **state)
{
	struct tcpcb *tp;
	struct seg o[16];
	uint32_t s0;

	(void)state;
	tcp_set_iss(D.st, 0xffffee00u);
	dlg_to_established_sack(&D, false, 100 * DLG_MS, NULL);
	tp = sototcpcb(D.s);
	assert_int_equal(ws_tcp_send(D.s, big, 6 * MSS), 6 * MSS);
	assert_int_equal(dlg_drain(&D, o, 16), 6);
	s0 = D.rcv;
	assert_true(s0 + 6 * MSS < s0); /* wraps */
	dlg_wait(&D, 100 * DLG_MS);
	dlg_send_sack(&D, s0 + MSS, (uint32_t[]){ s0 + 2 * MSS,
	    s0 + 5 * MSS }, 1);
	assert_int_equal(tp->t_sb.sacked, 3 * MSS);
	assert_true(tcp_sb_check(tp));
	dlg_expect(&D, TH_ACK, s0 + MSS, D.snd, MSS, NULL);
	dlg_send_sack(&D, s0 + 6 * MSS, NULL, 0);
	assert_int_equal(tcp_sb_count(tp), 0);
	assert_int_equal(dlg_stats(&D).tcp.rexmttimeo, 0);
}

/* An ICMP "fragmentation needed" for our connection (RFC 1191). */
static void
frag_needed(uint32_t seq, uint16_t mtu)
{
	struct ip4_info inner;
	uint8_t th[8];

	memset(&inner, 0, sizeof(inner));
	inner.src = DLG_LOCAL;
	inner.dst = DLG_PEER;
	inner.proto = 6;
	be16_store(th, DLG_LPORT);
	be16_store(th + 2, DLG_PPORT);
	be32_store(th + 4, seq);
	D.st->now = D.now;
	tcp_ctlinput(D.st, 3, 4, mtu, &inner, th, sizeof(th));
	ws_stack_poll(D.st, D.now); /* send what it queued */
}

/*
 * RFC 1191 / RFC 5927: the quoted sequence number must be in
 * SND.UNA..SND.MAX; then the MSS drops, and what was sent too big goes
 * again in smaller segments, without a congestion response.
 */
static void
test_pmtu(void **state)
{
	struct tcpcb *tp;
	struct seg o[32];
	uint32_t s0, cwnd;
	int n;

	(void)state;
	dlg_to_established_sack(&D, false, 100 * DLG_MS, NULL);
	tp = sototcpcb(D.s);
	assert_int_equal(ws_tcp_send(D.s, big, 3 * MSS), 3 * MSS);
	assert_int_equal(dlg_drain(&D, o, 32), 3);
	s0 = D.rcv;
	cwnd = tp->snd_cwnd;
	/* Outside the window: ignored (blind attack). */
	frag_needed(s0 + 3 * MSS, 1000);
	frag_needed(s0 - 1, 1000);
	assert_int_equal(tp->t_maxseg, MSS);
	assert_int_equal(dlg_stats(&D).tcp.pmtuupdate, 0);
	/*
	 * Inside: MSS 960; each segment is resent cut in two (960 + 500),
	 * as Linux's tcp_simple_retransmit() does.
	 */
	frag_needed(s0 + MSS, 1000);
	assert_int_equal(tp->t_maxseg, 960);
	assert_int_equal(dlg_stats(&D).tcp.pmtuupdate, 1);
	n = dlg_drain(&D, o, 32);
	assert_int_equal(n, 6);
	for (int i = 0, seq = 0; i < n; seq += (int)o[i].len, i++) {
		assert_int_equal(o[i].seq, s0 + (uint32_t)seq);
		assert_int_equal(o[i].len, i % 2 == 0 ? 960 : 500);
		assert_memory_equal(o[i].buf, big + seq, o[i].len);
	}
	assert_int_equal(tp->snd_cwnd, cwnd);
	assert_true(tcp_sb_check(tp));
	/* A larger MTU later is not believed (RFC 1191 only lowers). */
	frag_needed(s0, 1400);
	assert_int_equal(tp->t_maxseg, 960);
	dlg_send_sack(&D, s0 + 3 * MSS, NULL, 0);
	assert_int_equal(tcp_sb_count(tp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_wscale_both),
		DLG_TEST(test_wscale_one_side),
		DLG_TEST(test_timestamps_rtt),
		DLG_TEST(test_paws_wrap),
		DLG_TEST(test_ts_offset_per_peer),
		DLG_TEST(test_scoreboard_wrap),
		DLG_TEST(test_pmtu),
	};

	dlg_pattern(big, sizeof(big), 3, 11); /* read-only payload */
	return cmocka_run_group_tests_name("tcp_opts", tests, NULL, NULL);
}

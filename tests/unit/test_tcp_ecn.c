/*
 * ECN (RFC 3168 6.1) in virtual time against a scripted peer: the
 * negotiation both ways (ECN-setup SYN, SYN-ACK with ECE alone, Linux's
 * answer-only default, the non-ECN retransmitted SYN), ECT(0) on new
 * data only, the receiver's ECE until CWR, and the sender's reduction
 * once per window with CWR on the next new data.  The IP ECN field of
 * what the stack sends is read from the frames on the mem link.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/* The TOS byte of the frame the last ecn_recv() returned. */
static uint8_t last_tos;
/* The flags of the last segment ecn_expect_data() read. */
static uint8_t last_flags;

struct tos_rx {
	struct dlg_rx rx;
	uint8_t tos;
};

static void
tos_rx_cb(void *arg, const uint8_t *frame, size_t len)
{
	struct tos_rx *t = arg;

	assert_true(len >= 20);
	assert_int_equal(cksum(frame, (size_t)(frame[0] & 0x0f) * 4), 0);
	t->tos = frame[1];
	dlg_rx_cb(&t->rx, frame, len);
}

/* The next segment the stack sent (it must exist); its TOS in last_tos. */
static void
ecn_recv(struct seg *out)
{
	struct tos_rx t = { { out, false }, 0 };

	ws_link_recv(D.lb, D.now, tos_rx_cb, &t, 1);
	assert_true(t.rx.got);
	last_tos = t.tos;
}

/* The peer sends sg with the IP ECN field `ecn`. */
static void
ecn_send(const struct seg *sg, uint8_t ecn)
{
	static uint8_t buf[20 + 60 + 2048];
	size_t n = dlg_build(sg, buf, false);

	buf[1] = ecn;
	be16_store(buf + 10, 0);
	be16_store(buf + 10, cksum(buf, 20));
	dlg_send_raw(&D, buf, n);
}

/* The peer sends len bytes of data with these extra flags and ECN. */
static void
ecn_send_data(size_t len, uint8_t extra, uint8_t ecn)
{
	static uint8_t data[1460];
	struct seg sg = dlg_seg(TH_ACK | extra, D.snd, D.rcv);

	assert_true(len <= sizeof(data));
	dlg_pattern(data, len, 5, (unsigned)D.snd);
	sg.data = data;
	sg.len = len;
	ecn_send(&sg, ecn);
	D.snd += (uint32_t)len;
}

static void
ecn_ack(uint32_t ack, uint8_t extra)
{
	struct seg sg = dlg_seg(TH_ACK | extra, D.snd, ack);

	dlg_send(&D, &sg);
}

/*
 * Passive open: a listener with WS_TCP_ECN `mode` (-1: the default)
 * gets a SYN with synflags; the SYN-ACK's flags are returned and the
 * handshake completes.
 */
static uint8_t
ecn_open_passive(int mode, uint8_t synflags)
{
	struct seg sg = dlg_seg(TH_SYN | synflags, DLG_PEER_ISS, 0), o;

	assert_int_equal(ws_tcp_open(D.st, &D.l), 0);
	if (mode >= 0)
		assert_int_equal(ws_tcp_setopt(D.l, WS_TCP_ECN, mode), 0);
	assert_int_equal(ws_tcp_listen(D.l, DLG_LPORT, 4), 0);
	sg.opts.present = TOF_MSS | TOF_SACKPERM;
	sg.opts.mss = 1460;
	dlg_send(&D, &sg);
	ecn_recv(&o);
	assert_int_equal(o.flags & (TH_SYN | TH_ACK), TH_SYN | TH_ACK);
	assert_int_equal(last_tos, 0); /* 6.1.1: a SYN-ACK is never ECT */
	D.iss = o.seq;
	D.snd = DLG_PEER_ISS + 1;
	D.rcv = o.seq + 1;
	ecn_ack(D.rcv, 0);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	return o.flags;
}

/*
 * Active open with WS_TCP_ECN `mode` (-1: the default); the SYN's
 * flags are returned, the peer answers with a SYN-ACK with synackflags.
 */
static uint8_t
ecn_open_active(int mode, uint8_t synackflags)
{
	struct seg o, sg;
	uint8_t synflags;

	assert_int_equal(ws_tcp_open(D.st, &D.s), 0);
	if (mode >= 0)
		assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_ECN, mode), 0);
	assert_int_equal(ws_tcp_bind(D.s, DLG_LPORT), 0);
	assert_int_equal(ws_tcp_connect(D.s, DLG_PEER, DLG_PPORT),
	    WS_EINPROGRESS);
	ecn_recv(&o);
	assert_int_equal(last_tos, 0);
	synflags = o.flags;
	D.iss = o.seq;
	D.rcv = o.seq + 1;
	D.snd = DLG_PEER_ISS + 1;
	sg = dlg_seg(TH_SYN | TH_ACK | synackflags, DLG_PEER_ISS, D.rcv);
	sg.opts.present = TOF_MSS | TOF_SACKPERM;
	sg.opts.mss = 1460;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	return synflags;
}

/* The stack sends n bytes; the first segment's TOS and flags checked. */
static void
ecn_expect_data(size_t n, uint8_t tos)
{
	static uint8_t buf[1000];
	struct seg o;

	assert_true(n <= sizeof(buf));
	assert_int_equal(ws_tcp_send(D.s, buf, n), (ssize_t)n);
	ecn_recv(&o);
	assert_int_equal(o.len, n);
	assert_int_equal(o.flags & ~(TH_PUSH | TH_CWR | TH_ECE), TH_ACK);
	assert_int_equal(last_tos, tos);
	last_flags = o.flags;
	D.rcv += (uint32_t)n;
}

static struct ws_tcp_info
ecn_info(void)
{
	struct ws_tcp_info ti;

	assert_int_equal(ws_tcp_info(D.s, &ti), 0);
	return ti;
}

/*
 * The default (answer only, as Linux's tcp_ecn=2): an ECN-setup SYN gets
 * a SYN-ACK with ECE and not CWR (6.1.1), and then data is ECT(0) while
 * ACKs are not (6.1.4).
 */
static void
test_passive_default_accepts(void **state)
{
	struct seg o;

	(void)state;
	assert_int_equal(ecn_open_passive(-1, TH_ECE | TH_CWR),
	    TH_SYN | TH_ACK | TH_ECE);
	assert_int_equal(dlg_stats(&D).tcp.ecn_negotiated, 1);
	ecn_expect_data(100, IP4_ECN_ECT0);
	ecn_send_data(10, 0, IP4_ECN_NOTECT);
	dlg_wait(&D, TCP_DELACK_US);
	ecn_recv(&o);
	assert_int_equal(o.len, 0);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(last_tos, IP4_ECN_NOTECT);
}

/* A plain SYN, or ECE alone, or ECN off: no ECE back, no ECT. */
static void
test_passive_declines(void **state)
{
	(void)state;
	assert_int_equal(ecn_open_passive(-1, 0), TH_SYN | TH_ACK);
	ecn_expect_data(100, 0);
	assert_int_equal(dlg_stats(&D).tcp.ecn_negotiated, 0);
}

static void
test_passive_ece_only_syn(void **state)
{
	(void)state;
	/* ECE without CWR is not an ECN-setup SYN (6.1.1). */
	assert_int_equal(ecn_open_passive(-1, TH_ECE), TH_SYN | TH_ACK);
	ecn_expect_data(100, 0);
}

static void
test_passive_off(void **state)
{
	(void)state;
	assert_int_equal(ecn_open_passive(WS_TCP_ECN_OFF, TH_ECE | TH_CWR),
	    TH_SYN | TH_ACK);
	ecn_expect_data(100, 0);
	assert_int_equal(dlg_stats(&D).tcp.ecn_negotiated, 0);
}

/* By default a connect asks for nothing (answer-only). */
static void
test_active_default_plain(void **state)
{
	(void)state;
	assert_int_equal(ecn_open_active(-1, TH_ECE), TH_SYN);
	ecn_expect_data(100, 0);
}

/* WS_TCP_ECN_ON: an ECN-setup SYN; a SYN-ACK with ECE makes it ECN. */
static void
test_active_on(void **state)
{
	(void)state;
	assert_int_equal(ecn_open_active(WS_TCP_ECN_ON, TH_ECE),
	    TH_SYN | TH_ECE | TH_CWR);
	assert_int_equal(dlg_stats(&D).tcp.ecn_negotiated, 1);
	ecn_expect_data(100, IP4_ECN_ECT0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_ECN, WS_TCP_ECN_OFF),
	    WS_EISCONN);
	/* The TOS option keeps its DS bits and ECT is ours to add. */
	ecn_ack(D.rcv, 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TOS, 0xbb), 0);
	ecn_expect_data(10, 0xb8 | IP4_ECN_ECT0);
}

/* A peer that does not do ECN (SYN-ACK without ECE): none. */
static void
test_active_peer_declines(void **state)
{
	(void)state;
	assert_int_equal(ecn_open_active(WS_TCP_ECN_ON, 0),
	    TH_SYN | TH_ECE | TH_CWR);
	ecn_expect_data(100, 0);
	assert_int_equal(dlg_stats(&D).tcp.ecn_negotiated, 0);
}

/* ECE and CWR both in the SYN-ACK: a reflecting stack, not ECN. */
static void
test_active_reflected(void **state)
{
	(void)state;
	assert_int_equal(ecn_open_active(WS_TCP_ECN_ON, TH_ECE | TH_CWR),
	    TH_SYN | TH_ECE | TH_CWR);
	ecn_expect_data(100, 0);
}

/*
 * 6.1.1.1: the retransmitted SYN goes without ECE and CWR (the first may
 * have been dropped for them), and then an ECE in the SYN-ACK means
 * nothing.
 */
static void
test_active_syn_fallback(void **state)
{
	struct seg o, sg;

	(void)state;
	assert_int_equal(ws_tcp_open(D.st, &D.s), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_ECN, 3), WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_ECN, WS_TCP_ECN_ON), 0);
	assert_int_equal(ws_tcp_bind(D.s, DLG_LPORT), 0);
	assert_int_equal(ws_tcp_connect(D.s, DLG_PEER, DLG_PPORT),
	    WS_EINPROGRESS);
	ecn_recv(&o);
	assert_int_equal(o.flags, TH_SYN | TH_ECE | TH_CWR);
	dlg_at(&D, ws_stack_next_deadline(D.st));
	ecn_recv(&o);
	assert_int_equal(o.flags, TH_SYN);
	D.iss = o.seq;
	D.rcv = o.seq + 1;
	D.snd = DLG_PEER_ISS + 1;
	sg = dlg_seg(TH_SYN | TH_ACK | TH_ECE, DLG_PEER_ISS, D.rcv);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, NULL);
	ecn_expect_data(100, 0);
}

/*
 * 6.1.3: a CE-marked data segment gets an ACK at once (it would have
 * been delayed) with ECE; ECE stays on the ACKs that follow until a
 * segment with CWR; then it is off.
 */
static void
test_receiver_ece_until_cwr(void **state)
{
	struct seg o;

	(void)state;
	ecn_open_passive(-1, TH_ECE | TH_CWR);
	ecn_send_data(100, 0, IP4_ECN_CE);
	ecn_recv(&o); /* immediate, no delayed-ACK wait */
	assert_int_equal(o.flags, TH_ACK | TH_ECE);
	assert_int_equal(o.ack, D.snd);
	assert_int_equal(last_tos, 0);
	assert_int_equal(dlg_stats(&D).tcp.rcv_ce, 1);
	/* Not marked, but the echo goes on (delayed ACK as usual). */
	ecn_send_data(100, 0, IP4_ECN_ECT0);
	dlg_expect_none(&D);
	dlg_wait(&D, TCP_DELACK_US);
	ecn_recv(&o);
	assert_int_equal(o.flags, TH_ACK | TH_ECE);
	/* Our data carries the echo as well. */
	ecn_expect_data(50, IP4_ECN_ECT0);
	assert_true(last_flags & TH_ECE);
	/* CWR from the peer: the echo stops. */
	ecn_send_data(100, TH_CWR, IP4_ECN_ECT0);
	dlg_wait(&D, TCP_DELACK_US);
	ecn_recv(&o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(o.ack, D.snd);
	/* A new CE starts it again. */
	ecn_send_data(100, 0, IP4_ECN_CE);
	ecn_recv(&o);
	assert_int_equal(o.flags, TH_ACK | TH_ECE);
	assert_int_equal(dlg_stats(&D).tcp.rcv_ce, 2);
}

/* Without ECN negotiated, CE and CWR mean nothing. */
static void
test_receiver_not_negotiated(void **state)
{
	struct seg o;

	(void)state;
	ecn_open_passive(-1, 0);
	ecn_send_data(100, 0, IP4_ECN_CE);
	dlg_expect_none(&D);
	dlg_wait(&D, TCP_DELACK_US);
	ecn_recv(&o);
	assert_int_equal(o.flags, TH_ACK);
	assert_int_equal(dlg_stats(&D).tcp.rcv_ce, 0);
}

/*
 * 6.1.2: an ECE reduces cwnd like a loss (CUBIC: ssthresh = 0.7 cwnd),
 * once per window: more ECEs for the same window do nothing, and the
 * first new segment after the reduction carries CWR.  Nothing is resent.
 * An ECE on an ACK past the window of the reduction reduces again.
 */
static void
test_sender_reduces_once_per_window(void **state)
{
	static uint8_t buf[64 * 1024];
	struct seg o[32];
	struct ws_tcp_info ti;
	uint32_t cwnd0, cwnd1, recover, una;
	int n;

	(void)state;
	ecn_open_passive(-1, TH_ECE | TH_CWR);
	assert_int_equal(ws_tcp_send(D.s, buf, sizeof(buf)), sizeof(buf));
	n = dlg_drain(&D, o, 32);
	assert_int_equal(n, TCP_IW_SEGS);
	cwnd0 = ecn_info().snd_cwnd;
	recover = D.rcv + (uint32_t)n * 1460;
	una = D.rcv + 1460;
	/* The first segment acked with ECE: the window comes down. */
	ecn_ack(una, TH_ECE);
	ti = ecn_info();
	assert_int_equal(dlg_stats(&D).tcp.ecn_reductions, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcv_ece, 1);
	assert_true(ti.snd_cwnd < cwnd0);
	assert_int_equal(ti.snd_cwnd, ti.snd_ssthresh);
	assert_int_equal(ti.retransmits, 0);
	cwnd1 = ti.snd_cwnd;
	/* Pipe 9 segments against cwnd 7: nothing goes. */
	dlg_expect_none(&D);
	/* More ECEs for this window: no second reduction. */
	for (int i = 2; i <= 5; i++) {
		una = D.rcv + (uint32_t)i * 1460;
		ecn_ack(una, TH_ECE);
	}
	assert_int_equal(dlg_stats(&D).tcp.ecn_reductions, 1);
	assert_int_equal(dlg_stats(&D).tcp.rcv_ece, 5);
	assert_true(ecn_info().snd_cwnd >= cwnd1);
	/* New data went out: the first with CWR and ECT, the rest ECT. */
	n = 0;
	for (;;) {
		struct seg s;
		struct tos_rx t = { { &s, false }, 0 };

		ws_link_recv(D.lb, D.now, tos_rx_cb, &t, 1);
		if (!t.rx.got)
			break;
		assert_int_equal(t.tos, IP4_ECN_ECT0);
		assert_true(SEQ_GEQ(s.seq, recover));
		assert_int_equal(s.flags & TH_CWR, n == 0 ? TH_CWR : 0);
		n++;
	}
	assert_true(n > 0);
	assert_int_equal(dlg_stats(&D).tcp.snd_cwr, 1);
	/* Up to the reduction point (not past it) still does nothing. */
	ecn_ack(recover, TH_ECE);
	assert_int_equal(dlg_stats(&D).tcp.ecn_reductions, 1);
	/* Past it: a new window, a new reduction. */
	dlg_drain(&D, NULL, 0);
	ecn_ack(recover + 1460, TH_ECE);
	assert_int_equal(dlg_stats(&D).tcp.ecn_reductions, 2);
	assert_int_equal(ecn_info().retransmits, 0);
	assert_int_equal(dlg_stats(&D).tcp.sndrexmitpack, 0);
}

/* 6.1.5: retransmissions are not ECT (here after an RTO). */
static void
test_rexmit_not_ect(void **state)
{
	struct seg o;

	(void)state;
	ecn_open_passive(-1, TH_ECE | TH_CWR);
	ecn_expect_data(100, IP4_ECN_ECT0);
	dlg_at(&D, ws_stack_next_deadline(D.st));
	ecn_recv(&o);
	assert_int_equal(o.len, 100);
	assert_int_equal(o.seq, D.rcv - 100);
	assert_int_equal(last_tos, IP4_ECN_NOTECT);
	assert_int_equal(ecn_info().retransmits, 1);
}

/* 6.1.6: zero-window probes are not ECT. */
static void
test_window_probe_not_ect(void **state)
{
	static uint8_t buf[3000];
	struct seg o;

	(void)state;
	ecn_open_passive(-1, TH_ECE | TH_CWR);
	/* The peer closes its window. */
	{
		struct seg sg = dlg_seg(TH_ACK, D.snd, D.rcv);

		sg.win = 0;
		dlg_send(&D, &sg);
	}
	assert_int_equal(ws_tcp_send(D.s, buf, sizeof(buf)), sizeof(buf));
	dlg_expect_none(&D);
	dlg_at(&D, ws_stack_next_deadline(D.st));
	ecn_recv(&o);
	assert_int_equal(o.len, 1);
	assert_int_equal(last_tos, IP4_ECN_NOTECT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_passive_default_accepts),
		DLG_TEST(test_passive_declines),
		DLG_TEST(test_passive_ece_only_syn),
		DLG_TEST(test_passive_off),
		DLG_TEST(test_active_default_plain),
		DLG_TEST(test_active_on),
		DLG_TEST(test_active_peer_declines),
		DLG_TEST(test_active_reflected),
		DLG_TEST(test_active_syn_fallback),
		DLG_TEST(test_receiver_ece_until_cwr),
		DLG_TEST(test_receiver_not_negotiated),
		DLG_TEST(test_sender_reduces_once_per_window),
		DLG_TEST(test_rexmit_not_ect),
		DLG_TEST(test_window_probe_not_ect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * TCP urgent data (RFC 9293 3.8.5, 3.10.7.4 "sixth, check the URG bit",
 * RFC 6093): the urgent pointer in and out, in-line delivery, the
 * application's view (ws_tcp_urgent(), WS_TCP_URGENT, the callback).
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/* What the callback saw. */
struct urg_cb {
	unsigned calls;
	unsigned urgent_calls;  /* calls with WS_TCP_URGENT set */
	size_t left;            /* ws_tcp_urgent() at the last call */
};

static void
urg_cb_fn(struct ws_tcp *s, unsigned events, void *arg)
{
	struct urg_cb *c = arg;

	c->calls++;
	if (events & WS_TCP_URGENT)
		c->urgent_calls++;
	(void)ws_tcp_urgent(s, &c->left);
}

/* ws_tcp_urgent() as (pending, left). */
static size_t
urg_left(struct ws_tcp *s)
{
	size_t left = 12345;
	int r = ws_tcp_urgent(s, &left);

	assert_true(r == 0 || r == 1);
	assert_int_equal(r, left > 0);
	assert_int_equal((ws_tcp_events(s) & WS_TCP_URGENT) != 0, r);
	return left;
}

/* The peer sends data with URG and the pointer urp. */
static void
send_urg(struct dlg *d, const char *data, uint16_t urp)
{
	struct seg sg = dlg_seg(TH_ACK | TH_URG, d->snd, d->rcv);

	sg.urp = urp;
	sg.data = data;
	sg.len = strlen(data);
	dlg_send(d, &sg);
	d->snd += (uint32_t)sg.len;
}

static void
drain(struct dlg *d)
{
	struct seg o;

	while (dlg_recv(d, &o))
		;
}

/*
 * The pointer points at the first non-urgent octet (MUST-62): "abc!" with
 * SEG.UP 4 makes all four bytes urgent; the application is told at once
 * (MUST-32), learns how much is left (MUST-33), reads the bytes in-line,
 * and urgent mode ends when it has read the last one.
 */
static void
test_urg_in(void **state)
{
	struct urg_cb cb = { 0 };
	char buf[16];

	(void)state;
	dlg_to_established(&D);
	ws_tcp_set_callback(D.s, urg_cb_fn, &cb);
	assert_int_equal(urg_left(D.s), 0);
	send_urg(&D, "abc!", 4);
	assert_true(cb.urgent_calls >= 1);
	assert_int_equal(cb.left, 4);
	assert_int_equal(urg_left(D.s), 4);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 1);
	assert_int_equal(ws_tcp_recv(D.s, buf, 3), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(urg_left(D.s), 1); /* BSD's mark: the '!' */
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '!');
	assert_int_equal(urg_left(D.s), 0);
	/* A plain segment afterwards is plain. */
	dlg_send_data(&D, "x", 1, 0);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 1);
}

/*
 * A pointer past the data of its segment (urgent data of any length,
 * MUST-31): the count includes bytes not yet arrived, and urgent mode
 * lasts until they have been read.
 */
static void
test_urg_beyond_data(void **state)
{
	char buf[16];

	(void)state;
	dlg_to_established(&D);
	send_urg(&D, "ab", 10);
	assert_int_equal(ws_tcp_recvavail(D.s), 2);
	assert_int_equal(urg_left(D.s), 10);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 2);
	assert_int_equal(urg_left(D.s), 8);
	/* The rest arrives without URG (the pointer was already known). */
	dlg_send_data(&D, "cdefghijkl", 10, 0);
	assert_int_equal(urg_left(D.s), 8);
	assert_int_equal(ws_tcp_recv(D.s, buf, 7), 7);
	assert_int_equal(urg_left(D.s), 1);
	assert_int_equal(ws_tcp_recv(D.s, buf, 1), 1);
	assert_int_equal(buf[0], 'j'); /* the last urgent byte */
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 2);
}

/*
 * SEG.UP = 0 points at SEG.SEQ: the urgent data ended before this
 * segment.  With nothing unread that is nothing; with unread bytes before
 * the segment, those are the urgent data.
 */
static void
test_urg_pointer_zero(void **state)
{
	char buf[16];

	(void)state;
	dlg_to_established(&D);
	send_urg(&D, "abc", 0);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3);
	dlg_send_data(&D, "def", 3, 0);
	send_urg(&D, "g", 0);
	assert_int_equal(urg_left(D.s), 3); /* "def" */
	assert_int_equal(ws_tcp_recv(D.s, buf, 3), 3);
	assert_memory_equal(buf, "def", 3);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 1);
}

/*
 * The largest pointer (65535) on a short segment: accepted as a mark far
 * ahead; a FIN then ends the stream before it, so the mark ends with the
 * data and reading to the end clears it.
 */
static void
test_urg_huge_pointer(void **state)
{
	char buf[16];

	(void)state;
	dlg_to_established(&D);
	send_urg(&D, "urg", 65535);
	assert_int_equal(urg_left(D.s), 65535);
	dlg_send_data(&D, NULL, 0, TH_FIN);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
	assert_int_equal(urg_left(D.s), 3);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "urg", 3);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 0);
}

/* URG on a segment without data: the pointer comes ahead of the bytes. */
static void
test_urg_no_data(void **state)
{
	struct urg_cb cb = { 0 };
	struct seg sg;
	char buf[16];

	(void)state;
	dlg_to_established(&D);
	ws_tcp_set_callback(D.s, urg_cb_fn, &cb);
	sg = dlg_seg(TH_ACK | TH_URG, D.snd, D.rcv);
	sg.urp = 5;
	dlg_send(&D, &sg);
	assert_int_equal(cb.urgent_calls, 1);
	assert_int_equal(cb.left, 5);
	assert_int_equal(urg_left(D.s), 5);
	assert_int_equal(ws_tcp_recvavail(D.s), 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), WS_EAGAIN);
	dlg_send_data(&D, "12345", 5, 0);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 5);
	assert_int_equal(urg_left(D.s), 0);
}

/*
 * RCV.UP only moves forward: an older pointer (as on a retransmission)
 * changes nothing and is not signalled again; a newer one is signalled
 * again (MUST-32: "whenever the urgent pointer advances").  After the
 * application has read past the mark, an old pointer is stale.
 */
static void
test_urg_forward_only(void **state)
{
	struct urg_cb cb = { 0 };
	struct seg sg;
	unsigned calls;
	char buf[32];

	(void)state;
	dlg_to_established(&D);
	ws_tcp_set_callback(D.s, urg_cb_fn, &cb);
	send_urg(&D, "0123456789", 10);
	assert_int_equal(urg_left(D.s), 10);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 1);
	/* The same bytes again with a smaller, then the same pointer. */
	calls = cb.calls;
	sg = dlg_seg(TH_ACK | TH_URG, D.snd - 10, D.rcv);
	sg.data = "0123456789";
	sg.len = 10;
	sg.urp = 4;
	dlg_send(&D, &sg);
	sg.urp = 10;
	dlg_send(&D, &sg);
	assert_int_equal(urg_left(D.s), 10);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 1);
	assert_int_equal(cb.calls, calls);
	/* A pointer advancing before the first mark was read. */
	send_urg(&D, "ab", 2);
	assert_int_equal(urg_left(D.s), 12);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 2);
	assert_true(cb.calls > calls);
	assert_int_equal(cb.left, 12);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 12);
	assert_int_equal(urg_left(D.s), 0);
	/* A stale pointer (into what was read) once urgent mode is over. */
	sg = dlg_seg(TH_ACK | TH_URG, D.snd - 2, D.rcv);
	sg.data = "ab";
	sg.len = 2;
	sg.urp = 2;
	dlg_send(&D, &sg);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 2);
}

/*
 * Only acceptable segments move RCV.UP: URG on a segment outside the
 * window, or entirely old, is ignored with the segment.
 */
static void
test_urg_unacceptable(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_established(&D);
	sg = dlg_seg(TH_ACK | TH_URG, D.snd + 1000000, D.rcv);
	sg.data = "far";
	sg.len = 3;
	sg.urp = 3;
	dlg_send(&D, &sg);
	assert_int_equal(urg_left(D.s), 0);
	dlg_send_data(&D, "abc", 3, 0);
	sg = dlg_seg(TH_ACK | TH_URG, D.snd - 3, D.rcv);
	sg.data = "abc";
	sg.len = 3;
	sg.urp = 60000; /* an old duplicate */
	dlg_send(&D, &sg);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 0);
}

/* "CLOSE-WAIT ... This should not occur ... Ignore the URG." */
static void
test_urg_close_wait(void **state)
{
	struct seg sg;

	(void)state;
	dlg_to_established(&D);
	dlg_send_data(&D, NULL, 0, TH_FIN);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSE_WAIT);
	sg = dlg_seg(TH_ACK | TH_URG, D.snd, D.rcv);
	sg.urp = 5;
	dlg_send(&D, &sg);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 0);
}

/* SYN-SENT: URG on the SYN,ACK goes on "at the sixth step". */
static void
test_urg_synsent(void **state)
{
	struct seg sg;
	char buf[16];

	(void)state;
	dlg_to_synsent(&D, NULL);
	sg = dlg_seg(TH_SYN | TH_ACK | TH_URG, DLG_PEER_ISS, D.rcv);
	sg.opts.present = TOF_MSS;
	sg.opts.mss = 1460;
	sg.data = "hi!";
	sg.len = 3;
	sg.urp = 4; /* from SEG.SEQ, the SYN: past "hi!" */
	dlg_send(&D, &sg);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(urg_left(D.s), 3);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 3);
	assert_int_equal(urg_left(D.s), 0);
}

static void
rcvbuf_4k(struct ws_stack_config *cfg)
{
	cfg->tcp_rcvbuf = 4096;
}

/*
 * MUST-66: URG is processed even with a zero receive window: a probe at
 * RCV.NXT that cannot be taken still delivers its pointer.
 */
static void
test_urg_zero_window(void **state)
{
	static uint8_t fill[4096];
	struct seg sg, o;

	(void)state;
	dlg_to_established(&D);
	for (size_t off = 0; off < sizeof(fill); off += 1024)
		dlg_send_data(&D, fill + off, 1024, 0);
	dlg_wait(&D, 200 * DLG_MS);
	drain(&D);
	assert_int_equal(ws_tcp_recvavail(D.s), 4096);
	sg = dlg_seg(TH_ACK | TH_URG, D.snd, D.rcv);
	sg.data = "!";
	sg.len = 1;
	sg.urp = 1;
	dlg_send(&D, &sg);
	/* The byte is refused (the ACK repeats RCV.NXT, window 0)... */
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 0, &o);
	assert_int_equal(o.win, 0);
	assert_int_equal(ws_tcp_recvavail(D.s), 4096);
	/* ...but the pointer is taken: 4096 unread bytes, then the '!'. */
	assert_int_equal(urg_left(D.s), 4097);
	assert_int_equal(dlg_stats(&D).tcp.rcvurg, 1);
}

/* Wait (up to 10 s of virtual time) for the stack to send a segment. */
static bool
wait_seg(struct seg *o)
{
	for (int i = 0; i < 1000; i++) {
		dlg_wait(&D, 10 * DLG_MS);
		if (dlg_recv(&D, o))
			return true;
	}
	return false;
}

/* Segments the stack sends, with their URG flag and pointer. */
static void
expect_urg(uint8_t flags, uint32_t seq, size_t len, uint16_t urp)
{
	struct seg o;

	dlg_expect(&D, flags, seq, D.snd, len, &o);
	assert_int_equal(o.urp, (flags & TH_URG) ? urp : 0);
}

/* One urgent write: URG with the pointer past its last byte (MUST-62). */
static void
test_urg_out(void **state)
{
	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_send_urgent(D.s, "abc!", 4), 4);
	expect_urg(TH_ACK | TH_URG | TH_PUSH, D.rcv, 4, 4);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.sndurg, 1);
	assert_int_equal(ws_tcp_send_urgent(D.s, "", 0), WS_EINVAL);
}

/*
 * Urgent data over several segments: each carries the pointer relative
 * to its own sequence number; retransmissions carry it too, until SND.UP
 * is acknowledged; then urgent mode is over.
 */
static void
test_urg_out_segments(void **state)
{
	static uint8_t data[3000];
	struct seg sg, o;
	uint32_t s0;

	(void)state;
	dlg_to_established(&D);
	s0 = D.rcv;
	dlg_pattern(data, sizeof(data), 3, 1);
	assert_int_equal(ws_tcp_send_urgent(D.s, data, sizeof(data)), 3000);
	expect_urg(TH_ACK | TH_URG, s0, 1460, 3000);
	expect_urg(TH_ACK | TH_URG, s0 + 1460, 1460, 1540);
	expect_urg(TH_ACK | TH_URG | TH_PUSH, s0 + 2920, 80, 80);
	dlg_expect_none(&D);
	/* Retransmissions (RTO) carry the pointer to the same end. */
	assert_true(wait_seg(&o));
	assert_true(SEQ_LT(o.seq, s0 + 3000) && o.len > 0);
	assert_true(o.flags & TH_URG);
	assert_int_equal(o.urp, s0 + 3000 - o.seq);
	/* Part acknowledged: what is resent next still points at the end. */
	sg = dlg_seg(TH_ACK, D.snd, s0 + 1460);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.seq, s0 + 1460);
	assert_true(o.flags & TH_URG);
	assert_int_equal(o.urp, 1540);
	sg = dlg_seg(TH_ACK, D.snd, s0 + 3000);
	dlg_send(&D, &sg);
	drain(&D);
	/* All acknowledged: plain data is plain again. */
	assert_int_equal(ws_tcp_send(D.s, "z", 1), 1);
	expect_urg(TH_ACK | TH_PUSH, s0 + 3000, 1, 0);
}

/* Urgent data is not held back by Nagle (RFC 1122 4.2.3.4). */
static void
test_urg_out_nagle(void **state)
{
	static const uint8_t big[1470];

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_send(D.s, "a", 1), 1);
	expect_urg(TH_ACK | TH_PUSH, D.rcv, 1, 0);
	assert_int_equal(ws_tcp_send(D.s, "b", 1), 1);
	dlg_expect_none(&D); /* Nagle: "a" is unacknowledged */
	assert_int_equal(ws_tcp_send_urgent(D.s, "c", 1), 1);
	expect_urg(TH_ACK | TH_URG | TH_PUSH, D.rcv + 1, 2, 2);
	dlg_expect_none(&D);
	/* The short tail of a longer urgent write is not held either. */
	assert_int_equal(ws_tcp_send_urgent(D.s, big, sizeof(big)),
	    (ssize_t)sizeof(big));
	expect_urg(TH_ACK | TH_URG, D.rcv + 3, 1460, 1470);
	expect_urg(TH_ACK | TH_URG | TH_PUSH, D.rcv + 1463, 10, 10);
	dlg_expect_none(&D);
}

/*
 * Against a closed window the pointer still goes at once (on an ACK),
 * then on the persist probes; the data follows when the window opens.
 */
static void
test_urg_out_zero_window(void **state)
{
	struct seg sg, o;

	(void)state;
	dlg_to_established(&D);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv);
	sg.win = 0; /* the peer's window closes */
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(urg_left(D.s), 0);
	assert_int_equal(ws_tcp_send_urgent(D.s, "xy", 2), 2);
	expect_urg(TH_ACK | TH_URG, D.rcv, 0, 2);
	dlg_expect_none(&D);
	/* A persist probe: one byte, with the pointer. */
	assert_true(wait_seg(&o));
	assert_int_equal(o.seq, D.rcv);
	assert_int_equal(o.len, 1);
	assert_true(o.flags & TH_URG);
	assert_int_equal(o.urp, 2);
	/* The window opens: the rest goes, still urgent. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1);
	dlg_send(&D, &sg);
	expect_urg(TH_ACK | TH_URG | TH_PUSH, D.rcv + 1, 1, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_urg_in),
		DLG_TEST(test_urg_beyond_data),
		DLG_TEST(test_urg_pointer_zero),
		DLG_TEST(test_urg_huge_pointer),
		DLG_TEST(test_urg_no_data),
		DLG_TEST(test_urg_forward_only),
		DLG_TEST(test_urg_unacceptable),
		DLG_TEST(test_urg_close_wait),
		DLG_TEST(test_urg_synsent),
		DLG_TEST_TUNED(test_urg_zero_window, rcvbuf_4k),
		DLG_TEST(test_urg_out),
		DLG_TEST(test_urg_out_segments),
		DLG_TEST(test_urg_out_nagle),
		DLG_TEST(test_urg_out_zero_window),
	};

	return cmocka_run_group_tests_name("tcp_urgent", tests, NULL, NULL);
}

/*
 * Per-connection options and error reports in virtual time: the user
 * timeout (RFC 9293 MUST-21, RFC 5482), R1 and soft errors (MUST-20,
 * MUST-47, SHLD-9/10/20/25, RFC 1122 4.2.3.5 and 4.2.3.9), and the TOS
 * byte and TTL of every segment a connection sends (MUST-48, MUST-49,
 * SHLD-21/22), read from the IP header of the frames on the mem link.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

/* One frame the stack sent, with its IP header fields. */
struct ipseg {
	uint8_t tos, ttl;
	uint8_t flags;
	uint32_t seq;
	size_t len;             /* TCP payload bytes */
	bool got;
};

static void
ipseg_cb(void *arg, const uint8_t *frame, size_t len)
{
	struct ipseg *o = arg;
	size_t ihl, off;

	assert_true(len >= 40);
	ihl = (size_t)(frame[0] & 0x0f) * 4;
	assert_int_equal(frame[9], 6);
	assert_int_equal(cksum(frame, ihl), 0); /* header checksum holds */
	off = (size_t)(frame[ihl + 12] >> 4) * 4;
	o->tos = frame[1];
	o->ttl = frame[8];
	o->flags = frame[ihl + 13];
	o->seq = be32_load(frame + ihl + 4);
	o->len = len - ihl - off;
	o->got = true;
}

/* The next frame the stack sent; it must exist. */
static struct ipseg
ip_recv(void)
{
	struct ipseg o = { 0 };

	ws_link_recv(D.lb, D.now, ipseg_cb, &o, 1);
	assert_true(o.got);
	return o;
}

static void
expect_ip(const struct ipseg *o, uint8_t flags, uint8_t tos, uint8_t ttl)
{
	if (o->flags != flags || o->tos != tos || o->ttl != ttl)
		fprintf(stderr, "# got fl=%#x tos=%#x ttl=%u, want fl=%#x "
		    "tos=%#x ttl=%u\n", o->flags, o->tos, o->ttl, flags, tos,
		    ttl);
	assert_int_equal(o->flags, flags);
	assert_int_equal(o->tos, tos);
	assert_int_equal(o->ttl, ttl);
}

/* Soft-error callbacks seen (events with WS_TCP_SOFTERR). */
static int softcb;

static void
count_cb(struct ws_tcp *s, unsigned ev, void *arg)
{
	(void)s;
	(void)arg;
	if (ev & WS_TCP_SOFTERR)
		softcb++;
}

/* An ICMP error quoting our segment with sequence number seq. */
static void
icmp_to(uint8_t type, uint8_t code, uint16_t mtu, uint32_t seq)
{
	struct ip4_info inner = { .src = DLG_LOCAL, .dst = DLG_PEER,
	    .proto = IPPROTO_TCP_ };
	uint8_t th[8];

	be16_store(th, DLG_LPORT);
	be16_store(th + 2, DLG_PPORT);
	be32_store(th + 4, seq);
	D.st->in_call = true;
	tcp_ctlinput(D.st, type, code, mtu, &inner, th, sizeof(th));
	D.st->in_call = false;
}

/* Established (accepted), callbacks counted, "data" sent and in flight. */
static void
established_in_flight(void)
{
	dlg_to_established(&D);
	softcb = 0;
	ws_tcp_set_callback(D.s, count_cb, NULL);
	assert_int_equal(ws_tcp_send(D.s, "data", 4), 4);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv, D.snd, 4, NULL);
}

/*
 * Advance to the next timer deadline; returns true if the stack sent a
 * retransmission of the segment at seq then (other frames are skipped).
 */
static bool
next_rexmt(uint32_t seq)
{
	struct seg o;
	bool got = false;

	dlg_at(&D, ws_stack_next_deadline(D.st));
	while (dlg_recv(&D, &o))
		if (o.seq == seq && o.len > 0)
			got = true;
	return got;
}

/*
 * MUST-21: with a user timeout of 200 s, data outlives the default R2
 * (120 s, TCP_MAXRXTSHIFT) and the connection is aborted exactly 200 s
 * after the data was sent, not a microsecond before.  A soft error noted
 * on the way does not replace WS_ETIMEDOUT; it stays readable.
 */
static void
test_user_timeout_data(void **state)
{
	ws_time_t t0;
	int rexmits = 0;

	(void)state;
	established_in_flight();
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_USER_TIMEOUT, 200000), 0);
	t0 = D.now;
	while (ws_stack_next_deadline(D.st) < t0 + 200 * DLG_US) {
		assert_true(next_rexmt(D.rcv));
		rexmits++;
		if (rexmits == 4)
			icmp_to(3, 1, 0, D.rcv);
	}
	assert_true(rexmits > 9); /* more than 120 s of them */
	assert_int_equal(ws_stack_next_deadline(D.st), t0 + 200 * DLG_US);
	dlg_at(&D, t0 + 200 * DLG_US - 1);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	dlg_at(&D, t0 + 200 * DLG_US);
	dlg_expect(&D, TH_RST | TH_ACK, D.rcv + 4, D.snd, 0, NULL);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
	assert_int_equal(ws_tcp_soft_error(D.s), WS_EHOSTUNREACH);
}

/* A short user timeout counts from the last ACK that made progress. */
static void
test_user_timeout_progress(void **state)
{
	uint8_t buf[2000];
	struct seg sg;
	ws_time_t t1;

	(void)state;
	dlg_to_established(&D);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_USER_TIMEOUT, 3000), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_NODELAY, 1), 0);
	dlg_pattern(buf, sizeof(buf), 1, 0);
	assert_int_equal(ws_tcp_send(D.s, buf, sizeof(buf)), sizeof(buf));
	dlg_expect(&D, TH_ACK, D.rcv, D.snd, 1460, NULL);
	dlg_expect(&D, TH_ACK | TH_PUSH, D.rcv + 1460, D.snd, 540, NULL);
	/* The first segment is acknowledged 2 s later. */
	dlg_at(&D, D.now + 2 * DLG_US);
	dlg_drain(&D, NULL, 0);
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 1460);
	dlg_send(&D, &sg);
	t1 = D.now;
	while (ws_stack_next_deadline(D.st) < t1 + 3 * DLG_US)
		assert_true(next_rexmt(D.rcv + 1460));
	dlg_at(&D, t1 + 3 * DLG_US - 1);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	dlg_at(&D, t1 + 3 * DLG_US);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
}

/* Active open with options set first; the SYN is read. */
static void
open_synsent(int uto_ms)
{
	struct seg o;

	assert_int_equal(ws_tcp_open(D.st, &D.s), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_USER_TIMEOUT, uto_ms), 0);
	assert_int_equal(ws_tcp_bind(D.s, DLG_LPORT), 0);
	assert_int_equal(ws_tcp_connect(D.s, DLG_PEER, DLG_PPORT),
	    WS_EINPROGRESS);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN);
	D.iss = o.seq;
}

/*
 * MUST-21 with MUST-22: the user timeout bounds the SYN retries too.
 * 10 s: SYNs at 0, 1, 3, 7 s, the connect fails at 10 s (not at the 15 s
 * retry).  250 s: the SYNs go on past the 7 retries (183 s) of the
 * default, until the connect fails at 250 s.
 */
static void
test_user_timeout_synsent(void **state)
{
	ws_time_t t0;
	int n = 0;

	(void)state;
	open_synsent(10000);
	t0 = D.now;
	for (uint64_t at = 1; at <= 7; at = at * 2 + 1) {
		assert_int_equal(ws_stack_next_deadline(D.st), t0 + at * DLG_US);
		dlg_at(&D, t0 + at * DLG_US);
		dlg_expect(&D, TH_SYN, D.iss, 0, 0, NULL);
	}
	assert_int_equal(ws_stack_next_deadline(D.st), t0 + 10 * DLG_US);
	dlg_at(&D, t0 + 10 * DLG_US - 1);
	assert_int_equal(dlg_state(D.s), WS_TCPS_SYN_SENT);
	dlg_at(&D, t0 + 10 * DLG_US);
	dlg_expect_none(&D);
	assert_int_equal(dlg_state(D.s), WS_TCPS_CLOSED);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
	ws_tcp_abort(D.s);

	open_synsent(250000);
	t0 = D.now;
	while (dlg_state(D.s) == WS_TCPS_SYN_SENT) {
		struct seg o;

		dlg_at(&D, ws_stack_next_deadline(D.st));
		if (dlg_recv(&D, &o)) {
			assert_int_equal(o.flags, TH_SYN);
			n++;
		}
	}
	/* Retransmissions at 1, 3, 7, 15, 31, 63, 123, 183 and 243 s. */
	assert_int_equal(n, 9);
	assert_int_equal(D.now - t0, 250 * DLG_US);
	assert_int_equal(ws_tcp_error(D.s), WS_ETIMEDOUT);
}

/*
 * MUST-20 R1, SHLD-9, SHLD-10: the third retransmission of a segment
 * (R1 = 3) notes a soft error WS_ETIMEDOUT with WS_TCP_SOFTERR and a
 * callback; reading it clears it; the connection goes on.
 */
static void
test_r1_soft_error(void **state)
{
	struct seg sg;

	(void)state;
	established_in_flight();
	for (int i = 1; i <= 2; i++) {
		assert_true(next_rexmt(D.rcv));
		assert_int_equal(ws_tcp_events(D.s) & WS_TCP_SOFTERR, 0);
		assert_int_equal(softcb, 0);
	}
	assert_true(next_rexmt(D.rcv));
	assert_int_equal(softcb, 1);
	assert_true(ws_tcp_events(D.s) & WS_TCP_SOFTERR);
	assert_int_equal(ws_tcp_error(D.s), 0); /* not a fatal error */
	assert_int_equal(ws_tcp_soft_error(D.s), WS_ETIMEDOUT);
	assert_int_equal(ws_tcp_soft_error(D.s), 0);
	assert_int_equal(ws_tcp_events(D.s) & WS_TCP_SOFTERR, 0);
	/* Only at R1, not at every retransmission after it. */
	assert_true(next_rexmt(D.rcv));
	assert_int_equal(ws_tcp_soft_error(D.s), 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	/* The ACK ends the episode; the connection is fine. */
	sg = dlg_seg(TH_ACK, D.snd, D.rcv + 4);
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_info(D.s, &(struct ws_tcp_info){ 0 }), 0);
	assert_int_equal(ws_stack_next_deadline(D.st), WS_TIME_NEVER);
}

/*
 * MUST-47, MUST-56, SHLD-25: on an established connection Destination
 * Unreachable codes 0, 1, 5 (and Time Exceeded) are soft errors, the
 * last one kept; fragmentation needed is path MTU discovery, not an
 * error; a quote outside the window is ignored.
 */
static void
test_icmp_soft_established(void **state)
{
	(void)state;
	established_in_flight();
	icmp_to(3, 1, 0, D.rcv + 100); /* not a sequence number we sent */
	assert_int_equal(ws_tcp_soft_error(D.s), 0);
	icmp_to(3, 0, 0, D.rcv);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(softcb, 1);
	assert_int_equal(ws_tcp_soft_error(D.s), WS_ENETUNREACH);
	icmp_to(3, 0, 0, D.rcv);
	icmp_to(3, 1, 0, D.rcv); /* the last one counts */
	assert_int_equal(ws_tcp_soft_error(D.s), WS_EHOSTUNREACH);
	icmp_to(3, 5, 0, D.rcv);
	assert_int_equal(ws_tcp_soft_error(D.s), WS_EHOSTUNREACH);
	icmp_to(11, 0, 0, D.rcv);
	assert_int_equal(ws_tcp_soft_error(D.s), WS_EHOSTUNREACH);
	icmp_to(3, 4, 1400, D.rcv);
	assert_int_equal(ws_tcp_soft_error(D.s), 0);
	assert_int_equal(ws_tcp_error(D.s), 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
	assert_int_equal(ws_tcp_send(D.s, "more", 4), 4);
}

static void
softerrors_off(struct ws_tcp *l)
{
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_SOFTERRORS, 0), 0);
}

/*
 * SHLD-20: WS_TCP_SOFTERRORS 0 (here inherited from the listener) turns
 * the reports off: neither ICMP nor R1 notes anything; turning them off
 * forgets a pending one; on again, they are noted.
 */
static void
test_soft_errors_off(void **state)
{
	(void)state;
	dlg_to_established_sack(&D, false, 0, softerrors_off);
	assert_int_equal(ws_tcp_send(D.s, "data", 4), 4);
	dlg_drain(&D, NULL, 0);
	icmp_to(3, 1, 0, D.rcv);
	for (int i = 0; i < 3; i++)
		next_rexmt(D.rcv);
	assert_int_equal(ws_tcp_events(D.s) & WS_TCP_SOFTERR, 0);
	assert_int_equal(ws_tcp_soft_error(D.s), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_SOFTERRORS, 1), 0);
	icmp_to(3, 1, 0, D.rcv);
	assert_true(ws_tcp_events(D.s) & WS_TCP_SOFTERR);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_SOFTERRORS, 0), 0);
	assert_int_equal(ws_tcp_soft_error(D.s), 0);
}

static void
tos_ttl_listener(struct ws_tcp *l)
{
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_TOS, 0x10), 0);
	assert_int_equal(ws_tcp_setopt(l, WS_TCP_TTL, 33), 0);
}

/*
 * MUST-48, MUST-49, SHLD-21, SHLD-22: a listener's TOS and TTL go to the
 * connections it makes (SYN,ACK, data, ACKs); changed
 * during the connection, the next segments carry the new values, the
 * RST of an abort too.  The ECN bits are never set.
 */
static void
test_tos_ttl_passive(void **state)
{
	struct seg sg;
	struct ipseg o;
	uint8_t data[10];

	(void)state;
	dlg_to_established_sack(&D, false, 0, tos_ttl_listener);

	/* Data and a delayed ACK. */
	assert_int_equal(ws_tcp_send(D.s, "abc", 3), 3);
	o = ip_recv();
	expect_ip(&o, TH_ACK | TH_PUSH, 0x10, 33);
	assert_int_equal(o.len, 3);
	D.rcv += 3; /* the peer's data acknowledges it */
	dlg_pattern(data, sizeof(data), 3, 1);
	dlg_send_data(&D, data, sizeof(data), 0);
	dlg_wait(&D, TCP_DELACK_US);
	o = ip_recv();
	expect_ip(&o, TH_ACK, 0x10, 33);
	assert_int_equal(o.len, 0);

	/* Changed mid-connection (SHLD-21); 0xbb: the ECN bits drop. */
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TOS, 0xbb), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TTL, 7), 0);
	assert_int_equal(ws_tcp_send(D.s, "de", 2), 2);
	o = ip_recv();
	expect_ip(&o, TH_ACK | TH_PUSH, 0xb8, 7);
	/* The listener keeps its own: the next SYN,ACK has them. */
	sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	o = ip_recv();
	expect_ip(&o, TH_SYN | TH_ACK, 0x10, 33);

	ws_tcp_abort(D.s);
	o = ip_recv();
	expect_ip(&o, TH_RST | TH_ACK, 0xb8, 7);
}

/*
 * The defaults (TOS 0, TTL 64), options set before connect, and a
 * change in SYN-SENT that the retransmitted SYN and the RST answering a
 * bad ACK carry; TTL 0 returns
 * to the default.  Out-of-range values are refused.
 */
static void
test_tos_ttl_active(void **state)
{
	struct ipseg o;
	struct seg sg;

	(void)state;
	assert_int_equal(ws_tcp_open(D.st, &D.s), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TOS, 256), WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TTL, 256), WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TTL, -1), WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_USER_TIMEOUT, -1),
	    WS_EINVAL);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_USER_TIMEOUT,
	    TCP_UTO_MAX_MS + 1), WS_EINVAL);
	assert_int_equal(ws_tcp_bind(D.s, DLG_LPORT), 0);
	assert_int_equal(ws_tcp_connect(D.s, DLG_PEER, DLG_PPORT),
	    WS_EINPROGRESS);
	o = ip_recv();
	expect_ip(&o, TH_SYN, 0, 64);
	D.iss = o.seq;
	D.rcv = o.seq + 1;
	D.snd = DLG_PEER_ISS + 1;
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TOS, 0x28), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TTL, 200), 0);
	dlg_at(&D, ws_stack_next_deadline(D.st));
	o = ip_recv();
	expect_ip(&o, TH_SYN, 0x28, 200);
	/* A bad ACK: the connection's RST <SEQ=SEG.ACK> carries them. */
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS, D.iss + 100);
	dlg_send(&D, &sg);
	o = ip_recv();
	expect_ip(&o, TH_RST, 0x28, 200);
	assert_int_equal(o.seq, D.iss + 100);
	sg = dlg_seg(TH_SYN | TH_ACK, DLG_PEER_ISS, D.rcv);
	dlg_send(&D, &sg);
	o = ip_recv();
	expect_ip(&o, TH_ACK, 0x28, 200);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TTL, 0), 0);
	assert_int_equal(ws_tcp_setopt(D.s, WS_TCP_TOS, 0), 0);
	assert_int_equal(ws_tcp_send(D.s, "x", 1), 1);
	o = ip_recv();
	expect_ip(&o, TH_ACK | TH_PUSH, 0, 64);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DLG_TEST(test_user_timeout_data),
		DLG_TEST(test_user_timeout_progress),
		DLG_TEST(test_user_timeout_synsent),
		DLG_TEST(test_r1_soft_error),
		DLG_TEST(test_icmp_soft_established),
		DLG_TEST(test_soft_errors_off),
		DLG_TEST(test_tos_ttl_passive),
		DLG_TEST(test_tos_ttl_active),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

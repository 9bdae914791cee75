/*
 * SYN cookies (RFC 4987 3.6): the cookie functions on their own, then
 * dialogues with a listener whose half-open queue (tcp_syn_backlog) is
 * full, so it answers SYNs with cookies.
 */
#include "config.h"

#include "tests/unit/tcp_dialog.h"

static const uint8_t KEY[TCP_ISS_KEYLEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

#define LA 0xc6120001u
#define FA 0xc6120002u
#define T0 (1000 * WS_USEC_PER_SEC)
#define PERIOD TCP_SYNCOOKIE_PERIOD_US

static void
tune_cookies(struct ws_stack_config *cfg)
{
	cfg->tcp_syn_backlog = 1;
}

static void
tune_nocookies(struct ws_stack_config *cfg)
{
	cfg->tcp_syn_backlog = 1;
	cfg->tcp_no_syncookies = true;
}

/* ---- The cookie functions ---- */

static uint32_t
optbits_of(bool ts, uint32_t tsval)
{
	return ts ? 0x80u | (tsval & TCP_SC_TSMASK) : 0;
}

/* Every MSS index x every option combination comes back. */
static void
test_roundtrip(void **state)
{
	(void)state;
	for (uint32_t idx = 0; idx < TCP_SC_NMSS; idx++) {
		for (int ts = 0; ts < 2; ts++) {
			for (int ws = -1; ws <= TCP_MAX_WSCALE; ws++) {
				for (int sack = 0; sack < 2; sack++) {
					uint32_t tsv = ts ? tcp_sc_tsval(
					    123456789u + (uint32_t)ws,
					    tcp_sc_tsbits(ws, sack)) : 0;
					uint32_t ob = optbits_of(ts, tsv);
					uint32_t c = tcp_syncookie_make(KEY,
					    LA, 80, FA, 40000, 777, T0, idx,
					    ob);

					assert_int_equal(c & 7, idx);
					assert_int_equal(tcp_syncookie_check(
					    KEY, LA, 80, FA, 40000, 777,
					    T0 + 1000, c, ob), (int)idx);
					if (!ts)
						continue;
					/* The bits decode to what went in. */
					assert_int_equal(tsv & 0xf, ws < 0 ?
					    TCP_SC_WS_NONE : (uint32_t)ws);
					assert_int_equal((tsv & TCP_SC_SACK) != 0,
					    sack);
					assert_int_equal(tsv & TCP_SC_ECN, 0);
				}
			}
		}
	}
}

/* Valid in its slot and the next one, not after, not before. */
static void
test_expiry(void **state)
{
	uint64_t base = 100 * PERIOD; /* the start of a slot */
	uint32_t c;

	(void)state;
	c = tcp_syncookie_make(KEY, LA, 80, FA, 40000, 5, base + PERIOD - 1,
	    3, 0);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 5,
	    base + PERIOD - 1, c, 0), 3);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 5,
	    base + PERIOD, c, 0), 3);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 5,
	    base + 2 * PERIOD - 1, c, 0), 3);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 5,
	    base + 2 * PERIOD, c, 0), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 5,
	    base + 10 * PERIOD, c, 0), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 5,
	    base - 1, c, 0), -1);
}

/* Any change to the cookie or to what it covers is refused. */
static void
test_forged(void **state)
{
	uint32_t ob = optbits_of(true, tcp_sc_tsval(99999, tcp_sc_tsbits(7,
	    true)));
	uint32_t c = tcp_syncookie_make(KEY, LA, 80, FA, 40000, 777, T0, 5, ob);
	uint8_t key2[TCP_ISS_KEYLEN];

	(void)state;
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 777, T0,
	    c, ob), 5);
	for (int bit = 0; bit < 32; bit++)
		assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000,
		    777, T0, c ^ (1u << bit), ob), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA + 1, 80, FA, 40000, 777,
	    T0, c, ob), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 81, FA, 40000, 777, T0,
	    c, ob), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA + 1, 40000, 777,
	    T0, c, ob), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40001, 777, T0,
	    c, ob), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 778, T0,
	    c, ob), -1);
	/* The option bits echoed in TSecr are covered too. */
	for (int bit = 0; bit < 6; bit++)
		assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000,
		    777, T0, c, ob ^ (1u << bit)), -1);
	assert_int_equal(tcp_syncookie_check(KEY, LA, 80, FA, 40000, 777, T0,
	    c, 0), -1);
	memcpy(key2, KEY, sizeof(key2));
	key2[0] ^= 1;
	assert_int_equal(tcp_syncookie_check(key2, LA, 80, FA, 40000, 777, T0,
	    c, ob), -1);
}

/* The MSS table rounds down; the TSval never runs ahead of the clock. */
static void
test_mss_and_tsval(void **state)
{
	(void)state;
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(0)], 64);
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(535)], 256);
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(536)], 536);
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(1459)], 1440);
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(1460)], 1460);
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(9000)], 8960);
	assert_int_equal(tcp_sc_msstab[tcp_sc_mssidx(65535)], 8960);
	for (uint32_t now = 0; now < 300; now++) {
		for (uint32_t bits = 0; bits < 64; bits++) {
			uint32_t ts = tcp_sc_tsval(now + 0xffffff00u, bits);

			assert_int_equal(ts & TCP_SC_TSMASK, bits);
			assert_true((int32_t)(now + 0xffffff00u - ts) >= 0);
			assert_true(now + 0xffffff00u - ts < 128);
		}
	}
}

/* ---- Dialogues ---- */

/* Fill the half-open queue (1) with a SYN from another port. */
static void
fill_synq(void)
{
	struct seg sg = dlg_seg(TH_SYN, 5, 0), o;

	dlg_listen(&D, 8);
	sg.sport = DLG_PPORT + 100;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(D.st->tcp->nconns, 2);
}

/* SYN with every option: a cookie SYN,ACK, no state; the ACK makes an
 * ESTABLISHED connection with the MSS, scale, SACK and timestamps. */
static void
test_cookie_full_options(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;
	struct ws_tcp_info ti;
	char buf[16];

	(void)state;
	fill_synq();
	dlg_syn_opts(&sg.opts, 1460, 7, 4000);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.ack, DLG_PEER_ISS + 1);
	assert_int_equal(o.opts.present,
	    TOF_MSS | TOF_WSCALE | TOF_SACKPERM | TOF_TS);
	assert_int_equal(o.opts.mss, 1460);
	assert_int_equal(o.opts.wscale, 3);
	assert_int_equal(o.opts.tsecr, 4000);
	assert_int_equal(o.opts.tsval & TCP_SC_TSMASK, 7 | TCP_SC_SACK);
	assert_int_equal(o.seq & 7, 5); /* 1460 */
	assert_int_equal(o.win, 65535);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_sent, 1);
	assert_int_equal(D.st->tcp->nconns, 2); /* nothing kept */
	dlg_expect_none(&D);

	/* The ACK, 10 s later, with data. */
	dlg_wait(&D, 10 * DLG_US);
	sg = dlg_seg(TH_ACK | TH_PUSH, DLG_PEER_ISS + 1, o.seq + 1);
	sg.win = 1000; /* x 128 */
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 14000;
	sg.opts.tsecr = o.opts.tsval;
	sg.data = "hello";
	sg.len = 5;
	dlg_send(&D, &sg);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_recv, 1);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_failed, 0);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.state, WS_TCPS_ESTABLISHED);
	assert_int_equal(ti.snd_mss, 1460 - 12);
	assert_int_equal(ti.snd_wscale, 7);
	assert_int_equal(ti.rcv_wscale, 3);
	assert_int_equal(ti.snd_wnd, 128000);
	assert_true(ti.sack_ok);
	assert_true(ti.ts_ok);
	assert_int_equal(ws_tcp_recv(D.s, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	/* It talks: our data goes out with the right numbers and TS. */
	dlg_wait(&D, 50 * DLG_MS);
	dlg_drain(&D, NULL, 0); /* the (delayed) ACK of "hello" */
	assert_int_equal(ws_tcp_send(D.s, "world", 5), 5);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.seq, sg.ack);
	assert_int_equal(o.ack, DLG_PEER_ISS + 6);
	assert_int_equal(o.len, 5);
	assert_true(o.opts.present & TOF_TS);
	assert_int_equal(o.opts.tsecr, 14000);
	assert_true((int32_t)(o.opts.tsval - sg.opts.tsecr) >= 0);
	/* Its window is scaled by 3 as the SYN,ACK said. */
	assert_int_equal(o.win, (262144 - 0) >> 3);
}

/* Without timestamps: the SYN,ACK offers MSS only; no scale, no SACK. */
static void
test_cookie_no_timestamps(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;
	struct ws_tcp_info ti;

	(void)state;
	fill_synq();
	sg.opts.present = TOF_MSS | TOF_WSCALE | TOF_SACKPERM;
	sg.opts.mss = 1300;
	sg.opts.wscale = 5;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.opts.present, TOF_MSS);
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, o.seq + 1);
	sg.win = 5000;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	ws_tcp_info(D.s, &ti);
	assert_int_equal(ti.state, WS_TCPS_ESTABLISHED);
	assert_int_equal(ti.snd_mss, 1220);
	assert_int_equal(ti.snd_wscale, 0);
	assert_int_equal(ti.rcv_wscale, 0);
	assert_int_equal(ti.snd_wnd, 5000);
	assert_false(ti.sack_ok);
	assert_false(ti.ts_ok);
	/* No MSS option at all: 536 (RFC 9293 3.7.1). */
	sg = dlg_seg(TH_SYN, 77, 0);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	sg = dlg_seg(TH_ACK, 78, o.seq + 1);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	{
		struct ws_tcp *s2;

		assert_int_equal(ws_tcp_accept(D.l, &s2), 0);
		ws_tcp_info(s2, &ti);
		assert_int_equal(ti.snd_mss, 536);
		ws_tcp_abort(s2);
	}
	assert_int_equal(dlg_stats(&D).tcp.syncookies_recv, 2);
}

/* Forged and altered ACKs: RST, counted, no connection. */
static void
test_cookie_forged(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o, r;
	uint32_t cookie;

	(void)state;
	fill_synq();
	dlg_syn_opts(&sg.opts, 1460, 2, 4000);
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	cookie = o.seq;
	/* Wrong ACK number. */
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, cookie + 2);
	sg.opts.present = TOF_TS;
	sg.opts.tsval = 4001;
	sg.opts.tsecr = o.opts.tsval;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, cookie + 2, 0, 0, &r);
	/* Another MSS index in the low bits. */
	sg.ack = (cookie ^ 1) + 1;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, sg.ack, 0, 0, NULL);
	/* Wrong peer ISN (SEG.SEQ). */
	sg.ack = cookie + 1;
	sg.seq = DLG_PEER_ISS + 2;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, sg.ack, 0, 0, NULL);
	/* SACK bit flipped in the echoed TSval. */
	sg.seq = DLG_PEER_ISS + 1;
	sg.opts.tsecr = o.opts.tsval ^ TCP_SC_SACK;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, sg.ack, 0, 0, NULL);
	/* Timestamps dropped from the ACK. */
	sg.opts.present = 0;
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, sg.ack, 0, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_failed, 5);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_recv, 0);
	assert_int_equal(D.st->tcp->nconns, 2);
	/* The genuine one still works. */
	sg.opts.present = TOF_TS;
	sg.opts.tsecr = o.opts.tsval;
	dlg_send(&D, &sg);
	/* (At most a window update: scaling opens 256 KB.) */
	if (dlg_recv(&D, &r)) {
		assert_int_equal(r.flags, TH_ACK);
		assert_int_equal(r.seq, cookie + 1);
	}
	dlg_expect_none(&D);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	assert_int_equal(dlg_state(D.s), WS_TCPS_ESTABLISHED);
}

/* A cookie is good for two slots; after that the ACK gets a RST. */
static void
test_cookie_expiry(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o, other;

	(void)state;
	fill_synq();
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	/* Keep cookies in use (another client) so the check runs. */
	dlg_wait(&D, 30 * DLG_US);
	dlg_drain(&D, NULL, 0);
	other = dlg_seg(TH_SYN, 9, 0);
	other.sport = DLG_PPORT + 7;
	dlg_send(&D, &other);
	assert_true(dlg_recv(&D, &other));
	assert_int_equal(dlg_stats(&D).tcp.syncookies_sent, 2);
	/* The cookie was made in slot 0: slot 2 starts at 128 s. */
	dlg_at(&D, 2 * PERIOD + DLG_US);
	dlg_drain(&D, NULL, 0);
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, o.seq + 1);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, o.seq + 1, 0, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_failed, 1);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), WS_EAGAIN);
	D.s = NULL;
}

/* With the accept queue full, a valid cookie ACK is dropped silently. */
static void
test_cookie_accept_queue_full(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o, o2;
	struct ws_tcp *s1;

	(void)state;
	assert_int_equal(ws_tcp_open(D.st, &D.l), 0);
	assert_int_equal(ws_tcp_listen(D.l, DLG_LPORT, 1), 0);
	/* One embryo fills q0; then two cookies. */
	sg.sport = DLG_PPORT + 100;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	sg.sport = DLG_PPORT;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o));
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	assert_true(dlg_recv(&D, &o2));
	assert_int_equal(dlg_stats(&D).tcp.syncookies_sent, 2);
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, o.seq + 1);
	dlg_send(&D, &sg);
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, o2.seq + 1);
	sg.sport = DLG_PPORT + 1;
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_recv, 1);
	assert_int_equal(dlg_stats(&D).tcp.listenoverflow, 1);
	/* Accept; the second client's next segment gets it in. */
	assert_int_equal(ws_tcp_accept(D.l, &s1), 0);
	dlg_send(&D, &sg);
	assert_int_equal(ws_tcp_accept(D.l, &D.s), 0);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_recv, 2);
	ws_tcp_abort(s1);
	dlg_drain(&D, NULL, 0);
}

/* Cookies off: past the half-open queue SYNs are dropped and counted. */
static void
test_nocookies(void **state)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0);

	(void)state;
	fill_synq();
	dlg_send(&D, &sg);
	dlg_expect_none(&D);
	assert_int_equal(dlg_stats(&D).tcp.synbacklogdrop, 1);
	assert_int_equal(dlg_stats(&D).tcp.listendrop, 1);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_sent, 0);
	/* A bare ACK to the listener is a RST, not a cookie check. */
	sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, 12345);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, 12345, 0, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_failed, 0);
}

/* No cookie sent recently: ACKs to the listener are not checked. */
static void
test_no_recent_cookie(void **state)
{
	struct seg sg = dlg_seg(TH_ACK, DLG_PEER_ISS + 1, 12345);

	(void)state;
	dlg_listen(&D, 8);
	dlg_send(&D, &sg);
	dlg_expect(&D, TH_RST, 12345, 0, 0, NULL);
	assert_int_equal(dlg_stats(&D).tcp.syncookies_failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_mss_and_tsval),
		DLG_TEST_TUNED(test_cookie_full_options, tune_cookies),
		DLG_TEST_TUNED(test_cookie_no_timestamps, tune_cookies),
		DLG_TEST_TUNED(test_cookie_forged, tune_cookies),
		DLG_TEST_TUNED(test_cookie_expiry, tune_cookies),
		DLG_TEST_TUNED(test_cookie_accept_queue_full, tune_cookies),
		DLG_TEST_TUNED(test_nocookies, tune_nocookies),
		DLG_TEST_TUNED(test_no_recent_cookie, tune_cookies),
	};

	return cmocka_run_group_tests_name("tcp_syncookie", tests, NULL, NULL);
}

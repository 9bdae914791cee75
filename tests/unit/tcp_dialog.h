/*
 * TCP segment dialogues (after smoltcp's send!/recv! tests): one stack on
 * one end of a medium-IP mem pair; the test plays the peer on the other
 * end, injecting hand-built segments with ws_stack_input() and reading
 * what the stack sent with ws_link_recv(), at exact virtual times.
 */
#ifndef WS_TESTS_TCP_DIALOG_H
#define WS_TESTS_TCP_DIALOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <wirestack/wirestack.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "core/stack_var.h"
#include "tcp/tcp_var.h"
#include "tcp/tcp_wire.h"
#include "tests/lib/harness.h"

#define DLG_US WS_USEC_PER_SEC
#define DLG_MS WS_USEC_PER_MSEC
#define DLG_LOCAL WT_ADDR_A      /* the stack under test */
#define DLG_PEER WT_ADDR_B       /* the test plays this host */
#define DLG_LPORT 80
#define DLG_PPORT 40000
#define DLG_PEER_ISS 1000000u

/* One segment as the test sees it. */
struct seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	uint16_t urp;
	struct tcp_opts opts;
	const void *data;
	size_t len;
	uint8_t buf[2048];      /* payload of received segments */
};

struct dlg {
	struct ws_link *la, *lb;
	struct ws_stack *st;
	struct wt_alloc alloc;
	ws_time_t now;
	struct ws_tcp *l, *s;   /* listener and connection under test */
	uint32_t iss;           /* the stack's ISS */
	uint32_t snd;           /* the peer's next sequence number */
	uint32_t rcv;           /* the peer's next expected (= stack snd) */
	bool ts;                /* the peer sends timestamps */
	uint32_t tsval;         /* the peer's clock (ms) */
	uint32_t tsecr;         /* the stack's latest TSval */
};

static inline void
dlg_setup_cfg(struct dlg *d, void (*tune)(struct ws_stack_config *))
{
	struct ws_link_mem_config mc = { 0 };
	struct ws_stack_config cfg;
	struct ws_allocator a;

	memset(d, 0, sizeof(*d));
	d->now = 1000000;
	mc.medium = WS_MEDIUM_IP;
	mc.mtu = 1500;
	assert_int_equal(ws_link_mem_pair(&d->la, &d->lb, &mc), 0);
	wt_alloc_init(&d->alloc, &a);
	ws_stack_config_init(&cfg);
	cfg.link = d->la;
	cfg.addr = DLG_LOCAL;
	cfg.prefix_len = 24;
	cfg.allocator = &a;
	cfg.seed = 7;
	if (tune != NULL)
		tune(&cfg);
	assert_int_equal(ws_stack_new(&d->st, &cfg, d->now), 0);
}

static inline void
dlg_setup(struct dlg *d)
{
	dlg_setup_cfg(d, NULL);
}

static inline void
dlg_teardown(struct dlg *d)
{
	ws_stack_free(d->st);
	ws_link_close(d->la);
	ws_link_close(d->lb);
	assert_int_equal(d->alloc.live, 0);
}

/*
 * The dialogue a test program drives, and its cmocka fixtures: each test
 * gets a fresh stack (tuned by the function its DLG_TEST_TUNED entry
 * names, if any) and ends with the leak check of dlg_teardown().
 */
static struct dlg D;

struct dlg_tune {
	void (*tune)(struct ws_stack_config *);
};

static inline int
dlg_fixture_setup(void **state)
{
	const struct dlg_tune *t = *state;

	dlg_setup_cfg(&D, t != NULL ? t->tune : NULL);
	return 0;
}

static inline int
dlg_fixture_teardown(void **state)
{
	(void)state;
	dlg_teardown(&D);
	return 0;
}

/*
 * A test case on a fresh D; with the stack configuration tuned by fn.
 * For main()'s test array: the compound literal lives as long as main.
 */
#define DLG_TEST(f) \
	cmocka_unit_test_setup_teardown(f, dlg_fixture_setup, \
	    dlg_fixture_teardown)
#define DLG_TEST_TUNED(f, fn) \
	cmocka_unit_test_prestate_setup_teardown(f, dlg_fixture_setup, \
	    dlg_fixture_teardown, (&(struct dlg_tune){ (fn) }))

/* A recognisable payload: buf[i] = i * mul + add (mod 256). */
static inline void
dlg_pattern(uint8_t *buf, size_t len, unsigned mul, unsigned add)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * mul + add);
}

static inline struct ws_stats
dlg_stats(struct dlg *d)
{
	struct ws_stats s;

	ws_stack_stats(d->st, &s);
	return s;
}

/* A segment from the peer with the usual ports. */
static inline struct seg
dlg_seg(uint8_t flags, uint32_t seq, uint32_t ack)
{
	struct seg s;

	memset(&s, 0, sizeof(s));
	s.sport = DLG_PPORT;
	s.dport = DLG_LPORT;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.win = 65535;
	return s;
}

/* A SYN's full set of options: MSS, window scale, SACK, timestamps. */
static inline void
dlg_syn_opts(struct tcp_opts *o, uint16_t mss, uint8_t wscale,
    uint32_t tsval)
{
	o->present = TOF_MSS | TOF_WSCALE | TOF_SACKPERM | TOF_TS;
	o->mss = mss;
	o->wscale = wscale;
	o->tsval = tsval;
}

/*
 * Build the IPv4 datagram (IP ID ipid) carrying sg from src to dst,
 * checksums right.
 */
static inline size_t
dlg_build_from(const struct seg *sg, uint32_t src, uint32_t dst,
    uint16_t ipid, uint8_t *out)
{
	struct tcp_hdr th;
	size_t hlen, tlen;
	uint8_t *t = out + 20;

	memset(&th, 0, sizeof(th));
	th.sport = sg->sport;
	th.dport = sg->dport;
	th.seq = sg->seq;
	th.ack = sg->ack;
	th.flags = sg->flags;
	th.win = sg->win;
	th.urp = sg->urp;
	th.opts = sg->opts;
	hlen = tcp_wire_emit(t, &th);
	if (sg->len > 0)
		memcpy(t + hlen, sg->data, sg->len);
	tlen = hlen + sg->len;
	tcp_wire_set_cksum(t, tlen, src, dst);
	out[0] = 0x45;
	out[1] = 0;
	be16_store(out + 2, (uint16_t)(20 + tlen));
	be16_store(out + 4, ipid);
	be16_store(out + 6, 0x4000);
	out[8] = 64;
	out[9] = 6;
	be16_store(out + 10, 0);
	be32_store(out + 12, src);
	be32_store(out + 16, dst);
	be16_store(out + 10, cksum(out, 20));
	return 20 + tlen;
}

/*
 * Build the datagram for sg from the peer; corrupt: flip the TCP
 * checksum (which the IP header checksum does not cover).
 */
static inline size_t
dlg_build(const struct seg *sg, uint8_t *out, bool corrupt)
{
	size_t n = dlg_build_from(sg, DLG_PEER, DLG_LOCAL, 1, out);

	if (corrupt)
		out[20 + 16] ^= 0x55;
	return n;
}

/* The peer sends sg at the current time. */
static inline void
dlg_send(struct dlg *d, const struct seg *sg)
{
	static uint8_t buf[20 + 60 + 65536];
	size_t n;

	assert_true(sg->len <= 65536);
	n = dlg_build(sg, buf, false);

	ws_stack_input(d->st, d->now, buf, n);
}

static inline void
dlg_send_raw(struct dlg *d, const uint8_t *buf, size_t n)
{
	ws_stack_input(d->st, d->now, buf, n);
}

struct dlg_rx {
	struct seg *out;
	bool got;
};

static inline void
dlg_rx_cb(void *arg, const uint8_t *frame, size_t len)
{
	struct dlg_rx *rx = arg;
	struct tcp_hdr th;
	size_t ihl;

	assert_true(len >= 20);
	ihl = (size_t)(frame[0] & 0x0f) * 4;
	assert_int_equal(frame[9], 6);
	assert_int_equal(be32_load(frame + 12), DLG_LOCAL);
	assert_int_equal(be32_load(frame + 16), DLG_PEER);
	assert_true(tcp_wire_cksum_ok(frame + ihl, len - ihl, DLG_LOCAL,
	    DLG_PEER));
	assert_int_equal(tcp_wire_parse(frame + ihl, len - ihl, &th),
	    TCP_WIRE_OK);
	memset(rx->out, 0, sizeof(*rx->out));
	rx->out->sport = th.sport;
	rx->out->dport = th.dport;
	rx->out->seq = th.seq;
	rx->out->ack = th.ack;
	rx->out->flags = th.flags;
	rx->out->win = th.win;
	rx->out->urp = th.urp;
	rx->out->opts = th.opts;
	rx->out->len = len - ihl - th.off;
	assert_true(rx->out->len <= sizeof(rx->out->buf));
	memcpy(rx->out->buf, frame + ihl + th.off, rx->out->len);
	rx->out->data = rx->out->buf;
	rx->got = true;
}

/* Take the next segment the stack sent (true) or see that none waits. */
static inline bool
dlg_recv(struct dlg *d, struct seg *out)
{
	struct dlg_rx rx = { out, false };

	ws_link_recv(d->lb, d->now, dlg_rx_cb, &rx, 1);
	return rx.got;
}

/* Assert the stack sent exactly a segment with these fields. */
static inline void
dlg_expect(struct dlg *d, uint8_t flags, uint32_t seq, uint32_t ack,
    size_t len, struct seg *out)
{
	struct seg tmp;
	struct seg *o = out != NULL ? out : &tmp;

	assert_true(dlg_recv(d, o));
	if (o->flags != flags || o->seq != seq ||
	    ((flags & TH_ACK) && o->ack != ack) || o->len != len)
		fprintf(stderr, "# got fl=%#x seq=%u ack=%u len=%zu, want "
		    "fl=%#x seq=%u ack=%u len=%zu\n", o->flags, o->seq,
		    o->ack, o->len, flags, seq, ack, len);
	assert_int_equal(o->flags, flags);
	assert_int_equal(o->seq, seq);
	if (flags & TH_ACK)
		assert_int_equal(o->ack, ack);
	assert_int_equal(o->len, len);
	assert_int_equal(o->sport, DLG_LPORT);
	assert_int_equal(o->dport, DLG_PPORT);
}

static inline void
dlg_expect_none(struct dlg *d)
{
	struct seg o;

	if (dlg_recv(d, &o)) {
		fprintf(stderr, "# unexpected fl=%#x seq=%u ack=%u len=%zu\n",
		    o.flags, o.seq, o.ack, o.len);
		fail();
	}
}

/* Advance virtual time to t (absolute) and poll. */
static inline void
dlg_at(struct dlg *d, ws_time_t t)
{
	assert_true(t >= d->now);
	d->now = t;
	ws_stack_poll(d->st, d->now);
}

static inline void
dlg_wait(struct dlg *d, uint64_t us)
{
	dlg_at(d, d->now + us);
}

static inline enum ws_tcp_state
dlg_state(struct ws_tcp *s)
{
	struct ws_tcp_info ti;

	ws_tcp_info(s, &ti);
	return ti.state;
}

/* Listen on DLG_LPORT. */
static inline void
dlg_listen(struct dlg *d, int backlog)
{
	assert_int_equal(ws_tcp_open(d->st, &d->l), 0);
	assert_int_equal(ws_tcp_listen(d->l, DLG_LPORT, backlog), 0);
}

/*
 * Passive open with a plain SYN (MSS 1460 only: no scaling, no
 * timestamps, so windows are exact): LISTEN -> SYN_RECEIVED.
 */
static inline void
dlg_to_synrcvd(struct dlg *d)
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;

	dlg_listen(d, 4);
	sg.opts.present = TOF_MSS;
	sg.opts.mss = 1460;
	dlg_send(d, &sg);
	assert_true(dlg_recv(d, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_int_equal(o.ack, DLG_PEER_ISS + 1);
	d->iss = o.seq;
	d->snd = DLG_PEER_ISS + 1;
	d->rcv = o.seq + 1;
}

/* ... -> ESTABLISHED and accepted (d->s). */
static inline void
dlg_to_established(struct dlg *d)
{
	struct seg sg;

	dlg_to_synrcvd(d);
	sg = dlg_seg(TH_ACK, d->snd, d->rcv);
	dlg_send(d, &sg);
	dlg_expect_none(d);
	assert_int_equal(ws_tcp_accept(d->l, &d->s), 0);
	assert_int_equal(dlg_state(d->s), WS_TCPS_ESTABLISHED);
}

/* Active open to the peer: CLOSED -> SYN_SENT (the SYN is read). */
static inline void
dlg_to_synsent(struct dlg *d, struct seg *syn)
{
	struct seg tmp;
	struct seg *o = syn != NULL ? syn : &tmp;

	assert_int_equal(ws_tcp_open(d->st, &d->s), 0);
	assert_int_equal(ws_tcp_bind(d->s, DLG_LPORT), 0);
	assert_int_equal(ws_tcp_connect(d->s, DLG_PEER, DLG_PPORT),
	    WS_EINPROGRESS);
	assert_true(dlg_recv(d, o));
	assert_int_equal(o->flags, TH_SYN);
	d->iss = o->seq;
	d->rcv = o->seq + 1;
	d->snd = DLG_PEER_ISS + 1;
}

/* The peer sends data and the stack ACKs (maybe delayed). */
static inline void
dlg_send_data(struct dlg *d, const void *data, size_t len, uint8_t extra)
{
	struct seg sg = dlg_seg(TH_ACK | extra, d->snd, d->rcv);

	sg.data = data;
	sg.len = len;
	dlg_send(d, &sg);
	d->snd += (uint32_t)len + ((extra & TH_FIN) ? 1 : 0);
}

/*
 * Passive open where the peer offers SACK (and timestamps if ts), and
 * waits rtt_us before its ACK of the SYN,ACK, so that the stack's first
 * RTT sample (hence SRTT and min_RTT) is rtt_us.  opt_setup, if not
 * NULL, sets options on the listener first.
 */
static inline void
dlg_to_established_sack(struct dlg *d, bool ts, uint64_t rtt_us,
    void (*opt_setup)(struct ws_tcp *l))
{
	struct seg sg = dlg_seg(TH_SYN, DLG_PEER_ISS, 0), o;

	assert_int_equal(ws_tcp_open(d->st, &d->l), 0);
	if (opt_setup != NULL)
		opt_setup(d->l);
	assert_int_equal(ws_tcp_listen(d->l, DLG_LPORT, 4), 0);
	d->ts = ts;
	d->tsval = 5000;
	sg.opts.present = TOF_MSS | TOF_SACKPERM | (ts ? TOF_TS : 0);
	sg.opts.mss = 1460;
	sg.opts.tsval = d->tsval;
	dlg_send(d, &sg);
	assert_true(dlg_recv(d, &o));
	assert_int_equal(o.flags, TH_SYN | TH_ACK);
	assert_true(o.opts.present & TOF_SACKPERM);
	d->iss = o.seq;
	d->snd = DLG_PEER_ISS + 1;
	d->rcv = o.seq + 1;
	d->tsecr = o.opts.tsval;
	dlg_wait(d, rtt_us);
	d->tsval += (uint32_t)(rtt_us / 1000);
	sg = dlg_seg(TH_ACK, d->snd, d->rcv);
	if (ts) {
		sg.opts.present = TOF_TS;
		sg.opts.tsval = d->tsval;
		sg.opts.tsecr = d->tsecr;
	}
	dlg_send(d, &sg);
	assert_int_equal(ws_tcp_accept(d->l, &d->s), 0);
	assert_int_equal(dlg_state(d->s), WS_TCPS_ESTABLISHED);
}

/*
 * The peer acknowledges `ack` with the SACK blocks blk[0..n) (pairs of
 * absolute start, end) and its timestamp, if it uses them.
 */
static inline void
dlg_send_sack(struct dlg *d, uint32_t ack, const uint32_t *blk, int n)
{
	struct seg sg = dlg_seg(TH_ACK, d->snd, ack);

	for (int i = 0; i < n && i < TCP_MAX_SACK; i++) {
		sg.opts.sack[i].start = blk[2 * i];
		sg.opts.sack[i].end = blk[2 * i + 1];
	}
	if (n > 0) {
		sg.opts.present |= TOF_SACK;
		sg.opts.nsack = (uint8_t)n;
	}
	if (d->ts) {
		sg.opts.present |= TOF_TS;
		sg.opts.tsval = d->tsval;
		sg.opts.tsecr = d->tsecr;
	}
	dlg_send(d, &sg);
}

/* Read every segment the stack sent; returns how many (up to max). */
static inline int
dlg_drain(struct dlg *d, struct seg *out, int max)
{
	struct seg tmp;
	int n = 0;

	while (dlg_recv(d, n < max ? &out[n] : &tmp))
		n++;
	return n;
}

#endif /* WS_TESTS_TCP_DIALOG_H */

/*
 * The ARP resolver as a state machine under virtual time: one stack on
 * one end of a mem link.  Frames are fed to it with ws_stack_input(); what
 * it sends is read from the other end of the link.  IPv4 datagrams go
 * through arp_output() directly.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/wirestack.h>

#include "arp/arp_var.h"
#include "arp/arp_wire.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "link/ether_wire.h"
#include "link/link_var.h"
#include "tests/lib/harness.h"

#define SEC WS_USEC_PER_SEC
#define MS WS_USEC_PER_MSEC
#define T0 (1000 * SEC)

#define ADDR_A WT_ADDR_A      /* the stack under test */
#define ADDR_B WT_ADDR_B
#define ADDR_C 0xc6120003u
#define ADDR_D 0xc6120004u
#define ADDR_E 0xc6120005u
#define ADDR_F 0xc6120006u
#define ADDR_G 0xc6120007u

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x01 }; /* mem end 0 */
static const uint8_t MAC_B[6] = { 0x02, 0xbb, 0, 0, 0, 0x02 };
static const uint8_t MAC_B2[6] = { 0x02, 0xbb, 0, 0, 0, 0x22 };
static const uint8_t MAC_C[6] = { 0x02, 0xcc, 0, 0, 0, 0x03 };
static const uint8_t MAC_D[6] = { 0x02, 0xdd, 0, 0, 0, 0x04 };
static const uint8_t MAC_E[6] = { 0x02, 0xee, 0, 0, 0, 0x05 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t ZERO[6] = { 0 };

struct frame {
	size_t len;
	uint8_t b[1600];
};

struct fx {
	struct ws_link *la, *lb;
	struct ws_stack *st;
	struct wt_alloc alloc;
	struct ws_allocator allocator;
	ws_time_t now;
	struct frame f[64];   /* frames captured by the last drain() */
	unsigned nf;
	unsigned warns;       /* WS_LOG_WARN messages */
};

struct fx_opts {
	uint32_t entries, hold, hold_total;
	bool announce;
	enum ws_medium medium;
};

static void
count_log(void *ctx, enum ws_log_level level, const char *msg)
{
	struct fx *fx = ctx;

	(void)msg;
	if (level == WS_LOG_WARN)
		fx->warns++;
}

static int
fx_open(void **state, const struct fx_opts *o)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct ws_link_mem_config mc = { .medium = o->medium };
	struct ws_stack_config cfg;

	if (fx == NULL || ws_link_mem_pair(&fx->la, &fx->lb, &mc) != 0)
		return -1;
	wt_alloc_init(&fx->alloc, &fx->allocator);
	ws_stack_config_init(&cfg);
	cfg.link = fx->la;
	cfg.addr = ADDR_A;
	cfg.prefix_len = 24;
	cfg.allocator = &fx->allocator;
	cfg.seed = 7;
	cfg.no_announce = !o->announce;
	cfg.arp_entries = o->entries;
	cfg.arp_hold = o->hold;
	cfg.arp_hold_total = o->hold_total;
	cfg.log = count_log;
	cfg.log_ctx = fx;
	cfg.log_level = WS_LOG_DEBUG;  /* format every message (ASan) */
	if (ws_stack_new(&fx->st, &cfg, T0) != 0)
		return -1;
	fx->now = T0;
	*state = fx;
	return 0;
}

static int
setup(void **state)
{
	struct fx_opts o = { 0 };

	return fx_open(state, &o);
}

static int
setup_announce(void **state)
{
	struct fx_opts o = { .announce = true };

	return fx_open(state, &o);
}

static int
setup_ip(void **state)
{
	struct fx_opts o = { .announce = true, .medium = WS_MEDIUM_IP };

	return fx_open(state, &o);
}

static int
setup_hold4(void **state)
{
	struct fx_opts o = { .hold = 4 };

	return fx_open(state, &o);
}

static int
setup_hold4_total6(void **state)
{
	struct fx_opts o = { .hold = 4, .hold_total = 6 };

	return fx_open(state, &o);
}

static int
setup_small(void **state)
{
	struct fx_opts o = { .entries = 4 };

	return fx_open(state, &o);
}

static int
setup_tiny(void **state)
{
	struct fx_opts o = { .entries = 2 };

	return fx_open(state, &o);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	ws_stack_free(fx->st);
	ws_link_close(fx->la);
	ws_link_close(fx->lb);
	/* Everything, held packets included, went back to the allocator. */
	assert_int_equal(fx->alloc.live, 0);
	free(fx);
	return 0;
}

static void
capture(void *arg, const uint8_t *frame, size_t len)
{
	struct fx *fx = arg;

	assert_true(fx->nf < 64);
	assert_true(len <= sizeof(fx->f[0].b));
	memcpy(fx->f[fx->nf].b, frame, len);
	fx->f[fx->nf].len = len;
	fx->nf++;
}

/* Collect what the stack sent since the last call. */
static unsigned
drain(struct fx *fx)
{
	fx->nf = 0;
	ws_link_recv(fx->lb, WS_TIME_NEVER, capture, fx, 64);
	return fx->nf;
}

static struct ws_stats
stats(const struct fx *fx)
{
	struct ws_stats s;

	ws_stack_stats(fx->st, &s);
	return s;
}

/*
 * Poll at t.  Afterwards the resolver must not report a deadline at or
 * before now: the pair harness would spin on it.
 */
static void
at(struct fx *fx, ws_time_t t)
{
	assert_true(t >= fx->now);
	fx->now = t;
	ws_stack_poll(fx->st, t);
	assert_true(arp_next_deadline(fx->st) > t);
}

/* Jump to the resolver's next deadline and poll; returns it. */
static ws_time_t
step(struct fx *fx)
{
	ws_time_t t = arp_next_deadline(fx->st);

	assert_true(t != WS_TIME_NEVER);
	at(fx, t);
	return t;
}

/* Feed one ARP frame, padded to the Ethernet minimum. */
static void
arp_in_raw(struct fx *fx, const uint8_t edst[6], const uint8_t esrc[6],
    uint16_t op, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
    uint32_t tpa)
{
	uint8_t b[ETHER_MIN_LEN] = { 0 };
	struct ether_repr eh;
	struct arp_repr r;

	memcpy(eh.dst, edst, 6);
	memcpy(eh.src, esrc, 6);
	eh.type = 0x0806;
	ether_wire_emit(&eh, b, sizeof(b));
	r.op = op;
	memcpy(r.sha, sha, 6);
	r.spa = spa;
	memcpy(r.tha, tha, 6);
	r.tpa = tpa;
	arp_wire_emit(&r, b + ETHER_HDR_LEN, sizeof(b) - ETHER_HDR_LEN);
	ws_stack_input(fx->st, fx->now, b, sizeof(b));
}

/* A reply from (mac, ip) to us. */
static void
reply_from(struct fx *fx, const uint8_t mac[6], uint32_t ip)
{
	arp_in_raw(fx, MAC_A, mac, ARP_OP_REPLY, mac, ip, MAC_A, ADDR_A);
}

/* A broadcast request from (mac, ip) for tpa. */
static void
request_from(struct fx *fx, const uint8_t mac[6], uint32_t ip, uint32_t tpa)
{
	arp_in_raw(fx, BCAST, mac, ARP_OP_REQUEST, mac, ip, ZERO, tpa);
}

/* Send a 20-byte "datagram" tagged in its last byte through ARP. */
static int
ip_out(struct fx *fx, uint32_t nexthop, uint8_t tag)
{
	struct pkt *p = pkt_alloc(fx->st, 20);
	int rc;

	assert_non_null(p);
	memset(p->data, 0, 20);
	p->data[0] = 0x45;
	p->data[19] = tag;
	rc = arp_output(fx->st, p, nexthop);
	stack_kick(fx->st);  /* outside an entry point: send now */
	return rc;
}

/* Frame f is an ARP packet from us to edst; returns its repr. */
static struct arp_repr
expect_arp(const struct frame *f, const uint8_t edst[6], uint16_t op,
    uint32_t spa, uint32_t tpa)
{
	struct ether_repr eh;
	struct arp_repr r;

	assert_int_equal(ether_wire_parse(f->b, f->len, &eh), 0);
	assert_memory_equal(eh.dst, edst, 6);
	assert_memory_equal(eh.src, MAC_A, 6);
	assert_int_equal(eh.type, 0x0806);
	assert_int_equal(arp_wire_parse(f->b + ETHER_HDR_LEN,
	    f->len - ETHER_HDR_LEN, &r), 0);
	assert_int_equal(r.op, op);
	assert_memory_equal(r.sha, MAC_A, 6);
	assert_int_equal(r.spa, spa);
	assert_int_equal(r.tpa, tpa);
	return r;
}

/* A broadcast who-has for tpa. */
static void
expect_request(const struct frame *f, uint32_t tpa)
{
	struct arp_repr r = expect_arp(f, BCAST, ARP_OP_REQUEST, ADDR_A, tpa);

	assert_memory_equal(r.tha, ZERO, 6);
}

/* Frame f is our tagged datagram, sent to edst. */
static void
expect_ip(const struct frame *f, const uint8_t edst[6], uint8_t tag)
{
	struct ether_repr eh;

	assert_int_equal(f->len, ETHER_HDR_LEN + 20);
	assert_int_equal(ether_wire_parse(f->b, f->len, &eh), 0);
	assert_memory_equal(eh.dst, edst, 6);
	assert_memory_equal(eh.src, MAC_A, 6);
	assert_int_equal(eh.type, 0x0800);
	assert_int_equal(f->b[ETHER_HDR_LEN], 0x45);
	assert_int_equal(f->b[ETHER_HDR_LEN + 19], tag);
}

static void
assert_state(struct fx *fx, uint32_t addr, enum arp_state want,
    const uint8_t *mac)
{
	uint8_t m[6];

	assert_int_equal(arp_lookup(fx->st, addr, m), want);
	if (mac != NULL)
		assert_memory_equal(m, mac, 6);
}

/*
 * Resolve addr: first packet held, the reply at +100 ms sends it.
 * Returns the time of the reply.
 */
static ws_time_t
resolve(struct fx *fx, uint32_t addr, const uint8_t mac[6], uint8_t tag)
{
	ws_time_t t = fx->now + 100 * MS;

	assert_int_equal(ip_out(fx, addr, tag), 0);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], addr);
	at(fx, t);
	reply_from(fx, mac, addr);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], mac, tag);
	assert_state(fx, addr, ARPS_REACHABLE, mac);
	/*
	 * The retransmission deadline may still be reported (arp.c keeps
	 * the earliest deadline lazily); polling there does nothing.
	 */
	if (arp_next_deadline(fx->st) < t + 55 * SEC) {
		step(fx);
		assert_int_equal(drain(fx), 0);
		assert_int_equal(arp_next_deadline(fx->st), t + 55 * SEC);
	}
	return t;
}

/* ---- start-up ---- */

static void
test_announce_at_start(void **state)
{
	struct fx *fx = *state;
	struct arp_repr r;

	/* Queued by ws_stack_new, sent by the first poll. */
	assert_int_equal(drain(fx), 0);
	at(fx, T0);
	assert_int_equal(drain(fx), 1);
	r = expect_arp(&fx->f[0], BCAST, ARP_OP_REQUEST, ADDR_A, ADDR_A);
	assert_memory_equal(r.tha, ZERO, 6);
	assert_int_equal(stats(fx).arp.txannounce, 1);
	assert_int_equal(stats(fx).arp.txrequests, 0);
	assert_int_equal(stats(fx).ether.opackets, 1);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
	at(fx, T0 + 10 * SEC);
	assert_int_equal(drain(fx), 0);
}

static void
test_no_announce(void **state)
{
	struct fx *fx = *state;

	at(fx, T0);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.txannounce, 0);
}

/* On an IP medium ARP is attached but does nothing. */
static void
test_medium_ip(void **state)
{
	struct fx *fx = *state;

	at(fx, T0);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.txannounce, 0);
	arp_announce(fx->st);
	arp_timer(fx->st);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
	/* A datagram handed to arp_output goes out bare, unresolved. */
	assert_int_equal(ip_out(fx, ADDR_B, 5), 0);
	assert_int_equal(drain(fx), 1);
	assert_int_equal(fx->f[0].len, 20);
	assert_int_equal(fx->f[0].b[19], 5);
	assert_int_equal(arp_lookup(fx->st, ADDR_B, NULL), ARPS_FREE);
	assert_int_equal(stats(fx).arp.txrequests, 0);
	assert_int_equal(stats(fx).ether.opackets, 0);
}

/* ---- resolution ---- */

static void
test_request_backoff_and_failure(void **state)
{
	struct fx *fx = *state;
	/* Requests at 0, 1, 3, 7, 11 s; failure at 15 s. */
	const ws_time_t when[] = { 1, 3, 7, 11 };
	struct ws_stats s;

	at(fx, T0);
	assert_int_equal(ip_out(fx, ADDR_B, 1), 0);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], ADDR_B);
	assert_state(fx, ADDR_B, ARPS_INCOMPLETE, NULL);
	for (size_t i = 0; i < 4; i++) {
		ws_time_t t = T0 + when[i] * SEC;

		assert_int_equal(arp_next_deadline(fx->st), t);
		at(fx, t - 1);
		assert_int_equal(drain(fx), 0);
		/* Packets sent meanwhile wait; they cause no extra request. */
		assert_int_equal(ip_out(fx, ADDR_B, (uint8_t)(2 + i)), 0);
		assert_int_equal(drain(fx), 0);
		assert_int_equal(step(fx), t);
		assert_int_equal(drain(fx), 1);
		expect_request(&fx->f[0], ADDR_B);
	}
	assert_int_equal(arp_next_deadline(fx->st), T0 + 15 * SEC);
	step(fx);
	assert_int_equal(drain(fx), 0);
	s = stats(fx);
	assert_int_equal(s.arp.txrequests, 5);
	assert_int_equal(s.arp.held, 5);
	assert_int_equal(s.arp.timeouts, 1);
	assert_int_equal(s.arp.timeoutdrops, 5);
	assert_state(fx, ADDR_B, ARPS_FAILED, NULL);

	/* Failed: refused at once, no request, for 20 s. */
	at(fx, T0 + 20 * SEC);
	assert_int_equal(ip_out(fx, ADDR_B, 9), WS_EHOSTUNREACH);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.unreach, 1);
	assert_int_equal(arp_next_deadline(fx->st), T0 + 35 * SEC);
	step(fx);
	assert_state(fx, ADDR_B, ARPS_FREE, NULL);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);

	/* Then resolution starts over. */
	assert_int_equal(ip_out(fx, ADDR_B, 10), 0);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], ADDR_B);
	assert_int_equal(stats(fx).arp.txrequests, 6);
}

static void
test_hold_bound_and_release_order(void **state)
{
	struct fx *fx = *state;
	struct ws_stats s;

	at(fx, T0);
	for (uint8_t tag = 0; tag < 6; tag++)
		assert_int_equal(ip_out(fx, ADDR_B, tag),
		    tag < 4 ? 0 : WS_ENOBUFS);
	assert_int_equal(drain(fx), 1);  /* one request, not six */
	s = stats(fx);
	assert_int_equal(s.arp.held, 4);
	assert_int_equal(s.arp.holddrops, 2);
	assert_int_equal(s.arp.txrequests, 1);

	at(fx, T0 + 300 * MS);
	reply_from(fx, MAC_B, ADDR_B);
	/* The oldest four, in order: the first packet is never lost. */
	assert_int_equal(drain(fx), 4);
	for (uint8_t tag = 0; tag < 4; tag++)
		expect_ip(&fx->f[tag], MAC_B, tag);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	s = stats(fx);
	assert_int_equal(s.arp.rxreplies, 1);
	assert_int_equal(s.arp.learned, 1);
	assert_int_equal(s.ether.opackets, 5);

	/* Known now: sent at once, no request. */
	assert_int_equal(ip_out(fx, ADDR_B, 42), 0);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], MAC_B, 42);
	assert_int_equal(stats(fx).arp.txrequests, 1);
	/*
	 * The retry deadline (T0 + 1 s) may still be reported once: polling
	 * at it does nothing, and then the refresh point is next.
	 */
	assert_true(arp_next_deadline(fx->st) <= T0 + 55300 * MS);
	if (arp_next_deadline(fx->st) < T0 + 55300 * MS) {
		step(fx);
		assert_int_equal(drain(fx), 0);
	}
	assert_int_equal(arp_next_deadline(fx->st), T0 + 55300 * MS);
}

/*
 * The bound over all unresolved entries: each neighbour may hold 4, all
 * of them together 6, except that a new neighbour's first packet is
 * always kept; packets released on resolution make room again.
 */
static void
test_hold_total_bound(void **state)
{
	struct fx *fx = *state;
	struct ws_stats s;

	at(fx, T0);
	for (uint8_t tag = 0; tag < 4; tag++)
		assert_int_equal(ip_out(fx, ADDR_B, tag), 0);
	assert_int_equal(ip_out(fx, ADDR_C, 10), 0);
	assert_int_equal(ip_out(fx, ADDR_C, 11), 0);
	assert_int_equal(ip_out(fx, ADDR_C, 12), WS_ENOBUFS);
	assert_int_equal(ip_out(fx, ADDR_D, 20), 0);
	assert_int_equal(ip_out(fx, ADDR_D, 21), WS_ENOBUFS);
	s = stats(fx);
	assert_int_equal(s.arp.held, 7);
	assert_int_equal(s.arp.holddrops, 2);
	assert_int_equal(drain(fx), 3); /* requests for B, C and D */

	at(fx, T0 + 10 * MS);
	reply_from(fx, MAC_B, ADDR_B);
	assert_int_equal(drain(fx), 4);
	/* B's four are out: D may queue again. */
	assert_int_equal(ip_out(fx, ADDR_D, 22), 0);
	assert_int_equal(stats(fx).arp.held, 8);
}

/* Freeing the stack frees packets still held on entries. */
static void
test_detach_frees_held(void **state)
{
	struct fx *fx = *state;

	at(fx, T0);
	for (uint8_t tag = 0; tag < 3; tag++) {
		assert_int_equal(ip_out(fx, ADDR_B, tag), 0);
		assert_int_equal(ip_out(fx, ADDR_C, tag), 0);
	}
	assert_int_equal(stats(fx).arp.held, 6);
	assert_true(fx->alloc.live > 0);
	/* teardown() checks that nothing is left. */
}

/* ---- input ---- */

static void
test_unsolicited_reply_creates_nothing(void **state)
{
	struct fx *fx = *state;
	struct ws_stats s;

	at(fx, T0);
	reply_from(fx, MAC_C, ADDR_C);
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	/* A gratuitous reply (target = sender), broadcast. */
	arp_in_raw(fx, BCAST, MAC_D, ARP_OP_REPLY, MAC_D, ADDR_D, BCAST, ADDR_D);
	assert_state(fx, ADDR_D, ARPS_FREE, NULL);
	assert_int_equal(drain(fx), 0);
	s = stats(fx);
	assert_int_equal(s.arp.rxtotal, 2);
	assert_int_equal(s.arp.rxreplies, 2);
	assert_int_equal(s.arp.learned, 0);
	assert_int_equal(s.arp.notforus, 1);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
}

static void
test_request_for_other_ignored(void **state)
{
	struct fx *fx = *state;
	struct ws_stats s;

	at(fx, T0);
	request_from(fx, MAC_C, ADDR_C, ADDR_D);
	assert_int_equal(drain(fx), 0);  /* not ours to answer */
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	s = stats(fx);
	assert_int_equal(s.arp.rxrequests, 1);
	assert_int_equal(s.arp.notforus, 1);
	assert_int_equal(s.arp.txreplies, 0);
	assert_int_equal(s.arp.learned, 0);
}

static void
test_merge_updates_existing(void **state)
{
	struct fx *fx = *state;
	struct ws_stats s;

	at(fx, T0);
	resolve(fx, ADDR_B, MAC_B, 1);
	at(fx, T0 + 2 * SEC);
	/* B asks for someone else, from a new MAC: RFC 826 merge. */
	request_from(fx, MAC_B2, ADDR_B, ADDR_D);
	assert_int_equal(drain(fx), 0);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B2);
	assert_int_equal(ip_out(fx, ADDR_B, 2), 0);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], MAC_B2, 2);
	/* A gratuitous announcement moves it back. */
	request_from(fx, MAC_B, ADDR_B, ADDR_B);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	/* The same MAC again is a confirmation, not a change. */
	request_from(fx, MAC_B, ADDR_B, ADDR_B);
	s = stats(fx);
	assert_int_equal(s.arp.changed, 2);
	assert_int_equal(s.arp.learned, 4);
	assert_int_equal(s.arp.notforus, 3);
	/* The last confirmation restarted the lifetime. */
	at(fx, T0 + 56 * SEC);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	assert_int_equal(arp_next_deadline(fx->st), T0 + 57 * SEC);
	at(fx, T0 + 61 * SEC);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	assert_int_equal(drain(fx), 0);  /* idle since: no refresh */
	at(fx, T0 + 62 * SEC);
	assert_state(fx, ADDR_B, ARPS_FREE, NULL);
}

static void
test_reply_to_request_for_us(void **state)
{
	struct fx *fx = *state;
	struct arp_repr r;
	struct ws_stats s;

	at(fx, T0);
	request_from(fx, MAC_C, ADDR_C, ADDR_A);
	assert_int_equal(drain(fx), 1);
	/* Unicast to the asker, with its addresses as target. */
	r = expect_arp(&fx->f[0], MAC_C, ARP_OP_REPLY, ADDR_A, ADDR_C);
	assert_memory_equal(r.tha, MAC_C, 6);
	/* RFC 826: the asker is added, so our answer needs no request. */
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);
	assert_int_equal(ip_out(fx, ADDR_C, 3), 0);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], MAC_C, 3);

	/* A unicast request (someone refreshing us) is answered too. */
	arp_in_raw(fx, MAC_A, MAC_D, ARP_OP_REQUEST, MAC_D, ADDR_D, MAC_A,
	    ADDR_A);
	assert_int_equal(drain(fx), 1);
	expect_arp(&fx->f[0], MAC_D, ARP_OP_REPLY, ADDR_A, ADDR_D);
	s = stats(fx);
	assert_int_equal(s.arp.rxrequests, 2);
	assert_int_equal(s.arp.txreplies, 2);
	assert_int_equal(s.arp.txrequests, 0);
	assert_int_equal(s.arp.learned, 2);
	assert_int_equal(s.ether.ipackets, 2);
}

static void
test_probe(void **state)
{
	struct fx *fx = *state;
	struct arp_repr r;
	struct ws_stats s;

	at(fx, T0);
	/* RFC 5227 probe for our address: answered, nothing learned. */
	request_from(fx, MAC_C, 0, ADDR_A);
	assert_int_equal(drain(fx), 1);
	r = expect_arp(&fx->f[0], MAC_C, ARP_OP_REPLY, ADDR_A, 0);
	assert_memory_equal(r.tha, MAC_C, 6);
	assert_state(fx, 0, ARPS_FREE, NULL);
	/* A probe for another address: silence. */
	request_from(fx, MAC_C, 0, ADDR_D);
	assert_int_equal(drain(fx), 0);
	/* A reply from 0.0.0.0 is nonsense. */
	reply_from(fx, MAC_C, 0);
	s = stats(fx);
	assert_int_equal(s.arp.rxprobes, 2);
	assert_int_equal(s.arp.txreplies, 1);
	assert_int_equal(s.arp.badaddr, 1);
	assert_int_equal(s.arp.learned, 0);
	assert_int_equal(s.arp.dupip, 0);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
}

static void
test_dupip(void **state)
{
	struct fx *fx = *state;
	struct arp_repr r;
	struct ws_stats s;

	at(fx, T0);
	/* Someone announces our address. */
	request_from(fx, MAC_C, ADDR_A, ADDR_A);
	assert_int_equal(stats(fx).arp.dupip, 1);
	assert_int_equal(fx->warns, 1);
	/* RFC 5227 2.4 (b): defend once with an announcement. */
	assert_int_equal(drain(fx), 1);
	r = expect_arp(&fx->f[0], BCAST, ARP_OP_REQUEST, ADDR_A, ADDR_A);
	assert_memory_equal(r.tha, ZERO, 6);
	/* Within DEFEND_INTERVAL: counted, not answered, not logged. */
	at(fx, T0 + 5 * SEC);
	reply_from(fx, MAC_C, ADDR_A);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(fx->warns, 1);
	/* Later: defended again. */
	at(fx, T0 + 16 * SEC);
	arp_in_raw(fx, BCAST, MAC_C, ARP_OP_REQUEST, MAC_C, ADDR_A, ZERO,
	    ADDR_B);
	assert_int_equal(drain(fx), 1);
	s = stats(fx);
	assert_int_equal(s.arp.dupip, 3);
	assert_int_equal(s.arp.defends, 2);
	assert_int_equal(s.arp.txannounce, 2);
	assert_int_equal(s.arp.learned, 0);
	assert_int_equal(fx->warns, 2);
	assert_state(fx, ADDR_A, ARPS_FREE, NULL);
}

static void
test_bad_sender(void **state)
{
	struct fx *fx = *state;
	const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	const uint32_t bad_ip[] = {
		0xe0000001u,  /* 224.0.0.1 */
		0xffffffffu,  /* limited broadcast */
		0x7f000001u,  /* loopback */
		0xc61200ffu,  /* our subnet's broadcast */
	};
	unsigned n = 0;

	at(fx, T0);
	/* Hardware addresses no neighbour can have. */
	arp_in_raw(fx, BCAST, MAC_C, ARP_OP_REQUEST, BCAST, ADDR_C, ZERO, ADDR_A);
	n++;
	arp_in_raw(fx, BCAST, MAC_C, ARP_OP_REQUEST, mcast, ADDR_C, ZERO, ADDR_A);
	n++;
	arp_in_raw(fx, BCAST, MAC_C, ARP_OP_REQUEST, ZERO, ADDR_C, ZERO, ADDR_A);
	n++;
	arp_in_raw(fx, BCAST, MAC_C, ARP_OP_REQUEST, MAC_A, ADDR_C, ZERO, ADDR_A);
	n++;
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	/* Protocol addresses no neighbour can have. */
	for (size_t i = 0; i < sizeof(bad_ip) / sizeof(bad_ip[0]); i++) {
		request_from(fx, MAC_C, bad_ip[i], ADDR_A);
		assert_state(fx, bad_ip[i], ARPS_FREE, NULL);
		n++;
	}
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.badaddr, n);
	assert_int_equal(stats(fx).arp.txreplies, 0);
	assert_int_equal(stats(fx).arp.learned, 0);
}

static void
test_malformed_frames(void **state)
{
	struct fx *fx = *state;
	uint8_t good[ETHER_MIN_LEN] = { 0 }, b[ETHER_MIN_LEN];
	struct ether_repr eh = { .type = 0x0806 };
	struct arp_repr r = { .op = ARP_OP_REQUEST, .spa = ADDR_C,
	    .tpa = ADDR_A };
	struct ws_stats s;
	unsigned frames = 0;

	at(fx, T0);
	memcpy(eh.dst, BCAST, 6);
	memcpy(eh.src, MAC_C, 6);
	memcpy(r.sha, MAC_C, 6);
	ether_wire_emit(&eh, good, sizeof(good));
	arp_wire_emit(&r, good + ETHER_HDR_LEN, sizeof(good) - ETHER_HDR_LEN);

#define FEED(len) (ws_stack_input(fx->st, fx->now, b, (len)), frames++)
#define RESET() memcpy(b, good, sizeof(b))
	/* Ethernet. */
	RESET();
	FEED(0);
	FEED(13);
	RESET();
	memcpy(b, MAC_D, 6);              /* another host's MAC */
	FEED(sizeof(b));
	b[0] = 0x01, b[1] = 0x00, b[2] = 0x5e;  /* a multicast group */
	FEED(sizeof(b));
	RESET();
	b[12] = 0x86, b[13] = 0xdd;       /* IPv6 */
	FEED(sizeof(b));
	b[12] = 0x00, b[13] = 0x2e;       /* 802.3 length */
	FEED(sizeof(b));
	RESET();
	b[6] |= 0x01;                     /* multicast source */
	FEED(sizeof(b));
	RESET();
	memcpy(b + 6, MAC_A, 6);          /* our own frame, looped back */
	FEED(sizeof(b));
	/* ARP. */
	RESET();
	FEED(ETHER_HDR_LEN + 27);         /* truncated, no padding */
	FEED(ETHER_HDR_LEN + 7);
	b[ETHER_HDR_LEN + 1] = 6;         /* htype 6 */
	FEED(sizeof(b));
	RESET();
	b[ETHER_HDR_LEN + 2] = 0x86;      /* ptype 0x86dd */
	b[ETHER_HDR_LEN + 3] = 0xdd;
	FEED(sizeof(b));
	RESET();
	b[ETHER_HDR_LEN + 4] = 8;         /* hlen 8 */
	FEED(sizeof(b));
	RESET();
	b[ETHER_HDR_LEN + 5] = 16;        /* plen 16 */
	FEED(sizeof(b));
	RESET();
	b[ETHER_HDR_LEN + 7] = 3;         /* RARP request */
	FEED(sizeof(b));
#undef FEED
#undef RESET

	assert_int_equal(drain(fx), 0);
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	s = stats(fx);
	assert_int_equal(s.ether.ipackets, frames);
	assert_int_equal(s.ether.tooshort, 2);
	assert_int_equal(s.ether.notforus, 2);
	assert_int_equal(s.ether.unknowntype, 2);
	assert_int_equal(s.ether.badsrc, 1);
	assert_int_equal(s.ether.ownsrc, 1);
	assert_int_equal(s.arp.rxtotal, 7);
	assert_int_equal(s.arp.badlen, 2);
	assert_int_equal(s.arp.badtype, 4);
	assert_int_equal(s.arp.badop, 1);
	assert_int_equal(s.arp.rxrequests, 0);
	assert_int_equal(s.arp.txreplies, 0);

	/* The unmodified frame still works. */
	ws_stack_input(fx->st, fx->now, good, sizeof(good));
	assert_int_equal(drain(fx), 1);
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);
}

/* ---- timers: expiry and refresh ---- */

static void
test_expiry_unused(void **state)
{
	struct fx *fx = *state;
	ws_time_t t1 = T0 + 2 * SEC;

	at(fx, t1);
	request_from(fx, MAC_C, ADDR_C, ADDR_A);  /* learned, never used */
	assert_int_equal(drain(fx), 1);
	assert_int_equal(arp_next_deadline(fx->st), t1 + 55 * SEC);
	step(fx);
	assert_int_equal(drain(fx), 0);           /* idle: no refresh */
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);
	assert_int_equal(arp_next_deadline(fx->st), t1 + 60 * SEC);
	at(fx, t1 + 60 * SEC - 1);
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);
	step(fx);
	assert_int_equal(drain(fx), 0);
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	assert_int_equal(stats(fx).arp.expired, 1);
	assert_int_equal(stats(fx).arp.refreshes, 0);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
}

static void
test_refresh_in_use(void **state)
{
	struct fx *fx = *state;
	ws_time_t t1;
	struct arp_repr r;

	at(fx, T0);
	t1 = resolve(fx, ADDR_B, MAC_B, 1);
	at(fx, t1 + 10 * SEC);
	assert_int_equal(ip_out(fx, ADDR_B, 2), 0);
	assert_int_equal(drain(fx), 1);
	/* 5 s before expiry: a unicast request to the MAC we have. */
	assert_int_equal(step(fx), t1 + 55 * SEC);
	assert_int_equal(drain(fx), 1);
	r = expect_arp(&fx->f[0], MAC_B, ARP_OP_REQUEST, ADDR_A, ADDR_B);
	assert_memory_equal(r.tha, ZERO, 6);
	assert_state(fx, ADDR_B, ARPS_REFRESH, MAC_B);
	assert_int_equal(stats(fx).arp.refreshes, 1);
	/* Traffic keeps flowing meanwhile. */
	at(fx, t1 + 55500 * MS);
	assert_int_equal(ip_out(fx, ADDR_B, 3), 0);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], MAC_B, 3);
	/* The answer renews the entry for 60 s. */
	reply_from(fx, MAC_B, ADDR_B);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	/* The retransmission deadline is stale now: a poll there is idle. */
	assert_int_equal(step(fx), t1 + 56 * SEC);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(arp_next_deadline(fx->st), t1 + 110500 * MS);
	/* Unused since: no refresh this time, and then it expires. */
	step(fx);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(step(fx), t1 + 115500 * MS);
	assert_state(fx, ADDR_B, ARPS_FREE, NULL);
	/* Never a broadcast after the first. */
	assert_int_equal(stats(fx).arp.txrequests, 2);
	assert_int_equal(stats(fx).arp.held, 1);
}

static void
test_refresh_unanswered(void **state)
{
	struct fx *fx = *state;
	ws_time_t t1;

	at(fx, T0);
	t1 = resolve(fx, ADDR_B, MAC_B, 1);  /* the held packet is use */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(step(fx), t1 + (55 + i) * SEC);
		assert_int_equal(drain(fx), 1);
		expect_arp(&fx->f[0], MAC_B, ARP_OP_REQUEST, ADDR_A, ADDR_B);
		assert_int_equal(ip_out(fx, ADDR_B, (uint8_t)(10 + i)), 0);
		assert_int_equal(drain(fx), 1);
		expect_ip(&fx->f[0], MAC_B, (uint8_t)(10 + i));
	}
	assert_int_equal(step(fx), t1 + 60 * SEC);
	assert_int_equal(drain(fx), 0);
	assert_state(fx, ADDR_B, ARPS_FREE, NULL);
	assert_int_equal(stats(fx).arp.refreshes, 3);
	assert_int_equal(stats(fx).arp.expired, 1);
	/* The next packet resolves afresh, by broadcast. */
	assert_int_equal(ip_out(fx, ADDR_B, 20), 0);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], ADDR_B);
}

/*
 * Negative advice from TCP (RFC 1122 4.2.3.5) through IP: the next hop's
 * entry is confirmed at once by unicast requests, traffic flowing; if
 * nobody answers within 3 s it is forgotten and the next packet resolves
 * it by broadcast.  Off-link destinations advise about the gateway.
 */
static void
test_negative_advice(void **state)
{
	struct fx *fx = *state;
	ws_time_t t1, t2;

	at(fx, T0);
	t1 = resolve(fx, ADDR_B, MAC_B, 1);
	at(fx, t1 + 10 * SEC);
	t2 = fx->now;
	ip4_negative_advice(fx->st, ADDR_B);
	stack_kick(fx->st);
	assert_int_equal(drain(fx), 1);
	expect_arp(&fx->f[0], MAC_B, ARP_OP_REQUEST, ADDR_A, ADDR_B);
	assert_state(fx, ADDR_B, ARPS_REFRESH, MAC_B);
	/* Again while it asks: nothing more. */
	ip4_negative_advice(fx->st, ADDR_B);
	stack_kick(fx->st);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(ip_out(fx, ADDR_B, 2), 0);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], MAC_B, 2);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(step(fx), t2 + (uint64_t)i * SEC);
		assert_int_equal(drain(fx), 1);
		expect_arp(&fx->f[0], MAC_B, ARP_OP_REQUEST, ADDR_A, ADDR_B);
	}
	assert_int_equal(step(fx), t2 + 3 * SEC);
	assert_state(fx, ADDR_B, ARPS_FREE, NULL);
	assert_int_equal(ip_out(fx, ADDR_B, 3), 0);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], ADDR_B);

	/* Through the gateway C, which answers: REACHABLE again. */
	fx->st->gateway = ADDR_C;
	request_from(fx, MAC_C, ADDR_C, ADDR_A); /* learned from its ask */
	assert_int_equal(drain(fx), 1);
	ip4_negative_advice(fx->st, 0x08080808u);
	stack_kick(fx->st);
	assert_int_equal(drain(fx), 1);
	expect_arp(&fx->f[0], MAC_C, ARP_OP_REQUEST, ADDR_A, ADDR_C);
	assert_state(fx, ADDR_C, ARPS_REFRESH, MAC_C);
	reply_from(fx, MAC_C, ADDR_C);
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);
}

/* Traffic that starts inside the refresh window triggers the refresh. */
static void
test_refresh_on_late_use(void **state)
{
	struct fx *fx = *state;
	ws_time_t t1 = T0 + SEC;

	at(fx, t1);
	request_from(fx, MAC_C, ADDR_C, ADDR_A);
	assert_int_equal(drain(fx), 1);
	assert_int_equal(step(fx), t1 + 55 * SEC);
	assert_int_equal(drain(fx), 0);
	at(fx, t1 + 57 * SEC);
	assert_int_equal(ip_out(fx, ADDR_C, 7), 0);
	assert_int_equal(drain(fx), 2);
	expect_arp(&fx->f[0], MAC_C, ARP_OP_REQUEST, ADDR_A, ADDR_C);
	expect_ip(&fx->f[1], MAC_C, 7);
	assert_state(fx, ADDR_C, ARPS_REFRESH, MAC_C);
	assert_int_equal(arp_next_deadline(fx->st), t1 + 58 * SEC);
	at(fx, t1 + 57500 * MS);
	request_from(fx, MAC_C, ADDR_C, ADDR_D);  /* any word from C will do */
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);
	assert_int_equal(arp_next_deadline(fx->st), t1 + 58 * SEC);
	/* That deadline is stale; polling at it must find nothing to do and
	 * move on, not report it again. */
	step(fx);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(arp_next_deadline(fx->st), t1 + 112500 * MS);
}

/* An entry that expired while no timer ran is not used. */
static void
test_expired_without_timer(void **state)
{
	struct fx *fx = *state;

	at(fx, T0);
	request_from(fx, MAC_C, ADDR_C, ADDR_A);
	assert_int_equal(drain(fx), 1);
	/* Jump past expiry without polling: the stack's now moves via input. */
	fx->now = T0 + 61 * SEC;
	arp_in_raw(fx, MAC_A, MAC_D, ARP_OP_REPLY, MAC_D, ADDR_D, MAC_A, ADDR_A);
	assert_int_equal(ip_out(fx, ADDR_C, 1), 0);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], ADDR_C);
	assert_int_equal(stats(fx).arp.expired, 1);
	assert_state(fx, ADDR_C, ARPS_INCOMPLETE, NULL);
}

/* ---- limits ---- */

static void
test_cache_full_evicts_lru(void **state)
{
	struct fx *fx = *state;
	const uint8_t *macs[4] = { MAC_B, MAC_C, MAC_D, MAC_E };
	const uint32_t addrs[4] = { ADDR_B, ADDR_C, ADDR_D, ADDR_E };

	at(fx, T0);
	for (int i = 0; i < 4; i++) {
		request_from(fx, macs[i], addrs[i], ADDR_A);
		at(fx, fx->now + MS);
	}
	assert_int_equal(drain(fx), 4);
	/* B is the oldest; using it makes C the least recently used. */
	assert_int_equal(ip_out(fx, ADDR_B, 1), 0);
	assert_int_equal(ip_out(fx, ADDR_F, 2), 0);
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	assert_state(fx, ADDR_F, ARPS_INCOMPLETE, NULL);
	assert_int_equal(ip_out(fx, ADDR_G, 3), 0);
	assert_state(fx, ADDR_D, ARPS_FREE, NULL);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	assert_state(fx, ADDR_E, ARPS_REACHABLE, MAC_E);
	assert_int_equal(stats(fx).arp.evicted, 2);
	assert_int_equal(stats(fx).arp.cachefull, 0);
	/* E now goes; then only B (used) and INCOMPLETE entries remain. */
	assert_int_equal(ip_out(fx, ADDR_C, 4), 0);
	assert_state(fx, ADDR_E, ARPS_FREE, NULL);
	assert_int_equal(ip_out(fx, ADDR_D, 5), 0);
	assert_state(fx, ADDR_B, ARPS_FREE, NULL);
	/* Four unresolved entries: nothing can be evicted. */
	assert_int_equal(ip_out(fx, ADDR_E, 6), WS_ENOMEM);
	assert_int_equal(stats(fx).arp.cachefull, 1);
	assert_int_equal(drain(fx), 5);  /* B's datagram, 4 requests */
	/* Input cannot displace entries being resolved either, but is
	 * still answered. */
	request_from(fx, MAC_E, ADDR_E, ADDR_A);
	assert_int_equal(drain(fx), 1);
	expect_arp(&fx->f[0], MAC_E, ARP_OP_REPLY, ADDR_A, ADDR_E);
	assert_state(fx, ADDR_E, ARPS_FREE, NULL);
	assert_int_equal(stats(fx).arp.cachefull, 2);
}

/* Requests from strangers cannot push out entries that carry traffic. */
static void
test_cache_full_input_keeps_used(void **state)
{
	struct fx *fx = *state;

	at(fx, T0);
	resolve(fx, ADDR_B, MAC_B, 1);
	request_from(fx, MAC_C, ADDR_C, ADDR_A);  /* learned, unused */
	assert_int_equal(drain(fx), 1);
	/* D displaces C, which carried nothing. */
	request_from(fx, MAC_D, ADDR_D, ADDR_A);
	assert_int_equal(drain(fx), 1);
	assert_state(fx, ADDR_C, ARPS_FREE, NULL);
	assert_state(fx, ADDR_D, ARPS_REACHABLE, MAC_D);
	assert_int_equal(ip_out(fx, ADDR_D, 2), 0);
	assert_int_equal(drain(fx), 1);
	/* Both in use now: E is answered but not cached. */
	request_from(fx, MAC_E, ADDR_E, ADDR_A);
	assert_int_equal(drain(fx), 1);
	assert_state(fx, ADDR_E, ARPS_FREE, NULL);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	assert_state(fx, ADDR_D, ARPS_REACHABLE, MAC_D);
	assert_int_equal(stats(fx).arp.evicted, 1);
	assert_int_equal(stats(fx).arp.cachefull, 1);
	assert_int_equal(stats(fx).arp.txreplies, 3);
}

/* Many neighbours through the hash table, default size. */
static void
test_many_neighbours(void **state)
{
	struct fx *fx = *state;
	uint8_t mac[6] = { 0x02, 0x10, 0, 0, 0, 0 };

	at(fx, T0);
	/* 200 hosts in 198.19.0.0/24 (off our /24: still cached). */
	for (uint32_t i = 1; i <= 200; i++) {
		mac[5] = (uint8_t)i;
		request_from(fx, mac, 0xc6130000u | i, ADDR_A);
	}
	assert_int_equal(drain(fx), 64);  /* the capture holds 64 */
	for (uint32_t i = 1; i <= 200; i++) {
		mac[5] = (uint8_t)i;
		assert_state(fx, 0xc6130000u | i, ARPS_REACHABLE, mac);
	}
	assert_state(fx, 0xc6130000u | 201, ARPS_FREE, NULL);
	assert_int_equal(stats(fx).arp.learned, 200);
	assert_int_equal(stats(fx).arp.evicted, 0);
	/* All expire together, in one timer run. */
	at(fx, T0 + 61 * SEC);
	assert_state(fx, 0xc6130000u | 1, ARPS_FREE, NULL);
	assert_int_equal(stats(fx).arp.expired, 200);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
}

static void
test_failed_revived_by_arp(void **state)
{
	struct fx *fx = *state;

	at(fx, T0);
	assert_int_equal(ip_out(fx, ADDR_B, 1), 0);
	for (int i = 0; i < 5; i++)
		step(fx);
	assert_state(fx, ADDR_B, ARPS_FAILED, NULL);
	drain(fx);
	/* B shows up and announces itself: merge revives the entry. */
	request_from(fx, MAC_B, ADDR_B, ADDR_B);
	assert_state(fx, ADDR_B, ARPS_REACHABLE, MAC_B);
	assert_int_equal(ip_out(fx, ADDR_B, 2), 0);
	assert_int_equal(drain(fx), 1);
	expect_ip(&fx->f[0], MAC_B, 2);
}

static void
test_special_nexthops(void **state)
{
	struct fx *fx = *state;
	const uint8_t mdns[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	const uint8_t ssdp[6] = { 0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa };

	at(fx, T0);
	assert_int_equal(ip_out(fx, 0xffffffffu, 1), 0);
	assert_int_equal(ip_out(fx, 0xc61200ffu, 2), 0);  /* 198.18.0.255 */
	assert_int_equal(ip_out(fx, 0xe00000fbu, 3), 0);  /* 224.0.0.251 */
	assert_int_equal(ip_out(fx, 0xeffffffau, 4), 0);  /* 239.255.255.250 */
	assert_int_equal(drain(fx), 4);
	expect_ip(&fx->f[0], BCAST, 1);
	expect_ip(&fx->f[1], BCAST, 2);
	expect_ip(&fx->f[2], mdns, 3);
	expect_ip(&fx->f[3], ssdp, 4);
	assert_int_equal(ip_out(fx, 0, 5), WS_EINVAL);
	assert_int_equal(ip_out(fx, ADDR_A, 6), WS_EINVAL);
	assert_int_equal(ip_out(fx, 0x7f000001u, 7), WS_EINVAL);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.badnexthop, 3);
	assert_int_equal(stats(fx).arp.txrequests, 0);
	assert_int_equal(arp_next_deadline(fx->st), WS_TIME_NEVER);
}

/* No headroom for the Ethernet header: dropped and counted. */
static void
test_ether_output_no_headroom(void **state)
{
	struct fx *fx = *state;
	struct pkt *p;

	at(fx, T0);
	p = pkt_alloc(fx->st, 20);
	assert_non_null(p);
	pkt_push(p, pkt_headroom(p) - 4);
	assert_int_equal(ether_output(fx->st, p, BCAST, 0x0800), WS_ENOBUFS);
	assert_int_equal(stats(fx).ether.odropped, 1);
	assert_int_equal(stats(fx).ether.opackets, 0);
	stack_kick(fx->st);
	assert_int_equal(drain(fx), 0);
}

/* No memory for a reply or request: counted, and the state machine
 * carries on (the request is retried by the timer). */
static void
test_nomem_on_send(void **state)
{
	struct fx *fx = *state;
	struct pkt *p;

	at(fx, T0);
	/* The packet pool is empty: the next pkt_alloc calls the allocator. */
	fx->alloc.fail_after = fx->alloc.total + 1;
	request_from(fx, MAC_C, ADDR_C, ADDR_A);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.nomem, 1);
	assert_int_equal(stats(fx).arp.txreplies, 0);
	assert_state(fx, ADDR_C, ARPS_REACHABLE, MAC_C);  /* still learned */

	fx->alloc.fail_after = 0;
	p = pkt_alloc(fx->st, 20);
	assert_non_null(p);
	memset(p->data, 0, 20);
	fx->alloc.fail_after = fx->alloc.total + 1;
	assert_int_equal(arp_output(fx->st, p, ADDR_B), 0);  /* held */
	stack_kick(fx->st);
	assert_int_equal(drain(fx), 0);
	assert_int_equal(stats(fx).arp.nomem, 2);
	assert_int_equal(stats(fx).arp.txrequests, 0);
	assert_state(fx, ADDR_B, ARPS_INCOMPLETE, NULL);
	fx->alloc.fail_after = 0;
	assert_int_equal(step(fx), T0 + SEC);
	assert_int_equal(drain(fx), 1);
	expect_request(&fx->f[0], ADDR_B);
	reply_from(fx, MAC_B, ADDR_B);
	assert_int_equal(drain(fx), 1);
	assert_int_equal(fx->f[0].len, ETHER_HDR_LEN + 20);
}

/* Allocation failures inside arp_attach fail ws_stack_new cleanly. */
static void
test_attach_nomem(void **state)
{
	struct ws_link *la, *lb;
	struct ws_stack_config cfg;
	struct ws_allocator al;
	struct wt_alloc a;
	struct ws_stack *st;

	(void)state;
	assert_int_equal(ws_link_mem_pair(&la, &lb, NULL), 0);
	/* Allocation 1 is the stack; 2..4 are the resolver's. */
	for (size_t n = 2; n <= 4; n++) {
		wt_alloc_init(&a, &al);
		a.fail_after = n;
		ws_stack_config_init(&cfg);
		cfg.link = la;
		cfg.addr = ADDR_A;
		cfg.prefix_len = 24;
		cfg.allocator = &al;
		cfg.seed = 1;
		assert_int_equal(ws_stack_new(&st, &cfg, T0), WS_ENOMEM);
		assert_null(st);
		assert_int_equal(a.live, 0);
	}
	ws_link_close(la);
	ws_link_close(lb);
}

int
main(void)
{
#define T(name, s) cmocka_unit_test_setup_teardown(name, s, teardown)
	const struct CMUnitTest tests[] = {
		T(test_announce_at_start, setup_announce),
		T(test_no_announce, setup),
		T(test_medium_ip, setup_ip),
		T(test_request_backoff_and_failure, setup),
		T(test_hold_bound_and_release_order, setup_hold4),
		T(test_hold_total_bound, setup_hold4_total6),
		T(test_detach_frees_held, setup),
		T(test_unsolicited_reply_creates_nothing, setup),
		T(test_request_for_other_ignored, setup),
		T(test_merge_updates_existing, setup),
		T(test_reply_to_request_for_us, setup),
		T(test_probe, setup),
		T(test_dupip, setup),
		T(test_bad_sender, setup),
		T(test_malformed_frames, setup),
		T(test_expiry_unused, setup),
		T(test_refresh_in_use, setup),
		T(test_refresh_unanswered, setup),
		T(test_negative_advice, setup),
		T(test_refresh_on_late_use, setup),
		T(test_expired_without_timer, setup),
		T(test_cache_full_evicts_lru, setup_small),
		T(test_cache_full_input_keeps_used, setup_tiny),
		T(test_many_neighbours, setup),
		T(test_failed_revived_by_arp, setup),
		T(test_special_nexthops, setup),
		T(test_ether_output_no_headroom, setup),
		T(test_nomem_on_send, setup),
		cmocka_unit_test(test_attach_nomem),
	};
#undef T

	return cmocka_run_group_tests_name("arp_cache", tests, NULL, NULL);
}

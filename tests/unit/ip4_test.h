/*
 * Shared by the IPv4/ICMP unit tests: one stack on one end of a mem pair
 * (medium IP: frames are bare datagrams, no ARP), frames injected with
 * ws_stack_input() and its output read back from the other end, plus
 * builders for datagrams and ICMP messages.
 */
#ifndef WS_TESTS_IP4_TEST_H
#define WS_TESTS_IP4_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/wirestack.h>

#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "ipv4/ip4_wire.h"
#include "tests/lib/harness.h"

#define FX_ADDR WT_ADDR_A          /* the stack under test, 198.18.0.1/24 */
#define FX_PEER WT_ADDR_B          /* an on-link peer, 198.18.0.2 */
#define FX_FAR 0xc6130001u         /* 198.19.0.1: off-link */
#define FX_MAXFRAMES 256

struct fx_frame {
	size_t len;
	uint8_t *data;
};

struct fx {
	struct ws_link *la, *lb;   /* stack's end, wire end */
	struct ws_stack *st;
	struct wt_alloc alloc;
	struct ws_allocator allocator;
	ws_time_t now;
	struct fx_frame out[FX_MAXFRAMES]; /* frames the stack sent */
	size_t nout;
};

static inline void
fx_clear(struct fx *f)
{
	for (size_t i = 0; i < f->nout; i++)
		free(f->out[i].data);
	f->nout = 0;
}

static inline void
fx_rx(void *arg, const uint8_t *frame, size_t len)
{
	struct fx *f = arg;
	struct fx_frame *o;

	assert_true(f->nout < FX_MAXFRAMES);
	o = &f->out[f->nout++];
	o->data = malloc(len > 0 ? len : 1);
	assert_non_null(o->data);
	memcpy(o->data, frame, len);
	o->len = len;
}

/* Move everything the stack has sent into f->out (appending). */
static inline size_t
fx_collect(struct fx *f)
{
	size_t before = f->nout;

	while (ws_link_recv(f->lb, WS_TIME_NEVER - 1, fx_rx, f, 64) > 0)
		;
	return f->nout - before;
}

static inline int
fx_setup_cfg(struct fx *f, void (*tune)(struct ws_stack_config *),
    enum ws_medium medium)
{
	struct ws_link_mem_config mc = { .medium = medium };
	struct ws_stack_config cfg;
	int error;

	memset(f, 0, sizeof(*f));
	f->now = 1000000;
	error = ws_link_mem_pair(&f->la, &f->lb, &mc);
	if (error != 0)
		return error;
	wt_alloc_init(&f->alloc, &f->allocator);
	ws_stack_config_init(&cfg);
	cfg.link = f->la;
	cfg.addr = FX_ADDR;
	cfg.prefix_len = 24;
	cfg.allocator = &f->allocator;
	cfg.seed = 42;
	cfg.no_announce = true;
	if (tune != NULL)
		tune(&cfg);
	return ws_stack_new(&f->st, &cfg, f->now);
}

static inline int
fx_setup(struct fx *f, void (*tune)(struct ws_stack_config *))
{
	return fx_setup_cfg(f, tune, WS_MEDIUM_IP);
}

/* Free everything; fails the test on a leak. */
static inline void
fx_teardown(struct fx *f)
{
	fx_clear(f);
	ws_stack_free(f->st);
	ws_link_close(f->la);
	ws_link_close(f->lb);
	assert_int_equal(f->alloc.live, 0);
}

static inline void
fx_input(struct fx *f, const uint8_t *frame, size_t len)
{
	ws_stack_input(f->st, f->now, frame, len);
	fx_collect(f);
}

/* Advance virtual time, run timers, collect output. */
static inline void
fx_advance(struct fx *f, uint64_t us)
{
	f->now += us;
	ws_stack_poll(f->st, f->now);
	fx_collect(f);
}

/* After calling an internal output function outside an entry point. */
static inline void
fx_flush(struct fx *f)
{
	stack_flush(f->st);
	fx_collect(f);
}

/*
 * Blocks allocated by the stack, less the packet buffers it keeps on its
 * free list for reuse (the list grows with the largest burst seen).
 */
static inline size_t
fx_live(const struct fx *f)
{
	return f->alloc.live - f->st->pool_count;
}

static inline struct ws_stats
fx_stats(const struct fx *f)
{
	struct ws_stats s;

	ws_stack_stats(f->st, &s);
	return s;
}

/*
 * Build a datagram into buf (room for 20 + optlen + plen): header fields
 * as given, options copied, payload appended.  Returns its length.
 */
static inline size_t
mk_ip_opts(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto,
    uint16_t id, uint16_t frag, const uint8_t *opts, size_t optlen,
    const uint8_t *payload, size_t plen)
{
	struct ip4_hdr h;

	memset(&h, 0, sizeof(h));
	h.hlen = (uint8_t)(IP4_HDR_MIN + optlen);
	h.total_len = (uint16_t)(h.hlen + plen);
	h.id = id;
	h.frag = frag;
	h.ttl = 64;
	h.proto = proto;
	h.src = src;
	h.dst = dst;
	h.opts = optlen > 0 ? opts : NULL;
	assert_int_equal(ip4_hdr_emit(&h, buf, h.hlen), h.hlen);
	if (plen > 0)
		memcpy(buf + h.hlen, payload, plen);
	return h.hlen + plen;
}

static inline size_t
mk_ip(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id,
    uint16_t frag, const uint8_t *payload, size_t plen)
{
	return mk_ip_opts(buf, src, dst, proto, id, frag, NULL, 0, payload,
	    plen);
}

/* An ICMP message (8-byte header + data) into buf; returns its length. */
static inline size_t
mk_icmp(uint8_t *buf, uint8_t type, uint8_t code, uint32_t rest,
    const uint8_t *data, size_t len)
{
	struct icmp4_hdr ih = { .type = type, .code = code, .rest = rest };

	if (len > 0)
		memcpy(buf + ICMP4_HDR_LEN, data, len);
	assert_int_equal(icmp4_hdr_emit(&ih, buf, ICMP4_HDR_LEN + len), 0);
	return ICMP4_HDR_LEN + len;
}

/* Deterministic test bytes: pattern depends on seq and index. */
static inline void
fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

#endif /* WS_TESTS_IP4_TEST_H */

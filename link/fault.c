/*
 * A device that wraps another and injects seeded faults in both
 * directions: drop, duplicate, reorder and corrupt (after smoltcp's
 * phy/fault_injector.rs, which does drop and corrupt only).
 *
 * Each direction has its own xoshiro256** stream seeded from cfg->seed
 * through splitmix64, and every frame draws the same number of values
 * whatever happens to it, so the same seed and the same traffic give the
 * same faults, and changing one probability does not reshuffle the others.
 * CE marking (RFC 3168 5, what an AQM router does instead of dropping)
 * draws from a third stream of its own, so that turning it on leaves
 * the other faults of a seed exactly where they were.
 *
 * Reordering holds one frame back (a copy) until the next frame has
 * passed in the same direction, or until reorder_max_us have passed, so a
 * held frame is never stranded when traffic stops.  Frames received from
 * the inner device are borrowed, so anything the wrapper delivers later
 * (a held frame, or deliveries beyond the caller's `max`) is copied onto a
 * small FIFO and delivered first on the next recv().
 *
 * On failure ws_link_fault_wrap() leaves `inner` with the caller.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/cksum.h"
#include "core/stack_var.h"
#include "link/link_var.h"

#define FAULT_REORDER_MAX_US 5000
#define ETHER_HDR_LEN 14

enum { DIR_TX = 0, DIR_RX = 1 };

struct fault_frame {
	struct fault_frame *next;
	size_t len;
	uint8_t data[];
};

struct fault_dir {
	uint64_t rng[4];           /* xoshiro256** state */
	uint64_t ce_rng[4];        /* the CE marks' own stream */
	struct fault_frame *held;  /* reordered frame, or NULL */
	ws_time_t held_until;      /* release it by then at the latest */
	/*
	 * Corrupted copy of the current frame.  One per direction: the
	 * stack may send (and so corrupt) from inside the receive callback
	 * while the received copy is still being read.
	 */
	uint8_t *scratch;
	size_t scratch_cap;
};

struct fault_link {
	struct ws_link link;       /* must be first */
	struct ws_link *inner;     /* owned */
	struct ws_fault_config cfg;
	struct fault_dir dir[2];
	/* Received frames waiting for the next recv() (FIFO). */
	struct fault_frame *rxq_first, *rxq_last;
	uint64_t nomem_drops;      /* frames we failed to copy */
};

/* What happens to one frame; decided up front from fixed draws. */
struct fault_verdict {
	bool drop, duplicate, reorder, corrupt, ce;
	uint32_t corrupt_pos;      /* random, reduced modulo the range */
	uint8_t corrupt_xor;       /* never 0, so the byte really changes */
};

static struct fault_link *
to_fault(struct ws_link *l)
{
	return (struct fault_link *)l;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
xoshiro_next(uint64_t s[4])
{
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* True with probability p: the top 53 bits as a double in [0, 1). */
static bool
chance(uint64_t s[4], double p)
{
	double u = (double)(xoshiro_next(s) >> 11) * 0x1.0p-53;

	return u < p;
}

static struct fault_verdict
fault_decide(struct fault_link *f, int dir)
{
	uint64_t *s = f->dir[dir].rng;
	struct fault_verdict v;
	uint64_t r;

	v.drop = chance(s, f->cfg.drop);
	v.duplicate = chance(s, f->cfg.duplicate);
	v.reorder = chance(s, f->cfg.reorder);
	v.corrupt = chance(s, f->cfg.corrupt);
	r = xoshiro_next(s);
	v.corrupt_pos = (uint32_t)(r >> 32);
	v.corrupt_xor = (uint8_t)(1 + (r & 0xffff) % 255);
	v.ce = chance(f->dir[dir].ce_rng, f->cfg.ce);
	return v;
}

/* A copy of the frame in the direction's scratch buffer (or frame). */
static uint8_t *
fault_scratch(struct fault_dir *d, const uint8_t *frame, size_t len)
{
	if (frame == d->scratch)
		return d->scratch; /* already a copy (corrupted) */
	if (d->scratch_cap < len) {
		uint8_t *n = realloc(d->scratch, len);

		if (n == NULL)
			return NULL;
		d->scratch = n;
		d->scratch_cap = len;
	}
	memcpy(d->scratch, frame, len);
	return d->scratch;
}

/*
 * Mark an ECN-capable IPv4 packet CE (RFC 3168 5: ECT(0) or ECT(1)
 * becomes 11), as a congested router would, and fix the header checksum
 * (RFC 1624).  Not-ECT packets pass unchanged: a router must drop those,
 * and --loss already does.  Returns the frame to pass on.
 */
static const uint8_t *
fault_ce(struct fault_link *f, int dir, const uint8_t *frame, size_t len)
{
	size_t off = 0;
	uint8_t *c;
	uint16_t oldw, neww, sum;

	if (f->link.medium == WS_MEDIUM_ETHERNET) {
		if (len < ETHER_HDR_LEN || frame[12] != 0x08 ||
		    frame[13] != 0x00)
			return frame;
		off = ETHER_HDR_LEN;
	}
	if (len < off + 20 || (frame[off] >> 4) != 4 ||
	    (frame[off + 1] & 0x03) == 0 || (frame[off + 1] & 0x03) == 0x03)
		return frame;
	if ((c = fault_scratch(&f->dir[dir], frame, len)) == NULL)
		return frame;
	oldw = (uint16_t)(c[off] << 8 | c[off + 1]);
	c[off + 1] |= 0x03;
	neww = (uint16_t)(c[off] << 8 | c[off + 1]);
	sum = cksum_update16((uint16_t)(c[off + 10] << 8 | c[off + 11]),
	    oldw, neww);
	c[off + 10] = (uint8_t)(sum >> 8);
	c[off + 11] = (uint8_t)sum;
	f->link.stats.fault_ce++;
	return c;
}

static struct fault_frame *
frame_copy(const uint8_t *data, size_t len)
{
	struct fault_frame *fr = malloc(sizeof(*fr) + len);

	if (fr == NULL)
		return NULL;
	fr->next = NULL;
	fr->len = len;
	memcpy(fr->data, data, len);
	return fr;
}

/*
 * Flip one byte of a copy of the frame.  On Ethernet the byte is taken
 * past the link header when there is anything past it, so that the IPv4
 * or TCP checksum is what catches it (a flipped MAC would only be a
 * "not for us" drop, which tests nothing).  Returns the copy, or the
 * original frame when no memory is left for a copy.
 */
static const uint8_t *
fault_corrupt(struct fault_link *f, int dir, const struct fault_verdict *v,
    const uint8_t *frame, size_t len)
{
	size_t start = 0;
	uint8_t *c;

	if (len == 0 || (c = fault_scratch(&f->dir[dir], frame, len)) == NULL)
		return frame;
	if (f->link.medium == WS_MEDIUM_ETHERNET && len > ETHER_HDR_LEN)
		start = ETHER_HDR_LEN;
	c[start + v->corrupt_pos % (len - start)] ^= v->corrupt_xor;
	f->link.stats.fault_corrupted++;
	return c;
}

/* ---- transmit direction ---- */

static int
tx_out(struct fault_link *f, ws_time_t now, const uint8_t *frame, size_t len)
{
	return ws_link_send(f->inner, now, frame, len);
}

/* Send the held frame, if any.  Errors count on the wrapper. */
static void
tx_release(struct fault_link *f, ws_time_t now)
{
	struct fault_frame *fr = f->dir[DIR_TX].held;

	if (fr == NULL)
		return;
	f->dir[DIR_TX].held = NULL;
	if (tx_out(f, now, fr->data, fr->len) != 0)
		f->link.stats.tx_errors++;
	free(fr);
}

static void
tx_release_due(struct fault_link *f, ws_time_t now)
{
	if (f->dir[DIR_TX].held != NULL && now >= f->dir[DIR_TX].held_until)
		tx_release(f, now);
}

static int
fault_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct fault_link *f = to_fault(l);
	struct fault_dir *d = &f->dir[DIR_TX];
	struct fault_verdict v;
	int error;

	tx_release_due(f, now);
	/* An oversized frame is the caller's bug, not a fault: refuse it. */
	if (len > l->mtu + (l->medium == WS_MEDIUM_ETHERNET ? ETHER_HDR_LEN : 0))
		return WS_EMSGSIZE;
	l->stats.tx_frames++;
	l->stats.tx_bytes += len;
	v = fault_decide(f, DIR_TX);
	if (v.drop) {
		l->stats.fault_dropped++;
		return 0;
	}
	if (v.ce)
		frame = fault_ce(f, DIR_TX, frame, len);
	if (v.corrupt)
		frame = fault_corrupt(f, DIR_TX, &v, frame, len);
	if (v.reorder && d->held == NULL) {
		struct fault_frame *fr = frame_copy(frame, len);

		if (fr != NULL) {
			d->held = fr;
			d->held_until = ws_time_add_us(now, f->cfg.reorder_max_us);
			l->stats.fault_reordered++;
			return 0;
		}
		/* No memory to hold it: send it in order. */
	}
	error = tx_out(f, now, frame, len);
	if (error == 0 && v.duplicate) {
		l->stats.fault_duplicated++;
		if (tx_out(f, now, frame, len) != 0)
			l->stats.tx_errors++;
	}
	/* The frame after the held one has passed: release the held one. */
	tx_release(f, now);
	return error;
}

/* ---- receive direction ---- */

struct rx_ctx {
	struct fault_link *f;
	ws_time_t now;
	ws_link_rx_fn fn;
	void *arg;
	unsigned max;
	unsigned delivered;
};

static void
rxq_push(struct fault_link *f, struct fault_frame *fr)
{
	fr->next = NULL;
	if (f->rxq_last != NULL)
		f->rxq_last->next = fr;
	else
		f->rxq_first = fr;
	f->rxq_last = fr;
}

static struct fault_frame *
rxq_pop(struct fault_link *f)
{
	struct fault_frame *fr = f->rxq_first;

	if (fr != NULL) {
		f->rxq_first = fr->next;
		if (f->rxq_first == NULL)
			f->rxq_last = NULL;
	}
	return fr;
}

static void
rx_deliver(struct rx_ctx *c, const uint8_t *frame, size_t len)
{
	c->f->link.stats.rx_frames++;
	c->f->link.stats.rx_bytes += len;
	c->delivered++;
	c->fn(c->arg, frame, len);
}

/*
 * Hand a frame up now if the caller still takes frames and nothing is
 * queued ahead of it; otherwise keep a copy for the next recv().
 */
static void
rx_emit(struct rx_ctx *c, const uint8_t *frame, size_t len)
{
	struct fault_frame *fr;

	if (c->delivered < c->max && c->f->rxq_first == NULL) {
		rx_deliver(c, frame, len);
		return;
	}
	if ((fr = frame_copy(frame, len)) == NULL) {
		c->f->nomem_drops++;
		return;
	}
	rxq_push(c->f, fr);
}

/* Move the held frame to the delivery path. */
static void
rx_release(struct rx_ctx *c)
{
	struct fault_frame *fr = c->f->dir[DIR_RX].held;

	if (fr == NULL)
		return;
	c->f->dir[DIR_RX].held = NULL;
	if (c->delivered < c->max && c->f->rxq_first == NULL) {
		rx_deliver(c, fr->data, fr->len);
		free(fr);
	} else {
		rxq_push(c->f, fr);
	}
}

static void
rx_cb(void *arg, const uint8_t *frame, size_t len)
{
	struct rx_ctx *c = arg;
	struct fault_link *f = c->f;
	struct fault_dir *d = &f->dir[DIR_RX];
	struct fault_verdict v = fault_decide(f, DIR_RX);

	if (v.drop) {
		f->link.stats.fault_dropped++;
		return;
	}
	if (v.ce)
		frame = fault_ce(f, DIR_RX, frame, len);
	if (v.corrupt)
		frame = fault_corrupt(f, DIR_RX, &v, frame, len);
	if (v.reorder && d->held == NULL) {
		struct fault_frame *fr = frame_copy(frame, len);

		if (fr != NULL) {
			d->held = fr;
			d->held_until = ws_time_add_us(c->now,
			    f->cfg.reorder_max_us);
			f->link.stats.fault_reordered++;
			return;
		}
	}
	rx_emit(c, frame, len);
	if (v.duplicate) {
		f->link.stats.fault_duplicated++;
		rx_emit(c, frame, len);
	}
	rx_release(c);
}

static int
fault_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct fault_link *f = to_fault(l);
	struct rx_ctx c = { f, now, fn, arg, max, 0 };
	struct fault_frame *fr;
	int n = 0;

	tx_release_due(f, now);
	/* Frames left over from the last call go first, in order. */
	while (c.delivered < max && (fr = rxq_pop(f)) != NULL) {
		rx_deliver(&c, fr->data, fr->len);
		free(fr);
	}
	if (f->dir[DIR_RX].held != NULL && now >= f->dir[DIR_RX].held_until)
		rx_release(&c);
	/*
	 * One inner frame can turn into up to three deliveries (itself, a
	 * duplicate, a released frame); rx_emit() queues what exceeds max.
	 */
	while (c.delivered < max && f->rxq_first == NULL) {
		n = ws_link_recv(f->inner, now, rx_cb, &c, max - c.delivered);
		if (n <= 0)
			break;
	}
	l->stats.rx_dropped = f->inner->stats.rx_dropped + f->nomem_drops;
	if (n < 0 && c.delivered == 0)
		return n;
	return (int)c.delivered;
}

static int
fault_fd(struct ws_link *l)
{
	return ws_link_fd(to_fault(l)->inner);
}

static ws_time_t
fault_next_deadline(struct ws_link *l)
{
	struct fault_link *f = to_fault(l);
	ws_time_t t = ws_link_next_deadline(f->inner);

	/* Queued frames are due now: any time in the past will do. */
	if (f->rxq_first != NULL)
		return 0;
	for (int i = 0; i < 2; i++)
		if (f->dir[i].held != NULL)
			t = ws_time_min(t, f->dir[i].held_until);
	return t;
}

static void
fault_close(struct ws_link *l)
{
	struct fault_link *f = to_fault(l);
	struct fault_frame *fr;

	while ((fr = rxq_pop(f)) != NULL)
		free(fr);
	for (int i = 0; i < 2; i++) {
		free(f->dir[i].held);
		free(f->dir[i].scratch);
	}
	ws_link_close(f->inner);
	free(f);
}

static const struct ws_link_ops fault_ops = {
	.kind = "fault",
	.recv = fault_recv,
	.send = fault_send,
	.send_batch = link_gso_send_batch,
	.fd = fault_fd,
	.next_deadline = fault_next_deadline,
	.close = fault_close,
};

static bool
prob_ok(double p)
{
	/* Written so that NaN fails too. */
	return p >= 0.0 && p <= 1.0;
}

WS_EXPORT int
ws_link_fault_wrap(struct ws_link **out, struct ws_link *inner,
    const struct ws_fault_config *cfg)
{
	struct fault_link *f;
	uint64_t seed;

	*out = NULL;
	if (inner == NULL)
		return WS_EINVAL;
	if (cfg != NULL && (!prob_ok(cfg->drop) || !prob_ok(cfg->duplicate) ||
	    !prob_ok(cfg->reorder) || !prob_ok(cfg->corrupt) ||
	    !prob_ok(cfg->ce)))
		return WS_EINVAL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return WS_ENOMEM;
	if (cfg != NULL)
		f->cfg = *cfg;
	if (f->cfg.reorder_max_us == 0)
		f->cfg.reorder_max_us = FAULT_REORDER_MAX_US;
	/* Two independent streams: the transmit one first. */
	seed = f->cfg.seed;
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < 4; i++)
			f->dir[d].rng[i] = splitmix64(&seed);
	/* Then the CE streams, so the first two stay what they were. */
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < 4; i++)
			f->dir[d].ce_rng[i] = splitmix64(&seed);
	f->inner = inner;
	f->link.ops = &fault_ops;
	f->link.medium = inner->medium;
	memcpy(f->link.hwaddr, inner->hwaddr, sizeof(f->link.hwaddr));
	f->link.mtu = inner->mtu;
	/*
	 * Offload passes through, but the wrapper cuts super-segments
	 * itself (link_gso_send_batch) so that faults hit frames as they
	 * would be on the wire.
	 */
	f->link.gso_max = inner->gso_max;
	memcpy(f->link.name, inner->name, sizeof(f->link.name));
	*out = &f->link;
	return 0;
}

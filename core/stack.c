/*
 * The stack object: construction, the entry points that take `now`, the
 * output queue, and the small services every layer shares (allocation,
 * randomness, logging).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <wirestack/err.h>
#include <wirestack/stack.h>

#include "arp/arp_var.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "link/link_var.h"
#include "tcp/tcp_var.h"

/* Frames read per ws_stack_poll() before timers and output get their turn. */
#define POLL_BUDGET 256
/* Flush the output queue early once this many frames wait. */
#define TXQ_FLUSH_AT 64

static void *
default_malloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void
default_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

void *
ws_malloc(struct ws_stack *st, size_t size)
{
	return st->alloc.malloc(st->alloc.ctx, size);
}

void *
ws_calloc(struct ws_stack *st, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	p = ws_malloc(st, n * size);
	if (p != NULL)
		memset(p, 0, n * size);
	return p;
}

void
ws_free(struct ws_stack *st, void *ptr)
{
	if (ptr != NULL)
		st->alloc.free(st->alloc.ctx, ptr);
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

uint64_t
ws_random64(struct ws_stack *st)
{
	uint64_t *s = st->rng;
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

uint32_t
ws_random32(struct ws_stack *st)
{
	return (uint32_t)(ws_random64(st) >> 32);
}

uint32_t
ws_random_uniform(struct ws_stack *st, uint32_t n)
{
	/* Lemire's multiply-shift; the bias for n << 2^32 is negligible. */
	if (n == 0)
		return 0;
	return (uint32_t)(((uint64_t)ws_random32(st) * n) >> 32);
}

void
ws_random_bytes(struct ws_stack *st, void *buf, size_t len)
{
	uint8_t *b = buf;

	if (st->cfg.seed == 0) {
		while (len > 0) {
			ssize_t n = getrandom(b, len, 0);

			if (n <= 0)
				break;
			b += n;
			len -= (size_t)n;
		}
		if (len == 0)
			return;
		/* getrandom failing is not expected; fall through to the PRNG. */
	}
	while (len > 0) {
		uint64_t r = ws_random64(st);
		size_t n = len < sizeof(r) ? len : sizeof(r);

		memcpy(b, &r, n);
		b += n;
		len -= n;
	}
}

void
ws_log(struct ws_stack *st, enum ws_log_level level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (st->cfg.log == NULL || level > st->cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->cfg.log(st->cfg.log_ctx, level, msg);
}

WS_EXPORT void
ws_stack_config_init(struct ws_stack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = WS_LOG_WARN;
}

static void
resolve_defaults(struct ws_stack_config *c)
{
#define DEFAULT(field, value) \
	do { \
		if (c->field == 0) \
			c->field = (value); \
	} while (0)
	DEFAULT(arp_entries, 256);
	/*
	 * As Linux's unres_qlen (~100 packets): a server's first burst of
	 * SYN,ACKs to a client not yet resolved must not lose all but a
	 * few and wait out a retransmission timer.
	 */
	DEFAULT(arp_hold, 128);
	DEFAULT(arp_hold_total, 1024);
	DEFAULT(reass_datagrams, 64);
	DEFAULT(reass_bytes, 1024 * 1024);
	DEFAULT(reass_timeout_ms, 30000);
	DEFAULT(icmp_rate, 1000);
	DEFAULT(tcp_max_conns, 65536);
	DEFAULT(tcp_msl_ms, 30000);
	DEFAULT(tcp_sndbuf, 262144);
	DEFAULT(tcp_rcvbuf, 262144);
	DEFAULT(tcp_syn_backlog, 256);
	DEFAULT(tcp_mem_max, 256u * 1024 * 1024);
	DEFAULT(tcp_max_orphans, 4096);
	DEFAULT(tcp_orphan_retries, 8);
#undef DEFAULT
}

WS_EXPORT int
ws_stack_new(struct ws_stack **out, const struct ws_stack_config *cfg,
    ws_time_t now)
{
	struct ws_stack *st;
	struct ws_allocator alloc = { default_malloc, default_free, NULL };
	uint64_t seed;
	int error;

	*out = NULL;
	if (cfg == NULL || cfg->link == NULL || cfg->prefix_len > 32)
		return WS_EINVAL;
	if (cfg->allocator != NULL) {
		if (cfg->allocator->malloc == NULL || cfg->allocator->free == NULL)
			return WS_EINVAL;
		alloc = *cfg->allocator;
	}
	st = alloc.malloc(alloc.ctx, sizeof(*st));
	if (st == NULL)
		return WS_ENOMEM;
	memset(st, 0, sizeof(*st));
	st->alloc = alloc;
	st->cfg = *cfg;
	resolve_defaults(&st->cfg);
	st->link = cfg->link;
	st->now = now;
	st->addr = cfg->addr;
	st->netmask = cfg->prefix_len == 0 ? 0 :
	    (uint32_t)(0xffffffffULL << (32 - cfg->prefix_len));
	st->gateway = cfg->gateway;
	memcpy(st->hwaddr, cfg->link->hwaddr, sizeof(st->hwaddr));
	pktq_init(&st->txq);

	seed = cfg->seed;
	if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = now ^ (uintptr_t)st;
	for (int i = 0; i < 4; i++)
		st->rng[i] = splitmix64(&seed);

	if ((error = arp_attach(st)) != 0)
		goto fail;
	if ((error = ip4_attach(st)) != 0)
		goto fail;
	if ((error = tcp_attach(st)) != 0)
		goto fail;
	*out = st;
	return 0;
fail:
	ws_stack_free(st);
	return error;
}

WS_EXPORT void
ws_stack_free(struct ws_stack *st)
{
	struct pkt *p;

	if (st == NULL)
		return;
	if (st->tcp != NULL)
		tcp_detach(st);
	if (st->ip4 != NULL)
		ip4_detach(st);
	if (st->arp != NULL)
		arp_detach(st);
	pktq_purge(st, &st->txq);
	while ((p = st->pool) != NULL) {
		st->pool = p->next;
		ws_free(st, p);
	}
	st->alloc.free(st->alloc.ctx, st);
}

void
stack_xmit(struct ws_stack *st, struct pkt *p)
{
	pktq_push(&st->txq, p);
	if (st->txq.count >= TXQ_FLUSH_AT)
		stack_flush(st);
}

void
stack_flush(struct ws_stack *st)
{
	struct ws_link_frame f[TXQ_FLUSH_AT];
	struct pkt *batch[TXQ_FLUSH_AT];
	unsigned n, failed;

	/* Up to TXQ_FLUSH_AT frames per device call (sendmmsg on pcap). */
	while (st->txq.count > 0) {
		for (n = 0; n < TXQ_FLUSH_AT; n++) {
			struct pkt *p = pktq_pop(&st->txq);

			if (p == NULL)
				break;
			batch[n] = p;
			f[n].data = p->data;
			f[n].len = p->len;
			f[n].gso_size = p->gso_size;
		}
		if (n == 1 && f[0].gso_size == 0)
			failed = ws_link_send(st->link, st->now, f[0].data,
			    f[0].len) != 0;
		else
			failed = ws_link_send_batch(st->link, st->now, f, n);
		while (failed-- > 0) {
			if (st->link->medium == WS_MEDIUM_ETHERNET)
				STAT_INC(st, ether, oerrors);
			else
				STAT_INC(st, ip4, odropped);
		}
		for (unsigned i = 0; i < n; i++)
			pkt_free(st, batch[i]);
	}
}

/* Hand one received frame to the layer that matches the medium. */
static void
input_frame(struct ws_stack *st, const uint8_t *frame, size_t len)
{
	struct pkt p;

	pkt_borrow(&p, frame, len);
	if (st->link->medium == WS_MEDIUM_ETHERNET)
		ether_input(st, &p);
	else
		ip4_input(st, &p);
}

static void
rx_cb(void *arg, const uint8_t *frame, size_t len)
{
	input_frame(arg, frame, len);
}

static void
run_timers(struct ws_stack *st)
{
	arp_timer(st);
	ip4_timer(st);
	tcp_timer(st);
}

WS_EXPORT int
ws_stack_poll(struct ws_stack *st, ws_time_t now)
{
	int total = 0, n = 0;

	if (now > st->now)
		st->now = now;
	st->in_call = true;
	/* ACKs for the whole batch go out at its end (tcp_batch_end). */
	tcp_batch_begin(st);
	while (total < POLL_BUDGET) {
		n = ws_link_recv(st->link, st->now, rx_cb, st,
		    (unsigned)(POLL_BUDGET - total));
		if (n <= 0)
			break;
		total += n;
	}
	tcp_batch_end(st);
	run_timers(st);
	st->in_call = false;
	stack_flush(st);
	return n < 0 ? n : total;
}

WS_EXPORT void
ws_stack_input(struct ws_stack *st, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	if (now > st->now)
		st->now = now;
	st->in_call = true;
	input_frame(st, frame, len);
	st->in_call = false;
	stack_flush(st);
}

WS_EXPORT ws_time_t
ws_stack_next_deadline(const struct ws_stack *st)
{
	ws_time_t t = ws_link_next_deadline(st->link);

	t = ws_time_min(t, arp_next_deadline(st));
	t = ws_time_min(t, ip4_next_deadline(st));
	t = ws_time_min(t, tcp_next_deadline(st));
	return t;
}

WS_EXPORT void
ws_stack_stats(const struct ws_stack *st, struct ws_stats *out)
{
	*out = st->stats;
}

WS_EXPORT struct ws_link *
ws_stack_link(const struct ws_stack *st)
{
	return st->link;
}

WS_EXPORT uint32_t
ws_stack_addr(const struct ws_stack *st)
{
	return st->addr;
}

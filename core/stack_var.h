/*
 * The stack object, shared by every layer inside the library.
 *
 * Each layer keeps its own state behind an opaque pointer (arp, ip4, tcp)
 * and exposes attach/detach, input, and timer/next_deadline functions in
 * its <layer>_var.h.  The stack ties them together: input flows
 * link -> ether -> arp | ip4 -> icmp | tcp, output flows back down and is
 * queued on st->txq, which is sent to the device once per entry call.
 */
#ifndef WS_CORE_STACK_VAR_H
#define WS_CORE_STACK_VAR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <wirestack/stack.h>

#include "core/pkt.h"

#ifndef WS_EXPORT
#define WS_EXPORT __attribute__((visibility("default")))
#endif

#ifdef WS_DEBUG
#include <assert.h>
#define WS_ASSERT(e) assert(e)
#else
#define WS_ASSERT(e) ((void)0)
#endif

struct arp_softc;
struct ip4_softc;
struct tcp_softc;

struct ws_stack {
	struct ws_stack_config cfg;   /* limits resolved to their defaults */
	struct ws_allocator alloc;    /* never NULL members */
	struct ws_link *link;         /* our device (not owned) */
	ws_time_t now;                /* time of the current entry call */

	uint32_t addr;                /* our address, host order */
	uint32_t netmask;             /* from cfg.prefix_len */
	uint32_t gateway;             /* 0: none */
	uint8_t hwaddr[6];            /* copied from the link */

	uint64_t rng[4];              /* xoshiro256** state */

	struct arp_softc *arp;
	struct ip4_softc *ip4;
	struct tcp_softc *tcp;

	struct pktq txq;              /* frames waiting for the device */
	struct pkt *pool;             /* free PKT_POOL_SIZE buffers */
	unsigned pool_count;

	struct ws_stats stats;
	bool in_call;                 /* inside an entry point: defer flush */
};

/* Allocation through the configured allocator. */
void *ws_malloc(struct ws_stack *st, size_t size);
void *ws_calloc(struct ws_stack *st, size_t n, size_t size);
void ws_free(struct ws_stack *st, void *ptr);

/* Seeded pseudo-random numbers (xoshiro256**); never for secrets. */
uint64_t ws_random64(struct ws_stack *st);
uint32_t ws_random32(struct ws_stack *st);
/* Uniform in [0, n). */
uint32_t ws_random_uniform(struct ws_stack *st, uint32_t n);
/* Fill buf: from getrandom(2), or from the seed when one is configured. */
void ws_random_bytes(struct ws_stack *st, void *buf, size_t len);

/* Log through the configured hook, when level is enabled. */
void ws_log(struct ws_stack *st, enum ws_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Queue a finished frame (link header included) for the device.  Consumes
 * p.  The queue is flushed when the current entry call returns.
 */
void stack_xmit(struct ws_stack *st, struct pkt *p);

/* Send everything queued on st->txq now. */
void stack_flush(struct ws_stack *st);

/*
 * For API calls made outside an entry point (ws_tcp_send() from the
 * application): send what they queued, unless we are inside poll/input,
 * which flushes on return.
 */
static inline void
stack_kick(struct ws_stack *st)
{
	if (!st->in_call)
		stack_flush(st);
}

/* True if addr is on our link (same prefix). */
static inline bool
stack_onlink(const struct ws_stack *st, uint32_t addr)
{
	return ((addr ^ st->addr) & st->netmask) == 0;
}

#define STAT_INC(st, layer, field) ((st)->stats.layer.field++)
#define STAT_ADD(st, layer, field, n) ((st)->stats.layer.field += (n))

#endif /* WS_CORE_STACK_VAR_H */

/*
 * wirestack: the stack object.
 *
 * A struct ws_stack holds all of one host's state: its device, address,
 * ARP cache, IPv4 reassembly, TCP connections and counters.  There are no
 * globals; any number of stacks may live in one process (the tests run two
 * back to back over an in-memory link).
 *
 * The stack does no I/O of its own beyond its device and never reads a
 * clock: every entry point takes `now` (see time.h).  Drive it like this:
 *
 *	for (;;) {
 *		wait for ws_link_fd() readable or ws_stack_next_deadline();
 *		ws_stack_poll(st, now);
 *	}
 *
 * or let ws_loop_wait() (loop.h) do the waiting.
 *
 * IPv4 addresses are uint32_t in host byte order throughout the API.
 */
#ifndef WIRESTACK_STACK_H
#define WIRESTACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wirestack/link.h>
#include <wirestack/stats.h>
#include <wirestack/time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ws_stack;

/* Memory hooks; tests install a counting allocator to find leaks. */
struct ws_allocator {
	void *(*malloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *ptr);
	void *ctx;
};

enum ws_log_level { WS_LOG_ERR, WS_LOG_WARN, WS_LOG_INFO, WS_LOG_DEBUG };

typedef void (*ws_log_fn)(void *ctx, enum ws_log_level level, const char *msg);

struct ws_stack_config {
	struct ws_link *link;    /* required; the stack does not own it */
	uint32_t addr;           /* our IPv4 address */
	uint8_t prefix_len;      /* on-link prefix, 0..32 */
	uint32_t gateway;        /* 0: none; else next hop for off-link */
	const struct ws_allocator *allocator; /* NULL: malloc/free */
	/*
	 * 0: keys and random choices come from getrandom(2).  Otherwise
	 * everything random (ISNs, ports, backoff jitter) derives from the
	 * seed, so a run can be reproduced exactly.
	 */
	uint64_t seed;
	ws_log_fn log;           /* NULL: silent */
	void *log_ctx;
	enum ws_log_level log_level;
	bool no_announce;        /* do not send a gratuitous ARP on start */

	/* Limits; 0 picks the default in brackets. */
	uint32_t arp_entries;        /* [256] neighbour cache size */
	uint32_t arp_hold;           /* [128] packets queued per unresolved entry */
	uint32_t arp_hold_total;     /* [1024] the same over all entries */
	uint32_t reass_datagrams;    /* [64] datagrams being reassembled */
	uint32_t reass_bytes;        /* [1 MiB] memory for reassembly */
	uint32_t reass_timeout_ms;   /* [30000] give up on a datagram */
	uint32_t icmp_rate;          /* [1000] ICMP messages sent per second */
	uint32_t tcp_max_conns;      /* [65536] connections, all states */
	uint32_t tcp_msl_ms;         /* [30000]; TIME_WAIT lasts 2 * MSL */
	uint32_t tcp_sndbuf;         /* [262144] default send buffer */
	uint32_t tcp_rcvbuf;         /* [262144] default receive buffer */
	/*
	 * Half-open connections (SYN-RECEIVED) per listener; past it SYNs
	 * are answered with SYN cookies (RFC 4987 3.6) or dropped.  The
	 * accept queue is the backlog given to ws_tcp_listen().
	 */
	uint32_t tcp_syn_backlog;    /* [256] */
	bool tcp_no_syncookies;      /* drop SYNs past the backlog instead */
	/* Socket buffer memory of all connections together (rings and SACK
	 * scoreboards); past it a socket behaves as if its buffer is full. */
	uint32_t tcp_mem_max;        /* [256 MiB] */
	/*
	 * RFC 9293 3.8.6.1 (MUST-37): a peer that keeps answering zero-window
	 * probes keeps the connection open; RFC 6429 lets a system give up
	 * anyway.  0: never (probes that go unanswered still time out).
	 */
	uint32_t tcp_persist_max_ms; /* [0: unlimited] */
	uint32_t tcp_max_orphans;    /* [4096] closed sockets still sending */
	uint32_t tcp_orphan_retries; /* [8] probes/retransmissions of an orphan */
};

/* Fill `cfg` with defaults (all zero, log level WARN). */
void ws_stack_config_init(struct ws_stack_config *cfg);

/*
 * Create a stack on cfg->link.  `now` is the current time; the gratuitous
 * ARP announcement goes out at the first poll.
 * Errors: WS_EINVAL (no link, bad prefix), WS_ENOMEM.
 */
int ws_stack_new(struct ws_stack **out, const struct ws_stack_config *cfg,
    ws_time_t now);

/* Free the stack and every socket it holds (without sending anything). */
void ws_stack_free(struct ws_stack *st);

/*
 * Read every frame waiting on the device, run expired timers, and send
 * what that produced.  Returns the number of frames read or a WS_E* code
 * from the device.
 */
int ws_stack_poll(struct ws_stack *st, ws_time_t now);

/* Feed one received frame (borrowed) to the stack, then send any output. */
void ws_stack_input(struct ws_stack *st, ws_time_t now, const uint8_t *frame,
    size_t len);

/* When ws_stack_poll() must next be called, or WS_TIME_NEVER. */
ws_time_t ws_stack_next_deadline(const struct ws_stack *st);

/* A snapshot of the counters. */
void ws_stack_stats(const struct ws_stack *st, struct ws_stats *out);

struct ws_link *ws_stack_link(const struct ws_stack *st);
uint32_t ws_stack_addr(const struct ws_stack *st);

/* Parse "198.18.0.1/24" (prefix optional: /32) into host byte order. */
int ws_ip4_parse(const char *s, uint32_t *addr, uint8_t *prefix_len);

/* Format a host-byte-order address into buf (at least 16 bytes). */
const char *ws_ip4_format(uint32_t addr, char *buf, size_t len);

/* Parse "02:00:00:00:00:01". */
int ws_mac_parse(const char *s, uint8_t mac[6]);

#ifdef __cplusplus
}
#endif

#endif /* WIRESTACK_STACK_H */

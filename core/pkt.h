/*
 * Packet buffers.
 *
 * One contiguous buffer with headroom, so that each layer prepends its
 * header in place (after lwIP's pbuf layers, without chains: every frame
 * here fits one buffer).
 *
 *	head            data            data + len         head + cap
 *	|<- headroom ->|<---- valid ---->|<--- tailroom --->|
 *
 * Ownership rule: a function that takes a `struct pkt *` consumes it: it
 * frees it or queues it on every path.  Functions that only look take a
 * `const struct pkt *` or a (buffer, length) pair.
 *
 * Received frames are wrapped without copying (PKT_F_BORROWED): their bytes
 * belong to the device and live only until the input call returns, so a
 * layer that keeps received bytes must copy them.
 */
#ifndef WS_CORE_PKT_H
#define WS_CORE_PKT_H

#include <stddef.h>
#include <stdint.h>

struct ws_stack;

/* Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60). */
#define PKT_HEADROOM 136
/* Buffers of this size come from the stack's free list, not malloc. */
#define PKT_POOL_SIZE 2048

#define PKT_F_BORROWED 0x01 /* data belongs to the caller; never freed */

struct pkt {
	struct pkt *next;  /* queue link, owned by whoever queues it */
	uint8_t *data;     /* first valid byte */
	size_t len;        /* valid bytes from data */
	uint8_t *head;     /* start of storage */
	size_t cap;        /* bytes of storage from head */
	unsigned flags;
	uint16_t gso_size; /* non-zero: a TCP super-segment (ws_link_frame) */
};

/* A simple FIFO of packets. */
struct pktq {
	struct pkt *first, *last;
	unsigned count;
};

/*
 * A packet with PKT_HEADROOM bytes of headroom and `len` valid (and
 * uninitialised) bytes.  NULL when out of memory.
 */
struct pkt *pkt_alloc(struct ws_stack *st, size_t len);

/* Release a packet (a borrowed one only loses its wrapper). */
void pkt_free(struct ws_stack *st, struct pkt *p);

/* Wrap received bytes without copying; the wrapper lives on the stack. */
void pkt_borrow(struct pkt *p, const uint8_t *data, size_t len);

/* Grow the front by n bytes; returns the new data pointer, or NULL if
 * there is not enough headroom (the packet is unchanged). */
uint8_t *pkt_push(struct pkt *p, size_t n);

/* Drop n bytes from the front; NULL if fewer than n are valid. */
uint8_t *pkt_pull(struct pkt *p, size_t n);

/* Shorten to len bytes (no-op if already shorter). */
void pkt_trim(struct pkt *p, size_t len);

static inline size_t
pkt_headroom(const struct pkt *p)
{
	return (size_t)(p->data - p->head);
}

void pktq_init(struct pktq *q);
void pktq_push(struct pktq *q, struct pkt *p);
struct pkt *pktq_pop(struct pktq *q);
/* Free every packet in the queue. */
void pktq_purge(struct ws_stack *st, struct pktq *q);

#endif /* WS_CORE_PKT_H */

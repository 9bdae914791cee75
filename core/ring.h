/*
 * A byte ring for socket buffers (after smoltcp's storage/ring_buffer.rs).
 *
 *	buf: | ...... |<-------- len -------->| ...... |
 *	              head                     tail = (head + len) % cap
 *
 * The valid bytes are [head, head + len) modulo cap.  Bytes past the tail
 * may be written without being made valid (ring_write_at: out-of-order
 * data of the receive buffer) and later validated with ring_commit.
 *
 * Storage is allocated LAZILY: ring_init only records the capacity, and
 * the first ring_write / ring_write_at allocates cap bytes through the
 * stack's allocator, so an idle connection costs no buffer memory.  That
 * is why the two writing functions take the stack as their first
 * argument.  ring_release gives the storage back while the ring is empty
 * (e.g. after the application drained it) and ring_fini always does.
 *
 * Offsets and counts are uint32_t: a ring holds less than 4 GiB.  Every
 * function clips its count to what is possible and returns the number of
 * bytes actually handled; none fails except through allocation (then the
 * writers return 0 and the ring is unchanged).
 */
#ifndef WS_CORE_RING_H
#define WS_CORE_RING_H

#include <stdbool.h>
#include <stdint.h>

struct ws_stack;

struct ring {
	uint8_t *buf;   /* NULL until the first write (lazy) */
	uint32_t cap;   /* capacity in bytes */
	uint32_t head;  /* index of the first valid byte, < cap (0 if cap 0) */
	uint32_t len;   /* valid bytes */
};

/* An empty ring of cap bytes; no memory is allocated yet.  Returns 0. */
int ring_init(struct ws_stack *st, struct ring *r, uint32_t cap);

/* Free the storage; the ring is empty with the same capacity afterwards. */
void ring_fini(struct ws_stack *st, struct ring *r);

/*
 * Free the storage if the ring is empty (keeps the capacity).  Bytes
 * written past the tail with ring_write_at are lost: a receive ring must
 * not be released while its assembler holds out-of-order data.
 */
void ring_release(struct ws_stack *st, struct ring *r);

/*
 * Change the capacity of an EMPTY ring (setsockopt before connect).
 * Returns 0, or -1 if the ring holds data (nothing changes).
 */
int ring_set_cap(struct ws_stack *st, struct ring *r, uint32_t cap);

/* Make sure storage exists.  Returns 0 or WS_ENOMEM. */
int ring_reserve(struct ws_stack *st, struct ring *r);

static inline uint32_t
ring_len(const struct ring *r)
{
	return r->len;
}

static inline uint32_t
ring_space(const struct ring *r)
{
	return r->cap - r->len;
}

static inline bool
ring_empty(const struct ring *r)
{
	return r->len == 0;
}

static inline uint32_t
ring_cap(const struct ring *r)
{
	return r->cap;
}

/* Append up to n bytes at the tail; returns the bytes taken (0 when full
 * or when the lazy allocation fails). */
uint32_t ring_write(struct ws_stack *st, struct ring *r, const void *data,
    uint32_t n);

/* Consume up to n bytes from the head into data (data may be NULL: drop). */
uint32_t ring_read(struct ring *r, void *data, uint32_t n);

/* Copy up to n bytes starting off bytes after the head, without consuming;
 * returns the bytes copied (0 if off >= len). */
uint32_t ring_peek(const struct ring *r, uint32_t off, void *data,
    uint32_t n);

/* Discard min(n, len) bytes from the head. */
void ring_drop(struct ring *r, uint32_t n);

/*
 * Write up to n bytes at tail + off WITHOUT growing len (out-of-order
 * receive data); clipped to the free space (off + n <= space).  Returns
 * the bytes written (0 if off >= space or the allocation fails).  Bytes
 * between the tail and off keep whatever they held.
 */
uint32_t ring_write_at(struct ws_stack *st, struct ring *r, uint32_t off,
    const void *data, uint32_t n);

/* Make n more bytes valid at the tail (already written by ring_write_at);
 * clipped to the free space. */
void ring_commit(struct ring *r, uint32_t n);

/*
 * Zero-copy access to valid bytes: *ptr points at the byte off bytes after
 * the head; returns how many valid bytes are contiguous from there (0 if
 * off >= len, *ptr then NULL).  Loop over spans to copy a range straight
 * into a packet:
 *	while (n > 0 && (k = ring_peek_span(r, off, &p)) > 0) {
 *		k = MIN(k, n); memcpy(dst, p, k); dst += k; off += k; n -= k;
 *	}
 */
uint32_t ring_peek_span(const struct ring *r, uint32_t off,
    const uint8_t **ptr);

/*
 * Zero-copy access to free space: *ptr points at tail + off; returns the
 * contiguous free bytes from there (0 if off >= space or storage is not
 * allocated; call ring_reserve first).  Fill them, then ring_commit.
 */
uint32_t ring_free_span(struct ring *r, uint32_t off, uint8_t **ptr);

#endif /* WS_CORE_RING_H */

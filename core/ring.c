/*
 * Byte ring for socket buffers.  See ring.h.
 *
 * Every copy is split in at most two memcpy calls: from an index to the
 * end of the storage, then from the start.  Indexes are reduced modulo
 * cap with one subtraction, since every sum is of an index < cap and a
 * count <= cap (added in 64 bits, so any cap up to 2^32 - 1 works).
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/ring.h"
#include "core/stack_var.h"

/* (a + b) mod cap, for a < cap and b <= cap. */
static inline uint32_t
ring_idx(const struct ring *r, uint32_t a, uint32_t b)
{
	uint64_t i = (uint64_t)a + b;

	if (i >= r->cap)
		i -= r->cap;
	return (uint32_t)i;
}

int
ring_init(struct ws_stack *st, struct ring *r, uint32_t cap)
{
	(void)st;
	r->buf = NULL;
	r->cap = cap;
	r->head = 0;
	r->len = 0;
	return 0;
}

void
ring_fini(struct ws_stack *st, struct ring *r)
{
	ws_free(st, r->buf);
	r->buf = NULL;
	r->head = 0;
	r->len = 0;
}

void
ring_release(struct ws_stack *st, struct ring *r)
{
	if (r->len == 0)
		ring_fini(st, r);
}

int
ring_set_cap(struct ws_stack *st, struct ring *r, uint32_t cap)
{
	if (r->len != 0)
		return -1;
	ring_fini(st, r);
	r->cap = cap;
	return 0;
}

int
ring_reserve(struct ws_stack *st, struct ring *r)
{
	if (r->buf != NULL || r->cap == 0)
		return 0;
	r->buf = ws_malloc(st, r->cap);
	if (r->buf == NULL)
		return WS_ENOMEM;
	/* A ring whose storage was released restarts at index 0. */
	r->head = 0;
	return 0;
}

/* Copy n bytes into the storage at index i, wrapping. */
static void
copy_in(struct ring *r, uint32_t i, const uint8_t *src, uint32_t n)
{
	uint32_t first = r->cap - i;

	if (first > n)
		first = n;
	memcpy(r->buf + i, src, first);
	if (n > first)
		memcpy(r->buf, src + first, n - first);
}

/* Copy n bytes out of the storage from index i, wrapping. */
static void
copy_out(const struct ring *r, uint32_t i, uint8_t *dst, uint32_t n)
{
	uint32_t first = r->cap - i;

	if (first > n)
		first = n;
	memcpy(dst, r->buf + i, first);
	if (n > first)
		memcpy(dst + first, r->buf, n - first);
}

uint32_t
ring_write_at(struct ws_stack *st, struct ring *r, uint32_t off,
    const void *data, uint32_t n)
{
	uint32_t space = ring_space(r);

	if (off >= space || n == 0)
		return 0;
	if (n > space - off)
		n = space - off;
	if (ring_reserve(st, r) != 0)
		return 0;
	copy_in(r, ring_idx(r, ring_idx(r, r->head, r->len), off), data, n);
	return n;
}

uint32_t
ring_write(struct ws_stack *st, struct ring *r, const void *data,
    uint32_t n)
{
	n = ring_write_at(st, r, 0, data, n);
	r->len += n;
	return n;
}

void
ring_commit(struct ring *r, uint32_t n)
{
	uint32_t space = ring_space(r);

	/* Committing bytes of a ring that never got storage would expose
	 * memory that does not exist. */
	if (r->buf == NULL)
		return;
	r->len += n < space ? n : space;
}

uint32_t
ring_peek(const struct ring *r, uint32_t off, void *data, uint32_t n)
{
	if (off >= r->len || n == 0)
		return 0;
	if (n > r->len - off)
		n = r->len - off;
	copy_out(r, ring_idx(r, r->head, off), data, n);
	return n;
}

void
ring_drop(struct ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	/*
	 * The head moves even when the ring becomes empty (no reset to 0):
	 * out-of-order bytes written past the tail with ring_write_at must
	 * stay where they are.
	 */
	r->head = ring_idx(r, r->head, n);
}

uint32_t
ring_read(struct ring *r, void *data, uint32_t n)
{
	if (data != NULL)
		n = ring_peek(r, 0, data, n);
	else if (n > r->len)
		n = r->len;
	ring_drop(r, n);
	return n;
}

uint32_t
ring_peek_span(const struct ring *r, uint32_t off, const uint8_t **ptr)
{
	uint32_t i, n;

	if (off >= r->len) {
		*ptr = NULL;
		return 0;
	}
	i = ring_idx(r, r->head, off);
	n = r->len - off;
	if (n > r->cap - i)
		n = r->cap - i;
	*ptr = r->buf + i;
	return n;
}

uint32_t
ring_free_span(struct ring *r, uint32_t off, uint8_t **ptr)
{
	uint32_t space = ring_space(r), i, n;

	if (off >= space || r->buf == NULL) {
		*ptr = NULL;
		return 0;
	}
	i = ring_idx(r, ring_idx(r, r->head, r->len), off);
	n = space - off;
	if (n > r->cap - i)
		n = r->cap - i;
	*ptr = r->buf + i;
	return n;
}

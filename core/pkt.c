/*
 * Packet buffers.  Buffers of the common size are recycled through a free
 * list on the stack, so the hot path does not call the allocator per frame.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "core/pkt.h"
#include "core/stack_var.h"

/* Free-list depth: enough for a full output batch, small enough to forget. */
#define PKT_POOL_MAX 1024

struct pkt *
pkt_alloc(struct ws_stack *st, size_t len)
{
	size_t need = PKT_HEADROOM + len;
	struct pkt *p;

	/* need and the block size below must not wrap around. */
	if (len > SIZE_MAX - PKT_HEADROOM - sizeof(*p))
		return NULL;
	if (need <= PKT_POOL_SIZE && st->pool != NULL) {
		p = st->pool;
		st->pool = p->next;
		st->pool_count--;
	} else {
		size_t cap = need <= PKT_POOL_SIZE ? PKT_POOL_SIZE : need;

		p = ws_malloc(st, sizeof(*p) + cap);
		if (p == NULL)
			return NULL;
		p->head = (uint8_t *)(p + 1);
		p->cap = cap;
	}
	p->next = NULL;
	p->flags = 0;
	p->gso_size = 0;
	p->data = p->head + PKT_HEADROOM;
	p->len = len;
	return p;
}

void
pkt_free(struct ws_stack *st, struct pkt *p)
{
	if (p == NULL || (p->flags & PKT_F_BORROWED))
		return;
	if (p->cap == PKT_POOL_SIZE && st->pool_count < PKT_POOL_MAX) {
		p->next = st->pool;
		st->pool = p;
		st->pool_count++;
		return;
	}
	ws_free(st, p);
}

void
pkt_borrow(struct pkt *p, const uint8_t *data, size_t len)
{
	/*
	 * The bytes are only read through a borrowed packet's data pointer;
	 * the cast lets one struct serve both directions.
	 */
	p->next = NULL;
	p->head = p->data = (uint8_t *)(uintptr_t)data;
	p->len = p->cap = len;
	p->flags = PKT_F_BORROWED;
	p->gso_size = 0;
}

uint8_t *
pkt_push(struct pkt *p, size_t n)
{
	if (pkt_headroom(p) < n)
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}

uint8_t *
pkt_pull(struct pkt *p, size_t n)
{
	if (p->len < n)
		return NULL;
	p->data += n;
	p->len -= n;
	return p->data;
}

void
pkt_trim(struct pkt *p, size_t len)
{
	if (len < p->len)
		p->len = len;
}

void
pktq_init(struct pktq *q)
{
	q->first = q->last = NULL;
	q->count = 0;
}

void
pktq_push(struct pktq *q, struct pkt *p)
{
	p->next = NULL;
	if (q->last != NULL)
		q->last->next = p;
	else
		q->first = p;
	q->last = p;
	q->count++;
}

struct pkt *
pktq_pop(struct pktq *q)
{
	struct pkt *p = q->first;

	if (p == NULL)
		return NULL;
	q->first = p->next;
	if (q->first == NULL)
		q->last = NULL;
	q->count--;
	p->next = NULL;
	return p;
}

void
pktq_purge(struct ws_stack *st, struct pktq *q)
{
	struct pkt *p;

	while ((p = pktq_pop(q)) != NULL)
		pkt_free(st, p);
}

/*
 * An in-memory pair of devices joined back to back, for tests and
 * benchmarks: two stacks in one process, in virtual time.
 *
 * Each direction is a FIFO of copied frames stamped with the time they
 * reach the far end: the sender's `now`, plus serialization at rate_bps
 * behind whatever is still on the wire, plus the propagation delay.  A
 * full FIFO drops the frame, as a router's queue would.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/stack_var.h"
#include "link/link_var.h"

struct mem_frame {
	ws_time_t at;     /* when the far end may receive it */
	size_t len;
	uint8_t data[];
};

struct mem_dir {
	struct mem_frame **ring;
	uint32_t head, count;
	ws_time_t busy_until; /* the wire is busy serializing until then */
};

struct mem_shared {
	struct ws_link_mem_config cfg;
	struct mem_dir dir[2];  /* dir[i]: frames sent by end i */
	int refs;
};

struct mem_link {
	struct ws_link link;    /* must be first */
	struct mem_shared *sh;
	int side;
};

static struct mem_link *
to_mem(struct ws_link *l)
{
	return (struct mem_link *)l;
}

static int
mem_send(struct ws_link *l, ws_time_t now, const uint8_t *frame, size_t len)
{
	struct mem_link *m = to_mem(l);
	struct mem_shared *sh = m->sh;
	struct mem_dir *d = &sh->dir[m->side];
	struct mem_frame *f;
	ws_time_t start;
	uint32_t hdr = l->medium == WS_MEDIUM_ETHERNET ? 14 : 0;

	if (len > l->mtu + hdr)
		return WS_EMSGSIZE;
	l->stats.tx_frames++;
	l->stats.tx_bytes += len;
	if (sh->refs < 2 || d->count >= sh->cfg.queue_limit) {
		/* Lost on the wire: the sender cannot tell. */
		l->stats.rx_dropped++;
		return 0;
	}
	f = malloc(sizeof(*f) + len);
	if (f == NULL)
		return WS_ENOMEM;
	memcpy(f->data, frame, len);
	f->len = len;
	start = now > d->busy_until ? now : d->busy_until;
	if (sh->cfg.rate_bps != 0)
		d->busy_until = start + (len * 8 * WS_USEC_PER_SEC +
		    sh->cfg.rate_bps - 1) / sh->cfg.rate_bps;
	else
		d->busy_until = start;
	f->at = d->busy_until + sh->cfg.delay_us;
	d->ring[(d->head + d->count) % sh->cfg.queue_limit] = f;
	d->count++;
	return 0;
}

static int
mem_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct mem_link *m = to_mem(l);
	struct mem_dir *d = &m->sh->dir[!m->side];
	unsigned n = 0;

	while (n < max && d->count > 0) {
		struct mem_frame *f = d->ring[d->head];

		if (f->at > now)
			break;
		d->head = (d->head + 1) % m->sh->cfg.queue_limit;
		d->count--;
		l->stats.rx_frames++;
		l->stats.rx_bytes += f->len;
		fn(arg, f->data, f->len);
		free(f);
		n++;
	}
	return (int)n;
}

static ws_time_t
mem_next_deadline(struct ws_link *l)
{
	struct mem_link *m = to_mem(l);
	struct mem_dir *d = &m->sh->dir[!m->side];

	return d->count > 0 ? d->ring[d->head]->at : WS_TIME_NEVER;
}

static int
mem_fd(struct ws_link *l)
{
	(void)l;
	return -1;
}

static void
dir_purge(struct mem_dir *d, uint32_t limit)
{
	while (d->count > 0) {
		free(d->ring[d->head]);
		d->head = (d->head + 1) % limit;
		d->count--;
	}
	free(d->ring);
}

static void
mem_close(struct ws_link *l)
{
	struct mem_link *m = to_mem(l);
	struct mem_shared *sh = m->sh;

	if (--sh->refs == 0) {
		dir_purge(&sh->dir[0], sh->cfg.queue_limit);
		dir_purge(&sh->dir[1], sh->cfg.queue_limit);
		free(sh);
	}
	free(m);
}

static const struct ws_link_ops mem_ops = {
	.kind = "mem",
	.recv = mem_recv,
	.send = mem_send,
	.send_batch = link_gso_send_batch,
	.fd = mem_fd,
	.next_deadline = mem_next_deadline,
	.close = mem_close,
};

static struct mem_link *
mem_end(struct mem_shared *sh, int side)
{
	struct mem_link *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->link.ops = &mem_ops;
	m->link.medium = sh->cfg.medium;
	m->link.mtu = sh->cfg.mtu;
	m->link.gso_max = sh->cfg.gso_max;
	memcpy(m->link.hwaddr, (uint8_t[6]){ 0x02, 0, 0, 0, 0, (uint8_t)(side + 1) }, 6);
	strcpy(m->link.name, side == 0 ? "mem0" : "mem1");
	m->sh = sh;
	m->side = side;
	return m;
}

WS_EXPORT int
ws_link_mem_pair(struct ws_link **a, struct ws_link **b,
    const struct ws_link_mem_config *cfg)
{
	struct mem_shared *sh;
	struct mem_link *ma, *mb;
	int error = WS_ENOMEM;

	*a = *b = NULL;
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return WS_ENOMEM;
	if (cfg != NULL)
		sh->cfg = *cfg;
	if (sh->cfg.medium == 0)
		sh->cfg.medium = WS_MEDIUM_ETHERNET;
	if (sh->cfg.medium != WS_MEDIUM_ETHERNET &&
	    sh->cfg.medium != WS_MEDIUM_IP) {
		error = WS_EINVAL;
		goto fail;
	}
	if (sh->cfg.mtu == 0)
		sh->cfg.mtu = 1500;
	if (sh->cfg.queue_limit == 0)
		sh->cfg.queue_limit = 4096;
	if (sh->cfg.gso_max > 65535)
		sh->cfg.gso_max = 65535;
	for (int i = 0; i < 2; i++) {
		sh->dir[i].ring = calloc(sh->cfg.queue_limit, sizeof(void *));
		if (sh->dir[i].ring == NULL)
			goto fail;
	}
	ma = mem_end(sh, 0);
	mb = mem_end(sh, 1);
	if (ma == NULL || mb == NULL) {
		free(ma);
		free(mb);
		goto fail;
	}
	sh->refs = 2;
	*a = &ma->link;
	*b = &mb->link;
	return 0;
fail:
	free(sh->dir[0].ring);
	free(sh->dir[1].ring);
	free(sh);
	return error;
}

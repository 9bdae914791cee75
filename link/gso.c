/*
 * Software segmentation of TCP/IPv4 super-segments (see ws_link_frame's
 * gso_size), for devices that offer segmentation offload without a
 * kernel to do it: the in-memory pair, so that tests run the stack's GSO
 * path, and any device whose offload request is refused.
 *
 * Each segment gets what Linux's tcp_gso_segment() gives it: the headers
 * copied, the IP total length, ID (+1 per segment) and header checksum
 * rewritten, the sequence number advanced, CWR only on the first segment
 * and PSH/FIN only on the last, and a full TCP checksum.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "link/link_var.h"

#define TH_FIN 0x01
#define TH_PSH 0x08
#define TH_CWR 0x80
#define IPPROTO_TCP_NUM 6

int
link_gso_parse(const struct ws_link_frame *f, enum ws_medium medium,
    struct link_gso_hdrs *h)
{
	size_t l2 = medium == WS_MEDIUM_ETHERNET ? 14 : 0;
	const uint8_t *in = f->data;
	size_t ihl, thl;

	if (f->gso_size == 0 || f->len < l2 + 20)
		return WS_EINVAL;
	if (l2 != 0 && be16_load(in + 12) != ETHERTYPE_IPV4)
		return WS_EINVAL;
	ihl = (size_t)(in[l2] & 0x0f) * 4;
	if ((in[l2] >> 4) != 4 || ihl < 20 || in[l2 + 9] != IPPROTO_TCP_NUM ||
	    f->len < l2 + ihl + 20 ||
	    be16_load(in + l2 + 2) != f->len - l2)
		return WS_EINVAL;
	thl = (size_t)(in[l2 + ihl + 12] >> 4) * 4;
	/* Headers only, no payload to cut, is no super-segment either. */
	if (thl < 20 || f->len <= l2 + ihl + thl)
		return WS_EINVAL;
	h->l3 = l2;
	h->l4 = l2 + ihl;
	h->len = l2 + ihl + thl;
	return 0;
}

int
link_gso_segment(const struct ws_link_frame *f, enum ws_medium medium,
    link_gso_emit_fn emit, void *arg)
{
	struct link_gso_hdrs h;
	size_t l2, ihl, thl, hdrs, payload, gso = f->gso_size, off;
	const uint8_t *in = f->data;
	uint32_t src, dst, seq;
	uint16_t id;
	uint8_t flags, *seg;
	int error = 0;

	if ((error = link_gso_parse(f, medium, &h)) != 0)
		return error;
	l2 = h.l3;
	ihl = h.l4 - h.l3;
	hdrs = h.len;
	thl = hdrs - h.l4;
	payload = f->len - hdrs;
	src = be32_load(in + l2 + 12);
	dst = be32_load(in + l2 + 16);
	id = be16_load(in + l2 + 4);
	seq = be32_load(in + l2 + ihl + 4);
	flags = in[l2 + ihl + 13];
	if ((seg = malloc(hdrs + gso)) == NULL)
		return WS_ENOMEM;
	for (off = 0; off < payload; off += gso) {
		size_t n = payload - off < gso ? payload - off : gso;
		bool last = off + n >= payload;
		uint8_t *ip = seg + l2, *th = ip + ihl;
		uint32_t sum;

		memcpy(seg, in, hdrs);
		memcpy(seg + hdrs, in + hdrs + off, n);
		be16_store(ip + 2, (uint16_t)(ihl + thl + n));
		be16_store(ip + 4, (uint16_t)(id + off / gso));
		be16_store(ip + 10, 0);
		be16_store(ip + 10, cksum(ip, ihl));
		be32_store(th + 4, seq + (uint32_t)off);
		th[13] = (uint8_t)(flags & ~(off == 0 ? 0 : TH_CWR) &
		    ~(last ? 0 : TH_PSH | TH_FIN));
		be16_store(th + 16, 0);
		sum = cksum_pseudo(src, dst, IPPROTO_TCP_NUM,
		    (uint16_t)(thl + n));
		be16_store(th + 16, cksum_finish(cksum_add(sum, th, thl + n)));
		if ((error = emit(arg, seg, hdrs + n)) != 0)
			break;
	}
	free(seg);
	return error;
}

struct gso_send_ctx {
	struct ws_link *l;
	ws_time_t now;
};

static int
gso_send_one(void *arg, const uint8_t *frame, size_t len)
{
	struct gso_send_ctx *c = arg;

	return c->l->ops->send(c->l, c->now, frame, len);
}

unsigned
link_gso_send_batch(struct ws_link *l, ws_time_t now,
    const struct ws_link_frame *frames, unsigned n)
{
	struct gso_send_ctx c = { .l = l, .now = now };
	size_t l2 = l->medium == WS_MEDIUM_ETHERNET ? 14 : 0;
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct ws_link_frame *f = &frames[i];
		int error;

		if (f->gso_size == 0)
			error = l->ops->send(l, now, f->data, f->len);
		else if (l->gso_max == 0 || f->len > l->gso_max + l2)
			error = WS_EMSGSIZE;
		else
			error = link_gso_segment(f, l->medium, gso_send_one, &c);
		if (error != 0)
			failed++;
	}
	return failed;
}

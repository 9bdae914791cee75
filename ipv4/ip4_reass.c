/*
 * IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2).
 *
 * Datagrams are keyed by (source, destination, identification, protocol).
 * Each keeps its fragments' payloads in a list sorted by offset; since we
 * never accept overlapping data (below), the datagram is complete exactly
 * when the first and last fragments are present and the bytes held add
 * up to the total.
 *
 * Overlaps: a fragment that overlaps data already held, without being an
 * exact duplicate, drops the whole datagram.  This follows the spirit of
 * RFC 5722 (written for IPv6): overlapping fragments have no legitimate
 * use and are the basis of evasion and "teardrop" attacks.  Exact
 * duplicates (a link that duplicates frames) are ignored.
 *
 * Resources are bounded: at most cfg.reass_datagrams datagrams and
 * cfg.reass_bytes bytes (payload plus bookkeeping), each datagram lives at
 * most cfg.reass_timeout_ms from its first fragment (RFC 1122 3.3.2: a
 * fixed timeout, not one that each fragment extends).
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/endian.h"
#include "core/cksum.h"
#include "core/stack_var.h"
#include "ipv4/ip4_var.h"
#include "ipv4/ip4_wire.h"

struct ip4_frag {
	struct ip4_frag *next;   /* next by offset */
	uint16_t off;            /* payload offset, bytes */
	uint16_t len;            /* payload bytes here */
	uint8_t data[];
};

struct ip4_reass {
	struct ip4_reass *next;
	uint32_t src, dst;       /* key, host order */
	uint16_t id;
	uint8_t proto;
	uint8_t hlen;            /* header length of fragment 0 */
	bool have_first;         /* fragment 0 held; hdr is valid */
	bool have_last;          /* MF-clear fragment seen; total is valid */
	uint32_t total;          /* payload length of the datagram */
	uint32_t held;           /* payload bytes held */
	uint32_t charge;         /* bytes charged to sc->rq_bytes */
	uint32_t nfrags;         /* fragments held */
	ws_time_t deadline;      /* give up at this time */
	struct ip4_frag *frags;  /* sorted by offset, disjoint */
	uint8_t hdr[IP4_HDR_MAX]; /* fragment 0's header (with options) */
};

static struct ip4_reass *
reass_lookup(struct ip4_softc *sc, const struct ip4_hdr *h)
{
	struct ip4_reass *r;

	for (r = sc->rq; r != NULL; r = r->next)
		if (r->src == h->src && r->dst == h->dst && r->id == h->id &&
		    r->proto == h->proto)
			return r;
	return NULL;
}

/* Unlink and free a datagram and all its fragments. */
static void
reass_free(struct ws_stack *st, struct ip4_reass *r)
{
	struct ip4_softc *sc = st->ip4;
	struct ip4_reass **pp;
	struct ip4_frag *f;

	for (pp = &sc->rq; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	while ((f = r->frags) != NULL) {
		r->frags = f->next;
		ws_free(st, f);
	}
	WS_ASSERT(sc->rq_bytes >= r->charge && sc->rq_count > 0);
	sc->rq_bytes -= r->charge;
	sc->rq_count--;
	ws_free(st, r);
}

/* Drop a whole datagram because of a bad or excess fragment. */
static void
reass_drop(struct ws_stack *st, struct ip4_reass *r)
{
	STAT_ADD(st, ip4, fragdropped, r->nfrags);
	reass_free(st, r);
}

/* Assemble a complete datagram into a new packet and free r. */
static struct pkt *
reass_finish(struct ws_stack *st, struct ip4_reass *r, struct ip4_hdr *h)
{
	struct ip4_frag *f;
	struct pkt *q;
	uint8_t *b;
	size_t total = (size_t)r->hlen + r->total;

	/*
	 * The first fragment's header may be longer than the one that
	 * placed the end, so check the 65535 limit again on the whole.
	 */
	if (total > IP4_MAXPACKET) {
		STAT_INC(st, ip4, fragtoolong);
		reass_drop(st, r);
		return NULL;
	}
	q = pkt_alloc(st, total);
	if (q == NULL) {
		/* Out of memory is a limit like the configured ones. */
		STAT_INC(st, ip4, fraglimit);
		reass_drop(st, r);
		return NULL;
	}
	b = q->data;
	memcpy(b, r->hdr, r->hlen);
	for (f = r->frags; f != NULL; f = f->next)
		memcpy(b + r->hlen + f->off, f->data, f->len);
	/*
	 * The result is an ordinary datagram: the whole length, no MF, no
	 * offset (RFC 791 3.2: the first fragment's header, options included,
	 * becomes the datagram's header).
	 */
	be16_store(b + IP4_OFF_LEN, (uint16_t)total);
	be16_store(b + IP4_OFF_FRAG, 0);
	be16_store(b + IP4_OFF_SUM, 0);
	be16_store(b + IP4_OFF_SUM, cksum(b, r->hlen));
	reass_free(st, r);
	STAT_INC(st, ip4, reassembled);
	if (ip4_hdr_parse(h, q->data, q->len) != IP4_WIRE_OK) {
		/* Cannot happen: the header was validated on the way in. */
		WS_ASSERT(0);
		pkt_free(st, q);
		return NULL;
	}
	return q;
}

struct pkt *
ip4_reass(struct ws_stack *st, struct pkt *p, struct ip4_hdr *h)
{
	struct ip4_softc *sc = st->ip4;
	struct ip4_reass *r;
	struct ip4_frag *f, *prev, *next;
	uint32_t off = ip4_frag_off(h);
	uint32_t dlen = (uint32_t)h->total_len - h->hlen;
	uint32_t end = off + dlen;
	bool more = (h->frag & IP4_MF) != 0;
	uint32_t fcharge = (uint32_t)sizeof(*f) + dlen;

	r = reass_lookup(sc, h);

	/*
	 * RFC 791: every fragment but the last carries a multiple of 8
	 * bytes, and none is empty.  Such a fragment says nothing useful;
	 * drop it alone.
	 */
	if (dlen == 0 || (more && dlen % 8 != 0)) {
		STAT_INC(st, ip4, reassfail);
		goto dropfrag;
	}
	/* The "ping of death": data past the largest possible datagram. */
	if ((size_t)h->hlen + end > IP4_MAXPACKET) {
		STAT_INC(st, ip4, fragtoolong);
		goto dropall;
	}

	if (r == NULL) {
		uint32_t rcharge = (uint32_t)sizeof(*r);

		if (sc->rq_count >= st->cfg.reass_datagrams ||
		    (uint64_t)sc->rq_bytes + rcharge + fcharge >
		    st->cfg.reass_bytes) {
			STAT_INC(st, ip4, fraglimit);
			goto dropfrag;
		}
		r = ws_calloc(st, 1, sizeof(*r));
		if (r == NULL) {
			STAT_INC(st, ip4, fraglimit);
			goto dropfrag;
		}
		r->src = h->src;
		r->dst = h->dst;
		r->id = h->id;
		r->proto = h->proto;
		r->deadline = ws_time_add_ms(st->now,
		    st->cfg.reass_timeout_ms);
		r->charge = rcharge;
		r->next = sc->rq;
		sc->rq = r;
		sc->rq_count++;
		sc->rq_bytes += rcharge;
	}

	/* The end of the datagram, once known, is fixed. */
	if (r->have_last && (end > r->total || (!more && end != r->total))) {
		STAT_INC(st, ip4, reassfail);
		goto dropall;
	}
	if (!more) {
		/* No data we already hold may lie past the end. */
		for (f = r->frags; f != NULL; f = f->next)
			if ((uint32_t)f->off + f->len > end) {
				STAT_INC(st, ip4, reassfail);
				goto dropall;
			}
	}

	/* Find the place by offset; reject any overlap. */
	prev = NULL;
	for (next = r->frags; next != NULL && next->off < off;
	    next = next->next)
		prev = next;
	if (next != NULL && next->off == off && next->len == dlen) {
		/* An exact duplicate: keep what we have. */
		STAT_INC(st, ip4, fragdup);
		goto dropfrag;
	}
	if ((next != NULL && next->off < end) ||
	    (prev != NULL && (uint32_t)prev->off + prev->len > off)) {
		STAT_INC(st, ip4, fragoverlap);
		goto dropall;
	}

	/*
	 * Over the memory limit, this datagram can never complete (its
	 * sender will not resend one fragment): free it all now.
	 */
	if ((uint64_t)sc->rq_bytes + fcharge > st->cfg.reass_bytes) {
		STAT_INC(st, ip4, fraglimit);
		goto dropall;
	}
	f = ws_malloc(st, fcharge);
	if (f == NULL) {
		STAT_INC(st, ip4, fraglimit);
		goto dropall;
	}
	f->off = (uint16_t)off;
	f->len = (uint16_t)dlen;
	memcpy(f->data, p->data + h->hlen, dlen);
	f->next = next;
	if (prev != NULL)
		prev->next = f;
	else
		r->frags = f;
	r->nfrags++;
	r->held += dlen;
	r->charge += fcharge;
	sc->rq_bytes += fcharge;
	if (off == 0) {
		memcpy(r->hdr, p->data, h->hlen);
		r->hlen = h->hlen;
		r->have_first = true;
	}
	if (!more) {
		r->have_last = true;
		r->total = end;
	}
	pkt_free(st, p);

	if (r->have_first && r->have_last && r->held == r->total)
		return reass_finish(st, r, h);
	return NULL;

dropall:
	if (r != NULL)
		reass_drop(st, r);
dropfrag:
	STAT_INC(st, ip4, fragdropped);
	pkt_free(st, p);
	return NULL;
}

void
ip4_reass_timer(struct ws_stack *st)
{
	struct ip4_softc *sc = st->ip4;
	struct ip4_reass *r, *next;

	for (r = sc->rq; r != NULL; r = next) {
		uint8_t quote[IP4_HDR_MAX + 8];
		size_t qlen = 0;

		next = r->next;
		if (r->deadline > st->now)
			continue;
		/*
		 * RFC 792, RFC 1122 3.3.2: time exceeded (fragment
		 * reassembly) is sent only when fragment zero has arrived,
		 * quoting its header and first 8 data bytes.
		 */
		if (r->have_first && r->frags != NULL && r->frags->off == 0) {
			size_t n = r->frags->len < 8 ? r->frags->len : 8;

			memcpy(quote, r->hdr, r->hlen);
			memcpy(quote + r->hlen, r->frags->data, n);
			qlen = r->hlen + n;
		}
		STAT_INC(st, ip4, reasstimeout);
		STAT_ADD(st, ip4, fragtimeout, r->nfrags);
		reass_free(st, r);
		if (qlen != 0)
			(void)icmp4_error(st, ICMP4_TIMXCEED,
			    ICMP4_TIMXCEED_REASS, quote, qlen);
	}
}

ws_time_t
ip4_reass_deadline(const struct ws_stack *st)
{
	const struct ip4_softc *sc = st->ip4;
	const struct ip4_reass *r;
	ws_time_t t = WS_TIME_NEVER;

	if (sc == NULL)
		return t;
	for (r = sc->rq; r != NULL; r = r->next)
		t = ws_time_min(t, r->deadline);
	return t;
}

void
ip4_reass_drain(struct ws_stack *st)
{
	struct ip4_softc *sc = st->ip4;

	while (sc->rq != NULL)
		reass_free(st, sc->rq);
}

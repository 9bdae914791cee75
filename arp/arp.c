/*
 * The ARP resolver: RFC 826 with the cache rules of RFC 1122 2.3.2 and the
 * probe/announce/defend behaviour of RFC 5227.
 *
 * The neighbour cache is a fixed array of st->cfg.arp_entries entries,
 * allocated once in arp_attach(), reached through a chained hash table
 * keyed by IPv4 address (with a random key, so a peer cannot choose
 * colliding addresses) and kept on an LRU list for eviction.  Nothing is
 * allocated per packet except the requests and replies we send.
 *
 * Entry life cycle and timers (all absolute deadlines in e->timer):
 *
 *	(none) --arp_output--> INCOMPLETE: broadcast request, packets held.
 *	    Requests are retransmitted after 1, 2, 4, 4 s (doubling, capped
 *	    at 4 s), ARP_MAXTRIES = 5 requests in all, like BSD's
 *	    arp_maxtries; 15 s after the first, resolution fails.
 *	INCOMPLETE --reply--> REACHABLE: held packets are sent, in order.
 *	INCOMPLETE --no reply--> FAILED for 20 s (BSD's arpt_down): held
 *	    packets are dropped (timeoutdrops) and new ones are refused at
 *	    once with WS_EHOSTUNREACH instead of flooding requests.  Any ARP
 *	    from the neighbour in the meantime revives the entry.
 *	REACHABLE lasts 60 s from the last confirmation (shorter than BSD's
 *	    20 min arpt_keep, so a moved address is noticed; longer than
 *	    Linux's 30 s reachable time, whose STALE state we do without).
 *	    5 s before expiry, an entry that carried traffic since it was
 *	    confirmed goes to REFRESH: up to 3 unicast requests, 1 s apart,
 *	    to the MAC we have (FreeBSD's la_preempt; Linux's unicast
 *	    probes), while packets keep flowing to that MAC.  The reply
 *	    makes it REACHABLE for another 60 s, so traffic is never held.
 *	    An entry nobody used simply expires; so does a REFRESH entry
 *	    whose neighbour stopped answering, and the next packet resolves
 *	    it afresh by broadcast (the neighbour may have a new MAC).
 *
 * Only confirmed MACs are ever used; there is no separate STALE state.
 *
 * The earliest entry deadline is cached in sc->next: setting a timer can
 * only lower it, and arp_timer() recomputes it exactly while walking the
 * entries.  A deadline that moved later (an entry confirmed or freed)
 * leaves sc->next early; that costs one walk which finds nothing due and
 * recomputes sc->next past now, so ws_stack_next_deadline() never
 * reports a past deadline twice.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "arp/arp_var.h"
#include "arp/arp_wire.h"
#include "core/stack_var.h"
#include "link/ether_wire.h"
#include "link/link_var.h"

#define ARP_REXMT_US (1 * WS_USEC_PER_SEC)      /* first retransmission */
#define ARP_REXMT_MAX_US (4 * WS_USEC_PER_SEC)  /* backoff cap */
#define ARP_MAXTRIES 5                          /* broadcast requests */
#define ARP_DOWN_US (20 * WS_USEC_PER_SEC)      /* FAILED lasts this long */
#define ARP_KEEP_US (60 * WS_USEC_PER_SEC)      /* REACHABLE lifetime */
#define ARP_REFRESH_US (5 * WS_USEC_PER_SEC)    /* refresh window before expiry */
#define ARP_REFRESH_REXMT_US (1 * WS_USEC_PER_SEC)
#define ARP_REFRESH_TRIES 3                     /* unicast requests */
#define ARP_DEFEND_US (10 * WS_USEC_PER_SEC)    /* RFC 5227 DEFEND_INTERVAL */

/* Bound on arp_entries, so a mistyped limit cannot allocate gigabytes. */
#define ARP_ENTRIES_MAX 65536
/* Entries looked at from the LRU tail when the cache is full. */
#define ARP_EVICT_SCAN 32

#define NIL UINT32_MAX

struct arp_entry {
	uint32_t addr;            /* key, host order */
	uint32_t hnext;           /* hash chain, or the free list */
	uint32_t lprev, lnext;    /* LRU list, most recently used first */
	uint8_t state;            /* enum arp_state */
	uint8_t tries;            /* requests sent in this state */
	bool used;                /* carried a packet since confirmed */
	uint8_t mac[ETHER_ADDR_LEN];
	ws_time_t timer;          /* next thing to do */
	ws_time_t expire;         /* REACHABLE/REFRESH: MAC trusted until */
	struct pktq hold;         /* INCOMPLETE: packets awaiting the MAC */
};

struct arp_softc {
	struct arp_entry *ent;
	uint32_t nent;
	uint32_t *bucket;         /* heads of the hash chains */
	uint32_t mask;            /* buckets - 1 (a power of two) */
	uint32_t hkey;            /* random hash key */
	uint32_t freelist;
	uint32_t lru_head, lru_tail;
	uint32_t count;           /* entries in use */
	uint32_t nheld;           /* packets held over all entries */
	ws_time_t next;           /* no entry deadline is earlier */
	ws_time_t last_conflict;  /* RFC 5227: last time our address was claimed */
	bool conflict_seen;
};

static inline uint32_t
arp_hash(const struct arp_softc *sc, uint32_t addr)
{
	uint32_t h = (addr ^ sc->hkey) * 0x9e3779b1u;

	h ^= h >> 15;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h & sc->mask;
}

static uint32_t
arp_find(const struct arp_softc *sc, uint32_t addr)
{
	uint32_t i;

	for (i = sc->bucket[arp_hash(sc, addr)]; i != NIL;
	    i = sc->ent[i].hnext)
		if (sc->ent[i].addr == addr)
			return i;
	return NIL;
}

static void
lru_unlink(struct arp_softc *sc, uint32_t i)
{
	struct arp_entry *e = &sc->ent[i];

	if (e->lprev != NIL)
		sc->ent[e->lprev].lnext = e->lnext;
	else
		sc->lru_head = e->lnext;
	if (e->lnext != NIL)
		sc->ent[e->lnext].lprev = e->lprev;
	else
		sc->lru_tail = e->lprev;
	e->lprev = e->lnext = NIL;
}

static void
lru_push_head(struct arp_softc *sc, uint32_t i)
{
	struct arp_entry *e = &sc->ent[i];

	e->lprev = NIL;
	e->lnext = sc->lru_head;
	if (sc->lru_head != NIL)
		sc->ent[sc->lru_head].lprev = i;
	else
		sc->lru_tail = i;
	sc->lru_head = i;
}

static void
lru_touch(struct arp_softc *sc, uint32_t i)
{
	if (sc->lru_head == i)
		return;
	lru_unlink(sc, i);
	lru_push_head(sc, i);
}

static void
set_timer(struct arp_softc *sc, struct arp_entry *e, ws_time_t t)
{
	e->timer = t;
	if (t < sc->next)
		sc->next = t;
}

/* Drop what an entry holds. */
static void
hold_purge(struct ws_stack *st, struct arp_entry *e)
{
	st->arp->nheld -= e->hold.count;
	pktq_purge(st, &e->hold);
}

/* Remove entry i from the cache, dropping anything it still holds. */
static void
entry_free(struct ws_stack *st, uint32_t i)
{
	struct arp_softc *sc = st->arp;
	struct arp_entry *e = &sc->ent[i];
	uint32_t *pp = &sc->bucket[arp_hash(sc, e->addr)];

	while (*pp != i) {
		WS_ASSERT(*pp != NIL);
		pp = &sc->ent[*pp].hnext;
	}
	*pp = e->hnext;
	lru_unlink(sc, i);
	hold_purge(st, e);
	e->state = ARPS_FREE;
	e->timer = WS_TIME_NEVER;
	e->hnext = sc->freelist;
	sc->freelist = i;
	sc->count--;
}

/*
 * Pick a victim when the cache is full: the least recently used entry
 * that is not being resolved (INCOMPLETE entries hold packets and end
 * within 15 s anyway).  An entry for a neighbour that merely asked for us
 * (for_input) may only displace entries that carry no traffic, so a flood
 * of requests from made-up senders cannot push out the gateway.
 */
static uint32_t
evict_victim(const struct arp_softc *sc, bool for_input)
{
	uint32_t i = sc->lru_tail;

	for (int n = 0; i != NIL && n < ARP_EVICT_SCAN; n++) {
		const struct arp_entry *e = &sc->ent[i];

		if (e->state == ARPS_FAILED)
			return i;
		if (e->state != ARPS_INCOMPLETE && (!for_input || !e->used))
			return i;
		i = e->lprev;
	}
	return NIL;
}

/* A new entry for addr (state FREE, no timer), or NIL if none can be had. */
static uint32_t
entry_alloc(struct ws_stack *st, uint32_t addr, bool for_input)
{
	struct arp_softc *sc = st->arp;
	struct arp_entry *e;
	uint32_t i, h;

	if (sc->freelist == NIL) {
		if ((i = evict_victim(sc, for_input)) == NIL)
			return NIL;
		STAT_INC(st, arp, evicted);
		entry_free(st, i);
	}
	i = sc->freelist;
	e = &sc->ent[i];
	sc->freelist = e->hnext;
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->timer = e->expire = WS_TIME_NEVER;
	pktq_init(&e->hold);
	h = arp_hash(sc, addr);
	e->hnext = sc->bucket[h];
	sc->bucket[h] = i;
	lru_push_head(sc, i);
	sc->count++;
	return i;
}

/* Build an ARP packet and send it to dst.  False if out of memory. */
static bool
arp_send(struct ws_stack *st, uint16_t op, const uint8_t dst[6],
    const uint8_t tha[6], uint32_t spa, uint32_t tpa)
{
	struct arp_repr r;
	struct pkt *p;

	if ((p = pkt_alloc(st, ARP_ETHER_IPV4_LEN)) == NULL) {
		STAT_INC(st, arp, nomem);
		return false;
	}
	r.op = op;
	memcpy(r.sha, st->hwaddr, ETHER_ADDR_LEN);
	r.spa = spa;
	memcpy(r.tha, tha, ETHER_ADDR_LEN);
	r.tpa = tpa;
	arp_wire_emit(&r, p->data, p->len);
	return ether_output(st, p, dst, ETHERTYPE_ARP) == 0;
}

static const uint8_t zero_mac[ETHER_ADDR_LEN];

/*
 * A request for addr: broadcast while resolving, unicast to the known MAC
 * when refreshing.  The target hardware address is left zero (RFC 826:
 * "it does not matter"; RFC 5227 2.3 asks for zero).
 */
static void
send_request(struct ws_stack *st, uint32_t addr, const uint8_t *dst)
{
	if (arp_send(st, ARP_OP_REQUEST, dst != NULL ? dst :
	    ether_broadcast_addr, zero_mac, st->addr, addr))
		STAT_INC(st, arp, txrequests);
}

/* Backoff after the n-th request (n >= 1): 1, 2, 4, 4, ... seconds. */
static uint64_t
rexmt_interval(unsigned n)
{
	uint64_t t = ARP_REXMT_US << (n > 3 ? 3 : n - 1);

	return t < ARP_REXMT_MAX_US ? t : ARP_REXMT_MAX_US;
}

/* The MAC is known (again): send what waited for it. */
static void
entry_confirm(struct ws_stack *st, struct arp_entry *e, const uint8_t mac[6])
{
	struct arp_softc *sc = st->arp;
	struct pkt *p;

	if ((e->state == ARPS_REACHABLE || e->state == ARPS_REFRESH) &&
	    !ether_addr_eq(e->mac, mac)) {
		char a[16];

		STAT_INC(st, arp, changed);
		ws_log(st, WS_LOG_INFO, "arp: %s moved from "
		    "%02x:%02x:%02x:%02x:%02x:%02x to "
		    "%02x:%02x:%02x:%02x:%02x:%02x",
		    ws_ip4_format(e->addr, a, sizeof(a)),
		    e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4],
		    e->mac[5], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	}
	memcpy(e->mac, mac, ETHER_ADDR_LEN);
	e->state = ARPS_REACHABLE;
	e->tries = 0;
	e->used = false;
	e->expire = ws_time_add_us(st->now, ARP_KEEP_US);
	set_timer(sc, e, e->expire - ARP_REFRESH_US);
	/* RFC 1122 2.3.2.2: transmit the queued packets, oldest first. */
	while ((p = pktq_pop(&e->hold)) != NULL) {
		sc->nheld--;
		e->used = true;
		(void)ether_output(st, p, e->mac, ETHERTYPE_IPV4);
	}
}

/*
 * One unicast request to the MAC we have; the next one after
 * ARP_REFRESH_REXMT_US, or after the last one, nothing until expiry.
 */
static void
send_refresh(struct ws_stack *st, struct arp_entry *e)
{
	e->tries++;
	STAT_INC(st, arp, refreshes);
	send_request(st, e->addr, e->mac);
	if (e->tries < ARP_REFRESH_TRIES)
		set_timer(st->arp, e, ws_time_min(ws_time_add_us(st->now,
		    ARP_REFRESH_REXMT_US), e->expire));
	else
		set_timer(st->arp, e, e->expire);
}

/* An entry in use nears expiry: ask the neighbour directly. */
static void
start_refresh(struct ws_stack *st, struct arp_entry *e)
{
	e->state = ARPS_REFRESH;
	e->tries = 0;
	send_refresh(st, e);
}

void
arp_advise(struct ws_stack *st, uint32_t nexthop)
{
	struct arp_softc *sc = st->arp;
	struct arp_entry *e;
	uint32_t i;
	ws_time_t by;

	if (sc == NULL || (i = arp_find(sc, nexthop)) == NIL)
		return;
	e = &sc->ent[i];
	/* A refresh under way already asks; a FAILED entry refuses. */
	if (e->state != ARPS_REACHABLE)
		return;
	by = ws_time_add_us(st->now,
	    (uint64_t)ARP_REFRESH_TRIES * ARP_REFRESH_REXMT_US);
	if (by < e->expire)
		e->expire = by;
	start_refresh(st, e);
}

/* Entry i's timer expired; it may be freed. */
static void
entry_timeout(struct ws_stack *st, uint32_t i)
{
	struct arp_softc *sc = st->arp;
	struct arp_entry *e = &sc->ent[i];
	char a[16];

	switch (e->state) {
	case ARPS_INCOMPLETE:
		if (e->tries < ARP_MAXTRIES) {
			e->tries++;
			send_request(st, e->addr, NULL);
			set_timer(sc, e, ws_time_add_us(st->now,
			    rexmt_interval(e->tries)));
			break;
		}
		/* RFC 1122 2.3.2.1: give up, and say so for a while. */
		STAT_INC(st, arp, timeouts);
		STAT_ADD(st, arp, timeoutdrops, e->hold.count);
		hold_purge(st, e);
		ws_log(st, WS_LOG_INFO, "arp: %s does not answer",
		    ws_ip4_format(e->addr, a, sizeof(a)));
		e->state = ARPS_FAILED;
		e->tries = 0;
		set_timer(sc, e, ws_time_add_us(st->now, ARP_DOWN_US));
		break;
	case ARPS_REACHABLE:
		if (st->now >= e->expire) {
			STAT_INC(st, arp, expired);
			entry_free(st, i);
		} else if (e->used) {
			start_refresh(st, e);
		} else {
			set_timer(sc, e, e->expire);
		}
		break;
	case ARPS_REFRESH:
		if (st->now >= e->expire) {
			STAT_INC(st, arp, expired);
			entry_free(st, i);
		} else if (e->tries < ARP_REFRESH_TRIES) {
			send_refresh(st, e);
		} else {
			set_timer(sc, e, e->expire);
		}
		break;
	case ARPS_FAILED:
		entry_free(st, i);
		break;
	default:
		WS_ASSERT(0);
		break;
	}
}

int
arp_attach(struct ws_stack *st)
{
	struct arp_softc *sc;
	uint32_t n = st->cfg.arp_entries, nb = 1;

	if (n == 0)
		n = 1;
	if (n > ARP_ENTRIES_MAX)
		n = ARP_ENTRIES_MAX;
	while (nb < n)
		nb <<= 1;
	if ((sc = ws_calloc(st, 1, sizeof(*sc))) == NULL)
		return WS_ENOMEM;
	sc->ent = ws_calloc(st, n, sizeof(*sc->ent));
	sc->bucket = ws_calloc(st, nb, sizeof(*sc->bucket));
	if (sc->ent == NULL || sc->bucket == NULL) {
		ws_free(st, sc->ent);
		ws_free(st, sc->bucket);
		ws_free(st, sc);
		return WS_ENOMEM;
	}
	sc->nent = n;
	sc->mask = nb - 1;
	sc->hkey = ws_random32(st);
	for (uint32_t i = 0; i < nb; i++)
		sc->bucket[i] = NIL;
	for (uint32_t i = 0; i < n; i++) {
		sc->ent[i].hnext = i + 1 < n ? i + 1 : NIL;
		sc->ent[i].lprev = sc->ent[i].lnext = NIL;
		sc->ent[i].timer = WS_TIME_NEVER;
		pktq_init(&sc->ent[i].hold);
	}
	sc->freelist = 0;
	sc->lru_head = sc->lru_tail = NIL;
	sc->next = WS_TIME_NEVER;
	st->arp = sc;

	/*
	 * RFC 5227 2.3: announce our address so that neighbours update
	 * stale caches.  It waits on st->txq until the first poll.
	 */
	if (!st->cfg.no_announce)
		arp_announce(st);
	return 0;
}

void
arp_detach(struct ws_stack *st)
{
	struct arp_softc *sc = st->arp;

	if (sc == NULL)
		return;
	for (uint32_t i = 0; i < sc->nent; i++)
		pktq_purge(st, &sc->ent[i].hold);
	ws_free(st, sc->ent);
	ws_free(st, sc->bucket);
	ws_free(st, sc);
	st->arp = NULL;
}

void
arp_announce(struct ws_stack *st)
{
	if (st->arp == NULL || st->link->medium != WS_MEDIUM_ETHERNET ||
	    st->addr == 0)
		return;
	/*
	 * RFC 5227 2.3: a request with sender and target IP both ours and
	 * a zero target MAC, broadcast.
	 */
	if (arp_send(st, ARP_OP_REQUEST, ether_broadcast_addr, zero_mac,
	    st->addr, st->addr))
		STAT_INC(st, arp, txannounce);
}

/* Addresses no neighbour can have: never cached, never answered. */
static bool
bad_sender_addr(const struct ws_stack *st, uint32_t a)
{
	if ((a >> 28) == 0xe || a == 0xffffffffu || (a >> 24) == 127)
		return true;
	/* Our subnet's directed broadcast (prefixes shorter than /31). */
	if (st->netmask != 0 && ~st->netmask > 1 &&
	    a == (st->addr | ~st->netmask))
		return true;
	return false;
}

/*
 * Someone else claims our address (RFC 5227 2.4).  Log it, and defend
 * the address with one announcement unless we already did so within
 * DEFEND_INTERVAL; after that we keep the address and keep quiet, so two
 * hosts cannot ping-pong announcements.
 */
static void
addr_conflict(struct ws_stack *st, const struct arp_repr *r)
{
	struct arp_softc *sc = st->arp;
	char a[16];

	STAT_INC(st, arp, dupip);
	if (sc->conflict_seen && st->now - sc->last_conflict < ARP_DEFEND_US)
		return;
	sc->conflict_seen = true;
	sc->last_conflict = st->now;
	ws_log(st, WS_LOG_WARN, "arp: %02x:%02x:%02x:%02x:%02x:%02x claims our "
	    "address %s; defending it",
	    r->sha[0], r->sha[1], r->sha[2], r->sha[3], r->sha[4], r->sha[5],
	    ws_ip4_format(st->addr, a, sizeof(a)));
	STAT_INC(st, arp, defends);
	arp_announce(st);
}

void
arp_input(struct ws_stack *st, struct pkt *p)
{
	struct arp_softc *sc = st->arp;
	struct arp_repr r;
	bool itsme;
	uint32_t i;

	if (sc == NULL || st->link->medium != WS_MEDIUM_ETHERNET)
		goto drop;
	STAT_INC(st, arp, rxtotal);
	switch (arp_wire_parse(p->data, p->len, &r)) {
	case 0:
		break;
	case ARP_WIRE_ESHORT:
		STAT_INC(st, arp, badlen);
		goto drop;
	case ARP_WIRE_EOP:
		STAT_INC(st, arp, badop);
		goto drop;
	default:
		STAT_INC(st, arp, badtype);
		goto drop;
	}
	if (r.op == ARP_OP_REQUEST)
		STAT_INC(st, arp, rxrequests);
	else
		STAT_INC(st, arp, rxreplies);

	/* No neighbour has a group, zero, or our own hardware address. */
	if (ether_addr_is_multicast(r.sha) || ether_addr_is_zero(r.sha) ||
	    ether_addr_eq(r.sha, st->hwaddr)) {
		STAT_INC(st, arp, badaddr);
		goto drop;
	}
	itsme = st->addr != 0 && r.tpa == st->addr;

	if (r.spa == 0) {
		/*
		 * RFC 5227 2.1.1: a probe, from a host checking whether an
		 * address is free.  It says nothing about the sender's own
		 * address, so nothing is learned; if it asks for ours, the
		 * reply tells the prober the address is taken.
		 */
		if (r.op != ARP_OP_REQUEST) {
			STAT_INC(st, arp, badaddr);
			goto drop;
		}
		STAT_INC(st, arp, rxprobes);
		if (itsme) {
			if (arp_send(st, ARP_OP_REPLY, r.sha, r.sha, st->addr,
			    0))
				STAT_INC(st, arp, txreplies);
		} else {
			STAT_INC(st, arp, notforus);
		}
		goto drop;
	}
	if (bad_sender_addr(st, r.spa)) {
		STAT_INC(st, arp, badaddr);
		goto drop;
	}
	if (st->addr != 0 && r.spa == st->addr) {
		addr_conflict(st, &r);
		goto drop;
	}

	/*
	 * RFC 826 "Packet Reception": if the sender is already in the
	 * table, update its hardware address (merge_flag); only if we are
	 * the target, add it.  RFC 826 would add the sender of a reply to
	 * us as well; like Linux (arp_accept = 0) we add only from requests,
	 * since replies we asked for find their INCOMPLETE entry and a reply
	 * nobody asked for is how caches get poisoned.  So an unsolicited
	 * reply, or a request for another host, creates nothing.
	 */
	if ((i = arp_find(sc, r.spa)) != NIL) {
		STAT_INC(st, arp, learned);
		entry_confirm(st, &sc->ent[i], r.sha);
	} else if (itsme && r.op == ARP_OP_REQUEST) {
		/*
		 * A full cache of entries in use keeps them; we still
		 * answer, and will learn the sender when we talk to it.
		 */
		if ((i = entry_alloc(st, r.spa, true)) == NIL) {
			STAT_INC(st, arp, cachefull);
		} else {
			STAT_INC(st, arp, learned);
			entry_confirm(st, &sc->ent[i], r.sha);
		}
	}
	if (!itsme) {
		STAT_INC(st, arp, notforus);
		goto drop;
	}
	if (r.op == ARP_OP_REQUEST) {
		/* Answer straight to the asker, not by broadcast. */
		if (arp_send(st, ARP_OP_REPLY, r.sha, r.sha, st->addr, r.spa))
			STAT_INC(st, arp, txreplies);
	}
drop:
	pkt_free(st, p);
}

/* RFC 1112 6.4: 01:00:5e followed by the low 23 bits of the group. */
static void
multicast_mac(uint32_t group, uint8_t mac[6])
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)((group >> 16) & 0x7f);
	mac[4] = (uint8_t)(group >> 8);
	mac[5] = (uint8_t)group;
}

/* Queue p on an unresolved entry, within the hold limit. */
static int
hold(struct ws_stack *st, struct arp_entry *e, struct pkt *p)
{
	/*
	 * A full queue drops the newcomer, not the oldest: the first
	 * packets to a neighbour (a SYN, say) are the ones worth keeping,
	 * and the caller learns from WS_ENOBUFS that this one was lost.
	 * The bound over all entries never takes an entry's first packet
	 * (RFC 1122 2.3.2.2: keep at least one); arp_entries bounds those.
	 */
	if (e->hold.count >= st->cfg.arp_hold || (e->hold.count > 0 &&
	    st->arp->nheld >= st->cfg.arp_hold_total)) {
		STAT_INC(st, arp, holddrops);
		pkt_free(st, p);
		return WS_ENOBUFS;
	}
	STAT_INC(st, arp, held);
	st->arp->nheld++;
	pktq_push(&e->hold, p);
	return 0;
}

int
arp_output(struct ws_stack *st, struct pkt *p, uint32_t nexthop)
{
	struct arp_softc *sc = st->arp;
	struct arp_entry *e;
	uint8_t mac[ETHER_ADDR_LEN];
	uint32_t i;

	if (st->link->medium != WS_MEDIUM_ETHERNET) {
		/* No link header, nothing to resolve: the datagram is the frame. */
		stack_xmit(st, p);
		return 0;
	}
	if (nexthop == 0xffffffffu || (st->netmask != 0 &&
	    ~st->netmask > 1 && nexthop == (st->addr | ~st->netmask)))
		return ether_output(st, p, ether_broadcast_addr,
		    ETHERTYPE_IPV4);
	if ((nexthop >> 28) == 0xe) {
		multicast_mac(nexthop, mac);
		return ether_output(st, p, mac, ETHERTYPE_IPV4);
	}
	if (nexthop == 0 || nexthop == st->addr || (nexthop >> 24) == 127 ||
	    sc == NULL) {
		STAT_INC(st, arp, badnexthop);
		pkt_free(st, p);
		return WS_EINVAL;
	}

	if ((i = arp_find(sc, nexthop)) != NIL) {
		e = &sc->ent[i];
		switch (e->state) {
		case ARPS_REACHABLE:
		case ARPS_REFRESH:
			/* Expired, though the timer has not run yet. */
			if (st->now >= e->expire) {
				STAT_INC(st, arp, expired);
				entry_free(st, i);
				break;
			}
			lru_touch(sc, i);
			e->used = true;
			/*
			 * Traffic started inside the refresh window, after
			 * the timer found the entry idle: refresh now.
			 */
			if (e->state == ARPS_REACHABLE &&
			    st->now >= e->expire - ARP_REFRESH_US)
				start_refresh(st, e);
			return ether_output(st, p, e->mac, ETHERTYPE_IPV4);
		case ARPS_INCOMPLETE:
			lru_touch(sc, i);
			return hold(st, e, p);
		case ARPS_FAILED:
			if (st->now >= e->timer) {
				entry_free(st, i);
				break;
			}
			STAT_INC(st, arp, unreach);
			pkt_free(st, p);
			return WS_EHOSTUNREACH;
		default:
			WS_ASSERT(0);
			break;
		}
	}

	/* RFC 1122 2.3.2.2: resolve, keeping (at least) this packet. */
	if ((i = entry_alloc(st, nexthop, false)) == NIL) {
		STAT_INC(st, arp, cachefull);
		pkt_free(st, p);
		return WS_ENOMEM;
	}
	e = &sc->ent[i];
	e->state = ARPS_INCOMPLETE;
	e->tries = 1;
	(void)hold(st, e, p);
	send_request(st, nexthop, NULL);
	set_timer(sc, e, ws_time_add_us(st->now, rexmt_interval(1)));
	return 0;
}

void
arp_timer(struct ws_stack *st)
{
	struct arp_softc *sc = st->arp;
	ws_time_t next = WS_TIME_NEVER;
	uint32_t i, nx;

	if (sc == NULL || st->now < sc->next)
		return;
	for (i = sc->lru_head; i != NIL; i = nx) {
		nx = sc->ent[i].lnext;
		if (sc->ent[i].timer <= st->now)
			entry_timeout(st, i);
		if (sc->ent[i].state != ARPS_FREE)
			next = ws_time_min(next, sc->ent[i].timer);
	}
	sc->next = next;
}

ws_time_t
arp_next_deadline(const struct ws_stack *st)
{
	return st->arp != NULL ? st->arp->next : WS_TIME_NEVER;
}

enum arp_state
arp_lookup(const struct ws_stack *st, uint32_t addr, uint8_t mac[6])
{
	const struct arp_softc *sc = st->arp;
	const struct arp_entry *e;
	uint32_t i;

	if (sc == NULL || (i = arp_find(sc, addr)) == NIL)
		return ARPS_FREE;
	e = &sc->ent[i];
	if (mac != NULL && (e->state == ARPS_REACHABLE ||
	    e->state == ARPS_REFRESH))
		memcpy(mac, e->mac, ETHER_ADDR_LEN);
	return (enum arp_state)e->state;
}

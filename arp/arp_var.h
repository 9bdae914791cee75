/*
 * ARP resolver (RFC 826, RFC 1122 2.3.2) inside the stack.
 */
#ifndef WS_ARP_VAR_H
#define WS_ARP_VAR_H

#include <stdint.h>

#include <wirestack/time.h>

#include "core/pkt.h"

struct ws_stack;

/* Create/destroy the resolver state (st->arp).  0 or WS_ENOMEM. */
int arp_attach(struct ws_stack *st);
void arp_detach(struct ws_stack *st);

/* An ARP packet with the Ethernet header already stripped.  Consumes p. */
void arp_input(struct ws_stack *st, struct pkt *p);

/*
 * Send an IPv4 datagram (p starts at the IP header) to the on-link
 * neighbour `nexthop`: at once if its MAC is known, else queued on the
 * entry while a request goes out.  Consumes p.  Returns 0, WS_ENOBUFS
 * (hold queue full: dropped and counted), WS_EHOSTUNREACH (resolution
 * failed moments ago), WS_EINVAL (nexthop is 0, ours or loopback) or
 * WS_ENOMEM (cache full of unresolved entries, or no memory).
 */
int arp_output(struct ws_stack *st, struct pkt *p, uint32_t nexthop);

/*
 * Negative advice (RFC 1122 4.2.3.5): traffic to the neighbour nexthop
 * seems lost.  A confirmed entry is re-validated at once by unicast
 * requests (as in its refresh window) and is forgotten within
 * ARP_REFRESH_TRIES seconds unless the neighbour answers; the next packet
 * then resolves it by broadcast.  Anything else is left alone.
 */
void arp_advise(struct ws_stack *st, uint32_t nexthop);

/* Broadcast a gratuitous ARP for our address. */
void arp_announce(struct ws_stack *st);

/* Run expired retries and expiries at st->now. */
void arp_timer(struct ws_stack *st);
ws_time_t arp_next_deadline(const struct ws_stack *st);

/* States of a neighbour cache entry (see arp/arp.c). */
enum arp_state {
	ARPS_FREE = 0,    /* no entry */
	ARPS_INCOMPLETE,  /* request sent, packets held */
	ARPS_REACHABLE,   /* MAC known and recently confirmed */
	ARPS_REFRESH,     /* MAC in use, near expiry: unicast requests out */
	ARPS_FAILED,      /* resolution failed: refuse packets for a while */
};

/*
 * The state of addr's cache entry (ARPS_FREE if there is none) and, in
 * ARPS_REACHABLE or ARPS_REFRESH, its MAC into mac (may be NULL).  Only
 * looks: for diagnostics and tests.
 */
enum arp_state arp_lookup(const struct ws_stack *st, uint32_t addr,
    uint8_t mac[6]);

#endif /* WS_ARP_VAR_H */

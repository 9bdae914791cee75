/*
 * IPv4 (RFC 791, RFC 1122) and ICMP (RFC 792) inside the stack.
 */
#ifndef WS_IP4_VAR_H
#define WS_IP4_VAR_H

#include <stdbool.h>
#include <stdint.h>

#include <wirestack/time.h>

#include "core/pkt.h"

struct ws_stack;

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6

/* What a transport learns about the datagram that carried its segment. */
struct ip4_info {
	uint32_t src, dst;  /* host order */
	uint8_t proto;
	uint8_t tos;
	uint8_t ttl;
	uint16_t hlen;      /* IP header length, bytes */
};

/* Parameters of one outgoing datagram. */
struct ip4_out {
	uint32_t src, dst;  /* host order; src 0 = our address */
	uint8_t proto;
	uint8_t tos;
	uint8_t ttl;        /* 0 = default (64) */
	bool df;            /* set Don't Fragment */
};

int ip4_attach(struct ws_stack *st);
void ip4_detach(struct ws_stack *st);

/*
 * A received datagram, p starting at the IP header (link header already
 * stripped).  Validates, reassembles, and delivers to icmp or tcp_input().
 * Consumes p.
 */
void ip4_input(struct ws_stack *st, struct pkt *p);

/*
 * Prepend an IPv4 header to p (the transport segment, checksum already
 * filled in) and route it: on-link destinations directly, others through
 * the gateway; on Ethernet through arp_output(), on an IP medium straight
 * to stack_xmit().  Consumes p.  Returns 0, WS_ENETUNREACH (no gateway),
 * WS_EMSGSIZE (larger than the MTU), WS_ENOBUFS, WS_ENOMEM.
 */
int ip4_output(struct ws_stack *st, struct pkt *p, const struct ip4_out *o);

/* Reassembly timeouts. */
void ip4_timer(struct ws_stack *st);
ws_time_t ip4_next_deadline(const struct ws_stack *st);

/* The largest transport payload we can send without fragmenting. */
uint32_t ip4_maxpayload(const struct ws_stack *st);

#endif /* WS_IP4_VAR_H */

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

/* The ECN field, the low two bits of the TOS byte (RFC 3168 5). */
#define IP4_ECN_MASK 0x03
#define IP4_ECN_NOTECT 0x00
#define IP4_ECN_ECT1 0x01
#define IP4_ECN_ECT0 0x02
#define IP4_ECN_CE 0x03

/* What a transport learns about the datagram that carried its segment. */
struct ip4_info {
	uint32_t src, dst;  /* host order */
	uint8_t proto;
	uint8_t tos;        /* with the ECN field (RFC 3168 5) */
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

/*
 * Negative advice from a transport (RFC 1122 4.2.3.5, 3.3.1.4): datagrams
 * to dst seem to get lost.  With one gateway there is no other route to
 * try; on Ethernet the next hop's ARP entry is confirmed afresh.
 */
void ip4_negative_advice(struct ws_stack *st, uint32_t dst);

/* Reassembly timeouts. */
void ip4_timer(struct ws_stack *st);
ws_time_t ip4_next_deadline(const struct ws_stack *st);

/* The largest transport payload we can send without fragmenting. */
uint32_t ip4_maxpayload(const struct ws_stack *st);
/* The same for a TCP super-segment (0: the device has no offload). */
uint32_t ip4_gso_maxpayload(const struct ws_stack *st);

/* ---- Internal to ipv4/ (and tests) ---- */

struct ip4_hdr;
struct ip4_reass;

/* Addresses (host order) with a meaning of their own. */
#define IP4_ADDR_ANY 0x00000000u
#define IP4_ADDR_BROADCAST 0xffffffffu
#define IP4_IN_LOOPBACK(a) (((a) >> 24) == 127)     /* 127/8 */
#define IP4_IN_MULTICAST(a) (((a) >> 28) == 0xe)    /* 224/4 */
#define IP4_IN_EXPERIMENTAL(a) (((a) >> 28) == 0xf) /* 240/4 */

#define IP4_DEFAULT_TTL 64

/* An echo reply we received, as seen by an echo hook. */
struct icmp4_echo {
	uint32_t src;          /* who answered (host order) */
	uint16_t id, seq;
	const uint8_t *data;   /* the payload, valid during the call only */
	size_t len;
};

typedef void (*icmp4_echo_fn)(void *arg, const struct icmp4_echo *e);

/*
 * Observes every ICMP error that is passed to tcp_ctlinput() (with the
 * same arguments, before TCP sees it).
 */
typedef void (*icmp4_ctl_fn)(void *arg, uint8_t type, uint8_t code,
    uint16_t nextmtu, const struct ip4_info *inner, const uint8_t *th,
    size_t thlen);

/* Per-stack IPv4 and ICMP state (st->ip4). */
struct ip4_softc {
	uint16_t ip_id;              /* next IP identification */

	/* Reassembly (ip4_reass.c). */
	struct ip4_reass *rq;        /* datagrams being reassembled */
	uint32_t rq_count;           /* entries on rq */
	uint32_t rq_bytes;           /* memory charged to reassembly */

	/* ICMP output rate limit: a token bucket, in millionths of a token. */
	uint64_t icmp_tokens;
	ws_time_t icmp_last;         /* when the bucket was last refilled */

	icmp4_echo_fn echo_hook;     /* echo replies received, or NULL */
	void *echo_arg;
	icmp4_ctl_fn ctl_hook;       /* errors handed to TCP, or NULL */
	void *ctl_arg;
};

/* The datagram is from a source that must never be answered or accepted. */
bool ip4_martian_src(const struct ws_stack *st, uint32_t src);

/* Broadcast or multicast as seen from our subnet. */
bool ip4_is_bcast_mcast(const struct ws_stack *st, uint32_t addr);

/* Deliver a complete, validated datagram (p at the IP header).  Consumes p. */
void ip4_deliver(struct ws_stack *st, struct pkt *p, const struct ip4_hdr *h);

/*
 * Reassembly.  `p` (borrowed or owned; at the IP header, trimmed to the
 * total length) is a validated fragment: it is copied and consumed.
 * Returns the whole datagram as a new owned packet once the last hole is
 * filled (header rewritten as unfragmented, and h updated to match), else
 * NULL.
 */
struct pkt *ip4_reass(struct ws_stack *st, struct pkt *p, struct ip4_hdr *h);
void ip4_reass_timer(struct ws_stack *st);
ws_time_t ip4_reass_deadline(const struct ws_stack *st);
/* Free everything held for reassembly. */
void ip4_reass_drain(struct ws_stack *st);

/*
 * ICMP.  icmp4_input: p at the ICMP header, ip describes the datagram.
 * Consumes p.
 */
void icmp4_input(struct ws_stack *st, struct pkt *p, const struct ip4_info *ip);

/*
 * Send an echo request to dst with `len` bytes of data (any size: larger
 * than the MTU is fragmented).  Returns 0 or ip4_output()'s errors,
 * WS_EMSGSIZE (over 65507 bytes), WS_ENOMEM.
 */
int icmp4_echo_request(struct ws_stack *st, uint32_t dst, uint16_t id,
    uint16_t seq, const uint8_t *data, size_t len);

/*
 * Report an error about a datagram we received: orig_ip is its IP header
 * and what follows (len bytes).  Silently does nothing where RFC 1122
 * 3.2.2 forbids an error (about an ICMP error, a broadcast or multicast,
 * a non-initial fragment, a martian source) and when rate limited.
 * Returns 0 if sent, else a WS_E* code (WS_EAGAIN when suppressed).
 */
int icmp4_error(struct ws_stack *st, uint8_t type, uint8_t code,
    const uint8_t *orig_ip, size_t len);

/* Take a token from the ICMP output bucket: false means rate limited. */
bool icmp4_ratelimit_ok(struct ws_stack *st);

/* Install (fn non-NULL) or remove the hooks described above. */
void icmp4_set_echo_hook(struct ws_stack *st, icmp4_echo_fn fn, void *arg);
void icmp4_set_ctl_hook(struct ws_stack *st, icmp4_ctl_fn fn, void *arg);

#endif /* WS_IP4_VAR_H */

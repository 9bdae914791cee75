/*
 * Ethernet input and output inside the stack (the layer between a device
 * and ARP/IPv4).  Devices themselves live in the other files of link/, behind ws_link_ops.
 */
#ifndef WS_LINK_VAR_H
#define WS_LINK_VAR_H

#include <stddef.h>
#include <stdint.h>

#include <wirestack/link.h>

#include "core/pkt.h"

struct ws_stack;

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806

/*
 * A received Ethernet frame: checks length and destination, strips the
 * header and hands the payload to arp_input() or ip4_input().  Consumes p;
 * drops are counted in stats.ether.
 */
void ether_input(struct ws_stack *st, struct pkt *p);

/*
 * Prepend an Ethernet header (our MAC as source) and queue the frame with
 * stack_xmit().  Consumes p.  Returns 0 or WS_ENOBUFS (no headroom).
 */
int ether_output(struct ws_stack *st, struct pkt *p, const uint8_t dst[6],
    uint16_t ethertype);

/*
 * For device constructors: format a one-line reason into errbuf (may be
 * NULL); newlines from libpcap/libnet messages are cut off.
 */
void link_seterr(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where a super-segment's headers start and end (bytes from the frame). */
struct link_gso_hdrs {
	size_t l3;   /* the IPv4 header */
	size_t l4;   /* the TCP header */
	size_t len;  /* all headers; the payload follows */
};

/*
 * Check that f (gso_size != 0) is a TCP/IPv4 super-segment of that
 * medium with payload after its headers, and locate the headers.
 * Returns 0 or WS_EINVAL; never reads past f->len.
 */
int link_gso_parse(const struct ws_link_frame *f, enum ws_medium medium,
    struct link_gso_hdrs *h);

/* Receives each segment link_gso_segment() cuts; non-zero stops it. */
typedef int (*link_gso_emit_fn)(void *arg, const uint8_t *frame, size_t len);

/*
 * Cut a super-segment (f->gso_size != 0) into frames no longer than the
 * headers plus gso_size, as the kernel's GSO would, and hand each to emit
 * in order.  Returns 0, WS_EINVAL (not a well-formed TCP/IPv4 frame of
 * that medium), WS_ENOMEM, or emit's error.
 */
int link_gso_segment(const struct ws_link_frame *f, enum ws_medium medium,
    link_gso_emit_fn emit, void *arg);

/*
 * send_batch for a device that cuts super-segments itself (mem, fault):
 * each frame through the device's send(), a super-segment as its
 * segments, in order.  Returns how many frames failed.
 */
unsigned link_gso_send_batch(struct ws_link *l, ws_time_t now,
    const struct ws_link_frame *frames, unsigned n);

#endif /* WS_LINK_VAR_H */

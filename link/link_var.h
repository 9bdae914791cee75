/*
 * Ethernet input and output inside the stack (the layer between a device
 * and ARP/IPv4).  Devices themselves live in the other files of link/, behind ws_link_ops.
 */
#ifndef WS_LINK_VAR_H
#define WS_LINK_VAR_H

#include <stddef.h>
#include <stdint.h>

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

#endif /* WS_LINK_VAR_H */

/*
 * TCP inside the stack: what the IPv4 layer and the stack call.  The TCP
 * implementation's own structures (struct tcpcb, ...) are declared below
 * this contract.
 */
#ifndef WS_TCP_VAR_H
#define WS_TCP_VAR_H

#include <stddef.h>
#include <stdint.h>

#include <wirestack/time.h>

#include "core/pkt.h"
#include "ipv4/ip4_var.h"

struct ws_stack;

int tcp_attach(struct ws_stack *st);
void tcp_detach(struct ws_stack *st);

/* A segment, p starting at the TCP header.  Consumes p. */
void tcp_input(struct ws_stack *st, struct pkt *p, const struct ip4_info *ip);

/*
 * An ICMP error about a segment we sent: `inner` describes the quoted IP
 * header, th/thlen the quoted bytes of our TCP header (at least 8).
 * type/code are ICMP's; nextmtu is from "fragmentation needed" (0 if none).
 */
void tcp_ctlinput(struct ws_stack *st, uint8_t type, uint8_t code,
    uint16_t nextmtu, const struct ip4_info *inner, const uint8_t *th,
    size_t thlen);

/* Run expired timers of every connection at st->now. */
void tcp_timer(struct ws_stack *st);
ws_time_t tcp_next_deadline(const struct ws_stack *st);

#endif /* WS_TCP_VAR_H */

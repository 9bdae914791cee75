/* TEMPORARY: lets the tree link while layers are being written.  Each
 * helper deletes the functions it implements; this file must be gone
 * before anything lands. */
#include "config.h"
#include <wirestack/wirestack.h>
#include "core/stack_var.h"
#include "arp/arp_var.h"
#include "ipv4/ip4_var.h"
#include "link/link_var.h"
#include "tcp/tcp_var.h"
#ifndef HAVE_ARP
int arp_attach(struct ws_stack *st) { return 0; }
void arp_detach(struct ws_stack *st) {}
void arp_input(struct ws_stack *st, struct pkt *p) { pkt_free(st, p); }
int arp_output(struct ws_stack *st, struct pkt *p, uint32_t nh) { pkt_free(st, p); return 0; }
void arp_announce(struct ws_stack *st) {}
void arp_timer(struct ws_stack *st) {}
ws_time_t arp_next_deadline(const struct ws_stack *st) { return WS_TIME_NEVER; }
void ether_input(struct ws_stack *st, struct pkt *p) { pkt_free(st, p); }
int ether_output(struct ws_stack *st, struct pkt *p, const uint8_t d[6], uint16_t t) { pkt_free(st, p); return 0; }
#endif
#ifndef HAVE_IP4
int ip4_attach(struct ws_stack *st) { return 0; }
void ip4_detach(struct ws_stack *st) {}
void ip4_input(struct ws_stack *st, struct pkt *p) { pkt_free(st, p); }
int ip4_output(struct ws_stack *st, struct pkt *p, const struct ip4_out *o) { pkt_free(st, p); return 0; }
void ip4_timer(struct ws_stack *st) {}
ws_time_t ip4_next_deadline(const struct ws_stack *st) { return WS_TIME_NEVER; }
uint32_t ip4_maxpayload(const struct ws_stack *st) { return 1480; }
#endif
#ifndef HAVE_TCP
int tcp_attach(struct ws_stack *st) { return 0; }
void tcp_detach(struct ws_stack *st) {}
void tcp_input(struct ws_stack *st, struct pkt *p, const struct ip4_info *ip) { pkt_free(st, p); }
void tcp_ctlinput(struct ws_stack *st, uint8_t t, uint8_t c, uint16_t m, const struct ip4_info *i, const uint8_t *th, size_t l) {}
void tcp_timer(struct ws_stack *st) {}
ws_time_t tcp_next_deadline(const struct ws_stack *st) { return WS_TIME_NEVER; }
int ws_tcp_connect(struct ws_tcp *s, uint32_t a, uint16_t p) { return WS_EINVAL; }
ssize_t ws_tcp_send(struct ws_tcp *s, const void *b, size_t l) { return WS_EINVAL; }
ssize_t ws_tcp_recv(struct ws_tcp *s, void *b, size_t l) { return WS_EINVAL; }
unsigned ws_tcp_events(const struct ws_tcp *s) { return 0; }
int ws_tcp_error(struct ws_tcp *s) { return 0; }
#endif
#ifndef HAVE_LINKDEV
int ws_link_fault_wrap(struct ws_link **out, struct ws_link *inner, const struct ws_fault_config *cfg) { return WS_EOPNOTSUPP; }
int ws_link_pcapw_wrap(struct ws_link **out, struct ws_link *inner, const char *path, char *e, size_t l) { return WS_EOPNOTSUPP; }
#endif

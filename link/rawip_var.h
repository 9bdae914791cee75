/*
 * Inside link/rawip.c, exposed for the unit tests: which received
 * datagrams the raw IPv4 device hands up, decided twice, once by a
 * classic BPF program in the kernel and once in user space.
 */
#ifndef WS_LINK_RAWIP_VAR_H
#define WS_LINK_RAWIP_VAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

/* Longest program rawip_filter_build() writes. */
#define RAWIP_FILTER_MAX 16

/*
 * True if `dgram` is a well-formed IPv4 TCP datagram (lengths checked
 * before anything is read) to local_addr (host order) whose TCP
 * destination port is lport and source port is rport (0: any).
 */
bool rawip_accept(uint32_t local_addr, uint16_t lport, uint16_t rport,
    const uint8_t *dgram, size_t len);

/*
 * Write the same test as a classic BPF program (offset 0 = the IPv4
 * header) into prog[RAWIP_FILTER_MAX]; returns the instruction count.
 */
unsigned rawip_filter_build(struct sock_filter *prog, uint32_t local_addr,
    uint16_t lport, uint16_t rport);

#endif /* WS_LINK_RAWIP_VAR_H */

/*
 * Initial sequence numbers (RFC 6528 section 3):
 *	ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * M is a timer ticking every 4 microseconds, F is SipHash-2-4 (libsodium
 * crypto_shorthash_siphash24) keyed with 128 random bits per stack, so
 * that an off-path attacker cannot predict the ISN of a connection while
 * successive incarnations of one 4-tuple still get increasing ISNs.
 */
#ifndef WS_TCP_ISS_H
#define WS_TCP_ISS_H

#include <stdint.h>

#include <wirestack/time.h>

struct ws_stack;

#define TCP_ISS_KEYLEN 16

/* Addresses and ports in host order; now in microseconds. */
uint32_t tcp_iss(const uint8_t key[TCP_ISS_KEYLEN], uint32_t laddr,
    uint16_t lport, uint32_t faddr, uint16_t fport, ws_time_t now);

/* Fill key with fresh secret bytes (getrandom, or the seed when the stack
 * is seeded so tests are reproducible). */
void tcp_iss_key(struct ws_stack *st, uint8_t key[TCP_ISS_KEYLEN]);

#endif /* WS_TCP_ISS_H */

/*
 * Round-trip time estimation and the retransmission timeout (RFC 6298).
 *
 * All values are microseconds.  The estimator keeps SRTT and RTTVAR, and
 * the base RTO derived from them (floored at min_rto_us, capped at
 * max_rto_us).  Exponential backoff (RFC 6298 5.5) is kept as a shift
 * count so that the base RTO survives it; tcp_rtt_rto() returns the
 * backed-off value.
 *
 * Karn's algorithm (RFC 6298 section 3 and 5.7): the caller must not take
 * a sample from a retransmitted segment (unless timestamps disambiguate
 * it, RFC 7323 section 4).  A valid sample clears the backoff, because it
 * proves the path delivers again at the measured RTT; the backoff is
 * otherwise kept until then (tcp_rtt_reset_backoff is there for callers
 * that want to clear it on new data being acknowledged, as BSD does).
 */
#ifndef WS_TCP_RTT_H
#define WS_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 6298 2.1: initial RTO 1 second; Linux uses 200 ms as the floor. */
#define TCP_RTO_INITIAL_US 1000000u
#define TCP_RTO_MIN_US 200000u
#define TCP_RTO_MAX_US 120000000u
/* Clock granularity G (RFC 6298 2.2/2.3): we measure in microseconds but
 * timers fire no more precisely than this. */
#define TCP_RTT_G_US 1000u
/* RFC 6298 5.5 backoff is at most this many doublings. */
#define TCP_RTT_MAX_BACKOFF 16

struct tcp_rtt {
	uint32_t srtt_us;
	uint32_t rttvar_us;
	uint32_t rto_us;      /* base RTO, without backoff */
	uint32_t min_rto_us;
	uint32_t max_rto_us;
	uint8_t backoff;      /* doublings applied by tcp_rtt_rto() */
	bool valid;           /* a sample has been taken */
};

/* Reset to "no sample yet" with RTO initial_rto_us (RFC 6298 2.1). */
void tcp_rtt_init(struct tcp_rtt *r, uint32_t initial_rto_us,
    uint32_t min_rto_us, uint32_t max_rto_us);

/* Feed one measurement (RFC 6298 2.2 for the first, 2.3 afterwards);
 * clears the backoff.  A sample of 0 is treated as 1 us. */
void tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us);

/* The current RTO: base << backoff, capped at max_rto_us. */
uint32_t tcp_rtt_rto(const struct tcp_rtt *r);

/* RFC 6298 5.5: double the RTO after a retransmission timeout. */
void tcp_rtt_backoff(struct tcp_rtt *r);

void tcp_rtt_reset_backoff(struct tcp_rtt *r);

#endif /* WS_TCP_RTT_H */

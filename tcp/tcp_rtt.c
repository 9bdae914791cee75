/*
 * RFC 6298 retransmission timer computation.  See tcp_rtt.h.
 *
 * Integer arithmetic in microseconds: with alpha = 1/8 and beta = 1/4 the
 * updates are exact divisions of 64-bit intermediates, so nothing
 * overflows even for samples near 2^32 us.
 */
#include "config.h"

#include "tcp/tcp_rtt.h"

static uint32_t
clamp_rto(const struct tcp_rtt *r, uint64_t rto)
{
	if (rto < r->min_rto_us)
		rto = r->min_rto_us;
	if (rto > r->max_rto_us)
		rto = r->max_rto_us;
	return (uint32_t)rto;
}

void
tcp_rtt_init(struct tcp_rtt *r, uint32_t initial_rto_us,
    uint32_t min_rto_us, uint32_t max_rto_us)
{
	if (max_rto_us < min_rto_us)
		max_rto_us = min_rto_us;
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->min_rto_us = min_rto_us;
	r->max_rto_us = max_rto_us;
	r->backoff = 0;
	r->valid = false;
	/* RFC 6298 2.1: RTO <- 1 second until a sample arrives (the caller
	 * picks the value); the cap applies, the floor too (2.4). */
	r->rto_us = clamp_rto(r, initial_rto_us);
}

void
tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us)
{
	uint64_t var;

	if (rtt_us == 0)
		rtt_us = 1;
	if (!r->valid) {
		/* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2. */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
		r->valid = true;
	} else {
		/*
		 * RFC 6298 2.3, in this order (RTTVAR uses the old SRTT):
		 *   RTTVAR <- (1 - 1/4) * RTTVAR + 1/4 * |SRTT - R'|
		 *   SRTT   <- (1 - 1/8) * SRTT   + 1/8 * R'
		 */
		uint32_t delta = r->srtt_us > rtt_us ? r->srtt_us - rtt_us
						     : rtt_us - r->srtt_us;

		r->rttvar_us = (uint32_t)(((uint64_t)r->rttvar_us * 3 +
		    delta) / 4);
		r->srtt_us = (uint32_t)(((uint64_t)r->srtt_us * 7 + rtt_us) /
		    8);
	}
	/* RTO <- SRTT + max(G, K * RTTVAR), K = 4; then 2.4 and 2.5. */
	var = (uint64_t)r->rttvar_us * 4;
	if (var < TCP_RTT_G_US)
		var = TCP_RTT_G_US;
	r->rto_us = clamp_rto(r, (uint64_t)r->srtt_us + var);
	/* Karn / RFC 6298 5.7: a fresh sample ends the backoff. */
	r->backoff = 0;
}

uint32_t
tcp_rtt_rto(const struct tcp_rtt *r)
{
	uint64_t rto = (uint64_t)r->rto_us << r->backoff;

	return rto > r->max_rto_us ? r->max_rto_us : (uint32_t)rto;
}

void
tcp_rtt_backoff(struct tcp_rtt *r)
{
	/* RFC 6298 5.5: RTO <- RTO * 2; 2.5 allows the maximum to cap it,
	 * and further doublings would only overflow. */
	if (r->backoff < TCP_RTT_MAX_BACKOFF &&
	    ((uint64_t)r->rto_us << r->backoff) < r->max_rto_us)
		r->backoff++;
}

void
tcp_rtt_reset_backoff(struct tcp_rtt *r)
{
	r->backoff = 0;
}

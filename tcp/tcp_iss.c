/*
 * RFC 6528 initial sequence numbers.  See tcp_iss.h.
 */
#include "config.h"

#include <sodium.h>

#include "core/endian.h"
#include "core/stack_var.h"
#include "tcp/tcp_iss.h"

uint32_t
tcp_iss(const uint8_t key[TCP_ISS_KEYLEN], uint32_t laddr, uint16_t lport,
    uint32_t faddr, uint16_t fport, ws_time_t now)
{
	uint8_t in[12];
	uint8_t out[crypto_shorthash_siphash24_BYTES];
	uint32_t f, m;

	/* A fixed byte layout, so the hash does not depend on the host. */
	be32_store(in, laddr);
	be16_store(in + 4, lport);
	be32_store(in + 6, faddr);
	be16_store(in + 10, fport);
	crypto_shorthash_siphash24(out, in, sizeof(in), key);
	f = be32_load(out) ^ be32_load(out + 4);
	/* RFC 6528 section 3: M is a timer incremented every 4 us (it
	 * wraps every ~4.77 hours, as intended). */
	m = (uint32_t)(now / 4);
	return m + f;
}

void
tcp_iss_key(struct ws_stack *st, uint8_t key[TCP_ISS_KEYLEN])
{
	ws_random_bytes(st, key, TCP_ISS_KEYLEN);
}

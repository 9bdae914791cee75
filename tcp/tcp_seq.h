/*
 * TCP sequence number arithmetic (RFC 793 section 3.3, RFC 1982 style).
 *
 * Sequence numbers live on a circle of 2^32.  a < b means that b is
 * reached from a by moving forward less than 2^31: the comparison is the
 * sign of the 32-bit difference, which is well defined through the
 * conversion of (a - b) to int32_t (implementation-defined in C11, two's
 * complement on every compiler we support).  Two numbers exactly 2^31
 * apart are each "less" than the other (the difference is INT32_MIN either
 * way), as in BSD and Linux; windows never come near that distance.
 */
#ifndef WS_TCP_SEQ_H
#define WS_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool
SEQ_LT(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
SEQ_LEQ(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool
SEQ_GT(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static inline bool
SEQ_GEQ(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* The later of two sequence numbers. */
static inline uint32_t
SEQ_MAX(uint32_t a, uint32_t b)
{
	return SEQ_GT(a, b) ? a : b;
}

/* The earlier of two sequence numbers. */
static inline uint32_t
SEQ_MIN(uint32_t a, uint32_t b)
{
	return SEQ_LT(a, b) ? a : b;
}

/*
 * lo <= a < hi in sequence space: a lies in the half-open window that
 * starts at lo and has (hi - lo) bytes.  Computed as an unsigned offset, so
 * it is exact for any window size below 2^32 (even one larger than 2^31)
 * and empty when hi == lo.  For RFC 793's acceptability test of a
 * zero-window segment (RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND with WND = 0)
 * the caller tests SEG.SEQ == RCV.NXT separately, as the RFC does.
 */
static inline bool
SEQ_BETWEEN(uint32_t a, uint32_t lo, uint32_t hi)
{
	return a - lo < hi - lo;
}

/* Signed distance from b to a (positive when a is after b). */
static inline int32_t
SEQ_DIFF(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

#endif /* WS_TCP_SEQ_H */

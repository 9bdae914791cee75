/*
 * wirestack: time as an argument.
 *
 * The stack never reads a clock.  Every entry point takes `now`, a monotonic
 * timestamp in microseconds from an arbitrary origin, and the stack reports
 * when it next wants to be called.  Tests drive it with a virtual clock;
 * applications use ws_clock_now() from the optional loop.
 */
#ifndef WIRESTACK_TIME_H
#define WIRESTACK_TIME_H

#include <stdint.h>

typedef uint64_t ws_time_t;

/* "No deadline": later than any real time. */
#define WS_TIME_NEVER UINT64_MAX

#define WS_USEC_PER_MSEC 1000ULL
#define WS_USEC_PER_SEC 1000000ULL

static inline ws_time_t
ws_time_add_us(ws_time_t t, uint64_t us)
{
	return (t == WS_TIME_NEVER || us > WS_TIME_NEVER - t) ? WS_TIME_NEVER
							      : t + us;
}

static inline ws_time_t
ws_time_add_ms(ws_time_t t, uint64_t ms)
{
	return ws_time_add_us(t, ms * WS_USEC_PER_MSEC);
}

static inline ws_time_t
ws_time_min(ws_time_t a, ws_time_t b)
{
	return a < b ? a : b;
}

#endif /* WIRESTACK_TIME_H */

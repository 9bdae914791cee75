/*
 * Test support for the wire parsers: every truncation of a valid packet,
 * each in an exactly sized heap buffer, so AddressSanitizer reports a
 * parser that reads past the length it was given.
 */
#ifndef WS_TESTS_WIRE_H
#define WS_TESTS_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Called with a prefix p of n bytes, valid during the call only. */
typedef void (*wt_prefix_fn)(void *arg, const uint8_t *p, size_t n);

/*
 * fn(arg, p, n) for n = 0, 1, ..., len - 1: every proper prefix of buf,
 * each copied to the end of its own allocation (nothing readable at or
 * after p[n]).  The whole packet (n = len) is the caller's to check.
 */
void wt_each_truncation(const uint8_t *buf, size_t len, wt_prefix_fn fn,
    void *arg);

/* A heap copy of b with nothing readable after it; free() it. */
uint8_t *wt_dup_exact(const uint8_t *b, size_t len);

#endif /* WS_TESTS_WIRE_H */

/* Truncation fixture for the wire parser tests (tests/lib/wire.h). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/wire.h"

uint8_t *
wt_dup_exact(const uint8_t *b, size_t len)
{
	/* malloc(0) may return NULL: one byte, and nothing of it handed out. */
	uint8_t *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
		abort(); /* a test cannot go on without it */
	if (len > 0)
		memcpy(p, b, len);
	return p;
}

void
wt_each_truncation(const uint8_t *buf, size_t len, wt_prefix_fn fn,
    void *arg)
{
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = wt_dup_exact(buf, n);

		/* For n = 0 the prefix is the end of the byte: empty. */
		fn(arg, n > 0 ? p : p + 1, n);
		free(p);
	}
}

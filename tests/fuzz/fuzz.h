/*
 * Shared by every fuzz target: the libFuzzer entry point and a check that
 * aborts (so libFuzzer, ASan and the replay driver all see a crash) even
 * in builds without assertions.
 */
#ifndef WS_TESTS_FUZZ_FUZZ_H
#define WS_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(e) \
	do { \
		if (!(e)) { \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
			    __FILE__, __LINE__, #e); \
			abort(); \
		} \
	} while (0)

#endif /* WS_TESTS_FUZZ_FUZZ_H */

/*
 * Byte ring (core/ring.c): wrap-around, peeks at offsets, out-of-order
 * writes with commit, lazy allocation, and a random differential test
 * against a linear model.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ring.h"
#include "core/stack_var.h"
#include "tests/lib/harness.h"

struct fixture {
	struct ws_stack st;
	struct wt_alloc alloc;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	wt_alloc_init(&f->alloc, &f->st.alloc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	/* Every test must give back what the ring allocated. */
	assert_int_equal(f->alloc.live, 0);
	free(f);
	return 0;
}

static uint64_t rng_state = 0x1234567887654321ULL;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void
test_lazy_alloc(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	uint8_t b[4] = { 1, 2, 3, 4 }, o[4];
	const uint8_t *p;

	assert_int_equal(ring_init(&f->st, &r, 1000), 0);
	assert_null(r.buf);
	assert_int_equal(f->alloc.total, 0);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_space(&r), 1000);
	assert_int_equal(ring_read(&r, o, 4), 0);
	assert_int_equal(ring_peek(&r, 0, o, 4), 0);
	assert_int_equal(ring_peek_span(&r, 0, &p), 0);
	assert_null(p);
	ring_commit(&r, 10); /* no storage: nothing to commit */
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(f->alloc.total, 0);

	assert_int_equal(ring_write(&f->st, &r, b, 4), 4);
	assert_non_null(r.buf);
	assert_int_equal(f->alloc.live, 1);
	assert_int_equal(ring_read(&r, o, 4), 4);
	assert_memory_equal(o, b, 4);
	ring_release(&f->st, &r);
	assert_null(r.buf);
	assert_int_equal(f->alloc.live, 0);
	assert_int_equal(ring_space(&r), 1000);
	/* Usable again after release. */
	assert_int_equal(ring_write(&f->st, &r, b, 4), 4);
	/* Release is refused while data is held. */
	ring_release(&f->st, &r);
	assert_non_null(r.buf);
	assert_int_equal(ring_set_cap(&f->st, &r, 10), -1);
	ring_fini(&f->st, &r);
	assert_int_equal(f->alloc.live, 0);
	assert_int_equal(ring_set_cap(&f->st, &r, 10), 0);
	assert_int_equal(ring_space(&r), 10);
	ring_fini(&f->st, &r);
}

static void
test_alloc_failure(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	uint8_t b[8] = { 0 };
	uint8_t *w;

	ring_init(&f->st, &r, 64);
	f->alloc.fail_after = 1; /* every allocation fails */
	assert_int_equal(ring_write(&f->st, &r, b, 8), 0);
	assert_int_equal(ring_write_at(&f->st, &r, 4, b, 8), 0);
	assert_int_equal(ring_reserve(&f->st, &r), WS_ENOMEM);
	assert_int_equal(ring_free_span(&r, 0, &w), 0);
	assert_int_equal(ring_len(&r), 0);
	f->alloc.fail_after = 0;
	assert_int_equal(ring_reserve(&f->st, &r), 0);
	assert_int_equal(ring_free_span(&r, 0, &w), 64);
	ring_fini(&f->st, &r);
}

static void
test_wraparound(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	uint8_t in[10], out[10];
	const uint8_t *p;

	for (int i = 0; i < 10; i++)
		in[i] = (uint8_t)(i + 1);
	ring_init(&f->st, &r, 8);
	assert_int_equal(ring_write(&f->st, &r, in, 10), 8); /* clipped */
	assert_int_equal(ring_space(&r), 0);
	assert_int_equal(ring_write(&f->st, &r, in, 1), 0);
	assert_int_equal(ring_read(&r, out, 5), 5);
	assert_memory_equal(out, in, 5);
	/* head = 5; the next write wraps. */
	assert_int_equal(ring_write(&f->st, &r, in + 5, 5), 5);
	assert_int_equal(ring_len(&r), 8);
	/* Spans: 3 bytes to the end of storage, then 5 from the start. */
	assert_int_equal(ring_peek_span(&r, 0, &p), 3);
	assert_memory_equal(p, ((uint8_t[]){ 6, 7, 8 }), 3);
	assert_int_equal(ring_peek_span(&r, 3, &p), 5);
	assert_memory_equal(p, in + 5, 5);
	assert_int_equal(ring_peek_span(&r, 1, &p), 2);
	assert_int_equal(ring_peek_span(&r, 7, &p), 1);
	assert_int_equal(ring_peek_span(&r, 8, &p), 0);
	/* Peek across the wrap at offsets. */
	memset(out, 0, sizeof(out));
	assert_int_equal(ring_peek(&r, 2, out, 4), 4);
	assert_memory_equal(out, ((uint8_t[]){ 8, 6, 7, 8 }), 4);
	assert_int_equal(ring_peek(&r, 6, out, 10), 2);
	assert_memory_equal(out, ((uint8_t[]){ 9, 10 }), 2);
	assert_int_equal(ring_peek(&r, 8, out, 1), 0);
	assert_int_equal(ring_len(&r), 8);
	ring_drop(&r, 4);
	assert_int_equal(ring_read(&r, out, 10), 4);
	assert_memory_equal(out, ((uint8_t[]){ 7, 8, 9, 10 }), 4);
	ring_drop(&r, 100);
	assert_int_equal(ring_len(&r), 0);
	ring_fini(&f->st, &r);
}

static void
test_write_at_commit(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	uint8_t out[16];

	ring_init(&f->st, &r, 16);
	/* Place "ef" at +4 and "cd" at +2 out of order, then "ab" at 0. */
	assert_int_equal(ring_write_at(&f->st, &r, 4, "ef", 2), 2);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(ring_write_at(&f->st, &r, 2, "cd", 2), 2);
	assert_int_equal(ring_write_at(&f->st, &r, 0, "ab", 2), 2);
	ring_commit(&r, 6);
	assert_int_equal(ring_len(&r), 6);
	assert_int_equal(ring_read(&r, out, 16), 6);
	assert_memory_equal(out, "abcdef", 6);
	/* Clipping at the free space; off beyond it writes nothing. */
	assert_int_equal(ring_write_at(&f->st, &r, 16, "x", 1), 0);
	assert_int_equal(ring_write_at(&f->st, &r, 14, "wxyz", 4), 2);
	ring_commit(&r, 100);
	assert_int_equal(ring_len(&r), 16);
	assert_int_equal(ring_peek(&r, 14, out, 2), 2);
	assert_memory_equal(out, "wx", 2);
	/* A drop that empties the ring keeps out-of-order bytes in place. */
	ring_drop(&r, 16);
	assert_int_equal(ring_write_at(&f->st, &r, 3, "Z", 1), 1);
	ring_drop(&r, 0);
	assert_int_equal(ring_write(&f->st, &r, "012", 3), 3);
	ring_commit(&r, 1);
	assert_int_equal(ring_read(&r, out, 16), 4);
	assert_memory_equal(out, "012Z", 4);
	ring_fini(&f->st, &r);
}

static void
test_free_span(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	uint8_t *w;
	uint8_t out[8];

	ring_init(&f->st, &r, 8);
	assert_int_equal(ring_free_span(&r, 0, &w), 0); /* no storage yet */
	assert_int_equal(ring_write(&f->st, &r, "abcdef", 6), 6);
	ring_drop(&r, 4);
	/* head 4, len 2: tail at 6, free 6 = 2 up to the end + 4 after. */
	assert_int_equal(ring_free_span(&r, 0, &w), 2);
	memcpy(w, "gh", 2);
	ring_commit(&r, 2);
	assert_int_equal(ring_free_span(&r, 0, &w), 4);
	memcpy(w, "ijkl", 4);
	ring_commit(&r, 4);
	assert_int_equal(ring_free_span(&r, 0, &w), 0);
	assert_int_equal(ring_read(&r, out, 8), 8);
	assert_memory_equal(out, "efghijkl", 8);
	ring_fini(&f->st, &r);
}

static void
test_zero_capacity(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	const uint8_t *p;

	ring_init(&f->st, &r, 0);
	assert_int_equal(ring_write(&f->st, &r, "a", 1), 0);
	assert_int_equal(ring_write_at(&f->st, &r, 0, "a", 1), 0);
	assert_int_equal(ring_peek_span(&r, 0, &p), 0);
	ring_drop(&r, 1);
	ring_commit(&r, 1);
	assert_int_equal(ring_len(&r), 0);
	assert_int_equal(f->alloc.total, 0);
	ring_fini(&f->st, &r);
}

/*
 * Differential test: the model is a linear array of the valid bytes plus
 * a shadow of the bytes written past the tail.
 */
#define MODEL_CAP 97 /* odd, so spans wrap at awkward places */

static void
test_random_differential(void **state)
{
	struct fixture *f = *state;
	struct ring r;
	uint8_t model[MODEL_CAP];     /* valid bytes in order */
	uint8_t shadow[MODEL_CAP];    /* bytes after the tail */
	uint32_t mlen = 0;
	uint8_t tmp[2 * MODEL_CAP], tmp2[2 * MODEL_CAP];

	memset(shadow, 0, sizeof(shadow));
	ring_init(&f->st, &r, MODEL_CAP);
	/* Start with storage whose tail-side contents are known. */
	ring_reserve(&f->st, &r);
	memset(r.buf, 0, MODEL_CAP);
	for (int op = 0; op < 100000; op++) {
		uint32_t n = rnd() % (MODEL_CAP + 20);
		uint32_t off = rnd() % (MODEL_CAP + 10);
		uint32_t space = MODEL_CAP - mlen, got;

		for (uint32_t i = 0; i < n; i++)
			tmp[i] = (uint8_t)rnd();
		switch (rnd() % 8) {
		case 0: { /* write */
			uint32_t want = n < space ? n : space;

			got = ring_write(&f->st, &r, tmp, n);
			assert_int_equal(got, want);
			memcpy(model + mlen, tmp, got);
			/* The shadow shifts: the written bytes were its
			 * first `got` bytes. */
			memmove(shadow, shadow + got, space - got);
			mlen += got;
			break;
		}
		case 1: { /* read */
			uint32_t want = n < mlen ? n : mlen;

			got = ring_read(&r, tmp2, n);
			assert_int_equal(got, want);
			assert_memory_equal(tmp2, model, got);
			/* Bytes leaving the head become free space at the
			 * end of the shadow (with whatever they held). */
			memcpy(shadow + space, model, got);
			memmove(model, model + got, mlen - got);
			mlen -= got;
			break;
		}
		case 2: { /* peek */
			uint32_t want = off >= mlen ? 0
			    : (n < mlen - off ? n : mlen - off);

			got = ring_peek(&r, off, tmp2, n);
			assert_int_equal(got, want);
			if (got > 0)
				assert_memory_equal(tmp2, model + off, got);
			break;
		}
		case 3: { /* drop */
			uint32_t d = n < mlen ? n : mlen;

			ring_drop(&r, n);
			memcpy(shadow + space, model, d);
			memmove(model, model + d, mlen - d);
			mlen -= d;
			break;
		}
		case 4: { /* write_at */
			uint32_t want = off >= space ? 0
			    : (n < space - off ? n : space - off);

			got = ring_write_at(&f->st, &r, off, tmp, n);
			assert_int_equal(got, want);
			memcpy(shadow + off, tmp, got);
			break;
		}
		case 5: { /* commit */
			uint32_t c = n % 16;

			if (c > space)
				c = space;
			ring_commit(&r, n % 16);
			memcpy(model + mlen, shadow, c);
			memmove(shadow, shadow + c, space - c);
			mlen += c;
			break;
		}
		case 6: { /* gather via spans */
			uint32_t o = off, left = n, k = 0, s;
			const uint8_t *p;

			while (left > 0 && (s = ring_peek_span(&r, o, &p)) > 0) {
				if (s > left)
					s = left;
				memcpy(tmp2 + k, p, s);
				k += s;
				o += s;
				left -= s;
			}
			uint32_t want = off >= mlen ? 0
			    : (n < mlen - off ? n : mlen - off);
			assert_int_equal(k, want);
			if (k > 0)
				assert_memory_equal(tmp2, model + off, k);
			break;
		}
		case 7: { /* fill via free spans, then commit */
			uint32_t o = 0, left = n % 40, s;
			uint8_t *w;

			while (left > 0 && (s = ring_free_span(&r, o, &w)) > 0) {
				if (s > left)
					s = left;
				memcpy(w, tmp + o, s);
				o += s;
				left -= s;
			}
			assert_int_equal(o, (n % 40) < space ? n % 40 : space);
			memcpy(shadow, tmp, o);
			break;
		}
		}
		assert_int_equal(ring_len(&r), mlen);
		assert_int_equal(ring_space(&r), MODEL_CAP - mlen);
		assert_true(r.head < MODEL_CAP);
	}
	ring_fini(&f->st, &r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lazy_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_at_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_free_span, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_capacity, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_random_differential, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}

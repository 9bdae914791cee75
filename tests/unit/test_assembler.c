/*
 * Out-of-order tracker (core/assembler.c): merge cases, the block limit,
 * take_front/shift, and a random differential test against a bitmap.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/assembler.h"

static void
check_blocks(const struct assembler *a, const uint32_t *want, uint32_t n)
{
	assert_int_equal(asm_count(a), n);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(asm_block_start(a, i), want[2 * i]);
		assert_int_equal(asm_block_end(a, i), want[2 * i + 1]);
	}
}

static void
test_merge_cases(void **state)
{
	struct assembler a;

	(void)state;
	asm_init(&a);
	assert_true(asm_empty(&a));
	assert_int_equal(asm_add(&a, 10, 0), 0); /* empty: nothing */
	assert_true(asm_empty(&a));

	assert_int_equal(asm_add(&a, 10, 5), 0);          /* [10,15) */
	check_blocks(&a, (uint32_t[]){ 10, 15 }, 1);
	assert_int_equal(asm_add(&a, 20, 5), 0);          /* disjoint after */
	check_blocks(&a, (uint32_t[]){ 10, 15, 20, 25 }, 2);
	assert_int_equal(asm_add(&a, 2, 3), 0);           /* disjoint before */
	check_blocks(&a, (uint32_t[]){ 2, 5, 10, 15, 20, 25 }, 3);
	assert_int_equal(asm_add(&a, 15, 2), 0);          /* adjacent right */
	check_blocks(&a, (uint32_t[]){ 2, 5, 10, 17, 20, 25 }, 3);
	assert_int_equal(asm_add(&a, 8, 2), 0);           /* adjacent left */
	check_blocks(&a, (uint32_t[]){ 2, 5, 8, 17, 20, 25 }, 3);
	assert_int_equal(asm_add(&a, 11, 3), 0);          /* inside */
	check_blocks(&a, (uint32_t[]){ 2, 5, 8, 17, 20, 25 }, 3);
	assert_int_equal(asm_add(&a, 16, 5), 0);          /* overlaps two */
	check_blocks(&a, (uint32_t[]){ 2, 5, 8, 25 }, 2);
	assert_int_equal(asm_add(&a, 5, 3), 0);           /* fills the gap */
	check_blocks(&a, (uint32_t[]){ 2, 25 }, 1);
	assert_int_equal(asm_add(&a, 30, 1), 0);
	assert_int_equal(asm_add(&a, 40, 1), 0);
	assert_int_equal(asm_add(&a, 0, 100), 0);         /* covers all */
	check_blocks(&a, (uint32_t[]){ 0, 100 }, 1);
	assert_int_equal(asm_total(&a), 100);

	assert_true(asm_contains(&a, 0, 100));
	assert_true(asm_contains(&a, 50, 0));
	assert_false(asm_contains(&a, 50, 51));
	assert_false(asm_contains(&a, UINT32_MAX, 2));
	assert_int_equal(asm_find(&a, 99), 0);
	assert_int_equal(asm_find(&a, 100), -1);
	/* overflow of off + len is refused */
	assert_int_equal(asm_add(&a, UINT32_MAX - 1, 2), -1);
	assert_int_equal(asm_add(&a, UINT32_MAX - 1, 1), 0);
	assert_int_equal(asm_count(&a), 2);
}

static void
test_limit(void **state)
{
	struct assembler a, copy;

	(void)state;
	asm_init(&a);
	for (uint32_t i = 0; i < ASM_MAX_BLOCKS; i++)
		assert_int_equal(asm_add(&a, 10 + 10 * i, 5), 0);
	assert_int_equal(asm_count(&a), ASM_MAX_BLOCKS);
	copy = a;
	/* A new hole anywhere is refused and changes nothing. */
	assert_int_equal(asm_add(&a, 0, 1), -1);
	assert_int_equal(asm_add(&a, 17, 1), -1);
	assert_int_equal(asm_add(&a, 10000, 1), -1);
	assert_memory_equal(&a, &copy, sizeof(a));
	/* Extending or merging still works at the limit. */
	assert_int_equal(asm_add(&a, 15, 1), 0);
	assert_int_equal(asm_count(&a), ASM_MAX_BLOCKS);
	assert_int_equal(asm_add(&a, 16, 4), 0); /* joins blocks 0 and 1 */
	assert_int_equal(asm_count(&a), ASM_MAX_BLOCKS - 1);
	assert_int_equal(asm_add(&a, 0, 1), 0);  /* room again */
}

static void
test_take_front(void **state)
{
	struct assembler a;

	(void)state;
	asm_init(&a);
	assert_int_equal(asm_take_front(&a), 0);
	asm_add(&a, 5, 5);
	asm_add(&a, 20, 10);
	assert_int_equal(asm_take_front(&a), 0); /* hole at 0 */
	check_blocks(&a, (uint32_t[]){ 5, 10, 20, 30 }, 2);
	asm_add(&a, 0, 5);
	assert_int_equal(asm_take_front(&a), 10);
	check_blocks(&a, (uint32_t[]){ 10, 20 }, 1);
	assert_int_equal(asm_take_front(&a), 0);
	/* In-order arrival of 12 bytes: shift cuts the straddling block. */
	asm_shift(&a, 12);
	check_blocks(&a, (uint32_t[]){ 0, 8 }, 1);
	assert_int_equal(asm_take_front(&a), 8);
	assert_true(asm_empty(&a));
	/* shift past everything forgets everything */
	asm_add(&a, 3, 3);
	asm_add(&a, 10, 3);
	asm_shift(&a, 13);
	assert_true(asm_empty(&a));
	asm_add(&a, 3, 3);
	asm_shift(&a, 0);
	check_blocks(&a, (uint32_t[]){ 3, 6 }, 1);
}

/*
 * Differential test against a bitmap of SPAN bytes: random adds (some
 * refused by the limit), in-order advances and take_front, with the
 * structure checked after each step.
 */
#define SPAN 512

static void
check_model(const struct assembler *a, const uint8_t *bm)
{
	uint32_t i = 0, b = 0;

	/* Rebuild the runs of the bitmap and compare block by block. */
	while (i < SPAN) {
		uint32_t s;

		if (!bm[i]) {
			i++;
			continue;
		}
		s = i;
		while (i < SPAN && bm[i])
			i++;
		assert_true(b < asm_count(a));
		assert_int_equal(asm_block_start(a, b), s);
		assert_int_equal(asm_block_end(a, b), i);
		b++;
	}
	assert_int_equal(asm_count(a), b);
	assert_true(asm_count(a) <= ASM_MAX_BLOCKS);
}

static uint32_t
model_runs(const uint8_t *bm)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < SPAN; i++)
		if (bm[i] && (i == 0 || !bm[i - 1]))
			n++;
	return n;
}

static void
test_random_differential(void **state)
{
	struct assembler a;
	uint8_t bm[SPAN], trial[SPAN];
	uint64_t x = 0x243f6a8885a308d3ULL;
	unsigned refused = 0, taken = 0;

	(void)state;
	asm_init(&a);
	memset(bm, 0, sizeof(bm));
	for (int op = 0; op < 200000; op++) {
		uint32_t r, off, len;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (uint32_t)(x >> 32);
		off = (r >> 6) % (SPAN - 64);
		/* Mostly small pieces so that holes (and the limit) are
		 * common, sometimes large ones that merge many blocks. */
		len = (x & 0xf0000) ? ((uint32_t)x >> 8) % 4
		    : ((uint32_t)x >> 8) % 64;
		switch (r % 64) {
		case 0: { /* in-order advance: take_front */
			uint32_t want = 0, got;

			while (want < SPAN && bm[want])
				want++;
			got = asm_take_front(&a);
			assert_int_equal(got, want);
			memmove(bm, bm + got, SPAN - got);
			memset(bm + SPAN - got, 0, got);
			taken += got;
			break;
		}
		case 1: { /* in-order advance by n: shift */
			uint32_t n = len;

			asm_shift(&a, n);
			memmove(bm, bm + n, SPAN - n);
			memset(bm + SPAN - n, 0, n);
			break;
		}
		case 2:
		case 3:
		case 4: { /* contains */
			bool want = true;

			for (uint32_t i = off; i < off + len; i++)
				want = want && bm[i];
			assert_int_equal(asm_contains(&a, off, len), want);
			int idx = asm_find(&a, off);
			if (bm[off]) {
				assert_true(idx >= 0);
				assert_true(asm_block_start(&a, (uint32_t)idx)
				    <= off);
				assert_true(asm_block_end(&a, (uint32_t)idx)
				    > off);
			} else
				assert_int_equal(idx, -1);
			break;
		}
		default: { /* add */
			int rc;

			memcpy(trial, bm, SPAN);
			memset(trial + off, 1, len);
			rc = asm_add(&a, off, len);
			if (model_runs(trial) > ASM_MAX_BLOCKS) {
				assert_int_equal(rc, -1);
				refused++;
			} else {
				assert_int_equal(rc, 0);
				memcpy(bm, trial, SPAN);
			}
			break;
		}
		}
		check_model(&a, bm);
	}
	/* The run exercised both the limit and the in-order path. */
	print_message("# refused %u, taken %u\n", refused, taken);
	assert_true(refused > 100);
	assert_true(taken > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_cases),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_take_front),
		cmocka_unit_test(test_random_differential),
	};

	return cmocka_run_group_tests_name("assembler", tests, NULL, NULL);
}

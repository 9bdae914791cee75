/*
 * Sequence space comparisons (tcp/tcp_seq.h), especially across the
 * 2^32 wrap and at the 2^31 distance.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp/tcp_seq.h"

static void
test_basic(void **state)
{
	(void)state;
	assert_true(SEQ_LT(1, 2));
	assert_false(SEQ_LT(2, 1));
	assert_false(SEQ_LT(5, 5));
	assert_true(SEQ_LEQ(5, 5));
	assert_true(SEQ_GEQ(5, 5));
	assert_false(SEQ_GT(5, 5));
	assert_true(SEQ_GT(2, 1));
	assert_true(SEQ_GEQ(2, 1));
	assert_false(SEQ_LEQ(2, 1));
}

static void
test_wrap_2_32(void **state)
{
	(void)state;
	/* 0xffffffff is just before 0 */
	assert_true(SEQ_LT(0xffffffffu, 0));
	assert_true(SEQ_GT(0, 0xffffffffu));
	assert_true(SEQ_LT(0xfffffff0u, 0x10));
	assert_true(SEQ_GT(0x10, 0xfffffff0u));
	assert_true(SEQ_LEQ(0xfffffff0u, 0x10));
	assert_false(SEQ_GEQ(0xfffffff0u, 0x10));
	assert_int_equal(SEQ_MAX(0xfffffff0u, 0x10), 0x10);
	assert_int_equal(SEQ_MIN(0xfffffff0u, 0x10), 0xfffffff0u);
	assert_int_equal(SEQ_MAX(0x10, 0xfffffff0u), 0x10);
	assert_int_equal(SEQ_MIN(0x10, 0xfffffff0u), 0xfffffff0u);
	assert_int_equal(SEQ_DIFF(0x10, 0xfffffff0u), 0x20);
	assert_int_equal(SEQ_DIFF(0xfffffff0u, 0x10), -0x20);
}

static void
test_wrap_2_31(void **state)
{
	uint32_t bases[] = { 0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu,
		0x12345678u };

	(void)state;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		uint32_t a = bases[i];

		/* Just under 2^31 ahead: later. */
		assert_true(SEQ_LT(a, a + 0x7fffffffu));
		assert_true(SEQ_GT(a + 0x7fffffffu, a));
		/* Just over 2^31 ahead: actually behind. */
		assert_true(SEQ_GT(a, a + 0x80000001u));
		assert_true(SEQ_LT(a + 0x80000001u, a));
		/* Exactly 2^31: each is "less" than the other (documented). */
		assert_true(SEQ_LT(a, a + 0x80000000u));
		assert_true(SEQ_LT(a + 0x80000000u, a));
		assert_false(SEQ_GT(a, a + 0x80000000u));
	}
	/* The 2^31 signed boundary itself is not special for near values. */
	assert_true(SEQ_LT(0x7fffffffu, 0x80000000u));
	assert_true(SEQ_GT(0x80000000u, 0x7fffffffu));
}

static void
test_between(void **state)
{
	(void)state;
	/* lo <= a < hi */
	assert_true(SEQ_BETWEEN(100, 100, 200));
	assert_true(SEQ_BETWEEN(199, 100, 200));
	assert_false(SEQ_BETWEEN(200, 100, 200));
	assert_false(SEQ_BETWEEN(99, 100, 200));
	/* empty window */
	assert_false(SEQ_BETWEEN(100, 100, 100));
	/* across the wrap */
	assert_true(SEQ_BETWEEN(0xfffffff0u, 0xffffff00u, 0x100));
	assert_true(SEQ_BETWEEN(0, 0xffffff00u, 0x100));
	assert_true(SEQ_BETWEEN(0xff, 0xffffff00u, 0x100));
	assert_false(SEQ_BETWEEN(0x100, 0xffffff00u, 0x100));
	assert_false(SEQ_BETWEEN(0xfffffeffu, 0xffffff00u, 0x100));
	/* a window larger than 2^31 is still exact */
	assert_true(SEQ_BETWEEN(0x90000000u, 0, 0xa0000000u));
	assert_false(SEQ_BETWEEN(0xa0000000u, 0, 0xa0000000u));
}

static void
test_exhaustive_small(void **state)
{
	/* Compare against a model around the wrap: offsets d in [-300,300]
	 * from several bases. */
	uint32_t bases[] = { 0, 0x7fffff00u, 0xffffff00u, 0x80000000u };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		for (int d = -300; d <= 300; d++) {
			uint32_t a = bases[i];
			uint32_t b = a + (uint32_t)d;

			assert_int_equal(SEQ_LT(a, b), d > 0);
			assert_int_equal(SEQ_LEQ(a, b), d >= 0);
			assert_int_equal(SEQ_GT(a, b), d < 0);
			assert_int_equal(SEQ_GEQ(a, b), d <= 0);
			assert_int_equal(SEQ_BETWEEN(b, a, a + 100),
			    d >= 0 && d < 100);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_wrap_2_32),
		cmocka_unit_test(test_wrap_2_31),
		cmocka_unit_test(test_between),
		cmocka_unit_test(test_exhaustive_small),
	};

	return cmocka_run_group_tests_name("tcp_seq", tests, NULL, NULL);
}

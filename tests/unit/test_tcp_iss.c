/*
 * RFC 6528 initial sequence numbers (tcp/tcp_iss.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/stack_var.h"
#include "tcp/tcp_iss.h"

static const uint8_t key1[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16 };
static const uint8_t key2[16] = { 16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 1 };

#define LA 0xc6120001u
#define FA 0xc6120002u

static void
test_deterministic(void **state)
{
	ws_time_t now = 123456789;

	(void)state;
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80, now),
	    tcp_iss(key1, LA, 1000, FA, 80, now));
	/* A different key gives a different ISN. */
	assert_int_not_equal(tcp_iss(key1, LA, 1000, FA, 80, now),
	    tcp_iss(key2, LA, 1000, FA, 80, now));
}

static void
test_tuples_differ(void **state)
{
	ws_time_t now = 5000000;
	uint32_t base = tcp_iss(key1, LA, 1000, FA, 80, now);
	uint32_t v[1000];

	(void)state;
	/* Each element of the 4-tuple matters, including the order. */
	assert_int_not_equal(base, tcp_iss(key1, LA + 1, 1000, FA, 80, now));
	assert_int_not_equal(base, tcp_iss(key1, LA, 1001, FA, 80, now));
	assert_int_not_equal(base, tcp_iss(key1, LA, 1000, FA + 1, 80, now));
	assert_int_not_equal(base, tcp_iss(key1, LA, 1000, FA, 81, now));
	assert_int_not_equal(base, tcp_iss(key1, FA, 80, LA, 1000, now));
	/* 1000 ephemeral ports: no collisions expected (probability of any
	 * collision among 1000 32-bit values is about 1e-4, and the key is
	 * fixed, so this is deterministic). */
	for (int i = 0; i < 1000; i++) {
		v[i] = tcp_iss(key1, LA, (uint16_t)(40000 + i), FA, 80, now);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(v[i], v[j]);
	}
}

static void
test_clock_ticks(void **state)
{
	ws_time_t t0 = 4000000; /* a multiple of 4 us */
	uint32_t i0 = tcp_iss(key1, LA, 1000, FA, 80, t0);

	(void)state;
	/* M ticks every 4 us. */
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80, t0 + 3), i0);
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80, t0 + 4), i0 + 1);
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80, t0 + 7), i0 + 1);
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80, t0 + 8), i0 + 2);
	/* One second later: 250000 ticks. */
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80,
	    t0 + 1000000) - i0, 250000);
	/* A later incarnation of the same tuple gets a later ISN. */
	for (ws_time_t d = 4; d < 1000000000; d *= 3)
		assert_true((int32_t)(tcp_iss(key1, LA, 1000, FA, 80, t0 + d)
		    - i0) > 0);
	/* The clock wraps modulo 2^32 ticks (about 4.77 hours). */
	assert_int_equal(tcp_iss(key1, LA, 1000, FA, 80,
	    t0 + 4ULL * 0x100000000ULL), i0);
}

static void
test_key_helper(void **state)
{
	struct ws_stack a, b;
	uint8_t k1[16], k2[16], k3[16];

	(void)state;
	/* Seeded stacks in the same state produce the same key. */
	memset(&a, 0, sizeof(a));
	a.cfg.seed = 42;
	a.rng[0] = 1;
	a.rng[1] = 2;
	a.rng[2] = 3;
	a.rng[3] = 4;
	b = a;
	tcp_iss_key(&a, k1);
	tcp_iss_key(&b, k2);
	assert_memory_equal(k1, k2, 16);
	/* The next one differs. */
	tcp_iss_key(&a, k3);
	assert_memory_not_equal(k1, k3, 16);
	/* Unseeded: from getrandom, two keys differ. */
	a.cfg.seed = 0;
	tcp_iss_key(&a, k1);
	tcp_iss_key(&a, k2);
	assert_memory_not_equal(k1, k2, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_tuples_differ),
		cmocka_unit_test(test_clock_ticks),
		cmocka_unit_test(test_key_helper),
	};

	return cmocka_run_group_tests_name("tcp_iss", tests, NULL, NULL);
}

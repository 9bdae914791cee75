/*
 * RFC 6298 RTO computation (tcp/tcp_rtt.c) with hand-computed values.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp/tcp_rtt.h"

static void
test_initial(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r, 1000000, 200000, 60000000);
	assert_false(r.valid);
	assert_int_equal(tcp_rtt_rto(&r), 1000000);  /* RFC 6298 2.1 */
	/* The initial value respects the bounds. */
	tcp_rtt_init(&r, 100, 200000, 60000000);
	assert_int_equal(tcp_rtt_rto(&r), 200000);
	tcp_rtt_init(&r, 90000000, 200000, 60000000);
	assert_int_equal(tcp_rtt_rto(&r), 60000000);
}

static void
test_formulas(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r, 1000000, 200000, 60000000);
	/* 2.2: SRTT = R = 100 ms, RTTVAR = 50 ms, RTO = 100 + 4*50 = 300. */
	tcp_rtt_sample(&r, 100000);
	assert_true(r.valid);
	assert_int_equal(r.srtt_us, 100000);
	assert_int_equal(r.rttvar_us, 50000);
	assert_int_equal(tcp_rtt_rto(&r), 300000);
	/* 2.3 with R' = 200 ms: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5,
	 * SRTT = 7/8*100 + 1/8*200 = 112.5, RTO = 112.5 + 250 = 362.5. */
	tcp_rtt_sample(&r, 200000);
	assert_int_equal(r.rttvar_us, 62500);
	assert_int_equal(r.srtt_us, 112500);
	assert_int_equal(tcp_rtt_rto(&r), 362500);
	/* R' = 40 ms: RTTVAR = 3/4*62.5 + 1/4*72.5 = 65, SRTT = 7/8*112.5
	 * + 5 = 103.4375, RTO = 103.4375 + 260 = 363.4375 ms. */
	tcp_rtt_sample(&r, 40000);
	assert_int_equal(r.rttvar_us, 65000);
	assert_int_equal(r.srtt_us, 103437);
	assert_int_equal(tcp_rtt_rto(&r), 363437);
}

static void
test_min_rto_and_granularity(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r, 1000000, 200000, 60000000);
	/* 1 ms RTT: 1 + 4*0.5 = 3 ms, floored to 200 ms. */
	tcp_rtt_sample(&r, 1000);
	assert_int_equal(tcp_rtt_rto(&r), 200000);
	for (int i = 0; i < 100; i++)
		tcp_rtt_sample(&r, 1000);
	assert_int_equal(tcp_rtt_rto(&r), 200000);

	/* Without a floor, G bounds the variance term: a perfectly stable
	 * 1 ms RTT gives RTO = SRTT + G = 2 ms. */
	tcp_rtt_init(&r, 1000000, 1, 60000000);
	for (int i = 0; i < 200; i++)
		tcp_rtt_sample(&r, 1000);
	assert_int_equal(r.srtt_us, 1000);
	assert_true(r.rttvar_us * 4 < TCP_RTT_G_US);
	assert_int_equal(tcp_rtt_rto(&r), 1000 + TCP_RTT_G_US);

	/* A 0 sample counts as 1 us. */
	tcp_rtt_init(&r, 1000000, 1, 60000000);
	tcp_rtt_sample(&r, 0);
	assert_int_equal(r.srtt_us, 1);
	assert_int_equal(tcp_rtt_rto(&r), 1 + TCP_RTT_G_US);
}

static void
test_max_and_huge_samples(void **state)
{
	struct tcp_rtt r;

	(void)state;
	tcp_rtt_init(&r, 1000000, 200000, 60000000);
	tcp_rtt_sample(&r, UINT32_MAX);
	assert_int_equal(tcp_rtt_rto(&r), 60000000);
	tcp_rtt_sample(&r, UINT32_MAX);
	tcp_rtt_sample(&r, 0);
	assert_int_equal(tcp_rtt_rto(&r), 60000000);
	assert_true(r.srtt_us > 0);
}

static void
test_backoff(void **state)
{
	struct tcp_rtt r;
	uint32_t rto;

	(void)state;
	tcp_rtt_init(&r, 1000000, 200000, 60000000);
	tcp_rtt_sample(&r, 100000);
	assert_int_equal(tcp_rtt_rto(&r), 300000);
	/* RFC 6298 5.5: doubling on each timeout. */
	rto = 300000;
	for (int i = 0; i < 7; i++) {
		tcp_rtt_backoff(&r);
		rto *= 2;
		assert_int_equal(tcp_rtt_rto(&r), rto);
	}
	assert_int_equal(tcp_rtt_rto(&r), 38400000);
	/* 2.5: capped at the maximum, and stays there. */
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 60000000);
	for (int i = 0; i < 100; i++)
		tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 60000000);
	assert_true(r.backoff <= TCP_RTT_MAX_BACKOFF);
	/* The base RTO is untouched by backoff. */
	assert_int_equal(r.rto_us, 300000);
	tcp_rtt_reset_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 300000);

	/* Karn / 5.7: a new sample clears the backoff. */
	tcp_rtt_backoff(&r);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 1200000);
	tcp_rtt_sample(&r, 100000);
	assert_int_equal(r.backoff, 0);
	assert_int_equal(tcp_rtt_rto(&r), r.rto_us);

	/* Backoff before any sample starts from the initial RTO. */
	tcp_rtt_init(&r, 1000000, 200000, 60000000);
	tcp_rtt_backoff(&r);
	tcp_rtt_backoff(&r);
	assert_int_equal(tcp_rtt_rto(&r), 4000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_formulas),
		cmocka_unit_test(test_min_rto_and_granularity),
		cmocka_unit_test(test_max_and_huge_samples),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests_name("tcp_rtt", tests, NULL, NULL);
}

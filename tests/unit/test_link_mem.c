/*
 * The in-memory pair (link/mem.c): order, propagation delay and
 * serialization at a rate in virtual time, queue limits, next_deadline,
 * and closing either end first.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/endian.h"

#define T0 1000000 /* virtual start time, 1 s */

/* Frames received by a callback, recorded for inspection. */
struct rx_log {
	unsigned n;
	uint32_t seq[256];
	size_t len[256];
};

static void
rx_record(void *arg, const uint8_t *frame, size_t len)
{
	struct rx_log *log = arg;

	assert_true(log->n < 256);
	assert_true(len >= 18);
	log->seq[log->n] = be32_load(frame + 14);
	log->len[log->n] = len;
	log->n++;
}

/* An Ethernet frame of `len` bytes numbered `seq`. */
static void
send_seq(struct ws_link *l, ws_time_t now, uint32_t seq, size_t len)
{
	uint8_t f[1514];

	assert_true(len >= 18 && len <= sizeof(f));
	memset(f, (int)seq, len);
	memset(f, 0xff, 6);
	memcpy(f + 6, l->hwaddr, 6);
	be16_store(f + 12, 0x0800);
	be32_store(f + 14, seq);
	assert_int_equal(ws_link_send(l, now, f, len), 0);
}

static void
test_basics(void **state)
{
	struct ws_link *a, *b;

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	assert_string_equal(a->ops->kind, "mem");
	assert_int_equal(a->medium, WS_MEDIUM_ETHERNET);
	assert_int_equal(a->mtu, 1500);
	assert_memory_equal(a->hwaddr, ((uint8_t[]){ 2, 0, 0, 0, 0, 1 }), 6);
	assert_memory_equal(b->hwaddr, ((uint8_t[]){ 2, 0, 0, 0, 0, 2 }), 6);
	assert_int_equal(ws_link_fd(a), -1);
	assert_true(ws_link_next_deadline(a) == WS_TIME_NEVER);
	ws_link_close(a);
	ws_link_close(b);
	ws_link_close(NULL);

	{
		struct ws_link_mem_config cfg = { .medium = 7 };

		assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), WS_EINVAL);
		assert_null(a);
		assert_null(b);
	}
}

static void
test_order(void **state)
{
	struct ws_link *a, *b;
	struct rx_log log = { 0 };

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	for (uint32_t i = 0; i < 100; i++)
		send_seq(a, T0, i, 60 + i);
	/* Nothing comes back to the sender. */
	assert_int_equal(ws_link_recv(a, T0, rx_record, &log, 1000), 0);
	/* `max` bounds one call. */
	assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 30), 30);
	assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 1000), 70);
	assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 1000), 0);
	assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 0), 0);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(log.seq[i], i);
		assert_int_equal(log.len[i], 60 + i);
	}
	assert_int_equal(a->stats.tx_frames, 100);
	assert_int_equal(b->stats.rx_frames, 100);
	assert_int_equal(b->stats.rx_bytes, a->stats.tx_bytes);
	assert_int_equal(a->stats.tx_bytes, 100 * 60 + 99 * 100 / 2);
	/* Both directions at once. */
	send_seq(b, T0, 7, 64);
	log.n = 0;
	assert_int_equal(ws_link_recv(a, T0, rx_record, &log, 10), 1);
	assert_int_equal(log.seq[0], 7);
	ws_link_close(a);
	ws_link_close(b);
}

static void
test_delay(void **state)
{
	struct ws_link_mem_config cfg = { .delay_us = 5000 };
	struct ws_link *a, *b;
	struct rx_log log = { 0 };

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	send_seq(a, T0, 1, 100);
	send_seq(a, T0 + 1000, 2, 100);
	/* The receiver is told when the first frame lands. */
	assert_true(ws_link_next_deadline(b) == T0 + 5000);
	assert_true(ws_link_next_deadline(a) == WS_TIME_NEVER);
	assert_int_equal(ws_link_recv(b, T0 + 4999, rx_record, &log, 10), 0);
	assert_int_equal(ws_link_recv(b, T0 + 5000, rx_record, &log, 10), 1);
	assert_int_equal(log.seq[0], 1);
	assert_true(ws_link_next_deadline(b) == T0 + 6000);
	assert_int_equal(ws_link_recv(b, T0 + 5999, rx_record, &log, 10), 0);
	assert_int_equal(ws_link_recv(b, T0 + 100000, rx_record, &log, 10), 1);
	assert_int_equal(log.seq[1], 2);
	assert_true(ws_link_next_deadline(b) == WS_TIME_NEVER);
	ws_link_close(b);
	ws_link_close(a);
}

static void
test_rate(void **state)
{
	/* 8 Mbit/s: one byte per microsecond. */
	struct ws_link_mem_config cfg = { .rate_bps = 8000000, .delay_us = 100 };
	struct ws_link *a, *b;
	struct rx_log log = { 0 };

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	/* A burst of three 1000-byte frames queues behind itself. */
	for (uint32_t i = 0; i < 3; i++)
		send_seq(a, T0, i, 1000);
	assert_true(ws_link_next_deadline(b) == T0 + 1000 + 100);
	assert_int_equal(ws_link_recv(b, T0 + 1099, rx_record, &log, 10), 0);
	assert_int_equal(ws_link_recv(b, T0 + 1100, rx_record, &log, 10), 1);
	assert_true(ws_link_next_deadline(b) == T0 + 2000 + 100);
	assert_int_equal(ws_link_recv(b, T0 + 3099, rx_record, &log, 10), 1);
	assert_int_equal(ws_link_recv(b, T0 + 3100, rx_record, &log, 10), 1);
	assert_int_equal(log.n, 3);
	/* After the wire goes idle, a frame starts at its own send time. */
	send_seq(a, T0 + 50000, 9, 500);
	assert_true(ws_link_next_deadline(b) == T0 + 50000 + 500 + 100);
	/* The directions do not share the wire: b's is idle. */
	send_seq(b, T0, 1, 18);
	assert_true(ws_link_next_deadline(a) == T0 + 18 + 100);
	ws_link_close(a);
	ws_link_close(b);

	/* A slow link: 1 Mbit/s, 1500 bytes take 12 ms. */
	cfg.rate_bps = 1000000;
	cfg.delay_us = 0;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	send_seq(a, T0, 0, 1500);
	send_seq(a, T0, 1, 1500);
	assert_true(ws_link_next_deadline(b) == T0 + 12000);
	log.n = 0;
	assert_int_equal(ws_link_recv(b, T0 + 24000, rx_record, &log, 10), 2);
	/* Serialization time rounds up: 18 bytes at 1 Mbit/s are 144 us,
	 * at 7 Mbit/s 20.57 us, which must not become 20. */
	send_seq(a, T0 + 100000, 3, 18);
	assert_true(ws_link_next_deadline(b) == T0 + 100000 + 144);
	ws_link_close(a);
	ws_link_close(b);
	cfg.rate_bps = 7000000;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	send_seq(a, T0, 0, 18);
	assert_true(ws_link_next_deadline(b) == T0 + 21);
	ws_link_close(a);
	ws_link_close(b);
}

static void
test_queue_limit(void **state)
{
	struct ws_link_mem_config cfg = { .queue_limit = 4 };
	struct ws_link *a, *b;
	struct rx_log log = { 0 };

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	/* Overflow is lost on the wire: the sender sees success. */
	for (uint32_t i = 0; i < 6; i++)
		send_seq(a, T0, i, 64);
	assert_int_equal(a->stats.tx_frames, 6);
	assert_int_equal(a->stats.rx_dropped, 2);
	assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 100), 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(log.seq[i], i);
	/* Room again once drained; the ring wraps around correctly. */
	for (uint32_t round = 0; round < 5; round++) {
		log.n = 0;
		for (uint32_t i = 0; i < 3; i++)
			send_seq(a, T0, 10 * round + i, 64);
		assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 2), 2);
		send_seq(a, T0, 10 * round + 3, 64);
		send_seq(a, T0, 10 * round + 4, 64);
		assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 100), 3);
		for (uint32_t i = 0; i < 5; i++)
			assert_int_equal(log.seq[i], 10 * round + i);
	}
	assert_int_equal(a->stats.rx_dropped, 2);
	ws_link_close(a);
	ws_link_close(b);
}

static void
test_mtu(void **state)
{
	struct ws_link_mem_config cfg = { .mtu = 576 };
	struct ws_link *a, *b;
	uint8_t f[2000] = { 0 };

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	assert_int_equal(ws_link_send(a, T0, f, 576 + 14), 0);
	assert_int_equal(ws_link_send(a, T0, f, 576 + 15), WS_EMSGSIZE);
	assert_int_equal(a->stats.tx_errors, 1);
	assert_int_equal(a->stats.tx_frames, 1);
	ws_link_close(a);
	ws_link_close(b);

	/* Medium IP: no link header, the MTU is the frame size. */
	cfg.medium = WS_MEDIUM_IP;
	assert_int_equal(ws_link_mem_pair(&a, &b, &cfg), 0);
	assert_int_equal(a->medium, WS_MEDIUM_IP);
	assert_int_equal(ws_link_send(a, T0, f, 576), 0);
	assert_int_equal(ws_link_send(a, T0, f, 577), WS_EMSGSIZE);
	ws_link_close(b);
	ws_link_close(a);
}

static void
test_close_first(void **state)
{
	struct ws_link *a, *b;
	struct rx_log log = { 0 };

	(void)state;
	/* Close the receiving end with frames queued towards it. */
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	send_seq(a, T0, 1, 100);
	send_seq(b, T0, 2, 100);
	ws_link_close(b);
	/* The survivor keeps working; what it sends is lost. */
	send_seq(a, T0, 3, 100);
	assert_int_equal(a->stats.rx_dropped, 1);
	assert_int_equal(ws_link_recv(a, T0, rx_record, &log, 10), 1);
	assert_int_equal(log.seq[0], 2);
	ws_link_close(a); /* frees the queued frame 1 (ASan: no leak) */

	/* And the other way round. */
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	send_seq(a, T0, 1, 100);
	ws_link_close(a);
	log.n = 0;
	assert_int_equal(ws_link_recv(b, T0, rx_record, &log, 10), 1);
	assert_int_equal(log.seq[0], 1);
	send_seq(b, T0, 4, 100);
	ws_link_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_mtu),
		cmocka_unit_test(test_close_first),
	};

	return cmocka_run_group_tests_name("link_mem", tests, NULL, NULL);
}

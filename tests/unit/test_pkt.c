/*
 * Packet buffers (core/pkt.c): headroom, push/pull/trim bounds, the free
 * list, borrowed frames, queues, and no leaks once the stack is freed
 * (counted through the stack's allocator hook).
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

#include "core/pkt.h"
#include "core/stack_var.h"
#include "tests/lib/harness.h"

struct fixture {
	struct ws_link *la, *lb;
	struct ws_stack *st;
	struct wt_alloc alloc;
	struct ws_allocator hooks;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ws_stack_config cfg;

	if (f == NULL)
		return -1;
	/* A stack needs a device; the far end of the pair stays idle. */
	if (ws_link_mem_pair(&f->la, &f->lb, NULL) != 0)
		return -1;
	wt_alloc_init(&f->alloc, &f->hooks);
	ws_stack_config_init(&cfg);
	cfg.link = f->la;
	cfg.addr = WT_ADDR_A;
	cfg.prefix_len = 24;
	cfg.allocator = &f->hooks;
	cfg.seed = 1;
	cfg.no_announce = true;
	if (ws_stack_new(&f->st, &cfg, 1000000) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	size_t live;

	ws_stack_free(f->st);
	live = f->alloc.live;
	ws_link_close(f->la);
	ws_link_close(f->lb);
	free(f);
	/* Everything the stack and its packets allocated came back. */
	assert_int_equal(live, 0);
	return 0;
}

static void
test_alloc_layout(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = pkt_alloc(f->st, 100);

	assert_non_null(p);
	assert_int_equal(p->len, 100);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM);
	assert_ptr_equal(p->data, p->head + PKT_HEADROOM);
	assert_true(p->cap >= PKT_HEADROOM + 100);
	assert_null(p->next);
	assert_int_equal(p->flags, 0);
	/* The whole valid range is writable (ASan checks the bounds). */
	memset(p->data, 0xa5, p->len);
	pkt_free(f->st, p);
	pkt_free(f->st, NULL); /* harmless */
}

static void
test_push_pull_trim(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = pkt_alloc(f->st, 20);
	uint8_t *d0;

	assert_non_null(p);
	d0 = p->data;
	memset(d0, 0x11, 20);
	/* Each layer prepends its header in front of the payload. */
	assert_ptr_equal(pkt_push(p, 20), d0 - 20);
	assert_int_equal(p->len, 40);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM - 20);
	assert_ptr_equal(pkt_push(p, 14), d0 - 34);
	assert_int_equal(p->len, 54);
	/* And the receive side strips them again. */
	assert_ptr_equal(pkt_pull(p, 14), d0 - 20);
	assert_ptr_equal(pkt_pull(p, 20), d0);
	assert_int_equal(p->len, 20);
	assert_int_equal(p->data[0], 0x11);
	/* Pulling more than is valid fails and changes nothing. */
	assert_null(pkt_pull(p, 21));
	assert_ptr_equal(p->data, d0);
	assert_int_equal(p->len, 20);
	assert_non_null(pkt_pull(p, 20));
	assert_int_equal(p->len, 0);
	assert_null(pkt_pull(p, 1));
	assert_non_null(pkt_pull(p, 0));
	/* Trim shortens only. */
	assert_non_null(pkt_push(p, 30));
	pkt_trim(p, 50);
	assert_int_equal(p->len, 30);
	pkt_trim(p, 10);
	assert_int_equal(p->len, 10);
	pkt_trim(p, 0);
	assert_int_equal(p->len, 0);
	pkt_free(f->st, p);
}

static void
test_headroom_exhaustion(void **state)
{
	struct fixture *f = *state;
	struct pkt *p = pkt_alloc(f->st, 0);
	uint8_t *d;

	assert_non_null(p);
	/* All of it can be used... */
	assert_non_null(pkt_push(p, PKT_HEADROOM - 1));
	d = pkt_push(p, 1);
	assert_ptr_equal(d, p->head);
	assert_int_equal(pkt_headroom(p), 0);
	assert_int_equal(p->len, PKT_HEADROOM);
	/* ...and not one byte more; the packet is unchanged on failure. */
	assert_null(pkt_push(p, 1));
	assert_ptr_equal(p->data, p->head);
	assert_int_equal(p->len, PKT_HEADROOM);
	pkt_free(f->st, p);

	p = pkt_alloc(f->st, 10);
	assert_non_null(p);
	assert_null(pkt_push(p, PKT_HEADROOM + 1));
	assert_null(pkt_push(p, SIZE_MAX));
	assert_int_equal(p->len, 10);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM);
	pkt_free(f->st, p);
}

static void
test_pool_reuse(void **state)
{
	struct fixture *f = *state;
	struct pkt *p, *q;
	size_t total;

	p = pkt_alloc(f->st, 1500);
	assert_non_null(p);
	assert_int_equal(p->cap, PKT_POOL_SIZE);
	p->flags = 0x80; /* must be reset on reuse */
	pkt_free(f->st, p);
	total = f->alloc.total;
	/* The next pool-sized request is served from the free list. */
	q = pkt_alloc(f->st, 64);
	assert_ptr_equal(q, p);
	assert_int_equal(f->alloc.total, total);
	assert_int_equal(q->len, 64);
	assert_int_equal(q->flags, 0);
	assert_null(q->next);
	assert_int_equal(pkt_headroom(q), PKT_HEADROOM);
	pkt_free(f->st, q);

	/* The largest pooled request, and the first that is not. */
	p = pkt_alloc(f->st, PKT_POOL_SIZE - PKT_HEADROOM);
	assert_non_null(p);
	assert_int_equal(p->cap, PKT_POOL_SIZE);
	pkt_free(f->st, p);
	total = f->alloc.total;
	p = pkt_alloc(f->st, PKT_POOL_SIZE - PKT_HEADROOM + 1);
	assert_non_null(p);
	assert_int_equal(f->alloc.total, total + 1);
	assert_int_equal(p->cap, PKT_POOL_SIZE + 1);
	memset(p->data, 0, p->len);
	total = f->alloc.live;
	/* A big buffer goes back to the allocator, not to the pool. */
	pkt_free(f->st, p);
	assert_int_equal(f->alloc.live, total - 1);
}

static void
test_pool_bounded(void **state)
{
	struct fixture *f = *state;
	enum { N = 3000 };
	struct pkt **v = calloc(N, sizeof(*v));
	size_t live_before, pool_before;

	assert_non_null(v);
	live_before = f->alloc.live;
	pool_before = f->st->pool_count;
	for (int i = 0; i < N; i++) {
		v[i] = pkt_alloc(f->st, 1000);
		assert_non_null(v[i]);
	}
	assert_int_equal(f->alloc.live, live_before + N - pool_before);
	assert_int_equal(f->st->pool_count, 0);
	for (int i = 0; i < N; i++)
		pkt_free(f->st, v[i]);
	/* The free list keeps a bounded number; the rest were released. */
	assert_true(f->st->pool_count < N);
	assert_true(f->alloc.live < live_before + N);
	free(v);
	/* teardown checks that ws_stack_free() released the pool. */
}

static void
test_alloc_failure(void **state)
{
	struct fixture *f = *state;
	struct pkt *p;

	/* Drain the pool so that the next allocation reaches malloc. */
	while (f->st->pool != NULL) {
		p = pkt_alloc(f->st, 1);
		assert_non_null(p);
		ws_free(f->st, p);
	}
	/* Sizes that would wrap the arithmetic are refused, not truncated. */
	assert_null(pkt_alloc(f->st, SIZE_MAX));
	assert_null(pkt_alloc(f->st, SIZE_MAX - PKT_HEADROOM));
	assert_null(pkt_alloc(f->st, SIZE_MAX - PKT_HEADROOM - sizeof(struct pkt)
	    + 1));
	f->alloc.fail_after = f->alloc.total + 1;
	assert_null(pkt_alloc(f->st, 100));
	assert_null(pkt_alloc(f->st, 100000));
	f->alloc.fail_after = 0;
	p = pkt_alloc(f->st, 100);
	assert_non_null(p);
	pkt_free(f->st, p);
}

static void
test_borrow(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[60];
	struct pkt p;
	size_t live = f->alloc.live;

	memset(frame, 0x5a, sizeof(frame));
	pkt_borrow(&p, frame, sizeof(frame));
	assert_ptr_equal(p.data, frame);
	assert_int_equal(p.len, sizeof(frame));
	assert_true(p.flags & PKT_F_BORROWED);
	/* No headroom: a borrowed frame cannot grow. */
	assert_null(pkt_push(&p, 1));
	assert_ptr_equal(pkt_pull(&p, 14), frame + 14);
	assert_int_equal(p.len, 46);
	pkt_trim(&p, 20);
	assert_int_equal(p.len, 20);
	/* Freeing a borrowed packet frees nothing and keeps the bytes. */
	pkt_free(f->st, &p);
	assert_int_equal(f->alloc.live, live);
	assert_int_equal(frame[0], 0x5a);
	/* And it never lands on the free list. */
	for (struct pkt *q = f->st->pool; q != NULL; q = q->next)
		assert_ptr_not_equal(q, &p);
}

static void
test_queue(void **state)
{
	struct fixture *f = *state;
	struct pktq q;
	struct pkt *v[5];

	pktq_init(&q);
	assert_null(pktq_pop(&q));
	assert_int_equal(q.count, 0);
	for (int i = 0; i < 5; i++) {
		v[i] = pkt_alloc(f->st, (size_t)i);
		assert_non_null(v[i]);
		pktq_push(&q, v[i]);
		assert_int_equal(q.count, (unsigned)i + 1);
	}
	/* FIFO order, and the link is cleared on the way out. */
	for (int i = 0; i < 3; i++) {
		struct pkt *p = pktq_pop(&q);

		assert_ptr_equal(p, v[i]);
		assert_null(p->next);
		pkt_free(f->st, p);
	}
	assert_int_equal(q.count, 2);
	/* Push after partial drain keeps order. */
	v[0] = pkt_alloc(f->st, 9);
	pktq_push(&q, v[0]);
	assert_ptr_equal(pktq_pop(&q), v[3]);
	pkt_free(f->st, v[3]);
	pktq_purge(f->st, &q);
	assert_int_equal(q.count, 0);
	assert_null(q.first);
	assert_null(q.last);
	assert_null(pktq_pop(&q));
	/* Reusable after purge. */
	v[1] = pkt_alloc(f->st, 1);
	pktq_push(&q, v[1]);
	assert_ptr_equal(q.first, v[1]);
	assert_ptr_equal(q.last, v[1]);
	pktq_purge(f->st, &q);
}

static void
test_no_leak_with_outstanding_txq(void **state)
{
	struct fixture *f = *state;

	/* Frames still queued for the device are freed with the stack. */
	for (int i = 0; i < 10; i++) {
		struct pkt *p = pkt_alloc(f->st, 100);

		assert_non_null(p);
		pktq_push(&f->st->txq, p);
	}
	assert_int_equal(f->st->txq.count, 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_pull_trim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headroom_exhaustion, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pool_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_borrow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_leak_with_outstanding_txq,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("pkt", tests, NULL, NULL);
}

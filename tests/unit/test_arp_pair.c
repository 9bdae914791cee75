/*
 * Two stacks over the mem link resolving each other (tests/lib/harness),
 * on a clean wire and through the fault injector.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/wirestack.h>

#include "arp/arp_var.h"
#include "core/cksum.h"
#include "core/endian.h"
#include "core/stack_var.h"
#include "tests/lib/harness.h"

#define SEC WS_USEC_PER_SEC
#define MS WS_USEC_PER_MSEC

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/*
 * Send a small IPv4 datagram from `from` to `dst` through ARP.  Protocol
 * 253 (RFC 3692, experimentation): no transport of ours takes it.
 */
static int
send_dgram(struct ws_stack *from, uint32_t src, uint32_t dst)
{
	struct pkt *p = pkt_alloc(from, 28);
	uint8_t *h;
	int rc;

	assert_non_null(p);
	h = p->data;
	memset(h, 0, 28);
	h[0] = 0x45;
	be16_store(h + 2, 28);
	h[8] = 64;
	h[9] = 253;
	be32_store(h + 12, src);
	be32_store(h + 16, dst);
	be16_store(h + 10, cksum(h, 20));
	rc = arp_output(from, p, dst);
	stack_kick(from);
	return rc;
}

static struct ws_stats
stats(const struct ws_stack *st)
{
	struct ws_stats s;

	ws_stack_stats(st, &s);
	return s;
}

static bool
both_resolved(void *arg)
{
	struct wt_pair *p = arg;

	return arp_lookup(p->a, WT_ADDR_B, NULL) == ARPS_REACHABLE &&
	    arp_lookup(p->b, WT_ADDR_A, NULL) == ARPS_REACHABLE;
}

static bool
a_done(void *arg)
{
	struct wt_pair *p = arg;
	enum arp_state s = arp_lookup(p->a, WT_ADDR_B, NULL);

	return s == ARPS_REACHABLE || s == ARPS_FAILED;
}

/* Run with no done() and check that virtual time really advanced. */
static void
run_for(struct wt_pair *p, uint64_t us)
{
	ws_time_t end = p->now + us;

	wt_pair_run(p, NULL, NULL, us);
	assert_int_equal(p->now, end);  /* not stuck spinning on a deadline */
}

static void
test_pair_resolve(void **state)
{
	struct wt_pair p;
	struct ws_stats a, b;
	uint8_t mac[6];

	(void)state;
	assert_int_equal(wt_pair_setup(&p, NULL), 0);
	/* The announcements cross; neither creates an entry (RFC 826). */
	run_for(&p, 100 * MS);
	a = stats(p.a);
	b = stats(p.b);
	assert_int_equal(a.arp.txannounce, 1);
	assert_int_equal(b.arp.txannounce, 1);
	assert_int_equal(a.arp.rxrequests, 1);
	assert_int_equal(b.arp.rxrequests, 1);
	assert_int_equal(a.arp.learned, 0);
	assert_int_equal(b.arp.learned, 0);
	assert_int_equal(arp_lookup(p.a, WT_ADDR_B, NULL), ARPS_FREE);
	assert_int_equal(arp_lookup(p.b, WT_ADDR_A, NULL), ARPS_FREE);

	/* A talks to B: one request, one reply, and both know each other. */
	assert_int_equal(send_dgram(p.a, WT_ADDR_A, WT_ADDR_B), 0);
	assert_true(wt_pair_run(&p, both_resolved, &p, 5 * SEC));
	assert_int_equal(arp_lookup(p.a, WT_ADDR_B, mac), ARPS_REACHABLE);
	assert_memory_equal(mac, MAC_B, 6);
	assert_int_equal(arp_lookup(p.b, WT_ADDR_A, mac), ARPS_REACHABLE);
	assert_memory_equal(mac, MAC_A, 6);
	run_for(&p, 100 * MS);
	a = stats(p.a);
	b = stats(p.b);
	assert_int_equal(a.arp.txrequests, 1);
	assert_int_equal(a.arp.rxreplies, 1);
	assert_int_equal(a.arp.held, 1);
	assert_int_equal(a.arp.learned, 1);
	assert_int_equal(b.arp.rxrequests, 2);
	assert_int_equal(b.arp.txreplies, 1);
	assert_int_equal(b.arp.learned, 1);
	assert_int_equal(b.arp.txrequests, 0);
	/* The held datagram crossed: announce, request, datagram. */
	assert_true(b.ether.ipackets >= 3);
	assert_true(a.ether.opackets >= 3);
	assert_int_equal(a.ether.notforus + b.ether.notforus, 0);
	assert_int_equal(a.arp.badaddr + b.arp.badaddr + a.arp.dupip +
	    b.arp.dupip, 0);

	/* B answers straight away: it learned A from the request. */
	assert_int_equal(send_dgram(p.b, WT_ADDR_B, WT_ADDR_A), 0);
	run_for(&p, 100 * MS);
	assert_int_equal(stats(p.b).arp.txrequests, 0);
	assert_int_equal(stats(p.b).arp.held, 0);
	assert_true(stats(p.a).ether.ipackets >= 3);
	assert_int_equal(wt_pair_teardown(&p), 0);
}

/*
 * Steady traffic from A every 10 s for 5 minutes: the entry is refreshed
 * by unicast before it expires, so nothing is ever held again.
 */
static void
test_pair_refresh_keeps_traffic_flowing(void **state)
{
	struct wt_pair p;
	struct ws_stats a;

	(void)state;
	assert_int_equal(wt_pair_setup(&p, NULL), 0);
	run_for(&p, 100 * MS);
	assert_int_equal(send_dgram(p.a, WT_ADDR_A, WT_ADDR_B), 0);
	assert_true(wt_pair_run(&p, both_resolved, &p, 5 * SEC));
	for (int i = 0; i < 30; i++) {
		run_for(&p, 10 * SEC);
		assert_int_not_equal(arp_lookup(p.a, WT_ADDR_B, NULL),
		    ARPS_FREE);
		assert_int_not_equal(arp_lookup(p.a, WT_ADDR_B, NULL),
		    ARPS_INCOMPLETE);
		assert_int_equal(send_dgram(p.a, WT_ADDR_A, WT_ADDR_B), 0);
	}
	a = stats(p.a);
	assert_int_equal(a.arp.held, 1);          /* only the very first */
	assert_int_equal(a.arp.expired, 0);
	assert_true(a.arp.refreshes >= 4);        /* about one a minute */
	assert_true(a.arp.refreshes <= 6);
	/* One broadcast; every other request was a unicast refresh. */
	assert_int_equal(a.arp.txrequests, 1 + a.arp.refreshes);
	assert_int_equal(stats(p.b).arp.txreplies, a.arp.txrequests);
	assert_int_equal(wt_pair_teardown(&p), 0);
}

/*
 * Through the fault injector: requests and replies get lost, duplicated
 * and reordered, yet A resolves B (retrying after a failure), and nothing
 * leaks or spins.
 */
static void
test_pair_faults(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct wt_pair p;
	struct ws_stats a;
	uint8_t mac[6];
	int rounds = 0, rc;

	(void)state;
	o.fault = true;
	o.fault_cfg.drop = 0.3;
	o.fault_cfg.duplicate = 0.1;
	o.fault_cfg.reorder = 0.1;
	rc = wt_pair_setup(&p, &o);
	if (rc == WS_EOPNOTSUPP) {
		assert_int_equal(wt_pair_teardown(&p), 0);
		skip();
	}
	assert_int_equal(rc, 0);
	run_for(&p, 100 * MS);
	/* P(5 requests all unanswered) is ~3% per round: retry until done. */
	for (;;) {
		assert_true(rounds++ < 20);
		rc = send_dgram(p.a, WT_ADDR_A, WT_ADDR_B);
		assert_true(rc == 0 || rc == WS_EHOSTUNREACH);
		if (rc == WS_EHOSTUNREACH) {
			run_for(&p, 21 * SEC);  /* the failure wears off */
			continue;
		}
		assert_true(wt_pair_run(&p, a_done, &p, 30 * SEC));
		if (arp_lookup(p.a, WT_ADDR_B, mac) == ARPS_REACHABLE)
			break;
	}
	assert_memory_equal(mac, MAC_B, 6);
	a = stats(p.a);
	assert_int_equal(a.arp.timeoutdrops, a.arp.timeouts);
	assert_true(a.arp.txrequests <= 5 * (uint64_t)rounds);
	assert_true(a.arp.rxreplies >= 1);
	assert_int_equal(a.arp.badaddr + a.arp.dupip, 0);

	/* Ten minutes of traffic every 5 s over the lossy wire. */
	for (int i = 0; i < 120; i++) {
		run_for(&p, 5 * SEC);
		rc = send_dgram(p.a, WT_ADDR_A, WT_ADDR_B);
		assert_true(rc == 0 || rc == WS_EHOSTUNREACH);
		rc = send_dgram(p.b, WT_ADDR_B, WT_ADDR_A);
		assert_true(rc == 0 || rc == WS_EHOSTUNREACH);
	}
	run_for(&p, 30 * SEC);
	a = stats(p.a);
	assert_true(a.arp.refreshes > 0);
	assert_true(a.arp.timeoutdrops <= a.arp.held);
	assert_true(a.arp.holddrops == 0);
	/* The wire really was lossy. */
	assert_true(p.la->stats.fault_dropped + p.lb->stats.fault_dropped > 0);
	assert_true(p.la->stats.fault_duplicated +
	    p.lb->stats.fault_duplicated > 0);
	/* Whatever was lost, every entry is in a sane state. */
	assert_int_not_equal(arp_lookup(p.a, WT_ADDR_B, NULL), ARPS_INCOMPLETE);
	assert_int_equal(wt_pair_teardown(&p), 0);
}

/* Corrupted frames: dropped and counted, never a crash or a leak. */
static void
test_pair_corruption(void **state)
{
	struct wt_pair_opts o = { 0 };
	struct wt_pair p;
	struct ws_stats a, b;
	int rc;

	(void)state;
	o.fault = true;
	o.fault_cfg.corrupt = 0.5;
	o.fault_cfg.drop = 0.1;
	rc = wt_pair_setup(&p, &o);
	if (rc == WS_EOPNOTSUPP) {
		assert_int_equal(wt_pair_teardown(&p), 0);
		skip();
	}
	assert_int_equal(rc, 0);
	for (int i = 0; i < 200; i++) {
		rc = send_dgram(p.a, WT_ADDR_A, WT_ADDR_B);
		assert_true(rc == 0 || rc == WS_EHOSTUNREACH ||
		    rc == WS_ENOMEM);
		rc = send_dgram(p.b, WT_ADDR_B, WT_ADDR_A);
		assert_true(rc == 0 || rc == WS_EHOSTUNREACH ||
		    rc == WS_ENOMEM);
		run_for(&p, 2 * SEC);
	}
	a = stats(p.a);
	b = stats(p.b);
	assert_true(p.la->stats.fault_corrupted + p.lb->stats.fault_corrupted
	    > 0);
	assert_true(a.ether.ipackets + b.ether.ipackets > 0);
	/* Some of the damage was caught and counted by Ethernet or ARP. */
	assert_true(a.ether.notforus + a.ether.badsrc + a.ether.unknowntype +
	    a.arp.badtype + a.arp.badop + a.arp.badaddr + a.arp.notforus +
	    b.ether.notforus + b.ether.badsrc + b.ether.unknowntype +
	    b.arp.badtype + b.arp.badop + b.arp.badaddr + b.arp.notforus > 0);
	assert_int_equal(wt_pair_teardown(&p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_resolve),
		cmocka_unit_test(test_pair_refresh_keeps_traffic_flowing),
		cmocka_unit_test(test_pair_faults),
		cmocka_unit_test(test_pair_corruption),
	};

	return cmocka_run_group_tests_name("arp_pair", tests, NULL, NULL);
}

/*
 * Two stacks over the mem link in virtual time, pinging each other: every
 * size from empty to the largest datagram (fragmented both ways), on an
 * IP medium and on Ethernet (through ARP), then with seeded loss,
 * duplication, reordering and corruption, where every reply that arrives
 * must carry exactly the bytes that were sent.
 */
#include "config.h"

#include <stdio.h>

#include "tests/unit/ip4_test.h"

#define NSEQ 512
#define PING_ID 0x4242

struct pinger {
	struct wt_pair p;
	uint32_t from, to;      /* a pings b */
	unsigned got[NSEQ];     /* replies per sequence number */
	size_t len[NSEQ];       /* data length sent with each */
	unsigned replies;       /* good replies */
	unsigned bad;           /* replies with wrong bytes or fields */
	uint16_t wait_seq;      /* for done_seq() */
};

static uint8_t pattern[65536];

static void
on_reply(void *arg, const struct icmp4_echo *e)
{
	struct pinger *pg = arg;
	uint8_t *want;

	if (e->src != pg->to || e->id != PING_ID || e->seq >= NSEQ ||
	    e->len != pg->len[e->seq]) {
		pg->bad++;
		return;
	}
	want = malloc(e->len + 1);
	assert_non_null(want);
	fill_pattern(want, e->len, e->seq);
	if (e->len > 0 && memcmp(want, e->data, e->len) != 0)
		pg->bad++;
	else {
		pg->got[e->seq]++;
		pg->replies++;
	}
	free(want);
}

static bool
done_seq(void *arg)
{
	struct pinger *pg = arg;

	return pg->got[pg->wait_seq] > 0;
}

static void
ping(struct pinger *pg, struct ws_stack *from, uint32_t to, uint16_t seq,
    size_t len)
{
	assert_true(seq < NSEQ);
	fill_pattern(pattern, len, seq);
	pg->len[seq] = len;
	assert_int_equal(icmp4_echo_request(from, to, PING_ID, seq, pattern,
	    len), 0);
	stack_kick(from);
}

static int
pinger_setup(struct pinger *pg, enum ws_medium medium, bool fault,
    const struct ws_fault_config *fc)
{
	struct wt_pair_opts o;
	int error;

	memset(pg, 0, sizeof(*pg));
	memset(&o, 0, sizeof(o));
	o.mem.medium = medium;
	o.fault = fault;
	if (fc != NULL)
		o.fault_cfg = *fc;
	o.seed = 11;
	error = wt_pair_setup(&pg->p, &o);
	if (error != 0)
		return error;
	pg->from = WT_ADDR_A;
	pg->to = WT_ADDR_B;
	icmp4_set_echo_hook(pg->p.a, on_reply, pg);
	return 0;
}

static void
pinger_teardown(struct pinger *pg)
{
	assert_int_equal(wt_pair_teardown(&pg->p), 0);
}

static const size_t sizes[] = {
	0, 1, 7, 8, 56, 1471, 1472, 1473, 1480, 2952, 2953, 4000, 9000,
	65507,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void
run_sizes(enum ws_medium medium)
{
	struct pinger *pg = calloc(1, sizeof(*pg));
	struct ws_stats sa, sb;

	assert_non_null(pg);
	assert_int_equal(pinger_setup(pg, medium, false, NULL), 0);
	for (size_t i = 0; i < NSIZES; i++) {
		uint16_t seq = (uint16_t)(i + 1);

		ping(pg, pg->p.a, WT_ADDR_B, seq, sizes[i]);
		pg->wait_seq = seq;
		assert_true(wt_pair_run(&pg->p, done_seq, pg,
		    WS_USEC_PER_SEC));
		assert_int_equal(pg->got[seq], 1);
	}
	assert_int_equal(pg->bad, 0);
	assert_int_equal(pg->replies, NSIZES);

	ws_stack_stats(pg->p.a, &sa);
	ws_stack_stats(pg->p.b, &sb);
	assert_int_equal(sb.icmp.echo, NSIZES);
	assert_int_equal(sb.icmp.echoreply, NSIZES);
	assert_int_equal(sa.icmp.echoreply_rcvd, NSIZES);
	/* Whatever did not fit 1500 bytes went in fragments both ways. */
	assert_int_equal(sa.ip4.fragmented, 7);
	assert_int_equal(sb.ip4.fragmented, 7);
	assert_int_equal(sa.ip4.reassembled, 7);
	assert_int_equal(sb.ip4.reassembled, 7);
	assert_int_equal(sa.ip4.fragdropped + sb.ip4.fragdropped, 0);
	/* Idle: nothing left in reassembly. */
	assert_true(ip4_next_deadline(pg->p.a) == WS_TIME_NEVER);
	assert_true(ip4_next_deadline(pg->p.b) == WS_TIME_NEVER);
	pinger_teardown(pg);
	free(pg);
}

static void
test_pair_ip(void **state)
{
	(void)state;
	run_sizes(WS_MEDIUM_IP);
}

/* Needs ARP: the first echo waits for resolution, the rest do not. */
static void
test_pair_ethernet(void **state)
{
	(void)state;
	run_sizes(WS_MEDIUM_ETHERNET);
}

/* Both ping each other at once, interleaved. */
static void
test_pair_both_ways(void **state)
{
	struct pinger *pa = calloc(1, sizeof(*pa)), pb;

	(void)state;
	assert_non_null(pa);
	assert_int_equal(pinger_setup(pa, WS_MEDIUM_ETHERNET, false, NULL),
	    0);
	memset(&pb, 0, sizeof(pb));
	pb.from = WT_ADDR_B;
	pb.to = WT_ADDR_A;
	icmp4_set_echo_hook(pa->p.b, on_reply, &pb);
	for (uint16_t seq = 0; seq < 50; seq++) {
		ping(pa, pa->p.a, WT_ADDR_B, seq, 100 + seq * 61);
		ping(&pb, pa->p.b, WT_ADDR_A, seq, 3000 - seq * 37);
		wt_pair_run(&pa->p, NULL, NULL, 1000);
	}
	wt_pair_run(&pa->p, NULL, NULL, WS_USEC_PER_SEC);
	assert_int_equal(pa->replies, 50);
	assert_int_equal(pb.replies, 50);
	assert_int_equal(pa->bad + pb.bad, 0);
	pinger_teardown(pa);
	free(pa);
}

/*
 * On Ethernet, get ARP resolved both ways before counting, so that a lost
 * ARP request (and its 1 s retransmission) does not dominate what is an
 * IP test.  Sequence numbers from WARM_SEQ up are not counted.
 */
#define WARM_SEQ 400

static void
warm_up(struct pinger *pg)
{
	for (uint16_t k = 0; k < 50; k++) {
		ping(pg, pg->p.a, WT_ADDR_B, (uint16_t)(WARM_SEQ + k), 8);
		pg->wait_seq = (uint16_t)(WARM_SEQ + k);
		if (wt_pair_run(&pg->p, done_seq, pg, 2 * WS_USEC_PER_SEC))
			return;
	}
	fail_msg("ARP never resolved");
}

/*
 * Send `count` echoes, one every 10 ms, of sizes up to maxlen; returns
 * how many distinct ones were answered.  pg->bad counts replies whose
 * bytes differ from what was sent.
 */
static unsigned
run_faulty(struct pinger *pg, enum ws_medium medium,
    const struct ws_fault_config *fc, unsigned count, size_t maxlen)
{
	struct ws_link_stats la, lb;
	unsigned distinct = 0;
	int error;

	error = pinger_setup(pg, medium, true, fc);
	if (error == WS_EOPNOTSUPP) {
		free(pg);
		skip();
	}
	assert_int_equal(error, 0);
	if (medium == WS_MEDIUM_ETHERNET)
		warm_up(pg);
	for (unsigned i = 0; i < count; i++) {
		size_t len = maxlen <= 56 ? maxlen : (i * 7919) % maxlen;

		ping(pg, pg->p.a, WT_ADDR_B, (uint16_t)i, len);
		wt_pair_run(&pg->p, NULL, NULL, 10 * WS_USEC_PER_MSEC);
	}
	/* Let stragglers (held back, duplicated) arrive. */
	wt_pair_run(&pg->p, NULL, NULL, 2 * WS_USEC_PER_SEC);
	for (unsigned i = 0; i < count; i++)
		if (pg->got[i] > 0)
			distinct++;
	la = pg->p.la->stats;
	lb = pg->p.lb->stats;
	fprintf(stderr, "# %s: %u/%u echoes answered (%u replies, %u bad), "
	    "faults: dropped %llu dup %llu reorder %llu corrupt %llu\n",
	    medium == WS_MEDIUM_IP ? "ip" : "ethernet", distinct, count,
	    pg->replies, pg->bad,
	    (unsigned long long)(la.fault_dropped + lb.fault_dropped),
	    (unsigned long long)(la.fault_duplicated + lb.fault_duplicated),
	    (unsigned long long)(la.fault_reordered + lb.fault_reordered),
	    (unsigned long long)(la.fault_corrupted + lb.fault_corrupted));
	/* The faults really were on. */
	assert_true(fc->drop == 0 || la.fault_dropped + lb.fault_dropped > 0);
	assert_true(fc->duplicate == 0 ||
	    la.fault_duplicated + lb.fault_duplicated > 0);
	assert_true(fc->corrupt == 0 ||
	    la.fault_corrupted + lb.fault_corrupted > 0);
	/* Reassembly state is bounded in time: all gone 30 s later. */
	wt_pair_run(&pg->p, NULL, NULL, 31 * WS_USEC_PER_SEC);
	assert_true(ip4_next_deadline(pg->p.a) == WS_TIME_NEVER);
	assert_true(ip4_next_deadline(pg->p.b) == WS_TIME_NEVER);
	return distinct;
}

/*
 * 5% loss in each direction at each end: a round trip crosses four
 * lossy points, so about 0.95^4 = 81% of echoes are answered, and every
 * answer carries exactly the bytes sent.
 */
static void
run_loss(enum ws_medium medium)
{
	struct ws_fault_config fc = { .drop = 0.05 };
	struct pinger *pg = calloc(1, sizeof(*pg));
	unsigned n;

	assert_non_null(pg);
	n = run_faulty(pg, medium, &fc, 100, 56);
	assert_int_equal(pg->bad, 0);
	assert_true(n >= 60 && n < 100);
	pinger_teardown(pg);
	free(pg);
}

static void
test_pair_loss_ip(void **state)
{
	(void)state;
	run_loss(WS_MEDIUM_IP);
}

static void
test_pair_loss_ethernet(void **state)
{
	(void)state;
	run_loss(WS_MEDIUM_ETHERNET);
}

/*
 * Loss, duplication and reordering with sizes up to 5000 bytes
 * (fragmented both ways): a duplicated fragment is ignored, a reordered
 * one put in its place, and no reply is ever wrong.
 */
static void
test_pair_reorder_dup(void **state)
{
	struct ws_fault_config fc = {
		.drop = 0.02, .duplicate = 0.10, .reorder = 0.10,
	};

	(void)state;
	for (int m = 0; m < 2; m++) {
		struct pinger *pg = calloc(1, sizeof(*pg));
		unsigned n;

		assert_non_null(pg);
		n = run_faulty(pg, m == 0 ? WS_MEDIUM_IP : WS_MEDIUM_ETHERNET,
		    &fc, 200, 5000);
		assert_int_equal(pg->bad, 0);
		assert_true(n >= 120);
		pinger_teardown(pg);
		free(pg);
	}
}

/*
 * Corruption (one flipped byte per corrupted frame, after the link's
 * checksum would have caught it in real life): the IP and ICMP checksums
 * drop the damage.  The Internet checksum cannot see two flips that
 * cancel in the same datagram, so a rare wrong reply is tolerated, never
 * a common one.
 */
static void
test_pair_corruption(void **state)
{
	struct ws_fault_config fc = { .corrupt = 0.05 };
	struct pinger *pg = calloc(1, sizeof(*pg));
	struct ws_stats sa, sb;
	unsigned n;

	(void)state;
	assert_non_null(pg);
	n = run_faulty(pg, WS_MEDIUM_IP, &fc, 300, 3000);
	ws_stack_stats(pg->p.a, &sa);
	ws_stack_stats(pg->p.b, &sb);
	assert_true(sa.ip4.badsum + sb.ip4.badsum > 0);
	assert_true(sa.icmp.badsum + sb.icmp.badsum > 0);
	assert_true(n >= 150 && n < 300);
	assert_true(pg->bad * 100 <= pg->replies);
	pinger_teardown(pg);
	free(pg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_ip),
		cmocka_unit_test(test_pair_ethernet),
		cmocka_unit_test(test_pair_both_ways),
		cmocka_unit_test(test_pair_loss_ip),
		cmocka_unit_test(test_pair_loss_ethernet),
		cmocka_unit_test(test_pair_reorder_dup),
		cmocka_unit_test(test_pair_corruption),
	};

	return cmocka_run_group_tests_name("ip4_pair", tests, NULL, NULL);
}

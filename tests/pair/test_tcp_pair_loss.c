/*
 * Loss recovery between two stacks (in-memory link, virtual time):
 *
 *  - exact scenarios with a scripted dropper on end A: one isolated loss
 *    (fast recovery, no RTO, one retransmission), the loss of the last
 *    segment (a tail loss probe repairs it with RACK-TLP; an RTO
 *    without), a segment held back past three others (RACK retransmits,
 *    the D-SACK undoes the reduction), a lost retransmission;
 *  - random faults from the fault injector on end A only, so that "loss
 *    P" is the loss rate of each packet, data and ACKs alike: 1, 5, 10
 *    and 20 %, duplication, reordering and corruption, with SACK on and
 *    off, NewReno and CUBIC, fixed seeds.  Every transfer is byte-exact,
 *    the counters show the mechanism that was expected, and the
 *    scoreboard stays consistent at every step.
 */
#include "config.h"

#include "tests/pair/tcp_pair.h"

#include "core/endian.h"
#include "tcp/tcp_var.h"

#define SEC WS_USEC_PER_SEC
#define MS WS_USEC_PER_MSEC

/* ---- A scripted device: drops or delays chosen data segments of A ---- */

#define DROP_MAX 8

struct dropper {
	struct ws_link link;       /* must be first */
	struct ws_link *inner;
	unsigned ndata;            /* data segments sent so far */
	unsigned drop[DROP_MAX];   /* indices (0-based) to drop */
	unsigned ndrop;
	unsigned delay_idx;        /* index to hold back (UINT_MAX: none) */
	uint64_t delay_us;
	uint8_t held[2048];
	size_t heldlen;
	ws_time_t held_until;      /* WS_TIME_NEVER: nothing held */
	unsigned redrop;           /* drop this many resends of drop[0] too */
	uint32_t dseq;             /* sequence number of drop[0] */
	bool dseq_set;
	unsigned dropped, delayed;
};

static uint32_t
seg_seq(const uint8_t *f)
{
	return be32_load(f + (size_t)(f[0] & 0x0f) * 4 + 4);
}

static struct dropper *
to_dropper(struct ws_link *l)
{
	return (struct dropper *)l;
}

/* A TCP segment with payload (medium IP: the frame is the datagram). */
static bool
is_data(const uint8_t *f, size_t len)
{
	size_t ihl, thl;

	if (len < 40 || f[9] != 6)
		return false;
	ihl = (size_t)(f[0] & 0x0f) * 4;
	thl = (size_t)(f[ihl + 12] >> 4) * 4;
	return be16_load(f + 2) > ihl + thl;
}

static void
dropper_release(struct dropper *d, ws_time_t now)
{
	if (d->held_until != WS_TIME_NEVER && now >= d->held_until) {
		d->held_until = WS_TIME_NEVER;
		ws_link_send(d->inner, now, d->held, d->heldlen);
	}
}

static int
dropper_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct dropper *d = to_dropper(l);

	dropper_release(d, now);
	if (is_data(frame, len)) {
		unsigned idx = d->ndata++;

		if (d->dseq_set && d->redrop > 0 && seg_seq(frame) == d->dseq) {
			d->redrop--;
			d->dropped++;
			return 0;
		}
		for (unsigned i = 0; i < d->ndrop; i++) {
			if (d->drop[i] == idx) {
				if (i == 0) {
					d->dseq = seg_seq(frame);
					d->dseq_set = true;
				}
				d->dropped++;
				return 0;
			}
		}
		if (idx == d->delay_idx && len <= sizeof(d->held)) {
			memcpy(d->held, frame, len);
			d->heldlen = len;
			d->held_until = now + d->delay_us;
			d->delayed++;
			return 0;
		}
	}
	return ws_link_send(d->inner, now, frame, len);
}

static int
dropper_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct dropper *d = to_dropper(l);

	dropper_release(d, now);
	return ws_link_recv(d->inner, now, fn, arg, max);
}

static int
dropper_fd(struct ws_link *l)
{
	(void)l;
	return -1;
}

static ws_time_t
dropper_next_deadline(struct ws_link *l)
{
	struct dropper *d = to_dropper(l);

	return ws_time_min(ws_link_next_deadline(d->inner), d->held_until);
}

static void
dropper_close(struct ws_link *l)
{
	struct dropper *d = to_dropper(l);

	ws_link_close(d->inner);
	free(d);
}

static const struct ws_link_ops dropper_ops = {
	.kind = "dropper",
	.recv = dropper_recv,
	.send = dropper_send,
	.fd = dropper_fd,
	.next_deadline = dropper_next_deadline,
	.close = dropper_close,
};

static struct dropper *
dropper_wrap(struct ws_link *inner)
{
	struct dropper *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	d->link = *inner;
	d->link.ops = &dropper_ops;
	memset(&d->link.stats, 0, sizeof(d->link.stats));
	d->inner = inner;
	d->delay_idx = UINT32_MAX;
	d->held_until = WS_TIME_NEVER;
	return d;
}

/* ---- Pair setup with one wrapped end ---- */

struct lcase {
	int cc;                 /* WS_TCP_CC_* */
	bool sack, rack;
	size_t len;             /* bytes A -> B */
	double drop, dup, reorder, corrupt; /* fault injector on end A */
	uint64_t seed;
};

static void
big_buffers(struct ws_stack_config *cfg, int side)
{
	(void)side;
	cfg->tcp_sndbuf = cfg->tcp_rcvbuf = 1u << 20;
}

/* Two stacks; end A wrapped by a dropper (d != NULL) or faults. */
static void
pair_setup(struct wt_pair *p, const struct lcase *lc, struct dropper **dp)
{
	struct ws_link_mem_config mc = { 0 };
	struct wt_pair_opts o = { 0 };

	memset(p, 0, sizeof(*p));
	p->now = SEC;
	mc.medium = WS_MEDIUM_IP;
	mc.mtu = 1500;
	mc.rate_bps = 100000000;
	mc.delay_us = 5000;
	mc.queue_limit = 512;
	assert_int_equal(ws_link_mem_pair(&p->la, &p->lb, &mc), 0);
	if (dp != NULL) {
		*dp = dropper_wrap(p->la);
		p->la = &(*dp)->link;
	} else if (lc->drop > 0 || lc->dup > 0 || lc->reorder > 0 ||
	    lc->corrupt > 0) {
		struct ws_fault_config fc = { 0 };
		struct ws_link *w;

		fc.drop = lc->drop;
		fc.duplicate = lc->dup;
		fc.reorder = lc->reorder;
		fc.corrupt = lc->corrupt;
		fc.seed = lc->seed;
		assert_int_equal(ws_link_fault_wrap(&w, p->la, &fc), 0);
		p->la = w;
	}
	o.seed = lc->seed + 1;          /* A: seed + 1, B: seed + 2 */
	o.tune = big_buffers;
	assert_int_equal(wt_pair_stacks(p, &o), 0);
}

static void
sockopts(struct ws_tcp *s, const struct lcase *lc)
{
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_CC, lc->cc), 0);
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_SACK, lc->sack), 0);
	assert_int_equal(ws_tcp_setopt(s, WS_TCP_RACK, lc->rack), 0);
}

/* The transfer, with the scoreboard checked at every step. */
struct lrun {
	struct tp_xfer x;
	struct ws_tcp *c, *s;
	unsigned steps;
};

static bool
lrun_step(void *arg)
{
	struct lrun *r = arg;

	assert_true(tcp_sb_check(sototcpcb(r->c)));
	assert_true(tcp_sb_check(sototcpcb(r->s)));
	r->steps++;
	return tp_xfer_step(&r->x);
}

struct result {
	struct ws_stats a, b;
	struct ws_tcp_info ci;
	unsigned dropped, delayed; /* by the dropper */
};

/* Connect (the handshake may need retries), send lc->len bytes A -> B. */
static void
run_transfer(struct wt_pair *p, const struct lcase *lc, struct result *res,
    const struct dropper *d)
{
	struct tp_conn cn;
	struct lrun r;

	memset(&cn, 0, sizeof(cn));
	assert_int_equal(ws_tcp_open(p->b, &cn.l), 0);
	sockopts(cn.l, lc);
	assert_int_equal(ws_tcp_listen(cn.l, TP_PORT, 8), 0);
	assert_int_equal(ws_tcp_open(p->a, &cn.c), 0);
	sockopts(cn.c, lc);
	assert_int_equal(ws_tcp_connect(cn.c, WT_ADDR_B, TP_PORT),
	    WS_EINPROGRESS);
	assert_true(wt_pair_run(p, tp_accepted, &cn, 120 * SEC));
	memset(&r, 0, sizeof(r));
	r.c = cn.c;
	r.s = cn.s;
	tp_xfer_init(&r.x, cn.c, cn.s, lc->len, lc->seed + 5);
	r.x.close_after = true;
	assert_true(wt_pair_run(p, lrun_step, &r, 3600 * SEC));
	assert_memory_equal(r.x.data, r.x.got, r.x.len);
	ws_tcp_info(cn.c, &res->ci);
	res->a = tp_stats(p->a);
	res->b = tp_stats(p->b);
	tp_xfer_fini(&r.x);
	if (d != NULL) {
		res->dropped = d->dropped;
		res->delayed = d->delayed;
	}
	ws_tcp_close(cn.c);
	ws_tcp_close(cn.s);
	ws_tcp_close(cn.l);
	wt_pair_run(p, NULL, NULL, 600 * SEC);
	assert_int_equal(wt_pair_teardown(p), 0);
}

static void
print_result(const char *name, const struct result *r)
{
	fprintf(stderr, "# %s: rto=%llu fastrexmit=%llu sackrec=%llu "
	    "rack=%llu tlp=%llu undo=%llu rexmit=%llu dsack=%llu/%llu "
	    "reorder=%u\n", name,
	    (unsigned long long)r->a.tcp.rexmttimeo,
	    (unsigned long long)r->a.tcp.fastrexmit,
	    (unsigned long long)r->a.tcp.sackrecovery,
	    (unsigned long long)r->a.tcp.rackdetect,
	    (unsigned long long)r->a.tcp.tlp,
	    (unsigned long long)r->a.tcp.spurious_undo,
	    (unsigned long long)r->a.tcp.sndrexmitpack,
	    (unsigned long long)r->b.tcp.snddsack,
	    (unsigned long long)r->a.tcp.rcvdsack, r->ci.reordering);
}

/* The three configurations compared (initialisers of struct lcase). */
#define SACK_RACK .cc = WS_TCP_CC_CUBIC, .sack = true, .rack = true
#define SACK_ONLY .cc = WS_TCP_CC_NEWRENO, .sack = true, .rack = false
#define NOSACK .cc = WS_TCP_CC_NEWRENO, .sack = false, .rack = false

static const struct lcase sack_rack = { SACK_RACK, .seed = 11 };
static const struct lcase sack_only = { SACK_ONLY, .seed = 11 };
static const struct lcase nosack = { NOSACK, .seed = 11 };

/* What the dropper does to A's data segments (indices from 0). */
struct script {
	unsigned drop[DROP_MAX]; /* the data segments to drop */
	unsigned ndrop;
	unsigned redrop;        /* ... and this many resends of drop[0] */
	unsigned delay;         /* the data segment to hold back */
	uint64_t delay_us;      /*   this long (0: none) */
};

/* Send len bytes A -> B with configuration base and A's dropper doing sc. */
static void
scripted(const struct lcase *base, size_t len, const struct script *sc,
    struct result *res)
{
	struct wt_pair p;
	struct dropper *d;
	struct lcase lc = *base;

	lc.len = len;
	pair_setup(&p, &lc, &d);
	for (unsigned i = 0; i < sc->ndrop; i++)
		d->drop[d->ndrop++] = sc->drop[i];
	d->redrop = sc->redrop;
	if (sc->delay_us > 0) {
		d->delay_idx = sc->delay;
		d->delay_us = sc->delay_us;
	}
	run_transfer(&p, &lc, res, d);
}

/* One segment lost in the middle of a flight. */
static void
isolated(const struct lcase *base, struct result *res)
{
	scripted(base, 300u << 10, &(struct script){ .drop = { 40 },
	    .ndrop = 1 }, res);
}

static void
test_isolated_loss_sack_rack(void **state)
{
	struct result r;

	(void)state;
	isolated(&sack_rack, &r);
	print_result("isolated sack+rack", &r);
	/* RFC 8985: RACK finds it; SACK recovery repairs it; no RTO. */
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
	assert_int_equal(r.a.tcp.sackrecovery, 1);
	assert_true(r.a.tcp.rackdetect >= 1);
	assert_int_equal(r.a.tcp.sndrexmitpack, 1);
	assert_int_equal(r.a.tcp.tlp, 0);
	assert_true(r.a.tcp.rcvsack > 0);
	assert_true(r.b.tcp.rcvoopack > 0);
	assert_int_equal(r.ci.sack_recoveries, 1);
	assert_int_equal(r.ci.rtos, 0);
}

static void
test_isolated_loss_sack_6675(void **state)
{
	struct result r;

	(void)state;
	isolated(&sack_only, &r);
	print_result("isolated sack (RFC 6675)", &r);
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
	assert_int_equal(r.a.tcp.sackrecovery, 1);
	assert_int_equal(r.a.tcp.rackdetect, 0);
	assert_int_equal(r.a.tcp.sndrexmitpack, 1);
}

static void
test_isolated_loss_nosack(void **state)
{
	struct result r;

	(void)state;
	isolated(&nosack, &r);
	print_result("isolated nosack", &r);
	/* RFC 5681 fast retransmit, RFC 6582 NewReno: one resend. */
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
	assert_int_equal(r.a.tcp.fastrexmit, 1);
	assert_int_equal(r.a.tcp.sackrecovery, 0);
	assert_int_equal(r.a.tcp.rcvsack, 0);
	assert_int_equal(r.a.tcp.sndrexmitpack, 1);
	assert_int_equal(r.ci.sack_ok, 0);
}

/* The last data segment is lost: nothing follows it to trigger SACKs. */
static void
tail(const struct lcase *base, struct result *res)
{
	/* 71 segments of 1448 bytes, the last short */
	scripted(base, 100u << 10, &(struct script){ .drop = { 70 },
	    .ndrop = 1 }, res);
	assert_int_equal(res->dropped, 1);
}

static void
test_tail_loss_tlp(void **state)
{
	struct result r;

	(void)state;
	tail(&sack_rack, &r);
	print_result("tail sack+rack", &r);
	/* RFC 8985 7: the probe resends the last segment; no RTO. */
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
	assert_int_equal(r.a.tcp.tlp, 1);
	assert_int_equal(r.ci.tlps, 1);
	assert_int_equal(r.a.tcp.sndrexmitpack, 1);
}

static void
test_tail_loss_rto_without_rack(void **state)
{
	struct result r;

	(void)state;
	tail(&sack_only, &r);
	print_result("tail sack", &r);
	assert_int_equal(r.a.tcp.rexmttimeo, 1);
	assert_int_equal(r.a.tcp.tlp, 0);
	tail(&nosack, &r);
	print_result("tail nosack", &r);
	assert_int_equal(r.a.tcp.rexmttimeo, 1);
}

/*
 * One segment held back 3 ms (several segments' time at 100 Mbit/s):
 * the three segments SACKed after it make RACK (reo_wnd 0 before any
 * reordering is seen) resend it, the late original makes the receiver
 * send a D-SACK for the copy, and the reduction is undone (RFC 2883).
 */
static void
test_reorder_dsack_undo(void **state)
{
	struct result r;

	(void)state;
	scripted(&sack_rack, 400u << 10, &(struct script){ .delay = 60,
	    .delay_us = 3 * MS }, &r);
	print_result("reorder", &r);
	assert_int_equal(r.delayed, 1);
	assert_int_equal(r.a.tcp.sackrecovery, 1);
	assert_int_equal(r.a.tcp.sndrexmitpack, 1);
	assert_true(r.b.tcp.snddsack >= 1);
	assert_true(r.a.tcp.rcvdsack >= 1);
	assert_int_equal(r.a.tcp.spurious_undo, 1);
	assert_int_equal(r.ci.spurious_undos, 1);
	assert_int_equal(r.ci.reordering, 1);
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
}

/* Data segment 40 and its first retransmission are both lost. */
static void
lost_rexmit(const struct lcase *base, struct result *res, const char *name)
{
	scripted(base, 1u << 20, &(struct script){ .drop = { 40 },
	    .ndrop = 1, .redrop = 1 }, res);
	print_result(name, res);
	assert_int_equal(res->dropped, 2);
}

/*
 * The retransmission is lost as well.  RACK notices by time: segments
 * sent after the retransmission are SACKed while it is not, so it is
 * marked lost again and resent once more, still without an RTO.
 */
static void
test_lost_retransmission(void **state)
{
	struct result r;

	(void)state;
	lost_rexmit(&sack_rack, &r, "lost rexmit");
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
	assert_int_equal(r.a.tcp.sndrexmitpack, 2);
	assert_int_equal(r.a.tcp.sackrecovery, 1);
	assert_true(r.a.tcp.rackdetect >= 2);
}

/* Without RACK a lost retransmission needs the RTO (RFC 6675 5.1). */
static void
test_lost_retransmission_6675(void **state)
{
	struct result r;

	(void)state;
	lost_rexmit(&sack_only, &r, "lost rexmit 6675");
	assert_int_equal(r.a.tcp.rexmttimeo, 1);
}

/* ---- Random faults ---- */

static void
fault_case(const struct lcase *lc, struct result *r, const char *name)
{
	struct wt_pair p;

	pair_setup(&p, lc, NULL);
	run_transfer(&p, lc, r, NULL);
	print_result(name, r);
	if (lc->drop > 0) {
		assert_true(r->a.tcp.sndrexmitpack > 0);
		if (lc->sack) {
			assert_true(r->a.tcp.rcvsack > 0);
			assert_true(r->a.tcp.sackrecovery > 0);
			if (lc->rack)
				assert_true(r->a.tcp.rackdetect > 0);
		} else {
			assert_int_equal(r->a.tcp.rcvsack, 0);
			assert_int_equal(r->a.tcp.sackrecovery, 0);
			assert_true(r->a.tcp.fastrexmit > 0);
		}
	}
}

#define LOSSCASE(fn, pct, bytes) \
	static void fn(void **state) { \
		struct lcase s = sack_rack, n = nosack, c = sack_rack; \
		struct result rs, rn, rc; \
		(void)state; \
		s.drop = n.drop = c.drop = (pct) / 100.0; \
		s.len = n.len = c.len = (bytes); \
		s.seed = n.seed = c.seed = 1000 + (pct); \
		c.cc = WS_TCP_CC_NEWRENO; \
		fault_case(&s, &rs, "cubic sack+rack " #pct "%"); \
		fault_case(&c, &rc, "newreno sack+rack " #pct "%"); \
		fault_case(&n, &rn, "newreno nosack " #pct "%"); \
		/* SACK with RACK-TLP leans on the RTO less. */ \
		assert_true(rs.a.tcp.rexmttimeo <= rn.a.tcp.rexmttimeo); \
		assert_true(rc.a.tcp.rexmttimeo <= rn.a.tcp.rexmttimeo); \
	}

LOSSCASE(test_loss_1, 1, 1u << 20)
LOSSCASE(test_loss_5, 5, 512u << 10)
LOSSCASE(test_loss_10, 10, 256u << 10)
LOSSCASE(test_loss_20, 20, 128u << 10)

static void
test_loss_sack_6675(void **state)
{
	struct result r;

	(void)state;
	fault_case(&(struct lcase){ SACK_ONLY, .drop = 0.05,
	    .len = 512u << 10, .seed = 77 }, &r, "newreno sack 5%");
	assert_int_equal(r.a.tcp.rackdetect, 0);
	assert_int_equal(r.a.tcp.tlp, 0);
}

static void
test_loss_cubic_nosack(void **state)
{
	struct result r;

	(void)state;
	fault_case(&(struct lcase){ .cc = WS_TCP_CC_CUBIC, .sack = false,
	    .rack = false, .drop = 0.02, .len = 1u << 20, .seed = 78 },
	    &r, "cubic nosack 2%");
	assert_int_equal(r.ci.cc, WS_TCP_CC_CUBIC);
}

static void
test_duplication(void **state)
{
	struct result r;

	(void)state;
	fault_case(&(struct lcase){ SACK_RACK, .dup = 0.05,
	    .len = 1u << 20, .seed = 79 }, &r, "dup 5%");
	/* Duplicated data is reported back as D-SACK (RFC 2883 4.1.1). */
	assert_true(r.b.tcp.snddsack > 0);
	assert_true(r.a.tcp.rcvdsack > 0);
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
}

static void
test_reordering(void **state)
{
	struct result r;

	(void)state;
	fault_case(&(struct lcase){ SACK_RACK, .reorder = 0.05,
	    .len = 1u << 20, .seed = 80 }, &r, "reorder 5%");
	assert_int_equal(r.ci.reordering, 1);
	assert_int_equal(r.a.tcp.rexmttimeo, 0);
}

static void
test_corruption(void **state)
{
	struct result r;

	(void)state;
	fault_case(&(struct lcase){ SACK_RACK, .corrupt = 0.02,
	    .len = 1u << 20, .seed = 81 }, &r, "corrupt 2%");
	assert_true(r.a.tcp.rcvbadsum + r.b.tcp.rcvbadsum + r.a.ip4.badsum +
	    r.b.ip4.badsum + r.a.ip4.badlen + r.b.ip4.badlen > 0);
	assert_true(r.a.tcp.sndrexmitpack > 0);
}

static void
test_everything(void **state)
{
	struct result r;

	(void)state;
	fault_case(&(struct lcase){ SACK_RACK, .drop = 0.03, .dup = 0.02,
	    .reorder = 0.03, .corrupt = 0.01, .len = 1u << 20, .seed = 82 },
	    &r, "all faults");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolated_loss_sack_rack),
		cmocka_unit_test(test_isolated_loss_sack_6675),
		cmocka_unit_test(test_isolated_loss_nosack),
		cmocka_unit_test(test_tail_loss_tlp),
		cmocka_unit_test(test_tail_loss_rto_without_rack),
		cmocka_unit_test(test_reorder_dsack_undo),
		cmocka_unit_test(test_lost_retransmission),
		cmocka_unit_test(test_lost_retransmission_6675),
		cmocka_unit_test(test_loss_1),
		cmocka_unit_test(test_loss_5),
		cmocka_unit_test(test_loss_10),
		cmocka_unit_test(test_loss_20),
		cmocka_unit_test(test_loss_sack_6675),
		cmocka_unit_test(test_loss_cubic_nosack),
		cmocka_unit_test(test_duplication),
		cmocka_unit_test(test_reordering),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_everything),
	};

	return cmocka_run_group_tests_name("tcp_pair_loss", tests, NULL, NULL);
}

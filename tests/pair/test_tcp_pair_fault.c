/*
 * TCP through the fault injector: seeded loss, duplication, reordering
 * and corruption.  Every transfer must complete byte-exact.  CE marks
 * instead of drops (an AQM router, RFC 3168) slow an ECN connection down
 * without a single retransmission.
 */
#include "config.h"

#include "tests/pair/tcp_pair.h"

#define SEC WS_USEC_PER_SEC

struct fault_case {
	const char *name;
	double drop, dup, reorder, corrupt;
	size_t len;
	bool ether;
	bool gso;       /* the device offers segmentation offload */
	double ce;      /* CE marks on ECT packets */
	bool ecn;       /* the client asks for ECN (the server answers) */
};

/*
 * With ECN the marks are echoed and answered: both ends saw CE, reduced
 * on ECE and sent CWR, and nothing was resent (a mark is not a loss).
 * Without it nothing is ECT, so the marker finds nothing to mark.
 */
static void
check_ce(const struct fault_case *fc, const struct wt_pair *p,
    const struct ws_stats *sa, const struct ws_stats *sb)
{
	uint64_t marks = p->la->stats.fault_ce + p->lb->stats.fault_ce;

	print_message("# %s: %llu CE marks, reductions A %llu B %llu, CWR A "
	    "%llu B %llu, resent %llu\n", fc->name, (unsigned long long)marks,
	    (unsigned long long)sa->tcp.ecn_reductions,
	    (unsigned long long)sb->tcp.ecn_reductions,
	    (unsigned long long)sa->tcp.snd_cwr,
	    (unsigned long long)sb->tcp.snd_cwr,
	    (unsigned long long)(sa->tcp.sndrexmitpack +
	    sb->tcp.sndrexmitpack));
	if (!fc->ecn) {
		assert_int_equal(marks, 0);
		assert_int_equal(sa->tcp.ecn_negotiated +
		    sb->tcp.ecn_negotiated, 0);
		return;
	}
	assert_int_equal(sa->tcp.ecn_negotiated, 1);
	assert_int_equal(sb->tcp.ecn_negotiated, 1);
	assert_true(marks > 0);
	assert_int_equal(sa->tcp.rcv_ce + sb->tcp.rcv_ce, marks);
	assert_true(sa->tcp.ecn_reductions > 0 && sb->tcp.ecn_reductions > 0);
	assert_true(sa->tcp.snd_cwr > 0 && sb->tcp.snd_cwr > 0);
	/* At most one reduction per mark, and per CWR sent. */
	assert_true(sa->tcp.ecn_reductions <= sb->tcp.rcv_ce);
	assert_true(sa->tcp.snd_cwr <= sa->tcp.ecn_reductions);
	assert_int_equal(sa->tcp.sndrexmitpack + sb->tcp.sndrexmitpack, 0);
	assert_int_equal(sa->tcp.fastrexmit + sb->tcp.fastrexmit, 0);
}

static void
run_case(const struct fault_case *fc)
{
	struct wt_pair p;
	struct wt_pair_opts o = { 0 };
	struct tp_conn cn;
	struct tp_xfer a, b;
	struct tp_bidir d = { &a, &b };
	struct ws_link *probe, *m1, *m2;
	struct ws_link_mem_config mc = { 0 };
	struct ws_fault_config pc = { 0 };
	struct ws_stats sa, sb;
	int error;

	/* Skip if the fault wrapper is not there yet. */
	assert_int_equal(ws_link_mem_pair(&m1, &m2, &mc), 0);
	error = ws_link_fault_wrap(&probe, m1, &pc);
	ws_link_close(m2);
	if (error == WS_EOPNOTSUPP) {
		ws_link_close(m1);
		skip();
	}
	assert_int_equal(error, 0);
	ws_link_close(probe);

	o.fault = true;
	o.fault_cfg.drop = fc->drop;
	o.fault_cfg.duplicate = fc->dup;
	o.fault_cfg.reorder = fc->reorder;
	o.fault_cfg.corrupt = fc->corrupt;
	o.fault_cfg.ce = fc->ce;
	o.fault_cfg.seed = wt_seed(42);
	o.mem.delay_us = 1000;
	o.mem.rate_bps = 100000000;
	if (fc->gso)
		o.mem.gso_max = 65535;
	if (fc->ether) {
		o.mem.medium = WS_MEDIUM_ETHERNET;
		assert_int_equal(wt_pair_setup(&p, &o), 0);
	} else
		tp_setup_ip(&p, &o);
	/* The handshake itself may need retransmissions. */
	memset(&cn, 0, sizeof(cn));
	assert_int_equal(ws_tcp_open(p.b, &cn.l), 0);
	assert_int_equal(ws_tcp_listen(cn.l, TP_PORT, 8), 0);
	assert_int_equal(ws_tcp_open(p.a, &cn.c), 0);
	if (fc->ecn)
		assert_int_equal(ws_tcp_setopt(cn.c, WS_TCP_ECN,
		    WS_TCP_ECN_ON), 0);
	assert_int_equal(ws_tcp_connect(cn.c, WT_ADDR_B, TP_PORT),
	    WS_EINPROGRESS);
	assert_true(wt_pair_run(&p, tp_accepted, &cn, 60 * SEC));
	tp_xfer_init(&a, cn.c, cn.s, fc->len, 1);
	tp_xfer_init(&b, cn.s, cn.c, fc->len, 2);
	a.close_after = b.close_after = true;
	assert_true(wt_pair_run(&p, tp_bidir_done, &d, 3600 * SEC));
	assert_memory_equal(a.data, a.got, a.len);
	assert_memory_equal(b.data, b.got, b.len);
	sa = tp_stats(p.a);
	sb = tp_stats(p.b);
	if (fc->drop > 0)
		assert_true(sa.tcp.sndrexmitpack + sb.tcp.sndrexmitpack > 0);
	/* Super-segments went out, each carrying several segments. */
	if (fc->gso) {
		assert_true(sa.tcp.sndgso > 0 && sb.tcp.sndgso > 0);
		assert_true(sa.tcp.sndgsosegs >= 2 * sa.tcp.sndgso);
		assert_true(sa.tcp.sndgsosegs <= sa.tcp.sndtotal);
		print_message("# %s: A sent %llu segments, %llu in %llu "
		    "super-segments\n", fc->name,
		    (unsigned long long)sa.tcp.sndtotal,
		    (unsigned long long)sa.tcp.sndgsosegs,
		    (unsigned long long)sa.tcp.sndgso);
	} else
		assert_int_equal(sa.tcp.sndgso + sb.tcp.sndgso, 0);
	if (fc->ce > 0)
		check_ce(fc, &p, &sa, &sb);
	if (fc->corrupt > 0)
		assert_true(sa.tcp.rcvbadsum + sb.tcp.rcvbadsum +
		    sa.ip4.badsum + sb.ip4.badsum + sa.ip4.badlen +
		    sb.ip4.badlen > 0);
	tp_xfer_fini(&a);
	tp_xfer_fini(&b);
	ws_tcp_close(cn.c);
	ws_tcp_close(cn.s);
	ws_tcp_close(cn.l);
	wt_pair_run(&p, NULL, NULL, 300 * SEC);
	assert_int_equal(wt_pair_teardown(&p), 0);
}

#define CASE(fn, ...) \
	static void fn(void **state) { \
		static const struct fault_case c = { __VA_ARGS__ }; \
		(void)state; \
		run_case(&c); \
	}

CASE(test_loss_1, "loss1", .drop = 0.01, .len = 1u << 20)
CASE(test_loss_5, "loss5", .drop = 0.05, .len = 1u << 20)
CASE(test_loss_10, "loss10", .drop = 0.10, .len = 512u << 10)
CASE(test_dup, "dup", .dup = 0.05, .len = 1u << 20)
CASE(test_reorder, "reorder", .reorder = 0.05, .len = 1u << 20)
CASE(test_corrupt, "corrupt", .corrupt = 0.02, .len = 1u << 20)
CASE(test_all, "all", .drop = 0.02, .dup = 0.02, .reorder = 0.02,
    .corrupt = 0.01, .len = 1u << 20)
CASE(test_ether_loss, "ether", .drop = 0.02, .len = 1u << 20, .ether = true)
CASE(test_gso_clean, "gso", .len = 4u << 20, .ether = true, .gso = true)
CASE(test_gso_all, "gso_all", .drop = 0.02, .dup = 0.02, .reorder = 0.02,
    .corrupt = 0.01, .len = 1u << 20, .ether = true, .gso = true)
CASE(test_gso_ip_loss, "gso_ip", .drop = 0.05, .len = 1u << 20, .gso = true)
CASE(test_ce, "ce", .ce = 0.02, .len = 1u << 20, .ecn = true)
CASE(test_ce_no_ecn, "ce_noecn", .ce = 0.02, .len = 256u << 10)
CASE(test_gso_ce, "gso_ce", .ce = 0.02, .len = 1u << 20, .ether = true,
    .gso = true, .ecn = true)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_1),
		cmocka_unit_test(test_loss_5),
		cmocka_unit_test(test_loss_10),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_ether_loss),
		cmocka_unit_test(test_gso_clean),
		cmocka_unit_test(test_gso_all),
		cmocka_unit_test(test_gso_ip_loss),
		cmocka_unit_test(test_ce),
		cmocka_unit_test(test_ce_no_ecn),
		cmocka_unit_test(test_gso_ce),
	};

	return cmocka_run_group_tests_name("tcp_pair_fault", tests, NULL, NULL);
}

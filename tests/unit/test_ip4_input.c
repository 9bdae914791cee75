/*
 * IPv4 input and output on one stack (medium IP over a mem pair): every
 * drop reason counted under its own name, delivery, trimming, protocol
 * unreachable, routing, fragmentation of what we send.
 */
#include "config.h"

#include "core/cksum.h"
#include "core/endian.h"
#include "tests/unit/ip4_test.h"

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || fx_setup(f, NULL) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fx_teardown(f);
	free(f);
	return 0;
}

/* A valid TCP datagram for us (the segment itself need not be valid). */
static size_t
tcp_dgram(uint8_t *b, uint32_t src, uint32_t dst)
{
	uint8_t seg[20];

	memset(seg, 0, sizeof(seg));
	seg[12] = 0x50;
	return mk_ip(b, src, dst, IPPROTO_TCP_, 7, IP4_DF, seg, sizeof(seg));
}

static void
test_valid_tcp_delivered(void **state)
{
	struct fx *f = *state;
	uint8_t b[64];
	size_t n = tcp_dgram(b, FX_PEER, FX_ADDR);

	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.total, 1);
	assert_int_equal(fx_stats(f).ip4.delivered, 1);
	/* Link padding after the datagram is trimmed, not an error. */
	memset(b + n, 0xee, sizeof(b) - n);
	fx_input(f, b, sizeof(b));
	assert_int_equal(fx_stats(f).ip4.delivered, 2);
	assert_int_equal(fx_stats(f).ip4.badlen, 0);
}

/* Each malformed class increments its own counter and nothing else. */
static void
test_drop_reasons(void **state)
{
	struct fx *f = *state;
	struct ws_stats s;
	uint8_t b[64] = { 0 };
	size_t n;

	fx_input(f, b, 0);
	n = tcp_dgram(b, FX_PEER, FX_ADDR);
	fx_input(f, b, 19);                  /* tooshort */
	b[0] = 0x65;                         /* badvers */
	fx_input(f, b, n);
	b[0] = 0x44;                         /* badhlen: IHL 4 */
	fx_input(f, b, n);
	b[0] = 0x4f;                         /* badhlen: 60 > 40 */
	fx_input(f, b, n);
	b[0] = 0x45;
	fx_input(f, b, n - 1);               /* badlen: truncated */
	b[IP4_OFF_SUM] ^= 0x10;              /* badsum */
	fx_input(f, b, n);
	b[IP4_OFF_SUM] ^= 0x10;

	/* badoptions: a 4-byte option whose length says 9. */
	uint8_t opts[4] = { 0x94, 9, 0, 0 };
	uint8_t seg[20] = { 0 };
	n = mk_ip_opts(b, FX_PEER, FX_ADDR, IPPROTO_TCP_, 1, 0, opts, 4, seg,
	    sizeof(seg));
	fx_input(f, b, n);

	s = fx_stats(f);
	assert_int_equal(s.ip4.total, 8);
	assert_int_equal(s.ip4.tooshort, 2);
	assert_int_equal(s.ip4.badvers, 1);
	assert_int_equal(s.ip4.badhlen, 2);
	assert_int_equal(s.ip4.badlen, 1);
	assert_int_equal(s.ip4.badsum, 1);
	assert_int_equal(s.ip4.badoptions, 1);
	assert_int_equal(s.ip4.delivered, 0);
	assert_int_equal(f->nout, 0);

	/* Well-formed options are skipped and the datagram delivered. */
	opts[1] = 4;
	n = mk_ip_opts(b, FX_PEER, FX_ADDR, IPPROTO_TCP_, 1, 0, opts, 4, seg,
	    sizeof(seg));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.delivered, 1);

	/* Source-routed datagrams (loose or strict) are refused. */
	uint8_t lsrr[8] = { 1, IP4_OPT_LSRR, 7, 4, 0xc6, 0x12, 0, 9 };
	n = mk_ip_opts(b, FX_PEER, FX_ADDR, IPPROTO_TCP_, 1, 0, lsrr, 8, seg,
	    sizeof(seg));
	fx_input(f, b, n);
	lsrr[1] = IP4_OPT_SSRR;
	n = mk_ip_opts(b, FX_PEER, FX_ADDR, IPPROTO_TCP_, 1, 0, lsrr, 8, seg,
	    sizeof(seg));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.srcroute, 2);
	assert_int_equal(fx_stats(f).ip4.delivered, 1);
}

static void
test_martian_sources(void **state)
{
	struct fx *f = *state;
	const uint32_t bad[] = {
		0x00000000u,   /* this host, as a source */
		0x7f000001u,   /* 127.0.0.1: we are not in loopback mode */
		0x7f123456u,
		0xe0000001u,   /* multicast */
		0xefffffffu,
		0xf0000001u,   /* class E */
		0xffffffffu,   /* limited broadcast */
		0xc61200ffu,   /* our subnet's broadcast */
	};
	uint8_t b[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = tcp_dgram(b, bad[i], FX_ADDR);

		fx_input(f, b, n);
	}
	assert_int_equal(fx_stats(f).ip4.badaddr, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(fx_stats(f).ip4.delivered, 0);

	/* Off-link sources are fine (they came through a router). */
	fx_input(f, b, tcp_dgram(b, FX_FAR, FX_ADDR));
	/*
	 * On an IP medium the kernel may share our address (raw sockets),
	 * so a datagram from our own address is accepted.
	 */
	fx_input(f, b, tcp_dgram(b, FX_ADDR, FX_ADDR));
	assert_int_equal(fx_stats(f).ip4.delivered, 2);
}

static void
test_destinations(void **state)
{
	struct fx *f = *state;
	uint8_t b[64];

	fx_input(f, b, tcp_dgram(b, FX_PEER, 0xc6120003u));  /* another host */
	fx_input(f, b, tcp_dgram(b, FX_PEER, 0xffffffffu));  /* broadcast */
	fx_input(f, b, tcp_dgram(b, FX_PEER, 0xc61200ffu));  /* subnet bcast */
	fx_input(f, b, tcp_dgram(b, FX_PEER, 0xe0000001u));  /* multicast */
	assert_int_equal(fx_stats(f).ip4.notforus, 4);
	fx_input(f, b, tcp_dgram(b, FX_PEER, 0));
	fx_input(f, b, tcp_dgram(b, FX_PEER, 0x7f000001u));
	assert_int_equal(fx_stats(f).ip4.badaddr, 2);
	assert_int_equal(fx_stats(f).ip4.delivered, 0);
	assert_int_equal(f->nout, 0);
}

static void
test_noproto_unreachable(void **state)
{
	struct fx *f = *state;
	uint8_t b[128], data[40];
	struct ip4_hdr h;
	struct icmp4_hdr ih;
	size_t n;

	fill_pattern(data, sizeof(data), 1);
	n = mk_ip(b, FX_PEER, FX_ADDR, 17, 0x4242, 0, data, sizeof(data));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.noproto, 1);
	assert_int_equal(fx_stats(f).icmp.outerrors, 1);
	assert_int_equal(f->nout, 1);

	/* Protocol unreachable to the sender, quoting the whole datagram. */
	assert_int_equal(ip4_hdr_parse(&h, f->out[0].data, f->out[0].len), 0);
	assert_int_equal(h.src, FX_ADDR);
	assert_int_equal(h.dst, FX_PEER);
	assert_int_equal(h.proto, IPPROTO_ICMP_);
	assert_int_equal(h.total_len, 20 + 8 + n);
	assert_int_equal(icmp4_hdr_parse(&ih, f->out[0].data + 20, 8 + n), 0);
	assert_int_equal(ih.type, ICMP4_UNREACH);
	assert_int_equal(ih.code, ICMP4_UNREACH_PROTOCOL);
	assert_int_equal(ih.rest, 0);
	assert_memory_equal(f->out[0].data + 28, b, n);

	/* A datagram that arrived in fragments is answered once, whole. */
	fx_clear(f);
	uint8_t fr[128];
	size_t m = mk_ip(fr, FX_PEER, FX_ADDR, 17, 0x99, IP4_MF, data, 24);
	fx_input(f, fr, m);
	m = mk_ip(fr, FX_PEER, FX_ADDR, 17, 0x99, 3, data + 24, 16);
	fx_input(f, fr, m);
	assert_int_equal(fx_stats(f).ip4.reassembled, 1);
	assert_int_equal(fx_stats(f).ip4.noproto, 2);
	assert_int_equal(f->nout, 1);
	assert_memory_equal(f->out[0].data + 28 + 20, data, 40);
}

static void
test_noproto_large_quote_capped(void **state)
{
	struct fx *f = *state;
	static uint8_t b[1500], data[1400];
	size_t n;

	fill_pattern(data, sizeof(data), 3);
	n = mk_ip(b, FX_PEER, FX_ADDR, 99, 1, 0, data, sizeof(data));
	fx_input(f, b, n);
	assert_int_equal(f->nout, 1);
	/* RFC 1812 4.3.2.3: the whole error fits in 576 bytes. */
	assert_int_equal(f->out[0].len, 576);
	assert_memory_equal(f->out[0].data + 28, b, 576 - 28);
}

/* Nothing may be said about broadcast datagrams: they are dropped first. */
static void
test_noproto_broadcast_silent(void **state)
{
	struct fx *f = *state;
	uint8_t b[64];
	size_t n = mk_ip(b, FX_PEER, 0xffffffffu, 17, 1, 0, NULL, 0);

	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.notforus, 1);
	assert_int_equal(f->nout, 0);
}

static void
tune_gw(struct ws_stack_config *cfg)
{
	cfg->gateway = 0xc61200feu;
}

static void
test_output_route(void **state)
{
	struct fx *f = *state, g;
	struct ip4_out o = { .dst = FX_PEER, .proto = 6, .df = true };
	struct pkt *p;
	struct ip4_hdr h;

	/* On-link: sent, header as asked. */
	p = pkt_alloc(f->st, 4);
	memcpy(p->data, "abcd", 4);
	o.tos = 0x10;
	assert_int_equal(ip4_output(f->st, p, &o), 0);
	fx_flush(f);
	assert_int_equal(f->nout, 1);
	assert_int_equal(ip4_hdr_parse(&h, f->out[0].data, f->out[0].len), 0);
	assert_int_equal(h.total_len, 24);
	assert_int_equal(h.ttl, 64);
	assert_int_equal(h.tos, 0x10);
	assert_int_equal(h.frag, IP4_DF);
	assert_int_equal(h.src, FX_ADDR);
	assert_int_equal(h.dst, FX_PEER);
	assert_int_equal(h.proto, 6);
	assert_memory_equal(f->out[0].data + 20, "abcd", 4);
	uint16_t id0 = h.id;

	/* Identification advances; explicit TTL and source are used. */
	p = pkt_alloc(f->st, 0);
	o.ttl = 5;
	o.src = 0xc6120009u;
	assert_int_equal(ip4_output(f->st, p, &o), 0);
	fx_flush(f);
	assert_int_equal(ip4_hdr_parse(&h, f->out[1].data, f->out[1].len), 0);
	assert_int_equal(h.id, (uint16_t)(id0 + 1));
	assert_int_equal(h.ttl, 5);
	assert_int_equal(h.src, 0xc6120009u);

	/* Off-link without a gateway: no route. */
	o.dst = FX_FAR;
	p = pkt_alloc(f->st, 0);
	assert_int_equal(ip4_output(f->st, p, &o), WS_ENETUNREACH);
	/* 127/8 and 0.0.0.0 never leave a host that is not in loopback mode. */
	o.dst = 0x7f000001u;
	p = pkt_alloc(f->st, 0);
	assert_int_equal(ip4_output(f->st, p, &o), WS_ENETUNREACH);
	o.dst = 0;
	p = pkt_alloc(f->st, 0);
	assert_int_equal(ip4_output(f->st, p, &o), WS_ENETUNREACH);
	assert_int_equal(fx_stats(f).ip4.noroute, 3);
	assert_int_equal(fx_stats(f).ip4.localout, 2);
	fx_flush(f);
	assert_int_equal(f->nout, 2);

	/* With a gateway, off-link destinations go out. */
	assert_int_equal(fx_setup(&g, tune_gw), 0);
	o.dst = FX_FAR;
	p = pkt_alloc(g.st, 8);
	memset(p->data, 0, 8);
	assert_int_equal(ip4_output(g.st, p, &o), 0);
	fx_flush(&g);
	assert_int_equal(g.nout, 1);
	assert_int_equal(ip4_hdr_parse(&h, g.out[0].data, g.out[0].len), 0);
	assert_int_equal(h.dst, FX_FAR);
	fx_teardown(&g);
}

static void
test_output_mtu(void **state)
{
	struct fx *f = *state;
	struct ip4_out o = { .dst = FX_PEER, .proto = 6, .df = true };
	struct pkt *p;

	assert_int_equal(ip4_maxpayload(f->st), 1480);
	/* Exactly the MTU goes out whole. */
	p = pkt_alloc(f->st, 1480);
	memset(p->data, 1, 1480);
	assert_int_equal(ip4_output(f->st, p, &o), 0);
	/* One more byte with DF: refused, nothing leaked. */
	p = pkt_alloc(f->st, 1481);
	assert_int_equal(ip4_output(f->st, p, &o), WS_EMSGSIZE);
	assert_int_equal(fx_stats(f).ip4.toolong, 1);
	/* Never more than 65535 in total, DF or not. */
	o.df = false;
	p = pkt_alloc(f->st, 65516);
	assert_int_equal(ip4_output(f->st, p, &o), WS_EMSGSIZE);
	assert_int_equal(fx_stats(f).ip4.toolong, 2);
	fx_flush(f);
	assert_int_equal(f->nout, 1);
	assert_int_equal(f->out[0].len, 1500);
}

/* Without DF, a datagram over the MTU leaves in fragments (RFC 791 3.2). */
static void
test_output_fragments(void **state)
{
	struct fx *f = *state;
	struct ip4_out o = { .dst = FX_PEER, .proto = 6, .tos = 4 };
	static uint8_t data[4000], got[4000];
	struct pkt *p;
	struct ip4_hdr h;
	size_t total = 0;

	fill_pattern(data, sizeof(data), 9);
	p = pkt_alloc(f->st, sizeof(data));
	memcpy(p->data, data, sizeof(data));
	assert_int_equal(ip4_output(f->st, p, &o), 0);
	fx_flush(f);
	assert_int_equal(f->nout, 3);
	for (size_t i = 0; i < f->nout; i++) {
		assert_int_equal(ip4_hdr_parse(&h, f->out[i].data,
		    f->out[i].len), 0);
		assert_true(h.total_len <= 1500);
		assert_int_equal(h.tos, 4);
		assert_int_equal(ip4_frag_off(&h), total);
		assert_int_equal((h.frag & IP4_MF) != 0, i + 1 < f->nout);
		if (i + 1 < f->nout)
			assert_int_equal((h.total_len - 20) % 8, 0);
		memcpy(got + total, f->out[i].data + 20, h.total_len - 20u);
		total += h.total_len - 20u;
		if (i > 0)
			assert_memory_equal(f->out[i].data + IP4_OFF_ID,
			    f->out[0].data + IP4_OFF_ID, 2);
	}
	assert_int_equal(total, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_int_equal(fx_stats(f).ip4.fragmented, 1);
	assert_int_equal(fx_stats(f).ip4.ofragments, 3);
	assert_int_equal(fx_stats(f).ip4.localout, 1);
}

static void
tune_loopback(struct ws_stack_config *cfg)
{
	cfg->addr = 0x7f000001u;
	cfg->prefix_len = 8;
}

/* Loopback mode: we are 127.0.0.1 and so is the kernel across the device. */
static void
test_loopback_mode(void **state)
{
	struct fx g;
	uint8_t b[64], e[16];
	struct ip4_hdr h;
	size_t n;

	(void)state;
	assert_int_equal(fx_setup(&g, tune_loopback), 0);
	n = tcp_dgram(b, 0x7f000001u, 0x7f000001u);
	fx_input(&g, b, n);
	assert_int_equal(fx_stats(&g).ip4.delivered, 1);
	n = mk_ip(b, 0x7f000001u, 0x7f000001u, IPPROTO_ICMP_, 3, 0, e,
	    mk_icmp(e, ICMP4_ECHO, 0, icmp4_rest_echo(1, 2), NULL, 0));
	fx_input(&g, b, n);
	assert_int_equal(g.nout, 1);
	assert_int_equal(ip4_hdr_parse(&h, g.out[0].data, g.out[0].len), 0);
	assert_int_equal(h.src, 0x7f000001u);
	assert_int_equal(h.dst, 0x7f000001u);
	assert_int_equal(g.out[0].data[20], ICMP4_ECHOREPLY);
	/* Still no broadcast or multicast sources. */
	fx_input(&g, b, tcp_dgram(b, 0xe0000001u, 0x7f000001u));
	assert_int_equal(fx_stats(&g).ip4.badaddr, 1);
	fx_teardown(&g);
}

/* Ethernet: broadcast and multicast bypass ARP; our own address is martian. */
static void
test_ethernet_edges(void **state)
{
	struct fx g;
	struct ip4_out o = { .proto = 6 };
	struct pkt *p;
	uint8_t fr[80], seg[20] = { 0 };
	const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
	const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t ours[6] = { 0x02, 0, 0, 0, 0, 0x01 };

	(void)state;
	assert_int_equal(fx_setup_cfg(&g, NULL, WS_MEDIUM_ETHERNET), 0);
	o.dst = 0xffffffffu;
	p = pkt_alloc(g.st, 0);
	assert_int_equal(ip4_output(g.st, p, &o), 0);
	o.dst = 0xc61200ffu;
	p = pkt_alloc(g.st, 0);
	assert_int_equal(ip4_output(g.st, p, &o), 0);
	o.dst = 0xe00000fbu;      /* 224.0.0.251 */
	p = pkt_alloc(g.st, 0);
	assert_int_equal(ip4_output(g.st, p, &o), 0);
	/* Nobody on the wire is us. */
	o.dst = FX_ADDR;
	p = pkt_alloc(g.st, 0);
	assert_int_equal(ip4_output(g.st, p, &o), WS_ENETUNREACH);
	fx_flush(&g);
	assert_int_equal(g.nout, 3);
	assert_memory_equal(g.out[0].data, bcast, 6);
	assert_memory_equal(g.out[1].data, bcast, 6);
	assert_memory_equal(g.out[2].data, mcast, 6);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(be16_load(g.out[i].data + 12), 0x0800);
		assert_int_equal(g.out[i].len, 14 + 20);
	}

	/* A datagram "from" our own address arriving on Ethernet. */
	memcpy(fr, ours, 6);
	memcpy(fr + 6, (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x02 }, 6);
	be16_store(fr + 12, 0x0800);
	size_t n = mk_ip(fr + 14, FX_ADDR, FX_ADDR, IPPROTO_TCP_, 1, 0, seg,
	    sizeof(seg));
	fx_input(&g, fr, 14 + n);
	assert_int_equal(fx_stats(&g).ip4.badaddr, 1);
	/* The same from the peer is delivered. */
	mk_ip(fr + 14, FX_PEER, FX_ADDR, IPPROTO_TCP_, 1, 0, seg, sizeof(seg));
	fx_input(&g, fr, 14 + n);
	assert_int_equal(fx_stats(&g).ip4.delivered, 1);
	fx_teardown(&g);
}

static void
test_timer_idle(void **state)
{
	struct fx *f = *state;

	assert_true(ip4_next_deadline(f->st) == WS_TIME_NEVER);
	fx_advance(f, 3600 * WS_USEC_PER_SEC);
	assert_int_equal(f->nout, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_tcp_delivered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_drop_reasons, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_martian_sources, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_destinations, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_noproto_unreachable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_noproto_large_quote_capped,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_noproto_broadcast_silent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_route, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_output_mtu, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_output_fragments, setup,
		    teardown),
		cmocka_unit_test(test_loopback_mode),
		cmocka_unit_test(test_ethernet_edges),
		cmocka_unit_test_setup_teardown(test_timer_idle, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("ip4_input", tests, NULL, NULL);
}

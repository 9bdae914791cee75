/*
 * ICMP on one stack (medium IP): echo of every size with identical
 * payload, checksum and length checks, the output rate limit, errors
 * passed to TCP with their quote, and the RFC 1122 3.2.2 rules on when
 * an error must not be sent.
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

/* Send an echo request with dlen bytes of data; returns the message size. */
static size_t
send_echo(struct fx *f, uint8_t *msg, size_t dlen, uint16_t id, uint16_t seq)
{
	static uint8_t data[65536], frame[1600];
	size_t mlen, n;

	fill_pattern(data, dlen, seq);
	mlen = mk_icmp(msg, ICMP4_ECHO, 0, icmp4_rest_echo(id, seq), data,
	    dlen);
	n = mk_ip(frame, FX_PEER, FX_ADDR, IPPROTO_ICMP_, seq, 0, msg, mlen);
	fx_input(f, frame, n);
	return mlen;
}

static void
test_echo_sizes(void **state)
{
	struct fx *f = *state;
	const size_t sizes[] = { 0, 1, 56, 1472 };
	static uint8_t msg[1600];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct ip4_hdr h;
		struct icmp4_hdr ih;
		uint16_t seq = (uint16_t)(i + 1);
		size_t mlen;

		fx_clear(f);
		mlen = send_echo(f, msg, sizes[i], 0xabcd, seq);
		assert_int_equal(f->nout, 1);
		assert_int_equal(ip4_hdr_parse(&h, f->out[0].data,
		    f->out[0].len), 0);
		assert_int_equal(h.total_len, 20 + mlen);
		assert_int_equal(f->out[0].len, 20 + mlen);
		assert_int_equal(h.src, FX_ADDR);
		assert_int_equal(h.dst, FX_PEER);
		assert_int_equal(h.proto, IPPROTO_ICMP_);
		assert_int_equal(icmp4_hdr_parse(&ih, f->out[0].data + 20,
		    mlen), 0);
		assert_int_equal(ih.type, ICMP4_ECHOREPLY);
		assert_int_equal(ih.code, 0);
		assert_int_equal(icmp4_echo_id(&ih), 0xabcd);
		assert_int_equal(icmp4_echo_seq(&ih), seq);
		if (sizes[i] > 0)
			assert_memory_equal(f->out[0].data + 28, msg + 8,
			    sizes[i]);
	}
	assert_int_equal(fx_stats(f).icmp.echo, 4);
	assert_int_equal(fx_stats(f).icmp.echoreply, 4);
	assert_int_equal(fx_stats(f).ip4.localout, 4);
}

static void
test_bad_messages(void **state)
{
	struct fx *f = *state;
	uint8_t msg[64], b[128];
	size_t mlen, n;

	/* Bad checksum: dropped, no reply. */
	mlen = mk_icmp(msg, ICMP4_ECHO, 0, 1, (const uint8_t *)"hello", 5);
	msg[12] ^= 1;
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg, mlen);
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).icmp.badsum, 1);
	/* Shorter than an ICMP header. */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 2, 0, msg, 7);
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).icmp.tooshort, 1);
	/* Unknown type, and known types with unknown codes. */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, 42, 0, 0, NULL, 0));
	fx_input(f, b, n);
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, ICMP4_UNREACH, 16, 0, NULL, 0));
	fx_input(f, b, n);
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, ICMP4_TIMXCEED, 2, 0, NULL, 0));
	fx_input(f, b, n);
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, ICMP4_PARAMPROB, 3, 0, NULL, 0));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).icmp.badcode, 4);
	/* Valid types we do not act on. */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, ICMP4_REDIRECT, 1, FX_PEER, NULL, 0));
	fx_input(f, b, n);
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, ICMP4_SOURCEQUENCH, 0, 0, NULL, 0));
	fx_input(f, b, n);
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 3, 0, msg,
	    mk_icmp(msg, ICMP4_TSTAMP, 0, 0, (const uint8_t *)"012345678901",
	    12));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).icmp.ignored, 3);
	assert_int_equal(fx_stats(f).icmp.total, 9);
	assert_int_equal(fx_stats(f).icmp.echo, 0);
	/* None of them is answered, with an error or otherwise. */
	assert_int_equal(f->nout, 0);
}

/* Echo to a broadcast address: dropped by IP, never answered. */
static void
test_broadcast_echo_ignored(void **state)
{
	struct fx *f = *state;
	uint8_t msg[64], b[128];
	size_t n;

	n = mk_ip(b, FX_PEER, 0xffffffffu, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_ECHO, 0, 1, NULL, 0));
	fx_input(f, b, n);
	n = mk_ip(b, FX_PEER, 0xc61200ffu, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_ECHO, 0, 1, NULL, 0));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).ip4.notforus, 2);
	assert_int_equal(fx_stats(f).icmp.total, 0);
	assert_int_equal(f->nout, 0);
}

static void
tune_rate(struct ws_stack_config *cfg)
{
	cfg->icmp_rate = 10;
}

static void
test_rate_limit(void **state)
{
	struct fx g;
	uint8_t msg[64];

	(void)state;
	assert_int_equal(fx_setup(&g, tune_rate), 0);
	/* A burst: one second's worth (10) is answered. */
	for (int i = 0; i < 30; i++)
		send_echo(&g, msg, 8, 1, (uint16_t)i);
	assert_int_equal(g.nout, 10);
	assert_int_equal(fx_stats(&g).icmp.ratelimited, 20);
	/* 100 ms later: one more token. */
	g.now += 100 * WS_USEC_PER_MSEC;
	send_echo(&g, msg, 8, 1, 100);
	send_echo(&g, msg, 8, 1, 101);
	assert_int_equal(g.nout, 11);
	/* Errors draw from the same bucket. */
	uint8_t b[64];
	size_t n = mk_ip(b, FX_PEER, FX_ADDR, 17, 1, 0, NULL, 0);
	fx_input(&g, b, n);
	assert_int_equal(g.nout, 11);
	assert_int_equal(fx_stats(&g).icmp.ratelimited, 22);
	/* A long idle period refills to the burst size, no more. */
	g.now += 3600 * WS_USEC_PER_SEC;
	for (int i = 0; i < 30; i++)
		send_echo(&g, msg, 8, 1, (uint16_t)(200 + i));
	assert_int_equal(g.nout, 21);
	/* Our own echo requests are not limited. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(icmp4_echo_request(g.st, FX_PEER, 9,
		    (uint16_t)i, NULL, 0), 0);
	fx_flush(&g);
	assert_int_equal(g.nout, 41);
	assert_int_equal(fx_stats(&g).icmp.echo_sent, 20);
	fx_teardown(&g);
}

struct ctl_rec {
	int calls;
	uint8_t type, code;
	uint16_t nextmtu;
	struct ip4_info inner;
	uint8_t th[600];
	size_t thlen;
};

static void
ctl_hook(void *arg, uint8_t type, uint8_t code, uint16_t nextmtu,
    const struct ip4_info *inner, const uint8_t *th, size_t thlen)
{
	struct ctl_rec *r = arg;

	r->calls++;
	r->type = type;
	r->code = code;
	r->nextmtu = nextmtu;
	r->inner = *inner;
	assert_true(thlen <= sizeof(r->th));
	memcpy(r->th, th, thlen);
	r->thlen = thlen;
}

/*
 * An ICMP error from a router (FX_FAR... any source) quoting a datagram
 * we sent: inner header fields and the quoted TCP bytes reach TCP.
 */
static size_t
mk_error(uint8_t *b, uint8_t type, uint8_t code, uint32_t rest,
    uint32_t inner_src, uint8_t inner_proto, size_t tcpbytes)
{
	uint8_t inner[128], seg[64], msg[200];
	size_t ilen;

	for (size_t i = 0; i < sizeof(seg); i++)
		seg[i] = (uint8_t)(0x30 + i);
	ilen = mk_ip(inner, inner_src, FX_FAR, inner_proto, 0x1111, IP4_DF,
	    seg, 40);
	/* The quote: header + the first tcpbytes of the segment. */
	(void)ilen;
	return mk_ip(b, 0xc61200feu, FX_ADDR, IPPROTO_ICMP_, 9, 0, msg,
	    mk_icmp(msg, type, code, rest, inner, 20 + tcpbytes));
}

static void
test_errors_to_tcp(void **state)
{
	struct fx *f = *state;
	struct ctl_rec r;
	uint8_t b[256];
	size_t n;

	memset(&r, 0, sizeof(r));
	icmp4_set_ctl_hook(f->st, ctl_hook, &r);

	/* Port unreachable with the RFC 792 minimum: header + 8 bytes. */
	n = mk_error(b, ICMP4_UNREACH, ICMP4_UNREACH_PORT, 0, FX_ADDR,
	    IPPROTO_TCP_, 8);
	fx_input(f, b, n);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.type, ICMP4_UNREACH);
	assert_int_equal(r.code, ICMP4_UNREACH_PORT);
	assert_int_equal(r.nextmtu, 0);
	assert_int_equal(r.inner.src, FX_ADDR);
	assert_int_equal(r.inner.dst, FX_FAR);
	assert_int_equal(r.inner.proto, IPPROTO_TCP_);
	assert_int_equal(r.inner.hlen, 20);
	assert_int_equal(r.thlen, 8);
	assert_memory_equal(r.th, "01234567", 8);

	/* Fragmentation needed (RFC 1191) carries the next-hop MTU. */
	n = mk_error(b, ICMP4_UNREACH, ICMP4_UNREACH_NEEDFRAG, 1280, FX_ADDR,
	    IPPROTO_TCP_, 40);
	fx_input(f, b, n);
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.code, ICMP4_UNREACH_NEEDFRAG);
	assert_int_equal(r.nextmtu, 1280);
	assert_int_equal(r.thlen, 40);
	assert_int_equal(fx_stats(f).icmp.fragneeded, 1);
	assert_int_equal(fx_stats(f).icmp.unreach, 2);

	/* Time exceeded and parameter problem go to TCP too. */
	n = mk_error(b, ICMP4_TIMXCEED, ICMP4_TIMXCEED_INTRANS, 0, FX_ADDR,
	    IPPROTO_TCP_, 20);
	fx_input(f, b, n);
	assert_int_equal(r.calls, 3);
	assert_int_equal(r.type, ICMP4_TIMXCEED);
	assert_int_equal(r.thlen, 20);
	n = mk_error(b, ICMP4_PARAMPROB, 0, (uint32_t)9 << 24, FX_ADDR,
	    IPPROTO_TCP_, 8);
	fx_input(f, b, n);
	assert_int_equal(r.calls, 4);
	assert_int_equal(r.type, ICMP4_PARAMPROB);
	assert_int_equal(fx_stats(f).icmp.ctlinput, 4);
	assert_int_equal(fx_stats(f).icmp.timxceed, 1);
	assert_int_equal(fx_stats(f).icmp.paramprob, 1);

	/* Quoting fewer than 8 bytes of the segment: not enough. */
	n = mk_error(b, ICMP4_UNREACH, ICMP4_UNREACH_PORT, 0, FX_ADDR,
	    IPPROTO_TCP_, 7);
	fx_input(f, b, n);
	/* About a datagram we did not send. */
	n = mk_error(b, ICMP4_UNREACH, ICMP4_UNREACH_PORT, 0, FX_PEER,
	    IPPROTO_TCP_, 8);
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).icmp.badquote, 2);
	assert_int_equal(r.calls, 4);

	/* About our own ICMP (an echo request): nothing for TCP. */
	n = mk_error(b, ICMP4_UNREACH, ICMP4_UNREACH_HOST, 0, FX_ADDR,
	    IPPROTO_ICMP_, 8);
	fx_input(f, b, n);
	assert_int_equal(r.calls, 4);
	assert_int_equal(fx_stats(f).icmp.badquote, 2);
	assert_int_equal(fx_stats(f).icmp.unreach, 5);

	/* Errors are never answered. */
	assert_int_equal(f->nout, 0);
	icmp4_set_ctl_hook(f->st, NULL, NULL);
}

/* A quote truncated inside its own IP header, or with a bad version. */
static void
test_error_bad_quotes(void **state)
{
	struct fx *f = *state;
	uint8_t msg[64], b[128], inner[40];
	size_t n;

	memset(inner, 0, sizeof(inner));
	inner[0] = 0x45;
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_UNREACH, 1, 0, inner, 19));
	fx_input(f, b, n);
	inner[0] = 0x65;
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_UNREACH, 1, 0, inner, 28));
	fx_input(f, b, n);
	inner[0] = 0x4f;   /* 60-byte header in a 28-byte quote */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_UNREACH, 1, 0, inner, 28));
	fx_input(f, b, n);
	assert_int_equal(fx_stats(f).icmp.badquote, 3);
	assert_int_equal(fx_stats(f).icmp.ctlinput, 0);
}

struct echo_rec {
	int calls;
	uint32_t src;
	uint16_t id, seq;
	uint8_t data[2048];
	size_t len;
};

static void
echo_hook(void *arg, const struct icmp4_echo *e)
{
	struct echo_rec *r = arg;

	r->calls++;
	r->src = e->src;
	r->id = e->id;
	r->seq = e->seq;
	assert_true(e->len <= sizeof(r->data));
	memcpy(r->data, e->data, e->len);
	r->len = e->len;
}

static void
test_echo_request_and_reply_hook(void **state)
{
	struct fx *f = *state;
	struct echo_rec r;
	struct ip4_hdr h;
	struct icmp4_hdr ih;
	uint8_t data[100], b[256], msg[128];
	size_t n;

	memset(&r, 0, sizeof(r));
	icmp4_set_echo_hook(f->st, echo_hook, &r);
	fill_pattern(data, sizeof(data), 77);

	/* What we send. */
	assert_int_equal(icmp4_echo_request(f->st, FX_PEER, 0x5151, 3, data,
	    sizeof(data)), 0);
	fx_flush(f);
	assert_int_equal(f->nout, 1);
	assert_int_equal(ip4_hdr_parse(&h, f->out[0].data, f->out[0].len), 0);
	assert_int_equal(h.dst, FX_PEER);
	assert_int_equal(h.proto, IPPROTO_ICMP_);
	assert_int_equal(h.frag & IP4_DF, 0);
	assert_int_equal(icmp4_hdr_parse(&ih, f->out[0].data + 20, 108), 0);
	assert_int_equal(ih.type, ICMP4_ECHO);
	assert_int_equal(icmp4_echo_id(&ih), 0x5151);
	assert_int_equal(icmp4_echo_seq(&ih), 3);
	assert_memory_equal(f->out[0].data + 28, data, sizeof(data));
	assert_int_equal(fx_stats(f).icmp.echo_sent, 1);

	/* The reply, as the hook sees it. */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_ECHOREPLY, 0, icmp4_rest_echo(0x5151, 3), data,
	    sizeof(data)));
	fx_input(f, b, n);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.src, FX_PEER);
	assert_int_equal(r.id, 0x5151);
	assert_int_equal(r.seq, 3);
	assert_int_equal(r.len, sizeof(data));
	assert_memory_equal(r.data, data, sizeof(data));
	assert_int_equal(fx_stats(f).icmp.echoreply_rcvd, 1);
	/* Replies are not answered. */
	assert_int_equal(f->nout, 1);

	/* Errors from the output path are returned and counted. */
	assert_int_equal(icmp4_echo_request(f->st, FX_FAR, 1, 1, NULL, 0),
	    WS_ENETUNREACH);
	assert_int_equal(icmp4_echo_request(f->st, FX_PEER, 1, 1, data,
	    65508), WS_EMSGSIZE);
	assert_int_equal(fx_stats(f).icmp.odropped, 1);
	icmp4_set_echo_hook(f->st, NULL, NULL);
}

/* RFC 1122 3.2.2: when an error MUST NOT be sent. */
static void
test_error_suppression(void **state)
{
	struct fx *f = *state;
	uint8_t b[128], msg[64];
	size_t n;

	/* About an ICMP error. */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_UNREACH, 3, 0, NULL, 0));
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	/* About an unknown ICMP type (it might be an error). */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, 99, 0, 0, NULL, 0));
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	/* About truncated ICMP (the type cannot be seen). */
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, 20),
	    WS_EINVAL);
	/* About a datagram to a broadcast or multicast address. */
	n = mk_ip(b, FX_PEER, 0xffffffffu, 17, 1, 0, NULL, 0);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	n = mk_ip(b, FX_PEER, 0xe0000001u, 17, 1, 0, NULL, 0);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	n = mk_ip(b, FX_PEER, 0xc61200ffu, 17, 1, 0, NULL, 0);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	/* About a non-initial fragment. */
	n = mk_ip(b, FX_PEER, FX_ADDR, 17, 1, 5, NULL, 0);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	/* From a source that is not one host. */
	n = mk_ip(b, 0, FX_ADDR, 17, 1, 0, NULL, 0);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	n = mk_ip(b, 0xc61200ffu, FX_ADDR, 17, 1, 0, NULL, 0);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n),
	    WS_EINVAL);
	/* Garbage. */
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, 19),
	    WS_EINVAL);
	fx_flush(f);
	assert_int_equal(f->nout, 0);

	/* About an echo request (a query): allowed. */
	n = mk_ip(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, msg,
	    mk_icmp(msg, ICMP4_ECHO, 0, 0, NULL, 0));
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n), 0);
	/* About the first fragment of something: allowed. */
	n = mk_ip(b, FX_PEER, FX_ADDR, 17, 1, IP4_MF, msg, 8);
	assert_int_equal(icmp4_error(f->st, ICMP4_UNREACH, 2, b, n), 0);
	fx_flush(f);
	assert_int_equal(f->nout, 2);
	assert_int_equal(fx_stats(f).icmp.outerrors, 2);
}

/* An echo request with IP options and link padding: reply is exact. */
static void
test_echo_options_padding(void **state)
{
	struct fx *f = *state;
	uint8_t opts[8] = { 1, 1, 0x94, 4, 0, 0, 0, 0 };
	uint8_t b[128] = { 0 }, msg[64];
	size_t mlen = mk_icmp(msg, ICMP4_ECHO, 0, icmp4_rest_echo(1, 1),
	    (const uint8_t *)"pad", 3);
	size_t n = mk_ip_opts(b, FX_PEER, FX_ADDR, IPPROTO_ICMP_, 1, 0, opts,
	    8, msg, mlen);

	memset(b + n, 0xee, 60 - n);
	fx_input(f, b, 60);
	assert_int_equal(f->nout, 1);
	assert_int_equal(f->out[0].len, 20 + mlen);
	assert_memory_equal(f->out[0].data + 24, msg + 4, mlen - 4);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_echo_sizes),
		T(test_bad_messages),
		T(test_broadcast_echo_ignored),
		cmocka_unit_test(test_rate_limit),
		T(test_errors_to_tcp),
		T(test_error_bad_quotes),
		T(test_echo_request_and_reply_hook),
		T(test_error_suppression),
		T(test_echo_options_padding),
	};
#undef T

	return cmocka_run_group_tests_name("icmp4", tests, NULL, NULL);
}

/*
 * The tracer (link/trace.c): golden tcpdump-style lines for TCP (flags,
 * absolute sequence numbers, options in wire order), ARP and ICMP; every
 * truncation and random garbage described without reading past the
 * frame (each frame is an exact-size heap copy, so ASan sees an
 * overread); and the wrapper itself, over the mem pair and under two
 * stacks holding a real conversation.
 */
#define _GNU_SOURCE /* open_memstream */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/wirestack.h>

#include "arp/arp_wire.h"
#include "ipv4/ip4_wire.h"
#include "link/ether_wire.h"
#include "link/trace.h"
#include "tcp/tcp_wire.h"

/* 12:00:00.123456 of virtual time. */
#define NOON (12ULL * 3600 * WS_USEC_PER_SEC + 123456)
#define A_IP 0xc6121401u /* 198.18.20.1 */
#define B_IP 0xc6121402u /* 198.18.20.2 */

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 2 };

/* Ethernet + IPv4 + TCP with `payload` bytes of 'x'; returns the length. */
static size_t
build_tcp(uint8_t *buf, const struct tcp_hdr *th, size_t payload)
{
	struct ether_repr er;
	struct ip4_hdr ih;
	size_t hl;

	memcpy(er.dst, mac_b, 6);
	memcpy(er.src, mac_a, 6);
	er.type = 0x0800;
	assert_int_equal(ether_wire_emit(&er, buf, 14), 14);
	hl = tcp_wire_emit(buf + 14 + 20, th);
	memset(buf + 14 + 20 + hl, 'x', payload);
	tcp_wire_set_cksum(buf + 14 + 20, hl + payload, A_IP, B_IP);
	memset(&ih, 0, sizeof(ih));
	ih.hlen = 20;
	ih.total_len = (uint16_t)(20 + hl + payload);
	ih.id = 1;
	ih.frag = IP4_DF;
	ih.ttl = 64;
	ih.proto = 6;
	ih.src = A_IP;
	ih.dst = B_IP;
	assert_int_equal(ip4_hdr_emit(&ih, buf + 14, 20), 20);
	return 14 + 20 + hl + payload;
}

/* Format from an exact-size heap copy. */
static void
fmt(char *out, size_t outlen, enum ws_medium m, const uint8_t *frame,
    size_t len, unsigned flags)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);

	assert_non_null(copy);
	memcpy(copy, frame, len);
	trace_format(out, outlen, m, copy, len, NOON, 0, "wsa0", 1, flags);
	free(copy);
}

static void
test_tcp_syn_golden(void **state)
{
	uint8_t f[128];
	struct tcp_hdr th;
	char line[TRACE_LINE_MAX];
	size_t len;

	(void)state;
	memset(&th, 0, sizeof(th));
	th.sport = 40000;
	th.dport = 8080;
	th.seq = 123;
	th.flags = TH_SYN;
	th.win = 65535;
	th.opts.present = TOF_MSS | TOF_SACKPERM | TOF_TS | TOF_WSCALE;
	th.opts.mss = 1460;
	th.opts.tsval = 1;
	th.opts.tsecr = 0;
	th.opts.wscale = 7;
	len = build_tcp(f, &th, 0);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_string_equal(line, "12:00:00.123456 IP 198.18.20.1.40000 > "
	    "198.18.20.2.8080: Flags [S], seq 123, win 65535, options "
	    "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");

	/* -e and -i any flavours. */
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len,
	    WS_TRACE_LINK | WS_TRACE_DIR);
	assert_non_null(strstr(line, "12:00:00.123456 wsa0 Out "
	    "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), "
	    "length 74: IP 198.18.20.1.40000 > 198.18.20.2.8080: Flags [S]"));

	/* The same datagram on an IP-medium device. */
	fmt(line, sizeof(line), WS_MEDIUM_IP, f + 14, len - 14, 0);
	assert_non_null(strstr(line, "12:00:00.123456 IP 198.18.20.1.40000 > "
	    "198.18.20.2.8080: Flags [S], seq 123,"));
}

static void
test_tcp_data_sack_golden(void **state)
{
	uint8_t f[256];
	struct tcp_hdr th;
	char line[TRACE_LINE_MAX];
	size_t len;

	(void)state;
	memset(&th, 0, sizeof(th));
	th.sport = 8080;
	th.dport = 40000;
	th.seq = 1000;
	th.ack = 2000;
	th.flags = TH_PUSH | TH_ACK;
	th.win = 502;
	th.opts.present = TOF_TS | TOF_SACK;
	th.opts.tsval = 5;
	th.opts.tsecr = 4;
	th.opts.nsack = 2;
	th.opts.sack[0].start = 3000;
	th.opts.sack[0].end = 4000;
	th.opts.sack[1].start = 5000;
	th.opts.sack[1].end = 6000;
	len = build_tcp(f, &th, 5);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_string_equal(line, "12:00:00.123456 IP 198.18.20.1.8080 > "
	    "198.18.20.2.40000: Flags [P.], seq 1000:1005, ack 2000, win 502, "
	    "options [nop,nop,TS val 5 ecr 4,nop,nop,sack 2 {3000:4000}"
	    "{5000:6000}], length 5");

	/* A pure ACK has no seq; FIN and RST do. */
	memset(&th, 0, sizeof(th));
	th.seq = 7;
	th.ack = 9;
	th.flags = TH_ACK;
	th.win = 10;
	len = build_tcp(f, &th, 0);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_non_null(strstr(line, ": Flags [.], ack 9, win 10, length 0"));
	th.flags = TH_FIN | TH_ACK;
	len = build_tcp(f, &th, 0);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_non_null(strstr(line, ": Flags [F.], seq 7, ack 9, win 10, "
	    "length 0"));
	th.flags = TH_RST;
	len = build_tcp(f, &th, 0);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_non_null(strstr(line, ": Flags [R], seq 7, win 10, length 0"));
	th.flags = 0;
	len = build_tcp(f, &th, 0);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_non_null(strstr(line, ": Flags [none], win 10, length 0"));

	/* A flipped payload byte: tcpdump -v's "incorrect" checksum. */
	th.flags = TH_PUSH | TH_ACK;
	len = build_tcp(f, &th, 3);
	f[len - 1] ^= 0x40;
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_non_null(strstr(line, "(incorrect), length 3"));
	/* A flipped IP header byte: the header checksum fails. */
	len = build_tcp(f, &th, 3);
	f[14 + 8] ^= 0x01; /* TTL */
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, len, 0);
	assert_string_equal(line, "12:00:00.123456 IP 198.18.20.1 > "
	    "198.18.20.2: bad header checksum, length 43");
}

static void
test_arp_icmp_golden(void **state)
{
	uint8_t f[128];
	struct ether_repr er;
	struct arp_repr ar;
	struct ip4_hdr ih;
	struct icmp4_hdr ic;
	char line[TRACE_LINE_MAX];

	(void)state;
	memset(f, 0, sizeof(f));
	memset(er.dst, 0xff, 6);
	memcpy(er.src, mac_a, 6);
	er.type = 0x0806;
	ether_wire_emit(&er, f, 14);
	memset(&ar, 0, sizeof(ar));
	ar.op = ARP_OP_REQUEST;
	memcpy(ar.sha, mac_a, 6);
	ar.spa = A_IP;
	ar.tpa = B_IP;
	arp_wire_emit(&ar, f + 14, 28);
	/* Padded to the 60-byte minimum, as on the wire. */
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, 60, 0);
	assert_string_equal(line, "12:00:00.123456 ARP, Request who-has "
	    "198.18.20.2 tell 198.18.20.1, length 46");
	ar.op = ARP_OP_REPLY;
	memcpy(ar.sha, mac_b, 6);
	ar.spa = B_IP;
	memcpy(ar.tha, mac_a, 6);
	ar.tpa = A_IP;
	arp_wire_emit(&ar, f + 14, 28);
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, 42, 0);
	assert_string_equal(line, "12:00:00.123456 ARP, Reply 198.18.20.2 "
	    "is-at 02:00:00:00:00:02, length 28");

	/* ICMP echo request, 64 bytes, on an IP-medium device. */
	memset(f, 0xab, sizeof(f));
	memset(&ic, 0, sizeof(ic));
	ic.type = ICMP4_ECHO;
	ic.rest = icmp4_rest_echo(0x1234, 7);
	assert_int_equal(icmp4_hdr_emit(&ic, f + 20, 64), 0);
	memset(&ih, 0, sizeof(ih));
	ih.hlen = 20;
	ih.total_len = 84;
	ih.ttl = 64;
	ih.proto = 1;
	ih.src = A_IP;
	ih.dst = B_IP;
	ip4_hdr_emit(&ih, f, 20);
	fmt(line, sizeof(line), WS_MEDIUM_IP, f, 84, 0);
	assert_string_equal(line, "12:00:00.123456 IP 198.18.20.1 > "
	    "198.18.20.2: ICMP echo request, id 4660, seq 7, length 64");
	/* Port unreachable. */
	ic.type = ICMP4_UNREACH;
	ic.code = ICMP4_UNREACH_PORT;
	ic.rest = 0;
	icmp4_hdr_emit(&ic, f + 20, 64);
	fmt(line, sizeof(line), WS_MEDIUM_IP, f, 84, 0);
	assert_non_null(strstr(line, "ICMP port unreachable, length 64"));
	/* A later fragment carries no transport header. */
	ih.frag = 185; /* offset 1480 */
	ip4_hdr_emit(&ih, f, 20);
	fmt(line, sizeof(line), WS_MEDIUM_IP, f, 84, 0);
	assert_string_equal(line, "12:00:00.123456 IP 198.18.20.1 > "
	    "198.18.20.2: ip-proto-1 (frag 0:64@1480)");
}

/* Every prefix of real frames, then seeded garbage: no overread, and a
 * line that always starts with the timestamp. */
static void
test_truncated_and_garbage(void **state)
{
	uint8_t f[256];
	struct tcp_hdr th;
	char line[TRACE_LINE_MAX];
	size_t len;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	memset(&th, 0, sizeof(th));
	th.sport = 1;
	th.dport = 2;
	th.flags = TH_SYN | TH_ACK;
	th.opts.present = TOF_MSS | TOF_SACKPERM | TOF_TS | TOF_WSCALE;
	len = build_tcp(f, &th, 20);
	for (size_t n = 0; n <= len; n++) {
		fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, n, 0);
		assert_memory_equal(line, "12:00:00.123456 ", 16);
		assert_true(strlen(line) > 16);
		fmt(line, sizeof(line), WS_MEDIUM_IP, f + 14,
		    n > 14 ? n - 14 : 0, WS_TRACE_LINK);
		assert_memory_equal(line, "12:00:00.123456 ", 16);
	}
	fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, f, 20, 0);
	assert_string_equal(line, "12:00:00.123456 IP shorter than an IPv4 header, "
	    "length 6");
	/* The IP datagram ends inside the TCP options: a bad offset. */
	{
		struct ip4_hdr ih;
		uint8_t g[256];

		memcpy(g, f, len);
		assert_int_equal(ip4_hdr_parse(&ih, g + 14, len - 14),
		    IP4_WIRE_OK);
		ih.total_len = 20 + 22;
		ih.opts = NULL;
		ip4_hdr_emit(&ih, g + 14, 20);
		fmt(line, sizeof(line), WS_MEDIUM_ETHERNET, g, len, 0);
		assert_string_equal(line, "12:00:00.123456 IP 198.18.20.1.1 > "
		    "198.18.20.2.2: bad header length 40, length 22");
	}
	for (int i = 0; i < 20000; i++) {
		uint8_t g[200];
		size_t n;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = (size_t)(x % sizeof(g));
		for (size_t j = 0; j < n; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			g[j] = (uint8_t)x;
		}
		/* Make the outer headers plausible half of the time. */
		if ((i & 1) && n >= 34) {
			g[12] = 0x08;
			g[13] = (i & 2) ? 0x06 : 0x00;
			g[14] = 0x45;
		}
		fmt(line, sizeof(line), (i & 4) ? WS_MEDIUM_IP :
		    WS_MEDIUM_ETHERNET, g, n, WS_TRACE_LINK | WS_TRACE_DIR);
		assert_memory_equal(line, "12:00:00.123456 ", 16);
	}
	/* A tiny output buffer is cut, still terminated. */
	trace_format(line, 10, WS_MEDIUM_ETHERNET, f, len, NOON, 0, NULL, 0,
	    0);
	assert_int_equal(strlen(line), 9);
	assert_int_equal(trace_format(line, 0, WS_MEDIUM_IP, f, len, 0, 0,
	    NULL, 0, 0), 0);
}

static void
rx_count(void *arg, const uint8_t *frame, size_t len)
{
	(void)frame;
	(void)len;
	(*(int *)arg)++;
}

/* The wrapper: lines for what passes, by direction, counters of the inner
 * device, frames untouched. */
static void
test_wrapper_mem(void **state)
{
	struct ws_link *a, *b, *t;
	uint8_t f[128];
	struct tcp_hdr th;
	char *out = NULL;
	size_t outlen = 0, len;
	FILE *mf;
	int got = 0;

	(void)state;
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	assert_non_null(mf = open_memstream(&out, &outlen));
	assert_int_equal(ws_link_trace_wrap(&t, NULL, mf, 0), WS_EINVAL);
	assert_int_equal(ws_link_trace_wrap(&t, a, NULL, 0), WS_EINVAL);
	assert_int_equal(ws_link_trace_wrap(&t, a, mf,
	    WS_TRACE_RX | WS_TRACE_TX | WS_TRACE_DIR), 0);
	assert_string_equal(t->ops->kind, "trace");
	assert_int_equal(t->medium, a->medium);
	assert_memory_equal(t->hwaddr, a->hwaddr, 6);

	memset(&th, 0, sizeof(th));
	th.sport = 5;
	th.dport = 6;
	th.seq = 42;
	th.flags = TH_SYN;
	len = build_tcp(f, &th, 0);
	assert_int_equal(ws_link_send(t, NOON, f, len), 0);
	assert_int_equal(ws_link_recv(b, NOON, rx_count, &got, 16), 1);
	assert_int_equal(ws_link_send(b, NOON + 1, f, len), 0);
	assert_int_equal(ws_link_recv(t, NOON + 1, rx_count, &got, 16), 1);
	assert_int_equal(got, 2);
	assert_int_equal(t->stats.tx_frames, 1);
	assert_int_equal(t->stats.rx_frames, 1);
	fflush(mf);
	assert_non_null(strstr(out, "12:00:00.123456 mem0 Out IP "
	    "198.18.20.1.5 > 198.18.20.2.6: Flags [S], seq 42, win 0, "
	    "length 0\n"));
	assert_non_null(strstr(out, "12:00:00.123457 mem0 In  IP "));
	/* A batch: a line per frame, all of them delivered. */
	{
		struct ws_link_frame fr[2] = { { f, len, 0 }, { f, len, 0 } };
		const char *p;
		int lines = 0;

		got = 0;
		assert_int_equal(ws_link_send_batch(t, NOON + 2, fr, 2), 0);
		assert_int_equal(ws_link_recv(b, NOON + 2, rx_count, &got, 16),
		    2);
		fflush(mf);
		for (p = out; (p = strstr(p, "12:00:00.123458 mem0 Out IP "))
		    != NULL; p++)
			lines++;
		assert_int_equal(lines, 2);
		assert_int_equal(t->stats.tx_frames, 3);
	}
	ws_link_close(t);
	ws_link_close(b);
	fclose(mf);
	free(out);

	/* Only the directions asked for. */
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	assert_non_null(mf = open_memstream(&out, &outlen));
	assert_int_equal(ws_link_trace_wrap(&t, a, mf, WS_TRACE_RX), 0);
	assert_int_equal(ws_link_send(t, NOON, f, len), 0);
	fflush(mf);
	assert_int_equal(outlen, 0);
	assert_int_equal(ws_link_send(b, NOON, f, len), 0);
	assert_int_equal(ws_link_recv(t, NOON, rx_count, &got, 16), 1);
	fflush(mf);
	assert_non_null(strstr(out, "Flags [S]"));
	ws_link_close(t);
	ws_link_close(b);
	fclose(mf);
	free(out);
}

/* Two stacks talk through a traced link: ARP, the handshake, data and the
 * close show up in order. */
static void
test_wrapper_conversation(void **state)
{
	struct ws_link *la, *lb, *t;
	struct ws_stack *a, *b;
	struct ws_stack_config ca, cb;
	struct ws_tcp *l, *c, *s = NULL;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mf;
	ws_time_t now = 1000;
	char buf[16];
	const char *p;

	(void)state;
	assert_int_equal(ws_link_mem_pair(&la, &lb, NULL), 0);
	assert_non_null(mf = open_memstream(&out, &outlen));
	assert_int_equal(ws_link_trace_wrap(&t, la, mf,
	    WS_TRACE_RX | WS_TRACE_TX), 0);
	ws_stack_config_init(&ca);
	ca.link = t;
	ca.addr = A_IP;
	ca.prefix_len = 24;
	ca.seed = 1;
	ws_stack_config_init(&cb);
	cb.link = lb;
	cb.addr = B_IP;
	cb.prefix_len = 24;
	cb.seed = 2;
	assert_int_equal(ws_stack_new(&a, &ca, now), 0);
	assert_int_equal(ws_stack_new(&b, &cb, now), 0);
	assert_int_equal(ws_tcp_open(b, &l), 0);
	assert_int_equal(ws_tcp_listen(l, 8080, 4), 0);
	assert_int_equal(ws_tcp_open(a, &c), 0);
	assert_int_equal(ws_tcp_connect(c, B_IP, 8080), WS_EINPROGRESS);
	for (int i = 0; i < 2000; i++) {
		now += 100;
		ws_stack_poll(a, now);
		ws_stack_poll(b, now);
		if (s == NULL && ws_tcp_accept(l, &s) == 0) {
			assert_int_equal(ws_tcp_send(c, "hello", 5), 5);
		}
		if (s != NULL && ws_tcp_recvavail(s) == 5) {
			assert_int_equal(ws_tcp_recv(s, buf, sizeof(buf)), 5);
			ws_tcp_close(c);
			c = NULL;
		}
	}
	assert_non_null(s);
	fflush(mf);
	p = strstr(out, "ARP, Request who-has 198.18.20.2 tell 198.18.20.1");
	assert_non_null(p);
	assert_non_null(p = strstr(p, "ARP, Reply 198.18.20.2 is-at "
	    "02:00:00:00:00:02"));
	assert_non_null(p = strstr(p, "> 198.18.20.2.8080: Flags [S], seq "));
	assert_non_null(p = strstr(p, "198.18.20.2.8080 > 198.18.20.1."));
	assert_non_null(p = strstr(p, ": Flags [S.], seq "));
	assert_non_null(p = strstr(p, "Flags [P.], seq "));
	assert_non_null(p = strstr(p, ", length 5\n"));
	assert_non_null(strstr(p, "Flags [F.]"));
	assert_null(strstr(out, "incorrect"));
	ws_tcp_close(s);
	ws_tcp_close(l);
	ws_stack_free(a);
	ws_stack_free(b);
	ws_link_close(t);
	ws_link_close(lb);
	fclose(mf);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_syn_golden),
		cmocka_unit_test(test_tcp_data_sack_golden),
		cmocka_unit_test(test_arp_icmp_golden),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_wrapper_mem),
		cmocka_unit_test(test_wrapper_conversation),
	};

	return cmocka_run_group_tests_name("link_trace", tests, NULL, NULL);
}

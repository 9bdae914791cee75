/*
 * The receive filter of the raw IPv4 device (link/rawip.c), without
 * privileges: rawip_accept() on good, wrong and truncated datagrams, and
 * the classic BPF program run by the kernel on an AF_UNIX datagram socket
 * (socket filters work on any socket), which must agree with it.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/endian.h"
#include "link/rawip_var.h"
#include "tests/lib/harness.h"

#define LOCAL 0xc6120001u  /* 198.18.0.1 */
#define PEER 0xc6120002u

/* An IPv4 TCP datagram with `optwords` words of IP options; its length. */
static size_t
build(uint8_t *d, unsigned optwords, uint32_t src, uint32_t dst,
    uint16_t sport, uint16_t dport, size_t payload)
{
	size_t hlen = 20 + 4 * (size_t)optwords, len = hlen + 20 + payload;

	memset(d, 0, len);
	d[0] = (uint8_t)(0x40 | (5 + optwords));
	be16_store(d + 2, (uint16_t)len);
	be16_store(d + 6, 0x4000); /* DF */
	d[8] = 64;
	d[9] = 6;
	be32_store(d + 12, src);
	be32_store(d + 16, dst);
	for (unsigned i = 0; i < 4 * optwords; i++)
		d[20 + i] = 1; /* NOP options */
	be16_store(d + hlen, sport);
	be16_store(d + hlen + 2, dport);
	d[hlen + 12] = 0x50;
	return len;
}

static void
test_accept(void **state)
{
	uint8_t d[200];
	size_t len;

	(void)state;
	len = build(d, 0, PEER, LOCAL, 80, 40000, 10);
	/* 0 is "any port". */
	assert_true(rawip_accept(LOCAL, 0, 0, d, len));
	assert_true(rawip_accept(LOCAL, 40000, 80, d, len));
	assert_true(rawip_accept(LOCAL, 40000, 0, d, len));
	assert_true(rawip_accept(LOCAL, 0, 80, d, len));
	/* Our own datagram looping back has the ports the other way round. */
	assert_false(rawip_accept(LOCAL, 80, 40000, d, len));
	assert_false(rawip_accept(LOCAL, 40001, 0, d, len));
	assert_false(rawip_accept(LOCAL, 0, 81, d, len));
	assert_false(rawip_accept(PEER, 0, 0, d, len));
	/* Options move the TCP header. */
	len = build(d, 3, PEER, LOCAL, 80, 40000, 0);
	assert_true(rawip_accept(LOCAL, 40000, 80, d, len));
	assert_false(rawip_accept(LOCAL, 40000, 81, d, len));
	/* A padded frame (total length < buffer) is fine. */
	len = build(d, 0, PEER, LOCAL, 80, 40000, 0);
	assert_true(rawip_accept(LOCAL, 40000, 80, d, len + 6));
}

static void
test_reject_malformed(void **state)
{
	uint8_t d[200], m[200];
	size_t len = build(d, 0, PEER, LOCAL, 80, 40000, 0);

	(void)state;
	/* Every truncation of a good datagram is refused (ASan: no overread). */
	for (size_t l = 0; l < len; l++) {
		uint8_t *copy = malloc(l > 0 ? l : 1);

		memcpy(copy, d, l);
		assert_false(rawip_accept(LOCAL, 0, 0, copy, l));
		free(copy);
	}
	memcpy(m, d, len);
	m[0] = 0x65; /* version 6 */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	memcpy(m, d, len);
	m[0] = 0x44; /* IHL 4 */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	memcpy(m, d, len);
	m[0] = 0x4f; /* IHL 15: 60 bytes of header, total length 40 */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	memcpy(m, d, len);
	be16_store(m + 2, (uint16_t)(len + 1)); /* longer than received */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	memcpy(m, d, len);
	be16_store(m + 2, 19); /* shorter than the header */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	memcpy(m, d, len);
	be16_store(m + 2, 23); /* no room for both ports */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	be16_store(m + 2, 24);
	assert_true(rawip_accept(LOCAL, 40000, 80, m, len));
	memcpy(m, d, len);
	m[9] = 17; /* UDP */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	memcpy(m, d, len);
	be16_store(m + 6, 0x2000 | 100); /* a later fragment */
	assert_false(rawip_accept(LOCAL, 0, 0, m, len));
	be16_store(m + 6, 0x2000); /* the first fragment has the ports */
	assert_true(rawip_accept(LOCAL, 0, 0, m, len));
}

/* Send through a socketpair filtered by the program; true if it passed. */
static bool
kernel_passes(int tx, int rx, const uint8_t *d, size_t len)
{
	uint8_t buf[300];
	ssize_t n;

	assert_int_equal(send(tx, d, len, 0), (ssize_t)len);
	n = recv(rx, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return false;
	}
	/* The program keeps the whole datagram. */
	assert_int_equal(n, (ssize_t)len);
	assert_memory_equal(buf, d, len);
	return true;
}

static void
check_program(uint16_t lport, uint16_t rport, uint64_t *x)
{
	struct sock_filter insns[RAWIP_FILTER_MAX];
	struct sock_fprog prog;
	int sv[2];
	unsigned agree = 0, passed = 0;

	prog.len = (unsigned short)rawip_filter_build(insns, LOCAL, lport,
	    rport);
	prog.filter = insns;
	assert_true(prog.len > 0 && prog.len <= RAWIP_FILTER_MAX);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_ATTACH_FILTER,
	    &prog, sizeof(prog)), 0);
	for (int i = 0; i < 3000; i++) {
		uint8_t d[200];
		uint64_t r;
		size_t len;
		bool want, got;

		*x += 0x9e3779b97f4a7c15ULL;
		r = *x ^ (*x >> 29);
		r *= 0xbf58476d1ce4e5b9ULL;
		r ^= r >> 32;
		/*
		 * Well-formed datagrams (the kernel checks lengths before a
		 * raw socket sees anything) with each field the filter looks
		 * at sometimes right and sometimes wrong.
		 */
		len = build(d, (unsigned)(r & 3), PEER,
		    (r >> 2) & 1 ? LOCAL : LOCAL + 1,
		    (r >> 3) & 1 ? rport : (uint16_t)(rport + 1 + (r >> 40) % 5),
		    (r >> 4) & 1 ? lport : (uint16_t)(lport + 1 + (r >> 48) % 5),
		    (size_t)(r >> 8) % 40);
		if (((r >> 5) & 7) == 0)
			d[9] = 17;
		if (((r >> 12) & 7) == 0)
			d[0] = (uint8_t)(0x60 | (d[0] & 0x0f));
		if (((r >> 15) & 7) == 0)
			be16_store(d + 6, (uint16_t)(0x2000 | ((r >> 18) & 0x1fff)));
		want = rawip_accept(LOCAL, lport, rport, d, len);
		got = kernel_passes(sv[0], sv[1], d, len);
		if (want != got)
			fail_msg("case %d: user space %d, BPF %d", i, want, got);
		agree++;
		passed += got;
	}
	/* Both outcomes were exercised. */
	assert_true(passed > 50 && passed < agree - 50);
	close(sv[0]);
	close(sv[1]);
}

static void
test_bpf_agrees(void **state)
{
	uint64_t x = wt_seed(77);

	(void)state;
	check_program(40000, 80, &x);
	check_program(40000, 0, &x);
	check_program(0, 80, &x);
	check_program(0, 0, &x);
	check_program(1, 65535, &x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_reject_malformed),
		cmocka_unit_test(test_bpf_agrees),
	};

	return cmocka_run_group_tests_name("link_rawip", tests, NULL, NULL);
}

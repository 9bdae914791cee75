/*
 * The pcap writer (link/pcapw.c): frames in and out land in a savefile
 * that libpcap reads back with the same bytes, lengths, link type and
 * (virtual) timestamps; the wrapped device is otherwise untouched.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "tests/lib/harness.h"

#define T0 1700000000123456ULL /* a plausible wall-clock time, in us */

struct expect {
	ws_time_t ts;
	size_t len;
	uint8_t data[1600];
};

struct fixture {
	char path[256];
	struct expect want[64];
	unsigned nwant;
	unsigned nrx;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *dir = getenv("TMPDIR");
	int fd;

	if (f == NULL)
		return -1;
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(f->path, sizeof(f->path), "%s/ws_pcapw_XXXXXX", dir);
	if ((fd = mkstemp(f->path)) < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	free(f);
	return 0;
}

static void
rx_count(void *arg, const uint8_t *frame, size_t len)
{
	struct fixture *f = arg;

	(void)frame;
	(void)len;
	f->nrx++;
}

static void
make(struct fixture *f, ws_time_t ts, size_t len, uint8_t fillbyte)
{
	struct expect *e = &f->want[f->nwant++];

	e->ts = ts;
	e->len = len;
	for (size_t i = 0; i < len; i++)
		e->data[i] = (uint8_t)(fillbyte + i * 13);
}

/* Read the savefile back and compare it with f->want, in order. */
static void
check_file(struct fixture *f, int dlt)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc = pcap_open_offline(f->path, err);
	unsigned i = 0;
	int rc;

	if (pc == NULL)
		fail_msg("pcap_open_offline: %s", err);
	assert_int_equal(pcap_datalink(pc), dlt);
	assert_true(pcap_snapshot(pc) >= 65535);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct expect *e = &f->want[i];

		assert_true(i < f->nwant);
		assert_int_equal(h->len, e->len);
		assert_int_equal(h->caplen, e->len);
		assert_memory_equal(data, e->data, e->len);
		assert_int_equal(h->ts.tv_sec, e->ts / 1000000);
		assert_int_equal(h->ts.tv_usec, e->ts % 1000000);
		i++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK); /* clean end of file */
	assert_int_equal(i, f->nwant);
	pcap_close(pc);
}

static void
test_ethernet(void **state)
{
	struct fixture *f = *state;
	struct ws_link *a, *b, *w;
	char err[128];
	ws_time_t now = T0;

	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	assert_int_equal(ws_link_pcapw_wrap(&w, a, f->path, err, sizeof(err)),
	    0);
	assert_string_equal(w->ops->kind, "pcapw");
	assert_int_equal(w->medium, WS_MEDIUM_ETHERNET);
	assert_int_equal(w->mtu, a->mtu);
	assert_memory_equal(w->hwaddr, a->hwaddr, 6);
	assert_int_equal(ws_link_fd(w), ws_link_fd(a));

	/* Out: sizes from minimal to full MTU. */
	static const size_t lens[] = { 60, 1514, 14, 61, 200 };
	for (unsigned i = 0; i < 5; i++) {
		make(f, now, lens[i], (uint8_t)i);
		assert_int_equal(ws_link_send(w, now,
		    f->want[f->nwant - 1].data, lens[i]), 0);
		now += 999999 + i; /* crosses second boundaries */
	}
	/* In: stamped with the `now` of the recv() that delivered them. */
	for (unsigned i = 0; i < 3; i++) {
		struct expect *e;

		make(f, now, 100 + i, (uint8_t)(0x80 + i));
		e = &f->want[f->nwant - 1];
		assert_int_equal(ws_link_send(b, now - 5, e->data, e->len), 0);
		assert_int_equal(ws_link_recv(w, now, rx_count, f, 10), 1);
		now += 17;
	}
	assert_int_equal(f->nrx, 3);
	/* A refused frame is still recorded: it is what the stack sent. */
	make(f, now, 1515, 0x33);
	assert_int_equal(ws_link_send(w, now, f->want[f->nwant - 1].data,
	    1515), WS_EMSGSIZE);
	assert_int_equal(w->stats.tx_errors, 1);
	/* Counters are the inner device's. */
	assert_int_equal(w->stats.tx_frames, 5);
	assert_int_equal(w->stats.rx_frames, 3);
	assert_int_equal(w->stats.rx_bytes, 100 + 101 + 102);
	ws_link_close(w); /* flushes, and closes a */
	ws_link_close(b);
	check_file(f, DLT_EN10MB);
}

static void
test_raw_ip(void **state)
{
	struct fixture *f = *state;
	struct ws_link_mem_config mc = { .medium = WS_MEDIUM_IP };
	struct ws_link *a, *b, *w;

	assert_int_equal(ws_link_mem_pair(&a, &b, &mc), 0);
	assert_int_equal(ws_link_pcapw_wrap(&w, a, f->path, NULL, 0), 0);
	make(f, 5, 20, 0x45);
	f->want[0].data[0] = 0x45;
	assert_int_equal(ws_link_send(w, 5, f->want[0].data, 20), 0);
	make(f, 0, 1500, 0x45); /* time 0 is a valid timestamp too */
	assert_int_equal(ws_link_send(w, 0, f->want[1].data, 1500), 0);
	ws_link_close(w);
	ws_link_close(b);
	/* LINKTYPE_RAW; libpcap reports it as DLT_RAW (12 or 14). */
	{
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(f->path, err);

		assert_non_null(pc);
		assert_int_equal(pcap_datalink(pc), DLT_RAW);
		pcap_close(pc);
	}
	check_file(f, DLT_RAW);
}

static void
test_empty_file(void **state)
{
	struct fixture *f = *state;
	struct ws_link *a, *b, *w;

	/* Opened and closed with no traffic: a valid, empty savefile. */
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	assert_int_equal(ws_link_pcapw_wrap(&w, a, f->path, NULL, 0), 0);
	ws_link_close(w);
	ws_link_close(b);
	check_file(f, DLT_EN10MB);
}

static void
test_bad_path(void **state)
{
	struct fixture *f = *state;
	struct ws_link *a, *b, *w = (struct ws_link *)&w;
	char err[160] = "";
	int error;

	(void)f;
	assert_int_equal(ws_link_mem_pair(&a, &b, NULL), 0);
	error = ws_link_pcapw_wrap(&w, a, "/nonexistent-dir/x/y.pcap", err,
	    sizeof(err));
	assert_true(error < 0);
	assert_null(w);
	/* One line saying which file. */
	assert_non_null(strstr(err, "/nonexistent-dir/x/y.pcap"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(ws_link_pcapw_wrap(&w, NULL, f->path, err,
	    sizeof(err)), WS_EINVAL);
	assert_int_equal(ws_link_pcapw_wrap(&w, a, NULL, err, sizeof(err)),
	    WS_EINVAL);
	/* The caller still owns the inner device after a failure. */
	assert_int_equal(ws_link_send(a, 0, (const uint8_t[60]){ 0 }, 60), 0);
	ws_link_close(a);
	ws_link_close(b);
}

static void
test_harness_pair(void **state)
{
	struct fixture *f = *state;
	struct wt_pair_opts opts = { .fault = true, .pcap = f->path };
	struct wt_pair p;
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	unsigned arp = 0, n = 0;

	/*
	 * The wrappers composed as the pair tests use them: pcapw(fault(mem))
	 * under two stacks.  The stacks announce themselves with ARP on the
	 * first poll; that must reach the file, and nothing may leak.
	 */
	opts.fault_cfg.drop = 0.2;
	opts.fault_cfg.duplicate = 0.2;
	assert_int_equal(wt_pair_setup(&p, &opts), 0);
	assert_string_equal(p.la->ops->kind, "pcapw");
	wt_pair_run(&p, NULL, NULL, 3 * WS_USEC_PER_SEC);
	assert_true(p.la->stats.tx_frames > 0);
	assert_int_equal(wt_pair_teardown(&p), 0);
	pc = pcap_open_offline(f->path, err);
	assert_non_null(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		n++;
		/* Timestamps are virtual time: the pair starts at t = 1 s. */
		assert_true(h->ts.tv_sec >= 1 && h->ts.tv_sec <= 4);
		if (h->caplen >= 14 && data[12] == 0x08 && data[13] == 0x06)
			arp++;
	}
	pcap_close(pc);
	assert_true(n > 0);
	assert_true(arp > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ethernet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_harness_pair, setup, teardown),
	};

	return cmocka_run_group_tests_name("link_pcapw", tests, NULL, NULL);
}

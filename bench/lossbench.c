/*
 * Goodput versus random loss, in virtual time (deterministic: the same
 * binary prints the same table every time).
 *
 * Two stacks on the in-memory link: 100 Mbit/s each way, 10 ms one-way
 * delay, and a FIFO of 256 frames per direction (the frames on the wire,
 * about 85 at this rate and delay, plus a bottleneck queue of about one
 * bandwidth-delay product), so congestion losses happen as on a real
 * path.  On top, end A is wrapped by the fault injector, which drops
 * data and ACKs alike with probability P (each direction crosses that
 * one wrapper once, so the loss rate per packet is P).
 *
 * For each loss rate and each configuration (congestion control, SACK,
 * RACK-TLP) it moves BENCH_BYTES from A to B, several seeds each, and
 * reports goodput = bytes delivered / virtual seconds from the first SYN
 * to the last byte read, plus the counters that show which mechanism did
 * the work.  `make lossbench` writes the table to bench/lossbench.md.
 *
 * Usage: lossbench [-q] [bytes] (-q: a smaller, faster run)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/wirestack.h>

#define ADDR_A 0xc6120001u /* 198.18.0.1 */
#define ADDR_B 0xc6120002u /* 198.18.0.2 */
#define PORT 5001
#define RATE_BPS 100000000ULL
#define DELAY_US 10000ULL
#define QUEUE_FRAMES 256
#define BUF_BYTES (4u << 20)
#define SEEDS 3
#define LIMIT_US (3600ULL * WS_USEC_PER_SEC)

struct config {
	const char *name;
	int cc;
	bool sack, rack;
};

static const struct config configs[] = {
	{ "NewReno", WS_TCP_CC_NEWRENO, false, false },
	{ "NewReno+SACK", WS_TCP_CC_NEWRENO, true, false },
	{ "NewReno+SACK+RACK", WS_TCP_CC_NEWRENO, true, true },
	{ "CUBIC", WS_TCP_CC_CUBIC, false, false },
	{ "CUBIC+SACK+RACK", WS_TCP_CC_CUBIC, true, true },
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

static const double losses[] = { 0, 0.001, 0.01, 0.02, 0.05, 0.10 };
#define NLOSSES (sizeof(losses) / sizeof(losses[0]))

struct result {
	double mbps;            /* goodput, Mbit/s */
	double secs;            /* virtual seconds */
	uint64_t rtos, fastrexmit, rack, tlp, undo, rexmit, segs;
	bool ok;
};

static void
setopts(struct ws_tcp *s, const struct config *c)
{
	if (ws_tcp_setopt(s, WS_TCP_CC, c->cc) != 0 ||
	    ws_tcp_setopt(s, WS_TCP_SACK, c->sack) != 0 ||
	    ws_tcp_setopt(s, WS_TCP_RACK, c->rack) != 0 ||
	    ws_tcp_setopt(s, WS_TCP_SNDBUF, (int)BUF_BYTES) != 0 ||
	    ws_tcp_setopt(s, WS_TCP_RCVBUF, (int)BUF_BYTES) != 0) {
		fprintf(stderr, "lossbench: setopt failed\n");
		exit(1);
	}
}

/* One transfer; false if it did not complete. */
static bool
run_one(const struct config *c, double loss, uint64_t seed, size_t bytes,
    struct result *r)
{
	struct ws_link_mem_config mc = { 0 };
	struct ws_fault_config fc = { 0 };
	struct ws_link *la, *lb, *w;
	struct ws_stack_config cfg;
	struct ws_stack *a, *b;
	struct ws_tcp *l, *cl, *sv = NULL;
	struct ws_stats sa;
	ws_time_t now = WS_USEC_PER_SEC, t0, end;
	static uint8_t buf[65536];
	size_t sent = 0, rcvd = 0;
	bool done = false;

	mc.medium = WS_MEDIUM_IP;
	mc.mtu = 1500;
	mc.queue_limit = QUEUE_FRAMES;
	mc.rate_bps = RATE_BPS;
	mc.delay_us = DELAY_US;
	if (ws_link_mem_pair(&la, &lb, &mc) != 0)
		return false;
	fc.drop = loss;
	fc.seed = seed;
	if (ws_link_fault_wrap(&w, la, &fc) != 0)
		return false;
	la = w;
	ws_stack_config_init(&cfg);
	cfg.link = la;
	cfg.addr = ADDR_A;
	cfg.prefix_len = 24;
	cfg.seed = seed;
	if (ws_stack_new(&a, &cfg, now) != 0)
		return false;
	cfg.link = lb;
	cfg.addr = ADDR_B;
	cfg.seed = seed + 1;
	if (ws_stack_new(&b, &cfg, now) != 0)
		return false;
	if (ws_tcp_open(b, &l) != 0 || (setopts(l, c), 0) ||
	    ws_tcp_listen(l, PORT, 4) != 0 || ws_tcp_open(a, &cl) != 0)
		return false;
	setopts(cl, c);
	t0 = now;
	if (ws_tcp_connect(cl, ADDR_B, PORT) != WS_EINPROGRESS)
		return false;
	end = now + LIMIT_US;
	memset(buf, 0x5a, sizeof(buf));
	while (now < end) {
		ws_time_t next;

		ws_stack_poll(a, now);
		ws_stack_poll(b, now);
		if (sv == NULL && ws_tcp_accept(l, &sv) != 0)
			sv = NULL;
		if (ws_tcp_events(cl) & WS_TCP_CONNECTED) {
			while (sent < bytes) {
				size_t want = bytes - sent;
				ssize_t n = ws_tcp_send(cl, buf,
				    want < sizeof(buf) ? want : sizeof(buf));

				if (n <= 0)
					break;
				sent += (size_t)n;
			}
		}
		while (sv != NULL) {
			ssize_t n = ws_tcp_recv(sv, buf, sizeof(buf));

			if (n <= 0)
				break;
			rcvd += (size_t)n;
		}
		if (rcvd == bytes) {
			done = true;
			break;
		}
		next = ws_time_min(ws_stack_next_deadline(a),
		    ws_stack_next_deadline(b));
		if (next > now)
			now = next == WS_TIME_NEVER ? end : next;
	}
	r->secs = (double)(now - t0) / WS_USEC_PER_SEC;
	r->mbps = done ? (double)bytes * 8 / r->secs / 1e6 : 0;
	ws_stack_stats(a, &sa);
	r->rtos = sa.tcp.rexmttimeo;
	r->fastrexmit = sa.tcp.fastrexmit;
	r->rack = sa.tcp.rackdetect;
	r->tlp = sa.tcp.tlp;
	r->undo = sa.tcp.spurious_undo;
	r->rexmit = sa.tcp.sndrexmitpack;
	r->segs = sa.tcp.sndpack + sa.tcp.sndrexmitpack;
	r->ok = done;
	ws_stack_free(a);
	ws_stack_free(b);
	ws_link_close(la);
	ws_link_close(lb);
	return done;
}

int
main(int argc, char **argv)
{
	static struct result res[NLOSSES][NCONFIGS];
	size_t bytes = 16u << 20;
	int argi = 1;
	bool quick = false;

	if (argi < argc && strcmp(argv[argi], "-q") == 0) {
		quick = true;
		bytes = 2u << 20;
		argi++;
	}
	if (argi < argc)
		bytes = strtoull(argv[argi], NULL, 0);
	for (size_t i = 0; i < NLOSSES; i++) {
		for (size_t j = 0; j < NCONFIGS; j++) {
			struct result *t = &res[i][j];

			memset(t, 0, sizeof(*t));
			t->ok = true;
			for (uint64_t s = 1; s <= (quick ? 1 : SEEDS); s++) {
				struct result one;

				memset(&one, 0, sizeof(one));
				if (!run_one(&configs[j], losses[i], s * 7919,
				    bytes, &one))
					t->ok = false;
				t->mbps += one.mbps;
				t->secs += one.secs;
				t->rtos += one.rtos;
				t->fastrexmit += one.fastrexmit;
				t->rack += one.rack;
				t->tlp += one.tlp;
				t->undo += one.undo;
				t->rexmit += one.rexmit;
				t->segs += one.segs;
			}
			t->mbps /= quick ? 1 : SEEDS;
			fprintf(stderr, "loss %5.1f%% %-18s %7.2f Mbit/s "
			    "rto %llu\n", losses[i] * 100, configs[j].name,
			    t->mbps, (unsigned long long)t->rtos);
		}
	}

	printf("# Goodput versus loss (virtual time)\n\n");
	printf("Generated by `make lossbench` (bench/lossbench.c); do not "
	    "edit.  Two wirestack\nstacks on the in-memory link: %llu Mbit/s, "
	    "%llu ms one-way delay, %u-frame FIFO\nper direction, %u KiB "
	    "socket buffers, MSS 1448 with timestamps.  Random loss P\n"
	    "applies to data and ACKs alike.  Each cell: %zu MiB from A to B, "
	    "mean over\n%d seeds; goodput = bytes / virtual seconds from SYN "
	    "to the last byte read.\n\n", (unsigned long long)(RATE_BPS /
	    1000000), (unsigned long long)(DELAY_US / 1000), QUEUE_FRAMES,
	    BUF_BYTES >> 10, bytes >> 20, quick ? 1 : SEEDS);
	printf("## Goodput, Mbit/s\n\n| loss |");
	for (size_t j = 0; j < NCONFIGS; j++)
		printf(" %s |", configs[j].name);
	printf("\n|---:|");
	for (size_t j = 0; j < NCONFIGS; j++)
		printf("---:|");
	printf("\n");
	for (size_t i = 0; i < NLOSSES; i++) {
		printf("| %.1f %% |", losses[i] * 100);
		for (size_t j = 0; j < NCONFIGS; j++)
			printf(res[i][j].ok ? " %.2f |" : " %.2f (incomplete) |",
			    res[i][j].mbps);
		printf("\n");
	}
	printf("\n## Retransmission timeouts (sum over the seeds)\n\n| loss |");
	for (size_t j = 0; j < NCONFIGS; j++)
		printf(" %s |", configs[j].name);
	printf("\n|---:|");
	for (size_t j = 0; j < NCONFIGS; j++)
		printf("---:|");
	printf("\n");
	for (size_t i = 0; i < NLOSSES; i++) {
		printf("| %.1f %% |", losses[i] * 100);
		for (size_t j = 0; j < NCONFIGS; j++)
			printf(" %llu |", (unsigned long long)res[i][j].rtos);
		printf("\n");
	}
	printf("\n## Sender counters (sum over the seeds): fast recoveries / "
	    "RACK losses / TLPs / undos / retransmitted segments\n\n| loss |");
	for (size_t j = 0; j < NCONFIGS; j++)
		printf(" %s |", configs[j].name);
	printf("\n|---:|");
	for (size_t j = 0; j < NCONFIGS; j++)
		printf("---:|");
	printf("\n");
	for (size_t i = 0; i < NLOSSES; i++) {
		printf("| %.1f %% |", losses[i] * 100);
		for (size_t j = 0; j < NCONFIGS; j++)
			printf(" %llu / %llu / %llu / %llu / %llu |",
			    (unsigned long long)res[i][j].fastrexmit,
			    (unsigned long long)res[i][j].rack,
			    (unsigned long long)res[i][j].tlp,
			    (unsigned long long)res[i][j].undo,
			    (unsigned long long)res[i][j].rexmit);
		printf("\n");
	}
	for (size_t i = 0; i < NLOSSES; i++)
		for (size_t j = 0; j < NCONFIGS; j++)
			if (!res[i][j].ok)
				return 1;
	return 0;
}

/*
 * impair: a user-space netem.  Bridges two Ethernet interfaces frame by
 * frame and impairs what crosses: delay, jitter, rate limit, loss,
 * duplication, reordering and corruption, all seeded.
 *
 * Built from wirestack's own link layer: both interfaces are opened with
 * ws_link_pcap_open(WS_LINK_PCAP_ALL) (promiscuous capture, AF_PACKET
 * injection; our own transmissions are never captured back, so the bridge
 * cannot loop), side B is wrapped in link/fault.c for the per-frame faults
 * (its transmit direction impairs A->B, its receive direction B->A), and
 * each direction has a delay line here:
 *
 *	departure = max(arrival, link_free) + len * 8 / rate   (serialization)
 *	release   = max(departure + delay + jitter, previous release)
 *
 * so frames leave in order (reordering is the fault wrapper's job) and a
 * rate limit builds a queue, as a bottleneck link would.  Frames queue in
 * one contiguous byte ring per direction: no allocation per frame.  When
 * the ring or the frame limit is full, the frame is dropped (tail drop),
 * and counted.
 *
 * Timing: ppoll(2) with a nanosecond timeout on both capture descriptors
 * and the earliest release time.
 */
#define _GNU_SOURCE /* ppoll */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wirestack/wirestack.h>

#include "apps/common.h"

#define RX_BATCH 256
#define DEFAULT_QUEUE_BYTES (32u * 1024 * 1024)
#define DEFAULT_LIMIT 100000

/* One queued frame in a direction's byte ring. */
struct qhdr {
	uint32_t len;           /* frame bytes */
	uint32_t pad;
	ws_time_t release;      /* when it may leave */
};

struct dir {
	const char *name;       /* "A->B" */
	struct ws_link *in, *out;
	uint8_t *ring;
	size_t cap;             /* bytes */
	size_t head, tail;      /* head: oldest entry; tail: next write */
	size_t end;             /* wrapped: where the entries before 0 end */
	bool wrapped;           /* the tail is behind the head */
	uint32_t frames;        /* frames queued */
	ws_time_t link_free;    /* serialization: when the link frees up */
	ws_time_t last_release;
	uint64_t rng[2];        /* jitter: xorshift128+ */
	/* counters */
	uint64_t rx, tx, tx_bytes, qdrops, txerr;
};

struct impair {
	struct app app;         /* messages, signals and the sandbox */
	const char *ifa, *ifb;
	uint64_t delay_us, jitter_us;
	uint64_t rate_bps;      /* 0: unlimited */
	struct ws_fault_config fault;
	bool have_fault;
	uint32_t limit;         /* frames per direction */
	size_t queue_bytes;
	int verbose;
	struct ws_link *la, *lb;     /* lb is the fault wrapper when used */
	struct dir dir[2];
	ws_time_t now;
};

static const char *prog_name = "impair";

static void
synopsis(FILE *f)
{
	fprintf(f,
"usage: %s [--delay MS] [--jitter MS] [--rate RATE] [--loss PCT]\n"
"              [--duplicate PCT] [--reorder PCT] [--corrupt PCT] [--seed N]\n"
"              [--limit FRAMES] [--user NAME] [--no-seccomp] [-v]\n"
"              IFACE_A IFACE_B\n", prog_name);
}

static void
usage(FILE *f)
{
	synopsis(f);
	fprintf(f,
"\n"
"A user-space netem on wirestack's link layer: bridges IFACE_A and IFACE_B\n"
"frame by frame, in both directions, impairing every frame that crosses.\n"
"\n"
"      --delay MS       one-way delay, milliseconds (decimals allowed)\n"
"      --jitter MS      uniform random extra delay 0..MS (order is kept)\n"
"      --rate RATE      bottleneck rate, bits/s, with k/m/g (e.g. 100m)\n"
"      --loss PCT       drop this percentage of frames (e.g. 0.1)\n"
"      --duplicate PCT  send this percentage twice\n"
"      --reorder PCT    hold this percentage back behind the next frame\n"
"      --corrupt PCT    flip one byte in this percentage\n"
"      --seed N         seed for every random choice (default 1)\n"
"      --limit FRAMES   frames queued per direction before tail drop\n"
"                       (default %d)\n"
"      --user NAME      run as NAME once both interfaces are open (default\n"
"                       nobody when started as root)\n"
"      --no-seccomp     do not install the seccomp system call filter\n"
"  -v, --verbose        print counters every second (and at exit anyway)\n"
"  -h, --help           this text\n"
"\n"
"Needs root or cap_net_raw,cap_net_admin.  Runs until SIGINT/SIGTERM and\n"
"prints its counters at exit.\n", DEFAULT_LIMIT);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	synopsis(stderr);
	fprintf(stderr, "Try '%s --help' for more.\n", prog_name);
	exit(APP_EXIT_USAGE);
}

static double
parse_num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
		bad_usage("bad %s '%s': expected a number in %g..%g", opt, s, lo,
		    hi);
	return v;
}

static uint64_t
parse_rate(const char *s)
{
	char *end;
	double v, mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || !(v > 0))
		bad_usage("bad rate '%s': expected bits/s such as 100m", s);
	switch (*end) {
	case 'k': case 'K':
		mult = 1e3;
		end++;
		break;
	case 'm': case 'M':
		mult = 1e6;
		end++;
		break;
	case 'g': case 'G':
		mult = 1e9;
		end++;
		break;
	default:
		break;
	}
	if (strcmp(end, "bit") == 0 || strcmp(end, "bps") == 0)
		end += 3;
	if (*end != '\0' || v * mult > 1e12 || v * mult < 1000)
		bad_usage("bad rate '%s': expected 1k..1000g bits/s", s);
	return (uint64_t)(v * mult);
}

enum {
	OPT_DELAY = 256, OPT_JITTER, OPT_RATE, OPT_LOSS, OPT_DUP, OPT_REORDER,
	OPT_CORRUPT, OPT_SEED, OPT_LIMIT, OPT_USER, OPT_NO_SECCOMP,
};

static void
parse_args(struct impair *im, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "jitter", required_argument, NULL, OPT_JITTER },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "loss", required_argument, NULL, OPT_LOSS },
		{ "duplicate", required_argument, NULL, OPT_DUP },
		{ "reorder", required_argument, NULL, OPT_REORDER },
		{ "corrupt", required_argument, NULL, OPT_CORRUPT },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	prog_name = app_prog_name(argv[0], "impair");
	im->app.prog = prog_name;
	im->app.sigfd = -1;     /* ppoll(2) masks, no self-pipe */
	im->app.reserve_fd = -1;
	im->app.stats_fd = -1;
	im->fault.seed = 1;
	im->limit = DEFAULT_LIMIT;
	im->queue_bytes = DEFAULT_QUEUE_BYTES;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DELAY:
			im->delay_us = (uint64_t)(parse_num("delay", optarg, 0,
			    60000) * 1000.0 + 0.5);
			break;
		case OPT_JITTER:
			im->jitter_us = (uint64_t)(parse_num("jitter", optarg, 0,
			    60000) * 1000.0 + 0.5);
			break;
		case OPT_RATE:
			im->rate_bps = parse_rate(optarg);
			break;
		case OPT_LOSS:
			im->fault.drop = parse_num("loss", optarg, 0, 100) / 100;
			break;
		case OPT_DUP:
			im->fault.duplicate = parse_num("duplicate", optarg, 0,
			    100) / 100;
			break;
		case OPT_REORDER:
			im->fault.reorder = parse_num("reorder", optarg, 0,
			    100) / 100;
			break;
		case OPT_CORRUPT:
			im->fault.corrupt = parse_num("corrupt", optarg, 0,
			    100) / 100;
			break;
		case OPT_SEED:
			im->fault.seed = (uint64_t)parse_num("seed", optarg, 0,
			    9007199254740991.0);
			break;
		case OPT_LIMIT:
			im->limit = (uint32_t)parse_num("limit", optarg, 1,
			    10000000);
			break;
		case OPT_USER:
			if (optarg[0] == '\0')
				bad_usage("--user needs a user name");
			im->app.o.user = optarg;
			break;
		case OPT_NO_SECCOMP:
			im->app.o.no_seccomp = true;
			break;
		case 'v':
			im->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad_usage("option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0 && optopt < 256)
				bad_usage("unknown option '-%c'", optopt);
			bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		bad_usage("expected two interfaces, IFACE_A and IFACE_B");
	im->ifa = argv[optind];
	im->ifb = argv[optind + 1];
	if (strcmp(im->ifa, im->ifb) == 0)
		bad_usage("IFACE_A and IFACE_B must differ");
	im->app.o.verbose = im->verbose;
	im->have_fault = im->fault.drop > 0 || im->fault.duplicate > 0 ||
	    im->fault.reorder > 0 || im->fault.corrupt > 0;
}

/* ---- The delay line ---- */

static uint64_t
rng_next(uint64_t s[2])
{
	uint64_t a = s[0], b = s[1];

	s[0] = b;
	a ^= a << 23;
	s[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
	return s[1] + b;
}

static size_t
entry_size(uint32_t len)
{
	return (sizeof(struct qhdr) + len + 7) & ~(size_t)7;
}

/*
 * Reserve `need` bytes at the ring's tail; NULL when full.  The valid
 * entries are [head, tail) or, once the tail has wrapped, [head, end) and
 * [0, tail); bytes [end, cap) are then unused.
 */
static uint8_t *
ring_reserve(struct dir *d, size_t need)
{
	uint8_t *p;

	if (d->frames == 0) {
		d->head = d->tail = 0;
		d->end = d->cap;
		d->wrapped = false;
	}
	if (!d->wrapped) {
		/* Room after the tail, else at the start. */
		if (d->cap - d->tail >= need) {
			p = d->ring + d->tail;
			d->tail += need;
			return p;
		}
		if (d->head > need) {
			d->end = d->tail;
			d->wrapped = true;
			p = d->ring;
			d->tail = need;
			return p;
		}
		return NULL;
	}
	/* Wrapped: room between the tail and the head. */
	if (d->head - d->tail > need) {
		p = d->ring + d->tail;
		d->tail += need;
		return p;
	}
	return NULL;
}

/* Queue a copy of the frame, or drop it if the direction is full. */
static void
enqueue(struct impair *im, struct dir *d, const uint8_t *frame, size_t len)
{
	struct qhdr h;
	ws_time_t depart, release;
	uint8_t *p;

	d->rx++;
	if (d->frames >= im->limit ||
	    (p = ring_reserve(d, entry_size((uint32_t)len))) == NULL) {
		d->qdrops++;
		return;
	}
	depart = im->now;
	if (im->rate_bps > 0) {
		uint64_t ser = ((uint64_t)len * 8 * WS_USEC_PER_SEC +
		    im->rate_bps - 1) / im->rate_bps;

		if (d->link_free > depart)
			depart = d->link_free;
		depart += ser;
		d->link_free = depart;
	}
	release = depart + im->delay_us;
	if (im->jitter_us > 0)
		release += rng_next(d->rng) % (im->jitter_us + 1);
	if (release < d->last_release)
		release = d->last_release;
	d->last_release = release;
	h.len = (uint32_t)len;
	h.pad = 0;
	h.release = release;
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), frame, len);
	d->frames++;
}

/* The oldest entry; NULL when empty. */
static struct qhdr *
peek(struct dir *d, struct qhdr *h)
{
	if (d->frames == 0)
		return NULL;
	if (d->wrapped && d->head == d->end) {
		d->head = 0;
		d->end = d->cap;
		d->wrapped = false;
	}
	memcpy(h, d->ring + d->head, sizeof(*h));
	return h;
}

static void
release_due(struct impair *im, struct dir *d)
{
	struct qhdr h;

	while (peek(d, &h) != NULL && h.release <= im->now) {
		if (ws_link_send(d->out, im->now, d->ring + d->head +
		    sizeof(h), h.len) == 0) {
			d->tx++;
			d->tx_bytes += h.len;
		} else {
			d->txerr++;
		}
		d->head += entry_size(h.len);
		d->frames--;
	}
}

static ws_time_t
next_release(struct dir *d)
{
	struct qhdr h;

	return peek(d, &h) != NULL ? h.release : WS_TIME_NEVER;
}

static void
rx_a(void *arg, const uint8_t *frame, size_t len)
{
	struct impair *im = arg;

	enqueue(im, &im->dir[0], frame, len);
}

static void
rx_b(void *arg, const uint8_t *frame, size_t len)
{
	struct impair *im = arg;

	enqueue(im, &im->dir[1], frame, len);
}

static void
print_counters(struct impair *im)
{
	for (int i = 0; i < 2; i++) {
		struct dir *d = &im->dir[i];

		fprintf(stderr, "%s: %s: rx=%" PRIu64 " tx=%" PRIu64
		    " tx_bytes=%" PRIu64 " queue_drops=%" PRIu64
		    " tx_errors=%" PRIu64 " queued=%u\n", prog_name, d->name,
		    d->rx, d->tx, d->tx_bytes, d->qdrops, d->txerr, d->frames);
	}
	if (im->have_fault)
		fprintf(stderr, "%s: faults on %s: dropped=%" PRIu64
		    " duplicated=%" PRIu64 " reordered=%" PRIu64
		    " corrupted=%" PRIu64 "\n", prog_name, im->ifb,
		    im->lb->stats.fault_dropped, im->lb->stats.fault_duplicated,
		    im->lb->stats.fault_reordered,
		    im->lb->stats.fault_corrupted);
	fprintf(stderr, "%s: kernel capture drops: %s=%" PRIu64 " %s=%" PRIu64
	    "\n", prog_name, im->ifa, im->la->stats.rx_dropped, im->ifb,
	    im->lb->stats.rx_dropped);
}

static struct ws_link *
open_link(const char *ifname)
{
	struct ws_link_pcap_config pc;
	struct ws_link *l;
	char errbuf[256] = "";
	int error;

	memset(&pc, 0, sizeof(pc));
	pc.ifname = ifname;
	pc.flags = WS_LINK_PCAP_ALL;
	error = ws_link_pcap_open(&l, &pc, errbuf, sizeof(errbuf));
	if (error < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog_name, ifname,
		    errbuf[0] != '\0' ? errbuf : ws_strerror(error));
		exit(APP_EXIT_FAIL);
	}
	return l;
}

int
main(int argc, char **argv)
{
	static struct impair imp;
	struct impair *im = &imp;
	sigset_t waitmask;
	ws_time_t next_print;

	parse_args(im, argc, argv);
	im->la = open_link(im->ifa);
	im->lb = open_link(im->ifb);
	if (im->have_fault) {
		struct ws_link *w;
		int error = ws_link_fault_wrap(&w, im->lb, &im->fault);

		if (error < 0) {
			fprintf(stderr, "%s: fault injector: %s\n", prog_name,
			    ws_strerror(error));
			return APP_EXIT_FAIL;
		}
		im->lb = w;
	}
	for (int i = 0; i < 2; i++) {
		struct dir *d = &im->dir[i];
		uint64_t seed = im->fault.seed + (uint64_t)i + 1;

		d->name = i == 0 ? "A->B" : "B->A";
		d->in = i == 0 ? im->la : im->lb;
		d->out = i == 0 ? im->lb : im->la;
		d->cap = im->queue_bytes;
		d->ring = malloc(d->cap);
		if (d->ring == NULL) {
			fprintf(stderr, "%s: out of memory\n", prog_name);
			return APP_EXIT_FAIL;
		}
		d->rng[0] = seed * 0x9e3779b97f4a7c15ULL | 1;
		d->rng[1] = (seed + 7) * 0xbf58476d1ce4e5b9ULL | 1;
	}

	/* Blocked except inside ppoll, so none is missed. */
	app_signals(&im->app, &waitmask);
	/* Both interfaces are open: nothing privileged is left to do. */
	app_sandbox(&im->app);

	fprintf(stderr, "%s: bridging %s <-> %s: delay %.3f ms, jitter %.3f ms, "
	    "rate %s%" PRIu64 " bit/s, loss %g%%, duplicate %g%%, reorder %g%%, "
	    "corrupt %g%%, seed %" PRIu64 "\n", prog_name, im->ifa, im->ifb,
	    (double)im->delay_us / 1000, (double)im->jitter_us / 1000,
	    im->rate_bps == 0 ? "unlimited " : "", im->rate_bps,
	    im->fault.drop * 100, im->fault.duplicate * 100,
	    im->fault.reorder * 100, im->fault.corrupt * 100, im->fault.seed);
	next_print = ws_clock_now() + WS_USEC_PER_SEC;
	while (!app_stopping(&im->app)) {
		struct pollfd pfd[2] = {
			{ .fd = ws_link_fd(im->la), .events = POLLIN },
			{ .fd = ws_link_fd(im->lb), .events = POLLIN },
		};
		ws_time_t dl, now;
		struct timespec ts, *tsp = NULL;
		int n;

		now = ws_clock_now();
		dl = ws_time_min(next_release(&im->dir[0]),
		    next_release(&im->dir[1]));
		dl = ws_time_min(dl, ws_link_next_deadline(im->lb));
		if (im->verbose > 0)
			dl = ws_time_min(dl, next_print);
		if (dl != WS_TIME_NEVER) {
			uint64_t us = dl > now ? dl - now : 0;

			ts.tv_sec = (time_t)(us / WS_USEC_PER_SEC);
			ts.tv_nsec = (long)(us % WS_USEC_PER_SEC) * 1000;
			tsp = &ts;
		}
		n = ppoll(pfd, 2, tsp, &waitmask);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "%s: ppoll: %s\n", prog_name,
			    strerror(errno));
			return APP_EXIT_FAIL;
		}
		im->now = ws_clock_now();
		/* Read both sides (each up to a batch), then release. */
		for (int round = 0; round < 4; round++) {
			int ra = ws_link_recv(im->la, im->now, rx_a, im,
			    RX_BATCH);
			int rb = ws_link_recv(im->lb, im->now, rx_b, im,
			    RX_BATCH);

			if (ra < 0 || rb < 0) {
				fprintf(stderr, "%s: capture failed: %s\n",
				    prog_name, ws_strerror(ra < 0 ? ra : rb));
				return APP_EXIT_FAIL;
			}
			release_due(im, &im->dir[0]);
			release_due(im, &im->dir[1]);
			if (ra < RX_BATCH && rb < RX_BATCH)
				break;
		}
		if (im->verbose > 0 && im->now >= next_print) {
			print_counters(im);
			next_print = im->now + WS_USEC_PER_SEC;
		}
	}
	print_counters(im);
	ws_link_close(im->la);
	ws_link_close(im->lb);
	free(im->dir[0].ring);
	free(im->dir[1].ring);
	return 0;
}

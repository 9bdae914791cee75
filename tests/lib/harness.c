#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/harness.h"

static void *
count_malloc(void *ctx, size_t size)
{
	struct wt_alloc *a = ctx;

	if (a->fail_after != 0 && a->total + 1 >= a->fail_after)
		return NULL;
	a->total++;
	a->live++;
	return malloc(size);
}

static void
count_free(void *ctx, void *ptr)
{
	struct wt_alloc *a = ctx;

	if (ptr == NULL)
		return;
	a->live--;
	free(ptr);
}

void
wt_alloc_init(struct wt_alloc *a, struct ws_allocator *out)
{
	memset(a, 0, sizeof(*a));
	out->malloc = count_malloc;
	out->free = count_free;
	out->ctx = a;
}

uint64_t
wt_seed(uint64_t dflt)
{
	const char *s = getenv("WS_TEST_SEED");
	uint64_t seed = s != NULL ? strtoull(s, NULL, 0) : dflt;

	fprintf(stderr, "# seed %llu (set WS_TEST_SEED to change)\n",
	    (unsigned long long)seed);
	return seed;
}

static void
log_stderr(void *ctx, enum ws_log_level level, const char *msg)
{
	fprintf(stderr, "# [%s] %s\n", (const char *)ctx, msg);
	(void)level;
}

int
wt_pair_setup(struct wt_pair *p, const struct wt_pair_opts *opts)
{
	struct wt_pair_opts none = { 0 };
	int error;

	if (opts == NULL)
		opts = &none;
	memset(p, 0, sizeof(*p));
	p->now = 1000000; /* start at t = 1 s, not 0 */
	error = ws_link_mem_pair(&p->la, &p->lb, &opts->mem);
	if (error != 0)
		return error;
	if (opts->fault) {
		struct ws_fault_config fc = opts->fault_cfg;
		struct ws_link *w;

		if (fc.seed == 0)
			fc.seed = wt_seed(1);
		if ((error = ws_link_fault_wrap(&w, p->la, &fc)) != 0)
			return error;
		p->la = w;
		fc.seed = fc.seed * 31 + 7;
		if ((error = ws_link_fault_wrap(&w, p->lb, &fc)) != 0)
			return error;
		p->lb = w;
	}
	if (opts->pcap != NULL) {
		struct ws_link *w;
		char err[128];

		if ((error = ws_link_pcapw_wrap(&w, p->la, opts->pcap, err,
		    sizeof(err))) != 0)
			return error;
		p->la = w;
	}
	return wt_pair_stacks(p, opts);
}

int
wt_pair_stacks(struct wt_pair *p, const struct wt_pair_opts *opts)
{
	struct wt_pair_opts none = { 0 };
	struct ws_stack_config cfg;
	struct ws_allocator aa, ab;
	int error;

	if (opts == NULL)
		opts = &none;
	wt_alloc_init(&p->alloc_a, &aa);
	wt_alloc_init(&p->alloc_b, &ab);

	for (int side = 0; side < 2; side++) {
		ws_stack_config_init(&cfg);
		cfg.link = side == 0 ? p->la : p->lb;
		cfg.addr = side == 0 ? WT_ADDR_A : WT_ADDR_B;
		cfg.prefix_len = 24;
		cfg.allocator = side == 0 ? &aa : &ab;
		cfg.seed = (opts->seed != 0 ? opts->seed : 1) + (uint64_t)side;
		if (getenv("WS_TEST_VERBOSE") != NULL) {
			cfg.log = log_stderr;
			cfg.log_ctx = side == 0 ? "A" : "B";
			cfg.log_level = WS_LOG_DEBUG;
		}
		if (opts->tune != NULL)
			opts->tune(&cfg, side);
		error = ws_stack_new(side == 0 ? &p->a : &p->b, &cfg, p->now);
		if (error != 0)
			return error;
	}
	return 0;
}

size_t
wt_pair_teardown(struct wt_pair *p)
{
	ws_stack_free(p->a);
	ws_stack_free(p->b);
	ws_link_close(p->la);
	ws_link_close(p->lb);
	p->a = p->b = NULL;
	p->la = p->lb = NULL;
	return p->alloc_a.live + p->alloc_b.live;
}

bool
wt_pair_run(struct wt_pair *p, bool (*done)(void *arg), void *arg,
    uint64_t limit_us)
{
	ws_time_t end = p->now + limit_us;
	unsigned spins = 0;

	for (;;) {
		ws_time_t next;

		ws_stack_poll(p->a, p->now);
		ws_stack_poll(p->b, p->now);
		if (done != NULL && done(arg))
			return true;
		next = ws_time_min(ws_stack_next_deadline(p->a),
		    ws_stack_next_deadline(p->b));
		if (next <= p->now) {
			/* Work due now: poll again, but never spin forever. */
			if (++spins > 100000)
				return false;
			continue;
		}
		spins = 0;
		if (next == WS_TIME_NEVER || next > end) {
			p->now = end;
			ws_stack_poll(p->a, p->now);
			ws_stack_poll(p->b, p->now);
			return done != NULL && done(arg);
		}
		p->now = next;
	}
}

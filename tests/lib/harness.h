/*
 * Test support: a counting allocator that finds leaks, and a pair of
 * stacks joined by the in-memory link under a virtual clock (after
 * smoltcp's examples/loopback.rs), so whole conversations run in
 * microseconds of wall time.
 */
#ifndef WS_TESTS_HARNESS_H
#define WS_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wirestack/wirestack.h>

/* Counting allocator: live must be 0 when a test ends. */
struct wt_alloc {
	size_t live;     /* blocks outstanding */
	size_t total;    /* blocks ever allocated */
	size_t fail_after; /* 0: never; else the Nth allocation fails */
};

void wt_alloc_init(struct wt_alloc *a, struct ws_allocator *out);

/* Host byte order addresses used by every pair test (198.18.0.0/15). */
#define WT_ADDR_A 0xc6120001u /* 198.18.0.1 */
#define WT_ADDR_B 0xc6120002u /* 198.18.0.2 */

struct wt_pair_opts {
	struct ws_link_mem_config mem;   /* zero: Ethernet, MTU 1500 */
	bool fault;                      /* wrap both ends with faults */
	struct ws_fault_config fault_cfg; /* seed 0: WS_TEST_SEED or 1 */
	uint64_t seed;                   /* stack seeds (a: seed, b: seed+1) */
	const char *pcap;                /* write end A's frames here */
	void (*tune)(struct ws_stack_config *cfg, int side); /* may be NULL */
};

struct wt_pair {
	struct ws_link *la, *lb;
	struct ws_stack *a, *b;
	ws_time_t now;
	struct wt_alloc alloc_a, alloc_b;
};

/* Build the pair; returns 0 or a WS_E* code. */
int wt_pair_setup(struct wt_pair *p, const struct wt_pair_opts *opts);

/*
 * The second half of wt_pair_setup(), for tests that build their own
 * links: the two stacks on p->la and p->lb at p->now, with the counting
 * allocators and opts' seed, log and tune (opts->mem, fault and pcap are
 * not used).  Returns 0 or a WS_E* code.
 */
int wt_pair_stacks(struct wt_pair *p, const struct wt_pair_opts *opts);

/* Free everything; returns the number of leaked blocks (0 is good). */
size_t wt_pair_teardown(struct wt_pair *p);

/*
 * Run both stacks, jumping virtual time from deadline to deadline, until
 * `done(arg)` is true or `limit_us` of virtual time has passed.  Returns
 * true if done() became true.  done may be NULL (run until idle or limit).
 */
bool wt_pair_run(struct wt_pair *p, bool (*done)(void *arg), void *arg,
    uint64_t limit_us);

/* The seed for fault injection: $WS_TEST_SEED, else `dflt`.  Printed. */
uint64_t wt_seed(uint64_t dflt);

#endif /* WS_TESTS_HARNESS_H */

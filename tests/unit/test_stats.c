/*
 * The counter names and descriptions (core/stats.c, from the X-macro
 * lists in <wirestack/stats.h> and <wirestack/link.h>): every counter has
 * a name and a one-line description, names are unique within a layer, a
 * walk visits every field exactly once, in field order, under the right
 * name, and stops when asked to.
 */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wirestack/link.h>
#include <wirestack/stats.h>

#include "tests/lib/harness.h"

#define MAXSEEN 512

struct seen {
	size_t n;
	struct ws_stat c[MAXSEEN];
	size_t stop_at;      /* return 7 at this call (1-based); 0: never */
};

static int
record(void *arg, const struct ws_stat *c)
{
	struct seen *s = arg;

	assert_true(s->n < MAXSEEN);
	s->c[s->n++] = *c;
	return s->n == s->stop_at ? 7 : 0;
}

/* Slot i of a counter struct (all uint64_t, in order) holds i + 1 + bias. */
static void
fill_slots(void *p, size_t size, uint64_t bias)
{
	for (size_t i = 0; i < size / sizeof(uint64_t); i++) {
		uint64_t v = i + 1 + bias;

		memcpy((char *)p + i * sizeof(v), &v, sizeof(v));
	}
}

static void
walk_all(struct seen *s, const struct ws_stats *st)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(ws_stats_foreach(st, record, s), 0);
}

/* A C identifier: the field's name, as the JSON key. */
static void
check_name_desc(const struct ws_stat *c)
{
	size_t len;

	assert_non_null(c->name);
	assert_non_null(c->desc);
	assert_true(c->name[0] != '\0');
	assert_true(islower((unsigned char)c->name[0]));
	for (const char *p = c->name; *p != '\0'; p++)
		assert_true(islower((unsigned char)*p) ||
		    isdigit((unsigned char)*p) || *p == '_');
	/* One line, read after the number: "3 frames received". */
	len = strlen(c->desc);
	assert_true(len > 0 && len < 64);
	assert_null(strchr(c->desc, '\n'));
	assert_true(c->desc[len - 1] != '.' && c->desc[len - 1] != ' ');
	assert_true(c->desc[0] != ' ');
}

/* Each counter named and described; no name twice in a layer. */
static void
test_every_counter_named(void **state)
{
	static struct ws_stats st;
	static struct seen s;

	(void)state;
	walk_all(&s, &st);
	for (size_t i = 0; i < s.n; i++) {
		check_name_desc(&s.c[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s.c[i].layer, s.c[j].layer) == 0 &&
			    strcmp(s.c[i].name, s.c[j].name) == 0)
				fail_msg("%s.%s twice", s.c[i].layer,
				    s.c[i].name);
	}
}

/* The layers, in the order of struct ws_stats, and their sizes. */
static const struct {
	const char *name;
	size_t n;
} layers[] = {
	{ "ether", sizeof(struct ws_ether_stats) / sizeof(uint64_t) },
	{ "arp", sizeof(struct ws_arp_stats) / sizeof(uint64_t) },
	{ "ip4", sizeof(struct ws_ip4_stats) / sizeof(uint64_t) },
	{ "icmp", sizeof(struct ws_icmp_stats) / sizeof(uint64_t) },
	{ "tcp", sizeof(struct ws_tcp_stats) / sizeof(uint64_t) },
};

static void
test_walk_covers_every_field(void **state)
{
	static struct ws_stats st;
	static struct seen s;
	size_t k = 0;

	(void)state;
	/* Nothing but uint64_t counters: the division below is exact. */
	assert_int_equal(sizeof(st) % sizeof(uint64_t), 0);
	fill_slots(&st, sizeof(st), 1000);
	walk_all(&s, &st);
	assert_int_equal(s.n, sizeof(st) / sizeof(uint64_t));
	/* Field i of the whole struct is the i-th call, with its value. */
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.c[i].value, i + 1 + 1000);
	for (size_t l = 0; l < sizeof(layers) / sizeof(layers[0]); l++)
		for (size_t i = 0; i < layers[l].n; i++, k++)
			assert_string_equal(s.c[k].layer, layers[l].name);
	assert_int_equal(k, s.n);
}

/* The value reported under "layer.name" is the field of that name. */
static void
expect_field(const struct seen *s, const char *layer, const char *name,
    uint64_t v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->c[i].layer, layer) == 0 &&
		    strcmp(s->c[i].name, name) == 0) {
			if (s->c[i].value != v)
				fail_msg("%s.%s: %llu, not %llu", layer, name,
				    (unsigned long long)s->c[i].value,
				    (unsigned long long)v);
			return;
		}
	fail_msg("%s.%s not reported", layer, name);
}

static void
test_names_match_fields(void **state)
{
	static struct ws_stats st;
	static struct seen s;

	(void)state;
	fill_slots(&st, sizeof(st), 0);
	walk_all(&s, &st);
#define CHECK_(layer, name) expect_field(&s, #layer, #name, st.layer.name);
#define ETHER_(name, desc) CHECK_(ether, name)
#define ARP_(name, desc) CHECK_(arp, name)
#define IP4_(name, desc) CHECK_(ip4, name)
#define ICMP_(name, desc) CHECK_(icmp, name)
#define TCP_(name, desc) CHECK_(tcp, name)
	WS_ETHER_STATS(ETHER_)
	WS_ARP_STATS(ARP_)
	WS_IP4_STATS(IP4_)
	WS_ICMP_STATS(ICMP_)
	WS_TCP_STATS(TCP_)
	/* A few by hand, in case the lists and the structs both moved. */
	st.tcp.rcvtotal = 4242;
	st.ether.ipackets = 77;
	walk_all(&s, &st);
	expect_field(&s, "tcp", "rcvtotal", 4242);
	expect_field(&s, "ether", "ipackets", 77);
}

static void
test_walk_stops(void **state)
{
	static struct ws_stats st;
	static struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_at = 12; /* inside arp: the walk crosses a layer, then stops */
	assert_int_equal(ws_stats_foreach(&st, record, &s), 7);
	assert_int_equal(s.n, 12);
	assert_string_equal(s.c[11].layer, "arp");
}

static void
test_link_stats(void **state)
{
	struct ws_link_stats ls;
	static struct seen s;

	(void)state;
	fill_slots(&ls, sizeof(ls), 50);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ws_link_stats_foreach(&ls, record, &s), 0);
	assert_int_equal(s.n, sizeof(ls) / sizeof(uint64_t));
	for (size_t i = 0; i < s.n; i++) {
		assert_string_equal(s.c[i].layer, "link");
		assert_int_equal(s.c[i].value, i + 1 + 50);
		check_name_desc(&s.c[i]);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s.c[i].name, s.c[j].name);
	}
#define LINK_(name, text) \
	expect_field(&s, "link", #name, ls.name); \
	assert_string_equal(text, s.c[offsetof(struct ws_link_stats, name) / \
	    sizeof(uint64_t)].desc);
	WS_LINK_STATS(LINK_)
	s.n = 0;
	s.stop_at = 3;
	assert_int_equal(ws_link_stats_foreach(&ls, record, &s), 7);
	assert_int_equal(s.n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_counter_named),
		cmocka_unit_test(test_walk_covers_every_field),
		cmocka_unit_test(test_names_match_fields),
		cmocka_unit_test(test_walk_stops),
		cmocka_unit_test(test_link_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

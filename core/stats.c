/*
 * Names and descriptions of the counters, for people and programs.
 *
 * The tables come from the same X-macro lists as the structs
 * (<wirestack/stats.h>, <wirestack/link.h>), entry i describing field i:
 * every field is a uint64_t, so field i lies at i * 8, which the static
 * assertions below confirm for each struct (no field of another type, no
 * padding).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <wirestack/link.h>
#include <wirestack/stats.h>

#include "core/stack_var.h"

struct stat_desc {
	const char *name;
	const char *desc;
};

struct stat_layer {
	const char *name;             /* the member of struct ws_stats */
	const struct stat_desc *descs;
	size_t n;
	size_t off;                   /* of the layer in struct ws_stats */
};

#define ENTRY_(name, desc) { #name, desc },
#define NDESC_(t) (sizeof(t) / sizeof((t)[0]))

#define LAYER_TABLE_(member, LIST) \
	static const struct stat_desc member##_descs[] = { LIST(ENTRY_) }; \
	_Static_assert(NDESC_(member##_descs) * sizeof(uint64_t) == \
	    sizeof(((struct ws_stats *)0)->member), \
	    "struct ws_" #member "_stats: every field a uint64_t");
WS_STATS_LAYERS(LAYER_TABLE_)
#undef LAYER_TABLE_

#define LAYER_(member, LIST) { #member, member##_descs, \
	NDESC_(member##_descs), offsetof(struct ws_stats, member) },
static const struct stat_layer layers[] = { WS_STATS_LAYERS(LAYER_) };
#undef LAYER_

static const struct stat_desc link_descs[] = { WS_LINK_STATS(ENTRY_) };
_Static_assert(NDESC_(link_descs) * sizeof(uint64_t) ==
    sizeof(struct ws_link_stats), "struct ws_link_stats: every field a "
    "uint64_t");

/* The n counters at base, described by descs, one fn call each. */
static int
walk(const char *layer, const struct stat_desc *descs, size_t n,
    const void *base, ws_stat_fn fn, void *arg)
{
	struct ws_stat c;
	int rc;

	c.layer = layer;
	for (size_t i = 0; i < n; i++) {
		c.name = descs[i].name;
		c.desc = descs[i].desc;
		memcpy(&c.value, (const char *)base + i * sizeof(uint64_t),
		    sizeof(c.value));
		if ((rc = fn(arg, &c)) != 0)
			return rc;
	}
	return 0;
}

WS_EXPORT int
ws_stats_foreach(const struct ws_stats *s, ws_stat_fn fn, void *arg)
{
	int rc;

	for (size_t l = 0; l < NDESC_(layers); l++) {
		rc = walk(layers[l].name, layers[l].descs, layers[l].n,
		    (const char *)s + layers[l].off, fn, arg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

WS_EXPORT int
ws_link_stats_foreach(const struct ws_link_stats *s, ws_stat_fn fn,
    void *arg)
{
	return walk("link", link_descs, NDESC_(link_descs), s, fn, arg);
}

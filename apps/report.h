/*
 * What the apps print about a running stack, shared by every program in
 * apps/: the counters in the shape of netstat -s (grouped by layer, one
 * "N description" line each), a connection table in the shape of ss -ti,
 * and the same as JSON (--stats-json).  Public API only.
 */
#ifndef WS_APPS_REPORT_H
#define WS_APPS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <wirestack/wirestack.h>

/* One row of the connection table. */
struct report_conn {
	struct ws_tcp_info ti;
	size_t recvq;                  /* bytes waiting to be read */
	int closed;                    /* the app closed it: ti is the last
	                                  snapshot, taken just before */
};

struct report_ctx {
	const char *prog;              /* "server", for the JSON */
	struct ws_stack *st;
	const struct report_conn *conns;
	size_t nconns;
	const char *cc_name;           /* unused: each row names its own */
};

/*
 * The counters, every non-zero one, grouped by layer (Ethernet, Arp, Ip,
 * Icmp, Tcp, then the device's own), then the connection table.
 */
void report_text(FILE *f, const struct report_ctx *r);

/* Only the connection table (ss -ti), with a header line. */
void report_conns(FILE *f, const struct report_ctx *r);

/*
 * Replace the contents of `fd` (a regular file opened for writing) with
 * the report as one JSON object: every counter by layer and name (zeros
 * included), the device's counters, and the connections.  Returns 0 or
 * -errno.
 */
int report_json(int fd, const struct report_ctx *r);

/*
 * Do now what the first report would do lazily and cannot do inside the
 * sandbox: jansson seeds its hash function from /dev/urandom.
 */
void report_init(void);

/* ss's short name for a state: "ESTAB", "SYN-SENT", ... */
const char *report_state_name(enum ws_tcp_state s);

#endif /* WS_APPS_REPORT_H */

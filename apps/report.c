/*
 * Counters and connections for people (netstat -s, ss -ti) and for
 * programs (JSON, through jansson).
 *
 * The counters' names and descriptions come from the library
 * (ws_stats_foreach(), ws_link_stats_foreach()), which has them from the
 * same lists as the structs: a counter added to <wirestack/stats.h> is
 * shown here with no change to this file.
 */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <wirestack/wirestack.h>

#include "apps/report.h"

/* netstat -s headings, by struct ws_stats member. */
static const struct {
	const char *layer;
	const char *title;
} titles[] = {
	{ "ether", "Ethernet" },
	{ "arp", "Arp" },
	{ "ip4", "Ip" },
	{ "icmp", "Icmp" },
	{ "tcp", "Tcp" },
};

static const char *
layer_title(const char *layer)
{
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
		if (strcmp(titles[i].layer, layer) == 0)
			return titles[i].title;
	return layer; /* a layer added since: still shown, by its name */
}

/* netstat -s: the non-zero counters under their layer's heading. */
struct text_walk {
	FILE *f;
	const char *titled;   /* the layer whose heading is printed */
	const char *heading;  /* for a device: its own heading; else NULL */
};

static int
print_counter(void *arg, const struct ws_stat *c)
{
	struct text_walk *w = arg;

	if (c->value == 0)
		return 0;
	if (w->titled != c->layer) {
		w->titled = c->layer;
		fprintf(w->f, "%s:\n", w->heading != NULL ? w->heading :
		    layer_title(c->layer));
	}
	fprintf(w->f, "    %" PRIu64 " %s\n", c->value, c->desc);
	return 0;
}

const char *
report_state_name(enum ws_tcp_state s)
{
	switch (s) {
	case WS_TCPS_CLOSED: return "CLOSE";
	case WS_TCPS_LISTEN: return "LISTEN";
	case WS_TCPS_SYN_SENT: return "SYN-SENT";
	case WS_TCPS_SYN_RECEIVED: return "SYN-RECV";
	case WS_TCPS_ESTABLISHED: return "ESTAB";
	case WS_TCPS_CLOSE_WAIT: return "CLOSE-WAIT";
	case WS_TCPS_FIN_WAIT_1: return "FIN-WAIT-1";
	case WS_TCPS_CLOSING: return "CLOSING";
	case WS_TCPS_LAST_ACK: return "LAST-ACK";
	case WS_TCPS_FIN_WAIT_2: return "FIN-WAIT-2";
	case WS_TCPS_TIME_WAIT: return "TIME-WAIT";
	}
	return "UNKNOWN";
}

static void
print_counters(FILE *f, const struct ws_stats *s)
{
	struct text_walk w = { f, NULL, NULL };

	(void)ws_stats_foreach(s, print_counter, &w);
}

static void
print_link(FILE *f, const struct ws_link *l)
{
	char heading[128];
	struct text_walk w = { f, NULL, heading };

	snprintf(heading, sizeof(heading), "Link (%s, %s)", l->name,
	    l->ops->kind);
	(void)ws_link_stats_foreach(&l->stats, print_counter, &w);
}

static const char *
endpoint(uint32_t addr, uint16_t port, char *buf, size_t len)
{
	char a[16];

	ws_ip4_format(addr, a, sizeof(a));
	if (port == 0)
		snprintf(buf, len, "%s:*", a);
	else
		snprintf(buf, len, "%s:%u", a, (unsigned)port);
	return buf;
}

static const char *
cc_name(const struct ws_tcp_info *ti)
{
	switch (ti->cc) {
	case WS_TCP_CC_NEWRENO:
		return "newreno";
	case WS_TCP_CC_CUBIC:
		return "cubic";
	}
	return "unknown";
}

/* RFC 5681's "infinite" initial ssthresh is not worth printing (ss). */
#define SSTHRESH_INFINITE 0x3fffffffu

void
report_conns(FILE *f, const struct report_ctx *r)
{
	fprintf(f, "%-11s %-7s %-21s %-21s\n", "State", "Recv-Q",
	    "Local Address:Port", "Peer Address:Port");
	for (size_t i = 0; i < r->nconns; i++) {
		struct ws_tcp_info ti = r->conns[i].ti;
		char lb[32], pb[32];
		uint32_t mss;

		fprintf(f, "%-11s %-7zu %-21s %-21s%s\n",
		    report_state_name(ti.state), r->conns[i].recvq,
		    endpoint(ti.local_addr, ti.local_port, lb, sizeof(lb)),
		    ti.state == WS_TCPS_LISTEN ? "0.0.0.0:*" :
		    endpoint(ti.remote_addr, ti.remote_port, pb, sizeof(pb)),
		    r->conns[i].closed ? " (closed; last seen)" : "");
		if (ti.state == WS_TCPS_LISTEN)
			continue;
		mss = ti.snd_mss > 0 ? ti.snd_mss : 1;
		fprintf(f, "\t %s", cc_name(&ti));
		if (ti.snd_wscale != 0 || ti.rcv_wscale != 0)
			fprintf(f, " wscale:%u,%u", ti.snd_wscale,
			    ti.rcv_wscale);
		if (ti.sack_ok)
			fprintf(f, " sack");
		if (ti.ts_ok)
			fprintf(f, " ts");
		fprintf(f, " rto:%u rtt:%.3f/%.3f mss:%u rcvmss:%u cwnd:%u",
		    (unsigned)(ti.rto_us / 1000), ti.rtt_us / 1000.0,
		    ti.rttvar_us / 1000.0, ti.snd_mss, ti.rcv_mss,
		    ti.snd_cwnd / mss);
		if (ti.snd_ssthresh < SSTHRESH_INFINITE)
			fprintf(f, " ssthresh:%u", ti.snd_ssthresh / mss);
		fprintf(f, " bytes_sent:%" PRIu64 " bytes_acked:%" PRIu64
		    " bytes_received:%" PRIu64 " inflight:%u snd_wnd:%u "
		    "rcv_wnd:%u retrans:%" PRIu64 " rtos:%" PRIu64 "\n",
		    ti.bytes_sent, ti.bytes_acked, ti.bytes_received,
		    ti.unacked, ti.snd_wnd, ti.rcv_wnd, ti.retransmits,
		    ti.rtos);
		/* Loss recovery, when there is something to say (ss -ti). */
		if (ti.rack || ti.in_recovery || ti.sacked || ti.lost ||
		    ti.fast_retransmits || ti.tlps || ti.dsacks) {
			fprintf(f, "\t %s%s%s pipe:%u sacked:%u lost:%u "
			    "fast_retrans:%" PRIu64 " tlp:%" PRIu64
			    " dsack:%" PRIu64 " undo:%" PRIu64 "\n",
			    ti.rack ? "rack" : "no-rack",
			    ti.reordering ? " reordering" : "",
			    ti.in_recovery == 1 ? " in-fast-recovery" :
			    ti.in_recovery == 2 ? " in-rto-recovery" : "",
			    ti.pipe, ti.sacked, ti.lost, ti.fast_retransmits,
			    ti.tlps, ti.dsacks, ti.spurious_undos);
		}
	}
}

void
report_text(FILE *f, const struct report_ctx *r)
{
	struct ws_stats s;
	struct ws_link *l = ws_stack_link(r->st);

	ws_stack_stats(r->st, &s);
	print_counters(f, &s);
	if (l != NULL)
		print_link(f, l);
	report_conns(f, r);
	fflush(f);
}

/* ---- JSON ---- */

void
report_init(void)
{
	json_object_seed(0);
}

/* json_object_set_new() that notices allocation failure. */
static bool
set(json_t *obj, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(obj, key, v) == 0;
}

/* Each counter into its layer's object (created on first use). */
static int
json_counter(void *arg, const struct ws_stat *c)
{
	json_t *all = arg, *o = json_object_get(all, c->layer);

	if (o == NULL && !set(all, c->layer, o = json_object()))
		return -1;
	return set(o, c->name, json_integer((json_int_t)c->value)) ? 0 : -1;
}

static json_t *
json_counters(const struct ws_stats *s)
{
	json_t *all = json_object();

	if (all != NULL && ws_stats_foreach(s, json_counter, all) != 0) {
		json_decref(all);
		all = NULL;
	}
	return all;
}

/* A device's counters go straight into its object (layer "link"). */
static int
json_link_counter(void *arg, const struct ws_stat *c)
{
	return set(arg, c->name, json_integer((json_int_t)c->value)) ? 0 : -1;
}

static json_t *
json_link(const struct ws_link *l)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (!set(o, "name", json_string(l->name)) ||
	    !set(o, "kind", json_string(l->ops->kind)) ||
	    ws_link_stats_foreach(&l->stats, json_link_counter, o) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
json_conn(const struct report_conn *c)
{
	const struct ws_tcp_info *ti = &c->ti;
	char a[16], b[16];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (set(o, "state", json_string(report_state_name(ti->state))) &&
	    set(o, "local_addr", json_string(ws_ip4_format(ti->local_addr, a,
	    sizeof(a)))) &&
	    set(o, "local_port", json_integer(ti->local_port)) &&
	    set(o, "peer_addr", json_string(ws_ip4_format(ti->remote_addr, b,
	    sizeof(b)))) &&
	    set(o, "peer_port", json_integer(ti->remote_port)) &&
	    set(o, "recv_q", json_integer((json_int_t)c->recvq)) &&
	    set(o, "closed", json_boolean(c->closed)) &&
	    set(o, "cc", json_string(cc_name(ti))) &&
	    set(o, "rtt_us", json_integer(ti->rtt_us)) &&
	    set(o, "rttvar_us", json_integer(ti->rttvar_us)) &&
	    set(o, "rto_us", json_integer(ti->rto_us)) &&
	    set(o, "snd_mss", json_integer(ti->snd_mss)) &&
	    set(o, "rcv_mss", json_integer(ti->rcv_mss)) &&
	    set(o, "snd_cwnd", json_integer(ti->snd_cwnd)) &&
	    set(o, "snd_ssthresh", json_integer(ti->snd_ssthresh)) &&
	    set(o, "snd_wnd", json_integer(ti->snd_wnd)) &&
	    set(o, "rcv_wnd", json_integer(ti->rcv_wnd)) &&
	    set(o, "snd_wscale", json_integer(ti->snd_wscale)) &&
	    set(o, "rcv_wscale", json_integer(ti->rcv_wscale)) &&
	    set(o, "sack", json_boolean(ti->sack_ok)) &&
	    set(o, "timestamps", json_boolean(ti->ts_ok)) &&
	    set(o, "bytes_in_flight", json_integer(ti->unacked)) &&
	    set(o, "bytes_sent", json_integer((json_int_t)ti->bytes_sent)) &&
	    set(o, "bytes_acked", json_integer((json_int_t)ti->bytes_acked)) &&
	    set(o, "bytes_received",
	    json_integer((json_int_t)ti->bytes_received)) &&
	    set(o, "retransmits", json_integer((json_int_t)ti->retransmits)) &&
	    set(o, "rtos", json_integer((json_int_t)ti->rtos)) &&
	    set(o, "rack", json_boolean(ti->rack)) &&
	    set(o, "reordering", json_boolean(ti->reordering)) &&
	    set(o, "in_recovery", json_integer(ti->in_recovery)) &&
	    set(o, "pipe", json_integer(ti->pipe)) &&
	    set(o, "sacked", json_integer(ti->sacked)) &&
	    set(o, "lost", json_integer(ti->lost)) &&
	    set(o, "reo_wnd_us", json_integer(ti->reo_wnd_us)) &&
	    set(o, "fast_retransmits",
	    json_integer((json_int_t)ti->fast_retransmits)) &&
	    set(o, "sack_recoveries",
	    json_integer((json_int_t)ti->sack_recoveries)) &&
	    set(o, "rack_detections",
	    json_integer((json_int_t)ti->rack_detections)) &&
	    set(o, "tlps", json_integer((json_int_t)ti->tlps)) &&
	    set(o, "spurious_undos",
	    json_integer((json_int_t)ti->spurious_undos)) &&
	    set(o, "dsacks", json_integer((json_int_t)ti->dsacks)))
		return o;
	json_decref(o);
	return NULL;
}

int
report_json(int fd, const struct report_ctx *r)
{
	struct ws_stats s;
	struct ws_link *l = ws_stack_link(r->st);
	json_t *root = json_object(), *conns = json_array();
	char *text = NULL;
	size_t len, off = 0;
	int error = -ENOMEM;

	if (root == NULL || conns == NULL)
		goto out;
	ws_stack_stats(r->st, &s);
	if (!set(root, "program", json_string(r->prog)) ||
	    !set(root, "time", json_integer((json_int_t)time(NULL))) ||
	    !set(root, "counters", json_counters(&s)) ||
	    (l != NULL && !set(root, "link", json_link(l))))
		goto out;
	for (size_t i = 0; i < r->nconns; i++)
		if (json_array_append_new(conns, json_conn(&r->conns[i])) !=
		    0)
			goto out;
	if (json_object_set(root, "connections", conns) != 0)
		goto out;
	if ((text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
	    == NULL)
		goto out;
	len = strlen(text);
	text[len++] = '\n'; /* json_dumps left room: it was NUL */
	/* In place: the file was opened before privileges were dropped. */
	if (ftruncate(fd, 0) < 0) {
		error = -errno;
		goto out;
	}
	while (off < len) {
		ssize_t n = pwrite(fd, text + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error = n < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)n;
	}
	error = 0;
out:
	free(text);
	json_decref(conns);
	json_decref(root);
	return error;
}

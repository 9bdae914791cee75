/*
 * A device that wraps another and appends every frame in and out to a
 * pcap savefile (after smoltcp's phy/pcap_writer.rs), so a failed test
 * leaves something Wireshark can open.
 *
 * The file is written with libpcap itself (pcap_open_dead + pcap_dump),
 * as LINKTYPE_ETHERNET or LINKTYPE_RAW by medium.  Timestamps are the
 * `now` values the caller passes in, i.e. virtual time in tests.
 *
 * On failure ws_link_pcapw_wrap() leaves `inner` with the caller.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/stack_var.h"

/* Large enough for any IPv4 datagram plus a link header. */
#define PCAPW_SNAPLEN 65535

struct pcapw_link {
	struct ws_link link;   /* must be first */
	struct ws_link *inner; /* owned */
	pcap_t *pd;            /* "dead" handle that describes the file */
	pcap_dumper_t *dumper;
};

struct pcapw_rx {
	struct pcapw_link *w;
	ws_time_t now;
	ws_link_rx_fn fn;
	void *arg;
};

static struct pcapw_link *
to_pcapw(struct ws_link *l)
{
	return (struct pcapw_link *)l;
}

/*
 * This wrapper changes no traffic, so its counters are the inner
 * device's (including a fault injector's below it), except tx_errors,
 * which ws_link_send() keeps for each device it is called on.
 */
static void
pcapw_sync_stats(struct pcapw_link *w)
{
	uint64_t tx_errors = w->link.stats.tx_errors;

	w->link.stats = w->inner->stats;
	w->link.stats.tx_errors = tx_errors;
}

static void
pcapw_write(struct pcapw_link *w, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(now / WS_USEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(now % WS_USEC_PER_SEC);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < PCAPW_SNAPLEN ? len : PCAPW_SNAPLEN);
	pcap_dump((u_char *)w->dumper, &h, frame);
}

static void
pcapw_rx_cb(void *arg, const uint8_t *frame, size_t len)
{
	struct pcapw_rx *c = arg;

	pcapw_write(c->w, c->now, frame, len);
	c->fn(c->arg, frame, len);
}

static int
pcapw_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct pcapw_link *w = to_pcapw(l);
	struct pcapw_rx c = { w, now, fn, arg };
	int n = ws_link_recv(w->inner, now, pcapw_rx_cb, &c, max);

	pcapw_sync_stats(w);
	return n;
}

static int
pcapw_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct pcapw_link *w = to_pcapw(l);
	int error;

	/* Record what the stack handed to the device, sent or not. */
	pcapw_write(w, now, frame, len);
	error = ws_link_send(w->inner, now, frame, len);
	pcapw_sync_stats(w);
	return error;
}

static int
pcapw_fd(struct ws_link *l)
{
	return ws_link_fd(to_pcapw(l)->inner);
}

static ws_time_t
pcapw_next_deadline(struct ws_link *l)
{
	return ws_link_next_deadline(to_pcapw(l)->inner);
}

static void
pcapw_close(struct ws_link *l)
{
	struct pcapw_link *w = to_pcapw(l);

	pcap_dump_flush(w->dumper);
	pcap_dump_close(w->dumper);
	pcap_close(w->pd);
	ws_link_close(w->inner);
	free(w);
}

static const struct ws_link_ops pcapw_ops = {
	.kind = "pcapw",
	.recv = pcapw_recv,
	.send = pcapw_send,
	.fd = pcapw_fd,
	.next_deadline = pcapw_next_deadline,
	.close = pcapw_close,
};

static void
seterr(char *errbuf, size_t errlen, const char *path, const char *why)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "pcap file %s: %s", path, why);
}

WS_EXPORT int
ws_link_pcapw_wrap(struct ws_link **out, struct ws_link *inner,
    const char *path, char *errbuf, size_t errlen)
{
	struct pcapw_link *w;
	int dlt;

	*out = NULL;
	if (inner == NULL || path == NULL) {
		seterr(errbuf, errlen, path != NULL ? path : "(null)",
		    "no device or no path");
		return WS_EINVAL;
	}
	dlt = inner->medium == WS_MEDIUM_IP ? DLT_RAW : DLT_EN10MB;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		seterr(errbuf, errlen, path, "out of memory");
		return WS_ENOMEM;
	}
	if ((w->pd = pcap_open_dead(dlt, PCAPW_SNAPLEN)) == NULL) {
		seterr(errbuf, errlen, path, "pcap_open_dead failed");
		free(w);
		return WS_ENOMEM;
	}
	errno = 0;
	if ((w->dumper = pcap_dump_open(w->pd, path)) == NULL) {
		int error = errno != 0 ? -errno : WS_EIO;

		seterr(errbuf, errlen, path, pcap_geterr(w->pd));
		pcap_close(w->pd);
		free(w);
		return error;
	}
	w->inner = inner;
	w->link.ops = &pcapw_ops;
	w->link.medium = inner->medium;
	memcpy(w->link.hwaddr, inner->hwaddr, sizeof(w->link.hwaddr));
	w->link.mtu = inner->mtu;
	memcpy(w->link.name, inner->name, sizeof(w->link.name));
	*out = &w->link;
	return 0;
}

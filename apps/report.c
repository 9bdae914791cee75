/*
 * Counters and connections for people (netstat -s, ss -ti) and for
 * programs (JSON, through jansson).
 *
 * The counter table names and describes every field of struct ws_stats.
 * A field added to <wirestack/stats.h> without an entry here is still
 * shown, as "counter #N" of its layer, so nothing the stack counts is
 * ever hidden; the table is the place to give it a name.
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

enum layer { L_ETHER, L_ARP, L_IP4, L_ICMP, L_TCP, L_COUNT };

static const struct {
	const char *title;   /* netstat -s heading */
	const char *key;     /* JSON object name */
	size_t off, size;
} layers[L_COUNT] = {
	{ "Ethernet", "ether", offsetof(struct ws_stats, ether),
	    sizeof(struct ws_ether_stats) },
	{ "Arp", "arp", offsetof(struct ws_stats, arp),
	    sizeof(struct ws_arp_stats) },
	{ "Ip", "ip4", offsetof(struct ws_stats, ip4),
	    sizeof(struct ws_ip4_stats) },
	{ "Icmp", "icmp", offsetof(struct ws_stats, icmp),
	    sizeof(struct ws_icmp_stats) },
	{ "Tcp", "tcp", offsetof(struct ws_stats, tcp),
	    sizeof(struct ws_tcp_stats) },
};

#define C(l, L, field, text) \
	{ L, #field, offsetof(struct ws_##l##_stats, field), text }
static const struct counter {
	enum layer layer;
	const char *name;
	size_t off;          /* within the layer's struct */
	const char *text;    /* follows the number */
} counters[] = {
	C(ether, L_ETHER, ipackets, "frames received"),
	C(ether, L_ETHER, opackets, "frames sent"),
	C(ether, L_ETHER, tooshort, "frames shorter than an Ethernet header"),
	C(ether, L_ETHER, notforus, "frames for another MAC"),
	C(ether, L_ETHER, unknowntype, "frames with an unknown EtherType "
	    "(802.3/LLC too)"),
	C(ether, L_ETHER, badsrc, "frames from a multicast source address"),
	C(ether, L_ETHER, ownsrc, "own frames looped back by the capture"),
	C(ether, L_ETHER, oerrors, "frames refused by the device"),
	C(ether, L_ETHER, odropped, "frames not sent (no headroom, not an "
	    "Ethernet device)"),

	C(arp, L_ARP, rxtotal, "ARP packets received"),
	C(arp, L_ARP, rxrequests, "requests received"),
	C(arp, L_ARP, rxreplies, "replies received"),
	C(arp, L_ARP, txrequests, "requests sent"),
	C(arp, L_ARP, txreplies, "replies sent"),
	C(arp, L_ARP, txannounce, "gratuitous announcements sent"),
	C(arp, L_ARP, badlen, "packets with bad lengths"),
	C(arp, L_ARP, badtype, "packets not for Ethernet/IPv4"),
	C(arp, L_ARP, badop, "packets neither request nor reply"),
	C(arp, L_ARP, badaddr, "packets from a broadcast, multicast or our "
	    "own address"),
	C(arp, L_ARP, dupip, "packets claiming our address"),
	C(arp, L_ARP, notforus, "packets for another address"),
	C(arp, L_ARP, held, "packets held awaiting resolution"),
	C(arp, L_ARP, holddrops, "packets dropped: hold queue full"),
	C(arp, L_ARP, timeouts, "resolutions failed"),
	C(arp, L_ARP, timeoutdrops, "packets dropped when resolution failed"),
	C(arp, L_ARP, cachefull, "times no cache slot was free"),
	C(arp, L_ARP, learned, "entries learned or updated"),
	C(arp, L_ARP, changed, "neighbour MAC changes"),
	C(arp, L_ARP, refreshes, "refresh requests for entries in use"),
	C(arp, L_ARP, expired, "entries expired"),
	C(arp, L_ARP, evicted, "entries evicted to make room"),
	C(arp, L_ARP, unreach, "packets refused: resolution failed recently"),
	C(arp, L_ARP, rxprobes, "RFC 5227 probes received"),
	C(arp, L_ARP, defends, "announcements defending our address"),
	C(arp, L_ARP, badnexthop, "packets to an unresolvable next hop"),
	C(arp, L_ARP, nomem, "packets not sent for lack of memory"),

	C(ip4, L_IP4, total, "total packets received"),
	C(ip4, L_IP4, tooshort, "packets shorter than a header"),
	C(ip4, L_IP4, badvers, "packets with a version other than 4"),
	C(ip4, L_IP4, badhlen, "packets with a bad header length"),
	C(ip4, L_IP4, badlen, "packets with a bad total length"),
	C(ip4, L_IP4, badsum, "packets with a bad header checksum"),
	C(ip4, L_IP4, badoptions, "packets with malformed options"),
	C(ip4, L_IP4, badaddr, "packets with a martian address"),
	C(ip4, L_IP4, notforus, "packets for another address"),
	C(ip4, L_IP4, noproto, "packets for an unknown protocol"),
	C(ip4, L_IP4, delivered, "incoming packets delivered"),
	C(ip4, L_IP4, fragments, "fragments received"),
	C(ip4, L_IP4, fragdropped, "fragments dropped"),
	C(ip4, L_IP4, fragtimeout, "fragments dropped after timeout"),
	C(ip4, L_IP4, reassembled, "packets reassembled ok"),
	C(ip4, L_IP4, localout, "requests sent out"),
	C(ip4, L_IP4, noroute, "packets without a route"),
	C(ip4, L_IP4, toolong, "packets too large for the MTU with DF set"),
	C(ip4, L_IP4, odropped, "outgoing packets dropped"),
	C(ip4, L_IP4, fragdup, "duplicate fragments ignored"),
	C(ip4, L_IP4, fragoverlap, "packets dropped for overlapping "
	    "fragments"),
	C(ip4, L_IP4, fragtoolong, "packets dropped: reassembled over 65535 "
	    "bytes"),
	C(ip4, L_IP4, fraglimit, "fragments dropped: reassembly limits"),
	C(ip4, L_IP4, reassfail, "reassemblies failed"),
	C(ip4, L_IP4, reasstimeout, "reassemblies timed out"),
	C(ip4, L_IP4, fragmented, "packets fragmented ok"),
	C(ip4, L_IP4, ofragments, "fragments created"),
	C(ip4, L_IP4, srcroute, "source-routed packets dropped"),

	C(icmp, L_ICMP, total, "ICMP messages received"),
	C(icmp, L_ICMP, tooshort, "messages too short"),
	C(icmp, L_ICMP, badsum, "messages with a bad checksum"),
	C(icmp, L_ICMP, badcode, "messages with an unknown type or code"),
	C(icmp, L_ICMP, echo, "echo requests received"),
	C(icmp, L_ICMP, echoreply, "echo replies sent"),
	C(icmp, L_ICMP, unreach, "destination unreachable received"),
	C(icmp, L_ICMP, fragneeded, "fragmentation needed received"),
	C(icmp, L_ICMP, ratelimited, "replies suppressed by the rate limit"),
	C(icmp, L_ICMP, outerrors, "error messages sent"),
	C(icmp, L_ICMP, echoreply_rcvd, "echo replies received"),
	C(icmp, L_ICMP, echo_sent, "echo requests sent"),
	C(icmp, L_ICMP, timxceed, "time exceeded received"),
	C(icmp, L_ICMP, paramprob, "parameter problems received"),
	C(icmp, L_ICMP, badquote, "errors quoting a bad or foreign datagram"),
	C(icmp, L_ICMP, ctlinput, "errors passed to TCP"),
	C(icmp, L_ICMP, ignored, "messages ignored (redirect, ...)"),
	C(icmp, L_ICMP, odropped, "messages not sent"),

	C(tcp, L_TCP, connattempt, "active connection openings"),
	C(tcp, L_TCP, accepts, "passive connection openings"),
	C(tcp, L_TCP, connects, "connections established"),
	C(tcp, L_TCP, conndrops, "failed connection attempts"),
	C(tcp, L_TCP, drops, "connections dropped"),
	C(tcp, L_TCP, closed, "connections closed"),
	C(tcp, L_TCP, rcvtotal, "segments received"),
	C(tcp, L_TCP, sndtotal, "segments sent out"),
	C(tcp, L_TCP, rcvshort, "segments shorter than a header"),
	C(tcp, L_TCP, rcvbadoff, "segments with a bad data offset"),
	C(tcp, L_TCP, rcvbadsum, "bad segments received (checksum)"),
	C(tcp, L_TCP, rcvbadopt, "segments with malformed options"),
	C(tcp, L_TCP, rcvnoport, "segments for no socket (answered with "
	    "RST)"),
	C(tcp, L_TCP, rcvpack, "data segments received in sequence"),
	C(tcp, L_TCP, rcvbyte, "data bytes received in sequence"),
	C(tcp, L_TCP, rcvduppack, "duplicate segments received"),
	C(tcp, L_TCP, rcvdupbyte, "duplicate bytes received"),
	C(tcp, L_TCP, rcvoopack, "out-of-order segments queued"),
	C(tcp, L_TCP, rcvoobyte, "out-of-order bytes queued"),
	C(tcp, L_TCP, rcvoodrop, "out-of-order segments dropped (queue "
	    "full)"),
	C(tcp, L_TCP, rcvpackafterwin, "segments with data beyond the "
	    "window"),
	C(tcp, L_TCP, rcvafterclose, "segments with data after close"),
	C(tcp, L_TCP, rcvacktoomuch, "ACKs for unsent data"),
	C(tcp, L_TCP, rcvdupack, "duplicate ACKs received"),
	C(tcp, L_TCP, rcvwinprobe, "window probes received"),
	C(tcp, L_TCP, rcvwinupd, "window updates received"),
	C(tcp, L_TCP, rcvbadrst, "RSTs ignored (outside the window)"),
	C(tcp, L_TCP, rcvpawsdrop, "segments dropped by PAWS"),
	C(tcp, L_TCP, sndpack, "data segments sent"),
	C(tcp, L_TCP, sndbyte, "data bytes sent"),
	C(tcp, L_TCP, sndrexmitpack, "segments retransmitted"),
	C(tcp, L_TCP, sndrexmitbyte, "bytes retransmitted"),
	C(tcp, L_TCP, sndacks, "pure ACKs sent"),
	C(tcp, L_TCP, snddelack, "delayed ACKs sent"),
	C(tcp, L_TCP, sndprobe, "window probes sent"),
	C(tcp, L_TCP, sndwinupd, "window updates sent"),
	C(tcp, L_TCP, sndrst, "resets sent"),
	C(tcp, L_TCP, sndctrl, "control segments sent (SYN, FIN, RST)"),
	C(tcp, L_TCP, sndgso, "super-segments handed to segmentation offload"),
	C(tcp, L_TCP, sndgsosegs, "segments carried in super-segments"),
	C(tcp, L_TCP, listendrop, "SYNs to LISTEN sockets dropped (backlog "
	    "full)"),
	C(tcp, L_TCP, timeoutdrop, "connections dropped by retransmit "
	    "timeout"),
	C(tcp, L_TCP, keeptimeo, "keepalive timeouts"),
	C(tcp, L_TCP, keepprobe, "keepalive probes sent"),
	C(tcp, L_TCP, keepdrops, "connections dropped by keepalive"),
	C(tcp, L_TCP, persisttimeo, "persist timeouts"),
	C(tcp, L_TCP, persistdrop, "connections dropped in persist"),
	C(tcp, L_TCP, rexmttimeo, "retransmission timeouts"),
	C(tcp, L_TCP, segstimed, "segments timed for RTT"),
	C(tcp, L_TCP, rttupdated, "RTT samples taken"),
	C(tcp, L_TCP, challengeack, "challenge ACKs sent (RFC 5961)"),
	C(tcp, L_TCP, challengelimit, "challenge ACKs suppressed by the rate "
	    "limit"),
	C(tcp, L_TCP, fastrexmit, "fast retransmits"),
	C(tcp, L_TCP, sackrecovery, "SACK recovery episodes"),
	C(tcp, L_TCP, rackdetect, "losses detected by RACK"),
	C(tcp, L_TCP, tlp, "tail loss probes sent"),
	C(tcp, L_TCP, spurious_undo, "spurious retransmissions undone "
	    "(D-SACK)"),
	C(tcp, L_TCP, twreuse, "TIME_WAIT connections reused"),
	C(tcp, L_TCP, nomem, "segments dropped for lack of memory or a "
	    "limit"),
	C(tcp, L_TCP, rcvdrop, "segments dropped silently"),
	C(tcp, L_TCP, rcvdropack, "segments dropped and answered with an "
	    "ACK"),
	C(tcp, L_TCP, rcvdroprst, "segments dropped and answered with a "
	    "RST"),
	C(tcp, L_TCP, rcvsack, "ACKs carrying SACK blocks"),
	C(tcp, L_TCP, rcvdsack, "D-SACK blocks received (RFC 2883)"),
	C(tcp, L_TCP, snddsack, "D-SACK blocks sent"),
	C(tcp, L_TCP, sackreneg, "times the peer discarded SACKed data"),
	C(tcp, L_TCP, limitedxmit, "limited transmit sends (RFC 3042)"),
	C(tcp, L_TCP, tlploss, "losses repaired by a tail loss probe"),
	C(tcp, L_TCP, pmtuupdate, "MSS reductions by ICMP (RFC 1191)"),
	C(tcp, L_TCP, sbfail, "SACK scoreboard allocation failures"),
	C(tcp, L_TCP, oowlimited, "ACKs to bad segments held back (rate limit)"),
	C(tcp, L_TCP, syncookies_sent, "SYN cookies sent"),
	C(tcp, L_TCP, syncookies_recv, "valid SYN cookies received"),
	C(tcp, L_TCP, syncookies_failed, "ACKs with a bad SYN cookie"),
	C(tcp, L_TCP, synbacklogdrop, "SYNs dropped: half-open queue full"),
	C(tcp, L_TCP, listenoverflow, "SYNs/ACKs dropped: accept queue full"),
	C(tcp, L_TCP, connlimit, "connections refused: connection limit"),
	C(tcp, L_TCP, memlimit, "buffer allocations refused: memory limit"),
	C(tcp, L_TCP, orphanlimit, "orphans reset: too many"),
	C(tcp, L_TCP, orphandrop, "orphans dropped after their retries"),
	C(tcp, L_TCP, persistlimit, "connections dropped: zero window too long"),
};
#undef C

#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))
#define LINK_STAT(f, text) { #f, offsetof(struct ws_link_stats, f), text }
static const struct {
	const char *name;
	size_t off;
	const char *text;
} link_counters[] = {
	LINK_STAT(rx_frames, "frames received"),
	LINK_STAT(rx_bytes, "bytes received"),
	LINK_STAT(tx_frames, "frames sent"),
	LINK_STAT(tx_bytes, "bytes sent"),
	LINK_STAT(tx_errors, "send errors"),
	LINK_STAT(rx_dropped, "frames dropped by the device (kernel, "
	    "queue)"),
	LINK_STAT(fault_dropped, "frames dropped on purpose (--loss)"),
	LINK_STAT(fault_duplicated, "frames duplicated on purpose (--dup)"),
	LINK_STAT(fault_reordered, "frames reordered on purpose (--reorder)"),
	LINK_STAT(fault_corrupted, "frames corrupted on purpose "
	    "(--corrupt)"),
};
#undef LINK_STAT

static uint64_t
load64(const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* The table entry for the field at `off` of layer l, or NULL. */
static const struct counter *
find_counter(enum layer l, size_t off)
{
	for (size_t i = 0; i < NCOUNTERS; i++)
		if (counters[i].layer == l && counters[i].off == off)
			return &counters[i];
	return NULL;
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
	for (int l = 0; l < L_COUNT; l++) {
		const char *base = (const char *)s + layers[l].off;
		bool title = false;

		/*
		 * Table order first (it groups related counters), then any
		 * field the table does not know yet, by position.
		 */
		for (size_t i = 0; i < NCOUNTERS; i++) {
			uint64_t v;

			if (counters[i].layer != (enum layer)l ||
			    counters[i].off + 8 > layers[l].size ||
			    (v = load64(base, counters[i].off)) == 0)
				continue;
			if (!title)
				fprintf(f, "%s:\n", layers[l].title);
			title = true;
			fprintf(f, "    %" PRIu64 " %s\n", v, counters[i].text);
		}
		for (size_t off = 0; off + 8 <= layers[l].size; off += 8) {
			uint64_t v = load64(base, off);

			if (v == 0 || find_counter((enum layer)l, off) != NULL)
				continue;
			if (!title)
				fprintf(f, "%s:\n", layers[l].title);
			title = true;
			fprintf(f, "    %" PRIu64 " (%s counter #%zu)\n", v,
			    layers[l].key, off / 8);
		}
	}
}

static void
print_link(FILE *f, const struct ws_link *l)
{
	bool title = false;

	for (size_t i = 0; i < sizeof(link_counters) / sizeof(link_counters[0]);
	    i++) {
		uint64_t v = load64(&l->stats, link_counters[i].off);

		if (v == 0)
			continue;
		if (!title)
			fprintf(f, "Link (%s, %s):\n", l->name, l->ops->kind);
		title = true;
		fprintf(f, "    %" PRIu64 " %s\n", v, link_counters[i].text);
	}
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

static json_t *
json_counters(const struct ws_stats *s)
{
	json_t *all = json_object();

	if (all == NULL)
		return NULL;
	for (int l = 0; l < L_COUNT; l++) {
		const char *base = (const char *)s + layers[l].off;
		json_t *o = json_object();

		if (!set(all, layers[l].key, o))
			goto fail;
		for (size_t off = 0; off + 8 <= layers[l].size; off += 8) {
			const struct counter *c = find_counter((enum layer)l,
			    off);
			char name[32];

			if (c == NULL)
				snprintf(name, sizeof(name), "counter_%zu",
				    off / 8);
			if (!set(o, c != NULL ? c->name : name,
			    json_integer((json_int_t)load64(base, off))))
				goto fail;
		}
	}
	return all;
fail:
	json_decref(all);
	return NULL;
}

static json_t *
json_link(const struct ws_link *l)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (!set(o, "name", json_string(l->name)) ||
	    !set(o, "kind", json_string(l->ops->kind)))
		goto fail;
	for (size_t i = 0; i < sizeof(link_counters) / sizeof(link_counters[0]);
	    i++)
		if (!set(o, link_counters[i].name, json_integer((json_int_t)
		    load64(&l->stats, link_counters[i].off))))
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
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

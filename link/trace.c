/*
 * A device that wraps another and prints one line per frame in and out,
 * in tcpdump's style (after smoltcp's phy/tracer.rs), so anyone can watch
 * the stack's conversation with a real peer without a capture tool.
 *
 * Every frame is taken apart with the layers' own wire parsers
 * (link/ether_wire.h, arp/arp_wire.h, ipv4/ip4_wire.h, tcp/tcp_wire.h),
 * which validate lengths before anything is read, so a malformed or
 * truncated frame is described ("[|tcp]", "bad header checksum") and
 * never read past its end.  The line is built in a fixed buffer and
 * written with one fputs(3), so lines from two stacks sharing a FILE do
 * not interleave within a line.
 *
 * On failure ws_link_trace_wrap() leaves `inner` with the caller.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "arp/arp_wire.h"
#include "core/endian.h"
#include "core/stack_var.h"
#include "ipv4/ip4_wire.h"
#include "link/ether_wire.h"
#include "link/trace.h"
#include "tcp/tcp_wire.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* A line being built: appends never overflow, a full buffer is cut. */
struct line {
	char *buf;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3)))
put(struct line *ln, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ln->len + 1 >= ln->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(ln->buf + ln->len, ln->cap - ln->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ln->len += (size_t)n;
	if (ln->len >= ln->cap)
		ln->len = ln->cap - 1;
}

static const char *
ipstr(uint32_t a, char *b, size_t len)
{
	snprintf(b, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
	    (a >> 8) & 0xff, a & 0xff);
	return b;
}

static const char *
macstr(const uint8_t *m, char *b, size_t len)
{
	snprintf(b, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	return b;
}

/* tcpdump's flag letters, in its order (print-tcp.c tcp_flag_values). */
static void
put_flags(struct line *ln, uint8_t flags)
{
	static const struct {
		uint8_t bit;
		char c;
	} tab[] = {
		{ TH_FIN, 'F' }, { TH_SYN, 'S' }, { TH_RST, 'R' },
		{ TH_PUSH, 'P' }, { TH_ACK, '.' }, { TH_URG, 'U' },
		{ TH_ECE, 'E' }, { TH_CWR, 'W' },
	};
	char s[sizeof(tab) / sizeof(tab[0]) + 1];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (flags & tab[i].bit)
			s[n++] = tab[i].c;
	s[n] = '\0';
	put(ln, "Flags [%s]", n > 0 ? s : "none");
}

/*
 * The options in wire order, as tcpdump lists them.  tcp_wire_parse()
 * has checked the list; the bounds are checked again here all the same,
 * so this function is safe on its own.
 */
static void
put_tcp_opts(struct line *ln, const uint8_t *opt, size_t optlen)
{
	size_t i = 0;
	const char *sep = "";

	put(ln, ", options [");
	while (i < optlen) {
		uint8_t kind = opt[i], olen;

		if (kind == TCPOPT_EOL) {
			put(ln, "%seol", sep);
			break;
		}
		if (kind == TCPOPT_NOP) {
			put(ln, "%snop", sep);
			sep = ",";
			i++;
			continue;
		}
		if (i + 1 >= optlen || (olen = opt[i + 1]) < 2 ||
		    olen > optlen - i) {
			put(ln, "%s[|tcp]", sep);
			break;
		}
		switch (kind) {
		case TCPOPT_MSS:
			if (olen == TCPOLEN_MSS)
				put(ln, "%smss %u", sep, be16_load(opt + i + 2));
			break;
		case TCPOPT_WSCALE:
			if (olen == TCPOLEN_WSCALE)
				put(ln, "%swscale %u", sep, opt[i + 2]);
			break;
		case TCPOPT_SACKPERM:
			put(ln, "%ssackOK", sep);
			break;
		case TCPOPT_SACK: {
			size_t nb = (olen - TCPOLEN_SACK_BASE) /
			    TCPOLEN_SACK_BLOCK;

			put(ln, "%ssack %zu ", sep, nb);
			for (size_t b = 0; b < nb; b++) {
				const uint8_t *p = opt + i + 2 +
				    b * TCPOLEN_SACK_BLOCK;

				put(ln, "{%" PRIu32 ":%" PRIu32 "}",
				    be32_load(p), be32_load(p + 4));
			}
			break;
		}
		case TCPOPT_TS:
			if (olen == TCPOLEN_TS)
				put(ln, "%sTS val %" PRIu32 " ecr %" PRIu32,
				    sep, be32_load(opt + i + 2),
				    be32_load(opt + i + 6));
			break;
		default:
			put(ln, "%sunknown-%u", sep, kind);
			break;
		}
		sep = ",";
		i += olen;
	}
	put(ln, "]");
}

static void
put_tcp(struct line *ln, const struct ip4_hdr *ih, const uint8_t *seg,
    size_t len, bool whole)
{
	struct tcp_hdr th;
	char a[16], b[16];
	size_t paylen;
	int error;

	ipstr(ih->src, a, sizeof(a));
	ipstr(ih->dst, b, sizeof(b));
	error = tcp_wire_parse(seg, len, &th);
	if (error == TCP_WIRE_SHORT) {
		if (len >= 4)
			put(ln, "IP %s.%u > %s.%u: [|tcp]", a, be16_load(seg),
			    b, be16_load(seg + 2));
		else
			put(ln, "IP %s > %s: [|tcp]", a, b);
		return;
	}
	/* From here len >= 20: the fixed header can be read. */
	put(ln, "IP %s.%u > %s.%u: ", a, be16_load(seg), b,
	    be16_load(seg + 2));
	if (error == TCP_WIRE_BADOFF) {
		put(ln, "bad header length %u, length %zu",
		    (unsigned)(seg[12] >> 4) * 4, len);
		return;
	}
	put_flags(ln, seg[13]);
	paylen = len - th.off;
	if (paylen > 0 || (th.flags & (TH_SYN | TH_FIN | TH_RST))) {
		put(ln, ", seq %" PRIu32, th.seq);
		if (paylen > 0)
			put(ln, ":%" PRIu32, th.seq + (uint32_t)paylen);
	}
	if (th.flags & TH_ACK)
		put(ln, ", ack %" PRIu32, th.ack);
	put(ln, ", win %u", th.win);
	if (th.flags & TH_URG)
		put(ln, ", urg %u", th.urp);
	if (error == TCP_WIRE_BADOPT)
		put(ln, ", bad options");
	else if (th.off > TCP_HDR_MIN)
		put_tcp_opts(ln, seg + TCP_HDR_MIN, th.off - TCP_HDR_MIN);
	/* tcpdump -v's wording; only a whole segment can be checked. */
	if (whole && !tcp_wire_cksum_ok(seg, len, ih->src, ih->dst))
		put(ln, ", cksum 0x%04x (incorrect)", th.sum);
	put(ln, ", length %zu", paylen);
}

static const char *
unreach_name(uint8_t code)
{
	static const char *const names[] = {
		"net", "host", "protocol", "port", "need to frag",
		"source route failed", "net unknown", "host unknown",
		"source host isolated", "net prohibited", "host prohibited",
		"net tos", "host tos", "communication prohibited",
		"host precedence violation", "precedence cutoff",
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

static void
put_icmp(struct line *ln, const struct ip4_hdr *ih, const uint8_t *p,
    size_t len)
{
	struct icmp4_hdr h;
	char a[16], b[16];
	const char *what;
	int error;

	put(ln, "IP %s > %s: ICMP ", ipstr(ih->src, a, sizeof(a)),
	    ipstr(ih->dst, b, sizeof(b)));
	error = icmp4_hdr_parse(&h, p, len);
	if (error == ICMP4_WIRE_TOOSHORT) {
		put(ln, "[|icmp], length %zu", len);
		return;
	}
	if (error == ICMP4_WIRE_BADSUM) {
		/* len >= 8: type and code are there to name. */
		put(ln, "type %u, code %u, bad checksum, length %zu", p[0],
		    p[1], len);
		return;
	}
	switch (h.type) {
	case ICMP4_ECHO:
	case ICMP4_ECHOREPLY:
		put(ln, "echo %s, id %u, seq %u", h.type == ICMP4_ECHO ?
		    "request" : "reply", icmp4_echo_id(&h), icmp4_echo_seq(&h));
		break;
	case ICMP4_UNREACH:
		what = unreach_name(h.code);
		if (h.code == ICMP4_UNREACH_NEEDFRAG)
			put(ln, "unreachable - need to frag (mtu %u)",
			    icmp4_nextmtu(&h));
		else if (what != NULL)
			put(ln, "%s unreachable", what);
		else
			put(ln, "unreachable code %u", h.code);
		break;
	case ICMP4_TIMXCEED:
		put(ln, "time exceeded %s", h.code == ICMP4_TIMXCEED_REASS ?
		    "in-reassembly" : "in-transit");
		break;
	case ICMP4_PARAMPROB:
		put(ln, "parameter problem - octet %u", icmp4_pptr(&h));
		break;
	case ICMP4_REDIRECT:
		put(ln, "redirect");
		break;
	default:
		put(ln, "type %u, code %u", h.type, h.code);
		break;
	}
	put(ln, ", length %zu", len);
}

static void
put_ip4(struct line *ln, const uint8_t *buf, size_t len)
{
	struct ip4_hdr h;
	const uint8_t *p;
	size_t plen;
	char a[16], b[16];
	int error = ip4_hdr_parse(&h, buf, len);
	bool first, whole;

	switch (error) {
	case IP4_WIRE_OK:
	case IP4_WIRE_BADOPT: /* every field but the options is valid */
		break;
	case IP4_WIRE_BADSUM:
		/* The header is all there (hlen <= len), just damaged. */
		put(ln, "IP %s > %s: bad header checksum, length %u",
		    ipstr(be32_load(buf + IP4_OFF_SRC), a, sizeof(a)),
		    ipstr(be32_load(buf + IP4_OFF_DST), b, sizeof(b)),
		    h.total_len);
		return;
	case IP4_WIRE_BADLEN:
		put(ln, "IP truncated: length %u in a %zu-byte packet",
		    h.total_len, len);
		return;
	default:
		put(ln, "IP %s, length %zu", ip4_wire_strerror(error), len);
		return;
	}
	p = buf + h.hlen;
	plen = (size_t)h.total_len - h.hlen;
	first = ip4_frag_off(&h) == 0;
	whole = !ip4_is_fragment(&h);
	if (!first) {
		/* No transport header in a later fragment. */
		put(ln, "IP %s > %s: ip-proto-%u",
		    ipstr(h.src, a, sizeof(a)), ipstr(h.dst, b, sizeof(b)),
		    h.proto);
	} else if (h.proto == IPPROTO_TCP_) {
		put_tcp(ln, &h, p, plen, whole);
	} else if (h.proto == IPPROTO_ICMP_ && whole) {
		put_icmp(ln, &h, p, plen);
	} else if (h.proto == IPPROTO_UDP_ && plen >= 8) {
		put(ln, "IP %s.%u > %s.%u: UDP, length %u",
		    ipstr(h.src, a, sizeof(a)), be16_load(p),
		    ipstr(h.dst, b, sizeof(b)), be16_load(p + 2),
		    be16_load(p + 4) >= 8 ? be16_load(p + 4) - 8 : 0);
	} else {
		put(ln, "IP %s > %s: ip-proto-%u %zu",
		    ipstr(h.src, a, sizeof(a)), ipstr(h.dst, b, sizeof(b)),
		    h.proto, plen);
	}
	if (!whole)
		put(ln, " (frag %u:%zu@%" PRIu32 "%s)", h.id, plen,
		    ip4_frag_off(&h), (h.frag & IP4_MF) ? "+" : "");
	if (error == IP4_WIRE_BADOPT)
		put(ln, " [bad options]");
}

static void
put_arp(struct line *ln, const uint8_t *p, size_t len)
{
	struct arp_repr r;
	char a[16], b[16], m[18];
	int error = arp_wire_parse(p, len, &r);

	if (error != 0) {
		put(ln, "ARP, %s, length %zu", arp_wire_strerror(error), len);
		return;
	}
	if (r.op == ARP_OP_REQUEST) {
		static const uint8_t zero[6];

		put(ln, "ARP, Request who-has %s", ipstr(r.tpa, a, sizeof(a)));
		if (memcmp(r.tha, zero, sizeof(zero)) != 0)
			put(ln, " (%s)", macstr(r.tha, m, sizeof(m)));
		put(ln, " tell %s", ipstr(r.spa, b, sizeof(b)));
	} else {
		put(ln, "ARP, Reply %s is-at %s", ipstr(r.spa, a, sizeof(a)),
		    macstr(r.sha, m, sizeof(m)));
	}
	put(ln, ", length %zu", len);
}

static void
put_time(struct line *ln, ws_time_t now, int64_t wall_offset_us,
    unsigned flags)
{
	uint64_t us;
	unsigned h, mi, s;

	if (flags & WS_TRACE_WALLCLOCK) {
		int64_t t = (int64_t)now + wall_offset_us;
		time_t secs = (time_t)(t / (int64_t)WS_USEC_PER_SEC);
		struct tm tm;

		if (t >= 0 && localtime_r(&secs, &tm) != NULL) {
			put(ln, "%02d:%02d:%02d.%06u ", tm.tm_hour, tm.tm_min,
			    tm.tm_sec, (unsigned)(t % (int64_t)WS_USEC_PER_SEC));
			return;
		}
	}
	us = now % WS_USEC_PER_SEC;
	s = (unsigned)((now / WS_USEC_PER_SEC) % 60);
	mi = (unsigned)((now / WS_USEC_PER_SEC / 60) % 60);
	h = (unsigned)((now / WS_USEC_PER_SEC / 3600) % 24);
	put(ln, "%02u:%02u:%02u.%06u ", h, mi, s, (unsigned)us);
}

size_t
trace_format(char *buf, size_t buflen, enum ws_medium medium,
    const uint8_t *frame, size_t len, ws_time_t now, int64_t wall_offset_us,
    const char *name, int tx, unsigned flags)
{
	struct line ln = { buf, 0, buflen };
	struct ether_repr er;
	char a[18], b[18];
	int error;

	if (buflen == 0)
		return 0;
	buf[0] = '\0';
	put_time(&ln, now, wall_offset_us, flags);
	if (flags & WS_TRACE_DIR)
		put(&ln, "%s %s ", name != NULL && name[0] != '\0' ? name : "-",
		    tx ? "Out" : "In ");
	if (medium == WS_MEDIUM_IP) {
		put_ip4(&ln, frame, len);
		return ln.len;
	}
	error = ether_wire_parse(frame, len, &er);
	if (error == ETHER_WIRE_ESHORT) {
		put(&ln, "[|ether], length %zu", len);
		return ln.len;
	}
	if (error == ETHER_WIRE_ELENGTH) {
		put(&ln, "802.3, length %zu", len);
		return ln.len;
	}
	if (error != 0) {
		put(&ln, "ether %s, length %zu", ether_wire_strerror(error),
		    len);
		return ln.len;
	}
	if (flags & WS_TRACE_LINK) {
		const char *tn = er.type == ETHERTYPE_IPV4 ? "IPv4" :
		    er.type == ETHERTYPE_ARP ? "ARP" :
		    er.type == ETHERTYPE_IPV6 ? "IPv6" : "Unknown";

		put(&ln, "%s > %s, ethertype %s (0x%04x), length %zu: ",
		    macstr(er.src, a, sizeof(a)), macstr(er.dst, b, sizeof(b)),
		    tn, er.type, len);
	}
	switch (er.type) {
	case ETHERTYPE_IPV4:
		put_ip4(&ln, frame + ETHER_HDR_LEN, len - ETHER_HDR_LEN);
		break;
	case ETHERTYPE_ARP:
		put_arp(&ln, frame + ETHER_HDR_LEN, len - ETHER_HDR_LEN);
		break;
	case ETHERTYPE_IPV6:
		put(&ln, "IP6, length %zu", len - ETHER_HDR_LEN);
		break;
	default:
		put(&ln, "ethertype Unknown (0x%04x), length %zu", er.type,
		    len);
		break;
	}
	return ln.len;
}

/* ---- The device ---- */

struct trace_link {
	struct ws_link link;   /* must be first */
	struct ws_link *inner; /* owned */
	FILE *f;               /* not owned */
	unsigned flags;
	int64_t wall_offset_us; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

struct trace_rx {
	struct trace_link *t;
	ws_time_t now;
	ws_link_rx_fn fn;
	void *arg;
};

static struct trace_link *
to_trace(struct ws_link *l)
{
	return (struct trace_link *)l;
}

/* As pcapw: the counters are the inner device's, tx_errors our own. */
static void
trace_sync_stats(struct trace_link *t)
{
	uint64_t tx_errors = t->link.stats.tx_errors;

	t->link.stats = t->inner->stats;
	t->link.stats.tx_errors = tx_errors;
}

static void
trace_print(struct trace_link *t, ws_time_t now, const uint8_t *frame,
    size_t len, int tx)
{
	char line[TRACE_LINE_MAX + 1];
	size_t n;

	n = trace_format(line, sizeof(line) - 1, t->link.medium, frame, len,
	    now, t->wall_offset_us, t->link.name, tx, t->flags);
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, t->f);
}

static void
trace_rx_cb(void *arg, const uint8_t *frame, size_t len)
{
	struct trace_rx *c = arg;

	if (c->t->flags & WS_TRACE_RX)
		trace_print(c->t, c->now, frame, len, 0);
	c->fn(c->arg, frame, len);
}

static int
trace_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct trace_link *t = to_trace(l);
	struct trace_rx c = { t, now, fn, arg };
	int n = ws_link_recv(t->inner, now, trace_rx_cb, &c, max);

	trace_sync_stats(t);
	return n;
}

static int
trace_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct trace_link *t = to_trace(l);
	int error;

	if (t->flags & WS_TRACE_TX)
		trace_print(t, now, frame, len, 1);
	error = ws_link_send(t->inner, now, frame, len);
	trace_sync_stats(t);
	return error;
}

static unsigned
trace_send_batch(struct ws_link *l, ws_time_t now,
    const struct ws_link_frame *frames, unsigned n)
{
	struct trace_link *t = to_trace(l);
	unsigned failed;

	if (t->flags & WS_TRACE_TX)
		for (unsigned i = 0; i < n; i++)
			trace_print(t, now, frames[i].data, frames[i].len, 1);
	failed = ws_link_send_batch(t->inner, now, frames, n);
	trace_sync_stats(t);
	return failed;
}

static int
trace_fd(struct ws_link *l)
{
	return ws_link_fd(to_trace(l)->inner);
}

static ws_time_t
trace_next_deadline(struct ws_link *l)
{
	return ws_link_next_deadline(to_trace(l)->inner);
}

static void
trace_close(struct ws_link *l)
{
	struct trace_link *t = to_trace(l);

	fflush(t->f);
	ws_link_close(t->inner);
	free(t);
}

static const struct ws_link_ops trace_ops = {
	.kind = "trace",
	.recv = trace_recv,
	.send = trace_send,
	.send_batch = trace_send_batch,
	.fd = trace_fd,
	.next_deadline = trace_next_deadline,
	.close = trace_close,
};

static int64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

WS_EXPORT int
ws_link_trace_wrap(struct ws_link **out, struct ws_link *inner, FILE *f,
    unsigned flags)
{
	struct trace_link *t;

	*out = NULL;
	if (inner == NULL || f == NULL)
		return WS_EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return WS_ENOMEM;
	t->inner = inner;
	t->f = f;
	t->flags = flags;
	/*
	 * Wall-clock lines: the caller's `now` is CLOCK_MONOTONIC (as from
	 * ws_clock_now()); the offset to the time of day is taken once, as
	 * a device may read a clock (the stack itself never does).
	 */
	if (flags & WS_TRACE_WALLCLOCK)
		t->wall_offset_us = clock_us(CLOCK_REALTIME) -
		    clock_us(CLOCK_MONOTONIC);
	t->link.ops = &trace_ops;
	t->link.medium = inner->medium;
	memcpy(t->link.hwaddr, inner->hwaddr, sizeof(t->link.hwaddr));
	t->link.mtu = inner->mtu;
	memcpy(t->link.name, inner->name, sizeof(t->link.name));
	t->link.stats = inner->stats;
	*out = &t->link;
	return 0;
}

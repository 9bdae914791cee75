/*
 * wirestack: link devices.
 *
 * A device moves whole frames.  It is a small vtable (after lwIP's netif),
 * so devices compose at run time: a fault injector or a pcap-file writer
 * wraps any other device and is itself a device.
 *
 * Ownership: ws_link_send() borrows the frame (the device copies it or
 * writes it out before returning); frames handed to a ws_link_rx_fn are
 * borrowed for the duration of the callback only.  A wrapper owns the
 * device it wraps and closes it with itself.
 */
#ifndef WIRESTACK_LINK_H
#define WIRESTACK_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <wirestack/stats.h>
#include <wirestack/time.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ws_medium {
	WS_MEDIUM_ETHERNET = 1, /* frames carry an Ethernet header; ARP runs */
	WS_MEDIUM_IP = 2,       /* frames are bare IPv4 datagrams; no ARP */
};

/*
 * A device's own counters, one X(field, "description") each, as in
 * <wirestack/stats.h>: the struct is generated from the list.
 */
#define WS_LINK_STATS(X) \
	X(rx_frames, "frames received") /* delivered up */ \
	X(rx_bytes, "bytes received") \
	X(tx_frames, "frames sent") /* accepted for sending */ \
	X(tx_bytes, "bytes sent") \
	X(tx_errors, "send errors") /* the device refused or failed a send */ \
	X(rx_dropped, "frames dropped by the device (kernel, queue)") \
	X(fault_dropped, "frames dropped on purpose (--loss)") \
	X(fault_duplicated, "frames duplicated on purpose (--dup)") \
	/* held back behind the next frame: */ \
	X(fault_reordered, "frames reordered on purpose (--reorder)") \
	/* one byte flipped: */ \
	X(fault_corrupted, "frames corrupted on purpose (--corrupt)") \
	/* ECT(0)/ECT(1) IPv4 packet marked CE (RFC 3168 5): */ \
	X(fault_ce, "packets marked CE on purpose (--ce)")

struct ws_link_stats {
	WS_LINK_STATS(WS_STATS_FIELD_)
};

/* Walk a device's counters (layer "link"), as ws_stats_foreach() does. */
int ws_link_stats_foreach(const struct ws_link_stats *s, ws_stat_fn fn,
    void *arg);

/* Called once per received frame; the frame is valid during the call only. */
typedef void (*ws_link_rx_fn)(void *arg, const uint8_t *frame, size_t len);

struct ws_link;

/* One frame of a batch (ws_link_send_batch). */
struct ws_link_frame {
	const uint8_t *data;
	size_t len;
	/*
	 * 0 for an ordinary frame.  Otherwise the frame is one TCP/IPv4
	 * super-segment longer than the MTU (segmentation offload, as
	 * Linux's GSO): the device cuts its payload into segments of
	 * gso_size bytes, each with a copy of the headers (sequence number,
	 * IP length, ID and both checksums fixed up; PSH and FIN only on the
	 * last segment).  The TCP checksum field then holds the pseudo-header
	 * sum over the whole length, as for partial checksum offload.  The
	 * stack sends such frames only to a device whose gso_max is set, and
	 * only through send_batch.
	 */
	uint16_t gso_size;
};

struct ws_link_ops {
	const char *kind; /* "pcap", "rawip", "mem", "fault", "pcapw" */
	/*
	 * Deliver up to `max` received frames to fn.  Returns the number
	 * delivered (0 when none are waiting; never blocks) or a WS_E* code.
	 */
	int (*recv)(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn,
	    void *arg, unsigned max);
	/* Send one frame; 0 or a WS_E* code.  The frame is borrowed. */
	int (*send)(struct ws_link *l, ws_time_t now, const uint8_t *frame,
	    size_t len);
	/*
	 * Send n frames at once (optional: NULL means one send() each;
	 * required when gso_max is set).
	 * Returns how many could not be sent (each like a lost frame);
	 * the device counts what it sent.  The frames are borrowed.
	 */
	unsigned (*send_batch)(struct ws_link *l, ws_time_t now,
	    const struct ws_link_frame *frames, unsigned n);
	/* A file descriptor that polls readable when frames wait, or -1. */
	int (*fd)(struct ws_link *l);
	/* When the device next has something to do (delayed frames); optional. */
	ws_time_t (*next_deadline)(struct ws_link *l);
	/* Release everything, including any wrapped device. */
	void (*close)(struct ws_link *l);
};

/*
 * The common part of every device; implementations embed it first.  Users
 * may write their own devices by filling in ops and these fields.
 */
struct ws_link {
	const struct ws_link_ops *ops;
	enum ws_medium medium;
	uint8_t hwaddr[6];          /* our MAC (Ethernet medium only) */
	uint32_t mtu;               /* largest IP datagram, without link header */
	uint32_t gso_max;           /* largest TCP super-segment (IP datagram
	                               bytes) the device segments itself; 0:
	                               no segmentation offload */
	char name[32];              /* for messages: "eth0", "mem0", ... */
	struct ws_link_stats stats; /* maintained by the device */
};

int ws_link_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn,
    void *arg, unsigned max);
int ws_link_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len);
/*
 * Send n frames in order, in one system call where the device can (pcap:
 * sendmmsg).  Returns how many were not sent (counted in tx_errors).
 */
unsigned ws_link_send_batch(struct ws_link *l, ws_time_t now,
    const struct ws_link_frame *frames, unsigned n);
int ws_link_fd(struct ws_link *l);
ws_time_t ws_link_next_deadline(struct ws_link *l);
void ws_link_close(struct ws_link *l);

/* ---- Ethernet on a real interface: libpcap capture, libnet injection ---- */

struct ws_link_pcap_config {
	const char *ifname;       /* required: "eth0" */
	const uint8_t *hwaddr;    /* NULL: the interface's own MAC; else ours
	                             (the interface is put in promiscuous mode) */
	int snaplen;              /* 0: MTU + link header */
	int buffer_size;          /* kernel capture buffer, bytes; 0: 4 MiB */
	unsigned flags;           /* WS_LINK_PCAP_* below; 0 for a host */
};

/*
 * Capture every frame arriving on the interface, whatever its destination
 * (promiscuous, no filter), as a bridge does (wirestack-impair).  Frames
 * we send are still never captured back.
 */
#define WS_LINK_PCAP_ALL 0x01
/*
 * No segmentation offload: every frame the stack sends is at most the MTU
 * (otherwise TCP hands the kernel 64 KB super-segments to cut, through
 * PACKET_VNET_HDR; WIRESTACK_PCAP_GSO=0 in the environment does the same).
 */
#define WS_LINK_PCAP_NO_GSO 0x02

/*
 * Open `cfg->ifname` for capture and injection.  A BPF filter passes only
 * frames for our MAC, broadcast and ARP.  errbuf (may be NULL) receives a
 * one-line reason on failure.
 * Errors: WS_ENODEV (no such interface), WS_EPERM (needs CAP_NET_RAW:
 * run with sudo or setcap cap_net_raw,cap_net_admin+ep), WS_EIO, WS_ENOMEM.
 */
int ws_link_pcap_open(struct ws_link **out, const struct ws_link_pcap_config *cfg,
    char *errbuf, size_t errlen);

/* ---- Raw IPv4 with IP_HDRINCL (loopback mode; medium IP, no ARP) ---- */

struct ws_link_rawip_config {
	uint32_t local_addr;  /* host order; 0: 127.0.0.1 */
	/*
	 * The kernel hands a raw socket every TCP datagram of the host,
	 * including the ones we sent ourselves (they loop back).  Only TCP
	 * datagrams to local_addr that match these ports are delivered:
	 * a server sets local_port (its listening port), a client sets
	 * remote_port (the server's); 0 means any.
	 */
	uint16_t local_port;
	uint16_t remote_port;
	uint32_t mark;        /* SO_MARK on what we send (0: none), so a
	                         firewall rule can tell our RSTs from the
	                         kernel's */
	uint32_t mtu;         /* 0: 1500 */
};

/*
 * Open raw IPv4 sockets: one that sends whole datagrams (IP_HDRINCL) and
 * one that receives TCP datagrams, filtered as above.
 * Errors: WS_EPERM (needs CAP_NET_RAW), WS_EIO, WS_ENOMEM.
 */
int ws_link_rawip_open(struct ws_link **out,
    const struct ws_link_rawip_config *cfg, char *errbuf, size_t errlen);

/* ---- In-memory pair for tests and benchmarks ---- */

struct ws_link_mem_config {
	enum ws_medium medium; /* default Ethernet */
	uint32_t mtu;          /* default 1500 */
	uint32_t queue_limit;  /* frames queued per direction; default 4096 */
	uint64_t rate_bps;     /* 0: unlimited; else serialization delay */
	uint64_t delay_us;     /* one-way propagation delay */
	uint32_t gso_max;      /* 0: none; else offer segmentation offload of
	                          super-segments up to this many bytes, cut
	                          in software as they are sent */
};

/*
 * Two devices joined back to back: what one sends, the other receives (at
 * send time + delay + serialization, in the caller's virtual time).  MACs
 * are 02:00:00:00:00:01 and :02.  Either end may be closed first.
 */
int ws_link_mem_pair(struct ws_link **a, struct ws_link **b,
    const struct ws_link_mem_config *cfg);

/* ---- Wrappers ---- */

struct ws_fault_config {
	double drop;      /* probability per frame, 0..1, each direction */
	double duplicate;
	double reorder;   /* hold a frame back behind the next one */
	double corrupt;   /* flip one random byte */
	double ce;        /* mark an ECN-capable IPv4 packet CE (an AQM
	                     router's RFC 3168 5 mark) instead of dropping */
	uint64_t seed;    /* same seed, same faults */
	unsigned reorder_max_us; /* release a held frame after this; default 5000 */
};

/*
 * Wrap `inner` with seeded faults in both directions.  On success the
 * wrapper owns inner; on failure the caller still does.
 */
int ws_link_fault_wrap(struct ws_link **out, struct ws_link *inner,
    const struct ws_fault_config *cfg);

/*
 * Wrap `inner` so that every frame in and out is appended to a pcap
 * savefile at `path` (LINKTYPE_ETHERNET or LINKTYPE_RAW by medium).
 * Timestamps are the `now` values passed in.  On success the wrapper
 * owns inner; on failure the caller still does.
 */
int ws_link_pcapw_wrap(struct ws_link **out, struct ws_link *inner,
    const char *path, char *errbuf, size_t errlen);

/* Flags for ws_link_trace_wrap(). */
#define WS_TRACE_RX 0x01        /* print frames received */
#define WS_TRACE_TX 0x02        /* print frames sent */
#define WS_TRACE_LINK 0x04      /* print the Ethernet header (tcpdump -e) */
#define WS_TRACE_DIR 0x08       /* device name and In/Out (tcpdump -i any) */
#define WS_TRACE_WALLCLOCK 0x10 /* time of day instead of `now` */

/*
 * Wrap `inner` so that every frame in and out (as selected by flags) is
 * described on `f`, one line per frame in tcpdump's style (after smoltcp's
 * phy/tracer.rs), e.g.
 *
 *   12:00:00.123456 IP 198.18.20.1.40000 > 198.18.20.2.8080: Flags [S],
 *   seq 123, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,
 *   wscale 7], length 0
 *
 * (on one line), and likewise ARP and ICMP.  Sequence numbers are
 * absolute (tcpdump -S).  Malformed frames are described, never read past
 * their end.  The timestamp is `now`: with WS_TRACE_WALLCLOCK, `now` is
 * taken to be CLOCK_MONOTONIC (ws_clock_now()) and printed as local time
 * of day; otherwise it is printed as hours:minutes:seconds of the caller's
 * (virtual) clock.  `f` is not closed.  On success the wrapper owns
 * inner; on failure the caller still does.
 * Errors: WS_EINVAL (no device or no file), WS_ENOMEM.
 */
int ws_link_trace_wrap(struct ws_link **out, struct ws_link *inner, FILE *f,
    unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* WIRESTACK_LINK_H */

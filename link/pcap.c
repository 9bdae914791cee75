/*
 * Ethernet on a real interface: libpcap captures, libnet injects.
 *
 * Capture is tuned for a protocol stack rather than for a sniffer:
 *  - immediate mode, because TCP cannot wait for a buffer to fill (an ACK
 *    held back for the capture timeout stalls the peer's window);
 *  - inbound only, and PACKET_IGNORE_OUTGOING on the socket: without it
 *    the kernel copies every frame we send into our own capture ring, which
 *    measured ~37% of the send rate;
 *  - a BPF filter so that only frames for our MAC and broadcast (ARP
 *    requests) are copied up at all;
 *  - promiscuous mode only when we use a MAC other than the interface's.
 *
 * Injection: a batch of frames (the stack's output queue at the end of an
 * entry call) goes out with one sendmmsg() on our own AF_PACKET socket
 * bound to the interface (protocol 0: it receives nothing); single frames
 * take send() on the same socket, so frames keep their order.  libnet's
 * advanced link mode (libnet_adv_write_link: one sendto() per frame on
 * libnet's AF_PACKET socket) is the fallback when that socket cannot be
 * made.  Measured on veth (README,
 * Performance): sendmmsg moves more frames per second of CPU than one
 * sendto per frame.  WIRESTACK_PCAP_TX=libnet in the environment turns the
 * batch path off (every frame through libnet), for comparisons.
 */
#define _GNU_SOURCE /* sendmmsg */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnet.h>
#include <linux/filter.h>
#include <linux/virtio_net.h>
#include <pcap/pcap.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/stack_var.h"
#include "link/link_var.h"

#ifndef PACKET_VNET_HDR
#define PACKET_VNET_HDR 15
#endif
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

#define ETHER_HDR_LEN 14
#define PCAP_DEFAULT_BUFFER (4 * 1024 * 1024)
/* Re-read the kernel's drop counters at most this often. */
#define PCAP_STATS_INTERVAL_US (100 * WS_USEC_PER_MSEC)

#define PERM_HINT "run with sudo, or: sudo setcap " \
	"cap_net_raw,cap_net_admin+ep <program>"

struct pcap_link {
	struct ws_link link;      /* must be first */
	pcap_t *pc;
	libnet_t *ln;
	int txfd;                 /* AF_PACKET socket for sendmmsg, or -1 */
	bool vnet;                /* txfd takes a virtio_net_hdr first (GSO) */
	int fd;                   /* selectable descriptor */
	ws_time_t stats_at;       /* when pcap_stats() was last read */
};

struct pcap_rx {
	struct pcap_link *pl;
	ws_link_rx_fn fn;
	void *arg;
};

static struct pcap_link *
to_pcap(struct ws_link *l)
{
	return (struct pcap_link *)l;
}

static void
pcap_rx_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pcap_rx *c = (struct pcap_rx *)user;
	struct ws_link *l = &c->pl->link;

	/*
	 * A frame longer than the snap length arrives cut short; handing it
	 * up would only make IPv4 count a bad length.  Count it here.
	 */
	if (h->caplen < h->len) {
		l->stats.rx_dropped++;
		return;
	}
	l->stats.rx_frames++;
	l->stats.rx_bytes += h->caplen;
	c->fn(c->arg, bytes, h->caplen);
}

static void
pcap_read_stats(struct pcap_link *pl, ws_time_t now)
{
	struct pcap_stat ps;

	pl->stats_at = now;
	if (pcap_stats(pl->pc, &ps) == 0)
		pl->link.stats.rx_dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

static int
pcap_link_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct pcap_link *pl = to_pcap(l);
	struct pcap_rx c = { pl, fn, arg };
	int n;

	if (now - pl->stats_at >= PCAP_STATS_INTERVAL_US || now < pl->stats_at)
		pcap_read_stats(pl, now);
	if (max == 0)
		return 0;
	/* pcap_dispatch() treats a count <= 0 as "everything". */
	n = pcap_dispatch(pl->pc, max > INT32_MAX ? INT32_MAX : (int)max,
	    pcap_rx_cb, (u_char *)&c);
	if (n == PCAP_ERROR)
		return WS_EIO;
	if (n < 0) /* PCAP_ERROR_BREAK: nobody calls pcap_breakloop() */
		return 0;
	return n;
}

static unsigned pcap_link_send_batch(struct ws_link *,
    ws_time_t, const struct ws_link_frame *, unsigned);

static int
pcap_link_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct pcap_link *pl = to_pcap(l);

	(void)now;
	if (len < ETHER_HDR_LEN)
		return WS_EINVAL;
	if (len > (size_t)l->mtu + ETHER_HDR_LEN)
		return WS_EMSGSIZE;
	/* One socket for everything when we have ours: frames stay in order. */
	if (pl->vnet)
		return pcap_link_send_batch(l, now, &(struct ws_link_frame){
		    .data = frame, .len = len }, 1) == 0 ? 0 : WS_ENOBUFS;
	if (pl->txfd >= 0 ? send(pl->txfd, frame, len, 0) < 0 :
	    libnet_adv_write_link(pl->ln, frame, (uint32_t)len) < 0) {
		switch (errno) {
		case EAGAIN:
		case ENOBUFS:
			/* The qdisc or socket buffer is full: like a lost frame. */
			return WS_ENOBUFS;
		case EMSGSIZE:
			return WS_EMSGSIZE;
		case ENOMEM:
			return WS_ENOMEM;
		default:
			return WS_EIO;
		}
	}
	l->stats.tx_frames++;
	l->stats.tx_bytes += len;
	return 0;
}

/* Frames per sendmmsg() call. */
#define PCAP_TX_BATCH 64

/*
 * The virtio_net_hdr in front of a frame on a PACKET_VNET_HDR socket.  For
 * a super-segment it asks the kernel to segment (software GSO when the
 * device cannot) and to finish each segment's TCP checksum from the
 * pseudo-header sum the stack left in the field.  false: the frame is not
 * a super-segment we can describe.
 */
static bool
vnet_hdr_fill(struct virtio_net_hdr *vh, const struct ws_link_frame *f)
{
	struct link_gso_hdrs h;

	memset(vh, 0, sizeof(*vh));
	if (f->gso_size == 0)
		return true; /* complete frame, checksums done */
	if (link_gso_parse(f, WS_MEDIUM_ETHERNET, &h) != 0)
		return false;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = (uint16_t)h.len;
	vh->gso_size = f->gso_size;
	vh->csum_start = (uint16_t)h.l4;
	vh->csum_offset = 16; /* the TCP checksum field */
	return true;
}

static unsigned
pcap_link_send_batch(struct ws_link *l, ws_time_t now,
    const struct ws_link_frame *frames, unsigned n)
{
	struct pcap_link *pl = to_pcap(l);
	struct mmsghdr msg[PCAP_TX_BATCH];
	struct iovec iov[PCAP_TX_BATCH][2];
	struct virtio_net_hdr vh[PCAP_TX_BATCH];
	unsigned failed = 0, i = 0;

	if (pl->txfd < 0) {
		for (i = 0; i < n; i++)
			if (pcap_link_send(l, now, frames[i].data,
			    frames[i].len) != 0)
				failed++;
		return failed;
	}
	while (i < n) {
		unsigned k = 0, j;
		int r;

		/* Gather up to a batch of well-formed frames. */
		while (i < n && k < PCAP_TX_BATCH) {
			const struct ws_link_frame *f = &frames[i++];
			size_t max = f->gso_size != 0 && pl->vnet ?
			    (size_t)l->gso_max + ETHER_HDR_LEN :
			    (size_t)l->mtu + ETHER_HDR_LEN;
			int v = pl->vnet ? 1 : 0;

			if (f->len < ETHER_HDR_LEN || f->len > max ||
			    (pl->vnet && !vnet_hdr_fill(&vh[k], f))) {
				failed++;
				continue;
			}
			iov[k][0].iov_base = &vh[k];
			iov[k][0].iov_len = sizeof(vh[k]);
			iov[k][v].iov_base = (void *)(uintptr_t)f->data;
			iov[k][v].iov_len = f->len;
			memset(&msg[k], 0, sizeof(msg[k]));
			msg[k].msg_hdr.msg_iov = iov[k];
			msg[k].msg_hdr.msg_iovlen = (size_t)v + 1;
			k++;
		}
		for (j = 0; j < k;) {
			r = sendmmsg(pl->txfd, &msg[j], k - j, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				/* The qdisc or socket buffer is full (or
				 * worse): this frame is lost, go on. */
				if (r < 0 && pl->vnet && (errno == EINVAL ||
				    errno == EOPNOTSUPP || errno == EMSGSIZE) &&
				    vh[j].gso_type != VIRTIO_NET_HDR_GSO_NONE) {
					/*
					 * The kernel or driver refuses
					 * super-segments: stop making them.
					 * TCP resends this one as ordinary
					 * segments.
					 */
					l->gso_max = 0;
				}
				failed++;
				j++;
				continue;
			}
			for (int m = 0; m < r; m++) {
				const struct iovec *fi =
				    &iov[j + (unsigned)m][pl->vnet ? 1 : 0];

				l->stats.tx_frames++;
				l->stats.tx_bytes += fi->iov_len;
			}
			j += (unsigned)r;
		}
	}
	return failed;
}

static int
pcap_link_fd(struct ws_link *l)
{
	return to_pcap(l)->fd;
}

static void
pcap_link_close(struct ws_link *l)
{
	struct pcap_link *pl = to_pcap(l);

	if (pl->pc != NULL)
		pcap_close(pl->pc);
	if (pl->ln != NULL)
		libnet_destroy(pl->ln);
	if (pl->txfd >= 0)
		close(pl->txfd);
	free(pl);
}

static const struct ws_link_ops pcap_link_ops = {
	.kind = "pcap",
	.recv = pcap_link_recv,
	.send = pcap_link_send,
	.send_batch = pcap_link_send_batch,
	.fd = pcap_link_fd,
	.next_deadline = NULL,
	.close = pcap_link_close,
};

/* The interface's MAC and MTU, through ioctl (no privileges needed). */
static int
if_query(const char *ifname, uint8_t mac[6], uint32_t *mtu, char *errbuf,
    size_t errlen)
{
	struct ifreq ifr;
	int s, error = 0;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		link_seterr(errbuf, errlen, "socket: %s", strerror(errno));
		return WS_EIO;
	}
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		if (errno == ENODEV || errno == ENXIO) {
			link_seterr(errbuf, errlen, "no such interface %s", ifname);
			error = WS_ENODEV;
		} else {
			link_seterr(errbuf, errlen, "%s: SIOCGIFHWADDR: %s", ifname,
			    strerror(errno));
			error = WS_EIO;
		}
		goto out;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		link_seterr(errbuf, errlen, "%s is not an Ethernet interface "
		    "(hardware type %u)", ifname,
		    (unsigned)ifr.ifr_hwaddr.sa_family);
		error = WS_EINVAL;
		goto out;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name) - 1);
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		link_seterr(errbuf, errlen, "%s: SIOCGIFMTU: %s", ifname,
		    strerror(errno));
		error = WS_EIO;
		goto out;
	}
	*mtu = (uint32_t)ifr.ifr_mtu;
out:
	close(s);
	return error;
}

/* Map pcap_activate()'s result; warnings (> 0) are not failures. */
static int
activate_error(pcap_t *pc, int rc, const char *ifname, char *errbuf,
    size_t errlen)
{
	/* Some libpcap versions report a refused socket() as PCAP_ERROR. */
	if (rc == PCAP_ERROR && (errno == EPERM || errno == EACCES))
		rc = PCAP_ERROR_PERM_DENIED;
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		link_seterr(errbuf, errlen, "%s: permission denied capturing: %s",
		    ifname, PERM_HINT);
		return WS_EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		link_seterr(errbuf, errlen, "no such interface %s", ifname);
		return WS_ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		link_seterr(errbuf, errlen, "interface %s is down: ip link set %s up",
		    ifname, ifname);
		return WS_EIO;
	default:
		link_seterr(errbuf, errlen, "%s: pcap_activate: %s", ifname,
		    pcap_geterr(pc));
		return WS_EIO;
	}
}

static int
pcap_setup(struct pcap_link *pl, const struct ws_link_pcap_config *cfg,
    const uint8_t ifmac[6], char *errbuf, size_t errlen)
{
	char pcerr[PCAP_ERRBUF_SIZE] = "";
	char filter[96];
	struct bpf_program prog;
	const uint8_t *m = pl->link.hwaddr;
	const char *ifname = cfg->ifname;
	int snaplen, bufsize, rc, one = 1;

	if ((pl->pc = pcap_create(ifname, pcerr)) == NULL) {
		link_seterr(errbuf, errlen, "%s: pcap_create: %s", ifname, pcerr);
		return WS_EIO;
	}
	snaplen = cfg->snaplen > 0 ? cfg->snaplen :
	    (int)pl->link.mtu + ETHER_HDR_LEN;
	bufsize = cfg->buffer_size > 0 ? cfg->buffer_size : PCAP_DEFAULT_BUFFER;
	if (pcap_set_snaplen(pl->pc, snaplen) != 0 ||
	    pcap_set_immediate_mode(pl->pc, 1) != 0 ||
	    pcap_set_buffer_size(pl->pc, bufsize) != 0 ||
	    pcap_set_promisc(pl->pc, memcmp(m, ifmac, 6) != 0 ||
	    (cfg->flags & WS_LINK_PCAP_ALL)) != 0) {
		link_seterr(errbuf, errlen, "%s: setting capture options failed",
		    ifname);
		return WS_EIO;
	}
	errno = 0;
	if ((rc = pcap_activate(pl->pc)) < 0)
		return activate_error(pl->pc, rc, ifname, errbuf, errlen);
	if (pcap_datalink(pl->pc) != DLT_EN10MB) {
		link_seterr(errbuf, errlen, "%s: link type %s is not Ethernet", ifname,
		    pcap_datalink_val_to_name(pcap_datalink(pl->pc)));
		return WS_EINVAL;
	}
	if (pcap_setnonblock(pl->pc, 1, pcerr) != 0) {
		link_seterr(errbuf, errlen, "%s: pcap_setnonblock: %s", ifname, pcerr);
		return WS_EIO;
	}
	/*
	 * Inbound only: frames we send must never come back up (our own
	 * gratuitous ARP would look like an address conflict).
	 */
	if (pcap_setdirection(pl->pc, PCAP_D_IN) != 0) {
		link_seterr(errbuf, errlen, "%s: pcap_setdirection: %s", ifname,
		    pcap_geterr(pl->pc));
		return WS_EIO;
	}
	/*
	 * pcap_setdirection() filters in user space after the copy; this
	 * stops the kernel copying our output at all.  Older kernels lack
	 * it (ENOPROTOOPT), which costs speed but not correctness.
	 */
	(void)setsockopt(pcap_fileno(pl->pc), SOL_PACKET,
	    PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (cfg->flags & WS_LINK_PCAP_ALL)
		snprintf(filter, sizeof(filter), "%s", "");
	else
		snprintf(filter, sizeof(filter),
		    "ether dst %02x:%02x:%02x:%02x:%02x:%02x or ether "
		    "broadcast", m[0], m[1], m[2], m[3], m[4], m[5]);
	if (pcap_compile(pl->pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		link_seterr(errbuf, errlen, "%s: pcap_compile \"%s\": %s", ifname,
		    filter, pcap_geterr(pl->pc));
		return WS_EIO;
	}
	rc = pcap_setfilter(pl->pc, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		link_seterr(errbuf, errlen, "%s: pcap_setfilter: %s", ifname,
		    pcap_geterr(pl->pc));
		return WS_EIO;
	}
	if ((pl->fd = pcap_get_selectable_fd(pl->pc)) < 0) {
		link_seterr(errbuf, errlen, "%s: no selectable descriptor", ifname);
		return WS_EIO;
	}
	return 0;
}

static int
libnet_setup(struct pcap_link *pl, const char *ifname, char *errbuf,
    size_t errlen)
{
	char lnerr[LIBNET_ERRBUF_SIZE] = "";

	errno = 0;
	pl->ln = libnet_init(LIBNET_LINK_ADV, ifname, lnerr);
	if (pl->ln != NULL) {
		/*
		 * libnet's socket is opened for ETH_P_ALL: the kernel would
		 * queue every frame arriving on the interface to it, and
		 * nobody reads it.  A filter that accepts nothing keeps it
		 * empty (and cheap); outgoing frames are not its business.
		 */
		static struct sock_filter none[] = {
			{ 0x06, 0, 0, 0 },      /* ret #0 */
		};
		struct sock_fprog prog = { 1, none };
		int fd = libnet_getfd(pl->ln), one = 1;

		(void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		    sizeof(prog));
		(void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		    sizeof(one));
		return 0;
	}
	if (errno == EPERM || errno == EACCES) {
		link_seterr(errbuf, errlen, "%s: permission denied injecting: %s",
		    ifname, PERM_HINT);
		return WS_EPERM;
	}
	if (errno == ENODEV || errno == ENXIO) {
		link_seterr(errbuf, errlen, "no such interface %s", ifname);
		return WS_ENODEV;
	}
	link_seterr(errbuf, errlen, "%s: libnet_init: %s", ifname, lnerr);
	return errno == ENOMEM ? WS_ENOMEM : WS_EIO;
}

/*
 * The sendmmsg socket.  Failing to make it is not an error: every frame
 * then goes through libnet.
 */
static void
txsock_setup(struct pcap_link *pl, const char *ifname, unsigned flags)
{
	const char *env = getenv("WIRESTACK_PCAP_TX");
	struct sockaddr_ll sll;
	unsigned idx;
	int s;

	pl->txfd = -1;
	if (env != NULL && strcmp(env, "libnet") == 0)
		return;
	if ((idx = if_nametoindex(ifname)) == 0)
		return;
	/* Protocol 0: a send-only socket, nothing is queued to it. */
	if ((s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) < 0)
		return;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)idx;
	sll.sll_protocol = 0;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		close(s);
		return;
	}
	pl->txfd = s;
	/*
	 * Segmentation offload: with a virtio_net_hdr on each frame the
	 * kernel takes TCP super-segments and cuts them (in software when
	 * the device has no TSO), one system call and one pass through the
	 * qdisc for up to 64 KB instead of one per frame.  Measured in the
	 * README (Performance).  WIRESTACK_PCAP_GSO=0 turns it off.
	 */
	env = getenv("WIRESTACK_PCAP_GSO");
	if (!(flags & WS_LINK_PCAP_NO_GSO) &&
	    (env == NULL || strcmp(env, "0") != 0) &&
	    setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &(int){ 1 },
	    sizeof(int)) == 0) {
		pl->vnet = true;
		pl->link.gso_max = 65535;
	}
	/* libnet is not needed any more (it was the permission check). */
	libnet_destroy(pl->ln);
	pl->ln = NULL;
}

WS_EXPORT int
ws_link_pcap_open(struct ws_link **out, const struct ws_link_pcap_config *cfg,
    char *errbuf, size_t errlen)
{
	struct pcap_link *pl;
	uint8_t ifmac[6];
	uint32_t mtu;
	int error;

	*out = NULL;
	if (cfg == NULL || cfg->ifname == NULL || cfg->ifname[0] == '\0') {
		link_seterr(errbuf, errlen, "no interface name given");
		return WS_EINVAL;
	}
	if (strlen(cfg->ifname) >= IFNAMSIZ) {
		link_seterr(errbuf, errlen, "no such interface %s (name too long)",
		    cfg->ifname);
		return WS_ENODEV;
	}
	if ((error = if_query(cfg->ifname, ifmac, &mtu, errbuf, errlen)) != 0)
		return error;
	if ((pl = calloc(1, sizeof(*pl))) == NULL) {
		link_seterr(errbuf, errlen, "out of memory");
		return WS_ENOMEM;
	}
	pl->fd = -1;
	pl->txfd = -1;
	pl->link.ops = &pcap_link_ops;
	pl->link.medium = WS_MEDIUM_ETHERNET;
	memcpy(pl->link.hwaddr, cfg->hwaddr != NULL ? cfg->hwaddr : ifmac, 6);
	pl->link.mtu = mtu;
	snprintf(pl->link.name, sizeof(pl->link.name), "%s", cfg->ifname);
	if ((error = pcap_setup(pl, cfg, ifmac, errbuf, errlen)) != 0 ||
	    (error = libnet_setup(pl, cfg->ifname, errbuf, errlen)) != 0) {
		pcap_link_close(&pl->link);
		return error;
	}
	txsock_setup(pl, cfg->ifname, cfg->flags);
	*out = &pl->link;
	return 0;
}

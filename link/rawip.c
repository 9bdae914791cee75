/*
 * Raw IPv4 device (medium IP, no ARP) for loopback mode.
 *
 * Two sockets: an IPPROTO_RAW socket sends whole datagrams we built
 * (IP_HDRINCL), addressed to the datagram's own destination; an
 * IPPROTO_TCP raw socket receives.  The kernel gives a raw TCP socket a
 * copy of every TCP datagram of the host, ours included (they loop back),
 * so a classic BPF program keeps the kernel from copying the ones that
 * are not for us, and the same test runs again in user space, because
 * datagrams may queue between socket() and SO_ATTACH_FILTER and because
 * the filter is an optimisation that may fail to attach.
 */
/* recvmmsg(2) */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/cksum.h"
#include "core/endian.h"
#include "core/stack_var.h"
#include "link/link_var.h"
#include "link/rawip_var.h"

#define RAWIP_DEFAULT_MTU 1500
#define RAWIP_LOOPBACK 0x7f000001u
/* Datagrams read per recvmmsg(); each slot holds the largest datagram. */
#define RAWIP_BATCH 16
#define RAWIP_SLOT 65536
#define RAWIP_RCVBUF (4 * 1024 * 1024)

#define IP4_HDR_MIN 20
#define IP4_OFF_LEN 2
#define IP4_OFF_FRAG 6
#define IP4_OFF_PROTO 9
#define IP4_OFF_SRC 12
#define IP4_OFF_DST 16
#define IP4_FRAG_OFFMASK 0x1fff

#define PERM_HINT "run with sudo, or: sudo setcap " \
	"cap_net_raw,cap_net_admin+ep <program>"

struct rawip_link {
	struct ws_link link;      /* must be first */
	int sfd;                  /* IPPROTO_RAW, sends */
	int rfd;                  /* IPPROTO_TCP, receives */
	uint32_t local_addr;      /* host order */
	uint16_t local_port, remote_port;
	uint8_t *slots;           /* RAWIP_BATCH * RAWIP_SLOT bytes */
	struct mmsghdr msgs[RAWIP_BATCH];
	struct iovec iov[RAWIP_BATCH];
};

static struct rawip_link *
to_rawip(struct ws_link *l)
{
	return (struct rawip_link *)l;
}

bool
rawip_accept(uint32_t local_addr, uint16_t lport, uint16_t rport,
    const uint8_t *dgram, size_t len)
{
	size_t hlen, tlen;

	if (len < IP4_HDR_MIN || (dgram[0] >> 4) != 4)
		return false;
	hlen = (size_t)(dgram[0] & 0x0f) * 4;
	tlen = be16_load(dgram + IP4_OFF_LEN);
	if (hlen < IP4_HDR_MIN || tlen < hlen || tlen > len)
		return false;
	if (dgram[IP4_OFF_PROTO] != IPPROTO_TCP ||
	    be32_load(dgram + IP4_OFF_DST) != local_addr)
		return false;
	/* A later fragment carries no ports (the kernel reassembles first). */
	if ((be16_load(dgram + IP4_OFF_FRAG) & IP4_FRAG_OFFMASK) != 0)
		return false;
	if (tlen - hlen < 4)
		return false;
	if (rport != 0 && be16_load(dgram + hlen) != rport)
		return false;
	if (lport != 0 && be16_load(dgram + hlen + 2) != lport)
		return false;
	return true;
}

unsigned
rawip_filter_build(struct sock_filter *prog, uint32_t local_addr,
    uint16_t lport, uint16_t rport)
{
	/* Instructions that jump to "drop" when false, patched at the end. */
	unsigned tofix[RAWIP_FILTER_MAX], nfix = 0, n = 0;

#define EMIT(c, t, f, k) (prog[n++] = (struct sock_filter){ (c), (t), (f), (k) })
#define EMIT_EQ_OR_DROP(k) \
	do { \
		tofix[nfix++] = n; \
		EMIT(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (k)); \
	} while (0)

	/* Version 4 (the kernel has already checked the lengths). */
	EMIT(BPF_LD | BPF_B | BPF_ABS, 0, 0, 0);
	EMIT(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xf0);
	EMIT_EQ_OR_DROP(0x40);
	EMIT(BPF_LD | BPF_B | BPF_ABS, 0, 0, IP4_OFF_PROTO);
	EMIT_EQ_OR_DROP(IPPROTO_TCP);
	EMIT(BPF_LD | BPF_W | BPF_ABS, 0, 0, IP4_OFF_DST);
	EMIT_EQ_OR_DROP(local_addr);
	/* No ports in a later fragment: jset to drop. */
	EMIT(BPF_LD | BPF_H | BPF_ABS, 0, 0, IP4_OFF_FRAG);
	tofix[nfix++] = n;
	EMIT(BPF_JMP | BPF_JSET | BPF_K, 0, 0, IP4_FRAG_OFFMASK);
	if (lport != 0 || rport != 0) {
		/* X = header length; a load past the end returns 0 (drop). */
		EMIT(BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0);
		if (rport != 0) {
			EMIT(BPF_LD | BPF_H | BPF_IND, 0, 0, 0);
			EMIT_EQ_OR_DROP(rport);
		}
		if (lport != 0) {
			EMIT(BPF_LD | BPF_H | BPF_IND, 0, 0, 2);
			EMIT_EQ_OR_DROP(lport);
		}
	}
	/* Accept the whole datagram (the value caps the length kept). */
	EMIT(BPF_RET | BPF_K, 0, 0, 0x40000);
	EMIT(BPF_RET | BPF_K, 0, 0, 0);
	for (unsigned i = 0; i < nfix; i++) {
		unsigned at = tofix[i];
		uint8_t off = (uint8_t)(n - 1 - (at + 1));

		if (BPF_OP(prog[at].code) == BPF_JSET)
			prog[at].jt = off;  /* bits set: drop */
		else
			prog[at].jf = off;  /* not equal: drop */
	}
#undef EMIT_EQ_OR_DROP
#undef EMIT
	return n;
}

static int
rawip_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	struct rawip_link *r = to_rawip(l);
	struct sockaddr_in sin;

	(void)now;
	if (len < IP4_HDR_MIN || (frame[0] >> 4) != 4)
		return WS_EINVAL;
	if (len > l->mtu)
		return WS_EMSGSIZE;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	/* Bytes 16..19 are already in network order. */
	memcpy(&sin.sin_addr.s_addr, frame + IP4_OFF_DST, 4);
	if (sendto(r->sfd, frame, len, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return WS_ENOBUFS;
		/* WS_E* codes are -errno (EPERM here means a firewall drop). */
		return -errno;
	}
	l->stats.tx_frames++;
	l->stats.tx_bytes += len;
	return 0;
}

/*
 * On lo the kernel leaves the TCP checksum of the segments it sends
 * unfinished (CHECKSUM_PARTIAL; lo's checksum offload cannot be turned
 * off), and a raw socket hands them over as they are, so every segment
 * from a kernel socket would fail TCP's check.  Nothing on lo can corrupt
 * a datagram, so for 127/8 we complete the checksum ourselves and TCP
 * verifies as usual.  Runs after rawip_accept(): the lengths are sound.
 */
static void
rawip_fix_lo_cksum(uint8_t *dgram)
{
	size_t hlen = (size_t)(dgram[0] & 0x0f) * 4;
	size_t tlen = be16_load(dgram + IP4_OFF_LEN);
	uint32_t sum;

	if (tlen - hlen < 18)
		return; /* too short to hold the checksum field; TCP drops it */
	be16_store(dgram + hlen + 16, 0);
	sum = cksum_pseudo(be32_load(dgram + IP4_OFF_SRC),
	    be32_load(dgram + IP4_OFF_DST), IPPROTO_TCP,
	    (uint16_t)(tlen - hlen));
	sum = cksum_add(sum, dgram + hlen, tlen - hlen);
	be16_store(dgram + hlen + 16, cksum_finish(sum));
}

static int
rawip_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	struct rawip_link *r = to_rawip(l);
	unsigned delivered = 0;

	(void)now;
	while (delivered < max) {
		unsigned want = max - delivered;
		int got;

		if (want > RAWIP_BATCH)
			want = RAWIP_BATCH;
		for (unsigned i = 0; i < want; i++) {
			r->iov[i].iov_base = r->slots + (size_t)i * RAWIP_SLOT;
			r->iov[i].iov_len = RAWIP_SLOT;
			memset(&r->msgs[i], 0, sizeof(r->msgs[i]));
			r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
			r->msgs[i].msg_hdr.msg_iovlen = 1;
		}
		got = recvmmsg(r->rfd, r->msgs, want, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			return delivered > 0 ? (int)delivered : -errno;
		}
		for (int i = 0; i < got; i++) {
			uint8_t *b = r->iov[i].iov_base;
			size_t len = r->msgs[i].msg_len;

			if (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				l->stats.rx_dropped++;
				continue;
			}
			if (!rawip_accept(r->local_addr, r->local_port,
			    r->remote_port, b, len))
				continue;
			if ((r->local_addr >> 24) == 127)
				rawip_fix_lo_cksum(b);
			l->stats.rx_frames++;
			l->stats.rx_bytes += len;
			delivered++;
			fn(arg, b, len);
		}
		/* A short batch means the socket is empty. */
		if ((unsigned)got < want)
			break;
	}
	return (int)delivered;
}

static int
rawip_fd(struct ws_link *l)
{
	return to_rawip(l)->rfd;
}

static void
rawip_close(struct ws_link *l)
{
	struct rawip_link *r = to_rawip(l);

	if (r->sfd >= 0)
		close(r->sfd);
	if (r->rfd >= 0)
		close(r->rfd);
	free(r->slots);
	free(r);
}

static const struct ws_link_ops rawip_ops = {
	.kind = "rawip",
	.recv = rawip_recv,
	.send = rawip_send,
	.fd = rawip_fd,
	.next_deadline = NULL,
	.close = rawip_close,
};

static int
sock_error(int err, const char *what, char *errbuf, size_t errlen)
{
	if (err == EPERM || err == EACCES) {
		link_seterr(errbuf, errlen, "raw IPv4: %s: permission denied: %s",
		    what, PERM_HINT);
		return WS_EPERM;
	}
	link_seterr(errbuf, errlen, "raw IPv4: %s: %s", what, strerror(err));
	return err == ENOMEM || err == ENOBUFS ? WS_ENOMEM : WS_EIO;
}

static int
rawip_setup(struct rawip_link *r, const struct ws_link_rawip_config *cfg,
    char *errbuf, size_t errlen)
{
	struct sock_filter insns[RAWIP_FILTER_MAX];
	struct sock_fprog fprog;
	int one = 1, rcvbuf = RAWIP_RCVBUF;

	r->sfd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_RAW);
	if (r->sfd < 0)
		return sock_error(errno, "socket(IPPROTO_RAW)", errbuf, errlen);
	/* Implied by IPPROTO_RAW; said explicitly so it cannot be lost. */
	if (setsockopt(r->sfd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
		return sock_error(errno, "IP_HDRINCL", errbuf, errlen);
	if (cfg->mark != 0 && setsockopt(r->sfd, SOL_SOCKET, SO_MARK,
	    &cfg->mark, sizeof(cfg->mark)) < 0)
		return sock_error(errno, "SO_MARK", errbuf, errlen);

	r->rfd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_TCP);
	if (r->rfd < 0)
		return sock_error(errno, "socket(IPPROTO_TCP)", errbuf, errlen);
	fprog.len = (unsigned short)rawip_filter_build(insns, r->local_addr,
	    r->local_port, r->remote_port);
	fprog.filter = insns;
	/* Best effort: rawip_accept() applies the same test anyway. */
	(void)setsockopt(r->rfd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog,
	    sizeof(fprog));
	/* A bigger queue absorbs bursts; FORCE works when privileged. */
	if (setsockopt(r->rfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(r->rfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	return 0;
}

WS_EXPORT int
ws_link_rawip_open(struct ws_link **out,
    const struct ws_link_rawip_config *cfg, char *errbuf, size_t errlen)
{
	struct ws_link_rawip_config none = { 0 };
	struct rawip_link *r;
	int error;

	*out = NULL;
	if (cfg == NULL)
		cfg = &none;
	if (cfg->mtu != 0 && (cfg->mtu < 68 || cfg->mtu > 65535)) {
		link_seterr(errbuf, errlen, "raw IPv4: MTU %u out of range 68..65535",
		    cfg->mtu);
		return WS_EINVAL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		link_seterr(errbuf, errlen, "raw IPv4: out of memory");
		return WS_ENOMEM;
	}
	r->sfd = r->rfd = -1;
	r->local_addr = cfg->local_addr != 0 ? cfg->local_addr : RAWIP_LOOPBACK;
	r->local_port = cfg->local_port;
	r->remote_port = cfg->remote_port;
	r->link.ops = &rawip_ops;
	r->link.medium = WS_MEDIUM_IP;
	r->link.mtu = cfg->mtu != 0 ? cfg->mtu : RAWIP_DEFAULT_MTU;
	snprintf(r->link.name, sizeof(r->link.name), "rawip");
	if ((r->slots = malloc((size_t)RAWIP_BATCH * RAWIP_SLOT)) == NULL) {
		rawip_close(&r->link);
		link_seterr(errbuf, errlen, "raw IPv4: out of memory");
		return WS_ENOMEM;
	}
	if ((error = rawip_setup(r, cfg, errbuf, errlen)) != 0) {
		rawip_close(&r->link);
		return error;
	}
	*out = &r->link;
	return 0;
}

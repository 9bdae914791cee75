/*
 * wirestack: TCP sockets.
 *
 * Non-blocking sockets on a stack.  Calls never wait; they return
 * WS_EAGAIN when they would, and readiness is reported by ws_tcp_events()
 * (and by the optional event callback) after each ws_stack_poll().  The
 * blocking convenience calls in loop.h build on these.
 *
 * Lifetime: a socket handle stays valid until ws_tcp_close() or
 * ws_tcp_abort().  After ws_tcp_close() the stack finishes the connection
 * (FIN, TIME_WAIT) on its own and frees it; the handle must not be used.
 */
#ifndef WIRESTACK_TCP_H
#define WIRESTACK_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <wirestack/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ws_tcp;

/* Readiness bits returned by ws_tcp_events(). */
#define WS_TCP_READABLE 0x01 /* data, EOF, or (listener) a connection waits */
#define WS_TCP_WRITABLE 0x02 /* send buffer has room (connection established) */
#define WS_TCP_CLOSED 0x04   /* the peer closed its side (EOF after data) */
#define WS_TCP_ERROR 0x08    /* an error is pending: see ws_tcp_error() */
#define WS_TCP_CONNECTED 0x10 /* the handshake completed */
#define WS_TCP_URGENT 0x20   /* urgent data is pending: see ws_tcp_urgent() */
#define WS_TCP_SOFTERR 0x40  /* a soft error was noted: ws_tcp_soft_error() */

typedef void (*ws_tcp_event_fn)(struct ws_tcp *s, unsigned events, void *arg);

/* Options for ws_tcp_setopt(). */
enum ws_tcp_opt {
	WS_TCP_NODELAY = 1,   /* 1: disable Nagle */
	WS_TCP_SNDBUF,        /* bytes; before connect/listen */
	WS_TCP_RCVBUF,        /* bytes; before connect/listen */
	WS_TCP_CC,            /* WS_TCP_CC_NEWRENO or WS_TCP_CC_CUBIC */
	WS_TCP_KEEPALIVE,     /* 1: send keep-alive probes */
	WS_TCP_KEEPIDLE,      /* seconds idle before the first probe */
	WS_TCP_KEEPINTVL,     /* seconds between probes */
	WS_TCP_KEEPCNT,       /* unanswered probes before giving up */
	WS_TCP_SACK,          /* 1 (default): offer SACK */
	WS_TCP_WSCALE,        /* 1 (default): offer window scaling */
	WS_TCP_TIMESTAMPS,    /* 1 (default): offer timestamps */
	WS_TCP_MAXSEG,        /* clamp our MSS */
	WS_TCP_RACK,          /* 1 (default): RACK-TLP loss detection (RFC
	                         8985) when SACK is used; 0: RFC 6675 only */
	WS_TCP_USER_TIMEOUT,  /* ms data (or a SYN) may stay unacknowledged
	                         before WS_ETIMEDOUT; 0 (default): the
	                         retry limits (RFC 5482, Linux
	                         TCP_USER_TIMEOUT) */
	WS_TCP_SOFTERRORS,    /* 1 (default): note soft errors for
	                         ws_tcp_soft_error(); 0: do not */
	WS_TCP_TOS,           /* IP TOS byte (DS field, RFC 2474) of our
	                         segments, 0-255; the ECN bits are ours
	                         (ECT(0) on data when ECN is on); at any
	                         time */
	WS_TCP_TTL,           /* IP TTL of our segments, 1-255; 0: the
	                         default (64); at any time */
	WS_TCP_HYSTART,       /* 1 (default): HyStart++ (RFC 9406) ends the
	                         first slow start on a delay increase; 0: off */
	WS_TCP_ECN,           /* ECN (RFC 3168): WS_TCP_ECN_* ; before
	                         connect/listen */
};

#define WS_TCP_ECN_OFF 0      /* never: plain SYNs, SYN-ACKs without ECE */
#define WS_TCP_ECN_ON 1       /* ask for it in our SYNs, accept it */
#define WS_TCP_ECN_PASSIVE 2  /* accept an ECN-setup SYN, never ask (the
                                 default, Linux's tcp_ecn=2) */

#define WS_TCP_CC_NEWRENO 0   /* RFC 5681, RFC 6582 */
#define WS_TCP_CC_CUBIC 1     /* RFC 9438 (the default) */

enum ws_tcp_state {
	WS_TCPS_CLOSED, WS_TCPS_LISTEN, WS_TCPS_SYN_SENT, WS_TCPS_SYN_RECEIVED,
	WS_TCPS_ESTABLISHED, WS_TCPS_CLOSE_WAIT, WS_TCPS_FIN_WAIT_1,
	WS_TCPS_CLOSING, WS_TCPS_LAST_ACK, WS_TCPS_FIN_WAIT_2,
	WS_TCPS_TIME_WAIT,
};

/* What ss -ti shows, for one connection. */
struct ws_tcp_info {
	enum ws_tcp_state state;
	uint32_t local_addr, remote_addr;
	uint16_t local_port, remote_port;
	uint32_t rtt_us, rttvar_us, rto_us;
	uint32_t snd_mss, rcv_mss;
	uint32_t snd_cwnd, snd_ssthresh; /* bytes */
	uint32_t snd_wnd, rcv_wnd;       /* bytes, unscaled */
	uint8_t snd_wscale, rcv_wscale;
	uint8_t sack_ok, ts_ok;
	uint32_t unacked;                /* bytes in flight */
	uint64_t bytes_sent, bytes_acked, bytes_received;
	uint64_t retransmits;            /* segments retransmitted */
	uint64_t rtos;                   /* retransmission timeouts */
	/* Loss recovery (appended; see struct ws_tcp_stats for the stack). */
	uint8_t cc;                      /* WS_TCP_CC_* in use */
	uint8_t rack;                    /* RACK-TLP in use */
	uint8_t reordering;              /* RACK saw reordering */
	uint8_t in_recovery;             /* 1 fast (SACK/NewReno), 2 RTO */
	uint32_t pipe;                   /* RFC 6675 pipe, bytes */
	uint32_t sacked;                 /* bytes SACKed by the peer */
	uint32_t lost;                   /* bytes deemed lost */
	uint32_t reo_wnd_us;             /* RACK reordering window */
	uint64_t fast_retransmits;       /* recoveries by dup ACKs or RACK */
	uint64_t sack_recoveries;        /* of which SACK-based */
	uint64_t rack_detections;        /* segments RACK declared lost */
	uint64_t tlps;                   /* tail loss probes sent */
	uint64_t spurious_undos;         /* reductions undone by D-SACK */
	uint64_t dsacks;                 /* D-SACK blocks received */
};

/* Create an unconnected socket.  Errors: WS_ENOMEM. */
int ws_tcp_open(struct ws_stack *st, struct ws_tcp **out);

/* Set an option.  Errors: WS_EINVAL, WS_EISCONN (too late). */
int ws_tcp_setopt(struct ws_tcp *s, enum ws_tcp_opt opt, int value);

/* Listen on our address at `port` with at most `backlog` pending.
 * Errors: WS_EADDRINUSE, WS_EINVAL, WS_EISCONN. */
int ws_tcp_listen(struct ws_tcp *s, uint16_t port, int backlog);

/* Take a connection that completed its handshake.  Errors: WS_EAGAIN,
 * WS_EINVAL (not listening). */
int ws_tcp_accept(struct ws_tcp *listener, struct ws_tcp **out);

/*
 * Start an active open to addr:port from a random ephemeral port (or the
 * port given to ws_tcp_bind()).  Returns WS_EINPROGRESS; completion shows
 * as WS_TCP_CONNECTED | WS_TCP_WRITABLE, failure as WS_TCP_ERROR with
 * ws_tcp_error() = WS_ECONNREFUSED, WS_ETIMEDOUT, WS_EHOSTUNREACH or
 * WS_ENETUNREACH.
 * Errors: WS_EISCONN, WS_EADDRNOTAVAIL, WS_ENOMEM.
 */
int ws_tcp_connect(struct ws_tcp *s, uint32_t addr, uint16_t port);

/* Choose the local port before connect.  Errors: WS_EADDRINUSE. */
int ws_tcp_bind(struct ws_tcp *s, uint16_t port);

/* Queue up to len bytes; returns bytes taken (> 0), or WS_EAGAIN (buffer
 * full), WS_ENOTCONN, WS_EPIPE (after shutdown), or the pending error. */
ssize_t ws_tcp_send(struct ws_tcp *s, const void *buf, size_t len);

/*
 * Urgent data (RFC 9293 3.8.5).  Queue len > 0 bytes like ws_tcp_send()
 * and mark them as the end of the urgent data: the urgent pointer then
 * points just past the last byte taken.  The bytes stay in the stream
 * (the peer reads them in order, as with SO_OOBINLINE); what goes ahead
 * is the pointer, even into a closed window.  A partial write marks what
 * was taken; calling again with the rest moves the mark on.  Returns
 * bytes taken, or the errors of ws_tcp_send() and WS_EINVAL for len 0.
 */
ssize_t ws_tcp_send_urgent(struct ws_tcp *s, const void *buf, size_t len);

/*
 * Whether the peer has sent urgent data the application has not read
 * yet: 1, with *left = bytes to read up to and including the last
 * urgent byte (it may be more than has arrived so far); 0, with *left =
 * 0, when there is none.  WS_TCP_URGENT is set in the events while this
 * returns 1, and the callback runs whenever the urgent pointer moves
 * (left may be NULL).  BSD's mark (sockatmark()) is the last urgent
 * byte: after reading left - 1 bytes.  Errors: WS_ENOTCONN (listener).
 */
int ws_tcp_urgent(const struct ws_tcp *s, size_t *left);

/* Read up to len bytes; returns bytes read, 0 at end of stream, WS_EAGAIN
 * when nothing waits, or the pending error (WS_ECONNRESET, ...). */
ssize_t ws_tcp_recv(struct ws_tcp *s, void *buf, size_t len);

#define WS_SHUT_RD 0
#define WS_SHUT_WR 1
#define WS_SHUT_RDWR 2
/* Half-close: WS_SHUT_WR sends FIN after the queued data. */
int ws_tcp_shutdown(struct ws_tcp *s, int how);

/* Graceful close (FIN after queued data); releases the handle. */
int ws_tcp_close(struct ws_tcp *s);

/* Send RST, drop everything, release the handle. */
void ws_tcp_abort(struct ws_tcp *s);

/* Current readiness (WS_TCP_* bits). */
unsigned ws_tcp_events(const struct ws_tcp *s);

/* The pending asynchronous error (0 if none); reading it clears it. */
int ws_tcp_error(struct ws_tcp *s);

/*
 * The last soft error (0 if none); reading it clears it.  Soft errors do
 * not end the connection (RFC 1122 4.2.3.9, RFC 9293 MUST-47):
 * WS_ENETUNREACH, WS_EHOSTUNREACH or WS_ECONNREFUSED from an ICMP
 * Destination Unreachable, WS_EHOSTUNREACH from a Time Exceeded, and
 * WS_ETIMEDOUT when the retransmissions of one segment reach R1 (3).
 * Each sets WS_TCP_SOFTERR.  If the connection later times out,
 * ws_tcp_error() says WS_ETIMEDOUT and this still gives the cause.
 */
int ws_tcp_soft_error(struct ws_tcp *s);

/* Call fn whenever readiness may have changed (from inside poll/input). */
void ws_tcp_set_callback(struct ws_tcp *s, ws_tcp_event_fn fn, void *arg);

void *ws_tcp_userdata(const struct ws_tcp *s);
void ws_tcp_set_userdata(struct ws_tcp *s, void *data);

int ws_tcp_info(const struct ws_tcp *s, struct ws_tcp_info *info);

/* Bytes that can be sent / read right now. */
size_t ws_tcp_sendspace(const struct ws_tcp *s);
size_t ws_tcp_recvavail(const struct ws_tcp *s);

const char *ws_tcp_state_name(enum ws_tcp_state state);

#ifdef __cplusplus
}
#endif

#endif /* WIRESTACK_TCP_H */

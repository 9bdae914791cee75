/*
 * wirestack: error codes.
 *
 * Every call returns 0 (or a non-negative count) on success and a negative
 * WS_E* code on failure.  The codes equal -errno on this platform, as in
 * libuv, so they can be compared with errno values and printed with
 * ws_strerror().
 */
#ifndef WIRESTACK_ERR_H
#define WIRESTACK_ERR_H

#include <errno.h>

#define WS_EAGAIN (-EAGAIN)             /* would block; try again later */
#define WS_EINVAL (-EINVAL)             /* bad argument */
#define WS_ENOMEM (-ENOMEM)             /* allocation or a configured limit */
#define WS_EPERM (-EPERM)               /* needs privileges (sudo / setcap) */
#define WS_EACCES (-EACCES)             /* needs privileges (sudo / setcap) */
#define WS_ENODEV (-ENODEV)             /* no such network interface */
#define WS_EIO (-EIO)                   /* device failure */
#define WS_EADDRINUSE (-EADDRINUSE)     /* port or address already in use */
#define WS_EADDRNOTAVAIL (-EADDRNOTAVAIL) /* no ephemeral port / bad address */
#define WS_ECONNREFUSED (-ECONNREFUSED) /* peer answered SYN with RST */
#define WS_ECONNRESET (-ECONNRESET)     /* peer reset the connection */
#define WS_ECONNABORTED (-ECONNABORTED) /* connection aborted locally */
#define WS_ETIMEDOUT (-ETIMEDOUT)       /* retransmissions or keepalive gave up */
#define WS_EHOSTUNREACH (-EHOSTUNREACH) /* ARP resolution failed / ICMP */
#define WS_ENETUNREACH (-ENETUNREACH)   /* no route */
#define WS_ENOTCONN (-ENOTCONN)         /* not connected */
#define WS_EISCONN (-EISCONN)           /* already connected */
#define WS_EALREADY (-EALREADY)         /* connect already in progress */
#define WS_EINPROGRESS (-EINPROGRESS)   /* connect started, not finished */
#define WS_EPIPE (-EPIPE)               /* send after shutdown */
#define WS_EMSGSIZE (-EMSGSIZE)         /* frame larger than the MTU */
#define WS_ENOBUFS (-ENOBUFS)           /* a queue is full */
#define WS_EOPNOTSUPP (-EOPNOTSUPP)     /* operation not supported here */
#define WS_ENOENT (-ENOENT)             /* no such object */

#ifdef __cplusplus
extern "C" {
#endif

/* A readable sentence for a WS_E* code (never NULL). */
const char *ws_strerror(int err);

/* The symbolic name of a WS_E* code ("ECONNRESET"), or "UNKNOWN". */
const char *ws_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif /* WIRESTACK_ERR_H */

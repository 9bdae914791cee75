/*
 * wirestack: an optional driver loop for applications.
 *
 * The stack itself never sleeps or reads a clock; this module does both,
 * with poll(2) on the device's descriptor and the stack's next deadline as
 * the timeout, so an application can wait on the stack and its own
 * descriptors together.
 */
#ifndef WIRESTACK_LOOP_H
#define WIRESTACK_LOOP_H

#include <poll.h>

#include <wirestack/stack.h>
#include <wirestack/tcp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* CLOCK_MONOTONIC in microseconds. */
ws_time_t ws_clock_now(void);

/*
 * Wait until the device is readable, one of `fds` is ready, the stack's
 * next deadline passes, or timeout_ms elapses (-1: no limit of our own),
 * then run ws_stack_poll().  Returns the number of `fds` entries with
 * revents set (0 if none), or a WS_E* code.  EINTR returns 0.
 */
int ws_loop_wait(struct ws_stack *st, struct pollfd *fds, unsigned nfds,
    int timeout_ms);

/*
 * Blocking conveniences for small programs: run the loop until the socket
 * shows one of `events` (or an error), at most timeout_ms (-1: forever).
 * Returns the events seen, WS_ETIMEDOUT, or a WS_E* code.
 */
int ws_tcp_wait(struct ws_stack *st, struct ws_tcp *s, unsigned events,
    int timeout_ms);

/* Connect and wait for the handshake.  Errors as ws_tcp_connect() plus
 * the asynchronous ones. */
int ws_tcp_connect_wait(struct ws_stack *st, struct ws_tcp *s, uint32_t addr,
    uint16_t port, int timeout_ms);

/* Send all of buf, waiting for room.  Returns len or a WS_E* code. */
ssize_t ws_tcp_send_all(struct ws_stack *st, struct ws_tcp *s,
    const void *buf, size_t len, int timeout_ms);

/* Wait for at least one byte (or EOF) and read it. */
ssize_t ws_tcp_recv_wait(struct ws_stack *st, struct ws_tcp *s, void *buf,
    size_t len, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* WIRESTACK_LOOP_H */

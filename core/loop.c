/*
 * The optional driver: the only place in the library that reads a clock
 * or sleeps.  One iteration is: compute the timeout from the stack's next
 * deadline, poll(2) the device and the caller's descriptors, then run the
 * stack at the current time (after libuv's uv_run phases, reduced to what
 * one device and a timer need).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <time.h>

#include <wirestack/err.h>
#include <wirestack/loop.h>

#include "core/stack_var.h"

/* Cap on one wait, so the caller's own timeouts stay responsive. */
#define LOOP_MAX_WAIT_MS 1000
/* The pollfd array is on the C stack; callers pass a handful. */
#define LOOP_MAX_FDS 64

WS_EXPORT ws_time_t
ws_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ws_time_t)ts.tv_sec * WS_USEC_PER_SEC +
	    (ws_time_t)ts.tv_nsec / 1000;
}

/* Milliseconds until `deadline`, rounded up, clamped like libuv's
 * uv__next_timeout(). */
static int
ms_until(ws_time_t deadline, ws_time_t now)
{
	uint64_t us;

	if (deadline == WS_TIME_NEVER)
		return -1;
	if (deadline <= now)
		return 0;
	us = deadline - now;
	if (us / 1000 >= INT_MAX)
		return INT_MAX;
	return (int)((us + 999) / 1000);
}

WS_EXPORT int
ws_loop_wait(struct ws_stack *st, struct pollfd *fds, unsigned nfds,
    int timeout_ms)
{
	struct pollfd pfd[LOOP_MAX_FDS + 1];
	ws_time_t now = ws_clock_now();
	int timeout = ms_until(ws_stack_next_deadline(st), now);
	int devfd = ws_link_fd(st->link);
	int n, ready = 0;

	if (nfds > LOOP_MAX_FDS)
		return WS_EINVAL;
	if (timeout_ms >= 0 && (timeout < 0 || timeout_ms < timeout))
		timeout = timeout_ms;
	/* A device without a descriptor must be polled; bound the sleep. */
	if (devfd < 0 && (timeout < 0 || timeout > 1))
		timeout = 1;
	if (timeout < 0 || timeout > LOOP_MAX_WAIT_MS)
		timeout = LOOP_MAX_WAIT_MS;

	pfd[0].fd = devfd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	for (unsigned i = 0; i < nfds; i++)
		pfd[i + 1] = fds[i];
	n = poll(pfd, nfds + 1, timeout);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (unsigned i = 0; i < nfds; i++) {
		fds[i].revents = n > 0 ? pfd[i + 1].revents : 0;
		if (fds[i].revents != 0)
			ready++;
	}
	n = ws_stack_poll(st, ws_clock_now());
	return n < 0 ? n : ready;
}

WS_EXPORT int
ws_tcp_wait(struct ws_stack *st, struct ws_tcp *s, unsigned events,
    int timeout_ms)
{
	ws_time_t end = timeout_ms < 0 ? WS_TIME_NEVER :
	    ws_time_add_ms(ws_clock_now(), (uint64_t)timeout_ms);

	for (;;) {
		unsigned ev = ws_tcp_events(s);
		ws_time_t now;
		int error;

		if (ev & (events | WS_TCP_ERROR))
			return (int)(ev & (events | WS_TCP_ERROR));
		now = ws_clock_now();
		if (now >= end)
			return WS_ETIMEDOUT;
		error = ws_loop_wait(st, NULL, 0, ms_until(end, now));
		if (error < 0)
			return error;
	}
}

WS_EXPORT int
ws_tcp_connect_wait(struct ws_stack *st, struct ws_tcp *s, uint32_t addr,
    uint16_t port, int timeout_ms)
{
	int error = ws_tcp_connect(s, addr, port);

	if (error != 0 && error != WS_EINPROGRESS)
		return error;
	error = ws_tcp_wait(st, s, WS_TCP_CONNECTED, timeout_ms);
	if (error < 0)
		return error;
	if (error & WS_TCP_ERROR) {
		error = ws_tcp_error(s);
		return error != 0 ? error : WS_ECONNABORTED;
	}
	return 0;
}

WS_EXPORT ssize_t
ws_tcp_send_all(struct ws_stack *st, struct ws_tcp *s, const void *buf,
    size_t len, int timeout_ms)
{
	const uint8_t *b = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = ws_tcp_send(s, b + done, len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n != WS_EAGAIN)
			return n;
		n = ws_tcp_wait(st, s, WS_TCP_WRITABLE, timeout_ms);
		if (n < 0)
			return n;
		if ((n & WS_TCP_ERROR) && !(n & WS_TCP_WRITABLE)) {
			int error = ws_tcp_error(s);
			return error != 0 ? error : WS_ECONNABORTED;
		}
	}
	return (ssize_t)len;
}

WS_EXPORT ssize_t
ws_tcp_recv_wait(struct ws_stack *st, struct ws_tcp *s, void *buf,
    size_t len, int timeout_ms)
{
	for (;;) {
		ssize_t n = ws_tcp_recv(s, buf, len);
		int ev;

		if (n != WS_EAGAIN)
			return n;
		ev = ws_tcp_wait(st, s, WS_TCP_READABLE | WS_TCP_CLOSED,
		    timeout_ms);
		if (ev < 0)
			return ev;
	}
}

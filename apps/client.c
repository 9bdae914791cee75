/*
 * client: a TCP client on wirestack.
 *
 * On a terminal it holds the prompt/response dialog.  Otherwise it is a
 * pipe: standard input goes to the server, the server's bytes go to
 * standard output, both at once (so an echo server returning a large
 * stream cannot deadlock us), then it half-closes and waits for the
 * server to close.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wirestack/wirestack.h>

#include "apps/common.h"

#define PROMPT "Enter message to send (or 'exit' to quit): "
#define IO_CHUNK (64 * 1024)
/* Keep at most this much read ahead in either direction. */
#define HIGH_WATER (256 * 1024)
/* Interactive mode: how long to wait for the answer to one line. */
#define REPLY_TIMEOUT_MS 10000
/* At exit: how long our FIN gets to be acknowledged. */
#define CLOSE_GRACE_MS 2000

struct client {
	struct app app;
	struct ws_tcp *s;
	char peer[48];          /* "198.18.0.1:8080" */
};

/* Wait for events on the socket (or a signal), at most timeout_ms. */
static unsigned
wait_sock(struct client *cl, unsigned events, int timeout_ms)
{
	ws_time_t end = ws_time_add_ms(ws_clock_now(), (uint64_t)timeout_ms);

	for (;;) {
		struct pollfd pfd = { .fd = cl->app.sigfd, .events = POLLIN };
		unsigned ev = ws_tcp_events(cl->s);
		ws_time_t now = ws_clock_now();
		int error;

		if ((ev & (events | WS_TCP_ERROR)) || app_stopping(&cl->app) ||
		    now >= end)
			return ev;
		error = ws_loop_wait(cl->app.st, &pfd, 1,
		    (int)((end - now + 999) / 1000));
		if (error < 0)
			app_die(&cl->app, APP_EXIT_FAIL, "device failed: %s",
			    ws_strerror(error));
	}
}

static void
connect_peer(struct client *cl)
{
	struct app *a = &cl->app;
	unsigned ev;
	int error;

	snprintf(cl->peer, sizeof(cl->peer), "%s:%u", a->o.peer_host,
	    (unsigned)a->o.peer_port);
	if ((error = app_tcp_open(a, &cl->s)) < 0)
		app_die(a, APP_EXIT_FAIL, "cannot open a socket: %s",
		    ws_strerror(error));
	/* Loopback mode: the port reserved with the kernel (see common.c). */
	if (a->o.local_port != 0 &&
	    (error = ws_tcp_bind(cl->s, a->o.local_port)) < 0)
		app_die(a, APP_EXIT_FAIL, "cannot use port %u: %s",
		    (unsigned)a->o.local_port, ws_strerror(error));
	error = ws_tcp_connect(cl->s, a->o.peer_addr, a->o.peer_port);
	if (error < 0 && error != WS_EINPROGRESS)
		app_die(a, APP_EXIT_FAIL, "cannot connect to %s: %s", cl->peer,
		    ws_strerror(error));
	ev = wait_sock(cl, WS_TCP_CONNECTED, a->o.connect_timeout_s * 1000);
	if (ev & WS_TCP_CONNECTED)
		return;
	if (ev & WS_TCP_ERROR) {
		error = ws_tcp_error(cl->s);
		if (error == 0)
			error = WS_ECONNABORTED;
	} else if (app_stopping(a)) {
		app_untrack(a, cl->s);
		ws_tcp_abort(cl->s);
		app_finish(a);
		exit(0);
	} else {
		error = WS_ETIMEDOUT;
	}
	app_untrack(a, cl->s);
	ws_tcp_abort(cl->s);
	app_die(a, APP_EXIT_FAIL, "cannot connect to %s: %s", cl->peer,
	    ws_strerror(error));
}

static bool
fin_acked(struct ws_tcp *s)
{
	struct ws_tcp_info ti;

	if (ws_tcp_info(s, &ti) < 0)
		return true;
	return ti.state == WS_TCPS_FIN_WAIT_2 ||
	    ti.state == WS_TCPS_TIME_WAIT || ti.state == WS_TCPS_CLOSED;
}

/*
 * Close with FIN and keep the stack running until the FIN is
 * acknowledged (bounded), so the server sees a clean close even though
 * this process is about to exit.  Then exit with `code`.
 */
static void __attribute__((noreturn))
close_and_exit(struct client *cl, int code)
{
	ws_time_t end = ws_time_add_ms(ws_clock_now(), CLOSE_GRACE_MS);

	(void)ws_tcp_shutdown(cl->s, WS_SHUT_WR);
	while (!fin_acked(cl->s)) {
		ws_time_t now = ws_clock_now();
		uint8_t sink[4096];

		if (now >= end)
			break;
		/* Keep reading so a window full of data cannot stall the FIN. */
		while (ws_tcp_recv(cl->s, sink, sizeof(sink)) > 0)
			continue;
		if (ws_loop_wait(cl->app.st, NULL, 0,
		    (int)((end - now + 999) / 1000)) < 0)
			break;
	}
	app_untrack(&cl->app, cl->s);
	ws_tcp_close(cl->s);
	(void)ws_stack_poll(cl->app.st, ws_clock_now());
	app_finish(&cl->app);
	exit(code);
}

/* write(2) all of buf to fd; false on failure. */
static bool
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * Send all of buf, running the stack while the send buffer is full.
 * Dies on a connection error.
 */
static void
send_all(struct client *cl, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = ws_tcp_send(cl->s, p, len);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n != WS_EAGAIN)
			app_die(&cl->app, APP_EXIT_FAIL, "send to %s: %s",
			    cl->peer, ws_strerror((int)n));
		(void)wait_sock(cl, WS_TCP_WRITABLE, 1000);
		if (app_stopping(&cl->app))
			close_and_exit(cl, 0);
	}
}

/*
 * Read the answer to one line: wait until a complete line has come (or
 * the server closed, or the timeout), then take whatever else is already
 * there.  Returns false if the server closed the connection.
 */
static bool
read_reply(struct client *cl, struct app_buf *reply)
{
	ws_time_t end = ws_time_add_ms(ws_clock_now(), REPLY_TIMEOUT_MS);
	uint8_t buf[4096];
	bool open = true;

	for (;;) {
		ssize_t n = ws_tcp_recv(cl->s, buf, sizeof(buf));
		ws_time_t now;

		if (n > 0) {
			app_buf_append(reply, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			open = false;
			break;
		}
		if (n != WS_EAGAIN)
			app_die(&cl->app, APP_EXIT_FAIL, "receive from %s: %s",
			    cl->peer, ws_strerror((int)n));
		if (reply->len > 0 && reply->data[reply->len - 1] == '\n')
			break;
		now = ws_clock_now();
		if (now >= end || app_stopping(&cl->app))
			break;
		(void)wait_sock(cl, WS_TCP_READABLE | WS_TCP_CLOSED,
		    (int)((end - now + 999) / 1000));
	}
	return open;
}

static void
print_reply(struct app_buf *reply)
{
	size_t len = app_buf_pending(reply);
	const char *p = (const char *)reply->data + reply->off;

	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	printf("Server response: %.*s\n", (int)len, p);
	fflush(stdout);
}

/* The seed dialog, on a terminal. */
static void __attribute__((noreturn))
interactive(struct client *cl)
{
	struct app *a = &cl->app;
	struct app_buf line = { 0 };
	bool stdin_eof = false;

	printf("Connected to server at %s\n", cl->peer);
	for (;;) {
		struct app_buf reply = { 0 };
		uint8_t *nl = NULL;
		size_t n;

		printf(PROMPT);
		fflush(stdout);
		/* Collect one line from the terminal while the stack runs. */
		for (;;) {
			struct pollfd pfd[2] = {
				{ .fd = a->sigfd, .events = POLLIN },
				{ .fd = 0, .events = POLLIN },
			};
			unsigned ev;

			nl = app_buf_pending(&line) == 0 ? NULL :
			    memchr(line.data + line.off, '\n',
			    app_buf_pending(&line));
			if (nl != NULL || stdin_eof)
				break;
			if (ws_loop_wait(a->st, pfd, 2, -1) < 0)
				app_die(a, APP_EXIT_FAIL, "device failed");
			if (app_stopping(a)) {
				printf("\n");
				close_and_exit(cl, 0);
			}
			ev = ws_tcp_events(cl->s);
			if (ev & (WS_TCP_ERROR | WS_TCP_CLOSED)) {
				int error = ws_tcp_error(cl->s);

				printf("\n");
				fflush(stdout);
				if (error != 0)
					app_die(a, APP_EXIT_FAIL, "%s: %s",
					    cl->peer, ws_strerror(error));
				app_warn(a, "server closed the connection");
				close_and_exit(cl, 0);
			}
			if (pfd[1].revents != 0) {
				char buf[4096];
				ssize_t r = read(0, buf, sizeof(buf));

				if (r > 0)
					app_buf_append(&line, buf, (size_t)r);
				else if (r == 0 ||
				    (errno != EINTR && errno != EAGAIN))
					stdin_eof = true;
			}
		}
		if (nl == NULL) {
			/* End of input (Ctrl-D) counts as "exit". */
			if (app_buf_pending(&line) == 0) {
				printf("\n");
				break;
			}
			app_buf_append(&line, "\n", 1);
			nl = line.data + line.len - 1;
		}
		n = (size_t)(nl - (line.data + line.off));
		if (n == 4 && memcmp(line.data + line.off, "exit", 4) == 0)
			break;
		send_all(cl, line.data + line.off, n + 1);
		app_buf_consume(&line, n + 1);
		if (!read_reply(cl, &reply)) {
			if (app_buf_pending(&reply) > 0)
				print_reply(&reply);
			app_buf_free(&reply);
			app_warn(a, "server closed the connection");
			close_and_exit(cl, 0);
		}
		if (app_buf_pending(&reply) > 0)
			print_reply(&reply);
		else if (!app_stopping(a))
			app_warn(a, "no response within %d s",
			    REPLY_TIMEOUT_MS / 1000);
		app_buf_free(&reply);
		if (app_stopping(a))
			break;
	}
	app_buf_free(&line);
	close_and_exit(cl, 0);
}

/*
 * Pipe mode: stdin -> server and server -> stdout at the same time.
 * Standard output is written only when poll(2) says it has room, one
 * page at a time, so a slow reader downstream cannot block the stack.
 */
static void __attribute__((noreturn))
pipe_mode(struct client *cl)
{
	struct app *a = &cl->app;
	struct app_buf in = { 0 }, out = { 0 };
	bool stdin_eof = false, shut = false, peer_eof = false;
	uint8_t *buf = malloc(IO_CHUNK);

	if (buf == NULL)
		app_die(a, APP_EXIT_FAIL, "out of memory");
	app_verbose(a, 1, "connected to %s", cl->peer);
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = a->sigfd, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
			{ .fd = -1, .events = POLLOUT },
		};
		int error;

		if (!stdin_eof && app_buf_pending(&in) < HIGH_WATER)
			pfd[1].fd = 0;
		if (app_buf_pending(&out) > 0)
			pfd[2].fd = 1;
		if (ws_loop_wait(a->st, pfd, 3, -1) < 0)
			app_die(a, APP_EXIT_FAIL, "device failed");
		if (app_stopping(a))
			break;

		/* Standard input, as much as there is room for. */
		if (pfd[1].revents != 0) {
			ssize_t n = read(0, buf, IO_CHUNK);

			if (n > 0)
				app_buf_append(&in, buf, (size_t)n);
			else if (n == 0)
				stdin_eof = true;
			else if (errno != EINTR && errno != EAGAIN)
				app_die(a, APP_EXIT_FAIL, "read stdin: %s",
				    strerror(errno));
		}
		if ((error = app_buf_send(cl->s, &in)) < 0)
			app_die(a, APP_EXIT_FAIL, "send to %s: %s", cl->peer,
			    ws_strerror(error));
		if (stdin_eof && !shut && app_buf_pending(&in) == 0) {
			/* All sent: FIN, and keep reading the answer. */
			if ((error = ws_tcp_shutdown(cl->s, WS_SHUT_WR)) < 0)
				app_die(a, APP_EXIT_FAIL, "shutdown: %s",
				    ws_strerror(error));
			shut = true;
		}

		/* The server's bytes, while stdout keeps up. */
		while (!peer_eof && app_buf_pending(&out) < HIGH_WATER) {
			ssize_t n = ws_tcp_recv(cl->s, buf, IO_CHUNK);

			if (n == WS_EAGAIN)
				break;
			if (n < 0)
				app_die(a, APP_EXIT_FAIL, "receive from %s: %s",
				    cl->peer, ws_strerror((int)n));
			if (n == 0) {
				peer_eof = true;
				break;
			}
			app_buf_append(&out, buf, (size_t)n);
		}
		if (pfd[2].revents & (POLLERR | POLLHUP))
			app_die(a, APP_EXIT_FAIL, "standard output closed");
		if (pfd[2].revents & POLLOUT) {
			/* One page per check keeps a pipe write from blocking. */
			do {
				size_t n = app_buf_pending(&out);

				if (n > 4096)
					n = 4096;
				if (!write_all(1, out.data + out.off, n))
					app_die(a, APP_EXIT_FAIL, "write "
					    "stdout: %s", strerror(errno));
				app_buf_consume(&out, n);
				pfd[2].revents = 0;
				if (app_buf_pending(&out) > 0)
					(void)poll(&pfd[2], 1, 0);
			} while (app_buf_pending(&out) > 0 &&
			    (pfd[2].revents & POLLOUT));
		}
		/*
		 * Done when the server closed and everything is written out
		 * and sent.  If the server closes first, keep sending until
		 * stdin ends (it may still read: a half-close).
		 */
		if (peer_eof && shut && app_buf_pending(&out) == 0)
			break;
	}
	app_buf_free(&in);
	app_buf_free(&out);
	free(buf);
	close_and_exit(cl, 0);
}

int
main(int argc, char **argv)
{
	struct client cl;

	memset(&cl, 0, sizeof(cl));
	app_init(&cl.app, APP_CLIENT, argc, argv);
	app_start(&cl.app, cl.app.o.peer_port);
	/* Everything privileged is done: the device is open. */
	app_sandbox(&cl.app);
	connect_peer(&cl);
	if (isatty(0))
		interactive(&cl);
	pipe_mode(&cl);
}

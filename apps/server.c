/*
 * server: a TCP server on wirestack.
 *
 * Default mode answers each line with "Server received: <line>\n"; --echo
 * returns every byte unchanged.  Any number of clients are served at
 * once from one loop: after each ws_loop_wait() every connection is
 * given a turn (accept, send what is pending, read while there is room).
 * A connection stops reading while its output backs up, so a client that
 * does not read cannot make the server buffer without bound; TCP's window
 * then pushes back on that client alone.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/wirestack.h>

#include "apps/common.h"

#define REPLY_PREFIX "Server received: "
/* Stop reading a connection while this much output waits for it. */
#define OUT_HIGH_WATER (64 * 1024)
#define READ_CHUNK (16 * 1024)
#define LISTEN_BACKLOG 128
/* At exit: how long FINs get to be acknowledged. */
#define SHUTDOWN_GRACE_MS 1500

struct conn {
	struct conn *next;
	struct ws_tcp *s;
	struct app_buf out;      /* replies not yet taken by ws_tcp_send */
	bool in_line;            /* the reply prefix for this line went out */
	bool eof;                /* the client finished sending */
	uint64_t bytes_in, bytes_out;
	uint64_t urg_in;         /* the client's urgent data ends here (in) */
	uint64_t urg_out;        /* --echo: ours ends here (out); 0: none */
	char name[32];           /* "198.18.0.1:40000" */
};

struct server {
	struct app app;
	struct ws_tcp *listener;
	struct conn *conns;
	unsigned nconns;
};

/*
 * Turn received bytes into replies.  Lines are streamed: the prefix goes
 * out when a line starts and its bytes follow as they arrive, so a line
 * of any length needs no more memory than one read.
 */
static void
reply_lines(struct conn *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		const uint8_t *nl;
		size_t take;

		if (!c->in_line) {
			app_buf_append(&c->out, REPLY_PREFIX,
			    sizeof(REPLY_PREFIX) - 1);
			c->in_line = true;
		}
		nl = memchr(p, '\n', n);
		take = nl != NULL ? (size_t)(nl - p) + 1 : n;
		app_buf_append(&c->out, p, take);
		if (nl != NULL)
			c->in_line = false;
		p += take;
		n -= take;
	}
}

static void
conn_free(struct server *sv, struct conn *c, bool graceful)
{
	app_verbose(&sv->app, 1, "%s: closed (%llu bytes in, %llu out)",
	    c->name, (unsigned long long)c->bytes_in,
	    (unsigned long long)c->bytes_out);
	app_untrack(&sv->app, c->s);
	if (graceful)
		ws_tcp_close(c->s);
	else
		ws_tcp_abort(c->s);
	app_buf_free(&c->out);
	free(c);
	sv->nconns--;
}

static int
conn_flush(struct conn *c)
{
	size_t before = app_buf_pending(&c->out);
	int error;

	/*
	 * --echo returns urgent data as urgent data: the bytes up to the
	 * client's mark go out with ours at the same place.
	 */
	if (c->urg_out > c->bytes_out &&
	    c->urg_out - c->bytes_out <= before) {
		size_t k = (size_t)(c->urg_out - c->bytes_out);
		ssize_t n = ws_tcp_send_urgent(c->s, c->out.data + c->out.off,
		    k);

		if (n == WS_EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		app_buf_consume(&c->out, (size_t)n);
		c->bytes_out += (uint64_t)n;
		before -= (size_t)n;
		if ((size_t)n < k)
			return 0;
	}
	error = app_buf_send(c->s, &c->out);
	c->bytes_out += before - app_buf_pending(&c->out);
	return error;
}

/*
 * Urgent data from the client (RFC 9293 3.8.5): it stays in the stream;
 * note where it ends (once per mark) and, with --echo, send it back so.
 */
static void
conn_urgent(struct server *sv, struct conn *c)
{
	size_t left;
	uint64_t mark;

	if (ws_tcp_urgent(c->s, &left) != 1)
		return;
	mark = c->bytes_in + left;
	if (mark == c->urg_in)
		return;
	c->urg_in = mark;
	app_verbose(&sv->app, 1, "%s: urgent data up to byte %llu", c->name,
	    (unsigned long long)mark);
	if (sv->app.o.echo)
		c->urg_out = mark;
}

/*
 * Give one connection its turn.  Returns false when it is finished (the
 * caller frees it).
 */
static bool
conn_service(struct server *sv, struct conn *c)
{
	uint8_t buf[READ_CHUNK];
	int error;

	if ((error = conn_flush(c)) < 0)
		goto failed;
	while (!c->eof && app_buf_pending(&c->out) < OUT_HIGH_WATER) {
		ssize_t n;

		conn_urgent(sv, c);
		n = ws_tcp_recv(c->s, buf, sizeof(buf));

		if (n == WS_EAGAIN)
			break;
		if (n < 0) {
			error = (int)n;
			goto failed;
		}
		if (n == 0) {
			c->eof = true;
			/* A final line without '\n' still gets its answer. */
			if (!sv->app.o.echo && c->in_line) {
				app_buf_append(&c->out, "\n", 1);
				c->in_line = false;
			}
			break;
		}
		c->bytes_in += (uint64_t)n;
		if (sv->app.o.echo)
			app_buf_append(&c->out, buf, (size_t)n);
		else
			reply_lines(c, buf, (size_t)n);
		if ((error = conn_flush(c)) < 0)
			goto failed;
	}
	if (c->eof && app_buf_pending(&c->out) == 0) {
		conn_free(sv, c, true);
		return false;
	}
	return true;

failed:
	app_verbose(&sv->app, 1, "%s: %s", c->name, ws_strerror(error));
	/* The connection is dead already; release the handle quietly. */
	conn_free(sv, c, true);
	return false;
}

static void
accept_all(struct server *sv)
{
	for (;;) {
		struct ws_tcp *s;
		struct conn *c;
		int error = ws_tcp_accept(sv->listener, &s);

		if (error == WS_EAGAIN)
			return;
		if (error < 0) {
			app_warn(&sv->app, "accept: %s", ws_strerror(error));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			app_warn(&sv->app, "out of memory: refusing a client");
			ws_tcp_abort(s);
			continue;
		}
		c->s = s;
		app_track(&sv->app, s);
		app_peer_name(s, c->name, sizeof(c->name));
		c->next = sv->conns;
		sv->conns = c;
		sv->nconns++;
		app_verbose(&sv->app, 1, "%s: connected (%u open)", c->name,
		    sv->nconns);
	}
}

static void
service_all(struct server *sv)
{
	struct conn **pp = &sv->conns;

	while (*pp != NULL) {
		struct conn *c = *pp, *next = c->next;

		if (conn_service(sv, c))
			pp = &c->next;
		else
			*pp = next;
	}
}

static bool
fin_done(struct ws_tcp *s)
{
	struct ws_tcp_info ti;

	if (ws_tcp_info(s, &ti) < 0)
		return true;
	switch (ti.state) {
	case WS_TCPS_FIN_WAIT_2:
	case WS_TCPS_TIME_WAIT:
	case WS_TCPS_CLOSED:
		return true;
	default:
		return false;
	}
}

/*
 * SIGINT/SIGTERM: stop listening, send FIN on every connection (after
 * what is already queued), and run the stack a little so the FINs are
 * sent and acknowledged; bounded, so a dead peer cannot hold us.
 */
static void
shutdown_all(struct server *sv)
{
	struct ws_stack *st = sv->app.st;
	ws_time_t end = ws_time_add_ms(ws_clock_now(), SHUTDOWN_GRACE_MS);
	struct conn *c;

	app_untrack(&sv->app, sv->listener);
	ws_tcp_close(sv->listener);
	sv->listener = NULL;
	for (c = sv->conns; c != NULL; c = c->next) {
		(void)conn_flush(c);
		(void)ws_tcp_shutdown(c->s, WS_SHUT_WR);
	}
	for (;;) {
		ws_time_t now = ws_clock_now();
		bool pending = false;

		for (c = sv->conns; c != NULL; c = c->next)
			if (!fin_done(c->s))
				pending = true;
		if (!pending || now >= end)
			break;
		if (ws_loop_wait(st, NULL, 0,
		    (int)((end - now + 999) / 1000)) < 0)
			break;
	}
	while ((c = sv->conns) != NULL) {
		sv->conns = c->next;
		conn_free(sv, c, true);
	}
	/* Let anything the closes produced go out. */
	(void)ws_stack_poll(st, ws_clock_now());
}

int
main(int argc, char **argv)
{
	struct server sv;
	struct app *a = &sv.app;
	int error;

	memset(&sv, 0, sizeof(sv));
	app_init(a, APP_SERVER, argc, argv);
	app_start(a, a->o.port);

	if ((error = app_tcp_open(a, &sv.listener)) < 0)
		app_die(a, APP_EXIT_FAIL, "cannot open a socket: %s",
		    ws_strerror(error));
	if ((error = ws_tcp_listen(sv.listener, a->o.port,
	    LISTEN_BACKLOG)) < 0) {
		if (error == WS_EADDRINUSE)
			app_die(a, APP_EXIT_FAIL, "port %u is already in use "
			    "(choose another with -p PORT)",
			    (unsigned)a->o.port);
		app_die(a, APP_EXIT_FAIL, "cannot listen on port %u: %s",
		    (unsigned)a->o.port, ws_strerror(error));
	}
	/* Everything privileged is done: the devices are open. */
	app_sandbox(a);
	printf("TCP server listening on port %u\n", (unsigned)a->o.port);
	fflush(stdout);

	while (!app_stopping(a)) {
		struct pollfd pfd = { .fd = a->sigfd, .events = POLLIN };

		error = ws_loop_wait(a->st, &pfd, 1, -1);
		if (error < 0)
			app_die(a, APP_EXIT_FAIL, "device %s failed: %s",
			    ws_stack_link(a->st)->name, ws_strerror(error));
		accept_all(&sv);
		service_all(&sv);
	}
	app_verbose(a, 1, "stopping: closing %u connection(s)", sv.nconns);
	shutdown_all(&sv);
	app_finish(a);
	return 0;
}

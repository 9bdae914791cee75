/*
 * echo_client: the smallest useful wirestack program, using the public
 * API only (<wirestack/wirestack.h>), built against the installed library:
 *
 *	cc -o echo_client echo_client.c $(pkg-config --cflags --libs wirestack)
 *
 *	echo_client --selftest
 *		two stacks in this process, joined by an in-memory link and
 *		driven by a virtual clock: one echoes, the other sends a
 *		message and checks the answer.  Needs no privileges.
 *	sudo echo_client -i IFACE --ip ADDR/PREFIX HOST PORT MESSAGE
 *		connect to HOST:PORT from wirestack's own address on IFACE,
 *		send MESSAGE and a newline, print the first answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/wirestack.h>

static int
usage(FILE *f, int code)
{
	fprintf(f, "usage: echo_client --selftest\n"
	    "       echo_client -i IFACE --ip ADDR/PREFIX HOST PORT MESSAGE\n");
	return code;
}

/* Echo server on port 7 on stack `b`, client on stack `a`, virtual time. */
static int
selftest(void)
{
	static const char msg[] = "hello, wirestack";
	struct ws_link *la, *lb;
	struct ws_stack_config ca, cb;
	struct ws_stack *a = NULL, *b = NULL;
	struct ws_tcp *listener = NULL, *server = NULL, *client = NULL;
	char buf[64];
	size_t got = 0;
	ws_time_t now = 1;
	int error, sent = 0, rc = 1;

	if ((error = ws_link_mem_pair(&la, &lb, NULL)) < 0) {
		fprintf(stderr, "ws_link_mem_pair: %s\n", ws_strerror(error));
		return 1;
	}
	ws_stack_config_init(&ca);
	ca.link = la;
	ws_ip4_parse("198.18.0.1/24", &ca.addr, &ca.prefix_len);
	ca.seed = 1;
	ws_stack_config_init(&cb);
	cb.link = lb;
	ws_ip4_parse("198.18.0.2/24", &cb.addr, &cb.prefix_len);
	cb.seed = 2;
	if ((error = ws_stack_new(&a, &ca, now)) < 0 ||
	    (error = ws_stack_new(&b, &cb, now)) < 0 ||
	    (error = ws_tcp_open(b, &listener)) < 0 ||
	    (error = ws_tcp_listen(listener, 7, 1)) < 0 ||
	    (error = ws_tcp_open(a, &client)) < 0) {
		fprintf(stderr, "setup: %s\n", ws_strerror(error));
		goto out;
	}
	error = ws_tcp_connect(client, cb.addr, 7);
	if (error < 0 && error != WS_EINPROGRESS) {
		fprintf(stderr, "connect: %s\n", ws_strerror(error));
		goto out;
	}
	/* Run both stacks from deadline to deadline, at most 10 s. */
	while (now < 10 * WS_USEC_PER_SEC && got < sizeof(msg) - 1) {
		ws_time_t next = ws_time_min(ws_stack_next_deadline(a),
		    ws_stack_next_deadline(b));
		ssize_t n;

		now = next == WS_TIME_NEVER || next <= now ? now + 1000 : next;
		ws_stack_poll(a, now);
		ws_stack_poll(b, now);
		if (server == NULL)
			(void)ws_tcp_accept(listener, &server);
		if (!sent && (ws_tcp_events(client) & WS_TCP_CONNECTED)) {
			if (ws_tcp_send(client, msg, sizeof(msg) - 1) !=
			    (ssize_t)sizeof(msg) - 1)
				goto out;
			sent = 1;
		}
		if (server != NULL &&
		    (n = ws_tcp_recv(server, buf, sizeof(buf))) > 0)
			(void)ws_tcp_send(server, buf, (size_t)n);
		while ((n = ws_tcp_recv(client, buf + got,
		    sizeof(buf) - got)) > 0)
			got += (size_t)n;
	}
	if (got == sizeof(msg) - 1 && memcmp(buf, msg, got) == 0) {
		printf("selftest: echoed %zu bytes in %.3f s of virtual time\n",
		    got, (double)now / WS_USEC_PER_SEC);
		rc = 0;
	} else {
		fprintf(stderr, "selftest: got %zu bytes back\n", got);
	}
out:
	if (client != NULL)
		ws_tcp_abort(client);
	if (server != NULL)
		ws_tcp_abort(server);
	if (listener != NULL)
		ws_tcp_abort(listener);
	ws_stack_free(a);
	ws_stack_free(b);
	ws_link_close(la);
	ws_link_close(lb);
	return rc;
}

static int
real(const char *ifname, const char *ip, const char *host, const char *port,
    const char *msg)
{
	struct ws_link_pcap_config pc;
	struct ws_stack_config cfg;
	struct ws_link *link;
	struct ws_stack *st;
	struct ws_tcp *s;
	uint32_t peer;
	char errbuf[256], buf[4096];
	ssize_t n;
	int error;

	memset(&pc, 0, sizeof(pc));
	pc.ifname = ifname;
	ws_stack_config_init(&cfg);
	if (ws_ip4_parse(ip, &cfg.addr, &cfg.prefix_len) < 0 ||
	    ws_ip4_parse(host, &peer, NULL) < 0)
		return usage(stderr, 2);
	if ((error = ws_link_pcap_open(&link, &pc, errbuf,
	    sizeof(errbuf))) < 0) {
		fprintf(stderr, "%s\n", errbuf);
		return 1;
	}
	cfg.link = link;
	if ((error = ws_stack_new(&st, &cfg, ws_clock_now())) < 0 ||
	    (error = ws_tcp_open(st, &s)) < 0 ||
	    (error = ws_tcp_connect_wait(st, s, peer,
	    (uint16_t)atoi(port), 5000)) < 0 ||
	    (error = (int)ws_tcp_send_all(st, s, msg, strlen(msg),
	    5000)) < 0 ||
	    (error = (int)ws_tcp_send_all(st, s, "\n", 1, 5000)) < 0) {
		fprintf(stderr, "echo_client: %s\n", ws_strerror(error));
		return 1;
	}
	if ((n = ws_tcp_recv_wait(st, s, buf, sizeof(buf), 5000)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	ws_tcp_close(s);
	ws_stack_free(st);
	ws_link_close(link);
	return n > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--selftest") == 0)
		return selftest();
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return usage(stdout, 0);
	if (argc == 8 && strcmp(argv[1], "-i") == 0 &&
	    strcmp(argv[3], "--ip") == 0)
		return real(argv[2], argv[4], argv[5], argv[6], argv[7]);
	return usage(stderr, 2);
}

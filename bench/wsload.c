/*
 * wsload: the Linux-socket side of "make bench" (kernel sockets only; it
 * never links wirestack).
 *
 *	wsload echo PORT               echo server (epoll), for the Linux rows
 *	wsload rr HOST PORT SECS       1-byte ping-pong on one connection
 *	wsload crr HOST PORT SECS      connect, 1-byte request/response, close
 *	wsload hold HOST PORT N        open N connections (handshake only, so
 *	                               no data buffers are touched), print
 *	                               "established N", hold until SIGTERM
 *
 * rr and crr print one line: "tps=... p50_us=... p99_us=... n=...".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_signal(int signo)
{
	(void)signo;
	stop = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "wsload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in
addr_of(const char *host, const char *port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "wsload: bad address %s\n", host);
		exit(2);
	}
	return sin;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Latency samples, in nanoseconds. */
static uint64_t *lat;
static size_t nlat, caplat;

static void
sample(uint64_t ns)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 65536;
		lat = realloc(lat, caplat * sizeof(*lat));
		if (lat == NULL)
			die("realloc");
	}
	lat[nlat++] = ns;
}

static void
report(double secs)
{
	double p50 = 0, p99 = 0;

	if (nlat > 0) {
		qsort(lat, nlat, sizeof(*lat), cmp_u64);
		p50 = (double)lat[nlat / 2] / 1000.0;
		p99 = (double)lat[(size_t)((double)nlat * 0.99)] / 1000.0;
	}
	printf("tps=%.1f p50_us=%.1f p99_us=%.1f n=%zu\n",
	    secs > 0 ? (double)nlat / secs : 0.0, p50, p99, nlat);
}

static int
dial(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
ping(int fd)
{
	char c = 'x';

	if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return 0;
}

static int
run_rr(const struct sockaddr_in *sin, double secs)
{
	uint64_t t0, end;
	int fd = dial(sin);

	if (fd < 0)
		die("connect");
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (!stop) {
		uint64_t a = now_ns();

		if (a >= end)
			break;
		if (ping(fd) < 0)
			die("rr ping");
		sample(now_ns() - a);
	}
	report((double)(now_ns() - t0) / 1e9);
	close(fd);
	return 0;
}

static int
run_crr(const struct sockaddr_in *sin, double secs)
{
	uint64_t t0, end;
	unsigned failures = 0;

	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (!stop) {
		uint64_t a = now_ns();
		int fd;

		if (a >= end)
			break;
		fd = dial(sin);
		if (fd < 0 || ping(fd) < 0) {
			if (fd >= 0)
				close(fd);
			if (++failures > 100)
				die("crr: too many failures");
			continue;
		}
		close(fd);
		sample(now_ns() - a);
	}
	report((double)(now_ns() - t0) / 1e9);
	return 0;
}

/* Open n connections, a window of them at a time, and hold them. */
static int
run_hold(const struct sockaddr_in *sin, long n)
{
	int ep = epoll_create1(0), *fds;
	long opened = 0, done = 0, inflight = 0;
	const long window = 64; /* below the server backlog: no SYN drops */
	struct epoll_event evs[256];
	uint64_t t0 = now_ns();

	fds = calloc((size_t)n, sizeof(*fds));
	if (ep < 0 || fds == NULL)
		die("epoll/calloc");
	while (done < n && !stop) {
		while (inflight < window && opened < n) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			struct epoll_event ev = { .events = EPOLLOUT };

			if (fd < 0)
				die("socket");
			if (connect(fd, (const struct sockaddr *)sin,
			    sizeof(*sin)) < 0 && errno != EINPROGRESS)
				die("connect");
			ev.data.u64 = (uint64_t)opened;
			fds[opened++] = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			inflight++;
		}
		int k = epoll_wait(ep, evs, 256, 10000);

		if (k == 0) {
			fprintf(stderr, "wsload: hold: stalled at %ld/%ld\n",
			    done, n);
			return 1;
		}
		for (int i = 0; i < k; i++) {
			long idx = (long)evs[i].data.u64;
			int fd = fds[idx];
			char c = 'x';

			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				fprintf(stderr, "wsload: hold: connection %ld "
				    "failed\n", idx);
				return 1;
			}
			(void)c;
			if (evs[i].events & EPOLLOUT) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				inflight--;
				done++;
			}
		}
	}
	printf("established %ld in %.2f s\n", done,
	    (double)(now_ns() - t0) / 1e9);
	fflush(stdout);
	while (!stop)
		pause();
	for (long i = 0; i < opened; i++)
		close(fds[i]);
	return 0;
}

/* A small epoll echo server. */
static int
run_echo(const char *port)
{
	struct sockaddr_in sin;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[256];
	char buf[65536];

	if (lfd < 0 || ep < 0)
		die("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 4096) < 0)
		die("bind/listen");
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("echo server listening on %s\n", port);
	fflush(stdout);
	while (!stop) {
		int k = epoll_wait(ep, evs, 256, 1000);

		for (int i = 0; i < k; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					struct epoll_event e = { .events =
					    EPOLLIN };

					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					e.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r > 0) {
					if (write(fd, buf, (size_t)r) != r) {
						close(fd);
						break;
					}
					continue;
				}
				if (r < 0 && errno == EAGAIN)
					break;
				close(fd);
				break;
			}
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct rlimit rl = { 200000, 200000 };
	struct sockaddr_in sin;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setrlimit(RLIMIT_NOFILE, &rl);
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return run_echo(argv[2]);
	if (argc != 5)
		goto usage;
	sin = addr_of(argv[2], argv[3]);
	if (strcmp(argv[1], "rr") == 0)
		return run_rr(&sin, atof(argv[4]));
	if (strcmp(argv[1], "crr") == 0)
		return run_crr(&sin, atof(argv[4]));
	if (strcmp(argv[1], "hold") == 0)
		return run_hold(&sin, atol(argv[4]));
usage:
	fprintf(stderr, "usage: wsload echo PORT | rr HOST PORT SECS | "
	    "crr HOST PORT SECS | hold HOST PORT N\n");
	return 2;
}

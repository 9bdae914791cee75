/*
 * iperf: an iperf3-compatible TCP throughput tester on wirestack.
 *
 * It speaks the iperf3 control protocol, so either end may be the stock
 * iperf3 (esnet, 3.x):
 *
 *	client                               server
 *	  control connection, 37-byte cookie ->
 *	                                     <- PARAM_EXCHANGE
 *	  4-byte length + JSON parameters   ->
 *	                                     <- CREATE_STREAMS
 *	  P data connections, each starting with the cookie ->
 *	                                     <- TEST_START, TEST_RUNNING
 *	  data (client -> server, or server -> client with -R)
 *	  TEST_END (time or bytes reached)  ->
 *	                                     <- EXCHANGE_RESULTS
 *	  client results (length + JSON)    ->
 *	                                     <- server results (length + JSON)
 *	                                     <- DISPLAY_RESULTS
 *	  IPERF_DONE                        ->
 *
 * States are single bytes; JSON messages carry a 4-byte big-endian length.
 * Stream ids run 1, 3, 4, 5, ... on both ends (iperf3 numbers them that
 * way), which is how the two sides' per-stream results are matched; our
 * client therefore connects its streams one after another so the server
 * accepts them in the same order.
 *
 * One thread and one loop (ws_loop_wait) drive the control connection and
 * every stream: after each wait, the sender fills each stream's send
 * buffer and the receiver drains each receive buffer.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include <wirestack/wirestack.h>

#include "apps/common.h"

#define IPERF_PORT 5201
#define COOKIE_SIZE 37                /* 36 characters and a NUL */
#define MAX_STREAMS 128
#define DEFAULT_BLKSIZE (128 * 1024)  /* iperf3's TCP default */
#define MAX_BLKSIZE (1024 * 1024)
#define MAX_JSON (1024 * 1024)        /* refuse longer control messages */
#define RECV_CHUNK (256 * 1024)
/* Socket buffers: large enough for a long fat path (the bench runs 10 ms
 * each way); rings are allocated on first use, so idle sockets cost none. */
#define DEFAULT_WINDOW (4 * 1024 * 1024)
#define CONNECT_TIMEOUT_MS 10000
#define SHUTDOWN_GRACE_MS 1000

/* Control states (iperf_api.h). */
enum {
	TEST_START = 1,
	TEST_RUNNING = 2,
	TEST_END = 4,
	PARAM_EXCHANGE = 9,
	CREATE_STREAMS = 10,
	SERVER_TERMINATE = 11,
	CLIENT_TERMINATE = 12,
	EXCHANGE_RESULTS = 13,
	DISPLAY_RESULTS = 14,
	IPERF_DONE = 16,
	ACCESS_DENIED = -1,
	SERVER_ERROR = -2,
};

/* i_errno values we send with SERVER_ERROR. */
#define IE_UNIMP 13       /* "not implemented yet" */
#define IE_NUMSTREAMS 6   /* "number of parallel streams too large" */
#define IE_BLOCKSIZE 7    /* "block size too large" */
#define IE_STREAMCOOKIE 1 /* any code: the client prints its text */

enum phase {
	/* server */
	S_IDLE,          /* listening, no test */
	S_COOKIE,        /* reading the control connection's cookie */
	S_PARAMS,        /* sent PARAM_EXCHANGE, waiting for the JSON */
	S_STREAMS,       /* sent CREATE_STREAMS, accepting data streams */
	S_RUNNING,       /* TEST_RUNNING sent */
	S_RESULTS,       /* sent EXCHANGE_RESULTS, waiting for the client's */
	S_DONE,          /* sent DISPLAY_RESULTS, waiting for IPERF_DONE */
	/* client */
	C_CONNECT,       /* control connection's handshake */
	C_SETUP,         /* reading states up to TEST_RUNNING */
	C_RUNNING,       /* the test runs */
	C_ENDING,        /* sent TEST_END, waiting for EXCHANGE_RESULTS */
	C_RESULTS,       /* sent our results, reading the server's */
	C_DISPLAY,       /* waiting for DISPLAY_RESULTS */
	C_ERROR,         /* SERVER_ERROR: reading its two codes */
	C_FINISHED,
};

struct stream {
	struct ws_tcp *s;
	int id;
	size_t cookie_len;      /* server: cookie bytes read so far */
	uint8_t cookie[COOKIE_SIZE];
	bool ready;             /* cookie exchanged */
	size_t blk_off;         /* sender: bytes of the current block sent */
	bool eof;
	uint64_t bytes;         /* sent or received during the test */
	uint64_t bytes_mark;    /* at the last interval report */
	uint64_t retransmits;   /* sender: at the test's end */
	uint64_t rexmit_start;  /* sender: at the test's start */
};

struct iperf {
	struct app app;

	/* Command line. */
	bool server;
	bool one_off;           /* -1: serve one test, then exit */
	bool reverse;           /* -R */
	int duration_s;         /* -t */
	uint64_t nbytes;        /* -n; 0: by time */
	int parallel;           /* -P */
	size_t blksize;         /* -l */
	uint32_t window;        /* -w */
	double interval;        /* -i is the interface; --interval, 0: none */
	uint16_t port;          /* -p */
	const char *peer_host;
	uint32_t peer_addr;

	/* Session. */
	enum phase phase;
	struct ws_tcp *listener;
	struct ws_tcp *ctrl;
	struct app_buf cin;     /* control bytes received, not yet parsed */
	char cookie[COOKIE_SIZE];
	struct stream streams[MAX_STREAMS];
	int nstreams;           /* streams opened (client) or accepted (server) */
	int want_streams;       /* the test's stream count */
	bool sending;           /* we send data in this test */
	bool test_reverse;      /* the test's direction (server: from params) */
	uint64_t test_nbytes;   /* the test's byte limit (server: from params) */
	uint64_t total;         /* bytes sent or received, all streams */
	ws_time_t t_start, t_end, t_report;
	struct rusage ru_start;
	double cpu_user, cpu_sys, cpu_total; /* percent of wall time */
	int exit_code;
	uint8_t *blk;           /* the block we send, random bytes */
	uint8_t *rbuf;
};

static struct iperf *the_iperf;

static void
synopsis(FILE *f)
{
	const char *p = the_iperf != NULL ? the_iperf->app.prog : "iperf";

	fprintf(f,
"usage: %s -s -i IFACE --ip ADDR/PREFIX [-p PORT] [-1] [options]\n"
"       %s -c HOST -i IFACE --ip ADDR/PREFIX [-p PORT] [-t SECS | -n BYTES]\n"
"              [-P N] [-l LEN] [-R] [-w BYTES] [options]\n", p, p);
}

static void
usage(FILE *f)
{
	synopsis(f);
	fprintf(f,
"\n"
"An iperf3-compatible TCP throughput tester on the wirestack user-space\n"
"TCP/IPv4 stack.  It interoperates with the stock iperf3 in both roles.\n"
"\n"
"  -s, --server           run as a server (until SIGINT/SIGTERM, or -1)\n"
"  -c, --client HOST      run as a client against HOST\n"
"  -p, --port PORT        server port (default 5201)\n"
"  -t, --time SECS        test length (default 10; ignored with -n)\n"
"  -n, --bytes N[KMG]     send N bytes instead of running for a time\n"
"  -P, --parallel N       N parallel streams (default 1, max 128)\n"
"  -l, --length N[KMG]    bytes per write (default 128K)\n"
"  -R, --reverse          the server sends, the client receives\n"
"  -w, --window N[KMG]    socket buffer size (default 4M)\n"
"      --interval SECS    seconds between interval reports (default 1, 0: none)\n"
"  -1, --one-off          server: handle one test, then exit\n"
"  -I, --interface IFACE  (also -i) run on IFACE: libpcap capture, AF_PACKET\n"
"                         injection (sendmmsg)\n"
"      --ip ADDR/PREFIX   wirestack's own address on IFACE (not the kernel's)\n"
"      --gw ADDR          next hop for destinations off the prefix\n"
"      --mac MAC          wirestack's MAC (default: the interface's own)\n"
"      --pcap FILE        write every frame sent and received to FILE\n"
"      --user NAME        run as NAME once the device is open (default nobody\n"
"                         when started as root)\n"
"      --no-seccomp       do not install the seccomp system call filter\n"
"  -v, --verbose          print the stack's counters at exit\n"
"  -h, --help             this text\n");
}

static void __attribute__((noreturn))
bad_usage(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void __attribute__((noreturn))
bad_usage(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	synopsis(stderr);
	fprintf(stderr, "Try '%s --help' for more.\n", prog);
	exit(APP_EXIT_USAGE);
}

/* "128K", "10M", "1G" (powers of 1024, as iperf3 reads them). */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1024;
		end++;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g': case 'G':
		mult = 1024ULL * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end != '\0' || v > UINT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_IP = 256, OPT_GW, OPT_MAC, OPT_PCAP, OPT_INTERVAL, OPT_USER,
	OPT_NO_SECCOMP,
};

static void
parse_args(struct iperf *ip, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", no_argument, NULL, 's' },
		{ "client", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "time", required_argument, NULL, 't' },
		{ "bytes", required_argument, NULL, 'n' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "length", required_argument, NULL, 'l' },
		{ "reverse", no_argument, NULL, 'R' },
		{ "window", required_argument, NULL, 'w' },
		{ "one-off", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "interface", required_argument, NULL, 'I' },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "gw", required_argument, NULL, OPT_GW },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = app_prog_name(argv[0], "iperf");
	struct app_devargs d;
	bool client = false, time_set = false;
	uint64_t u;
	long v;
	int c;

	memset(&d, 0, sizeof(d));
	ip->app.prog = prog;
	ip->port = IPERF_PORT;
	ip->duration_s = 10;
	ip->parallel = 1;
	ip->blksize = DEFAULT_BLKSIZE;
	ip->window = DEFAULT_WINDOW;
	ip->interval = 1.0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:sc:p:t:n:P:l:Rw:1I:i:vh",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			ip->server = true;
			break;
		case 'c':
			client = true;
			ip->peer_host = optarg;
			if (ws_ip4_parse(optarg, &ip->peer_addr, NULL) < 0)
				bad_usage(prog, "bad host '%s': expected an IPv4 "
				    "address such as 198.18.0.1", optarg);
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &v) < 0)
				bad_usage(prog, "bad port '%s': expected 1..65535",
				    optarg);
			ip->port = (uint16_t)v;
			break;
		case 't':
			if (parse_int(optarg, 1, 86400, &v) < 0)
				bad_usage(prog, "bad time '%s': expected seconds, "
				    "1..86400", optarg);
			ip->duration_s = (int)v;
			time_set = true;
			break;
		case 'n':
			if (parse_size(optarg, &u) < 0 || u == 0)
				bad_usage(prog, "bad byte count '%s': expected "
				    "N[KMG]", optarg);
			ip->nbytes = u;
			break;
		case 'P':
			if (parse_int(optarg, 1, MAX_STREAMS, &v) < 0)
				bad_usage(prog, "bad stream count '%s': expected "
				    "1..%d", optarg, MAX_STREAMS);
			ip->parallel = (int)v;
			break;
		case 'l':
			if (parse_size(optarg, &u) < 0 || u == 0 ||
			    u > MAX_BLKSIZE)
				bad_usage(prog, "bad length '%s': expected "
				    "1..1M", optarg);
			ip->blksize = (size_t)u;
			break;
		case 'R':
			ip->reverse = true;
			break;
		case 'w':
			if (parse_size(optarg, &u) < 0 || u < 4096 ||
			    u > 64 * 1024 * 1024)
				bad_usage(prog, "bad window '%s': expected "
				    "4K..64M", optarg);
			ip->window = (uint32_t)u;
			break;
		case '1':
			ip->one_off = true;
			break;
		case OPT_INTERVAL: {
			char *end;
			double x = strtod(optarg, &end);

			if (end == optarg || *end != '\0' || !(x >= 0) ||
			    x > 3600)
				bad_usage(prog, "bad interval '%s'", optarg);
			ip->interval = x;
			break;
		}
		case 'I':
		case 'i':
			d.ifname = optarg;
			break;
		case OPT_IP:
			d.ip = optarg;
			break;
		case OPT_GW:
			d.gw = optarg;
			break;
		case OPT_MAC:
			d.mac = optarg;
			break;
		case OPT_PCAP:
			d.pcap = optarg;
			break;
		case OPT_USER:
			if (optarg[0] == '\0')
				bad_usage(prog, "--user needs a user name");
			d.user = optarg;
			break;
		case OPT_NO_SECCOMP:
			d.no_seccomp = true;
			break;
		case 'v':
			d.verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad_usage(prog, "option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0 && optopt < 256)
				bad_usage(prog, "unknown option '-%c'", optopt);
			bad_usage(prog, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage(prog, "unexpected argument '%s'", argv[optind]);
	if (ip->server == client)
		bad_usage(prog, "say -s (server) or -c HOST (client)");
	if (ip->server && (ip->reverse || ip->nbytes != 0 || time_set ||
	    ip->parallel != 1))
		bad_usage(prog, "-t, -n, -P and -R are client options");
	if (ip->nbytes != 0 && !time_set)
		ip->duration_s = 0;
	app_init_dev(&ip->app, ip->server ? APP_SERVER : APP_CLIENT, prog, &d,
	    synopsis);
}

/* ---- Output, in iperf3's units ---- */

static void
fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char *units[] = { "Bytes", "KBytes", "MBytes", "GBytes",
	    "TBytes" };
	int u = 0;

	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	snprintf(buf, len, bytes < 9.995 ? "%4.2f %s" : bytes < 99.95 ?
	    "%4.1f %s" : "%4.0f %s", bytes, units[u]);
}

static void
fmt_rate(char *buf, size_t len, double bits_per_s)
{
	static const char *units[] = { "bits/sec", "Kbits/sec", "Mbits/sec",
	    "Gbits/sec", "Tbits/sec" };
	int u = 0;

	while (bits_per_s >= 1000.0 && u < 4) {
		bits_per_s /= 1000.0;
		u++;
	}
	snprintf(buf, len, bits_per_s < 9.995 ? "%4.2f %s" :
	    bits_per_s < 99.95 ? "%4.1f %s" : "%4.0f %s", bits_per_s,
	    units[u]);
}

static void
print_line(const char *id, double t0, double t1, uint64_t bytes,
    const char *retr, const char *role)
{
	char b[32], r[32];
	double secs = t1 - t0;

	fmt_bytes(b, sizeof(b), (double)bytes);
	fmt_rate(r, sizeof(r), secs > 0 ? (double)bytes * 8.0 / secs : 0.0);
	printf("[%s] %6.2f-%-6.2f sec  %s  %s  %s  %s\n", id, t0, t1, b, r,
	    retr, role);
}

static double
secs_between(ws_time_t a, ws_time_t b)
{
	return b > a ? (double)(b - a) / 1e6 : 0.0;
}

static const char *
idstr(char *buf, size_t len, int id)
{
	snprintf(buf, len, "%3d", id);
	return buf;
}

/* ---- Control connection ---- */

static void
ctrl_send(struct iperf *ip, const void *p, size_t n)
{
	ssize_t w;

	/* The control connection carries a few hundred bytes; the send
	 * buffer always has room, so a short write is a broken peer. */
	w = ws_tcp_send_all(ip->app.st, ip->ctrl, p, n, CONNECT_TIMEOUT_MS);
	if (w < 0)
		app_warn(&ip->app, "control connection: %s", ws_strerror((int)w));
}

static void
ctrl_state(struct iperf *ip, int state)
{
	int8_t b = (int8_t)state;

	ctrl_send(ip, &b, 1);
}

static void
ctrl_json(struct iperf *ip, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	uint8_t hdr[4];
	size_t n;

	if (s == NULL)
		app_die(&ip->app, APP_EXIT_FAIL, "out of memory");
	n = strlen(s);
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	ctrl_send(ip, hdr, 4);
	ctrl_send(ip, s, n);
	free(s);
}

/*
 * Read what the control connection has into ip->cin.  Returns 0, 1 at
 * end of stream (after the data), or a WS_E* error.
 */
static int
ctrl_fill(struct iperf *ip)
{
	uint8_t buf[4096];

	for (;;) {
		ssize_t n = ws_tcp_recv(ip->ctrl, buf, sizeof(buf));

		if (n == WS_EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 1;
		app_buf_append(&ip->cin, buf, (size_t)n);
		if (app_buf_pending(&ip->cin) > MAX_JSON + 16)
			return WS_EMSGSIZE;
	}
}

/* The next state byte, or false if none has arrived. */
static bool
ctrl_take_state(struct iperf *ip, int *state)
{
	if (app_buf_pending(&ip->cin) < 1)
		return false;
	*state = (int8_t)ip->cin.data[ip->cin.off];
	app_buf_consume(&ip->cin, 1);
	return true;
}

/*
 * The next JSON message: 1 with *out set, 0 if it has not all arrived,
 * -1 if it is malformed or too long.
 */
static int
ctrl_take_json(struct iperf *ip, json_t **out)
{
	const uint8_t *p = ip->cin.data + ip->cin.off;
	size_t have = app_buf_pending(&ip->cin);
	uint32_t n;
	json_error_t err;

	if (have < 4)
		return 0;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    p[3];
	if (n > MAX_JSON) {
		app_warn(&ip->app, "control message too long (%u bytes; "
		    "%02x %02x %02x %02x)", (unsigned)n, p[0], p[1], p[2], p[3]);
		return -1;
	}
	if (have < 4 + (size_t)n)
		return 0;
	/*
	 * iperf3 writes -1 in some unsigned fields as 18446744073709551615,
	 * which does not fit a json_int_t: read every number as a double.
	 */
	*out = json_loadb((const char *)p + 4, n, JSON_DECODE_INT_AS_REAL, &err);
	if (*out == NULL)
		app_warn(&ip->app, "bad JSON on the control connection (%u "
		    "bytes): %s at offset %d: %.*s", (unsigned)n, err.text,
		    err.position, n < 200 ? (int)n : 200, (const char *)p + 4);
	app_buf_consume(&ip->cin, 4 + (size_t)n);
	return *out != NULL ? 1 : -1;
}

static bool
ctrl_take_bytes(struct iperf *ip, void *out, size_t n)
{
	if (app_buf_pending(&ip->cin) < n)
		return false;
	memcpy(out, ip->cin.data + ip->cin.off, n);
	app_buf_consume(&ip->cin, n);
	return true;
}

/* ---- Streams ---- */

/* iperf3 numbers streams 1, 3, 4, 5, ... */
static int
stream_id(int index)
{
	return index == 0 ? 1 : index + 2;
}

static void
streams_close(struct iperf *ip, bool abort)
{
	for (int i = 0; i < ip->nstreams; i++) {
		if (ip->streams[i].s == NULL)
			continue;
		if (abort)
			ws_tcp_abort(ip->streams[i].s);
		else
			ws_tcp_close(ip->streams[i].s);
		ip->streams[i].s = NULL;
	}
	ip->nstreams = 0;
}

static uint64_t
stream_retransmits(struct stream *sp)
{
	struct ws_tcp_info ti;

	if (sp->s == NULL || ws_tcp_info(sp->s, &ti) < 0)
		return 0;
	return ti.retransmits;
}

/*
 * Send on every stream until the buffers are full or the limit is hit.
 *
 * With `finishing` (after TEST_END, until the client is done), data keeps
 * flowing uncounted: a stock iperf3 client switches its sockets to
 * blocking once it sends TEST_END and still drains them with reads of a
 * whole block (blksize), so it would wait forever for the rest of a block
 * before reading the control connection again.  A kernel sender has
 * megabytes queued at that point that keep arriving; this stands in for
 * them.
 */
static void
streams_send(struct iperf *ip, bool finishing)
{
	bool more = true;

	while (more) {
		more = false;
		for (int i = 0; i < ip->nstreams; i++) {
			struct stream *sp = &ip->streams[i];
			size_t want = ip->blksize - sp->blk_off;
			ssize_t n;

			if (sp->s == NULL || !sp->ready)
				continue;
			if (ip->test_nbytes != 0 && !finishing) {
				if (ip->total >= ip->test_nbytes)
					return;
				if (ip->test_nbytes - ip->total < want)
					want = (size_t)(ip->test_nbytes -
					    ip->total);
			}
			n = ws_tcp_send(sp->s, ip->blk + sp->blk_off, want);
			if (n > 0) {
				sp->blk_off = (sp->blk_off + (size_t)n) %
				    ip->blksize;
				if (!finishing) {
					sp->bytes += (uint64_t)n;
					ip->total += (uint64_t)n;
				}
				more = true;
			} else if (n != WS_EAGAIN && n != 0) {
				app_verbose(&ip->app, 1, "stream %d: %s",
				    sp->id, ws_strerror((int)n));
				ws_tcp_abort(sp->s);
				sp->s = NULL;
			}
		}
	}
}

/* Read everything waiting; count it while `count`. */
static void
streams_recv(struct iperf *ip, bool count)
{
	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];

		if (sp->s == NULL || !sp->ready || sp->eof)
			continue;
		for (;;) {
			ssize_t n = ws_tcp_recv(sp->s, ip->rbuf, RECV_CHUNK);

			if (n == WS_EAGAIN)
				break;
			if (n <= 0) {
				sp->eof = true;
				break;
			}
			if (count) {
				sp->bytes += (uint64_t)n;
				ip->total += (uint64_t)n;
			}
		}
	}
}

/* ---- Results ---- */

static void
cpu_mark(struct iperf *ip)
{
	getrusage(RUSAGE_SELF, &ip->ru_start);
}

static double
tv_secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void
cpu_measure(struct iperf *ip)
{
	struct rusage ru;
	double wall = secs_between(ip->t_start, ip->t_end);

	getrusage(RUSAGE_SELF, &ru);
	if (wall <= 0)
		wall = 1e-6;
	ip->cpu_user = 100.0 * (tv_secs(&ru.ru_utime) -
	    tv_secs(&ip->ru_start.ru_utime)) / wall;
	ip->cpu_sys = 100.0 * (tv_secs(&ru.ru_stime) -
	    tv_secs(&ip->ru_start.ru_stime)) / wall;
	ip->cpu_total = ip->cpu_user + ip->cpu_sys;
}

static void
test_finish(struct iperf *ip)
{
	ip->t_end = ws_clock_now();
	cpu_measure(ip);
	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];

		sp->retransmits = stream_retransmits(sp) - sp->rexmit_start;
	}
}

static json_t *
results_json(struct iperf *ip)
{
	json_t *j, *streams;
	double secs = secs_between(ip->t_start, ip->t_end);

	streams = json_array();
	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];

		json_array_append_new(streams, json_pack(
		    "{s:i, s:I, s:I, s:f, s:i, s:i, s:i, s:i, s:f, s:f}",
		    "id", sp->id, "bytes", (json_int_t)sp->bytes,
		    "retransmits", ip->sending ? (json_int_t)sp->retransmits :
		    (json_int_t)-1, "jitter", 0.0, "errors", 0,
		    "omitted_errors", 0, "packets", 0, "omitted_packets", 0,
		    "start_time", 0.0, "end_time", secs));
	}
	j = json_pack("{s:f, s:f, s:f, s:i, s:s, s:o}",
	    "cpu_util_total", ip->cpu_total, "cpu_util_user", ip->cpu_user,
	    "cpu_util_system", ip->cpu_sys,
	    "sender_has_retransmits", ip->sending ? 1 : -1,
	    "congestion_used", "newreno", "streams", streams);
	if (j == NULL)
		app_die(&ip->app, APP_EXIT_FAIL, "out of memory");
	return j;
}

static uint64_t
peer_stream_bytes(json_t *peer, int id, bool *found)
{
	json_t *streams = json_object_get(peer, "streams");
	size_t i;
	json_t *s;

	*found = false;
	json_array_foreach(streams, i, s) {
		json_t *jid = json_object_get(s, "id");
		json_t *jb = json_object_get(s, "bytes");

		if (json_is_number(jid) && json_number_value(jid) == id &&
		    json_is_number(jb)) {
			*found = true;
			return (uint64_t)json_number_value(jb);
		}
	}
	return 0;
}

static double
peer_cpu(json_t *peer)
{
	json_t *c = json_object_get(peer, "cpu_util_total");

	return json_is_number(c) ? json_number_value(c) : -1.0;
}

/*
 * The final table: each stream's sender and receiver lines (ours from our
 * counts, the other side's from its results), as iperf3 prints it.
 */
static void
print_summary(struct iperf *ip, json_t *peer)
{
	double secs = secs_between(ip->t_start, ip->t_end);
	uint64_t sum_s = 0, sum_r = 0, sum_retr = 0;
	char id[16], retr[32];

	printf("- - - - - - - - - - - - - - - - - - - - - - - - -\n");
	printf("[ ID] Interval           Transfer     Bitrate         Retr\n");
	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];
		bool found = false;
		uint64_t other = peer != NULL ?
		    peer_stream_bytes(peer, sp->id, &found) : 0;
		uint64_t sent = ip->sending ? sp->bytes : other;
		uint64_t rcvd = ip->sending ? other : sp->bytes;

		if (!found && peer != NULL)
			app_verbose(&ip->app, 1, "no peer result for stream %d",
			    sp->id);
		sum_s += sent;
		sum_r += rcvd;
		sum_retr += sp->retransmits;
		snprintf(retr, sizeof(retr), "%4" PRIu64,
		    ip->sending ? sp->retransmits : 0);
		print_line(idstr(id, sizeof(id), sp->id), 0, secs, sent,
		    ip->sending ? retr : "    ", "sender");
		print_line(id, 0, secs, rcvd, "    ", "receiver");
	}
	if (ip->nstreams > 1) {
		snprintf(retr, sizeof(retr), "%4" PRIu64, sum_retr);
		print_line("SUM", 0, secs, sum_s, ip->sending ? retr : "    ",
		    "sender");
		print_line("SUM", 0, secs, sum_r, "    ", "receiver");
	}
	printf("CPU Utilization: local/%s %.1f%% (%.1f%%u/%.1f%%s), "
	    "remote/%s %.1f%%\n", ip->sending ? "sender" : "receiver",
	    ip->cpu_total, ip->cpu_user, ip->cpu_sys,
	    ip->sending ? "receiver" : "sender", peer_cpu(peer));
	fflush(stdout);
}

static void
interval_report(struct iperf *ip, ws_time_t now)
{
	double t1 = secs_between(ip->t_start, now);
	double t0 = secs_between(ip->t_start, ip->t_report);
	uint64_t sum = 0;
	char id[16];

	if (t1 - t0 < 0.001)
		return;
	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];
		uint64_t d = sp->bytes - sp->bytes_mark;

		sp->bytes_mark = sp->bytes;
		sum += d;
		print_line(idstr(id, sizeof(id), sp->id), t0, t1, d, "", "");
	}
	if (ip->nstreams > 1)
		print_line("SUM", t0, t1, sum, "", "");
	fflush(stdout);
	ip->t_report = now;
}

static void
test_begin(struct iperf *ip)
{
	ip->t_start = ip->t_report = ws_clock_now();
	ip->total = 0;
	cpu_mark(ip);
	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];

		sp->bytes = sp->bytes_mark = 0;
		sp->rexmit_start = stream_retransmits(sp);
	}
	if (ip->interval > 0)
		printf("[ ID] Interval           Transfer     Bitrate\n");
}

/* ---- Server ---- */

static void
server_reset(struct iperf *ip, bool abort)
{
	streams_close(ip, abort);
	if (ip->ctrl != NULL) {
		if (abort)
			ws_tcp_abort(ip->ctrl);
		else
			ws_tcp_close(ip->ctrl);
		ip->ctrl = NULL;
	}
	app_buf_free(&ip->cin);
	if (ip->one_off) {
		ip->phase = C_FINISHED;
		return;
	}
	ip->phase = S_IDLE;
	printf("-----------------------------------------------------------\n");
	printf("Server listening on %u\n", (unsigned)ip->port);
	printf("-----------------------------------------------------------\n");
	fflush(stdout);
}

static void
server_error(struct iperf *ip, int ierr)
{
	uint8_t b[9];

	b[0] = (uint8_t)(int8_t)SERVER_ERROR;
	b[1] = (uint8_t)(ierr >> 24);
	b[2] = (uint8_t)(ierr >> 16);
	b[3] = (uint8_t)(ierr >> 8);
	b[4] = (uint8_t)ierr;
	memset(b + 5, 0, 4); /* errno */
	ctrl_send(ip, b, sizeof(b));
}

/* A number or boolean field (numbers arrive as doubles), or dflt. */
static double
json_num_field(json_t *j, const char *key, double dflt)
{
	json_t *v = json_object_get(j, key);

	if (json_is_number(v))
		return json_number_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? 1 : 0;
	return dflt;
}

/* The client's parameters; false after refusing them. */
static bool
server_params(struct iperf *ip, json_t *j)
{
	double num = json_num_field(j, "num", 0);
	double par = json_num_field(j, "parallel", 1);
	double len = json_num_field(j, "len", DEFAULT_BLKSIZE);

	if (ip->app.o.verbose > 0) {
		char *text = json_dumps(j, JSON_COMPACT);

		app_verbose(&ip->app, 1, "parameters: %s",
		    text != NULL ? text : "?");
		free(text);
	}
	if (json_num_field(j, "tcp", 0) == 0 ||
	    json_object_get(j, "udp") != NULL ||
	    json_object_get(j, "sctp") != NULL ||
	    json_num_field(j, "bidirectional", 0) != 0) {
		app_warn(&ip->app, "refusing a test: only TCP, one direction "
		    "at a time, is implemented");
		server_error(ip, IE_UNIMP);
		return false;
	}
	if (par < 1 || par > MAX_STREAMS) {
		server_error(ip, IE_NUMSTREAMS);
		return false;
	}
	if (len < 1 || len > MAX_BLKSIZE) {
		server_error(ip, IE_BLOCKSIZE);
		return false;
	}
	ip->want_streams = (int)par;
	ip->blksize = (size_t)len;
	ip->test_reverse = json_num_field(j, "reverse", 0) != 0;
	ip->test_nbytes = num >= 1 && num < 1e19 ? (uint64_t)num : 0;
	ip->sending = ip->test_reverse;
	return true;
}

static void
server_accept(struct iperf *ip)
{
	for (;;) {
		struct ws_tcp *s;
		char name[32];
		int error = ws_tcp_accept(ip->listener, &s);

		if (error == WS_EAGAIN)
			return;
		if (error < 0) {
			app_warn(&ip->app, "accept: %s", ws_strerror(error));
			return;
		}
		app_peer_name(s, name, sizeof(name));
		if (ip->phase == S_IDLE) {
			ip->ctrl = s;
			ip->phase = S_COOKIE;
			ip->nstreams = 0;
			printf("Accepted connection from %s\n", name);
			fflush(stdout);
		} else if (ip->phase == S_STREAMS &&
		    ip->nstreams < ip->want_streams) {
			struct stream *sp = &ip->streams[ip->nstreams];

			memset(sp, 0, sizeof(*sp));
			sp->s = s;
			sp->id = stream_id(ip->nstreams);
			ip->nstreams++;
		} else {
			/* Busy: iperf3 answers ACCESS_DENIED and closes. */
			int8_t b = ACCESS_DENIED;

			(void)ws_tcp_send(s, &b, 1);
			ws_tcp_close(s);
		}
	}
}

/* Read the cookie at the start of each new stream. */
static void
server_stream_cookies(struct iperf *ip)
{
	int ready = 0;

	for (int i = 0; i < ip->nstreams; i++) {
		struct stream *sp = &ip->streams[i];

		if (sp->s == NULL)
			continue;
		while (!sp->ready) {
			ssize_t n = ws_tcp_recv(sp->s, sp->cookie + sp->cookie_len,
			    COOKIE_SIZE - sp->cookie_len);

			if (n == WS_EAGAIN)
				break;
			if (n <= 0) {
				ws_tcp_abort(sp->s);
				sp->s = NULL;
				break;
			}
			sp->cookie_len += (size_t)n;
			if (sp->cookie_len == COOKIE_SIZE) {
				if (memcmp(sp->cookie, ip->cookie,
				    COOKIE_SIZE) != 0) {
					/* Not this test's: drop it (iperf3
					 * does the same). */
					ws_tcp_abort(sp->s);
					sp->s = NULL;
					break;
				}
				sp->ready = true;
			}
		}
		if (sp->s != NULL && sp->ready)
			ready++;
	}
	/* Drop dead slots so accepting can fill them. */
	for (int i = 0; i < ip->nstreams; i++) {
		if (ip->streams[i].s == NULL) {
			memmove(&ip->streams[i], &ip->streams[i + 1],
			    (size_t)(ip->nstreams - i - 1) *
			    sizeof(ip->streams[0]));
			ip->nstreams--;
			i--;
		}
	}
	for (int i = 0; i < ip->nstreams; i++)
		ip->streams[i].id = stream_id(i);
	if (ready == ip->want_streams && ip->nstreams == ip->want_streams) {
		char lname[32];
		struct ws_tcp_info ti;
		char ab[16], fb[16];

		for (int i = 0; i < ip->nstreams; i++) {
			if (ws_tcp_info(ip->streams[i].s, &ti) < 0)
				continue;
			snprintf(lname, sizeof(lname), "%s",
			    ws_ip4_format(ti.local_addr, ab, sizeof(ab)));
			printf("[%3d] local %s port %u connected to %s port %u\n",
			    ip->streams[i].id, lname, (unsigned)ti.local_port,
			    ws_ip4_format(ti.remote_addr, fb, sizeof(fb)),
			    (unsigned)ti.remote_port);
		}
		ctrl_state(ip, TEST_START);
		ctrl_state(ip, TEST_RUNNING);
		ip->phase = S_RUNNING;
		test_begin(ip);
	}
}

static void
server_control(struct iperf *ip)
{
	int rc, state;
	json_t *j;

	if (ip->ctrl == NULL)
		return;
	rc = ctrl_fill(ip);
	for (;;) {
		switch (ip->phase) {
		case S_COOKIE:
			if (!ctrl_take_bytes(ip, ip->cookie, COOKIE_SIZE))
				goto out;
			ip->cookie[COOKIE_SIZE - 1] = '\0';
			ctrl_state(ip, PARAM_EXCHANGE);
			ip->phase = S_PARAMS;
			continue;
		case S_PARAMS:
			switch (ctrl_take_json(ip, &j)) {
			case 0:
				goto out;
			case 1:
				break;
			default:
				app_warn(&ip->app, "bad parameters from the "
				    "client");
				server_reset(ip, true);
				return;
			}
			if (!server_params(ip, j)) {
				json_decref(j);
				server_reset(ip, false);
				return;
			}
			json_decref(j);
			ctrl_state(ip, CREATE_STREAMS);
			ip->phase = S_STREAMS;
			continue;
		case S_STREAMS:
		case S_RUNNING:
			if (!ctrl_take_state(ip, &state))
				goto out;
			if (state == TEST_END && ip->phase == S_RUNNING) {
				/* Count what arrived up to here. */
				if (!ip->sending)
					streams_recv(ip, true);
				test_finish(ip);
				ctrl_state(ip, EXCHANGE_RESULTS);
				ip->phase = S_RESULTS;
				continue;
			}
			if (state == CLIENT_TERMINATE) {
				printf("the client has terminated\n");
				server_reset(ip, true);
				return;
			}
			app_warn(&ip->app, "unexpected state %d from the client",
			    state);
			server_reset(ip, true);
			return;
		case S_RESULTS:
			switch (ctrl_take_json(ip, &j)) {
			case 0:
				goto out;
			case 1:
				break;
			default:
				app_warn(&ip->app, "bad results from the client");
				server_reset(ip, true);
				return;
			}
			{
				json_t *ours = results_json(ip);

				ctrl_json(ip, ours);
				json_decref(ours);
			}
			ctrl_state(ip, DISPLAY_RESULTS);
			print_summary(ip, j);
			json_decref(j);
			ip->phase = S_DONE;
			continue;
		case S_DONE:
			if (!ctrl_take_state(ip, &state))
				goto out;
			if (state != IPERF_DONE && state != CLIENT_TERMINATE)
				app_warn(&ip->app, "unexpected state %d at the "
				    "end", state);
			server_reset(ip, false);
			return;
		default:
			goto out;
		}
	}
out:
	if (rc != 0) {
		if (ip->phase != S_IDLE)
			app_warn(&ip->app, "the control connection closed "
			    "unexpectedly (%s)", rc < 0 ? ws_strerror(rc) :
			    "end of stream");
		server_reset(ip, true);
	}
}

static void
server_step(struct iperf *ip)
{
	ws_time_t now;

	server_accept(ip);
	if (ip->phase == S_STREAMS)
		server_stream_cookies(ip);
	if (ip->phase == S_RUNNING) {
		if (ip->sending)
			streams_send(ip, false);
		else
			streams_recv(ip, true);
	} else if (ip->phase == S_RESULTS || ip->phase == S_DONE) {
		/* Late data after TEST_END is read and dropped; as a
		 * sender, keep the client's blocking reads fed. */
		if (!ip->sending)
			streams_recv(ip, false);
		else
			streams_send(ip, true);
	}
	server_control(ip);
	now = ws_clock_now();
	if (ip->phase == S_RUNNING && ip->interval > 0 &&
	    now >= ip->t_report + (ws_time_t)(ip->interval * 1e6))
		interval_report(ip, now);
}

/* ---- Client ---- */

static void
make_cookie(char cookie[COOKIE_SIZE])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint8_t r[COOKIE_SIZE - 1];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		uint64_t x = ws_clock_now();

		for (size_t i = 0; i < sizeof(r); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			r[i] = (uint8_t)(x >> 56);
		}
	}
	for (size_t i = 0; i < sizeof(r); i++)
		cookie[i] = alphabet[r[i] % 32];
	cookie[COOKIE_SIZE - 1] = '\0';
}

static json_t *
client_params(struct iperf *ip)
{
	json_t *j = json_pack("{s:b, s:i, s:i, s:I, s:i, s:i, s:i, s:i, s:s}",
	    "tcp", 1, "omit", 0, "time", ip->duration_s,
	    "num", (json_int_t)ip->nbytes, "blockcount", 0,
	    "parallel", ip->parallel, "len", (int)ip->blksize,
	    "pacing_timer", 1000, "client_version", "3.12");

	if (j == NULL)
		app_die(&ip->app, APP_EXIT_FAIL, "out of memory");
	if (ip->reverse)
		json_object_set_new(j, "reverse", json_true());
	if (ip->window != DEFAULT_WINDOW)
		json_object_set_new(j, "window", json_integer(ip->window));
	return j;
}

static struct ws_tcp *
client_socket(struct iperf *ip)
{
	struct ws_tcp *s;
	int error;

	if ((error = ws_tcp_open(ip->app.st, &s)) < 0)
		app_die(&ip->app, APP_EXIT_FAIL, "cannot open a socket: %s",
		    ws_strerror(error));
	(void)ws_tcp_setopt(s, WS_TCP_SNDBUF, (int)ip->window);
	(void)ws_tcp_setopt(s, WS_TCP_RCVBUF, (int)ip->window);
	return s;
}

/* Open the next stream once the previous one is connected. */
static void
client_streams(struct iperf *ip)
{
	struct stream *sp;
	int error;

	if (ip->nstreams > 0) {
		unsigned ev;

		sp = &ip->streams[ip->nstreams - 1];
		if (sp->ready)
			goto next;
		ev = ws_tcp_events(sp->s);
		if (ev & WS_TCP_ERROR) {
			error = ws_tcp_error(sp->s);
			app_die(&ip->app, APP_EXIT_FAIL, "error - unable to "
			    "connect stream: %s", ws_strerror(error != 0 ?
			    error : WS_ECONNABORTED));
		}
		if (!(ev & WS_TCP_CONNECTED))
			return;
		if (ws_tcp_send(sp->s, ip->cookie, COOKIE_SIZE) !=
		    COOKIE_SIZE)
			app_die(&ip->app, APP_EXIT_FAIL, "error - cannot send "
			    "the stream cookie");
		sp->ready = true;
		{
			struct ws_tcp_info ti;
			char ab[16], fb[16];

			if (ws_tcp_info(sp->s, &ti) == 0)
				printf("[%3d] local %s port %u connected to %s "
				    "port %u\n", sp->id, ws_ip4_format(
				    ti.local_addr, ab, sizeof(ab)),
				    (unsigned)ti.local_port, ws_ip4_format(
				    ti.remote_addr, fb, sizeof(fb)),
				    (unsigned)ti.remote_port);
		}
	}
next:
	if (ip->nstreams >= ip->parallel)
		return;
	sp = &ip->streams[ip->nstreams];
	memset(sp, 0, sizeof(*sp));
	sp->id = stream_id(ip->nstreams);
	sp->s = client_socket(ip);
	ip->nstreams++;
	error = ws_tcp_connect(sp->s, ip->peer_addr, ip->port);
	if (error < 0 && error != WS_EINPROGRESS)
		app_die(&ip->app, APP_EXIT_FAIL, "error - unable to connect "
		    "stream: %s", ws_strerror(error));
}

static void
client_end_test(struct iperf *ip)
{
	if (!ip->sending)
		streams_recv(ip, true);
	test_finish(ip);
	ctrl_state(ip, TEST_END);
	ip->phase = C_ENDING;
}

static const char *
ierr_text(int ierr)
{
	switch (ierr) {
	case IE_UNIMP:
		return "not implemented by the server";
	case IE_NUMSTREAMS:
		return "number of parallel streams too large";
	case IE_BLOCKSIZE:
		return "block size too large";
	default:
		return "the server reported an error";
	}
}

static void
client_control(struct iperf *ip)
{
	int rc = ctrl_fill(ip), state;
	json_t *j;
	uint8_t codes[8];

	for (;;) {
		switch (ip->phase) {
		case C_SETUP:
		case C_RUNNING:
		case C_ENDING:
		case C_DISPLAY:
			if (!ctrl_take_state(ip, &state))
				goto out;
			switch (state) {
			case PARAM_EXCHANGE: {
				json_t *p = client_params(ip);

				ctrl_json(ip, p);
				json_decref(p);
				break;
			}
			case CREATE_STREAMS:
				client_streams(ip);
				break;
			case TEST_START:
				break;
			case TEST_RUNNING:
				ip->phase = C_RUNNING;
				ip->sending = !ip->reverse;
				ip->test_nbytes = ip->sending ? ip->nbytes : 0;
				test_begin(ip);
				break;
			case EXCHANGE_RESULTS: {
				json_t *ours;

				if (ip->phase == C_RUNNING)
					test_finish(ip);
				ours = results_json(ip);
				ctrl_json(ip, ours);
				json_decref(ours);
				ip->phase = C_RESULTS;
				break;
			}
			case DISPLAY_RESULTS:
				ctrl_state(ip, IPERF_DONE);
				ip->phase = C_FINISHED;
				return;
			case ACCESS_DENIED:
				app_die(&ip->app, APP_EXIT_FAIL, "error - the "
				    "server is busy running a test. try again "
				    "later");
			case SERVER_ERROR:
				ip->phase = C_ERROR;
				break;
			case SERVER_TERMINATE:
				app_die(&ip->app, APP_EXIT_FAIL, "error - the "
				    "server has terminated");
			default:
				app_die(&ip->app, APP_EXIT_FAIL, "error - "
				    "unexpected state %d from the server", state);
			}
			continue;
		case C_RESULTS:
			switch (ctrl_take_json(ip, &j)) {
			case 0:
				goto out;
			case 1:
				break;
			default:
				app_die(&ip->app, APP_EXIT_FAIL, "error - bad "
				    "results from the server");
			}
			print_summary(ip, j);
			json_decref(j);
			ip->phase = C_DISPLAY;
			continue;
		case C_ERROR:
			if (!ctrl_take_bytes(ip, codes, sizeof(codes)))
				goto out;
			{
				int ierr = (int)((uint32_t)codes[0] << 24 |
				    (uint32_t)codes[1] << 16 |
				    (uint32_t)codes[2] << 8 | codes[3]);

				app_die(&ip->app, APP_EXIT_FAIL, "error - %s "
				    "(code %d)", ierr_text(ierr), ierr);
			}
		default:
			goto out;
		}
	}
out:
	if (rc != 0 && ip->phase != C_FINISHED)
		app_die(&ip->app, APP_EXIT_FAIL, "error - control socket has "
		    "closed unexpectedly (%s)", rc < 0 ? ws_strerror(rc) :
		    "end of stream");
}

static void
client_step(struct iperf *ip)
{
	ws_time_t now;

	if (ip->phase == C_CONNECT) {
		unsigned ev = ws_tcp_events(ip->ctrl);

		if (ev & WS_TCP_ERROR) {
			int error = ws_tcp_error(ip->ctrl);

			app_die(&ip->app, APP_EXIT_FAIL, "error - unable to "
			    "connect to server %s port %u: %s", ip->peer_host,
			    (unsigned)ip->port, ws_strerror(error != 0 ? error :
			    WS_ECONNABORTED));
		}
		if (!(ev & WS_TCP_CONNECTED))
			return;
		{
			struct ws_tcp_info ti;
			char ab[16];

			if (ws_tcp_info(ip->ctrl, &ti) == 0)
				app_verbose(&ip->app, 1, "control: local %s "
				    "port %u", ws_ip4_format(ti.local_addr, ab,
				    sizeof(ab)), (unsigned)ti.local_port);
		}
		ctrl_send(ip, ip->cookie, COOKIE_SIZE);
		ip->phase = C_SETUP;
	}
	if (ip->phase == C_SETUP && ip->nstreams > 0)
		client_streams(ip);
	if (ip->phase == C_RUNNING) {
		if (ip->sending)
			streams_send(ip, false);
		else
			streams_recv(ip, true);
	} else if (ip->phase > C_RUNNING && !ip->sending) {
		/* Keep draining after TEST_END, or the server's sends stall
		 * (iperf3 does the same). */
		streams_recv(ip, false);
	}
	client_control(ip);
	if (ip->phase != C_RUNNING)
		return;
	now = ws_clock_now();
	if (ip->interval > 0 &&
	    now >= ip->t_report + (ws_time_t)(ip->interval * 1e6))
		interval_report(ip, now);
	if ((ip->duration_s > 0 && now >= ip->t_start +
	    (ws_time_t)ip->duration_s * WS_USEC_PER_SEC) ||
	    (ip->nbytes != 0 && ip->total >= ip->nbytes)) {
		if (ip->interval > 0)
			interval_report(ip, now);
		client_end_test(ip);
	}
}

/* How long the loop may sleep: until the next report or the test's end. */
static int
wait_ms(const struct iperf *ip)
{
	ws_time_t now, next = WS_TIME_NEVER;

	if (ip->phase != C_RUNNING && ip->phase != S_RUNNING)
		return -1;
	now = ws_clock_now();
	if (ip->interval > 0)
		next = ip->t_report + (ws_time_t)(ip->interval * 1e6);
	if (ip->phase == C_RUNNING && ip->duration_s > 0)
		next = ws_time_min(next, ip->t_start +
		    (ws_time_t)ip->duration_s * WS_USEC_PER_SEC);
	if (next == WS_TIME_NEVER)
		return -1;
	if (next <= now)
		return 0;
	return (int)((next - now + 999) / 1000);
}

/* SIGINT: tell the peer, as iperf3 does, and let the segment go out. */
static void
terminate(struct iperf *ip)
{
	if (ip->ctrl != NULL && ip->phase != S_IDLE &&
	    ip->phase != C_FINISHED && ip->phase != C_CONNECT)
		ctrl_state(ip, ip->server ? SERVER_TERMINATE : CLIENT_TERMINATE);
	streams_close(ip, true);
	if (ip->ctrl != NULL)
		ws_tcp_close(ip->ctrl);
	ip->ctrl = NULL;
	(void)ws_stack_poll(ip->app.st, ws_clock_now());
}

/* Close cleanly and give the FINs a moment to go out. */
static void
linger(struct iperf *ip)
{
	ws_time_t end = ws_time_add_ms(ws_clock_now(), SHUTDOWN_GRACE_MS);

	streams_close(ip, false);
	if (ip->ctrl != NULL)
		ws_tcp_close(ip->ctrl);
	ip->ctrl = NULL;
	while (ws_clock_now() < end && !app_stopping(&ip->app)) {
		ws_time_t dl = ws_stack_next_deadline(ip->app.st);

		/* Done once nothing but TIME_WAIT-length timers remain. */
		if (dl == WS_TIME_NEVER || dl > end)
			break;
		if (ws_loop_wait(ip->app.st, NULL, 0, 50) < 0)
			break;
	}
}

int
main(int argc, char **argv)
{
	static struct iperf ipf;
	struct iperf *ip = &ipf;
	struct app *a = &ip->app;
	int error;

	the_iperf = ip;
	parse_args(ip, argc, argv);
	app_start(a, ip->port);
	ip->blk = malloc(MAX_BLKSIZE);
	ip->rbuf = malloc(RECV_CHUNK);
	if (ip->blk == NULL || ip->rbuf == NULL)
		app_die(a, APP_EXIT_FAIL, "out of memory");
	for (size_t i = 0; i < MAX_BLKSIZE; i++)
		ip->blk[i] = (uint8_t)(i * 2654435761u >> 24);
	/* The device is open: from here on the stack only. */
	app_sandbox(a);

	if (ip->server) {
		ip->listener = client_socket(ip);
		if ((error = ws_tcp_listen(ip->listener, ip->port,
		    MAX_STREAMS + 8)) < 0)
			app_die(a, APP_EXIT_FAIL, "cannot listen on port %u: %s",
			    (unsigned)ip->port, ws_strerror(error));
		ip->phase = S_IDLE;
		printf("-----------------------------------------------------------\n");
		printf("Server listening on %u (wirestack)\n", (unsigned)ip->port);
		printf("-----------------------------------------------------------\n");
		fflush(stdout);
	} else {
		make_cookie(ip->cookie);
		printf("Connecting to host %s, port %u\n", ip->peer_host,
		    (unsigned)ip->port);
		fflush(stdout);
		ip->ctrl = client_socket(ip);
		error = ws_tcp_connect(ip->ctrl, ip->peer_addr, ip->port);
		if (error < 0 && error != WS_EINPROGRESS)
			app_die(a, APP_EXIT_FAIL, "error - unable to connect to "
			    "server: %s", ws_strerror(error));
		ip->phase = C_CONNECT;
		ip->t_start = ws_clock_now();
	}

	while (ip->phase != C_FINISHED) {
		struct pollfd pfd = { .fd = a->sigfd, .events = POLLIN };

		if (app_stopping(a)) {
			terminate(ip);
			printf("iperf: interrupt - the %s has terminated\n",
			    ip->server ? "server" : "client");
			app_finish(a);
			return ip->server ? 0 : APP_EXIT_FAIL;
		}
		error = ws_loop_wait(a->st, &pfd, 1, wait_ms(ip));
		if (error < 0)
			app_die(a, APP_EXIT_FAIL, "device %s failed: %s",
			    ws_stack_link(a->st)->name, ws_strerror(error));
		if (ip->server) {
			server_step(ip);
		} else {
			if (ip->phase == C_CONNECT && ws_clock_now() >
			    ip->t_start + CONNECT_TIMEOUT_MS * WS_USEC_PER_MSEC)
				app_die(a, APP_EXIT_FAIL, "error - unable to "
				    "connect to server %s port %u: timed out",
				    ip->peer_host, (unsigned)ip->port);
			client_step(ip);
		}
	}
	if (!ip->server) {
		linger(ip);
		printf("\niperf Done.\n");
	} else {
		linger(ip);
		ws_tcp_close(ip->listener);
	}
	fflush(stdout);
	app_finish(a);
	free(ip->blk);
	free(ip->rbuf);
	return ip->exit_code;
}

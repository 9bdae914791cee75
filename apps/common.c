/*
 * Shared by server and client: command line, device and stack setup,
 * loopback firewall, signals, counters, buffers.
 */
#define _GNU_SOURCE /* pipe2 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wirestack/wirestack.h>

#include "apps/common.h"
#include "apps/nft.h"
#include "apps/privdrop.h"
#include "apps/report.h"

#define LOOPBACK_ADDR 0x7f000001u /* 127.0.0.1 */

/* Written by the signal handler, read by app_stopping(). */
static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_usr1;  /* SIGUSR1: print the report */
static int sigpipe_w = -1;

static void
on_signal(int signo)
{
	int saved = errno;

	if (signo == SIGUSR1)
		got_usr1 = 1;
	else
		got_signal = signo;
	if (sigpipe_w >= 0)
		(void)!write(sigpipe_w, "s", 1);
	errno = saved;
}

static void
synopsis(const struct app *a, FILE *f)
{
	if (a->synopsis_fn != NULL) {
		a->synopsis_fn(f);
		return;
	}
	if (a->kind == APP_SERVER)
		fprintf(f,
"usage: %s [-i IFACE --ip ADDR/PREFIX [--gw ADDR] [--mac MAC]] [-p PORT]\n"
"              [--echo] [--cc newreno|cubic] [--no-hystart] [--loss P]\n"
"              [--dup P] [--reorder P] [--corrupt P] [--ce P] [--seed N]\n"
"              [--pcap FILE] [--stats-json FILE] [--tos N] [--ttl N] [--ecn]\n"
"              [--user NAME] [--no-seccomp] [--no-firewall] [-v[v[v]]]\n",
		    a->prog);
	else
		fprintf(f,
"usage: %s [-i IFACE --ip ADDR/PREFIX [--gw ADDR] [--mac MAC]] [-w SECS]\n"
"              [--cc newreno|cubic] [--no-hystart] [--loss P] [--dup P]\n"
"              [--reorder P] [--corrupt P] [--ce P] [--seed N] [--pcap FILE]\n"
"              [--stats-json FILE] [--tos N] [--ttl N] [--ecn]\n"
"              [--user NAME] [--no-seccomp] [--no-firewall] [-v[v[v]]]\n"
"              [HOST [PORT]]\n", a->prog);
}

static void
usage(const struct app *a, FILE *f)
{
	synopsis(a, f);
	if (a->kind == APP_SERVER) {
		fprintf(f,
"\n"
"A TCP server on the wirestack user-space TCP/IPv4 stack.  For every line\n"
"received it answers \"Server received: <line>\"; with --echo it returns every\n"
"byte as received.  It also answers ARP and ping on its address.\n");
	} else {
		fprintf(f,
"\n"
"A TCP client on the wirestack user-space TCP/IPv4 stack (default peer\n"
"127.0.0.1 8080).  On a terminal it prompts for lines and prints the replies;\n"
"otherwise it sends all of standard input, half-closes, and copies what the\n"
"server sends to standard output until the server closes.\n");
	}
	fprintf(f,
"\n"
"  -i, --interface IFACE  Ethernet mode: run on IFACE (libpcap capture, libnet\n"
"                         injection).  Needs --ip.\n"
"      --ip ADDR/PREFIX   wirestack's own address on IFACE, e.g. 198.18.0.2/24.\n"
"                         It must differ from any address the kernel has there:\n"
"                         wirestack is a separate host on the wire.\n"
"      --gw ADDR          next hop for destinations off the prefix\n"
"      --mac MAC          wirestack's MAC (default: the interface's own)\n"
"      --pcap FILE        write every frame sent and received to FILE\n"
"      --no-firewall      loopback mode: do not install the nftables rule\n"
"      --cc ALG           congestion control: newreno or cubic (default: the\n"
"                         stack's own)\n"
"      --tos N            IP TOS byte (DS field) of our TCP segments, 0..255\n"
"      --ttl N            IP TTL of our TCP segments, 1..255 (default 64)\n"
"      --ecn              ask for ECN (RFC 3168) in our SYNs; without it ECN\n"
"                         is used only when the peer asks\n"
"      --no-hystart       plain slow start: no HyStart++ (RFC 9406) exit on a\n"
"                         delay increase\n"
"      --loss P           drop P percent of frames, each direction (0..100)\n"
"      --dup P            send P percent of frames twice\n"
"      --reorder P        hold P percent of frames back behind the next\n"
"      --corrupt P        flip one byte in P percent of frames\n"
"      --ce P             mark P percent of ECN-capable packets CE (RFC 3168)\n"
"      --seed N           seed for the faults above (default: random, printed)\n"
"      --stats-json FILE  write the counters and connections as JSON to FILE\n"
"                         at exit and on SIGUSR1\n"
"      --user NAME        run as NAME once the device is open (default nobody\n"
"                         when started as root); capabilities are dropped\n"
"      --no-seccomp       do not install the seccomp system call filter\n"
"  -v, --verbose          report connections, print counters (netstat -s)\n"
"                         and connections (ss -ti) at exit; SIGUSR1 prints\n"
"                         them at any time\n"
"  -vv                    also one line per frame in and out (tcpdump style)\n"
"  -vvv                   also the Ethernet header and stack debug messages\n"
"  -h, --help             this text\n");
	if (a->kind == APP_SERVER)
		fprintf(f,
"  -p, --port PORT        listen on PORT (default %d)\n"
"      --echo             echo every byte back unchanged\n", APP_DEFAULT_PORT);
	else
		fprintf(f,
"  -w, --timeout SECS     give up connecting after SECS (default 30)\n");
	fprintf(f,
"\n"
"Without -i: loopback mode.  wirestack uses 127.0.0.1 through a raw IPv4\n"
"socket and installs an nftables table (removed at exit) that drops the\n"
"kernel's RSTs for its port, so the kernel does not reset its connections.\n"
"Needs root or cap_net_raw,cap_net_admin.\n");
}

static void __attribute__((noreturn))
bad_usage(const struct app *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	synopsis(a, stderr);
	fprintf(stderr, "Try '%s --help' for more.\n", a->prog);
	exit(APP_EXIT_USAGE);
}

void
app_die(struct app *a, int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

void
app_warn(struct app *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

void
app_verbose(struct app *a, int level, const char *fmt, ...)
{
	va_list ap;

	if (a->o.verbose < level)
		return;
	fprintf(stderr, "%s: ", a->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int
parse_host(const char *s, uint32_t *addr)
{
	if (strcmp(s, "localhost") == 0) {
		*addr = LOOPBACK_ADDR;
		return 0;
	}
	return ws_ip4_parse(s, addr, NULL);
}

/* Could `addr` with this prefix be a host's own address on Ethernet? */
static bool
host_addr(uint32_t addr, uint8_t plen)
{
	uint32_t mask = plen == 0 ? 0 : ~(uint32_t)0 << (32 - plen);

	if ((addr >> 24) == 0 || (addr >> 24) == 127 || addr >= 0xe0000000u)
		return false;
	/* RFC 3021: a /31 has no network or broadcast address. */
	if (plen < 31 && ((addr & ~mask) == 0 || (addr & ~mask) == ~mask))
		return false;
	return true;
}

void
app_signals(struct app *a, sigset_t *waitmask)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	sigset_t blocked;
	int p[2];

	if (waitmask == NULL) {
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
			app_die(a, APP_EXIT_FAIL, "pipe: %s", strerror(errno));
		a->sigfd = p[0];
		sigpipe_w = p[1];
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&blocked);
	/* No SA_RESTART: poll(2) returns EINTR and the loop looks. */
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		sigaction(stops[i], &sa, NULL);
		sigaddset(&blocked, stops[i]);
	}
	if (waitmask == NULL) {
		sigaction(SIGUSR1, &sa, NULL);
		/* A closed stdout shows up as EPIPE from write(2), not a
		 * signal. */
		signal(SIGPIPE, SIG_IGN);
		return;
	}
	/*
	 * Blocked except inside ppoll(2): a signal that arrives between
	 * app_stopping() and the wait interrupts the wait, so none is missed.
	 */
	sigprocmask(SIG_BLOCK, &blocked, waitmask);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		sigdelset(waitmask, stops[i]);
}

/* Ethernet mode (-i given): --ip is required; --gw and --mac optional. */
static void
check_ether_args(struct app *a, const char *ip_arg, const char *gw_arg,
    const char *mac_arg)
{
	if (ip_arg == NULL)
		bad_usage(a, "-i %s needs --ip ADDR/PREFIX (wirestack's "
		    "own address on that link, e.g. 198.18.0.2/24)",
		    a->o.ifname);
	if (strchr(ip_arg, '/') == NULL ||
	    ws_ip4_parse(ip_arg, &a->o.addr, &a->o.prefix_len) < 0)
		bad_usage(a, "bad address '%s': expected ADDR/PREFIX "
		    "such as 198.18.0.2/24", ip_arg);
	if (!host_addr(a->o.addr, a->o.prefix_len))
		bad_usage(a, "bad address '%s': not a host address "
		    "(0/8, 127/8, multicast, class E and the subnet's "
		    "network and broadcast addresses are not)", ip_arg);
	if (gw_arg != NULL && ws_ip4_parse(gw_arg, &a->o.gateway,
	    NULL) < 0)
		bad_usage(a, "bad gateway '%s': expected an IPv4 "
		    "address such as 198.18.0.1", gw_arg);
	if (mac_arg != NULL) {
		if (ws_mac_parse(mac_arg, a->o.mac) < 0)
			bad_usage(a, "bad MAC '%s': expected six hex "
			    "bytes such as 02:00:00:00:00:02", mac_arg);
		if (a->o.mac[0] & 1)
			bad_usage(a, "bad MAC '%s': a multicast address "
			    "cannot be a host's", mac_arg);
		a->o.have_mac = true;
	}
}

enum {
	OPT_IP = 256, OPT_GW, OPT_MAC, OPT_PCAP, OPT_ECHO, OPT_NOFW,
	OPT_CC, OPT_LOSS, OPT_DUP, OPT_REORDER, OPT_CORRUPT, OPT_SEED,
	OPT_STATS_JSON, OPT_USER, OPT_NO_SECCOMP, OPT_TOS, OPT_TTL,
	OPT_NO_HYSTART, OPT_CE, OPT_ECN,
};

/* --loss and friends: a percentage, 0..100, as a probability. */
static double
parse_percent(const struct app *a, const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < 0 || v > 100)
		bad_usage(a, "bad %s '%s': expected a percentage, 0..100", opt,
		    s);
	return v / 100.0;
}

/* The options every app shares beyond the device; 1 if c was one. */
static int
common_opt(struct app *a, int c, const char *arg)
{
	char *end;

	switch (c) {
	case OPT_CC:
		if (strcmp(arg, "newreno") == 0)
			a->o.cc = WS_TCP_CC_NEWRENO;
		else if (strcmp(arg, "cubic") == 0)
			a->o.cc = WS_TCP_CC_CUBIC;
		else
			bad_usage(a, "bad congestion control '%s': expected "
			    "newreno or cubic", arg);
		a->o.cc_name = a->o.cc == WS_TCP_CC_CUBIC ? "cubic" :
		    "newreno";
		return 1;
	case OPT_NO_HYSTART:
		a->o.no_hystart = true;
		return 1;
	case OPT_LOSS:
		a->o.fault.drop = parse_percent(a, "--loss", arg);
		a->o.have_fault = true;
		return 1;
	case OPT_DUP:
		a->o.fault.duplicate = parse_percent(a, "--dup", arg);
		a->o.have_fault = true;
		return 1;
	case OPT_REORDER:
		a->o.fault.reorder = parse_percent(a, "--reorder", arg);
		a->o.have_fault = true;
		return 1;
	case OPT_CORRUPT:
		a->o.fault.corrupt = parse_percent(a, "--corrupt", arg);
		a->o.have_fault = true;
		return 1;
	case OPT_CE:
		a->o.fault.ce = parse_percent(a, "--ce", arg);
		a->o.have_fault = true;
		return 1;
	case OPT_ECN:
		a->o.ecn = true;
		return 1;
	case OPT_SEED:
		errno = 0;
		a->o.fault.seed = strtoull(arg, &end, 0);
		if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-')
			bad_usage(a, "bad seed '%s': expected a number", arg);
		return 1;
	case OPT_STATS_JSON:
		a->o.stats_json = arg;
		return 1;
	case OPT_USER:
		if (arg[0] == '\0')
			bad_usage(a, "--user needs a user name");
		a->o.user = arg;
		return 1;
	case OPT_NO_SECCOMP:
		a->o.no_seccomp = true;
		return 1;
	case OPT_TOS:
	case OPT_TTL: {
		long v;

		errno = 0;
		v = strtol(arg, &end, 0);
		if (errno != 0 || end == arg || *end != '\0' ||
		    v < (c == OPT_TTL ? 1 : 0) || v > 255)
			bad_usage(a, "bad %s '%s': expected %s", c == OPT_TOS ?
			    "--tos" : "--ttl", arg, c == OPT_TOS ? "0..255" :
			    "1..255");
		if (c == OPT_TOS)
			a->o.tos = (int)v;
		else
			a->o.ttl = (int)v;
		return 1;
	}
	}
	return 0;
}

void
app_init(struct app *a, enum app_kind kind, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "gw", required_argument, NULL, OPT_GW },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "pcap", required_argument, NULL, OPT_PCAP },
		{ "no-firewall", no_argument, NULL, OPT_NOFW },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "echo", no_argument, NULL, OPT_ECHO },
		{ "timeout", required_argument, NULL, 'w' },
		{ "cc", required_argument, NULL, OPT_CC },
		{ "no-hystart", no_argument, NULL, OPT_NO_HYSTART },
		{ "loss", required_argument, NULL, OPT_LOSS },
		{ "dup", required_argument, NULL, OPT_DUP },
		{ "reorder", required_argument, NULL, OPT_REORDER },
		{ "corrupt", required_argument, NULL, OPT_CORRUPT },
		{ "ce", required_argument, NULL, OPT_CE },
		{ "ecn", no_argument, NULL, OPT_ECN },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
		{ "user", required_argument, NULL, OPT_USER },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "tos", required_argument, NULL, OPT_TOS },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ NULL, 0, NULL, 0 },
	};
	const char *optstring = kind == APP_SERVER ? "+:i:p:vh" : "+:i:w:vh";
	const char *ip_arg = NULL, *gw_arg = NULL, *mac_arg = NULL;
	int c;

	memset(a, 0, sizeof(*a));
	a->kind = kind;
	/* Messages name the program as invoked: ./server, wirestack-server. */
	a->prog = kind == APP_SERVER ? "server" : "client";
	if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
		const char *slash = strrchr(argv[0], '/');

		a->prog = slash != NULL && slash[1] != '\0' ? slash + 1 : argv[0];
	}
	a->sigfd = -1;
	a->reserve_fd = -1;
	a->o.port = APP_DEFAULT_PORT;
	a->o.peer_port = APP_DEFAULT_PORT;
	a->o.peer_addr = LOOPBACK_ADDR;
	a->o.peer_host = "127.0.0.1";
	a->o.connect_timeout_s = 30;
	a->stats_fd = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if (common_opt(a, c, optarg))
			continue;
		switch (c) {
		case 'i':
			a->o.ifname = optarg;
			break;
		case OPT_IP:
			ip_arg = optarg;
			break;
		case OPT_GW:
			gw_arg = optarg;
			break;
		case OPT_MAC:
			mac_arg = optarg;
			break;
		case OPT_PCAP:
			a->o.pcap_path = optarg;
			break;
		case OPT_NOFW:
			a->o.no_firewall = true;
			break;
		case 'v':
			a->o.verbose++;
			break;
		case 'h':
			usage(a, stdout);
			exit(0);
		case 'p':
			if (parse_port(optarg, &a->o.port) < 0)
				bad_usage(a, "bad port '%s': expected 1..65535",
				    optarg);
			break;
		case OPT_ECHO:
			if (kind != APP_SERVER)
				bad_usage(a, "unknown option '--echo'");
			a->o.echo = true;
			break;
		case 'w': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (kind != APP_CLIENT)
				bad_usage(a, "unknown option '--timeout'");
			if (*end != '\0' || end == optarg || v <= 0 ||
			    v > 3600)
				bad_usage(a, "bad timeout '%s': expected "
				    "seconds, 1..3600", optarg);
			a->o.connect_timeout_s = (int)v;
			break;
		}
		case ':':
			bad_usage(a, "option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0 && optopt < 256)
				bad_usage(a, "unknown option '-%c'", optopt);
			bad_usage(a, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (kind == APP_SERVER) {
		if (optind < argc)
			bad_usage(a, "unexpected argument '%s'", argv[optind]);
	} else {
		if (optind < argc) {
			a->o.peer_host = argv[optind];
			if (parse_host(argv[optind], &a->o.peer_addr) < 0)
				bad_usage(a, "bad host '%s': expected an IPv4 "
				    "address such as 198.18.0.1", argv[optind]);
			optind++;
		}
		if (optind < argc) {
			if (parse_port(argv[optind], &a->o.peer_port) < 0)
				bad_usage(a, "bad port '%s': expected 1..65535",
				    argv[optind]);
			optind++;
		}
		if (optind < argc)
			bad_usage(a, "unexpected argument '%s'", argv[optind]);
	}

	if (a->o.ifname != NULL) {
		check_ether_args(a, ip_arg, gw_arg, mac_arg);
	} else {
		if (ip_arg != NULL || gw_arg != NULL || mac_arg != NULL)
			bad_usage(a, "--ip, --gw and --mac need -i IFACE "
			    "(loopback mode always uses 127.0.0.1)");
		if (kind == APP_CLIENT && (a->o.peer_addr >> 24) != 127)
			bad_usage(a, "loopback mode reaches 127.0.0.0/8 only; "
			    "for %s use -i IFACE --ip ADDR/PREFIX",
			    a->o.peer_host);
	}
	app_signals(a, NULL);
}

bool
app_stopping(struct app *a)
{
	char buf[64];

	while (a->sigfd >= 0 && read(a->sigfd, buf, sizeof(buf)) > 0)
		continue;
	if (got_usr1) {
		got_usr1 = 0;
		if (a->st != NULL)
			app_report(a);
	}
	return got_signal != 0;
}

static void
log_to_stderr(void *ctx, enum ws_log_level level, const char *msg)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	struct app *a = ctx;

	fprintf(stderr, "%s: wirestack %s: %s\n", a->prog,
	    (unsigned)level < 4 ? names[level] : "log", msg);
}

/* The path to tell the user to setcap. */
static const char *
self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0)
		return "./server";
	buf[n] = '\0';
	return buf;
}

static void __attribute__((noreturn))
die_open(struct app *a, int error, const char *what, const char *errbuf)
{
	char path[PATH_MAX];

	if (error == WS_EPERM || error == WS_EACCES)
		app_die(a, APP_EXIT_FAIL, "no permission to open %s: run with "
		    "sudo, or: sudo setcap cap_net_raw,cap_net_admin+ep %s",
		    what, self_path(path, sizeof(path)));
	if (error == WS_ENODEV)
		app_die(a, APP_EXIT_FAIL, "no such interface '%s' (list them "
		    "with: ip link)", what);
	app_die(a, APP_EXIT_FAIL, "cannot open %s: %s", what,
	    errbuf[0] != '\0' ? errbuf : ws_strerror(error));
}

/*
 * Loopback mode: hold our port with a kernel socket bound to it.  For the
 * server this finds another server on 127.0.0.1:port (kernel or wirestack)
 * now rather than as a confusing failure later; for the client (port 0)
 * it picks an ephemeral port the kernel will not hand to anyone else
 * while we use it.  Returns the port.
 */
static uint16_t
reserve_port(struct app *a, uint16_t port)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		app_die(a, APP_EXIT_FAIL, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(LOOPBACK_ADDR);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		if (errno == EADDRINUSE)
			app_die(a, APP_EXIT_FAIL, "port %u is already in use on "
			    "127.0.0.1 (another server running?  choose "
			    "another with -p PORT)", (unsigned)port);
		if (errno == EACCES || errno == EPERM) {
			char what[32];

			snprintf(what, sizeof(what), "port %u", (unsigned)port);
			die_open(a, WS_EACCES, what, "");
		}
		app_die(a, APP_EXIT_FAIL, "cannot reserve 127.0.0.1:%u: %s",
		    (unsigned)port, strerror(errno));
	}
	if (getsockname(fd, (struct sockaddr *)&sin, &slen) < 0)
		app_die(a, APP_EXIT_FAIL, "getsockname: %s", strerror(errno));
	a->reserve_fd = fd;
	return ntohs(sin.sin_port);
}

/*
 * -vv: a tcpdump-style line per frame on stderr; --loss and friends: the
 * fault injector.  The injector goes outermost (after smoltcp's
 * examples/utils.rs), so the trace and --pcap show what really crossed
 * the wire: a frame the injector drops on the way out never appears, one
 * it drops on the way in appears once and the stack never sees it.
 */
static void
wrap_trace_fault(struct app *a)
{
	struct ws_link *w;
	char ce[32];
	int error;

	if (a->o.verbose >= 2) {
		error = ws_link_trace_wrap(&w, a->link, stderr,
		    WS_TRACE_RX | WS_TRACE_TX | WS_TRACE_DIR |
		    WS_TRACE_WALLCLOCK | (a->o.verbose >= 3 ? WS_TRACE_LINK :
		    0));
		if (error < 0)
			app_die(a, APP_EXIT_FAIL, "cannot trace %s: %s",
			    a->link->name, ws_strerror(error));
		a->link = w;
	}
	if (a->o.have_fault) {
		if (a->o.fault.seed == 0) {
			/* Random, but printed, so the run can be repeated. */
			uint64_t seed = 0;

			while (seed == 0)
				seed = ((uint64_t)ws_clock_now() << 20) ^
				    (uint64_t)getpid() ^
				    ((uint64_t)rand() << 32);
			a->o.fault.seed = seed;
		}
		error = ws_link_fault_wrap(&w, a->link, &a->o.fault);
		if (error < 0)
			app_die(a, APP_EXIT_FAIL, "cannot add fault injection: "
			    "%s", ws_strerror(error));
		a->link = w;
		/* CE marks (--ce) only when asked for: the line stays. */
		snprintf(ce, sizeof(ce), "ce %g%%, ", a->o.fault.ce * 100);
		fprintf(stderr, "%s: fault injection on %s, both directions: "
		    "loss %g%%, dup %g%%, reorder %g%%, corrupt %g%%, "
		    "%s--seed %llu\n", a->prog, a->link->name,
		    a->o.fault.drop * 100, a->o.fault.duplicate * 100,
		    a->o.fault.reorder * 100, a->o.fault.corrupt * 100,
		    a->o.fault.ce > 0 ? ce : "",
		    (unsigned long long)a->o.fault.seed);
	}
}

void
app_start(struct app *a, uint16_t port)
{
	struct ws_stack_config cfg;
	char errbuf[256] = "";
	char ab[16];
	int error;

	if (a->o.ifname != NULL) {
		struct ws_link_pcap_config pc;

		memset(&pc, 0, sizeof(pc));
		pc.ifname = a->o.ifname;
		pc.hwaddr = a->o.have_mac ? a->o.mac : NULL;
		error = ws_link_pcap_open(&a->link, &pc, errbuf, sizeof(errbuf));
		if (error < 0)
			die_open(a, error, a->o.ifname, errbuf);
	} else {
		struct ws_link_rawip_config rc;
		char name[64];

		/*
		 * The kernel answers what it sees on lo for ports it has no
		 * socket on with RSTs.  The server's rule drops those from
		 * its port (answers to the clients' segments); the client's
		 * drops those from its own port to the server's (answers to
		 * the server's).  A refusal (no server: the kernel's RST from
		 * the server port) still reaches the client.
		 */
		uint16_t sport, dport;

		if (a->kind == APP_SERVER) {
			sport = reserve_port(a, port);
			dport = 0;
		} else {
			a->o.local_port = sport = reserve_port(a, 0);
			dport = port;
		}
		memset(&rc, 0, sizeof(rc));
		rc.local_addr = LOOPBACK_ADDR;
		rc.local_port = sport;
		rc.remote_port = dport;
		rc.mark = a->o.no_firewall ? 0 : APP_FW_MARK;
		error = ws_link_rawip_open(&a->link, &rc, errbuf,
		    sizeof(errbuf));
		if (error < 0)
			die_open(a, error, "a raw IPv4 socket for loopback mode",
			    errbuf);
		a->o.addr = LOOPBACK_ADDR;
		a->o.prefix_len = 8;
		if (a->o.no_firewall) {
			fprintf(stderr, "loopback mode: no firewall rule "
			    "(--no-firewall): the kernel will reset connections "
			    "on 127.0.0.1:%u unless its RSTs are filtered\n",
			    (unsigned)port);
		} else if (nft_install(LOOPBACK_ADDR, sport, dport, APP_FW_MARK,
		    name, sizeof(name), errbuf, sizeof(errbuf)) < 0) {
			app_die(a, APP_EXIT_FAIL, "loopback mode: %s", errbuf);
		} else if (a->kind == APP_SERVER) {
			fprintf(stderr, "loopback mode: installed nftables rule "
			    "'%s' dropping the kernel's RSTs for 127.0.0.1:%u; "
			    "removed on exit (--no-firewall to skip)\n", name,
			    (unsigned)port);
		} else {
			fprintf(stderr, "loopback mode: installed nftables rule "
			    "'%s' dropping the kernel's RSTs from 127.0.0.1:%u "
			    "to 127.0.0.1:%u; removed on exit (--no-firewall to "
			    "skip)\n", name, (unsigned)sport, (unsigned)port);
		}
	}
	if (a->o.pcap_path != NULL) {
		struct ws_link *w;

		errbuf[0] = '\0';
		error = ws_link_pcapw_wrap(&w, a->link, a->o.pcap_path, errbuf,
		    sizeof(errbuf));
		if (error < 0)
			app_die(a, APP_EXIT_FAIL, "cannot write %s: %s",
			    a->o.pcap_path, errbuf[0] != '\0' ? errbuf :
			    ws_strerror(error));
		a->link = w;
	}
	wrap_trace_fault(a);
	if (a->o.stats_json != NULL && a->stats_fd < 0) {
		/* Opened now, while we may still create it anywhere. */
		a->stats_fd = open(a->o.stats_json, O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0644);
		if (a->stats_fd < 0)
			app_die(a, APP_EXIT_FAIL, "cannot write %s: %s",
			    a->o.stats_json, strerror(errno));
	}

	ws_stack_config_init(&cfg);
	cfg.link = a->link;
	cfg.addr = a->o.addr;
	cfg.prefix_len = a->o.prefix_len;
	cfg.gateway = a->o.gateway;
	if (a->o.verbose > 0) {
		cfg.log = log_to_stderr;
		cfg.log_ctx = a;
		cfg.log_level = a->o.verbose > 2 ? WS_LOG_DEBUG : WS_LOG_INFO;
	}
	error = ws_stack_new(&a->st, &cfg, ws_clock_now());
	if (error < 0)
		app_die(a, APP_EXIT_FAIL, "cannot start the stack: %s",
		    ws_strerror(error));
	if (a->o.ifname != NULL) {
		const uint8_t *m = a->link->hwaddr;

		fprintf(stderr, "%s: wirestack host %s/%u on %s, MAC "
		    "%02x:%02x:%02x:%02x:%02x:%02x\n", a->prog,
		    ws_ip4_format(a->o.addr, ab, sizeof(ab)),
		    (unsigned)a->o.prefix_len, a->o.ifname, m[0], m[1], m[2],
		    m[3], m[4], m[5]);
	}
}

static void
report_ctx_fill(struct app *a, struct report_ctx *r, struct report_conn *rows,
    size_t maxrows)
{
	size_t n = 0, keep = sizeof(a->closed) / sizeof(a->closed[0]);
	size_t nclosed = a->nclosed < keep ? a->nclosed : keep;

	/* Oldest closed first, then the live ones. */
	for (size_t i = 0; i < nclosed && n < maxrows; i++) {
		rows[n].ti = a->closed[(a->nclosed - nclosed + i) % keep];
		rows[n].recvq = 0;
		rows[n].closed = 1;
		n++;
	}
	for (size_t i = 0; i < a->nsocks && n < maxrows; i++) {
		if (ws_tcp_info(a->socks[i], &rows[n].ti) < 0)
			continue;
		rows[n].recvq = ws_tcp_recvavail(a->socks[i]);
		rows[n].closed = 0;
		n++;
	}
	r->prog = a->prog;
	r->st = a->st;
	r->conns = rows;
	r->nconns = n;
	r->cc_name = a->o.cc_name;
}

static void
write_stats_json(struct app *a, const struct report_ctx *r)
{
	int error;

	if (a->o.stats_json == NULL || a->stats_fd < 0)
		return;
	if ((error = report_json(a->stats_fd, r)) < 0)
		app_warn(a, "cannot write %s: %s", a->o.stats_json,
		    strerror(-error));
}

void
app_report(struct app *a)
{
	struct report_ctx r;
	struct report_conn *rows;
	size_t max = a->nsocks + sizeof(a->closed) / sizeof(a->closed[0]);

	if (a->st == NULL)
		return;
	if ((rows = calloc(max, sizeof(*rows))) == NULL) {
		app_warn(a, "out of memory: no report");
		return;
	}
	report_ctx_fill(a, &r, rows, max);
	fflush(stdout);
	report_text(stderr, &r);
	write_stats_json(a, &r);
	free(rows);
}

int
app_tcp_open(struct app *a, struct ws_tcp **out)
{
	int error = ws_tcp_open(a->st, out);

	if (error < 0)
		return error;
	/*
	 * Without --cc the stack's own default stands.  Listeners pass
	 * their algorithm on to the connections they accept.
	 */
	if (a->o.cc_name != NULL &&
	    (error = ws_tcp_setopt(*out, WS_TCP_CC, a->o.cc)) < 0) {
		ws_tcp_abort(*out);
		*out = NULL;
		if (error == WS_EINVAL)
			app_die(a, APP_EXIT_FAIL, "congestion control '%s' is "
			    "not available in this build of wirestack (try "
			    "--cc newreno)", a->o.cc_name != NULL ?
			    a->o.cc_name : "?");
		app_die(a, APP_EXIT_FAIL, "cannot set congestion control "
		    "'%s': %s", a->o.cc_name != NULL ? a->o.cc_name : "?",
		    ws_strerror(error));
	}
	/* Listeners pass these on too; 0 leaves the defaults. */
	if ((a->o.tos != 0 &&
	    (error = ws_tcp_setopt(*out, WS_TCP_TOS, a->o.tos)) < 0) ||
	    (a->o.ttl != 0 &&
	    (error = ws_tcp_setopt(*out, WS_TCP_TTL, a->o.ttl)) < 0)) {
		ws_tcp_abort(*out);
		*out = NULL;
		app_die(a, APP_EXIT_FAIL, "cannot set --tos/--ttl: %s",
		    ws_strerror(error));
	}
	if (a->o.ecn &&
	    (error = ws_tcp_setopt(*out, WS_TCP_ECN, WS_TCP_ECN_ON)) < 0) {
		ws_tcp_abort(*out);
		*out = NULL;
		app_die(a, APP_EXIT_FAIL, "cannot turn ECN on: %s",
		    ws_strerror(error));
	}
	if (a->o.no_hystart &&
	    (error = ws_tcp_setopt(*out, WS_TCP_HYSTART, 0)) < 0) {
		ws_tcp_abort(*out);
		*out = NULL;
		app_die(a, APP_EXIT_FAIL, "cannot turn HyStart++ off: %s",
		    ws_strerror(error));
	}
	app_track(a, *out);
	return 0;
}

void
app_track(struct app *a, struct ws_tcp *s)
{
	if (a->nsocks == a->socks_cap) {
		size_t cap = a->socks_cap > 0 ? a->socks_cap * 2 : 16;
		struct ws_tcp **v = realloc(a->socks, cap * sizeof(*v));

		if (v == NULL)
			return; /* not reported; nothing else suffers */
		a->socks = v;
		a->socks_cap = cap;
	}
	a->socks[a->nsocks++] = s;
}

void
app_untrack(struct app *a, struct ws_tcp *s)
{
	size_t keep = sizeof(a->closed) / sizeof(a->closed[0]);

	for (size_t i = 0; i < a->nsocks; i++) {
		if (a->socks[i] != s)
			continue;
		/* Listeners are not worth a row once closed. */
		if (ws_tcp_info(s, &a->closed[a->nclosed % keep]) == 0 &&
		    a->closed[a->nclosed % keep].state != WS_TCPS_LISTEN)
			a->nclosed++;
		a->socks[i] = a->socks[--a->nsocks];
		return;
	}
}

void
app_sandbox(struct app *a)
{
	struct privdrop_result res;
	char errbuf[256] = "";

	report_init();
	if (privdrop(a->o.user, !a->o.no_seccomp, &res, errbuf,
	    sizeof(errbuf)) < 0)
		app_die(a, APP_EXIT_FAIL, "dropping privileges: %s", errbuf);
	if (res.seccomp_unavailable && a->o.verbose == 0)
		app_warn(a, "no seccomp filter: %s", res.no_seccomp_why);
	app_verbose(a, 1, "running as user %s%s with no capabilities; "
	    "seccomp filter %s%s", res.user, res.switched_user ? "" :
	    " (unchanged)", res.seccomp ? "on" : "off: ",
	    res.seccomp ? "" : res.no_seccomp_why);
}

void
app_finish(struct app *a)
{
	if (a->st != NULL) {
		struct report_ctx r;
		struct report_conn *rows;
		size_t max = a->nsocks +
		    sizeof(a->closed) / sizeof(a->closed[0]);

		if ((rows = calloc(max, sizeof(*rows))) != NULL) {
			report_ctx_fill(a, &r, rows, max);
			if (a->o.verbose > 0) {
				fflush(stdout);
				report_text(stderr, &r);
			}
			write_stats_json(a, &r);
			free(rows);
		}
		ws_stack_free(a->st);
		a->st = NULL;
	}
	if (a->link != NULL) {
		ws_link_close(a->link);
		a->link = NULL;
	}
	if (a->reserve_fd >= 0) {
		close(a->reserve_fd);
		a->reserve_fd = -1;
	}
	if (a->o.stats_json != NULL && a->stats_fd >= 0) {
		close(a->stats_fd);
		a->stats_fd = -1;
	}
	free(a->socks);
	a->socks = NULL;
	a->nsocks = a->socks_cap = 0;
	nft_remove();
}

const char *
app_peer_name(const struct ws_tcp *s, char *buf, size_t len)
{
	struct ws_tcp_info ti;
	char ab[16];

	if (ws_tcp_info(s, &ti) < 0) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%s:%u", ws_ip4_format(ti.remote_addr, ab,
	    sizeof(ab)), (unsigned)ti.remote_port);
	return buf;
}

size_t
app_buf_pending(const struct app_buf *b)
{
	return b->len - b->off;
}

void
app_buf_append(struct app_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->off > 0 && b->len + n > b->cap) {
		/* Slide the unsent bytes down before growing. */
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 4096;
		uint8_t *d;

		while (cap < b->len + n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (d == NULL) {
			fprintf(stderr, "out of memory\n");
			exit(APP_EXIT_FAIL);
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
app_buf_consume(struct app_buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void
app_buf_free(struct app_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
app_buf_send(struct ws_tcp *s, struct app_buf *b)
{
	while (app_buf_pending(b) > 0) {
		ssize_t n = ws_tcp_send(s, b->data + b->off,
		    app_buf_pending(b));

		if (n == WS_EAGAIN)
			return 0;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		app_buf_consume(b, (size_t)n);
	}
	return 0;
}

void
app_init_dev(struct app *a, enum app_kind kind, const char *prog,
    const struct app_devargs *d, void (*synopsis_fn)(FILE *f))
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->prog = prog;
	a->synopsis_fn = synopsis_fn;
	a->sigfd = -1;
	a->reserve_fd = -1;
	a->o.verbose = d->verbose;
	a->o.pcap_path = d->pcap;
	a->o.user = d->user;
	a->o.no_seccomp = d->no_seccomp;
	a->o.ifname = d->ifname;
	if (d->ifname == NULL)
		bad_usage(a, "-i IFACE is required (Ethernet mode)");
	check_ether_args(a, d->ip, d->gw, d->mac);
	app_signals(a, NULL);
}

const char *
app_prog_name(const char *argv0, const char *fallback)
{
	const char *slash;

	if (argv0 == NULL || argv0[0] == '\0')
		return fallback;
	slash = strrchr(argv0, '/');
	return slash != NULL && slash[1] != '\0' ? slash + 1 : argv0;
}

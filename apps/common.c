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

#define LOOPBACK_ADDR 0x7f000001u /* 127.0.0.1 */

/* Written by the signal handler, read by app_stopping(). */
static volatile sig_atomic_t got_signal;
static int sigpipe_w = -1;

static void
on_signal(int signo)
{
	int saved = errno;

	got_signal = signo;
	if (sigpipe_w >= 0)
		(void)!write(sigpipe_w, "s", 1);
	errno = saved;
}

static void
synopsis(const struct app *a, FILE *f)
{
	if (a->kind == APP_SERVER)
		fprintf(f,
"usage: %s [-i IFACE --ip ADDR/PREFIX [--gw ADDR] [--mac MAC]] [-p PORT]\n"
"              [--echo] [--pcap FILE] [--no-firewall] [-v]\n", a->prog);
	else
		fprintf(f,
"usage: %s [-i IFACE --ip ADDR/PREFIX [--gw ADDR] [--mac MAC]] [-w SECS]\n"
"              [--pcap FILE] [--no-firewall] [-v] [HOST [PORT]]\n", a->prog);
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
"  -v, --verbose          log stack events and print counters at exit (-vv: more)\n"
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

static void
install_signals(struct app *a)
{
	struct sigaction sa;
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		app_die(a, APP_EXIT_FAIL, "pipe: %s", strerror(errno));
	a->sigfd = p[0];
	sigpipe_w = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll(2) returns EINTR and the loop looks. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout shows up as EPIPE from write(2), not a signal. */
	signal(SIGPIPE, SIG_IGN);
}

enum {
	OPT_IP = 256, OPT_GW, OPT_MAC, OPT_PCAP, OPT_ECHO, OPT_NOFW,
};

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

	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
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
	} else {
		if (ip_arg != NULL || gw_arg != NULL || mac_arg != NULL)
			bad_usage(a, "--ip, --gw and --mac need -i IFACE "
			    "(loopback mode always uses 127.0.0.1)");
		if (kind == APP_CLIENT && (a->o.peer_addr >> 24) != 127)
			bad_usage(a, "loopback mode reaches 127.0.0.0/8 only; "
			    "for %s use -i IFACE --ip ADDR/PREFIX",
			    a->o.peer_host);
	}
	install_signals(a);
}

bool
app_stopping(struct app *a)
{
	char buf[64];

	while (a->sigfd >= 0 && read(a->sigfd, buf, sizeof(buf)) > 0)
		continue;
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

	ws_stack_config_init(&cfg);
	cfg.link = a->link;
	cfg.addr = a->o.addr;
	cfg.prefix_len = a->o.prefix_len;
	cfg.gateway = a->o.gateway;
	if (a->o.verbose > 0) {
		cfg.log = log_to_stderr;
		cfg.log_ctx = a;
		cfg.log_level = a->o.verbose > 1 ? WS_LOG_DEBUG : WS_LOG_INFO;
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

/* Counters worth showing with -v; zero ones are skipped. */
#define C(layer, field) \
	{ #layer, #field, offsetof(struct ws_stats, layer) + \
	    offsetof(struct ws_##layer##_stats, field) }
static const struct {
	const char *layer, *field;
	size_t off;
} counters[] = {
	C(ether, ipackets), C(ether, opackets), C(ether, tooshort),
	C(ether, notforus), C(ether, unknowntype), C(ether, oerrors),
	C(arp, rxrequests), C(arp, rxreplies), C(arp, txrequests),
	C(arp, txreplies), C(arp, txannounce), C(arp, learned),
	C(arp, badlen), C(arp, badtype), C(arp, badop), C(arp, badaddr),
	C(arp, dupip), C(arp, notforus), C(arp, held), C(arp, holddrops),
	C(arp, timeouts), C(arp, timeoutdrops), C(arp, cachefull),
	C(ip4, total), C(ip4, delivered), C(ip4, localout), C(ip4, tooshort),
	C(ip4, badvers), C(ip4, badhlen), C(ip4, badlen), C(ip4, badsum),
	C(ip4, badoptions), C(ip4, badaddr), C(ip4, notforus),
	C(ip4, noproto), C(ip4, fragments), C(ip4, fragdropped),
	C(ip4, reassembled), C(ip4, noroute), C(ip4, toolong),
	C(ip4, odropped),
	C(icmp, total), C(icmp, echo), C(icmp, echoreply), C(icmp, tooshort),
	C(icmp, badsum), C(icmp, badcode), C(icmp, unreach),
	C(icmp, ratelimited), C(icmp, outerrors),
	C(tcp, rcvtotal), C(tcp, sndtotal), C(tcp, connattempt),
	C(tcp, accepts), C(tcp, connects), C(tcp, closed), C(tcp, drops),
	C(tcp, conndrops), C(tcp, rcvpack), C(tcp, rcvbyte),
	C(tcp, sndpack), C(tcp, sndbyte), C(tcp, sndrexmitpack),
	C(tcp, rexmttimeo), C(tcp, fastrexmit), C(tcp, rcvduppack),
	C(tcp, rcvoopack), C(tcp, rcvdupack), C(tcp, rcvshort),
	C(tcp, rcvbadoff), C(tcp, rcvbadsum), C(tcp, rcvbadopt),
	C(tcp, rcvnoport), C(tcp, sndrst), C(tcp, rcvbadrst),
	C(tcp, challengeack), C(tcp, listendrop), C(tcp, timeoutdrop),
	C(tcp, nomem),
};
#undef C

static void
print_counters(struct app *a)
{
	struct ws_stats s;
	struct ws_link *l = ws_stack_link(a->st);
	const char *layer = NULL;

	ws_stack_stats(a->st, &s);
	fprintf(stderr, "%s: counters:", a->prog);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		uint64_t v;

		memcpy(&v, (const char *)&s + counters[i].off, sizeof(v));
		if (v == 0)
			continue;
		if (layer == NULL || strcmp(layer, counters[i].layer) != 0) {
			layer = counters[i].layer;
			fprintf(stderr, "\n  %s:", layer);
		}
		fprintf(stderr, " %s=%llu", counters[i].field,
		    (unsigned long long)v);
	}
	if (l != NULL)
		fprintf(stderr, "\n  %s: rx_frames=%llu tx_frames=%llu "
		    "tx_errors=%llu rx_dropped=%llu", l->ops->kind,
		    (unsigned long long)l->stats.rx_frames,
		    (unsigned long long)l->stats.tx_frames,
		    (unsigned long long)l->stats.tx_errors,
		    (unsigned long long)l->stats.rx_dropped);
	fprintf(stderr, "\n");
}

void
app_finish(struct app *a)
{
	if (a->st != NULL) {
		if (a->o.verbose > 0)
			print_counters(a);
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

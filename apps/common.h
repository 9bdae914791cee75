/*
 * What server and client share: the command line, opening the device
 * (Ethernet through libpcap/libnet, or loopback mode over a raw socket),
 * the loopback firewall rule, signals, messages and counters.
 *
 * The apps use the public API only (<wirestack/wirestack.h>).
 */
#ifndef WS_APPS_COMMON_H
#define WS_APPS_COMMON_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <wirestack/wirestack.h>

enum app_kind { APP_SERVER, APP_CLIENT };

/* Exit codes: 0 success, 1 runtime failure, 2 bad command line. */
#define APP_EXIT_FAIL 1
#define APP_EXIT_USAGE 2

#define APP_DEFAULT_PORT 8080
/* SO_MARK on loopback-mode datagrams, so the nftables rule lets our own
 * RSTs through while it drops the kernel's ("ws" in ASCII). */
#define APP_FW_MARK 0x7773u

struct app_opts {
	const char *ifname;      /* -i; NULL: loopback mode */
	uint32_t addr;           /* --ip (Ethernet mode) */
	uint8_t prefix_len;
	uint32_t gateway;        /* --gw; 0: none */
	uint8_t mac[6];          /* --mac */
	bool have_mac;
	const char *pcap_path;   /* --pcap */
	int verbose;             /* -v, repeatable */
	bool no_firewall;        /* --no-firewall */
	int cc;                  /* --cc: WS_TCP_CC_NEWRENO or CUBIC */
	const char *cc_name;     /* "newreno" or "cubic"; NULL: no --cc */
	bool no_hystart;         /* --no-hystart */
	bool ecn;                /* --ecn: WS_TCP_ECN_ON */
	bool have_fault;         /* any of --loss --dup --reorder --corrupt
	                            --ce */
	struct ws_fault_config fault; /* probabilities 0..1, seed (--seed) */
	const char *stats_json;  /* --stats-json FILE */
	const char *user;        /* --user; NULL: "nobody" when root */
	bool no_seccomp;         /* --no-seccomp */
	int tos, ttl;            /* --tos, --ttl; 0: the stack's default */

	/* server */
	uint16_t port;           /* -p */
	bool echo;               /* --echo */

	/* client */
	const char *peer_host;   /* as typed, for messages */
	uint32_t peer_addr;
	uint16_t peer_port;
	int connect_timeout_s;   /* -w */
	uint16_t local_port;     /* loopback client: our port, reserved with
	                            the kernel; 0: the stack picks one */
};

struct app {
	const char *prog;        /* "server" or "client", for messages */
	enum app_kind kind;
	struct app_opts o;
	struct ws_link *link;
	struct ws_stack *st;
	int sigfd;               /* readable after SIGINT/SIGTERM/SIGHUP */
	int reserve_fd;          /* loopback: kernel socket holding our port */
	/* Apps with their own command line (iperf, impair): prints their
	 * synopsis in usage errors; NULL for server and client. */
	void (*synopsis_fn)(FILE *f);
	/* The sockets to report on (-v, SIGUSR1, --stats-json), and the
	 * last moments of the most recently closed ones. */
	struct ws_tcp **socks;
	size_t nsocks, socks_cap;
	struct ws_tcp_info closed[16];
	size_t nclosed;          /* ever; closed[nclosed % 16] is next */
	int stats_fd;            /* --stats-json, opened before the drop; -1 */
};

/*
 * Parse argv into a->o (exits 2 with usage on stderr for a bad command
 * line; exits 0 after --help).  Installs the signal handlers.
 */
void app_init(struct app *a, enum app_kind kind, int argc, char **argv);

/*
 * Open the device (pcap on -i, else raw IPv4 on 127.0.0.1), install the
 * loopback firewall rule for `port`, and create the stack.  On failure
 * prints one line saying what to do and exits non-zero.
 */
void app_start(struct app *a, uint16_t port);

/*
 * For apps that parse their own command line (iperf, impair): the device
 * options as typed.  Ethernet mode only: ifname is required.
 */
struct app_devargs {
	const char *ifname;      /* -i */
	const char *ip;          /* --ip ADDR/PREFIX */
	const char *gw;          /* --gw */
	const char *mac;         /* --mac */
	const char *pcap;        /* --pcap */
	int verbose;             /* -v count */
	const char *user;        /* --user; NULL: "nobody" when root */
	bool no_seccomp;         /* --no-seccomp */
};

/*
 * Validate `d` exactly as app_init() validates the same options and store
 * them in a->o (exits 2 with `synopsis_fn`'s text on a bad value), then
 * install the signal handlers.  app_start() follows as usual.
 */
void app_init_dev(struct app *a, enum app_kind kind, const char *prog,
    const struct app_devargs *d, void (*synopsis_fn)(FILE *f));

/*
 * Catch SIGINT, SIGTERM and SIGHUP (stop: app_stopping() returns true
 * from then on).  app_init() and app_init_dev() call it with waitmask
 * NULL: each signal then also makes a->sigfd (a self-pipe) readable, to
 * wake poll(2), SIGUSR1 asks for the report, and SIGPIPE is ignored.
 * With a waitmask (impair, which waits in ppoll(2) and has no report),
 * the three are blocked instead and *waitmask is the mask for ppoll(2),
 * which unblocks them only while it waits.
 */
void app_signals(struct app *a, sigset_t *waitmask);

/* The program's name from argv[0] ("wirestack-iperf"), or fallback. */
const char *app_prog_name(const char *argv0, const char *fallback);

/*
 * True once SIGINT/SIGTERM/SIGHUP arrived (drains the signal pipe).  A
 * SIGUSR1 that arrived since the last call prints the report (counters
 * and connections, as at exit with -v) on stderr and rewrites
 * --stats-json.
 */
bool app_stopping(struct app *a);

/*
 * Open a socket with the congestion control chosen by --cc and track it
 * for the reports.  Exits with a clear message when the stack refuses the
 * algorithm.  Returns 0 or a WS_E* code from ws_tcp_open().
 */
int app_tcp_open(struct app *a, struct ws_tcp **out);

/* Track a socket (accepted ones) / stop tracking it before closing it. */
void app_track(struct app *a, struct ws_tcp *s);
void app_untrack(struct app *a, struct ws_tcp *s);

/* Print the report on stderr and rewrite --stats-json (if given). */
void app_report(struct app *a);

/*
 * After app_start() and everything else that needs privileges: switch
 * to --user (default "nobody" when running as root), empty every
 * capability set, set no_new_privs, and install the seccomp filter
 * (unless --no-seccomp).  Exits with a message if any step fails.  See
 * apps/privdrop.h.
 */
void app_sandbox(struct app *a);

/* Print the counters when -v, free the stack and the device. */
void app_finish(struct app *a);

/* Print "prog: <message>" on stderr and exit(code). */
void app_die(struct app *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Print "prog: <message>" on stderr. */
void app_warn(struct app *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print when -v was given at least `level` times. */
void app_verbose(struct app *a, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "198.18.0.2:8080" of a connection's peer into buf. */
const char *app_peer_name(const struct ws_tcp *s, char *buf, size_t len);

/*
 * A growable byte buffer with a read offset, for data waiting to be sent
 * or written.
 */
struct app_buf {
	uint8_t *data;
	size_t off;     /* first unsent byte */
	size_t len;     /* end of valid data */
	size_t cap;
};

size_t app_buf_pending(const struct app_buf *b);
/* Append, growing as needed; exits on allocation failure. */
void app_buf_append(struct app_buf *b, const void *p, size_t n);
/* Mark n bytes consumed; compacts when empty. */
void app_buf_consume(struct app_buf *b, size_t n);
void app_buf_free(struct app_buf *b);

/*
 * Send as much of b as the socket takes.  Returns 0, or the WS_E* error
 * from ws_tcp_send (WS_EAGAIN is not an error: returns 0).
 */
int app_buf_send(struct ws_tcp *s, struct app_buf *b);

#endif /* WS_APPS_COMMON_H */

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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* True once SIGINT/SIGTERM/SIGHUP arrived (drains the signal pipe). */
bool app_stopping(struct app *a);

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

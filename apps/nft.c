/*
 * Loopback mode's firewall rule, through the nft(8) command: one table per
 * process, so two wirestack programs (a server and a client on the same
 * host) never step on each other's rules and removal is exact.
 */
#define _GNU_SOURCE /* pipe2 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "apps/nft.h"

static char fw_table[64];     /* "wirestack_1234" while installed */
static pid_t fw_owner;        /* the process that installed it */
static int keeper_fd = -1;    /* write end of the keeper's pipe */
static pid_t keeper_pid = -1; /* the process that will remove the table */

/*
 * In the child, before exec: a binary given cap_net_admin with setcap(8)
 * instead of run as root loses the capability across execve(2) unless it
 * is made ambient, and nft needs it.  Failing is harmless (root needs
 * none of this).
 */
static void
pass_net_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0 ||
	    !(d[0].permitted & (1u << CAP_NET_ADMIN)))
		return;
	d[0].inheritable |= 1u << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &h, d) < 0)
		return;
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0);
}

/*
 * Run nft with `args`, feeding `input` (may be NULL) on its stdin.  The
 * first line nft prints on stderr goes into errbuf.  Returns nft's exit
 * status, 127 if it could not be run, or -1 on a local failure.
 */
static int
run_nft(char *const args[], const char *input, char *errbuf, size_t errlen)
{
	int in[2] = { -1, -1 }, err[2] = { -1, -1 };
	int status;
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	if (errlen > 0)
		errbuf[0] = '\0';
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* Child: stdin from the pipe, stdout to /dev/null, stderr to us. */
		int devnull = open("/dev/null", O_WRONLY);

		dup2(in[0], 0);
		if (devnull >= 0)
			dup2(devnull, 1);
		dup2(err[1], 2);
		signal(SIGPIPE, SIG_DFL);
		pass_net_admin();
		execvp(args[0], args);
		_exit(127);
	}
	close(in[0]);
	close(err[1]);
	in[0] = err[1] = -1;
	if (input != NULL) {
		size_t len = strlen(input), off = 0;

		while (off < len) {
			n = write(in[1], input + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(in[1]);
	in[1] = -1;
	/* Keep the first line of nft's complaint, if any. */
	for (;;) {
		char tmp[256];

		n = read(err[0], tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && got + 1 < errlen; i++) {
			if (tmp[i] == '\n') {
				if (got > 0)
					got = errlen; /* stop after line one */
				continue;
			}
			errbuf[got++] = tmp[i];
			errbuf[got] = '\0';
		}
	}
	close(err[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);

fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return -1;
}

static void
delete_table(const char *name)
{
	char table[sizeof(fw_table)];
	char err[256];
	char *args[] = { "nft", "delete", "table", "ip", table, NULL };

	snprintf(table, sizeof(table), "%s", name);
	if (run_nft(args, NULL, err, sizeof(err)) != 0)
		fprintf(stderr, "warning: could not remove nftables table "
		    "'ip %s' (%s); remove it with: nft delete table ip %s\n",
		    table, err[0] != '\0' ? err : "nft failed", table);
}

void
nft_remove(void)
{
	if (fw_table[0] == '\0' || fw_owner != getpid())
		return;
	if (keeper_fd >= 0) {
		int status;

		/*
		 * The keeper removes the table when its pipe closes; wait
		 * for it, so the table is gone when we are.  This needs no
		 * privileges, so it works after app_sandbox() dropped them.
		 */
		close(keeper_fd);
		keeper_fd = -1;
		while (waitpid(keeper_pid, &status, 0) < 0 && errno == EINTR)
			continue;
		keeper_pid = -1;
	} else {
		delete_table(fw_table);
	}
	fw_table[0] = '\0';
}

/*
 * The keeper: a child forked while we still have the privileges nft
 * needs.  It holds them (root, or the file capabilities of a setcap'd
 * binary) while the program drops its own, waits until its pipe closes
 * -- when the program calls nft_remove(), exits, or is killed, even by
 * SIGKILL -- and then deletes the table.  It ignores the terminal's
 * signals (Ctrl-C reaches the whole process group), keeps no descriptor
 * but the pipe and stderr, and never returns.
 */
static void __attribute__((noreturn))
keeper(int rfd, const char *table)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	    SIGUSR1, SIGUSR2, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	int devnull, fd;
	char c;

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	/* The pipe to fd 3 and nothing else above stderr; stdin/out null. */
	if (rfd != 3) {
		if (dup2(rfd, 3) < 0)
			_exit(1);
		rfd = 3;
		(void)fcntl(rfd, F_SETFD, FD_CLOEXEC);
	}
	if (syscall(SYS_close_range, 4u, ~0u, 0u) < 0)
		for (fd = 4; fd < 65536; fd++)
			(void)close(fd);
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (devnull > 3)
			close(devnull);
	}
	for (;;) {
		ssize_t n = read(rfd, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	delete_table(table);
	_exit(0);
}

static int
start_keeper(const char *table)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL); /* nothing buffered is written twice */
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[1]);
		keeper(p[0], table);
	}
	close(p[0]);
	keeper_fd = p[1];
	keeper_pid = pid;
	return 0;
}

static void
nft_remove_atexit(void)
{
	nft_remove();
}

int
nft_install(uint32_t addr, uint16_t sport, uint16_t dport, uint32_t mark,
    char *name, size_t namelen, char *errbuf, size_t errlen)
{
	static bool registered;
	char script[1024], table[sizeof(fw_table)], a[16], err[256];
	char sp[32] = "", dp[32] = "";
	char *args[] = { "nft", "-f", "-", NULL };
	int rc;

	snprintf(a, sizeof(a), "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
	    (addr >> 8) & 0xff, addr & 0xff);
	snprintf(table, sizeof(table), "wirestack_%ld", (long)getpid());
	if (sport != 0)
		snprintf(sp, sizeof(sp), "tcp sport %u ", (unsigned)sport);
	if (dport != 0)
		snprintf(dp, sizeof(dp), "tcp dport %u ", (unsigned)dport);
	/*
	 * Only RSTs without our mark, between our address and itself, on
	 * our ports, are dropped; everything else passes untouched.
	 */
	snprintf(script, sizeof(script),
	    "table ip %s {\n"
	    "\tchain output {\n"
	    "\t\ttype filter hook output priority 0; policy accept;\n"
	    "\t\tip saddr %s ip daddr %s %s%s"
	    "tcp flags & rst == rst meta mark != 0x%x drop\n"
	    "\t}\n"
	    "}\n",
	    table, a, a, sp, dp, (unsigned)mark);
	rc = run_nft(args, script, err, sizeof(err));
	if (rc == 127) {
		snprintf(errbuf, errlen, "cannot run nft(8): install nftables "
		    "(apt-get install nftables), or pass --no-firewall");
		return -1;
	}
	if (rc != 0) {
		snprintf(errbuf, errlen, "nft could not install the loopback "
		    "rule (%s); run as root, or pass --no-firewall",
		    err[0] != '\0' ? err : "nft failed");
		return -1;
	}
	memcpy(fw_table, table, sizeof(fw_table));
	fw_owner = getpid();
	/* Without a keeper, removal needs our privileges at exit. */
	if (start_keeper(table) < 0)
		fprintf(stderr, "warning: could not fork the process that "
		    "removes table 'ip %s' at exit: %s\n", table,
		    strerror(errno));
	if (!registered) {
		atexit(nft_remove_atexit);
		registered = true;
	}
	snprintf(name, namelen, "table ip %s", table);
	return 0;
}

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

void
nft_remove(void)
{
	char table[sizeof(fw_table)];
	char err[256];
	char *args[] = { "nft", "delete", "table", "ip", table, NULL };

	if (fw_table[0] == '\0' || fw_owner != getpid())
		return;
	memcpy(table, fw_table, sizeof(table));
	if (run_nft(args, NULL, err, sizeof(err)) != 0)
		fprintf(stderr, "warning: could not remove nftables table "
		    "'ip %s' (%s); remove it with: nft delete table ip %s\n",
		    table, err[0] != '\0' ? err : "nft failed", table);
	fw_table[0] = '\0';
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
	if (!registered) {
		atexit(nft_remove_atexit);
		registered = true;
	}
	snprintf(name, namelen, "table ip %s", table);
	return 0;
}

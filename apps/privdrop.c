/*
 * Privilege drop for the apps: another user, no capabilities,
 * no_new_privs, a seccomp allow-list.  See apps/privdrop.h.
 */
#define _GNU_SOURCE /* setresuid, getresuid */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>
#include <sys/capability.h>

#include "apps/privdrop.h"

/* Sanitizers need ptrace, /proc and more at exit: no filter under them. */
#if defined(__SANITIZE_ADDRESS__)
#define WS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WS_SANITIZED 1
#endif
#endif

/*
 * What the event loop does after the drop: poll(2) the device and its own
 * descriptors, read and write them (frames, the terminal, pipes, the
 * signal pipe, --stats-json), read the clock, allocate memory, handle
 * signals, wait for the nftables keeper, and exit.  Nothing opens a file
 * or a socket, and nothing executes a program.
 */
#ifndef WS_SANITIZED
static const char *const allowed[] = {
	/* descriptors already open */
	"read", "readv", "pread64", "write", "writev", "pwrite64",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg",
	"getsockopt", "poll", "ppoll", "select", "pselect6", "close",
	"lseek", "ftruncate", "fstat", "newfstatat", "fcntl",
	/* time */
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	/* iperf reports its CPU use, as iperf3 does */
	"getrusage",
	"nanosleep", "clock_nanosleep",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
	/* randomness (ISN keys and ports come from getrandom(2)) */
	"getrandom",
	/* signals, abort(3), stdio locks */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"restart_syscall", "getpid", "gettid", "tgkill", "futex",
	/* the end: the keeper (apps/nft.c), exit */
	"wait4", "exit", "exit_group",
};

/* Refused with EACCES, see install_seccomp(). */
static const char *const refused[] = { "open", "openat" };
#endif

#ifndef WS_SANITIZED
static int
install_seccomp(char *errbuf, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc;

	if (ctx == NULL) {
		/*
		 * libseccomp found no usable seccomp(2): a kernel without
		 * CONFIG_SECCOMP_FILTER, or valgrind, which does not
		 * emulate it.  The caller goes on without a filter.
		 */
		return 1;
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
			goto fail;
	}
	/* isatty(3): the client asks whether standard input is a terminal. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, TCGETS))) < 0)
		goto fail;
	/* pcap_close() tears its receive ring down (PACKET_RX_RING). */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt),
	    1, SCMP_A1(SCMP_CMP_EQ, SOL_PACKET))) < 0)
		goto fail;
	/*
	 * Opening a file fails (EACCES) rather than killing: libpcap, in
	 * promiscuous mode (impair, --mac), reads the interface's drop
	 * counter from /sys/class/net at every pcap_stats() and goes on
	 * without it when it cannot.  Nothing is opened either way.
	 */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int nr = seccomp_syscall_resolve_name(refused[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not on this architecture (open: arm64) */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr,
		    0)) < 0)
			goto fail;
	}
	/* libnet looks the interface index up before every frame it sends. */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, SIOCGIFINDEX))) < 0)
		goto fail;
	if ((rc = seccomp_load(ctx)) < 0)
		goto fail;
	seccomp_release(ctx);
	return 0;
fail:
	snprintf(errbuf, errlen, "seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return -1;
}
#endif /* !WS_SANITIZED */

/* Empty the bounding set (root only: needs CAP_SETPCAP). */
static int
drop_bounding(char *errbuf, size_t errlen)
{
	for (cap_value_t c = 0; CAP_IS_SUPPORTED(c); c++) {
		if (cap_drop_bound(c) < 0) {
			snprintf(errbuf, errlen, "cannot drop capability %d "
			    "from the bounding set: %s", (int)c,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
switch_user(const char *user, struct privdrop_result *res, char *errbuf,
    size_t errlen)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	uid_t uid;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(errbuf, errlen, "no user '%s' to run as (choose one "
		    "with --user NAME)", user);
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		snprintf(errbuf, errlen, "--user %s is root: that would keep "
		    "every privilege", user);
		return -1;
	}
	snprintf(res->user, sizeof(res->user), "%s", user);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
	    drop_bounding(errbuf, errlen) < 0)
		return -1;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		snprintf(errbuf, errlen, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	/* Verify that it stuck, and that there is no way back. */
	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0 ||
	    ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid ||
	    getgroups(0, NULL) != 0) {
		snprintf(errbuf, errlen, "switching to user %s did not stick",
		    user);
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(errbuf, errlen, "could regain root after switching "
		    "to %s", user);
		return -1;
	}
	res->switched_user = true;
	return 0;
}

static int
clear_caps(char *errbuf, size_t errlen)
{
	cap_t none = cap_init(), now = NULL;
	int ok;

	if (none == NULL) {
		snprintf(errbuf, errlen, "cap_init: %s", strerror(errno));
		return -1;
	}
	if (cap_set_proc(none) < 0) {
		snprintf(errbuf, errlen, "cannot clear capabilities: %s",
		    strerror(errno));
		cap_free(none);
		return -1;
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0) {
		snprintf(errbuf, errlen, "cannot clear ambient capabilities: "
		    "%s", strerror(errno));
		cap_free(none);
		return -1;
	}
	now = cap_get_proc();
	ok = now != NULL && cap_compare(now, none) == 0;
	if (ok && CAP_AMBIENT_SUPPORTED())
		for (cap_value_t c = 0; CAP_IS_SUPPORTED(c); c++)
			if (cap_get_ambient(c) > 0)
				ok = 0;
	cap_free(now);
	cap_free(none);
	if (!ok) {
		snprintf(errbuf, errlen, "capabilities still set after "
		    "clearing them");
		return -1;
	}
	return 0;
}

int
privdrop(const char *user, bool seccomp, struct privdrop_result *res,
    char *errbuf, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (geteuid() == 0 || getuid() == 0) {
		if (switch_user(user != NULL ? user : "nobody", res, errbuf,
		    errlen) < 0)
			return -1;
	} else {
		struct passwd *pw = getpwuid(getuid());

		if (user != NULL && (pw == NULL || strcmp(pw->pw_name,
		    user) != 0)) {
			snprintf(errbuf, errlen, "--user %s needs root (running "
			    "as uid %ld)", user, (long)getuid());
			return -1;
		}
		snprintf(res->user, sizeof(res->user), "%s",
		    pw != NULL ? pw->pw_name : "?");
	}
	if (clear_caps(errbuf, errlen) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(errbuf, errlen, "PR_SET_NO_NEW_PRIVS: %s",
		    strerror(errno));
		return -1;
	}
	if (!seccomp) {
		res->no_seccomp_why = "--no-seccomp";
		return 0;
	}
#ifdef WS_SANITIZED
	res->no_seccomp_why = "AddressSanitizer build (it needs ptrace and "
	    "/proc at exit)";
	return 0;
#else
	/* Load what would be opened lazily later: the time zone (-vv). */
	tzset();
	switch (install_seccomp(errbuf, errlen)) {
	case 0:
		res->seccomp = true;
		return 0;
	case 1:
		res->no_seccomp_why = "seccomp(2) is not available here "
		    "(kernel, or valgrind)";
		res->seccomp_unavailable = true;
		return 0;
	default:
		return -1;
	}
#endif
}

/*
 * Dropping privileges once the devices are open.
 *
 * The apps need root (or cap_net_raw,cap_net_admin) only to open their
 * capture and raw sockets and to install the loopback nftables table.
 * Afterwards they read and write descriptors they already hold, so they
 * give up everything else:
 *
 *  1. started as root: the capability bounding set is emptied, then
 *     supplementary groups, gid and uid become those of the user (default
 *     "nobody"); started as another user (setcap'd binary): the user stays;
 *  2. every capability set (effective, permitted, inheritable, ambient) is
 *     emptied;
 *  3. no_new_privs is set, so no execve(2) can gain anything back;
 *  4. a seccomp filter allows only the system calls the event loop needs
 *     (no socket, no exec); open(2) and openat(2) fail with EACCES (for
 *     libpcap, which tries sysfs in promiscuous mode), anything else
 *     kills the process.
 *
 * Each step is verified (setuid(0) must fail, the capability sets must
 * read back empty).  The nftables table is removed by a keeper process
 * forked before the drop (apps/nft.h).
 */
#ifndef WS_APPS_PRIVDROP_H
#define WS_APPS_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

struct privdrop_result {
	char user[64];         /* who we run as now */
	bool switched_user;    /* uid/gid changed */
	bool seccomp;          /* the filter is installed */
	const char *no_seccomp_why; /* why not, when it is not */
	bool seccomp_unavailable; /* not for lack of asking: the system */
};

/*
 * Do steps 1-4 (4 only when `seccomp`, and only where seccomp(2) can be
 * used: not under valgrind, not on a kernel without it, not in a
 * sanitizer build; res->no_seccomp_why says which).  `user` NULL means
 * "nobody" when root, and the current user otherwise.  Returns 0, or -1 with a
 * one-line reason in errbuf.
 */
int privdrop(const char *user, bool seccomp, struct privdrop_result *res,
    char *errbuf, size_t errlen);

#endif /* WS_APPS_PRIVDROP_H */

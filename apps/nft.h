/*
 * Loopback mode's firewall rule.
 *
 * On lo the kernel sees every segment wirestack sends through its raw
 * socket, finds no socket of its own for it, and answers with a RST that
 * would tear our connection down.  We install an nftables table of our
 * own (named after our pid) that drops the kernel's outgoing RSTs for our
 * address and ports only; wirestack's own datagrams carry SO_MARK, so its
 * RSTs still pass.  The table is removed on every exit path: atexit(3)
 * for exit() (the error paths and the normal end), and the apps turn
 * SIGINT/SIGTERM/SIGHUP into a normal end.
 *
 * The removal itself is done by a small "keeper" process forked when the
 * table is installed, while the program still has the privileges nft
 * needs: the program then drops its own (app_sandbox(): another user, no
 * capabilities, seccomp), and the keeper, which keeps them, deletes the
 * table when the program closes the pipe between them -- in
 * nft_remove(), or when it dies in any way, SIGKILL included.
 */
#ifndef WS_APPS_NFT_H
#define WS_APPS_NFT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Install table "ip wirestack_<pid>" dropping TCP RSTs from addr to addr
 * (host order) with source port sport and destination port dport (0: any
 * port; not both 0) unless they carry `mark`.  On success stores the
 * table's name ("table ip wirestack_1234") in name and registers its
 * removal with atexit(3).  Returns 0, or -1 with a one-line reason in
 * errbuf.
 */
int nft_install(uint32_t addr, uint16_t sport, uint16_t dport, uint32_t mark,
    char *name, size_t namelen, char *errbuf, size_t errlen);

/* Remove the table if we installed it (idempotent; also runs at exit). */
void nft_remove(void);

#endif /* WS_APPS_NFT_H */

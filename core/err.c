/*
 * Error codes as text.  The table is ours rather than strerror(3) so that
 * messages can say what to do about the error where that is known.
 */
#include "config.h"

#include <wirestack/err.h>

#include "core/stack_var.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} errtab[] = {
	{ WS_EAGAIN, "EAGAIN", "operation would block; try again" },
	{ WS_EINVAL, "EINVAL", "invalid argument" },
	{ WS_ENOMEM, "ENOMEM", "out of memory or a configured limit reached" },
	{ WS_EPERM, "EPERM",
	    "permission denied: run with sudo, or grant the binary "
	    "cap_net_raw,cap_net_admin+ep with setcap" },
	{ WS_EACCES, "EACCES",
	    "permission denied: run with sudo, or grant the binary "
	    "cap_net_raw,cap_net_admin+ep with setcap" },
	{ WS_ENODEV, "ENODEV", "no such network interface" },
	{ WS_EIO, "EIO", "device input/output error" },
	{ WS_EADDRINUSE, "EADDRINUSE", "address or port already in use" },
	{ WS_EADDRNOTAVAIL, "EADDRNOTAVAIL", "address not available" },
	{ WS_ECONNREFUSED, "ECONNREFUSED", "connection refused by the peer" },
	{ WS_ECONNRESET, "ECONNRESET", "connection reset by the peer" },
	{ WS_ECONNABORTED, "ECONNABORTED", "connection aborted" },
	{ WS_ETIMEDOUT, "ETIMEDOUT", "connection timed out" },
	{ WS_EHOSTUNREACH, "EHOSTUNREACH",
	    "host unreachable (no ARP reply or ICMP unreachable)" },
	{ WS_ENETUNREACH, "ENETUNREACH",
	    "network unreachable (off-link and no gateway)" },
	{ WS_ENOTCONN, "ENOTCONN", "socket is not connected" },
	{ WS_EISCONN, "EISCONN", "socket is already connected" },
	{ WS_EALREADY, "EALREADY", "operation already in progress" },
	{ WS_EINPROGRESS, "EINPROGRESS", "operation in progress" },
	{ WS_EPIPE, "EPIPE", "sending side already shut down" },
	{ WS_EMSGSIZE, "EMSGSIZE", "message larger than the MTU" },
	{ WS_ENOBUFS, "ENOBUFS", "queue full" },
	{ WS_EOPNOTSUPP, "EOPNOTSUPP", "operation not supported" },
	{ WS_ENOENT, "ENOENT", "no such object" },
};

WS_EXPORT const char *
ws_strerror(int err)
{
	if (err == 0)
		return "success";
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return errtab[i].text;
	return "unknown error";
}

WS_EXPORT const char *
ws_err_name(int err)
{
	if (err == 0)
		return "OK";
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].code == err)
			return errtab[i].name;
	return "UNKNOWN";
}

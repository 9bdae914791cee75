/*
 * Dispatch through a device's vtable.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <wirestack/err.h>
#include <wirestack/link.h>

#include "core/stack_var.h"
#include "link/link_var.h"

WS_EXPORT int
ws_link_recv(struct ws_link *l, ws_time_t now, ws_link_rx_fn fn, void *arg,
    unsigned max)
{
	return l->ops->recv(l, now, fn, arg, max);
}

WS_EXPORT int
ws_link_send(struct ws_link *l, ws_time_t now, const uint8_t *frame,
    size_t len)
{
	int error = l->ops->send(l, now, frame, len);

	if (error != 0)
		l->stats.tx_errors++;
	return error;
}

WS_EXPORT unsigned
ws_link_send_batch(struct ws_link *l, ws_time_t now,
    const struct ws_link_frame *frames, unsigned n)
{
	unsigned failed = 0;

	if (n == 0)
		return 0;
	if (l->ops->send_batch != NULL)
		failed = l->ops->send_batch(l, now, frames, n);
	else
		for (unsigned i = 0; i < n; i++)
			if (l->ops->send(l, now, frames[i].data,
			    frames[i].len) != 0)
				failed++;
	l->stats.tx_errors += failed;
	return failed;
}

WS_EXPORT int
ws_link_fd(struct ws_link *l)
{
	return l->ops->fd != NULL ? l->ops->fd(l) : -1;
}

WS_EXPORT ws_time_t
ws_link_next_deadline(struct ws_link *l)
{
	return l->ops->next_deadline != NULL ? l->ops->next_deadline(l)
					     : WS_TIME_NEVER;
}

WS_EXPORT void
ws_link_close(struct ws_link *l)
{
	if (l != NULL)
		l->ops->close(l);
}

void
link_seterr(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	/* One line: libpcap and libnet messages may end in a newline. */
	errbuf[strcspn(errbuf, "\r\n")] = '\0';
}

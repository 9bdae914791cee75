/*
 * The tracer's formatter (link/trace.c), for its unit test: one frame to
 * one tcpdump-style line.  The public entry point is ws_link_trace_wrap()
 * in <wirestack/link.h>.
 */
#ifndef WS_LINK_TRACE_H
#define WS_LINK_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include <wirestack/link.h>

/* Longest line trace_format() writes, NUL included (longer is cut). */
#define TRACE_LINE_MAX 512

/*
 * Describe `frame` (len bytes, of `medium`) in buf, without a newline:
 * timestamp, optional device name and direction, then what tcpdump
 * prints.  `tx` says the frame was sent (for WS_TRACE_DIR).  `name` may
 * be NULL.  The timestamp is `now` read as a time of day (virtual time
 * prints as elapsed hours, minutes and seconds), or, with
 * WS_TRACE_WALLCLOCK, now + wall_offset_us in local time.  Reads no byte
 * outside frame[0 .. len).  Returns strlen(buf).
 */
size_t trace_format(char *buf, size_t buflen, enum ws_medium medium,
    const uint8_t *frame, size_t len, ws_time_t now, int64_t wall_offset_us,
    const char *name, int tx, unsigned flags);

#endif /* WS_LINK_TRACE_H */

/*
 * Address text: the forms the apps take on their command lines.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wirestack/err.h>
#include <wirestack/stack.h>

#include "core/stack_var.h"

WS_EXPORT int
ws_ip4_parse(const char *s, uint32_t *addr, uint8_t *prefix_len)
{
	char buf[INET_ADDRSTRLEN + 4];
	const char *slash;
	struct in_addr in;
	unsigned long plen = 32;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return WS_EINVAL;
	strcpy(buf, s);
	slash = strchr(s, '/');
	if (slash != NULL) {
		char *end;

		buf[slash - s] = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			return WS_EINVAL;
		plen = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || plen > 32)
			return WS_EINVAL;
		if (prefix_len == NULL)
			return WS_EINVAL;
	}
	if (inet_pton(AF_INET, buf, &in) != 1)
		return WS_EINVAL;
	*addr = ntohl(in.s_addr);
	if (prefix_len != NULL)
		*prefix_len = (uint8_t)plen;
	return 0;
}

WS_EXPORT const char *
ws_ip4_format(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff,
	    (addr >> 8) & 0xff, addr & 0xff);
	return buf;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Six groups of one or two hex digits separated by colons, nothing else.
 * (sscanf's %x would also take signs, "0x" and leading blanks.)
 */
WS_EXPORT int
ws_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t v[6];

	if (s == NULL)
		return WS_EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(*s), lo;

		if (hi < 0)
			return WS_EINVAL;
		s++;
		if ((lo = hexval(*s)) >= 0) {
			v[i] = (uint8_t)(hi << 4 | lo);
			s++;
		} else {
			v[i] = (uint8_t)hi;
		}
		if (*s != (i < 5 ? ':' : '\0'))
			return WS_EINVAL;
		s++;
	}
	memcpy(mac, v, sizeof(v));
	return 0;
}

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

WS_EXPORT int
ws_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (s == NULL || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1],
	    &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return WS_EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

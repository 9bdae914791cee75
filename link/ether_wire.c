/*
 * Ethernet II header parse/emit.  See ether_wire.h.
 */
#include "config.h"

#include <string.h>

#include "core/endian.h"
#include "link/ether_wire.h"

const uint8_t ether_broadcast_addr[ETHER_ADDR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

int
ether_wire_parse(const uint8_t *buf, size_t len, struct ether_repr *r)
{
	uint16_t type;

	if (len < ETHER_HDR_LEN)
		return ETHER_WIRE_ESHORT;
	/*
	 * A group address is never a valid source (IEEE 802.3 3.2.3): such
	 * a frame is forged or corrupt, and answering it would broadcast.
	 */
	if (ether_addr_is_multicast(buf + ETHER_OFF_SRC))
		return ETHER_WIRE_ESRC;
	type = be16_load(buf + ETHER_OFF_TYPE);
	if (type < ETHER_TYPE_MIN)
		return ETHER_WIRE_ELENGTH;
	memcpy(r->dst, buf + ETHER_OFF_DST, ETHER_ADDR_LEN);
	memcpy(r->src, buf + ETHER_OFF_SRC, ETHER_ADDR_LEN);
	r->type = type;
	return 0;
}

size_t
ether_wire_emit(const struct ether_repr *r, uint8_t *buf, size_t len)
{
	if (len < ETHER_HDR_LEN)
		return 0;
	memcpy(buf + ETHER_OFF_DST, r->dst, ETHER_ADDR_LEN);
	memcpy(buf + ETHER_OFF_SRC, r->src, ETHER_ADDR_LEN);
	be16_store(buf + ETHER_OFF_TYPE, r->type);
	return ETHER_HDR_LEN;
}

const char *
ether_wire_strerror(int error)
{
	switch (error) {
	case 0:
		return "ok";
	case ETHER_WIRE_ESHORT:
		return "short";
	case ETHER_WIRE_ESRC:
		return "group source address";
	case ETHER_WIRE_ELENGTH:
		return "802.3 length field";
	default:
		return "unknown";
	}
}

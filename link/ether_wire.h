/*
 * Ethernet II header: parse and emit over byte buffers (after smoltcp
 * src/wire/ethernet.rs).  No stack types, so a fuzzer can link this file
 * alone.
 *
 *	 0                   6                  12      14
 *	+-------------------+-------------------+-------+---------
 *	| destination       | source            | type  | payload
 *	+-------------------+-------------------+-------+---------
 *
 * Frames on the wire are at least 60 bytes (without the FCS), so a short
 * payload arrives followed by padding; the layer above trims by its own
 * length field.
 */
#ifndef WS_LINK_ETHER_WIRE_H
#define WS_LINK_ETHER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ETHER_ADDR_LEN 6
#define ETHER_HDR_LEN 14
#define ETHER_MIN_LEN 60      /* smallest frame on the wire, without FCS */

/* Field offsets. */
#define ETHER_OFF_DST 0
#define ETHER_OFF_SRC 6
#define ETHER_OFF_TYPE 12

/*
 * Values below 0x0600 in the type field are IEEE 802.3 lengths (an LLC
 * frame follows), not EtherTypes; 1501..1535 are undefined (IEEE 802.3
 * clause 3.2.6).
 */
#define ETHER_TYPE_MIN 0x0600

/* A parsed header, in host order. */
struct ether_repr {
	uint8_t dst[ETHER_ADDR_LEN];
	uint8_t src[ETHER_ADDR_LEN];
	uint16_t type;
};

/* Parse errors; each reason has its own code. */
#define ETHER_WIRE_ESHORT (-1)  /* fewer than 14 bytes */
#define ETHER_WIRE_ESRC (-2)    /* source is a group (multicast) address */
#define ETHER_WIRE_ELENGTH (-3) /* 802.3 length field: not Ethernet II */

/*
 * Parse the header at buf.  Returns 0 and fills r, or an ETHER_WIRE_E*
 * code.  Bytes past the header (payload, padding) are not looked at.
 */
int ether_wire_parse(const uint8_t *buf, size_t len, struct ether_repr *r);

/*
 * Write r's header into buf.  Returns ETHER_HDR_LEN, or 0 if len is too
 * small (nothing written).
 */
size_t ether_wire_emit(const struct ether_repr *r, uint8_t *buf, size_t len);

/* A short name for a parse error code ("short", ...). */
const char *ether_wire_strerror(int error);

extern const uint8_t ether_broadcast_addr[ETHER_ADDR_LEN];

static inline bool
ether_addr_eq(const uint8_t a[ETHER_ADDR_LEN], const uint8_t b[ETHER_ADDR_LEN])
{
	return memcmp(a, b, ETHER_ADDR_LEN) == 0;
}

static inline bool
ether_addr_is_broadcast(const uint8_t a[ETHER_ADDR_LEN])
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}

/* The I/G bit: group addresses, broadcast included (IEEE 802 8.2). */
static inline bool
ether_addr_is_multicast(const uint8_t a[ETHER_ADDR_LEN])
{
	return (a[0] & 0x01) != 0;
}

static inline bool
ether_addr_is_zero(const uint8_t a[ETHER_ADDR_LEN])
{
	return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0;
}

#endif /* WS_LINK_ETHER_WIRE_H */

/*
 * Fuzz target: the Ethernet II header parser (link/ether_wire.c).
 *
 * Any input: the parser must not read past len, must accept exactly the
 * frames that have 14 bytes, a unicast source and an EtherType (not an
 * 802.3 length), and what it accepts must emit back to the same 14 bytes.
 */
#include "config.h"

#include <string.h>

#include "core/endian.h"
#include "link/ether_wire.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ether_repr r, r2;
	uint8_t out[ETHER_HDR_LEN];
	int error;

	memset(&r, 0xa5, sizeof(r));
	error = ether_wire_parse(data, size, &r);
	FUZZ_CHECK(ether_wire_strerror(error) != NULL);
	if (size < ETHER_HDR_LEN) {
		FUZZ_CHECK(error == ETHER_WIRE_ESHORT);
		return 0;
	}
	if (data[ETHER_OFF_SRC] & 0x01) {
		FUZZ_CHECK(error == ETHER_WIRE_ESRC);
		return 0;
	}
	if (be16_load(data + ETHER_OFF_TYPE) < ETHER_TYPE_MIN) {
		FUZZ_CHECK(error == ETHER_WIRE_ELENGTH);
		return 0;
	}
	FUZZ_CHECK(error == 0);
	FUZZ_CHECK(!ether_addr_is_multicast(r.src));
	FUZZ_CHECK(r.type >= ETHER_TYPE_MIN);
	FUZZ_CHECK(ether_addr_is_broadcast(r.dst) ==
	    (memcmp(r.dst, ether_broadcast_addr, ETHER_ADDR_LEN) == 0));

	/* Emit: too small a buffer writes nothing; the right one round-trips. */
	FUZZ_CHECK(ether_wire_emit(&r, out, ETHER_HDR_LEN - 1) == 0);
	FUZZ_CHECK(ether_wire_emit(&r, out, sizeof(out)) == ETHER_HDR_LEN);
	FUZZ_CHECK(memcmp(out, data, ETHER_HDR_LEN) == 0);
	FUZZ_CHECK(ether_wire_parse(out, sizeof(out), &r2) == 0);
	FUZZ_CHECK(ether_addr_eq(r.dst, r2.dst) &&
	    ether_addr_eq(r.src, r2.src) && r.type == r2.type);
	return 0;
}

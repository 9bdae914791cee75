/*
 * Fuzz target: the ARP parser (arp/arp_wire.c).
 *
 * Whatever the input, the parser reads at most len bytes; an accepted
 * packet has Ethernet/IPv4 sizes and a request/reply opcode, and emits
 * back to the same 28 bytes.  Rejections get the code of the first check
 * that fails, in the documented order.
 */
#include "config.h"

#include <string.h>

#include "arp/arp_wire.h"
#include "core/endian.h"
#include "tests/fuzz/fuzz.h"

static int
expected_error(const uint8_t *b, size_t len)
{
	uint16_t op;

	if (len < ARP_FIXED_LEN)
		return ARP_WIRE_ESHORT;
	if (be16_load(b + ARP_OFF_HTYPE) != ARP_HTYPE_ETHER)
		return ARP_WIRE_EHTYPE;
	if (be16_load(b + ARP_OFF_PTYPE) != ARP_PTYPE_IPV4)
		return ARP_WIRE_EPTYPE;
	if (b[ARP_OFF_HLEN] != ARP_HLEN_ETHER)
		return ARP_WIRE_EHLEN;
	if (b[ARP_OFF_PLEN] != ARP_PLEN_IPV4)
		return ARP_WIRE_EPLEN;
	if (len < ARP_ETHER_IPV4_LEN)
		return ARP_WIRE_ESHORT;
	op = be16_load(b + ARP_OFF_OP);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return ARP_WIRE_EOP;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arp_repr r, r2;
	uint8_t out[ARP_ETHER_IPV4_LEN];
	int error;

	memset(&r, 0, sizeof(r));
	error = arp_wire_parse(data, size, &r);
	FUZZ_CHECK(arp_wire_strerror(error) != NULL);
	FUZZ_CHECK(error == expected_error(data, size));
	if (error != 0)
		return 0;
	FUZZ_CHECK(r.op == ARP_OP_REQUEST || r.op == ARP_OP_REPLY);
	FUZZ_CHECK(r.spa == be32_load(data + ARP_OFF_SPA));
	FUZZ_CHECK(r.tpa == be32_load(data + ARP_OFF_TPA));

	FUZZ_CHECK(arp_wire_emit(&r, out, sizeof(out) - 1) == 0);
	FUZZ_CHECK(arp_wire_emit(&r, out, sizeof(out)) == ARP_ETHER_IPV4_LEN);
	FUZZ_CHECK(memcmp(out, data, ARP_ETHER_IPV4_LEN) == 0);
	memset(&r2, 0, sizeof(r2));
	FUZZ_CHECK(arp_wire_parse(out, sizeof(out), &r2) == 0);
	FUZZ_CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
	return 0;
}

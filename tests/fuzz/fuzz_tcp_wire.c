/*
 * Fuzz target: the TCP header and option codec (tcp/tcp_wire.c).
 *
 * Input: 8 bytes of pseudo-header addresses, then a segment.  Invariants:
 * the parser never reads past len (ASan); an accepted header has a data
 * offset within the segment; its options emit to a well-formed list
 * (a multiple of 4 bytes, at most 40) that parses back to the same
 * values; a checksum set over the segment verifies, and a flipped bit
 * fails it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/endian.h"
#include "tcp/tcp_wire.h"
#include "tests/fuzz/fuzz.h"

static void
check_opts_equal(const struct tcp_opts *a, const struct tcp_opts *b,
    unsigned nsack)
{
	uint32_t mask = TOF_MSS | TOF_WSCALE | TOF_SACKPERM | TOF_TS;

	FUZZ_CHECK((a->present & mask) == (b->present & mask));
	if (a->present & TOF_MSS)
		FUZZ_CHECK(a->mss == b->mss);
	if (a->present & TOF_WSCALE)
		FUZZ_CHECK(a->wscale == b->wscale);
	if (a->present & TOF_TS)
		FUZZ_CHECK(a->tsval == b->tsval && a->tsecr == b->tsecr);
	if (nsack > 0) {
		FUZZ_CHECK(b->present & TOF_SACK);
		FUZZ_CHECK(b->nsack == nsack);
		for (unsigned k = 0; k < nsack; k++)
			FUZZ_CHECK(a->sack[k].start == b->sack[k].start &&
			    a->sack[k].end == b->sack[k].end);
	} else
		FUZZ_CHECK(!(b->present & TOF_SACK));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_hdr th, th2;
	struct tcp_opts o;
	uint8_t out[TCP_HDR_MAX];
	uint32_t src, dst;
	uint8_t *seg;
	size_t len, optlen, hlen;
	unsigned nsack;
	int error;

	if (size < 8)
		return 0;
	src = be32_load(data);
	dst = be32_load(data + 4);
	len = size - 8;
	if (len > 65535)
		return 0;
	seg = malloc(len ? len : 1);
	FUZZ_CHECK(seg != NULL);
	memcpy(seg, data + 8, len);

	error = tcp_wire_parse(seg, len, &th);
	if (len < TCP_HDR_MIN) {
		FUZZ_CHECK(error == TCP_WIRE_SHORT);
		goto out;
	}
	if (error == TCP_WIRE_BADOFF) {
		size_t off = (size_t)(seg[12] >> 4) * 4;

		FUZZ_CHECK(off < TCP_HDR_MIN || off > len);
		goto out;
	}
	/* The option list alone parses the same way. */
	{
		size_t off = (size_t)(seg[12] >> 4) * 4;
		int e2 = tcp_wire_parse_opts(seg + TCP_HDR_MIN,
		    off - TCP_HDR_MIN, &o);

		FUZZ_CHECK(e2 == error);
	}
	if (error != TCP_WIRE_OK) {
		FUZZ_CHECK(error == TCP_WIRE_BADOPT);
		goto out;
	}
	FUZZ_CHECK(th.off >= TCP_HDR_MIN && th.off <= TCP_HDR_MAX &&
	    th.off % 4 == 0 && th.off <= len);
	FUZZ_CHECK(th.sport == be16_load(seg) && th.dport == be16_load(seg + 2));
	FUZZ_CHECK(th.seq == be32_load(seg + 4) && th.ack == be32_load(seg + 8));
	FUZZ_CHECK(th.flags == seg[13] && th.win == be16_load(seg + 14));
	FUZZ_CHECK(memcmp(&o, &th.opts, sizeof(o)) == 0);
	if (th.opts.present & TOF_WSCALE)
		FUZZ_CHECK(th.opts.wscale <= TCP_MAX_WSCALE);
	if (th.opts.present & TOF_SACK)
		FUZZ_CHECK(th.opts.nsack >= 1 && th.opts.nsack <= TCP_MAX_SACK);
	else
		FUZZ_CHECK(th.opts.nsack == 0);

	/* Emit what was parsed; it must parse back to the same header. */
	optlen = tcp_wire_optlen(&th.opts);
	nsack = tcp_wire_sack_fit(&th.opts);
	FUZZ_CHECK(optlen <= TCP_OPT_MAX && optlen % 4 == 0);
	FUZZ_CHECK(nsack <= th.opts.nsack);
	memset(out, 0xee, sizeof(out));
	hlen = tcp_wire_emit(out, &th);
	FUZZ_CHECK(hlen == TCP_HDR_MIN + optlen);
	FUZZ_CHECK(tcp_wire_parse(out, hlen, &th2) == TCP_WIRE_OK);
	FUZZ_CHECK(th2.off == hlen);
	FUZZ_CHECK(th2.sport == th.sport && th2.dport == th.dport &&
	    th2.seq == th.seq && th2.ack == th.ack && th2.flags == th.flags &&
	    th2.win == th.win && th2.urp == th.urp);
	check_opts_equal(&th.opts, &th2.opts, nsack);

	/* Checksum: set, verify, break. */
	tcp_wire_set_cksum(seg, len, src, dst);
	FUZZ_CHECK(tcp_wire_cksum_ok(seg, len, src, dst));
	seg[len - 1] ^= 0x01;
	FUZZ_CHECK(!tcp_wire_cksum_ok(seg, len, src, dst));
out:
	free(seg);
	return 0;
}

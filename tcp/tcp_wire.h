/*
 * The TCP header on the wire (RFC 9293 section 3.1): parsing, emitting and
 * checksumming, with options (MSS RFC 9293 3.7.1, window scale and
 * timestamps RFC 7323, SACK RFC 2018).
 *
 * Self-contained: no stack types, so fuzzers can link this file alone
 * (with core/cksum.c).  All multi-byte fields in struct tcp_hdr are in
 * host byte order; addresses given to the checksum functions are host
 * order too.
 */
#ifndef WS_TCP_WIRE_H
#define WS_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header flags (byte 13). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PUSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#define TCP_HDR_MIN 20
#define TCP_HDR_MAX 60
#define TCP_OPT_MAX (TCP_HDR_MAX - TCP_HDR_MIN) /* 40 bytes of options */
/* 4 blocks fit 40 bytes of options (2 + 32 = 34); with timestamps, 3. */
#define TCP_MAX_SACK 4

/* Option kinds (IANA "TCP Option Kind Numbers"). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACKPERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8

/* Option lengths (kind and length bytes included). */
#define TCPOLEN_MSS 4
#define TCPOLEN_WSCALE 3
#define TCPOLEN_SACKPERM 2
#define TCPOLEN_TS 10
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_BLOCK 8

/* RFC 7323 section 2.3: shift counts above 14 are used as 14. */
#define TCP_MAX_WSCALE 14

/* Bits of tcp_opts.present. */
#define TOF_MSS 0x01
#define TOF_WSCALE 0x02
#define TOF_SACKPERM 0x04
#define TOF_SACK 0x08
#define TOF_TS 0x10

struct tcp_sack_block {
	uint32_t start, end; /* [start, end) in sequence space */
};

struct tcp_opts {
	uint32_t present;    /* TOF_* bits: which fields below are valid */
	uint16_t mss;
	uint8_t wscale;      /* already clamped to TCP_MAX_WSCALE */
	uint8_t nsack;       /* blocks in sack[] (TOF_SACK) */
	struct tcp_sack_block sack[TCP_MAX_SACK];
	uint32_t tsval, tsecr;
};

struct tcp_hdr {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t off;         /* header length in BYTES (data offset * 4) */
	uint8_t flags;       /* TH_* */
	uint16_t win;        /* as on the wire (unscaled) */
	uint16_t sum;
	uint16_t urp;
	struct tcp_opts opts;
};

enum {
	TCP_WIRE_OK = 0,
	TCP_WIRE_SHORT = -1,  /* fewer than 20 bytes */
	TCP_WIRE_BADOFF = -2, /* data offset < 5 or beyond the segment */
	TCP_WIRE_BADOPT = -3, /* malformed option list */
};

/*
 * Parse the header and options of a whole segment (header + payload, len
 * bytes).  On TCP_WIRE_OK, th is filled and the payload is
 * seg[th->off .. len).  Options: EOL ends the list, NOP is skipped, a
 * known kind with a wrong length, any option with length 0 or 1, or one
 * running past the header is TCP_WIRE_BADOPT; unknown kinds are skipped
 * by their length.  A repeated option: the last one wins.  Never reads
 * past len.  The checksum is not verified (see tcp_wire_cksum_ok).
 */
int tcp_wire_parse(const uint8_t *seg, size_t len, struct tcp_hdr *th);

/* Parse only an option list (opt, optlen bytes) into o. */
int tcp_wire_parse_opts(const uint8_t *opt, size_t optlen,
    struct tcp_opts *o);

/* True when the checksum over pseudo-header + seg[0..len) verifies (false
 * for len > 65535, which no IPv4 datagram carries). */
bool tcp_wire_cksum_ok(const uint8_t *seg, size_t len, uint32_t src,
    uint32_t dst);

/*
 * Bytes the options in o take when emitted: padded to a multiple of 4 and
 * at most TCP_OPT_MAX.  The layout follows Linux (tcp_options_write):
 *	MSS                      kind 2 len 4               (4)
 *	SACKOK + TS              SACKOK TS                  (12)
 *	TS alone                 NOP NOP TS                 (12)
 *	SACKOK alone             NOP NOP SACKOK             (4)
 *	WS                       NOP WS                     (4)
 *	SACK blocks              NOP NOP SACK(n)            (4 + 8n)
 * SACK blocks that would not fit are left out (nsack is effectively
 * reduced; tcp_wire_emit writes the same number).
 */
size_t tcp_wire_optlen(const struct tcp_opts *o);

/* SACK blocks that fit next to the other options in o (0..nsack). */
unsigned tcp_wire_sack_fit(const struct tcp_opts *o);

/*
 * Write the header and options at buf (room for TCP_HDR_MAX bytes).  The
 * data offset comes from tcp_wire_optlen (th->off is ignored), the
 * checksum field is written as 0.  Returns the header length in bytes.
 */
size_t tcp_wire_emit(uint8_t *buf, const struct tcp_hdr *th);

/* Compute and store the checksum of the segment seg[0..len), len <= 65535
 * (an IPv4 payload; the pseudo-header length field is 16 bits). */
/*
 * For a super-segment handed to segmentation offload: the checksum field
 * holds the pseudo-header sum over the whole length, folded, not
 * complemented (the device finishes each segment's checksum).
 */
void tcp_wire_set_cksum_partial(uint8_t *seg, size_t len, uint32_t src,
    uint32_t dst);
void tcp_wire_set_cksum(uint8_t *seg, size_t len, uint32_t src,
    uint32_t dst);

#endif /* WS_TCP_WIRE_H */

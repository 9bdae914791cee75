/*
 * The Internet checksum (RFC 1071), in one place.
 *
 * Sums are carried as uint32_t partial sums so that a pseudo-header, a
 * header and a payload can be summed separately and folded once.
 */
#ifndef WS_CORE_CKSUM_H
#define WS_CORE_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at p (any alignment, any length) to a partial sum. */
uint32_t cksum_add(uint32_t sum, const void *p, size_t len);

/* Fold a partial sum to 16 bits and complement it: the field value. */
uint16_t cksum_finish(uint32_t sum);

/* The checksum of one buffer. */
uint16_t cksum(const void *p, size_t len);

/* Partial sum of the IPv4 pseudo-header (addresses in host order). */
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
    uint16_t len);

/*
 * RFC 1624 incremental update: the new checksum field after a 16-bit word
 * covered by it changes from old_word to new_word.
 */
uint16_t cksum_update16(uint16_t field, uint16_t old_word, uint16_t new_word);

#endif /* WS_CORE_CKSUM_H */

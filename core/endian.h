/*
 * Explicit big-endian loads and stores over byte buffers.  Parsers use these
 * instead of casting to packed structs, which avoids alignment and aliasing
 * undefined behaviour.
 */
#ifndef WS_CORE_ENDIAN_H
#define WS_CORE_ENDIAN_H

#include <stdint.h>

static inline uint16_t
be16_load(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
be32_load(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
be16_store(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
be32_store(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* WS_CORE_ENDIAN_H */

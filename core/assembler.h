/*
 * Out-of-order segment tracker (after smoltcp's storage/assembler.rs).
 *
 * Records which byte ranges beyond the in-order point have arrived, as up
 * to ASM_MAX_BLOCKS sorted, merged, non-overlapping, non-adjacent blocks
 * of offsets relative to that point.  The data itself lives in the receive
 * ring (ring_write_at); this only keeps the bookkeeping.  Bounded: a peer
 * sending many small holes cannot make it grow (asm_add refuses, and the
 * segment is dropped and retransmitted later).
 *
 * Offsets are relative: when in-order data is consumed (asm_take_front
 * after the hole at 0 is filled), every remaining block shifts down.
 */
#ifndef WS_CORE_ASSEMBLER_H
#define WS_CORE_ASSEMBLER_H

#include <stdbool.h>
#include <stdint.h>

#define ASM_MAX_BLOCKS 32

struct assembler {
	uint32_t n;  /* blocks in use */
	struct {
		uint32_t start, end; /* [start, end), start < end */
	} blk[ASM_MAX_BLOCKS];
};

void asm_init(struct assembler *a);

static inline bool
asm_empty(const struct assembler *a)
{
	return a->n == 0;
}

/*
 * Record [off, off + len), merging with overlapping or adjacent blocks.
 * len 0 records nothing and returns 0.  Returns -1 (nothing recorded) if
 * the result would need more than ASM_MAX_BLOCKS blocks or off + len
 * overflows 32 bits.
 */
int asm_add(struct assembler *a, uint32_t off, uint32_t len);

/*
 * If a block starts at offset 0, remove it, shift every other block down
 * by its end and return that length; otherwise return 0.
 */
uint32_t asm_take_front(struct assembler *a);

/*
 * Advance the in-order point by n bytes that arrived in order: blocks are
 * shifted down by n, and anything below n is forgotten (a block straddling
 * n is cut).  Then the caller usually asm_take_front()s to absorb a block
 * that has become contiguous.
 */
void asm_shift(struct assembler *a, uint32_t n);

/* True if every byte of [off, off + len) has been recorded (len 0: true). */
bool asm_contains(const struct assembler *a, uint32_t off, uint32_t len);

/* Iteration (SACK generation): number of blocks and block i, i < count. */
static inline uint32_t
asm_count(const struct assembler *a)
{
	return a->n;
}

static inline uint32_t
asm_block_start(const struct assembler *a, uint32_t i)
{
	return a->blk[i].start;
}

static inline uint32_t
asm_block_end(const struct assembler *a, uint32_t i)
{
	return a->blk[i].end;
}

/* Index of the block containing offset off, or -1. */
int asm_find(const struct assembler *a, uint32_t off);

/* Total bytes recorded. */
uint32_t asm_total(const struct assembler *a);

#endif /* WS_CORE_ASSEMBLER_H */

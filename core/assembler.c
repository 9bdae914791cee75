/*
 * Out-of-order tracker.  See assembler.h.
 *
 * Invariant: blk[0..n) is sorted, every block is non-empty, and there is
 * a gap of at least one byte between consecutive blocks (adjacent blocks
 * are merged), so the list is the unique minimal description of the set.
 */
#include "config.h"

#include <string.h>

#include "core/assembler.h"

void
asm_init(struct assembler *a)
{
	a->n = 0;
}

int
asm_add(struct assembler *a, uint32_t off, uint32_t len)
{
	uint32_t end, i, k, m;

	if (len == 0)
		return 0;
	if (len > UINT32_MAX - off)
		return -1;
	end = off + len;

	/* First block that overlaps or touches [off, end) from the left. */
	for (i = 0; i < a->n && a->blk[i].end < off; i++)
		;
	/* Blocks i..k-1 overlap or touch it. */
	for (k = i; k < a->n && a->blk[k].start <= end; k++)
		;
	m = k - i;
	if (m == 0) {
		if (a->n == ASM_MAX_BLOCKS)
			return -1;
		memmove(&a->blk[i + 1], &a->blk[i],
		    (a->n - i) * sizeof(a->blk[0]));
		a->blk[i].start = off;
		a->blk[i].end = end;
		a->n++;
		return 0;
	}
	if (a->blk[i].start < off)
		off = a->blk[i].start;
	if (a->blk[k - 1].end > end)
		end = a->blk[k - 1].end;
	a->blk[i].start = off;
	a->blk[i].end = end;
	if (m > 1) {
		memmove(&a->blk[i + 1], &a->blk[k],
		    (a->n - k) * sizeof(a->blk[0]));
		a->n -= m - 1;
	}
	return 0;
}

void
asm_shift(struct assembler *a, uint32_t n)
{
	uint32_t i, j = 0;

	if (n == 0)
		return;
	for (i = 0; i < a->n; i++) {
		if (a->blk[i].end <= n)
			continue;
		a->blk[j].start = a->blk[i].start > n ? a->blk[i].start - n : 0;
		a->blk[j].end = a->blk[i].end - n;
		j++;
	}
	a->n = j;
}

uint32_t
asm_take_front(struct assembler *a)
{
	uint32_t len;

	if (a->n == 0 || a->blk[0].start != 0)
		return 0;
	len = a->blk[0].end;
	asm_shift(a, len);
	return len;
}

bool
asm_contains(const struct assembler *a, uint32_t off, uint32_t len)
{
	if (len == 0)
		return true;
	if (len > UINT32_MAX - off)
		return false;
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->blk[i].start > off)
			return false;
		if (a->blk[i].end > off)
			return off + len <= a->blk[i].end;
	}
	return false;
}

int
asm_find(const struct assembler *a, uint32_t off)
{
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->blk[i].start > off)
			return -1;
		if (a->blk[i].end > off)
			return (int)i;
	}
	return -1;
}

uint32_t
asm_total(const struct assembler *a)
{
	uint32_t t = 0;

	for (uint32_t i = 0; i < a->n; i++)
		t += a->blk[i].end - a->blk[i].start;
	return t;
}

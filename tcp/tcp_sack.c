/*
 * Selective acknowledgments, both ways.
 *
 * Sender (RFC 2018, RFC 2883, RFC 6675): the scoreboard is one record per
 * transmitted segment, in sequence order, covering [snd_una, snd_max)
 * (after Linux's retransmit queue, where SACK, loss and retransmission
 * state are flags on each segment).  SACK blocks set SBF_SACKED, the loss
 * detectors (RACK in tcp_rack.c, RFC 6675 IsLost here, the RTO) set
 * SBF_LOST, retransmissions set SBF_RETRANS.  Three byte counters are kept
 * in step with the flags, so RFC 6675's pipe is
 *
 *	pipe = (snd_max - snd_una) - sacked - lost + retrans
 *
 * (every octet not SACKed counts once if not lost, and once more if its
 * retransmission is in flight: RFC 6675 4, SetPipe).  NextSeg (RFC 6675
 * 4) walks the records.  The storage is one array per connection, grown
 * by doubling (never per segment); records are split in place when a SACK
 * block or a smaller MSS cuts one.
 *
 * Receiver (RFC 2018 4, RFC 2883): the blocks come from the reassembly
 * bookkeeping (core/assembler.h); t_sackrec remembers the order in which
 * out-of-order data arrived so that the block holding the newest segment
 * goes first and the others follow most recent first, and a D-SACK block
 * for a duplicate goes before all of them.
 */
#include "config.h"

#include <string.h>

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

/* ---- Scoreboard storage ---- */

void
tcp_sb_free(struct tcpcb *tp)
{
	struct tcp_scoreboard *sb = &tp->t_sb;

	if (sb->seg != NULL) {
		ws_free(tp->t_st, sb->seg);
		tcp_mem_uncharge(tp->t_st, (size_t)sb->cap * sizeof(*sb->seg));
	}
	sb->seg = NULL;
	sb->head = sb->tail = sb->cap = 0;
	sb->sacked = sb->nsacked = sb->lost = sb->retrans = 0;
}

/*
 * Give up on the scoreboard (no memory): the connection carries on as
 * one without SACK (NewReno, go-back-N after a timeout).
 */
static void
tcp_sb_break(struct tcpcb *tp)
{
	STAT_INC(tp->t_st, tcp, sbfail);
	tcp_sb_free(tp);
	tp->t_sb.broken = true;
	if (tp->t_flags & TF_LOSSRECOVERY) {
		tp->t_flags &= ~TF_LOSSRECOVERY;
		tp->snd_nxt = tp->snd_una;
	}
	tp->t_flags &= ~TF_REXMITNOW;
}

/* Room for `need` more records at the tail.  0 or WS_ENOMEM. */
static int
tcp_sb_reserve(struct tcpcb *tp, uint32_t need)
{
	struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t n = sb->tail - sb->head, cap;
	struct tcp_sbseg *seg;

	if (sb->tail + need <= sb->cap)
		return 0;
	if (n + need <= sb->cap && sb->head > 0) {
		/* Slide the live records to the front (amortized O(1)). */
		memmove(sb->seg, sb->seg + sb->head, n * sizeof(*seg));
		sb->head = 0;
		sb->tail = n;
		return 0;
	}
	cap = sb->cap == 0 ? TCP_SB_MINCAP : sb->cap * 2;
	if (sb->cap == 0 && tp->t_maxseg > 0 &&
	    tp->t_sndbuf / tp->t_maxseg + 8 > cap)
		cap = tp->t_sndbuf / tp->t_maxseg + 8;
	while (cap < n + need)
		cap *= 2;
	if (cap > TCP_SB_MAXCAP) {
		if (n + need > TCP_SB_MAXCAP)
			return WS_ENOMEM;
		cap = TCP_SB_MAXCAP;
	}
	/* The scoreboard counts against tcp_mem_max like the rings. */
	if (!tcp_mem_charge(tp->t_st, (size_t)cap * sizeof(*seg)))
		return WS_ENOMEM;
	seg = ws_malloc(tp->t_st, (size_t)cap * sizeof(*seg));
	if (seg == NULL) {
		tcp_mem_uncharge(tp->t_st, (size_t)cap * sizeof(*seg));
		return WS_ENOMEM;
	}
	if (n > 0)
		memcpy(seg, sb->seg + sb->head, n * sizeof(*seg));
	if (sb->seg != NULL) {
		ws_free(tp->t_st, sb->seg);
		tcp_mem_uncharge(tp->t_st,
		    (size_t)sb->cap * sizeof(*sb->seg));
	}
	sb->seg = seg;
	sb->cap = cap;
	sb->head = 0;
	sb->tail = n;
	return 0;
}

/* Add (sign 1) or remove (-1) a record's share of the counters. */
static void
tcp_sb_account(struct tcp_scoreboard *sb, const struct tcp_sbseg *s,
    int sign)
{
	uint32_t len = s->end - s->start;

	if (s->flags & SBF_SACKED) {
		sb->sacked += (uint32_t)sign * len;
		sb->nsacked += (uint32_t)sign;
		return;
	}
	if (s->flags & SBF_LOST)
		sb->lost += (uint32_t)sign * len;
	if (s->flags & SBF_RETRANS)
		sb->retrans += (uint32_t)sign * len;
}

/* Change a record's flags, keeping the counters right. */
void
tcp_sb_setflags(struct tcpcb *tp, struct tcp_sbseg *s, uint16_t flags)
{
	struct tcp_scoreboard *sb = &tp->t_sb;

	tcp_sb_account(sb, s, -1);
	s->flags = flags;
	tcp_sb_account(sb, s, 1);
	if ((flags & (SBF_SACKED | SBF_LOST | SBF_RETRANS)) == SBF_LOST &&
	    SEQ_LT(s->start, sb->losthint))
		sb->losthint = s->start;
}

/* Declare a record lost; a retransmission of it is lost too. */
void
tcp_sb_mark_lost(struct tcpcb *tp, struct tcp_sbseg *s)
{
	tcp_sb_setflags(tp, s, (uint16_t)((s->flags | SBF_LOST) &
	    ~SBF_RETRANS));
}

/* Index (from head) of the record holding seq, or the count if none. */
static uint32_t
tcp_sb_index(const struct tcpcb *tp, uint32_t seq)
{
	const struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t lo = 0, hi = sb->tail - sb->head;

	if (hi == 0 || SEQ_LT(seq, sb->seg[sb->head].start))
		return hi;
	/* Records are contiguous and sorted: binary search on the end. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (SEQ_LEQ(sb->seg[sb->head + mid].end, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct tcp_sbseg *
tcp_sb_find(struct tcpcb *tp, uint32_t seq)
{
	uint32_t i = tcp_sb_index(tp, seq);

	return i < tcp_sb_count(tp) ? tcp_sb_at(tp, i) : NULL;
}

/*
 * Split record i (from head) at seq, start < seq < end: both halves keep
 * the flags and the send time.  Returns 0 or WS_ENOMEM (nothing changed).
 */
static int
tcp_sb_split(struct tcpcb *tp, uint32_t i, uint32_t seq)
{
	struct tcp_scoreboard *sb = &tp->t_sb;
	struct tcp_sbseg *s;
	uint32_t n = sb->tail - sb->head;

	if (tcp_sb_reserve(tp, 1) != 0)
		return WS_ENOMEM;
	s = &sb->seg[sb->head + i];
	WS_ASSERT(SEQ_LT(s->start, seq) && SEQ_LT(seq, s->end));
	memmove(s + 1, s, (n - i) * sizeof(*s));
	sb->tail++;
	s->end = seq;
	s[1].start = seq;
	if (s->flags & SBF_SACKED)
		sb->nsacked++;
	return 0;
}

/*
 * A segment [seq, end) went out (end counts a FIN); osndmax is snd_max
 * before it.  What lay below osndmax is a retransmission: those records
 * are stamped with the new send time (RACK) and flagged.  What lies
 * above becomes a new record.
 */
void
tcp_sb_xmit(struct tcpcb *tp, uint32_t seq, uint32_t end, uint32_t osndmax)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_scoreboard *sb = &tp->t_sb;
	struct tcp_sbseg *s;
	uint32_t i, rend;

	if (!tcp_sb_active(tp) || !SEQ_LT(seq, end))
		return;
	if (SEQ_LT(seq, osndmax)) {
		rend = SEQ_MIN(end, osndmax);
		i = tcp_sb_index(tp, seq);
		if (i < tcp_sb_count(tp) && SEQ_LT(tcp_sb_at(tp, i)->start,
		    seq) && tcp_sb_split(tp, i, seq) == 0)
			i++;
		for (; i < tcp_sb_count(tp); i++) {
			s = tcp_sb_at(tp, i);
			if (SEQ_GEQ(s->start, rend))
				break;
			if (SEQ_GT(s->end, rend))
				(void)tcp_sb_split(tp, i, rend);
			s = tcp_sb_at(tp, i);
			s->xmit = st->now;
			s->xorder = ++sb->xorder;
			if (s->nxmit < UINT16_MAX)
				s->nxmit++;
			if (!(s->flags & SBF_SACKED))
				tcp_sb_setflags(tp, s, s->flags | SBF_RETRANS |
				    SBF_EVERRETRANS);
		}
	}
	if (!SEQ_GT(end, osndmax))
		return;
	/* New data: the records must stay contiguous from snd_una. */
	if (tcp_sb_count(tp) > 0 ?
	    tcp_sb_at(tp, tcp_sb_count(tp) - 1)->end != osndmax :
	    osndmax != tp->snd_una) {
		tcp_sb_break(tp);
		return;
	}
	if (tcp_sb_reserve(tp, 1) != 0) {
		/* At the limit: grow the last record if it is plain. */
		if (tcp_sb_count(tp) > 0) {
			s = tcp_sb_at(tp, tcp_sb_count(tp) - 1);
			if (s->flags == 0) {
				s->end = end;
				s->xmit = st->now;
				s->xorder = ++sb->xorder;
				return;
			}
		}
		tcp_sb_break(tp);
		return;
	}
	s = &sb->seg[sb->tail++];
	s->start = osndmax;
	s->end = end;
	s->xmit = st->now;
	s->xorder = ++sb->xorder;
	s->flags = 0;
	s->nxmit = 1;
}

/*
 * The cumulative ACK ai->ack: drop the records below it.  Each record
 * delivered now (not SACKed before) feeds RACK.
 */
void
tcp_sb_ack(struct tcpcb *tp, struct tcp_ackinfo *ai)
{
	struct tcp_scoreboard *sb = &tp->t_sb;
	struct tcp_sbseg *s;

	if (!tcp_sb_active(tp))
		return;
	while (sb->head < sb->tail) {
		s = &sb->seg[sb->head];
		if (SEQ_LEQ(s->end, ai->ack)) {
			if (!(s->flags & SBF_SACKED)) {
				tcp_rack_delivered(tp, s, ai);
				ai->delivered = true;
			}
			tcp_sb_account(sb, s, -1);
			sb->head++;
			continue;
		}
		if (SEQ_LT(s->start, ai->ack)) {
			/* Partly acknowledged: keep the rest. */
			tcp_sb_account(sb, s, -1);
			s->start = ai->ack;
			tcp_sb_account(sb, s, 1);
		}
		break;
	}
	if (sb->head == sb->tail)
		sb->head = sb->tail = 0;
	if (SEQ_LT(sb->losthint, ai->ack))
		sb->losthint = ai->ack;
	/*
	 * RFC 2018 8: the receiver may discard data it SACKed (renege).
	 * A cumulative ACK that stops exactly where SACKed data begins
	 * says it did: forget every SACK so that the data is sent again.
	 */
	if (sb->head < sb->tail && (sb->seg[sb->head].flags & SBF_SACKED) &&
	    sb->seg[sb->head].start == ai->ack) {
		STAT_INC(tp->t_st, tcp, sackreneg);
		for (uint32_t i = sb->head; i < sb->tail; i++)
			if (sb->seg[i].flags & SBF_SACKED)
				tcp_sb_setflags(tp, &sb->seg[i],
				    sb->seg[i].flags & ~SBF_SACKED);
	}
}

/* Mark [start, end) SACKed; returns the bytes newly SACKed. */
static uint32_t
tcp_sb_mark_sacked(struct tcpcb *tp, uint32_t start, uint32_t end,
    struct tcp_ackinfo *ai)
{
	struct tcp_sbseg *s;
	uint32_t i, n = 0;

	i = tcp_sb_index(tp, start);
	if (i < tcp_sb_count(tp)) {
		s = tcp_sb_at(tp, i);
		/*
		 * The block starts inside a record: split it there (the
		 * upper half is then record i + 1), or if that fails leave
		 * the record unSACKed, which is only conservative.
		 */
		if (SEQ_LT(s->start, start)) {
			if (!(s->flags & SBF_SACKED))
				(void)tcp_sb_split(tp, i, start);
			i++;
		}
	}
	for (; i < tcp_sb_count(tp); i++) {
		s = tcp_sb_at(tp, i);
		if (SEQ_GEQ(s->start, end))
			break;
		if (s->flags & SBF_SACKED)
			continue;
		if (SEQ_GT(s->end, end) && tcp_sb_split(tp, i, end) != 0)
			break; /* cannot split: leave it unSACKed */
		s = tcp_sb_at(tp, i);
		tcp_sb_setflags(tp, s, s->flags | SBF_SACKED);
		n += s->end - s->start;
		tcp_rack_delivered(tp, s, ai);
	}
	return n;
}

/*
 * The SACK option of an ACK (RFC 2018 3), before the cumulative ACK is
 * applied.  RFC 2883 4: the first block is a D-SACK if it lies below the
 * cumulative ACK or inside the second block; it is reported in ai and
 * marks nothing.  Blocks outside [SND.UNA, SND.MAX] are ignored.
 */
void
tcp_sb_sack(struct tcpcb *tp, const struct tcp_opts *o,
    struct tcp_ackinfo *ai)
{
	uint32_t una = SEQ_MAX(ai->ack, tp->snd_una);

	if (!tcp_sb_active(tp) || !(o->present & TOF_SACK))
		return;
	STAT_INC(tp->t_st, tcp, rcvsack);
	for (unsigned i = 0; i < o->nsack && i < TCP_MAX_SACK; i++) {
		const struct tcp_sack_block *b = &o->sack[i];

		if (!SEQ_LT(b->start, b->end))
			continue;
		if (i == 0 && (SEQ_LT(b->start, ai->ack) || (o->nsack > 1 &&
		    SEQ_GEQ(b->start, o->sack[1].start) &&
		    SEQ_LEQ(b->end, o->sack[1].end)))) {
			ai->dsack = true;
			ai->dsblk = *b;
			continue;
		}
		if (SEQ_GT(b->end, tp->snd_max) || SEQ_LEQ(b->end, una) ||
		    SEQ_LT(b->start, tp->snd_una))
			continue;
		ai->sacked += tcp_sb_mark_sacked(tp, SEQ_MAX(b->start, una),
		    b->end, ai);
	}
	if (ai->sacked > 0)
		ai->delivered = true;
}

/*
 * A retransmission timeout (RFC 6675 5.1, RFC 8985 6.3): everything not
 * SACKed is lost and nothing is in flight any more.  SACK information is
 * kept (it is not resent), unless clear_sacked: then the receiver is
 * assumed to have reneged (RFC 2018 8) and everything goes again.
 */
void
tcp_sb_timeout(struct tcpcb *tp, bool clear_sacked)
{
	struct tcp_scoreboard *sb = &tp->t_sb;

	for (uint32_t i = sb->head; i < sb->tail; i++) {
		struct tcp_sbseg *s = &sb->seg[i];
		uint16_t f = s->flags & ~SBF_RETRANS;

		if (clear_sacked)
			f &= ~SBF_SACKED;
		if (!(f & SBF_SACKED))
			f |= SBF_LOST;
		tcp_sb_setflags(tp, s, f);
	}
	sb->losthint = tp->snd_una;
}

/* A spurious recovery was undone: nothing is lost after all. */
void
tcp_sb_clear_lost(struct tcpcb *tp)
{
	struct tcp_scoreboard *sb = &tp->t_sb;

	for (uint32_t i = sb->head; i < sb->tail; i++)
		if (sb->seg[i].flags & SBF_LOST)
			tcp_sb_setflags(tp, &sb->seg[i],
			    sb->seg[i].flags & ~SBF_LOST);
	sb->losthint = tp->snd_max;
}

/*
 * The path MTU shrank (RFC 1191): segments larger than the new MSS were
 * dropped on the way; mark them lost so they are resent, cut to size.
 */
void
tcp_sb_split_mss(struct tcpcb *tp, uint32_t mss)
{
	struct tcp_scoreboard *sb = &tp->t_sb;

	for (uint32_t i = sb->head; i < sb->tail; i++) {
		struct tcp_sbseg *s = &sb->seg[i];

		if (!(s->flags & SBF_SACKED) && s->end - s->start > mss)
			tcp_sb_mark_lost(tp, s);
	}
}

/* Consistency of the counters with the records (tests, debugging). */
bool
tcp_sb_check(const struct tcpcb *tp)
{
	const struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t sacked = 0, nsacked = 0, lost = 0, retrans = 0;

	for (uint32_t i = sb->head; i < sb->tail; i++) {
		const struct tcp_sbseg *s = &sb->seg[i];
		uint32_t len = s->end - s->start;

		if (!SEQ_LT(s->start, s->end))
			return false;
		if (i > sb->head && sb->seg[i - 1].end != s->start)
			return false;
		if (s->flags & SBF_SACKED) {
			sacked += len;
			nsacked++;
			continue;
		}
		if (s->flags & SBF_LOST)
			lost += len;
		if (s->flags & SBF_RETRANS)
			retrans += len;
	}
	if (sb->head < sb->tail && (sb->seg[sb->head].start != tp->snd_una ||
	    sb->seg[sb->tail - 1].end != tp->snd_max))
		return false;
	return sacked == sb->sacked && nsacked == sb->nsacked &&
	    lost == sb->lost && retrans == sb->retrans;
}

/* ---- RFC 6675 4: pipe, IsLost, NextSeg ---- */

/* SetPipe(): octets in flight. */
uint32_t
tcp_sack_pipe(const struct tcpcb *tp)
{
	const struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t flight = tp->snd_max - tp->snd_una;

	if (tcp_sb_count(tp) == 0)
		return flight;
	flight = sb->seg[sb->tail - 1].end - sb->seg[sb->head].start;
	return flight - sb->sacked - sb->lost + sb->retrans;
}

/*
 * IsLost(SeqNum) for the first octet of s: DupThresh discontiguous
 * SACKed segments lie above it, or more than (DupThresh - 1) * SMSS
 * SACKed octets.
 */
bool
tcp_sack_islost(const struct tcpcb *tp, const struct tcp_sbseg *s)
{
	const struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t bytes = 0, segs = 0;

	if (s->flags & SBF_SACKED)
		return false;
	for (uint32_t i = sb->tail; i-- > sb->head;) {
		const struct tcp_sbseg *r = &sb->seg[i];

		if (SEQ_LEQ(r->end, s->start))
			break;
		if (r->flags & SBF_SACKED) {
			bytes += r->end - r->start;
			segs++;
			if (segs >= TCP_DUPTHRESH ||
			    bytes > (TCP_DUPTHRESH - 1) * tp->t_maxseg)
				return true;
		}
	}
	return false;
}

/*
 * Without RACK, loss is what RFC 6675 IsLost() says: walk down from the
 * top counting SACKed data; once the threshold is passed, every record
 * below that is not SACKed is lost.  Returns the records newly marked.
 */
uint32_t
tcp_sack_mark_6675(struct tcpcb *tp)
{
	struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t bytes = 0, segs = 0, n = 0;
	bool lost = false;

	if (sb->nsacked == 0)
		return 0;
	for (uint32_t i = sb->tail; i-- > sb->head;) {
		struct tcp_sbseg *s = &sb->seg[i];

		if (s->flags & SBF_SACKED) {
			bytes += s->end - s->start;
			segs++;
			if (segs >= TCP_DUPTHRESH ||
			    bytes > (TCP_DUPTHRESH - 1) * tp->t_maxseg)
				lost = true;
			continue;
		}
		if (lost && !(s->flags & (SBF_LOST | SBF_RETRANS))) {
			tcp_sb_mark_lost(tp, s);
			n++;
		}
	}
	return n;
}

/*
 * NextSeg() (RFC 6675 4): what to send next while in recovery.
 *	(1) the first segment deemed lost and not yet retransmitted;
 *	(2) new data, if `newdata` (unsent data and the peer's window);
 *	(3) the first unSACKed segment above HighRxt not yet resent;
 *	(4) one "rescue" retransmission of the last unSACKed segment per
 *	    window, which must not move HighRxt (here: the last one not
 *	    being retransmitted already).
 * RFC 6675 marks segments lost with IsLost(); RACK (RFC 8985) replaces
 * that with time-based marks, so with RACK rules 3 and 4 are left to the
 * tail loss probe, which does the same job once per flight.  *rule says
 * which rule matched; the caller updates HighRxt for rules 1 and 3.
 */
int
tcp_sack_nextseg(struct tcpcb *tp, bool newdata, uint32_t *seq,
    uint32_t *len, int *rule)
{
	struct tcp_scoreboard *sb = &tp->t_sb;
	uint32_t i, n = tcp_sb_count(tp);
	struct tcp_sbseg *s;

	*rule = 0;
	if (sb->lost > 0) {
		i = tcp_sb_index(tp, sb->losthint);
		if (i >= n)
			i = 0;
		for (; i < n; i++) {
			s = tcp_sb_at(tp, i);
			if ((s->flags & (SBF_SACKED | SBF_LOST | SBF_RETRANS)) ==
			    SBF_LOST) {
				sb->losthint = s->start;
				*seq = s->start;
				*len = s->end - s->start;
				*rule = 1;
				return TCP_NEXTSEG_REXMIT;
			}
		}
		sb->losthint = tp->snd_max;
	}
	if (newdata) {
		*rule = 2;
		return TCP_NEXTSEG_NEW;
	}
	if (tp->t_flags & TF_RACK)
		return TCP_NEXTSEG_NONE;
	for (i = tcp_sb_index(tp, tp->t_highrxt); i < n; i++) {
		s = tcp_sb_at(tp, i);
		if (!(s->flags & (SBF_SACKED | SBF_RETRANS | SBF_LOST)) &&
		    SEQ_GT(s->end, tp->t_highrxt)) {
			*seq = SEQ_MAX(s->start, tp->t_highrxt);
			*len = s->end - *seq;
			*rule = 3;
			return TCP_NEXTSEG_REXMIT;
		}
	}
	if ((tp->t_flags & TF_FASTRECOVERY) && (!tp->t_rescue_set ||
	    SEQ_GT(tp->snd_una, tp->t_rescuerxt))) {
		for (i = n; i-- > 0;) {
			s = tcp_sb_at(tp, i);
			/* Not one whose retransmission is in flight already. */
			if (s->flags & (SBF_SACKED | SBF_RETRANS))
				continue;
			*len = s->end - s->start;
			if (*len > tp->t_maxseg)
				*len = tp->t_maxseg;
			*seq = s->end - *len;
			tp->t_rescuerxt = tp->snd_recover;
			tp->t_rescue_set = true;
			*rule = 4;
			return TCP_NEXTSEG_REXMIT;
		}
	}
	return TCP_NEXTSEG_NONE;
}

/* ---- Receiver: SACK and D-SACK blocks (RFC 2018 4, RFC 2883) ---- */

/* Out-of-order data starting at seq arrived: its block goes first. */
void
tcp_sack_ooo(struct tcpcb *tp, uint32_t seq)
{
	uint32_t n = tp->t_nsackrec;

	if (n == ASM_MAX_BLOCKS)
		n--;
	memmove(tp->t_sackrec + 1, tp->t_sackrec, n * sizeof(uint32_t));
	tp->t_sackrec[0] = seq;
	tp->t_nsackrec = n + 1;
}

/* A duplicate [start, end) arrived: report it in the next ACK. */
void
tcp_sack_dsack(struct tcpcb *tp, uint32_t start, uint32_t end)
{
	if (!(tp->t_flags & TF_SACK_PERMIT) || !SEQ_LT(start, end))
		return;
	tp->t_dsack.start = start;
	tp->t_dsack.end = end;
	tp->t_flags |= TF_DSACKPEND | TF_ACKNOW;
}

/*
 * The SACK option of an outgoing ACK: the D-SACK block if one is
 * pending, then the block holding the latest out-of-order segment, then
 * the others, most recently changed first (RFC 2018 4: "the first SACK
 * block MUST specify the contiguous block of data containing the segment
 * which triggered this ACK"; the rest repeat the most recent ones), as
 * many as fit next to the other options.
 */
void
tcp_sack_fill(struct tcpcb *tp, struct tcp_opts *o)
{
	const struct assembler *a = &tp->t_asm;
	uint32_t used = 0, k = 0;

	o->nsack = 0;
	if (tp->t_flags & TF_DSACKPEND)
		o->sack[o->nsack++] = tp->t_dsack;
	for (uint32_t i = 0; i < tp->t_nsackrec; i++) {
		uint32_t seq = tp->t_sackrec[i];
		int b;

		if (SEQ_LT(seq, tp->rcv_nxt))
			continue;
		b = asm_find(a, seq - tp->rcv_nxt);
		if (b < 0 || (used & (1u << b)))
			continue; /* gone, or merged into a newer entry */
		used |= 1u << b;
		tp->t_sackrec[k++] = seq;
		if (o->nsack < TCP_MAX_SACK) {
			o->sack[o->nsack].start = tp->rcv_nxt +
			    asm_block_start(a, (uint32_t)b);
			o->sack[o->nsack++].end = tp->rcv_nxt +
			    asm_block_end(a, (uint32_t)b);
		}
	}
	tp->t_nsackrec = k;
	/* Blocks whose entries fell off the list: highest first. */
	for (uint32_t b = asm_count(a); b-- > 0 && o->nsack < TCP_MAX_SACK;) {
		if (used & (1u << b))
			continue;
		o->sack[o->nsack].start = tp->rcv_nxt + asm_block_start(a, b);
		o->sack[o->nsack++].end = tp->rcv_nxt + asm_block_end(a, b);
	}
	if (o->nsack == 0)
		return;
	o->present |= TOF_SACK;
	o->nsack = (uint8_t)tcp_wire_sack_fit(o);
	if (o->nsack == 0)
		o->present &= ~TOF_SACK;
}

/* An ACK went out: a D-SACK is reported once (RFC 2883 4). */
void
tcp_sack_sent(struct tcpcb *tp)
{
	if (tp->t_flags & TF_DSACKPEND) {
		tp->t_flags &= ~TF_DSACKPEND;
		STAT_INC(tp->t_st, tcp, snddsack);
	}
}

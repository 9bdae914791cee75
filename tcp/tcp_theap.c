/*
 * The connections' timers in one binary min-heap (after libuv's
 * src/timer.c and BSD callouts): each tcpcb with a timer armed sits in
 * the heap once, keyed by its earliest deadline, so tcp_timer and
 * tcp_next_deadline cost O(log n) per expiry and O(1) per poll instead
 * of a walk over every control block.  The heap holds pointers to the
 * tcpcbs and each tcpcb its index, so a key changes in place.
 *
 * Invariant: a tcpcb with any t_timer[] armed is in the heap with a key
 * no later than its earliest deadline.  Arming (tcp_timer_arm and
 * tcp_theap_sched) can only move a key earlier; disarming recomputes it.
 * If the array cannot grow, theap_lost is set and tcp_timer falls back to
 * a scan of every tcpcb until tcp_theap_rebuild succeeds.
 */
#include "config.h"

#include <wirestack/err.h>

#include "core/stack_var.h"
#include "tcp/tcp_var.h"

static inline bool
key_lt(const struct tcpcb *a, const struct tcpcb *b)
{
	return a->t_heapkey < b->t_heapkey;
}

static void
heap_set(struct tcp_softc *sc, uint32_t i, struct tcpcb *tp)
{
	sc->theap[i] = tp;
	tp->t_heapidx = i + 1;
}

static void
sift_up(struct tcp_softc *sc, uint32_t i)
{
	struct tcpcb *tp = sc->theap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!key_lt(tp, sc->theap[parent]))
			break;
		heap_set(sc, i, sc->theap[parent]);
		i = parent;
	}
	heap_set(sc, i, tp);
}

static void
sift_down(struct tcp_softc *sc, uint32_t i)
{
	struct tcpcb *tp = sc->theap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= sc->theapn)
			break;
		if (c + 1 < sc->theapn && key_lt(sc->theap[c + 1], sc->theap[c]))
			c++;
		if (!key_lt(sc->theap[c], tp))
			break;
		heap_set(sc, i, sc->theap[c]);
		i = c;
	}
	heap_set(sc, i, tp);
}

/* Room for at least `need` entries.  0 or WS_ENOMEM. */
static int
heap_grow(struct ws_stack *st, struct tcp_softc *sc, uint32_t need)
{
	struct tcpcb **h;
	uint32_t cap = sc->theapcap < 64 ? 64 : sc->theapcap;

	while (cap < need) {
		if (cap > UINT32_MAX / 2)
			return WS_ENOMEM;
		cap *= 2;
	}
	if (cap == sc->theapcap)
		return 0;
	h = ws_calloc(st, cap, sizeof(*h));
	if (h == NULL)
		return WS_ENOMEM;
	for (uint32_t i = 0; i < sc->theapn; i++)
		h[i] = sc->theap[i];
	ws_free(st, sc->theap);
	sc->theap = h;
	sc->theapcap = cap;
	return 0;
}

static void
heap_remove(struct tcp_softc *sc, struct tcpcb *tp)
{
	uint32_t i = tp->t_heapidx - 1;
	struct tcpcb *last;

	tp->t_heapidx = 0;
	last = sc->theap[--sc->theapn];
	if (last == tp)
		return;
	heap_set(sc, i, last);
	if (i > 0 && key_lt(last, sc->theap[(i - 1) / 2]))
		sift_up(sc, i);
	else
		sift_down(sc, i);
}

/* tp's deadline `at` was just armed: make sure the heap knows. */
void
tcp_theap_sched(struct tcpcb *tp, ws_time_t at)
{
	struct tcp_softc *sc = tp->t_st->tcp;

	if (at == WS_TIME_NEVER)
		return;
	if (tp->t_heapidx != 0) {
		if (at < tp->t_heapkey) {
			tp->t_heapkey = at;
			sift_up(sc, tp->t_heapidx - 1);
		}
		return;
	}
	if (sc->theapn >= sc->theapcap &&
	    heap_grow(tp->t_st, sc, sc->theapn + 1) != 0) {
		/* Out of memory: tcp_timer scans every tcpcb instead,
		 * until the heap can be rebuilt (tcp_theap_rebuild). */
		sc->theap_lost = true;
		return;
	}
	tp->t_heapkey = at;
	sc->theap[sc->theapn] = tp;
	tp->t_heapidx = ++sc->theapn;
	sift_up(sc, sc->theapn - 1);
}

/* tp's timers changed in any direction: key it by its earliest deadline. */
void
tcp_theap_resched(struct tcpcb *tp)
{
	struct tcp_softc *sc = tp->t_st->tcp;
	ws_time_t t = WS_TIME_NEVER;

	if (!(tp->t_flags & TF_DEAD))
		for (int i = 0; i < TCPT_NTIMERS; i++)
			t = ws_time_min(t, tp->t_timer[i]);
	if (t == WS_TIME_NEVER) {
		if (tp->t_heapidx != 0)
			heap_remove(sc, tp);
		return;
	}
	if (tp->t_heapidx == 0) {
		tcp_theap_sched(tp, t);
		return;
	}
	if (t == tp->t_heapkey)
		return;
	if (t < tp->t_heapkey) {
		tp->t_heapkey = t;
		sift_up(sc, tp->t_heapidx - 1);
	} else {
		tp->t_heapkey = t;
		sift_down(sc, tp->t_heapidx - 1);
	}
}

/* tp is being freed.  An empty heap gives its array back. */
void
tcp_theap_remove(struct tcpcb *tp)
{
	struct ws_stack *st = tp->t_st;
	struct tcp_softc *sc = st->tcp;

	if (tp->t_heapidx != 0)
		heap_remove(sc, tp);
	if (sc->theapn == 0 && sc->theap != NULL) {
		ws_free(st, sc->theap);
		sc->theap = NULL;
		sc->theapcap = 0;
	}
}

/*
 * After a failed allocation some armed tcpcbs may be missing from the
 * heap: put every tcpcb back in from scratch.  Returns false (and the
 * caller scans everything) while memory is still short.
 */
bool
tcp_theap_rebuild(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	if (!sc->theap_lost)
		return true;
	if (heap_grow(st, sc, sc->nconns) != 0)
		return false;
	sc->theap_lost = false;
	TAILQ_FOREACH(tp, &sc->all, t_list)
		tcp_theap_resched(tp);
	return !sc->theap_lost;
}

/* Take out and return a tcpcb whose key is due, or NULL. */
struct tcpcb *
tcp_theap_expired(struct ws_stack *st)
{
	struct tcp_softc *sc = st->tcp;
	struct tcpcb *tp;

	if (sc->theapn == 0 || sc->theap[0]->t_heapkey > st->now)
		return NULL;
	tp = sc->theap[0];
	heap_remove(sc, tp);
	return tp;
}

ws_time_t
tcp_theap_next(const struct ws_stack *st)
{
	const struct tcp_softc *sc = st->tcp;

	return sc->theapn == 0 ? WS_TIME_NEVER : sc->theap[0]->t_heapkey;
}

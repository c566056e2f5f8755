/* Ready rings, inline: the operations on the scheduler's hot path. */
#ifndef COOP_READY_H
#define COOP_READY_H

#include "internal.h"

/*
 * A task queued at exactly its due time (time2run == now: a task with
 * period 0, a woken one, Wait(0)) goes to the FIFO ring of its prio in
 * O(1); everything else goes to the heap (queue.c).  The dispatcher
 * takes the smallest of the heap's top and the ring heads, so the total
 * order (time2run, prio, seq) holds whichever structure a task sits in:
 *
 *   - Inside a ring, times never decrease (each was "now" when queued)
 *     and seq grows, so ring order is key order.
 *   - A heap entry and a ring head with equal time and prio: the entry
 *     was queued either before its time came (seq below the ring task's,
 *     which was queued at that time) or after it had passed
 *     (COOP__F_LATE, seq above).  So the flag alone decides the tie, and
 *     ring tasks need no seq of their own.
 *
 * A task that dies while in a ring stays linked until it reaches the
 * head.  A ring's prio is its index: a task whose prio changes keeps its
 * old one until it is queued again.  With permuted ties (a seq hook)
 * every task goes through the heap, so that the hook orders all ties.
 */
static inline void coop__ring_push(coop_sched *s, coop_task *t)
{
    struct coop__ring *r = &s->rings[t->prio];
    t->next = NULL;
    if (r->tail)
        r->tail->next = t;
    else
        r->head = t;
    r->tail = t;
    s->ring_bits[t->prio >> 6] |= UINT64_C(1) << (t->prio & 63);
    t->flags |= COOP__F_IN_RING;
}

/* Unlinks the head of ring `prio`; the caller clears the task's COOP__F_IN_RING. */
static inline void coop__ring_pop(coop_sched *s, int prio)
{
    struct coop__ring *r = &s->rings[prio];
    coop_assert(r->head != NULL);
    r->head = r->head->next;
    if (!r->head) {
        r->tail = NULL;
        s->ring_bits[prio >> 6] &= ~(UINT64_C(1) << (prio & 63));
    }
}

/* The head of ring `prio`; records of tasks that died while queued are dropped first. */
static inline coop_task *coop__ring_head(coop_sched *s, int prio)
{
    coop_task *h = s->rings[prio].head;
    if (h && h->where == COOP__READY)
        return h;
    return coop__ring_head_slow(s, prio);
}

static inline int coop__lowest_bit(uint64_t v)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(v);
#else
    int n = 0;
    while (!(v & 1)) {
        v >>= 1;
        n++;
    }
    return n;
#endif
}

/* The smallest non-empty prio above `after`, or 0 when there is none. */
static inline int coop__next_prio(const coop_sched *s, int after)
{
#if COOP_CONFIG_RINGS == 0
    (void)s;
    (void)after;
    return 0;
#endif
    int from = after + 1;
    for (int w = from >> 6; w < COOP__RING_WORDS; w++) {
        uint64_t bits = s->ring_bits[w];
        if (w == from >> 6)
            bits &= ~UINT64_C(0) << (from & 63);
        if (bits)
            return w * 64 + coop__lowest_bit(bits);
    }
    return 0;
}

/* The chain cache's slot for a due time (queue.c explains the chains). */
static inline uint32_t coop__chain_index(uint64_t t)
{
#if COOP_CONFIG_CHAIN_BITS == 0
    (void)t;
    return 0;
#else
    return (uint32_t)((t * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - COOP_CONFIG_CHAIN_BITS));
#endif
}

/* Whether a prio has a ready ring; the others go through the heap, in the same order. */
static inline bool coop__has_ring(int prio)
{
#if COOP_CONFIG_RINGS >= 100
    (void)prio;
    return true;
#elif COOP_CONFIG_RINGS == 0
    /* Prios start at 1, so none has a ring; said outright, the ring code is left out. */
    (void)prio;
    return false;
#else
    return prio <= COOP_CONFIG_RINGS;
#endif
}

#if COOP_CONFIG_HEAP_KEYS
/* The next task of a chain takes over its head's entry: key and seq stay. */
static inline void coop__promote(struct coop__heap_entry *e, coop_task *next)
{
    e->task = next;
    next->flags = (uint16_t)((next->flags & ~COOP__F_IN_CHAIN) | COOP__F_IN_HEAP);
}
#endif

/*
 * Queues the task by its key (time2run, prio, seq): in a ring when it is
 * due exactly now, behind a chain's tail when one with its future key may
 * still grow (the common case of a periodic task on a shared grid), and
 * otherwise through coop__enqueue_heap.  A stale entry (see
 * coop_sched.stale) is dropped, or re-keyed by coop__enqueue_heap.
 */
static inline void coop__enqueue_inline(coop_sched *s, coop_task *t)
{
    coop_assert(!COOP__INDEXED(t) || t == s->stale);
    coop_assert(!(t->flags & (COOP__F_IN_RING | COOP__F_IN_CHAIN)));
    if (t->where != COOP__BLOCKED && !s->seq_hook) {
        if (t->time2run_ns == s->now_ns && coop__has_ring(t->prio)) {
            if (t == s->stale)
                coop__dequeue(s, t);
            coop__ring_push(s, t);
            t->where = COOP__READY;
            return;
        }
#if COOP_CONFIG_HEAP_KEYS
        struct coop__chain_slot *c = &s->chains[coop__chain_index(t->time2run_ns)];
        if (t->time2run_ns > s->now_ns && c->tail && c->t == t->time2run_ns && c->prio == t->prio) {
            if (t == s->stale)
                coop__dequeue(s, t);
            t->where = COOP__TIMED;
            t->flags = (uint16_t)((t->flags & ~COOP__F_LATE) | COOP__F_IN_CHAIN);
            t->next = NULL;
            c->tail->next = t;
            c->tail = t;
            return;
        }
#endif
    }
    coop__enqueue_heap(s, t);
}

/* Inline on the hot path; one shared copy (queue.c) in a build for size, where it would be duplicated. */
#ifdef __OPTIMIZE_SIZE__
void coop__enqueue(coop_sched *s, coop_task *t);
#else
static inline void coop__enqueue(coop_sched *s, coop_task *t) { coop__enqueue_inline(s, t); }
#endif

/*
 * Takes the live task at the heap's top for dispatch.  When a live task
 * is chained behind it, that one inherits the entry here; the rest
 * (stale entries, dead chained tasks) is coop__heap_take_top's.
 */
static inline coop_task *coop__take_top(coop_sched *s)
{
#if COOP_CONFIG_HEAP_KEYS
    struct coop__heap_entry *e = &s->heap.v[0];
    coop_task *t = e->task, *next = t->next;
    if (next && next->where != COOP__DEAD) {
        /* t has a successor, so it is no chain's tail and the cache cannot name it. */
        coop__promote(e, next);
        t->flags &= (uint16_t)~COOP__F_IN_HEAP;
        t->next = NULL;
        return t;
    }
#endif
    return coop__heap_take_top(s);
}

#endif

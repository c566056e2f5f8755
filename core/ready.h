/* Ready rings, inline: the operations on the scheduler's hot path. */
#ifndef COOP_READY_H
#define COOP_READY_H

#include "internal.h"

/*
 * A task that is due now and whose time2run is not earlier than its
 * ring's tail can be appended in O(1) without breaking the ring's order
 * (a task that died while queued stays linked until it reaches the head,
 * so IN_RING tasks cannot be appended twice).
 * Everything else goes to the heap; the dispatcher takes the smaller of
 * the heap's top and the ring heads, so the total order (time2run, prio,
 * seq) holds exactly whichever structure a task sits in.  A ring's prio
 * is its index: a task whose prio changes keeps its old one until it is
 * queued again.
 */
static inline bool coop__ring_accepts(const coop_sched *s, const coop_task *t)
{
    if (t->time2run_ns > s->now_ns)
        return false;
    const coop_task *tail = s->rings[t->prio].tail;
    return !tail || t->time2run_ns >= tail->time2run_ns;
}

static inline void coop__ring_push(coop_sched *s, coop_task *t)
{
    struct coop__ring *r = &s->rings[t->prio];
    t->ring_next = NULL;
    if (r->tail)
        r->tail->ring_next = t;
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
    r->head = r->head->ring_next;
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
    int from = after + 1;
    for (int w = from >> 6; w < 2; w++) {
        uint64_t bits = s->ring_bits[w];
        if (w == from >> 6)
            bits &= ~UINT64_C(0) << (from & 63);
        if (bits)
            return w * 64 + coop__lowest_bit(bits);
    }
    return 0;
}

/* Queues the task by its key (time2run, prio, seq), in a ring when it is due. */
static inline void coop__enqueue(coop_sched *s, coop_task *t)
{
    coop_assert(t->heap_idx == COOP__NO_INDEX || t == s->stale);
    t->seq = s->next_seq++;
    if (s->seq_hook) {
        t->seq = s->seq_hook(s->seq_ctx, t->seq);
        coop__enqueue_heap(s, t);
        return;
    }
    if (t->where != COOP__BLOCKED && !(t->flags & COOP__F_IN_RING) && coop__ring_accepts(s, t)) {
        coop__ring_push(s, t);
        t->where = COOP__READY;
        if (t->heap_idx != COOP__NO_INDEX)
            coop__dequeue(s, t);
        return;
    }
    coop__enqueue_heap(s, t);
}

#endif

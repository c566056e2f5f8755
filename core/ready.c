/* Ready rings: one FIFO per prio for tasks that are already due, so they skip the heap. */
#include "ready.h"

int coop__ring_grow(coop_sched *s, struct coop__ring *r)
{
    uint32_t cap = r->cap ? r->cap * 2 : 16;
    if (cap < r->cap)
        return -COOP_ENOMEM;
    coop_task **v = coop__alloc(s, (size_t)cap * sizeof(*v));
    if (!v)
        return -COOP_ENOMEM;
    /* Unroll the ring so that the copy starts at index 0. */
    for (uint32_t i = 0; i < r->n; i++)
        v[i] = r->v[(r->head + i) & (r->cap - 1)];
    coop__free(s, r->v, (size_t)r->cap * sizeof(*r->v));
    r->v = v;
    r->cap = cap;
    r->head = 0;
    return 0;
}

/* The head of ring `prio`, after dropping the records of tasks that died while queued. */
coop_task *coop__ring_head_slow(coop_sched *s, int prio)
{
    struct coop__ring *r = &s->rings[prio];
    while (r->n) {
        coop_task *t = r->v[r->head];
        if (t->where == COOP__READY)
            return t;
        coop__ring_pop(s, prio);
        t->flags &= (uint8_t)~COOP__F_IN_RING;
        coop__task_release(s, t);
    }
    return NULL;
}

void coop__rings_free(coop_sched *s)
{
    for (int p = 0; p < COOP__NPRIO; p++) {
        struct coop__ring *r = &s->rings[p];
        coop__free(s, r->v, (size_t)r->cap * sizeof(*r->v));
        r->v = NULL;
        r->n = r->cap = r->head = 0;
    }
    s->ring_bits[0] = s->ring_bits[1] = 0;
}

int coop__rings_verify(const coop_sched *s)
{
    for (int p = 0; p < COOP__NPRIO; p++) {
        const struct coop__ring *r = &s->rings[p];
        bool bit = (s->ring_bits[p >> 6] >> (p & 63)) & 1;
        coop_assert(bit == (r->n > 0));
        const coop_task *prev = NULL;
        for (uint32_t i = 0; i < r->n; i++) {
            const coop_task *t = r->v[(r->head + i) & (r->cap - 1)];
            coop_assert(t->flags & COOP__F_IN_RING);
            coop_assert(t->where == COOP__READY || t->where == COOP__DEAD);
            if (t->where != COOP__READY)
                continue;
            coop_assert(t->time2run_ns <= s->now_ns);
            if (prev)
                coop_assert(prev->time2run_ns <= t->time2run_ns && prev->seq < t->seq);
            prev = t;
        }
    }
    return 0;
}

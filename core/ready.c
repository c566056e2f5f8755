/* Ready rings: one FIFO per prio for tasks queued at exactly their due time, so they skip the heap. */
#include "ready.h"

/* The head of ring `prio`, after dropping the records of tasks that died while queued. */
coop_task *coop__ring_head_slow(coop_sched *s, int prio)
{
    struct coop__ring *r = &s->rings[prio];
    while (r->head) {
        coop_task *t = r->head;
        if (t->where == COOP__READY)
            return t;
        coop__ring_pop(s, prio);
        t->next = NULL;
        t->flags &= (uint16_t)~COOP__F_IN_RING;
        coop__task_release(s, t);
    }
    return NULL;
}

int coop__rings_verify(const coop_sched *s)
{
    for (int p = 0; p < COOP__NRINGS; p++) {
        const struct coop__ring *r = &s->rings[p];
        bool bit = (s->ring_bits[p >> 6] >> (p & 63)) & 1;
        coop_assert(bit == (r->head != NULL));
        coop_assert((r->head == NULL) == (r->tail == NULL));
        const coop_task *prev = NULL;
        for (const coop_task *t = r->head; t; t = t->next) {
            if (!t->next)
                coop_assert(t == r->tail);
            coop_assert(t->flags & COOP__F_IN_RING);
            coop_assert(!COOP__INDEXED(t));
            coop_assert(t->where == COOP__READY || t->where == COOP__DEAD);
            if (t->where != COOP__READY)
                continue;
            coop_assert(t->time2run_ns <= s->now_ns);
            if (prev)
                coop_assert(prev->time2run_ns <= t->time2run_ns);
            prev = t;
        }
    }
    return 0;
}

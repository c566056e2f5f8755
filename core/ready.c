/* Ready rings: one FIFO per prio for tasks that are already due, so they skip the heap. */
#include "internal.h"

/*
 * A task that is due now and whose time2run is not earlier than its
 * ring's tail can be appended in O(1) without breaking the ring's order.
 * Everything else goes to the heap; the dispatcher takes the smaller of
 * the heap's top and the ring heads, so the total order (time2run, prio,
 * seq) holds exactly whichever structure a task sits in.  A ring's prio
 * is its index: a task whose prio changes keeps its old one until it is
 * queued again.
 */
bool coop__ring_accepts(const coop_sched *s, const coop_task *t)
{
    if (t->time2run_ns > s->now_ns)
        return false;
    const struct coop__ring *r = &s->rings[t->prio];
    if (r->n == 0)
        return true;
    const coop_task *tail = r->v[(r->head + r->n - 1) & (r->cap - 1)];
    return t->time2run_ns >= tail->time2run_ns;
}

static int ring_grow(coop_sched *s, struct coop__ring *r)
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

int coop__ring_push(coop_sched *s, coop_task *t)
{
    struct coop__ring *r = &s->rings[t->prio];
    if (r->n == r->cap) {
        int err = ring_grow(s, r);
        if (err)
            return err;
    }
    r->v[(r->head + r->n++) & (r->cap - 1)] = t;
    s->ring_bits[t->prio >> 6] |= UINT64_C(1) << (t->prio & 63);
    t->flags |= COOP__F_IN_RING;
    return 0;
}

/* The head of ring `prio`, after dropping the records of tasks that died while queued. */
coop_task *coop__ring_head(coop_sched *s, int prio)
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

void coop__ring_pop(coop_sched *s, int prio)
{
    struct coop__ring *r = &s->rings[prio];
    coop_assert(r->n > 0);
    r->head = (r->head + 1) & (r->cap - 1);
    if (--r->n == 0)
        s->ring_bits[prio >> 6] &= ~(UINT64_C(1) << (prio & 63));
}

static int lowest_bit(uint64_t v)
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
int coop__next_prio(const coop_sched *s, int after)
{
    int from = after + 1;
    for (int w = from >> 6; w < 2; w++) {
        uint64_t bits = s->ring_bits[w];
        if (w == from >> 6)
            bits &= ~UINT64_C(0) << (from & 63);
        if (bits)
            return w * 64 + lowest_bit(bits);
    }
    return 0;
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

/* The timer heap: a 4-ary min-heap of tasks keyed by (time2run, prio, seq). */
#include "internal.h"

/*
 * Four children per node halve the depth of a binary heap, and the four
 * keys sit in one or two cache lines, so sift-down touches less memory.
 * Keys are cached in the entries; only moves write back task->heap_idx.
 */
static inline bool entry_less(const struct coop__heap_entry *a, const struct coop__heap_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->ps < b->ps);
}

static inline void place(struct coop__heap *h, uint32_t i, struct coop__heap_entry e)
{
    h->v[i] = e;
    e.task->heap_idx = i;
}

static void sift_up(struct coop__heap *h, uint32_t i, struct coop__heap_entry e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!entry_less(&e, &h->v[parent]))
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    place(h, i, e);
}

static void sift_down(struct coop__heap *h, uint32_t i, struct coop__heap_entry e)
{
    for (;;) {
        uint32_t first = 4 * i + 1;
        if (first >= h->n)
            break;
        uint32_t best = first;
        uint32_t last = first + 4 < h->n ? first + 4 : h->n;
        for (uint32_t c = first + 1; c < last; c++)
            if (entry_less(&h->v[c], &h->v[best]))
                best = c;
        if (!entry_less(&h->v[best], &e))
            break;
        place(h, i, h->v[best]);
        i = best;
    }
    place(h, i, e);
}

int coop__heap_push(coop_sched *s, struct coop__heap *h, coop_task *t)
{
    if (h->n == h->cap) {
        int err = coop__grow(s, (void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v));
        if (err)
            return err;
    }
    struct coop__heap_entry e = { t->time2run_ns, coop__ps(t), t };
    sift_up(h, h->n++, e);
    return 0;
}

void coop__heap_del(struct coop__heap *h, coop_task *t)
{
    uint32_t i = t->heap_idx;
    coop_assert(i < h->n && h->v[i].task == t);
    t->heap_idx = COOP__NO_INDEX;
    struct coop__heap_entry last = h->v[--h->n];
    if (i == h->n)
        return;
    if (i > 0 && entry_less(&last, &h->v[(i - 1) / 4]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

/* Re-keys an entry in place from its task; one sift instead of a delete and an insert. */
void coop__heap_update(struct coop__heap *h, coop_task *t)
{
    uint32_t i = t->heap_idx;
    coop_assert(i < h->n && h->v[i].task == t);
    struct coop__heap_entry e = { t->time2run_ns, coop__ps(t), t };
    if (i > 0 && entry_less(&e, &h->v[(i - 1) / 4]))
        sift_up(h, i, e);
    else
        sift_down(h, i, e);
}

void coop__heap_free(coop_sched *s, struct coop__heap *h)
{
    coop__free(s, h->v, (size_t)h->cap * sizeof(*h->v));
    h->v = NULL;
    h->n = h->cap = 0;
}

int coop__heap_verify(const struct coop__heap *h)
{
    for (uint32_t i = 0; i < h->n; i++) {
        const struct coop__heap_entry *e = &h->v[i];
        coop_assert(e->task->heap_idx == i);
        coop_assert(e->t == e->task->time2run_ns && (e->ps & ((UINT64_C(1) << 56) - 1)) == e->task->seq);
        if (i > 0)
            coop_assert(!entry_less(e, &h->v[(i - 1) / 4]));
    }
    return 0;
}

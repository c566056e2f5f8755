/* The timer heap: a 4-ary min-heap of entries keyed by (time2run, prio << 56 | seq). */
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

/* Sifts an entry whose key changed at slot i, whichever way it must go. */
static void resift(struct coop__heap *h, uint32_t i, struct coop__heap_entry e)
{
    if (i > 0 && entry_less(&e, &h->v[(i - 1) / 4]))
        sift_up(h, i, e);
    else
        sift_down(h, i, e);
}

/* The key is the task's time2run and the given ps; the caller reserved the slot. */
int coop__heap_push(coop_sched *s, struct coop__heap *h, coop_task *t, uint64_t ps)
{
    if (h->n == h->cap) {
        int err = coop__grow(s, (void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v));
        if (err)
            return err;
    }
    struct coop__heap_entry e = { t->time2run_ns, ps, t };
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
    resift(h, i, last);
}

/* Re-keys an entry in place from its task; one sift instead of a delete and an insert. */
void coop__heap_update(struct coop__heap *h, coop_task *t, uint64_t ps)
{
    uint32_t i = t->heap_idx;
    coop_assert(i < h->n && h->v[i].task == t);
    struct coop__heap_entry e = { t->time2run_ns, ps, t };
    resift(h, i, e);
}

void coop__heap_free(coop_sched *s, struct coop__heap *h)
{
    coop__free(s, h->v, (size_t)h->cap * sizeof(*h->v));
    h->v = NULL;
    h->n = h->cap = 0;
}

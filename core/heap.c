/* The timer heap: a 4-ary min-heap of entries keyed by (time2run, prio << 56 | seq << 1 | indexed). */
#include "internal.h"

/* A build without heap keys queues timers in a list instead (queue.c). */
#if COOP_CONFIG_HEAP_KEYS

/*
 * Four children per node halve the depth of a binary heap, and the four
 * keys sit in one or two cache lines, so sift-down touches less memory.
 * Keys are cached in the entries, so sifting reads no task, and only an
 * indexed entry's moves write back its task's heap_idx: the others never
 * touch a task record at all, which is most of the cost in a big heap.
 */
static inline bool entry_less(const struct coop__heap_entry *a, const struct coop__heap_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->ps < b->ps);
}

static inline void place(struct coop__heap_entry *v, uint32_t i, struct coop__heap_entry e)
{
    v[i] = e;
    if (e.ps & COOP__PS_INDEXED)
        e.task->heap_idx = i;
}

static inline void prefetch(const void *p)
{
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}

/*
 * The smallest of the children of node i (there is at least one); its
 * own children are fetched meanwhile.  Times almost never tie outside
 * chains, so the choice among four compares times alone, with
 * conditional moves, and falls back to the full key only on a tie.
 */
static inline uint32_t min_child(const struct coop__heap_entry *v, uint32_t n, uint32_t i)
{
    uint32_t first = 4 * i + 1, best = first;
    if (first + 4 <= n) {
        uint64_t t0 = v[first].t, t1 = v[first + 1].t, t2 = v[first + 2].t, t3 = v[first + 3].t;
        uint32_t a = t1 < t0 ? first + 1 : first, b = t3 < t2 ? first + 3 : first + 2;
        uint64_t ta = t1 < t0 ? t1 : t0, tb = t3 < t2 ? t3 : t2;
        best = tb < ta ? b : a;
        if ((t0 == t1) | (t2 == t3) | (ta == tb)) {
            a = entry_less(&v[first + 1], &v[first]) ? first + 1 : first;
            b = entry_less(&v[first + 3], &v[first + 2]) ? first + 3 : first + 2;
            best = entry_less(&v[b], &v[a]) ? b : a;
        }
    } else {
        for (uint32_t c = first + 1; c < n; c++)
            if (entry_less(&v[c], &v[best]))
                best = c;
    }
    if (4 * best + 1 < n)
        prefetch(&v[4 * best + 1]);
    return best;
}

static void sift_up(struct coop__heap_entry *v, uint32_t i, struct coop__heap_entry e)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 4;
        if (!entry_less(&e, &v[parent]))
            break;
        place(v, i, v[parent]);
        i = parent;
    }
    place(v, i, e);
}

static void sift_down(struct coop__heap_entry *v, uint32_t n, uint32_t i, struct coop__heap_entry e)
{
    while (4 * i + 1 < n) {
        uint32_t best = min_child(v, n, i);
        if (!entry_less(&v[best], &e))
            break;
        place(v, i, v[best]);
        i = best;
    }
    place(v, i, e);
}

/* Sifts an entry whose key changed at slot i, whichever way it must go. */
static void resift(struct coop__heap *h, uint32_t i, struct coop__heap_entry e)
{
    if (i > 0 && entry_less(&e, &h->v[(i - 1) / 4]))
        sift_up(h->v, i, e);
    else
        sift_down(h->v, h->n, i, e);
}

/* The key is the task's time2run and the given ps; coop__task_join reserved a slot for every live task. */
void coop__heap_push(struct coop__heap *h, coop_task *t, uint64_t ps)
{
    coop_assert(h->n < h->cap);
    struct coop__heap_entry e = { t->time2run_ns, ps, t };
    sift_up(h->v, h->n++, e);
}

static void remove_at(struct coop__heap *h, uint32_t i)
{
    struct coop__heap_entry last = h->v[--h->n];
    if (i < h->n)
        resift(h, i, last);
}

/* Removes an indexed entry. */
void coop__heap_del(struct coop__heap *h, coop_task *t)
{
    uint32_t i = t->heap_idx;
    coop_assert(i < h->n && h->v[i].task == t && (h->v[i].ps & COOP__PS_INDEXED));
    t->heap_idx = COOP__NO_INDEX;
    remove_at(h, i);
}

/* Removes the top, a dead timer's entry (indexed entries leave by coop__heap_del). */
void coop__heap_pop_top(struct coop__heap *h)
{
    coop_assert(h->n > 0 && !(h->v[0].ps & COOP__PS_INDEXED));
    remove_at(h, 0);
}

/* Re-keys an indexed entry in place from its task; one sift instead of a delete and an insert. */
void coop__heap_update(struct coop__heap *h, coop_task *t, uint64_t ps)
{
    uint32_t i = t->heap_idx;
    coop_assert(i < h->n && h->v[i].task == t && (h->v[i].ps & COOP__PS_INDEXED));
    if (!(ps & COOP__PS_INDEXED))
        t->heap_idx = COOP__NO_INDEX;
    struct coop__heap_entry e = { t->time2run_ns, ps, t };
    resift(h, i, e);
}

/* Makes the entry at the top indexed, so that it can be found wherever it moves. */
void coop__heap_index_top(struct coop__heap *h)
{
    h->v[0].ps |= COOP__PS_INDEXED;
    h->v[0].task->heap_idx = 0;
}

/* Restores the heap order after entries were edited or dropped in place (Floyd's construction). */
void coop__heap_rebuild(struct coop__heap *h)
{
    for (uint32_t i = h->n / 4 + 1; i-- > 0;)
        if (i < h->n)
            sift_down(h->v, h->n, i, h->v[i]);
    for (uint32_t i = 0; i < h->n; i++)
        if (h->v[i].ps & COOP__PS_INDEXED)
            h->v[i].task->heap_idx = i;
}

void coop__heap_free(coop_sched *s, struct coop__heap *h)
{
    coop__free(s, h->v, (size_t)h->cap * sizeof(*h->v));
    h->v = NULL;
    h->n = h->cap = 0;
}
#endif

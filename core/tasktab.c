/* The task table: live tasks by tid, in tid order, for lookups and GetTaskDict. */
#include "internal.h"

/*
 * tids only grow, so appending keeps the table sorted and a lookup is a
 * binary search (or one probe, while no task has ended since the
 * table's first slot).  An ended task's slot keeps its tid, tagged in
 * the low bit, so the search never reads a freed record; tagged slots
 * are compacted away once they outnumber the live ones, which keeps
 * removal O(1) amortised and iteration in tid order deterministic.
 */
static inline bool slot_live(uintptr_t v) { return !(v & 1); }

static inline uint32_t slot_tid(uintptr_t v)
{
    return slot_live(v) ? ((const coop_task *)v)->tid : (uint32_t)(v >> 1);
}

uint32_t coop__tab_tid(const coop_sched *s, uint32_t i) { return slot_tid(s->tab.v[i]); }

coop_task *coop__tab_task(const coop_sched *s, uint32_t i)
{
    uintptr_t v = s->tab.v[i];
    return slot_live(v) ? (coop_task *)v : NULL;
}

int coop__tab_add(coop_sched *s, coop_task *t)
{
    struct coop__tasktab *tab = &s->tab;
    coop_assert(tab->n == 0 || slot_tid(tab->v[tab->n - 1]) < t->tid);
    coop_assert(((uintptr_t)t & 1) == 0);
    if (tab->n == tab->cap) {
        int err = coop__grow(s, (void **)&tab->v, &tab->cap, tab->n + 1, sizeof(*tab->v));
        if (err)
            return err;
    }
    tab->v[tab->n++] = (uintptr_t)t;
    tab->live++;
    return 0;
}

/* The first slot whose tid is >= tid. */
uint32_t coop__tab_lower(const coop_sched *s, uint32_t tid)
{
    const struct coop__tasktab *tab = &s->tab;
    if (tab->n == 0)
        return 0;
    uint32_t first = slot_tid(tab->v[0]);
    if (tid <= first)
        return 0;
    /* Without ended tasks in between, tid sits at its offset from the first. */
    if (tid - first < tab->n && slot_tid(tab->v[tid - first]) == tid)
        return tid - first;
    uint32_t lo = 0, hi = tab->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (slot_tid(tab->v[mid]) < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

coop_task *coop__tab_find(const coop_sched *s, uint32_t tid)
{
    uint32_t i = coop__tab_lower(s, tid);
    if (i < s->tab.n && slot_tid(s->tab.v[i]) == tid)
        return coop__tab_task(s, i);
    return NULL;
}

static void compact(struct coop__tasktab *tab)
{
    uint32_t w = 0;
    for (uint32_t r = 0; r < tab->n; r++)
        if (slot_live(tab->v[r]))
            tab->v[w++] = tab->v[r];
    tab->n = w;
}

void coop__tab_del(coop_sched *s, coop_task *t)
{
    struct coop__tasktab *tab = &s->tab;
    uint32_t i = coop__tab_lower(s, t->tid);
    coop_assert(i < tab->n && tab->v[i] == (uintptr_t)t);
    tab->v[i] = (uintptr_t)t->tid << 1 | 1;
    tab->live--;
    if (tab->n - tab->live > tab->live && tab->n > 16)
        compact(tab);
}

void coop__tab_free(coop_sched *s)
{
    coop__free(s, s->tab.v, (size_t)s->tab.cap * sizeof(*s->tab.v));
    s->tab.v = NULL;
    s->tab.n = s->tab.cap = s->tab.live = 0;
}

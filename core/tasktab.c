/* The task table: live tasks by tid, in tid order, for lookups and GetTaskDict. */
#include "internal.h"

/*
 * tids only grow, so appending keeps the table sorted and a lookup is a
 * binary search.  An ended task leaves a NULL slot behind; the slots are
 * compacted once they outnumber the live tasks, which keeps removal O(1)
 * amortised and iteration in tid order deterministic.
 */
int coop__tab_add(coop_sched *s, coop_task *t)
{
    struct coop__tasktab *tab = &s->tab;
    coop_assert(tab->n == 0 || tab->v[tab->n - 1].tid < t->tid);
    if (tab->n == tab->cap) {
        int err = coop__grow(s, (void **)&tab->v, &tab->cap, tab->n + 1, sizeof(*tab->v));
        if (err)
            return err;
    }
    tab->v[tab->n].tid = t->tid;
    tab->v[tab->n].task = t;
    tab->n++;
    tab->live++;
    return 0;
}

/* The first slot whose tid is >= tid. */
uint32_t coop__tab_lower(const coop_sched *s, uint32_t tid)
{
    uint32_t lo = 0, hi = s->tab.n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->tab.v[mid].tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

coop_task *coop__tab_find(const coop_sched *s, uint32_t tid)
{
    uint32_t i = coop__tab_lower(s, tid);
    if (i < s->tab.n && s->tab.v[i].tid == tid)
        return s->tab.v[i].task;
    return NULL;
}

static void compact(struct coop__tasktab *tab)
{
    uint32_t w = 0;
    for (uint32_t r = 0; r < tab->n; r++)
        if (tab->v[r].task)
            tab->v[w++] = tab->v[r];
    tab->n = w;
}

void coop__tab_del(coop_sched *s, coop_task *t)
{
    struct coop__tasktab *tab = &s->tab;
    uint32_t i = coop__tab_lower(s, t->tid);
    coop_assert(i < tab->n && tab->v[i].task == t);
    tab->v[i].task = NULL;
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

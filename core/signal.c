/* Signals: interned names, waiter lists in registration order, and delivery. */
#include <string.h>

#include "internal.h"

/* FNV-1a: fixed, so bucket placement never varies between runs or builds. */
static uint32_t hash_name(const char *name, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 16777619u;
    }
    return h;
}

static size_t signal_size(size_t len) { return sizeof(struct coop__signal) + len + 1; }

struct coop__signal *coop__signal_find(const coop_sched *s, const char *name)
{
    if (!s->sigcap)
        return NULL;
    size_t len = strlen(name);
    uint32_t h = hash_name(name, len);
    for (struct coop__signal *g = s->sigtab[h & (s->sigcap - 1)]; g; g = g->chain)
        if (g->hash == h && g->len == len && memcmp(g->name, name, len) == 0)
            return g;
    return NULL;
}

static int rehash(coop_sched *s)
{
    uint32_t cap = s->sigcap ? s->sigcap * 2 : 16;
    struct coop__signal **tab = coop__alloc(s, (size_t)cap * sizeof(*tab));
    if (!tab)
        return -COOP_ENOMEM;
    memset(tab, 0, (size_t)cap * sizeof(*tab));
    for (uint32_t b = 0; b < s->sigcap; b++) {
        struct coop__signal *g = s->sigtab[b];
        while (g) {
            struct coop__signal *next = g->chain;
            g->chain = tab[g->hash & (cap - 1)];
            tab[g->hash & (cap - 1)] = g;
            g = next;
        }
    }
    coop__free(s, s->sigtab, (size_t)s->sigcap * sizeof(*s->sigtab));
    s->sigtab = tab;
    s->sigcap = cap;
    return 0;
}

static unsigned cache_slot(const char *name) { return (unsigned)(((uintptr_t)name >> 3) & 7u); }

struct coop__signal *coop__signal_intern(coop_sched *s, const char *name)
{
    if (!name)
        return NULL;
    unsigned slot = cache_slot(name);
    if (s->sigcache[slot].ptr == name && strcmp(s->sigcache[slot].sig->name, name) == 0)
        return s->sigcache[slot].sig;
    struct coop__signal *g = coop__signal_find(s, name);
    if (g) {
        s->sigcache[slot].ptr = name;
        s->sigcache[slot].sig = g;
        return g;
    }
    if (s->nsig + 1 > s->sigcap / 4 * 3 && rehash(s))
        return NULL;
    size_t len = strlen(name);
    g = coop__alloc(s, signal_size(len));
    if (!g)
        return NULL;
    g->hash = hash_name(name, len);
    g->len = (uint32_t)len;
    g->head = g->tail = NULL;
    memcpy(g->name, name, len + 1);
    g->chain = s->sigtab[g->hash & (s->sigcap - 1)];
    s->sigtab[g->hash & (s->sigcap - 1)] = g;
    s->nsig++;
    return g;
}

/* Links the task at the tail of each signal's waiter list; duplicates count once. */
int coop__signal_register(coop_sched *s, coop_task *t, struct coop__signal *const *sigs, uint32_t n)
{
    struct coop__calls *c = t->calls;
    coop_assert(c->nregs == 0 && n <= COOP_MAX_WAIT_SIGNALS);
    if (n > c->regcap) {
        struct coop__sigreg *regs = coop__alloc(s, (size_t)n * sizeof(*regs));
        if (!regs)
            return -COOP_ENOMEM;
        coop__free(s, c->regs, (size_t)c->regcap * sizeof(*c->regs));
        c->regs = regs;
        c->regcap = (uint8_t)n;
    }
    for (uint32_t i = 0; i < n; i++) {
        bool dup = false;
        for (uint32_t j = 0; j < c->nregs; j++)
            dup |= c->regs[j].sig == sigs[i];
        if (dup)
            continue;
        struct coop__sigreg *r = &c->regs[c->nregs++];
        r->sig = sigs[i];
        r->task = t;
        r->next = NULL;
        r->prev = sigs[i]->tail;
        if (r->prev)
            r->prev->next = r;
        else
            sigs[i]->head = r;
        sigs[i]->tail = r;
    }
    return 0;
}

/* Removes every registration of the task, so no stale one can wake it later. */
void coop__signal_unregister(coop_task *t)
{
    struct coop__calls *c = t->calls;
    if (!c)
        return;
    for (uint32_t i = 0; i < c->nregs; i++) {
        struct coop__sigreg *r = &c->regs[i];
        if (r->prev)
            r->prev->next = r->next;
        else
            r->sig->head = r->next;
        if (r->next)
            r->next->prev = r->prev;
        else
            r->sig->tail = r->prev;
    }
    c->nregs = 0;
}

/*
 * Wakes the waiters in registration order.  Waking a task removes all of
 * its registrations, including the list head, so the loop always takes
 * the current head.  No task code runs here, so nobody can register
 * meanwhile and the loop ends.
 */
int coop__signal_send(coop_sched *s, struct coop__signal *sig, int64_t value)
{
    int woken = 0;
    while (sig->head) {
        coop_task *t = sig->head->task;
        t->calls->res = (coop_call_result){ 0, value, sig->name };
        coop__make_ready(s, t, COOP_WAKE_SIGNAL, sig, -1);
        woken++;
    }
    return woken;
}

void coop__signals_free(coop_sched *s)
{
    for (uint32_t b = 0; b < s->sigcap; b++) {
        struct coop__signal *g = s->sigtab[b];
        while (g) {
            struct coop__signal *next = g->chain;
            coop__free(s, g, signal_size(g->len));
            g = next;
        }
    }
    coop__free(s, s->sigtab, (size_t)s->sigcap * sizeof(*s->sigtab));
    s->sigtab = NULL;
    s->sigcap = s->nsig = 0;
}

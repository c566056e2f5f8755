/* Signals: interned names, waiter lists in registration order, and delivery. */
#include <string.h>

#include "internal.h"

static size_t signal_size(size_t len) { return sizeof(struct coop__signal) + len + 1; }

struct coop__signal *coop__signal_find(const coop_sched *s, const char *name)
{
    size_t len = strlen(name);
    uint32_t h = coop__hash_bytes(name, len);
    for (struct coop__hnode *e = coop__htab_bucket(&s->signals, h); e; e = e->chain) {
        struct coop__signal *g = (struct coop__signal *)e;
        if (e->hash == h && g->len == len && memcmp(g->name, name, len) == 0)
            return g;
    }
    return NULL;
}

#if COOP_CONFIG_SIGNAL_CACHE < 1 || COOP_CONFIG_SIGNAL_CACHE > 64 || \
    (COOP_CONFIG_SIGNAL_CACHE & (COOP_CONFIG_SIGNAL_CACHE - 1))
#error "COOP_CONFIG_SIGNAL_CACHE must be a power of two from 1 to 64"
#endif
static unsigned cache_slot(const char *name)
{
    return (unsigned)(((uintptr_t)name >> 3) & (COOP_CONFIG_SIGNAL_CACHE - 1u));
}

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
    if (coop__htab_reserve(s, &s->signals))
        return NULL;
    size_t len = strlen(name);
    g = coop__alloc(s, signal_size(len));
    if (!g)
        return NULL;
    g->node.hash = coop__hash_bytes(name, len);
    g->len = (uint32_t)len;
    g->head = g->tail = NULL;
    memcpy(g->name, name, len + 1);
    coop__htab_insert(&s->signals, &g->node);
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

static void free_signal(void *ctx, struct coop__hnode *e)
{
    coop_sched *s = ctx;
    coop__free(s, e, signal_size(((struct coop__signal *)e)->len));
}

void coop__signals_free(coop_sched *s)
{
    coop__htab_each(&s->signals, free_signal, s);
    coop__htab_free(s, &s->signals);
}

/* Task kinds (the step function, period and state size that tasks share) and the per-task call record. */
#include <string.h>

#include "internal.h"

/*
 * FNV-1a over the bytes of the step function's address, the period and
 * the state size.  The hash picks a bucket only: kinds are never
 * iterated for anything a task can observe, so addresses cannot leak
 * into any order.
 */
static uint32_t kind_hash(coop_step_fn step, int64_t period_ns, size_t state_size)
{
    unsigned char bytes[sizeof(step) + sizeof(period_ns) + sizeof(state_size)];
    memcpy(bytes, &step, sizeof(step));
    memcpy(bytes + sizeof(step), &period_ns, sizeof(period_ns));
    memcpy(bytes + sizeof(step) + sizeof(period_ns), &state_size, sizeof(state_size));
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof(bytes); i++) {
        h ^= bytes[i];
        h *= 16777619u;
    }
    return h;
}

static int rehash(coop_sched *s)
{
    uint32_t cap = s->kindcap ? s->kindcap * 2 : 8;
    struct coop__kind **tab = coop__alloc(s, (size_t)cap * sizeof(*tab));
    if (!tab)
        return -COOP_ENOMEM;
    memset(tab, 0, (size_t)cap * sizeof(*tab));
    for (uint32_t b = 0; b < s->kindcap; b++) {
        struct coop__kind *k = s->kinds[b];
        while (k) {
            struct coop__kind *next = k->chain;
            k->chain = tab[k->hash & (cap - 1)];
            tab[k->hash & (cap - 1)] = k;
            k = next;
        }
    }
    coop__free(s, s->kinds, (size_t)s->kindcap * sizeof(*s->kinds));
    s->kinds = tab;
    s->kindcap = cap;
    return 0;
}

/* The kind for these values, with one more reference; NULL when out of memory. */
struct coop__kind *coop__kind_get(coop_sched *s, coop_step_fn step, int64_t period_ns, size_t state_size)
{
    uint32_t h = kind_hash(step, period_ns, state_size);
    if (s->kindcap) {
        for (struct coop__kind *k = s->kinds[h & (s->kindcap - 1)]; k; k = k->chain) {
            if (k->hash == h && k->step == step && k->period_ns == period_ns && k->state_size == state_size) {
                k->refs++;
                return k;
            }
        }
    }
    if (s->nkinds + 1 > s->kindcap && rehash(s))
        return NULL;
    struct coop__kind *k = coop__block_alloc(s, sizeof(*k));
    if (!k)
        return NULL;
    *k = (struct coop__kind){
        .step = step, .period_ns = period_ns, .sched = s, .state_size = state_size, .hash = h, .refs = 1
    };
    k->chain = s->kinds[h & (s->kindcap - 1)];
    s->kinds[h & (s->kindcap - 1)] = k;
    s->nkinds++;
    return k;
}

void coop__kind_put(coop_sched *s, struct coop__kind *k)
{
    coop_assert(k->refs > 0);
    if (--k->refs)
        return;
    struct coop__kind **pp = &s->kinds[k->hash & (s->kindcap - 1)];
    while (*pp != k)
        pp = &(*pp)->chain;
    *pp = k->chain;
    s->nkinds--;
    coop__block_free(s, k, sizeof(*k));
}

/* Frees the table; kinds still referenced by detached tasks go with the blocks. */
void coop__kinds_free(coop_sched *s)
{
    coop__free(s, s->kinds, (size_t)s->kindcap * sizeof(*s->kinds));
    s->kinds = NULL;
    s->kindcap = 0;
}

/* The task's call record, allocated (zeroed) on first use; NULL when out of memory. */
struct coop__calls *coop__calls_of(coop_task *t)
{
    if (t->calls)
        return t->calls;
    struct coop__calls *c = coop__block_alloc(coop__sched_of(t), sizeof(*c));
    if (!c)
        return NULL;
    memset(c, 0, sizeof(*c));
    t->calls = c;
    return c;
}

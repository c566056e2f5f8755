/* Task kinds (the step function, period and state size that tasks share) and the per-task call record. */
#include <string.h>

#include "internal.h"

/*
 * The hash of the bytes of the step function's address, the period and
 * the state size.  It picks a bucket only: kinds are never iterated for
 * anything a task can observe, so addresses cannot leak into any order.
 */
static uint32_t kind_hash(coop_step_fn step, int64_t period_ns, size_t state_size)
{
    unsigned char bytes[sizeof(step) + sizeof(period_ns) + sizeof(state_size)];
    memcpy(bytes, &step, sizeof(step));
    memcpy(bytes + sizeof(step), &period_ns, sizeof(period_ns));
    memcpy(bytes + sizeof(step) + sizeof(period_ns), &state_size, sizeof(state_size));
    return coop__hash_bytes(bytes, sizeof(bytes));
}

/* The kind for these values, with one more reference; NULL when out of memory. */
struct coop__kind *coop__kind_get(coop_sched *s, coop_step_fn step, int64_t period_ns, size_t state_size)
{
    uint32_t h = kind_hash(step, period_ns, state_size);
    for (struct coop__hnode *e = coop__htab_bucket(&s->kinds, h); e; e = e->chain) {
        struct coop__kind *k = (struct coop__kind *)e;
        if (e->hash == h && k->step == step && k->period_ns == period_ns && k->state_size == state_size) {
            k->refs++;
            return k;
        }
    }
    if (coop__htab_reserve(s, &s->kinds))
        return NULL;
    struct coop__kind *k = coop__block_alloc(s, sizeof(*k));
    if (!k)
        return NULL;
    *k = (struct coop__kind){ .node = { NULL, h },
                              .step = step,
                              .period_ns = period_ns,
                              .sched = s,
                              .state_size = state_size,
                              .refs = 1 };
    coop__htab_insert(&s->kinds, &k->node);
    return k;
}

void coop__kind_put(coop_sched *s, struct coop__kind *k)
{
    coop_assert(k->refs > 0);
    if (--k->refs)
        return;
    coop__htab_remove(&s->kinds, &k->node);
    coop__block_free(s, k, sizeof(*k));
}

/* Frees the table; kinds still referenced by detached tasks go with the blocks. */
void coop__kinds_free(coop_sched *s) { coop__htab_free(s, &s->kinds); }

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

/* The plain-C floor's ready queue: a 4-ary min-heap on (time, prio, seq), shared by the baseline programs. */
#ifndef COOP_BENCH_BASE_HEAP_H
#define COOP_BENCH_BASE_HEAP_H

#include <stdint.h>

/* An entry carries its key, so that sifting never touches the task it points to. */
struct base_entry {
    uint64_t t;  /* due time in ns */
    uint64_t ps; /* prio << 56 | seq */
    void *task;
};

static inline int base_entry_less(const struct base_entry *a, const struct base_entry *b)
{
    return a->t < b->t || (a->t == b->t && a->ps < b->ps);
}

/* Moves v[i] down the heap of n entries until its children are all larger. */
static inline void base_sift_down(struct base_entry *v, uint64_t n, uint64_t i)
{
    struct base_entry e = v[i];
    for (;;) {
        uint64_t c = 4 * i + 1;
        if (c >= n)
            break;
        uint64_t best = c;
        uint64_t end = c + 4 < n ? c + 4 : n;
        for (uint64_t j = c + 1; j < end; j++)
            if (base_entry_less(&v[j], &v[best]))
                best = j;
        if (!base_entry_less(&v[best], &e))
            break;
        v[i] = v[best];
        i = best;
    }
    v[i] = e;
}

#endif

/* A chained hash table of intrusive nodes, for interned signals and task kinds. */
#include <string.h>

#include "internal.h"

/*
 * The caller hashes and compares; the table only files nodes by their
 * hash.  Nothing that a task can observe ever walks a table in bucket
 * order, so a hash (even one of an address) never leaks into any order.
 */

/* FNV-1a: fixed, so a key's bucket never varies between runs or builds. */
uint32_t coop__hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

#if COOP_CONFIG_HASH_TABLES
struct coop__hnode *coop__htab_bucket(const struct coop__htab *h, uint32_t hash)
{
    return h->cap ? h->v[hash & (h->cap - 1)] : NULL;
}

/* Makes room for one more node, doubling the buckets past a load of 3/4. */
int coop__htab_reserve(coop_sched *s, struct coop__htab *h)
{
    if (h->n + 1 <= h->cap / 4 * 3)
        return 0;
    uint32_t cap = h->cap ? h->cap * 2 : 16;
    struct coop__hnode **v = coop__alloc(s, (size_t)cap * sizeof(*v));
    if (!v)
        return -COOP_ENOMEM;
    memset(v, 0, (size_t)cap * sizeof(*v));
    for (uint32_t b = 0; b < h->cap; b++) {
        struct coop__hnode *e = h->v[b];
        while (e) {
            struct coop__hnode *next = e->chain;
            e->chain = v[e->hash & (cap - 1)];
            v[e->hash & (cap - 1)] = e;
            e = next;
        }
    }
    coop__free(s, h->v, (size_t)h->cap * sizeof(*h->v));
    h->v = v;
    h->cap = cap;
    return 0;
}

/* Files a node; coop__htab_reserve made room for it. */
void coop__htab_insert(struct coop__htab *h, struct coop__hnode *e)
{
    coop_assert(h->n < h->cap);
    struct coop__hnode **b = &h->v[e->hash & (h->cap - 1)];
    e->chain = *b;
    *b = e;
    h->n++;
}

void coop__htab_remove(struct coop__htab *h, struct coop__hnode *e)
{
    struct coop__hnode **pp = &h->v[e->hash & (h->cap - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    h->n--;
}

/* Visits every node (in bucket order: for freeing and checking only); the visitor may free the node. */
void coop__htab_each(const struct coop__htab *h, void (*fn)(void *ctx, struct coop__hnode *e), void *ctx)
{
    for (uint32_t b = 0; b < h->cap; b++) {
        struct coop__hnode *e = h->v[b];
        while (e) {
            struct coop__hnode *next = e->chain;
            fn(ctx, e);
            e = next;
        }
    }
}

void coop__htab_free(coop_sched *s, struct coop__htab *h)
{
    coop__free(s, h->v, (size_t)h->cap * sizeof(*h->v));
    *h = (struct coop__htab){ 0 };
}
#else

struct coop__hnode *coop__htab_bucket(const struct coop__htab *h, uint32_t hash)
{
    (void)hash;
    return h->head;
}

/* A list never needs room. */
int coop__htab_reserve(coop_sched *s, struct coop__htab *h)
{
    (void)s;
    (void)h;
    return 0;
}

void coop__htab_insert(struct coop__htab *h, struct coop__hnode *e)
{
    e->chain = h->head;
    h->head = e;
    h->n++;
}

void coop__htab_remove(struct coop__htab *h, struct coop__hnode *e)
{
    struct coop__hnode **pp = &h->head;
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    h->n--;
}

/* Visits every node (for freeing and checking only); the visitor may free the node. */
void coop__htab_each(const struct coop__htab *h, void (*fn)(void *ctx, struct coop__hnode *e), void *ctx)
{
    for (struct coop__hnode *e = h->head, *next; e; e = next) {
        next = e->chain;
        fn(ctx, e);
    }
}

void coop__htab_free(coop_sched *s, struct coop__htab *h)
{
    (void)s;
    *h = (struct coop__htab){ 0 };
}
#endif

/* The simulator's one priority queue: a binary min-heap of (t, seq) keys with a small payload. */
#ifndef COOP_SIM_BASE_HEAP_H
#define COOP_SIM_BASE_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/alloc.h"

/*
 * An entry.  The key is (t, seq): t is a virtual time and seq a counter
 * that its owner increments at every insertion, so entries with equal t
 * leave in insertion order and the order is total.  id and aux are the
 * owner's: an index into its own table, never an address, so nothing
 * about the order can depend on where memory happens to be.
 */
struct heap_ent {
    uint64_t t;
    uint64_t seq;
    uint32_t id;
    uint32_t aux;
};

/*
 * Called whenever an entry lands at a new position, so an owner that
 * must update or remove entries in place can remember where each one is.
 * NULL when nobody needs to know.
 */
typedef void (*heap_moved_fn)(void *ctx, const struct heap_ent *e, uint32_t pos);

/* v[0..n) is a min-heap on (t, seq); cap entries are allocated. */
struct heap {
    struct heap_ent *v;
    size_t n, cap;
    coop_allocator alloc;
    heap_moved_fn moved;
    void *ctx;
};

void heap_init(struct heap *h, coop_allocator alloc, heap_moved_fn moved, void *ctx);
void heap_fini(struct heap *h);
/* Makes room for `need` entries in all, so that pushes up to that many cannot fail; 0 or -COOP_ENOMEM. */
int heap_reserve(struct heap *h, size_t need);
/* Inserts e; the room must have been reserved. */
void heap_push(struct heap *h, struct heap_ent e);
/* The smallest entry, or NULL when the heap is empty. */
static inline const struct heap_ent *heap_top(const struct heap *h) { return h->n ? &h->v[0] : NULL; }
/* Removes the entry at pos (the top is pos 0) and returns it. */
struct heap_ent heap_remove(struct heap *h, size_t pos);
/* Replaces the entry at pos and restores the order around it, whichever way it has to move. */
void heap_replace(struct heap *h, size_t pos, struct heap_ent e);
/* Whether v[0..n) is ordered; for verifiers. */
bool heap_ordered(const struct heap *h);

static inline bool heap_less(const struct heap_ent *a, const struct heap_ent *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

#endif

/* A binary min-heap of (t, seq) keys: the delivery queue of the network and the event queue of the simulator. */
#include "base/heap.h"

#include "base/assert.h"
#include "base/grow.h"

void heap_init(struct heap *h, coop_allocator alloc, heap_moved_fn moved, void *ctx)
{
    *h = (struct heap){ .alloc = alloc, .moved = moved, .ctx = ctx };
}

void heap_fini(struct heap *h)
{
    grow_free(h->alloc, h->v, h->cap * sizeof(*h->v));
    h->v = NULL;
    h->n = h->cap = 0;
}

int heap_reserve(struct heap *h, size_t need)
{
    return grow(h->alloc, (void **)&h->v, &h->cap, need, sizeof(*h->v), 16);
}

static void place(struct heap *h, size_t i, struct heap_ent e)
{
    h->v[i] = e;
    if (h->moved)
        h->moved(h->ctx, &h->v[i], (uint32_t)i);
}

/* Puts e at hole i, moving it up or down until the order holds. */
static void sift(struct heap *h, size_t i, struct heap_ent e)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(&e, &h->v[parent]))
            break;
        place(h, i, h->v[parent]);
        i = parent;
    }
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->n)
            break;
        if (child + 1 < h->n && heap_less(&h->v[child + 1], &h->v[child]))
            child++;
        if (!heap_less(&h->v[child], &e))
            break;
        place(h, i, h->v[child]);
        i = child;
    }
    place(h, i, e);
}

void heap_push(struct heap *h, struct heap_ent e)
{
    sim_assert(h->n < h->cap);
    sift(h, h->n++, e);
}

struct heap_ent heap_remove(struct heap *h, size_t pos)
{
    sim_assert(pos < h->n);
    struct heap_ent out = h->v[pos];
    struct heap_ent last = h->v[--h->n];
    if (pos < h->n)
        sift(h, pos, last);
    return out;
}

void heap_replace(struct heap *h, size_t pos, struct heap_ent e)
{
    sim_assert(pos < h->n);
    sift(h, pos, e);
}

bool heap_ordered(const struct heap *h)
{
    for (size_t i = 1; i < h->n; i++)
        if (heap_less(&h->v[i], &h->v[(i - 1) / 2]))
            return false;
    return true;
}

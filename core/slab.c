/* Task blocks: equal slots carved from chunks, so a task, a kind or a call record costs no allocator header. */
#include <string.h>

#include "internal.h"

/*
 * A block of at most COOP__SLAB_MAX bytes comes from the class of its
 * size (a multiple of 8): a freed block of that class, else the next
 * unused slot of the class's newest chunk, else a new chunk.  Chunks
 * double from 8 slots up to about 64 KiB, so a scheduler with three tasks
 * stays small and one with a million makes a few hundred allocations.
 * A class keeps its chunks while any of its blocks is live; trimming (at
 * each collection, see coop_enable_gc, and when the scheduler is freed)
 * returns the chunks of classes that have none.  Addresses never
 * influence any order.
 *
 * Under AddressSanitizer a freed block is poisoned until it is handed
 * out again, so a use after free inside a chunk is still reported.
 */
struct coop__chunk {
    struct coop__chunk *next;
    size_t bytes; /* the whole allocation, header included */
    unsigned char blocks[];
};
_Static_assert(offsetof(struct coop__chunk, blocks) % COOP__ALIGN == 0,
               "chunk slots must stay aligned for any state");

#define CHUNK_FIRST_BLOCKS 8u
#define CHUNK_MAX_BYTES 65536u

#if defined(__SANITIZE_ADDRESS__)
#define COOP__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COOP__ASAN 1
#endif
#endif

#ifdef COOP__ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define POISON(p, n) __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/*
 * A task block: the record, the state (see coop__state_span), then a
 * name.  Its size keeps the next slot of its class aligned as its own
 * state is: a class whose size is not a multiple of 16 only ever holds
 * blocks with less than 16 bytes of state.
 */
size_t coop__block_size(size_t state_size, size_t name_bytes)
{
    size_t align = state_size >= 16 ? COOP__ALIGN : 8;
    size_t n = COOP__RECORD_SIZE + coop__state_span(state_size) + name_bytes;
    return (n + align - 1) & ~(align - 1);
}

static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

#if COOP__SLAB_MAX == 0
/* Without slabs every block comes from the allocator, so none of the machinery below is built. */
void *coop__block_alloc(coop_sched *s, size_t size) { return coop__alloc(s, round8(size)); }

void coop__block_free(coop_sched *s, void *p, size_t size)
{
    if (p)
        coop__free(s, p, round8(size));
}

void coop__blocks_trim(coop_sched *s, bool all)
{
    (void)s;
    (void)all;
}
#else

static int new_chunk(coop_sched *s, struct coop__slab_class *c, size_t size)
{
    uint32_t blocks = c->next_blocks ? c->next_blocks : CHUNK_FIRST_BLOCKS;
    size_t bytes = offsetof(struct coop__chunk, blocks) + (size_t)blocks * size;
    struct coop__chunk *k = coop__alloc(s, bytes);
    if (!k)
        return -COOP_ENOMEM;
    k->next = c->chunks;
    k->bytes = bytes;
    c->chunks = k;
    c->bump = k->blocks;
    c->end = k->blocks + (size_t)blocks * size;
    POISON(k->blocks, (size_t)blocks * size);
    if ((size_t)blocks * 2 * size <= CHUNK_MAX_BYTES)
        c->next_blocks = blocks * 2;
    else
        c->next_blocks = blocks;
    return 0;
}

void *coop__block_alloc(coop_sched *s, size_t size)
{
    size = round8(size);
    if (size > COOP__SLAB_MAX)
        return coop__alloc(s, size);
    struct coop__slab_class *c = &s->slab[size / 8];
    void *p = c->free;
    if (p) {
        UNPOISON(p, size);
        memcpy(&c->free, p, sizeof(void *));
    } else {
        if (!c->bump || (size_t)(c->end - c->bump) < size) {
            if (new_chunk(s, c, size))
                return NULL;
        }
        p = c->bump;
        c->bump += size;
        UNPOISON(p, size);
    }
    c->live++;
    return p;
}

void coop__block_free(coop_sched *s, void *p, size_t size)
{
    if (!p)
        return;
    size = round8(size);
    if (size > COOP__SLAB_MAX) {
        coop__free(s, p, size);
        return;
    }
    struct coop__slab_class *c = &s->slab[size / 8];
    coop_assert(c->live > 0);
    memcpy(p, &c->free, sizeof(void *));
    POISON(p, size);
    c->free = p;
    c->live--;
}

/* Returns the chunks of every class with no live block, or of every class when the scheduler goes. */
void coop__blocks_trim(coop_sched *s, bool all)
{
    for (size_t i = 0; i < COOP__SLAB_CLASSES; i++) {
        struct coop__slab_class *c = &s->slab[i];
        if (c->live && !all)
            continue;
        while (c->chunks) {
            struct coop__chunk *k = c->chunks;
            c->chunks = k->next;
            UNPOISON(k, k->bytes);
            coop__free(s, k, k->bytes);
        }
        *c = (struct coop__slab_class){ 0 };
    }
}
#endif

/* The allocator hook: all memory the core uses passes through one function. */
#ifndef COOP_ALLOC_H
#define COOP_ALLOC_H

#include "coop/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One function does everything, as in Lua's lua_Alloc: with new_size 0 it
 * frees ptr and returns NULL; otherwise it behaves like realloc and returns
 * NULL on failure, leaving ptr untouched.  old_size is the size of the
 * block ptr points to (0 when ptr is NULL), which lets a counting or
 * failing allocator for tests stay trivial.
 *
 * The contract a port's allocator keeps (docs/porting.md):
 *   - alignment: every block is aligned to COOP_ALLOC_ALIGN, 16 bytes
 *     where pointers have 8 (task states of 16 bytes or more rely on it)
 *     and 8 bytes on 32-bit targets;
 *   - growth: tables (tasks, the heap, hash tables) grow by calling it
 *     with a live ptr and a bigger new_size; the contents up to old_size
 *     must survive, at the same or a new address;
 *   - frees come with the block's size, and the core frees everything it
 *     allocated by coop_sched_free;
 *   - it is only called from the loop's thread, never from an interrupt.
 * Without libc there is no default: coop_config.alloc must be set.
 */
#define COOP_ALLOC_ALIGN (sizeof(void *) >= 8 ? 16u : 8u)

typedef void *(*coop_alloc_fn)(void *ctx, void *ptr, size_t old_size, size_t new_size);

typedef struct coop_allocator {
    coop_alloc_fn fn;
    void *ctx;
} coop_allocator;

/* The malloc-based allocator; absent in builds with -Dlibc=false. */
COOP_API coop_allocator coop_allocator_libc(void);

#ifdef __cplusplus
}
#endif

#endif

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
 */
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

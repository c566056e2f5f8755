/* The malloc-based allocator: the single-function hook of alloc.h on top of libc. */
#include <stdlib.h>

#include "coop/alloc.h"

/* realloc already leaves ptr untouched on failure, as alloc.h requires. */
static void *libc_alloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

coop_allocator coop_allocator_libc(void) { return (coop_allocator){ .fn = libc_alloc, .ctx = NULL }; }

/* The simulator's one growth helper: arrays that double through an allocator hook. */
#ifndef COOP_SIM_BASE_GROW_H
#define COOP_SIM_BASE_GROW_H

#include <stddef.h>

#include "coop/alloc.h"

/*
 * Grows the array *v, which has room for *cap elements of elem bytes, so
 * that it holds at least need: the capacity doubles from min (or from
 * *cap) until it is enough.  On failure (memory, or a size that does not
 * fit in size_t) nothing changes and the result is -COOP_ENOMEM; else 0.
 */
int grow(coop_allocator a, void **v, size_t *cap, size_t need, size_t elem, size_t min);
/* Frees what grow() allocated: size is the capacity in bytes. */
void grow_free(coop_allocator a, void *p, size_t size);

#endif

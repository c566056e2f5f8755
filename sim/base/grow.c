/* Doubling arrays through an allocator hook, for every layer of the simulator. */
#include "base/grow.h"

#include <stdint.h>

#include "coop/errors.h"

int grow(coop_allocator a, void **v, size_t *cap, size_t need, size_t elem, size_t min)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : (min ? min : 1);
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -COOP_ENOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return -COOP_ENOMEM;
    void *p = a.fn(a.ctx, *v, *cap * elem, n * elem);
    if (!p)
        return -COOP_ENOMEM;
    *v = p;
    *cap = n;
    return 0;
}

void grow_free(coop_allocator a, void *p, size_t size)
{
    if (p)
        (void)a.fn(a.ctx, p, size, 0);
}

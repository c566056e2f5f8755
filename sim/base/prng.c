/* PCG32: seeding, 32- and 64-bit draws, bounded draws. */
#include "base/prng.h"

void coop_prng_seed(coop_prng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0;
    r->inc = (stream << 1) | 1u;
    (void)coop_prng_next(r);
    r->state += seed;
    (void)coop_prng_next(r);
}

uint32_t coop_prng_next(coop_prng *r)
{
    uint64_t old = r->state;
    r->state = old * UINT64_C(6364136223846793005) + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    uint32_t rot = (uint32_t)(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
}

uint64_t coop_prng_next64(coop_prng *r)
{
    uint64_t hi = coop_prng_next(r);
    return hi << 32 | coop_prng_next(r);
}

/* Rejecting the lowest 2^32 mod bound outputs keeps the draw unbiased. */
uint32_t coop_prng_below(coop_prng *r, uint32_t bound)
{
    if (bound == 0)
        return 0;
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t x = coop_prng_next(r);
        if (x >= threshold)
            return x % bound;
    }
}

bool coop_prng_chance(coop_prng *r, uint32_t num, uint32_t den)
{
    return den && coop_prng_below(r, den) < num;
}

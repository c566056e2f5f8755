/* The simulator's only source of randomness: PCG32, seeded, with independent streams. */
#ifndef COOP_SIM_PRNG_H
#define COOP_SIM_PRNG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * PCG32 (O'Neill's permuted congruential generator, XSH RR variant): 64
 * bits of state, 32-bit output, and a stream selector so that each
 * consumer (network, faults, tie order) draws from its own sequence and
 * adding draws in one cannot shift the others.  The output depends only
 * on the seed and the stream, never on addresses or time.
 */
typedef struct coop_prng {
    uint64_t state;
    uint64_t inc; /* odd; selects the stream */
} coop_prng;

void coop_prng_seed(coop_prng *r, uint64_t seed, uint64_t stream);
uint32_t coop_prng_next(coop_prng *r);
/* A uniform integer in [0, bound), without modulo bias; bound 0 gives 0. */
uint32_t coop_prng_below(coop_prng *r, uint32_t bound);
/* True with probability num/den. */
bool coop_prng_chance(coop_prng *r, uint32_t num, uint32_t den);
uint64_t coop_prng_next64(coop_prng *r);

#endif

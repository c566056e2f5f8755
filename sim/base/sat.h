/* Saturating arithmetic on virtual times: a sum past the largest time stays at the largest time. */
#ifndef COOP_SIM_BASE_SAT_H
#define COOP_SIM_BASE_SAT_H

#include <stdint.h>

static inline uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

#endif

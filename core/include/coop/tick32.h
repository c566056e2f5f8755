/* A clock from a 32-bit millisecond tick counter, extended to 64 bits across wraps. */
#ifndef COOP_TICK32_H
#define COOP_TICK32_H

#include "coop/clock.h"
#include "coop/export.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Microcontrollers often count milliseconds in a 32-bit register that
 * wraps every 49.7 days.  The adapter remembers the last reading and
 * adds 2^32 whenever a reading is smaller than the previous one, so the
 * clock it provides never wraps.  It must therefore be read at least once
 * per wrap period; the scheduler reads its clock on every loop turn and
 * never sleeps longer than its polling period (100 ms by default) while
 * tasks exist, which is far more often.
 */
typedef struct coop_tick32 {
    uint32_t (*read_ms)(void *ctx); /* the raw counter */
    void *ctx;
    uint32_t last;  /* the previous raw reading */
    uint64_t wraps; /* how many times the counter has wrapped */
    int started;    /* 0 until the first reading */
} coop_tick32;

COOP_API void coop_tick32_init(coop_tick32 *a, uint32_t (*read_ms)(void *ctx), void *ctx);
/* Milliseconds since the counter's zero, extended: (wraps << 32) + raw. */
COOP_API uint64_t coop_tick32_now_ms(coop_tick32 *a);
/* A clock whose now_ns is coop_tick32_now_ms() in nanoseconds; ctx is the adapter. */
COOP_API coop_clock coop_tick32_clock(coop_tick32 *a);

#ifdef __cplusplus
}
#endif

#endif

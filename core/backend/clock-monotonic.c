/* The real clock: CLOCK_MONOTONIC in nanoseconds, checked never to go backwards. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "coop/real.h"

/*
 * The last reading, kept to assert that time never goes backwards.  It is
 * per thread, not per process: two threads that each read the clock can
 * store their values in the other order, and a shared value would then
 * make a correct clock look like it went backwards.  0 means no reading
 * yet on this thread.
 */
static _Thread_local uint64_t last_ns;

static _Noreturn void clock_abort(const char *why, uint64_t now_ns, uint64_t prev_ns)
{
    fprintf(stderr, "coop: error: monotonic clock: %s (now %llu ns, last %llu ns)\n", why,
            (unsigned long long)now_ns, (unsigned long long)prev_ns);
    abort();
}

static uint64_t monotonic_now_ns(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        clock_abort("clock_gettime failed", 0, last_ns);
    uint64_t now_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    if (now_ns < last_ns)
        clock_abort("time went backwards", now_ns, last_ns);
    last_ns = now_ns;
    return now_ns;
}

static const coop_clock_ops monotonic_ops = {
    .version = COOP_CLOCK_VERSION,
    .name = "monotonic",
    .now_ns = monotonic_now_ns,
};

coop_clock coop_clock_monotonic(void) { return (coop_clock){ .ops = &monotonic_ops, .ctx = NULL }; }

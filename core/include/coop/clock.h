/* The clock interface: a versioned table of functions that reads monotonic time. */
#ifndef COOP_CLOCK_H
#define COOP_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COOP_CLOCK_VERSION 1

/*
 * A clock backend.  now_ns returns nanoseconds from an arbitrary origin and
 * must never go backwards.  The core reads it once per loop turn and passes
 * the value down, so a clock is cheap to implement and easy to fake.
 */
typedef struct coop_clock_ops {
    uint32_t version; /* COOP_CLOCK_VERSION */
    const char *name; /* for logs, e.g. "monotonic" or "virtual" */
    uint64_t (*now_ns)(void *ctx);
} coop_clock_ops;

typedef struct coop_clock {
    const coop_clock_ops *ops;
    void *ctx;
} coop_clock;

#ifdef __cplusplus
}
#endif

#endif

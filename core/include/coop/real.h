/* The real backend: the monotonic clock and the poll(2) and epoll pollers. */
#ifndef COOP_REAL_H
#define COOP_REAL_H

#include "coop/export.h"

#include "coop/alloc.h"
#include "coop/clock.h"
#include "coop/poller.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CLOCK_MONOTONIC; asserts that time never goes backwards. */
COOP_API coop_clock coop_clock_monotonic(void);

/*
 * Each returns 0 and fills *out, or a negative COOP_E* code.  The default
 * poller is epoll where the build found it, else poll.
 */
COOP_API int coop_poller_poll_new(coop_poller *out, coop_allocator alloc);
COOP_API int coop_poller_epoll_new(coop_poller *out, coop_allocator alloc);
COOP_API int coop_poller_default_new(coop_poller *out, coop_allocator alloc);

/* A config for the real backend: monotonic clock, default poller, malloc. */
struct coop_config;
COOP_API int coop_config_real(struct coop_config *cfg);

/* The process-wide scheduler on the real backend, created on first use. */
COOP_API struct coop_sched *coop_default(void);

#ifdef __cplusplus
}
#endif

#endif

/* Helpers for the coop benchmark programs: a fake clock the program advances by hand, and a scheduler built on it. */
#ifndef COOP_BENCH_COOP_H
#define COOP_BENCH_COOP_H

#include "bench.h"

#include "coop/coop.h"

/*
 * The fake clock reads a variable.  The program sets it, usually to the
 * next due time from coop_next_due, before calling coop_run_due, so a
 * run measures the scheduler and never waits for real time.
 */
struct bench_fake_clock {
    uint64_t now_ns;
};

static inline uint64_t bench_fake_now(void *ctx) { return ((const struct bench_fake_clock *)ctx)->now_ns; }

static const coop_clock_ops bench_fake_clock_ops = {
    .version = COOP_CLOCK_VERSION,
    .name = "bench-fake",
    .now_ns = bench_fake_now,
};

/* A scheduler on the fake clock, with no poller and the default (malloc) allocator. */
static inline coop_sched *bench_fake_sched(struct bench_fake_clock *clk)
{
    coop_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.clock.ops = &bench_fake_clock_ops;
    cfg.clock.ctx = clk;
    return coop_sched_new(&cfg);
}

#endif

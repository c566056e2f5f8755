/* A virtual clock, a log of what tasks did, and drivers for unit tests of the scheduler. */
#ifndef COOP_TEST_HARNESS_H
#define COOP_TEST_HARNESS_H

#include <stdint.h>

#include "coop/coop.h"

/*
 * One scheduler per test, on a clock the test moves by hand.  Tasks and
 * trace events append lines to `log`, so a test states a whole sequence
 * in one string comparison.  Times in the log are virtual milliseconds.
 */
struct harness {
    coop_sched *s;
    uint64_t now_ns;
    char log[1 << 16];
    size_t len;
    int trace_wakes;                    /* when set, wake events are logged as "wake NAME REASON" */
    uint64_t allocs, frees, fail_after; /* allocator counters; fail_after 0: never fail */
    uint64_t bytes, peak_bytes;         /* bytes allocated now, and the most at any time */
    void (*trace_extra)(const coop_trace_event *ev); /* a test's own trace hook, or NULL */
    int poller_takes_fds; /* when set, the sleep poller accepts add, mod and del (it never reports events) */
    int poller_fd_limit;  /* with poller_takes_fds: fds at or above it are -COOP_EBADF (0: no limit) */
};
extern struct harness H;

void h_setup(void);
void h_setup_with(coop_poller poller);
void h_teardown(void);

/* Appends "<ms> <task name> <text>\n" to the log. */
void h_log(coop_task *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a free-form line. */
void h_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Zero-cost virtual time: runs every due step, then jumps to the next due
 * time, until `until_ms` or step_limit steps.  Returns the steps run.
 */
uint64_t h_run(uint64_t until_ms, uint64_t step_limit);
/*
 * The seed's timing model: at most one step per millisecond tick, and
 * the first step at tick 1 (docs/semantics.md).
 */
uint64_t h_run_seed(uint64_t until_ms, uint64_t step_limit);
/* Sets the virtual clock (it may only move forward). */
void h_set_ms(uint64_t ms);
uint64_t h_ms(void);

int64_t h_spawn(const char *name, coop_step_fn step, size_t state_size, int prio, int64_t period_ms,
                int64_t time2run_ms);

/*
 * A poller with no fds whose wait() moves the virtual clock forward by
 * the timeout, so coop_mainloop can run on virtual time.  It counts how
 * often it was asked to wait and for how long in total.
 */
coop_poller h_sleep_poller(void);
extern uint64_t h_sleep_calls, h_slept_ns;

#endif

/* The blinker: periodic "LED" tasks that toggle and report, and a task that stops them all. */
#ifndef COOP_EXAMPLES_BLINKER_H
#define COOP_EXAMPLES_BLINKER_H

#include <stddef.h>
#include <stdint.h>

#include "coop/coop.h"

/* The most LEDs one blinker drives. */
#define COOP_BLINKER_MAX_LEDS 8

/*
 * Receives one output line, without a trailing newline, and the task that
 * printed it.  The shape is that of coop_program_env's log, so a simulator
 * program can pass its log straight through.
 */
typedef void (*coop_blinker_out_fn)(void *ctx, coop_task *t, const char *line);

/*
 * A zeroed struct is valid but prints nothing and never stops.  With
 * nleds 0 there are three LEDs with periods of 250, 500 and 1000 ms.
 */
struct coop_blinker_options {
    int64_t duration_ns;       /* KillOs this long after the start; <= 0: never */
    const int64_t *periods_ns; /* nleds periods, each > 0; ignored when nleds is 0 */
    size_t nleds;              /* 0: the three default LEDs; at most COOP_BLINKER_MAX_LEDS */
    coop_blinker_out_fn out;   /* every line goes here; NULL: silent */
    void *out_ctx;
};

/*
 * Spawns the LED tasks, named "led1", "led2", ..., and, with a duration,
 * the stopper task.  Each output line looks like "[  1.250 s] led1 on",
 * with the time since the start read from coop_now_ns(), so on a virtual
 * clock the output is exact.  Returns 0 or a negative COOP_E* code, in
 * which case no task is left behind.
 */
int coop_blinker_start(coop_sched *s, const struct coop_blinker_options *opts);

#endif

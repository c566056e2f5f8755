/* The firmware example's tasks: the same code runs on the emulated board and in the simulator. */
#ifndef COOP_FW_APP_H
#define COOP_FW_APP_H

#include "coop/coop.h"

/*
 * How the tasks print: one line per call, without a newline.  On the
 * board it goes to semihosting with the tick in front; in the simulator
 * it is the program's log, which the trace records with its time.
 */
typedef void (*coop_fw_print_fn)(void *ctx, coop_task *t, const char *text);

/* The signal the board's timer interrupt raises (coop/irq.h), every COOP_FW_TIMER_MS. */
#define COOP_FW_TIMER_SIGNAL "timer"
#define COOP_FW_TIMER_MS 300
/* The run ends with KillOs at this tick. */
#define COOP_FW_RUN_MS 1000

/*
 * Starts the tasks: a blinker with a 100 ms period, a sampler that waits
 * on the timer signal with no timeout and passes each sample on with a
 * signal, a logger that waits for samples with a 400 ms timeout, and a
 * stopper.  Uses periods,
 * signals and KillOs only: the small configuration has no streams.
 * Returns 0 or a negative COOP_E* code.
 */
int coop_fw_app_start(coop_sched *s, coop_fw_print_fn print, void *ctx);

#endif

/* Waking tasks from interrupt handlers: raise a registered source in bounded time, delivered by the loop. */
#ifndef COOP_IRQ_H
#define COOP_IRQ_H

#include "coop/config.h"
#include "coop/export.h"
#include "coop/sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * An interrupt source stands for a named signal.  It is registered from
 * outside any interrupt (the name is interned then, which may allocate),
 * and up to COOP_CONFIG_IRQ_SOURCES exist per scheduler.
 *
 * coop_irq_raise() is the only function an interrupt handler, a POSIX
 * signal handler or another thread may call.  It runs in bounded time,
 * allocates nothing and takes no lock: it adds one to the source's
 * counter with a plain atomic load and store (no read-modify-write, so
 * no LDREX/STREX, which Cortex-M0 lacks) and sets the scheduler's
 * "something is pending" word.  That is why each source needs a single
 * writer at a time: raise one source from one interrupt priority level
 * (handlers at one level never preempt each other), or disable
 * interrupts around the raise in the port.  Different sources may be
 * raised from different levels.
 *
 * The loop delivers at the start of its next turn, before running any
 * step: sources in registration order, each as one SendSignal from
 * outside whose value is the number of raises since the last delivery.
 * Waiters wake in registration order, as for any signal.  A task waits
 * with Wait4Signal on the name, with or without a timeout.
 *
 * While a source is registered, coop_mainloop never returns
 * COOP_LOOP_BLOCKED: when nothing is due it sleeps through the idle-wait
 * hook (coop_set_idle_wait_hook), which on a microcontroller ends with
 * WFI; an interrupt ends the sleep.  With a poller and no hook, the
 * poller's wait is bounded by the polling period, since a raise from
 * another thread does not interrupt it.
 */

/* Returns the source id (0, 1, ...) for raising, -COOP_ENOSPC when all are taken, or -COOP_ENOMEM. */
COOP_API int coop_irq_register(coop_sched *s, const char *signal_name);
/* Marks the source pending; safe from any interrupt or thread (see above).  An unknown id is ignored. */
COOP_API void coop_irq_raise(coop_sched *s, int source);
/* Delivers pending sources now; the loop calls it every turn.  Returns the tasks woken. */
COOP_API int coop_irq_deliver(coop_sched *s);
/* Whether a raise is waiting for delivery. */
COOP_API bool coop_irq_pending(const coop_sched *s);

#ifdef __cplusplus
}
#endif

#endif

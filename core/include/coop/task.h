/* Tasks: stackless generators written with resume macros, and their attributes. */
#ifndef COOP_TASK_H
#define COOP_TASK_H

#include "coop/config.h"
#include "coop/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct coop_sched coop_sched;
typedef struct coop_task coop_task;

/*
 * A task is a step function plus a state struct that coop allocates with
 * the task.  The step function is written with the macros below, in the
 * manner of Contiki's protothreads:
 *
 *     struct counter { int n; };
 *
 *     static int counter_step(coop_task *t)
 *     {
 *         struct counter *c = coop_state(t);
 *         COOP_BEGIN(t);
 *         for (c->n = 0; c->n < 3; c->n++) {
 *             log_count(c->n);
 *             COOP_YIELD(t);
 *         }
 *         COOP_FINALLY(t);
 *         release(c);
 *         COOP_END(t);
 *     }
 *
 * The rules of the contract:
 *   - A local variable does not survive a yield.  Whatever must persist
 *     lives in the state struct.
 *   - The macros expand to one switch statement, so the body must not
 *     use its own switch around a yield, and two yields may not share a
 *     source line.
 *   - The code before the first yield is the task's setup.  It runs when
 *     the task joins a scheduler (coop_spawn, CreateTask, AddTask).
 *   - COOP_FINALLY is optional.  The code after it runs once, whichever
 *     way the task ends: falling off COOP_END, COOP_EXIT, a kill, KillOs
 *     or a failure.  It must not yield.
 *   - COOP_FAIL(t, -COOP_Exxx) ends the task with an error: coop logs the
 *     task's name, the failing file:line and its last resume point.
 *   - In C++, coop_state() needs a static_cast, and a local with an
 *     initializer must not sit between two yields (the switch would jump
 *     past its initialization): put it in braces that hold no yield.
 */
typedef int (*coop_step_fn)(coop_task *t);

/* What a step returns to the scheduler; the macros produce these. */
#define COOP__DONE 0    /* ended; exit status in the task */
#define COOP__YIELDED 1 /* suspended with a call (possibly none) */
#define COOP__EXITING 2 /* COOP_EXIT: re-enter to run the cleanup */

/* Resume points with a meaning of their own; all others are line numbers. */
#define COOP__LC_START 0u
#define COOP__LC_FINALLY 0xfffffffeu
#define COOP__LC_DONE 0xffffffffu

#if defined(__GNUC__) || defined(__clang__)
#define COOP__FALLTHROUGH __attribute__((fallthrough))
#else
#define COOP__FALLTHROUGH ((void)0)
#endif

/*
 * The first member of every task.  It is public only so that the macros
 * reach the resume point without a function call on every step.
 */
struct coop__task_head {
    uint32_t lc; /* resume point: a __LINE__, or a COOP__LC_* value */
};

static inline uint32_t *coop__lc(coop_task *t) { return &((struct coop__task_head *)(void *)t)->lc; }

/* Public only so that the macros can reach them. */
COOP_API void coop__set_exit(coop_task *t, int status);
COOP_API int coop__fail(coop_task *t, int err, const char *file, unsigned line);

#define COOP_BEGIN(t)       \
    switch (*coop__lc(t)) { \
    case COOP__LC_START:

/* Suspends the task; the scheduler resumes it at the next line. */
#define COOP__SUSPEND(t)         \
    do {                         \
        *coop__lc(t) = __LINE__; \
        return COOP__YIELDED;    \
    case __LINE__:;              \
    } while (0)

/* A plain yield: reschedule by the task's period. */
#define COOP_YIELD(t) COOP__SUSPEND(t)

/*
 * Yields a call.  `make` is one of the call constructors of sched.h, such
 * as coop_wait(t, COOP_MS(10)); the result is readable with coop_result()
 * once the task resumes.
 */
#define COOP_CALL(t, make) \
    do {                   \
        (void)(make);      \
        COOP__SUSPEND(t);  \
    } while (0)

#define COOP_FINALLY(t)    \
    COOP__FALLTHROUGH;     \
    case COOP__LC_FINALLY: \
        *coop__lc(t) = COOP__LC_FINALLY;

#define COOP_END(t)               \
    }                             \
    *coop__lc(t) = COOP__LC_DONE; \
    return COOP__DONE

/* Ends the task with an exit status (WaitTask waiters receive it). */
#define COOP_EXIT(t, status)           \
    do {                               \
        coop__set_exit((t), (status)); \
        return COOP__EXITING;          \
    } while (0)

/* Ends the task with a failure; err is a negative COOP_E* code. */
#define COOP_FAIL(t, err) return coop__fail((t), (err), __FILE__, __LINE__)

/* Time helpers: every time in coop is uint64_t or int64_t nanoseconds. */
#define COOP_US(x) ((int64_t)(x)*1000)
#define COOP_MS(x) ((int64_t)(x)*1000000)
#define COOP_S(x) ((int64_t)(x)*1000000000)

#define COOP_PRIO_HIGHEST 1
#define COOP_PRIO_DEFAULT 10
#define COOP_PRIO_LOWEST 100
#define COOP_NAME_MAX COOP_CONFIG_NAME_MAX /* longest task name, in bytes (63 unless configured) */

/* What happens to a periodic task that runs late (see docs/semantics.md). */
typedef enum coop_late_policy {
    COOP_LATE_CATCH_UP = 0, /* the seed's rule: run back to back until on time */
    COOP_LATE_SKIP = 1      /* drop missed periods; stay on the period grid */
} coop_late_policy;

/*
 * How to build a task.  Zeroed fields take their defaults, so a designated
 * initialiser names only what differs.
 *
 * Start rules (the seed README's, exactly):
 *   period 0,  time2run 0:  runs now, then whenever it is ready;
 *   period P,  time2run 0:  first runs after P, then every P;
 *   period P,  time2run D:  first runs after D, then every P;
 *   period 0,  time2run D:  first runs after D, then whenever ready.
 * A negative period means "run once": the task's first plain yield after
 * setup ends it.  A negative time2run counts as 0.
 */
typedef struct coop_task_spec {
    coop_step_fn step;
    const char *name;      /* NULL: "task_<tid>"; copied, at most COOP_NAME_MAX */
    size_t state_size;     /* bytes of state allocated with the task */
    const void *init;      /* NULL: zeroed state; else copied (state_size bytes) */
    int prio;              /* 1 highest .. 100 lowest; 0: COOP_PRIO_DEFAULT */
    int64_t period_ns;     /* >0 periodic, 0 whenever ready, <0 once */
    int64_t time2run_ns;   /* start delay; 0: by the start rules */
    coop_late_policy late; /* default: COOP_LATE_CATCH_UP */
} coop_task_spec;

/*
 * The state struct allocated with the task.  It is aligned as strictly as
 * any object of its size needs: to 16 bytes when state_size is 16 or
 * more, else to 8, on targets with 8-byte pointers; to 8 bytes on 32-bit
 * targets, where no scalar needs more.  It sits at a fixed offset in the
 * task record (48 bytes, or 40 with 4-byte pointers), so this is one
 * addition, not a call; the core checks the offset at compile time.
 */
#define COOP__STATE_OFFSET (sizeof(void *) >= 8 ? 48u : 40u)
static inline void *coop_state(coop_task *t) { return (unsigned char *)(void *)t + COOP__STATE_OFFSET; }

COOP_API uint32_t coop_task_tid(const coop_task *t);
/*
 * The task's name, valid for the task's life.  An automatic name
 * ("task_<tid>") is written the first time it is asked for, which needs
 * the task's small call record; in the rare case that this allocation
 * fails the answer is "task".
 */
COOP_API const char *coop_task_name(const coop_task *t);
COOP_API int coop_task_prio(const coop_task *t);
COOP_API int64_t coop_task_period_ns(const coop_task *t);
/* The virtual or real time at which the task is next due. */
COOP_API uint64_t coop_task_time2run_ns(const coop_task *t);
COOP_API coop_sched *coop_task_sched(const coop_task *t);
/*
 * The status the task ends with, for its COOP_FINALLY code: 0 after
 * COOP_END, the COOP_EXIT value, the COOP_FAIL error, -COOP_ECANCELED when
 * killed.  0 while the task is alive.
 */
COOP_API int coop_task_exit_status(const coop_task *t);
/* The line of the task's last resume point (0 before its first yield). */
COOP_API unsigned coop_task_resume_line(const coop_task *t);

/*
 * Changing the period takes effect after the task's next run, as in the
 * seed: the next due time is computed before a step starts.  It returns
 * 0, or -COOP_ENOMEM with the period unchanged (tasks with equal step
 * functions, periods and state sizes share one small record, and a new
 * period may need a new one).  Changing the priority takes effect the
 * next time the task is queued.
 */
COOP_API int coop_task_set_period_ns(coop_task *t, int64_t period_ns);
COOP_API int coop_task_set_prio(coop_task *t, int prio);
COOP_API void coop_task_set_late_policy(coop_task *t, coop_late_policy late);

#ifdef __cplusplus
}
#endif

#endif

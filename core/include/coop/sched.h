/* The scheduler: creation, the calls tasks yield, signals, streams and the loop. */
#ifndef COOP_SCHED_H
#define COOP_SCHED_H

#include "coop/config.h"
#include "coop/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coop/alloc.h"
#include "coop/clock.h"
#include "coop/poller.h"
#include "coop/task.h"
#include "coop/trace.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A fault-point hook: the simulator answers "should this fault fire here?"
 * from its seeded PRNG and records the answer.  Without a hook the answer
 * is always no, so fault points cost nothing in production.
 */
typedef bool (*coop_fault_fn)(void *ctx, const char *site, uint32_t tid);
/*
 * A tie-order hook: returns the sequence number a queued task gets in
 * place of the next counter value, so that a simulator can permute tasks
 * due at the same instant with the same prio.  Values must be below
 * 2^55, or 2^24 in a build without heap keys (COOP_CONFIG_HEAP_KEYS),
 * where the counter is not renumbered while a hook is set.  With a hook
 * set, every task is queued in the heap.
 */
typedef uint64_t (*coop_seq_fn)(void *ctx, uint64_t counter);
/*
 * A tie-choice hook: when n >= 2 tasks are due with the same time and
 * prio, it says which of them runs first (an index below n; the tids are
 * in the order the ready order would take them).  The rest keep their
 * order.  Exploration strategies drive the schedule through it.  It
 * needs a seq hook as well, so that every task is in the heap, and it
 * sees at most COOP_PICK_MAX tasks of a tie.  A build with
 * COOP_CONFIG_TIE_HOOK 0 (coop/config.h) leaves it out: pick must be NULL.
 */
typedef uint32_t (*coop_pick_fn)(void *ctx, const uint32_t *tids, uint32_t n);
#define COOP_PICK_MAX 16

/* Log levels for the log hook. */
typedef enum coop_log_level { COOP_LOG_DEBUG, COOP_LOG_INFO, COOP_LOG_WARN, COOP_LOG_ERROR } coop_log_level;
typedef void (*coop_log_fn)(void *ctx, coop_log_level level, const char *msg);

/*
 * Everything a scheduler is built from.  Only the clock is required;
 * without a poller the stream calls fail with -COOP_ENOSYS.  A zeroed
 * allocator means malloc (in a build without libc it is a porting error:
 * coop_sched_new calls the assertion hook of coop/port.h, and returns
 * NULL if the hook returns), a NULL log hook means stderr (in builds with
 * libc), and a NULL trace hook costs one branch per event.
 */
typedef struct coop_config {
    coop_clock clock;
    coop_poller poller;
    coop_allocator alloc;
    coop_log_fn log;
    void *log_ctx;
    coop_trace_fn trace;
    void *trace_ctx;
    uint32_t turn_steps; /* steps run per clock read; 0: 64 */
    coop_fault_fn fault;
    void *fault_ctx;
    coop_seq_fn seq;
    void *seq_ctx;
    coop_pick_fn pick;
    void *pick_ctx;
} coop_config;

COOP_API coop_sched *coop_sched_new(const coop_config *cfg);
/* Kills the remaining tasks (their cleanup runs), destroys the poller, frees everything. */
COOP_API void coop_sched_free(coop_sched *s);
/*
 * Frees everything as a power cut would: no task code runs, cleanups
 * included, and no task is traced as killed; the poller's destroy closes
 * the fds.  The simulator crashes a node with it.
 */
COOP_API void coop_sched_abandon(coop_sched *s);

/*
 * During a seq hook call: the tid of the task being queued, with the time
 * it is due and its prio (either pointer may be NULL); 0 outside a call.
 * A simulator learns from it which task each key belongs to.
 */
COOP_API uint32_t coop_sched_seq_task(const coop_sched *s, uint64_t *due_ns, uint32_t *prio);

/* One pointer of the caller's, for state that all tasks of a scheduler share. */
COOP_API void coop_sched_set_user(coop_sched *s, void *user);
COOP_API void *coop_sched_user(const coop_sched *s);

/* Adds a task and runs its setup.  Returns the tid, or a negative COOP_E* code. */
COOP_API int64_t coop_spawn(coop_sched *s, const coop_task_spec *spec);

/*
 * Builds a task that has not joined any scheduler yet, for AddTask.  Its
 * setup runs when it is added.  coop_task_discard() frees one that is
 * never added.
 */
COOP_API coop_task *coop_task_new(coop_sched *s, const coop_task_spec *spec);
COOP_API void coop_task_discard(coop_task *t);

/* Looks a live task up by tid; NULL when it has ended or never existed. */
COOP_API coop_task *coop_task_find(coop_sched *s, uint32_t tid);

/* Iterates live tasks in tid order; safe against tasks ending meanwhile. */
typedef struct coop_task_iter {
    coop_sched *sched;
    uint32_t next_tid;
    uint32_t slot; /* where the next search starts; a hint only */
} coop_task_iter;
COOP_API void coop_task_iter_init(coop_task_iter *it, coop_sched *s);
COOP_API coop_task *coop_task_iter_next(coop_task_iter *it);
COOP_API size_t coop_task_count(const coop_sched *s);

/* ---- The calls.  Each constructor stores a call for COOP_CALL to yield. ---- */

/*
 * What a task receives when it resumes.  `code` is the call's outcome, as
 * documented with each constructor; a failed call gives a negative
 * COOP_E* code.  `signal` and `value` are set by the signal calls, and
 * `value` holds the ready events after StreamWait.
 */
typedef struct coop_call_result {
    int64_t code;
    int64_t value;
    const char *signal; /* interned: valid until the scheduler is freed */
} coop_call_result;

COOP_API const coop_call_result *coop_result_of(const coop_task *t);
static inline int64_t coop_result(const coop_task *t) { return coop_result_of(t)->code; }

/* GetTaskRef: code = own tid.  The reference is the coop_task * itself. */
COOP_API int coop_get_task_ref(coop_task *t);
/* GetTaskDict: code = number of live tasks; iterate with coop_task_iter. */
COOP_API int coop_get_task_dict(coop_task *t);
/* AddTask: adds a task from coop_task_new.  code = its tid.  The caller is rescheduled. */
COOP_API int coop_add_task(coop_task *t, coop_task *child);
/* CreateTask: builds and adds a task; its setup runs now.  code = its tid. */
COOP_API int coop_create_task(coop_task *t, const coop_task_spec *spec);
/*
 * KillTask: code = 1 if the task existed, else 0.  The victim ends at
 * once: its cleanup runs, its signal registrations are dropped, its fds
 * are closed, and its WaitTask waiters wake with -COOP_ECANCELED.  A task
 * that kills itself does not resume.
 */
COOP_API int coop_kill_task(coop_task *t, uint32_t tid);
/*
 * WaitTask: wakes when the task ends.  code = its exit status (0 on a
 * normal end, the COOP_EXIT value, the COOP_FAIL error, -COOP_ECANCELED
 * when killed).  An unknown tid answers -COOP_ESRCH at once, and the
 * caller's own tid -COOP_EDEADLK.
 */
COOP_API int coop_wait_task(coop_task *t, uint32_t tid);
/* KillOs: kills every task in tid order (each cleanup runs); the loop returns. */
COOP_API int coop_kill_os(coop_task *t);
/*
 * Wait: for a periodic task, resumes `ns` after its nominal due time (so a
 * late task resumes early, as in the seed); otherwise `ns` after now.
 */
COOP_API int coop_wait(coop_task *t, int64_t ns);

/*
 * SendSignal: wakes every task waiting on `name`, in registration order;
 * each receives (name, value).  The sender resumes `resume_after_ns`
 * later (the seed's default is COOP_MS(1)); 0 reschedules it by its
 * period.  A periodic sender keeps its period grid.  code = tasks woken.
 */
COOP_API int coop_send_signal(coop_task *t, const char *name, int64_t value, int64_t resume_after_ns);
/*
 * Wait4Signal: code = 0 with (signal, value) when woken, -COOP_ETIMEDOUT
 * after timeout_ns (0: no timeout).  A timeout removes the registration.
 */
COOP_API int coop_wait_signal(coop_task *t, const char *name, int64_t timeout_ns);
/*
 * Wait4Signals: waits on up to COOP_MAX_WAIT_SIGNALS names.  The first
 * send wakes the task and removes all of its registrations.
 */
#define COOP_MAX_WAIT_SIGNALS COOP_CONFIG_MAX_WAIT_SIGNALS /* 16 unless configured */
COOP_API int coop_wait_signals(coop_task *t, const char *const *names, size_t n, int64_t timeout_ns);
/* SendWaitSignal: sends, then waits on the same name; never receives its own send. */
COOP_API int coop_send_wait_signal(coop_task *t, const char *name, int64_t value, int64_t timeout_ns);

/*
 * StreamReader / StreamWriter / StreamReaderWriter: registers fd for the
 * task (several fds per task are allowed; registering again changes the
 * interest).  The task is rescheduled as after a plain yield.  code = 0,
 * or -COOP_EBUSY when another task holds the fd.
 */
COOP_API int coop_stream_reader(coop_task *t, int fd);
COOP_API int coop_stream_writer(coop_task *t, int fd);
COOP_API int coop_stream_reader_writer(coop_task *t, int fd);
/*
 * StreamWait: blocks until one of the task's fds is ready.  code = the fd,
 * value = its COOP_EV_* events; -COOP_ETIMEDOUT after timeout_ns (0: none);
 * -COOP_ENOENT at once when the task has no fd.  A wake-up may be
 * spurious: the following read can still return -COOP_EAGAIN.
 */
COOP_API int coop_stream_wait(coop_task *t, int64_t timeout_ns);

/*
 * Dial (not in the seed): connects to addr:port and blocks until the
 * connection is established, fails, or timeout_ns passes (0: no timeout).
 * code = the connected fd, registered for the task as a reader (as after
 * StreamReader); or the connect's error (-COOP_ECONNREFUSED,
 * -COOP_ECONNRESET, ...) or -COOP_ETIMEDOUT, and then no fd is left open.
 * The connect starts inside the constructor, so addr need not outlive the
 * step; a Dial built but never yielded closes its fd.
 */
COOP_API int coop_dial(coop_task *t, const char *addr, uint16_t port, int64_t timeout_ns);
/*
 * WaitAny (not in the seed): blocks until one of the n named signals is
 * sent (n may be 0), one of the task's registered fds is ready, or
 * timeout_ns passes (0: no timeout).  Which one woke the task is in the
 * result: `signal` is the signal's name (value: the value sent), or NULL
 * when an fd did (code: the fd, value: its COOP_EV_* events);
 * -COOP_ETIMEDOUT after the timeout; -COOP_ENOENT at once with no signal
 * and no fd.  Events that arrived before the call are served first.
 */
COOP_API int coop_wait_any(coop_task *t, const char *const *names, size_t n, int64_t timeout_ns);

/* ---- Sockets, through the poller.  See poller.h for the results. ---- */
COOP_API int coop_listen(coop_sched *s, const char *addr, uint16_t port, int backlog);
COOP_API int coop_local_port(coop_sched *s, int fd);
COOP_API int coop_accept(coop_sched *s, int listen_fd);
COOP_API int coop_connect(coop_sched *s, const char *addr, uint16_t port);
COOP_API int coop_sock_error(coop_sched *s, int fd);
COOP_API long coop_read(coop_sched *s, int fd, void *buf, size_t len);
COOP_API long coop_write(coop_sched *s, int fd, const void *buf, size_t len);
COOP_API int coop_shutdown_write(coop_sched *s, int fd);
/* Closes the fd and drops the registration of whichever task holds it. */
COOP_API int coop_close(coop_sched *s, int fd);
/*
 * Closes abortively, as SO_LINGER with a zero timeout does: the peer
 * sees a reset, and data not yet sent is dropped.  -COOP_ENOSYS with a
 * poller older than version 2.
 */
COOP_API int coop_close_reset(coop_sched *s, int fd);

/*
 * A fault point ("BUGGIFY"): task code asks whether to misbehave at the
 * named site.  On the real backend it is always false; in the simulator
 * the seed decides, and the trace records each answer.
 */
COOP_API bool coop_fault_point(coop_task *t, const char *site);

/*
 * Describes what a task is waiting for, in words, for hang reports:
 * "ready", "due at 1500000000 ns", "signal 'x' (timeout at ... ns)",
 * "task 3", "fd 5, fd 6", "running".  Returns the length written
 * (truncated to fit; the buffer is always NUL-terminated when len > 0).
 */
COOP_API size_t coop_task_describe_wait(const coop_task *t, char *buf, size_t len);

/* ---- From outside any task (hooks, tests, the simulator). ---- */

/* Sends a signal as SendSignal does; returns the number of tasks woken. */
COOP_API int coop_signal(coop_sched *s, const char *name, int64_t value);
/* Kills a task as KillTask does; returns 1 if it existed, else 0. */
COOP_API int coop_kill(coop_sched *s, uint32_t tid);
/* Kills every task and makes the loop return, as KillOs does. */
COOP_API void coop_shutdown(coop_sched *s);

/* ---- The loop. ---- */

/* Where a failing step ended, for the log and for stop_on_error. */
typedef struct coop_report {
    uint32_t tid;
    char name[COOP_NAME_MAX + 1];
    int error;        /* the negative COOP_E* code the step failed with */
    const char *file; /* where COOP_FAIL was called */
    unsigned line;
    unsigned resume_line; /* the task's last resume point, in the same file */
} coop_report;

typedef enum coop_loop_result {
    COOP_LOOP_EMPTY = 0,   /* no task is left */
    COOP_LOOP_STOPPED = 1, /* KillOs or coop_shutdown */
    COOP_LOOP_FAILED = 2,  /* stop_on_error: a step failed; see the report */
    COOP_LOOP_BLOCKED = 3  /* every task waits for something nothing can send */
} coop_loop_result;

/*
 * Runs until no task is left, KillOs, every task waits on something that
 * nothing can send (no timeout, no fd, no interrupt source registered), or (with stop_on_error) the first
 * failing step, whose report is copied to *report when report is not NULL.
 * A failing step always kills only its own task and is logged.  While
 * tasks are ready the loop checks I/O at least every polling period; when
 * nothing is ready it blocks in the poller until the next due time.
 */
COOP_API coop_loop_result coop_mainloop(coop_sched *s, bool stop_on_error, coop_report *report);

/*
 * The longest time between I/O checks while tasks are busy (default
 * 100 ms).  The loop reads the clock once per turn of turn_steps steps,
 * so a check comes with the first turn that starts after the period.
 */
COOP_API void coop_enable_polling(coop_sched *s, int64_t period_ns);
/*
 * Every period_ns, frees the memory kept for reuse from ended tasks and
 * calls hook(ctx) if it is not NULL.
 */
typedef void (*coop_hook_fn)(void *ctx);
COOP_API void coop_enable_gc(coop_sched *s, int64_t period_ns, coop_hook_fn hook, void *ctx);
/* Called each time the loop is about to wait for the next due time or I/O. */
COOP_API void coop_set_idle_hook(coop_sched *s, coop_hook_fn hook, void *ctx);
/*
 * Tickless idle, for a scheduler without a poller: when nothing is due,
 * the loop calls wait(ctx, timeout_ns) with the time until the next due
 * task or collection, or COOP_IDLE_FOREVER (-1) when nothing is due and
 * only an interrupt (coop/irq.h) can make work.  The hook may sleep up to
 * that long, or less; the loop then reads the clock and goes on.  A
 * port programs its timer and waits for an interrupt, after checking
 * coop_irq_pending() with interrupts masked (docs/porting.md).  It runs
 * after the plain idle hook.  With a poller, the poller's wait is the
 * sleep and this hook is not called.
 */
#define COOP_IDLE_FOREVER (-1)
typedef void (*coop_idle_wait_fn)(void *ctx, int64_t timeout_ns);
COOP_API void coop_set_idle_wait_hook(coop_sched *s, coop_idle_wait_fn wait, void *ctx);
COOP_API uint64_t coop_idle_count(const coop_sched *s);
COOP_API uint64_t coop_gc_count(const coop_sched *s);
/* The late policy given to tasks whose spec leaves it zero. */
COOP_API void coop_set_default_late_policy(coop_sched *s, coop_late_policy late);

/* ---- Driving the loop by hand (the simulator, unit tests). ---- */

/*
 * Runs at most max_steps steps of tasks due at or before now_ns; returns
 * how many ran.  It stops early after KillOs, after a failing step when
 * stop_on_error was set with coop_set_stop_on_error, and after the step
 * during which coop_break was called.
 */
COOP_API uint64_t coop_run_due(coop_sched *s, uint64_t now_ns, uint64_t max_steps);
/*
 * Makes the coop_run_due (or the turn of coop_mainloop) under way return
 * after the current step, so that a driver whose world changed during
 * the step (a simulator's network, say) can react before the next one.
 * Outside a run it does nothing.
 */
COOP_API void coop_break(coop_sched *s);
/* The earliest due time of any queued task or timeout; false when none. */
COOP_API bool coop_next_due(coop_sched *s, uint64_t *due_ns);
/* Waits for I/O up to timeout_ns and wakes the tasks whose fds are ready; returns wake-ups. */
COOP_API int coop_poll_io(coop_sched *s, int64_t timeout_ns);
/* Whether any task has a registered fd. */
COOP_API bool coop_has_io(const coop_sched *s);
COOP_API bool coop_is_stopped(const coop_sched *s);
COOP_API void coop_set_stop_on_error(coop_sched *s, bool stop);
/* The last failure, or NULL when no step has failed. */
COOP_API const coop_report *coop_last_failure(const coop_sched *s);
/* Reads the scheduler's clock. */
COOP_API uint64_t coop_now_ns(const coop_sched *s);
/*
 * Memory for a program, from the scheduler's allocator hook, so that an
 * allocator that counts or fails blocks (the simulator's) sees it as it
 * sees the core's own: the simulator reports the bytes a program never
 * gave back.  NULL when size is 0 or memory ran out; coop_mem_free takes
 * the size that was asked for (and ignores NULL).
 */
COOP_API void *coop_mem_alloc(coop_sched *s, size_t size);
COOP_API void coop_mem_free(coop_sched *s, void *p, size_t size);
/* Checks every internal invariant; returns 0, or aborts through coop_assert. */
COOP_API int coop_verify(const coop_sched *s);

#ifdef __cplusplus
}
#endif

#endif

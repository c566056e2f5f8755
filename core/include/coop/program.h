/* Programs: task code registered by name, so the simulator, scenarios and the real backend can run it. */
#ifndef COOP_PROGRAM_H
#define COOP_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "coop/coop.h"
#include "coop/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What a program may use of its host besides the scheduler: a log for
 * what it would show a person (a LED, a line on a console).  In the
 * simulator each log line becomes a trace event; on the real backend
 * (coop_program_run) it is printed with the time since the start.
 */
typedef struct coop_program_env {
    void (*log)(void *ctx, coop_task *t, const char *text);
    void *ctx;
} coop_program_env;

/* Starts the program: spawns its tasks on s.  Returns 0 or a negative COOP_E* code. */
typedef int (*coop_program_start_fn)(coop_sched *s, const coop_program_env *env, int argc, char **argv);

typedef struct coop_program {
    const char *name;    /* e.g. "seed-2tasks" */
    const char *summary; /* one line for `coop programs` */
    coop_program_start_fn start;
} coop_program;

/*
 * The functions below come with the real backend: they are absent in
 * builds with -Dlibc=false.
 */

/* A registry is a NULL-name-terminated array of programs. */
COOP_API const coop_program *coop_program_find(const coop_program *registry, const char *name);

#if defined(__GNUC__) || defined(__clang__)
#define COOP__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define COOP__PRINTF(fmt, args)
#endif

/* Formats a line (at most 255 bytes are kept) and hands it to env->log, if any, for task t. */
COOP_API void coop_program_log(const coop_program_env *env, coop_task *t, const char *fmt, ...)
    COOP__PRINTF(3, 4);

/* How a run on the real backend ended. */
typedef enum coop_run_end {
    COOP_RUN_ENDED = 0,   /* no task is left */
    COOP_RUN_STOPPED,     /* a task called KillOs */
    COOP_RUN_INTERRUPTED, /* SIGINT or SIGTERM arrived */
    COOP_RUN_TIME_UP,     /* the options' duration has passed */
    COOP_RUN_BLOCKED,     /* every task waits on something nothing can send */
    COOP_RUN_FAILED       /* stop_on_error, and a step failed */
} coop_run_end;

/* A short name for an end: "ended", "stopped", "interrupted", "time-up", "blocked", "failed". */
COOP_API const char *coop_run_end_name(coop_run_end end);

/* A zeroed struct runs until the program ends or is interrupted, printing to standard output. */
typedef struct coop_run_options {
    int64_t duration_ns; /* > 0: stop after this long (every task is killed, so its cleanup runs) */
    bool stop_on_error;  /* stop at the first failing step; otherwise only that task ends */
    bool keep_signals;   /* leave SIGINT and SIGTERM alone: only the duration or the program ends the run */
    /* Receives each timestamped log line, without a newline; NULL: standard output, flushed per line. */
    void (*out)(void *ctx, const char *line);
    void *out_ctx;
} coop_run_options;

typedef struct coop_run_result {
    coop_run_end end;
    uint64_t elapsed_ns; /* on the monotonic clock, from the start of the program to the end of the run */
    bool failed;         /* a step failed; failure says where (the last one) */
    coop_report failure;
} coop_run_result;

/*
 * Runs a program on the real backend: the monotonic clock, the default
 * poller (epoll, or poll), real sockets and malloc.  It starts the
 * program, then runs the loop until one of the ends above.  Each log
 * line is "SECONDS.MICROS s  TASK#TID  TEXT", the time counted from the
 * start.  While it runs, SIGINT and SIGTERM end the run as KillOs would
 * (every task's cleanup runs); the handlers reset themselves, so a second
 * signal ends the process, and the previous handlers come back when the
 * run ends.  A program that never lets the loop idle and has no sockets
 * is not interrupted until it does.  One run at a time per process.
 *
 * Returns 0 with *res filled in; the program's own error when its start
 * function fails; -COOP_EBUSY during another run; -COOP_ENOMEM, or the
 * poller's error, when the backend cannot be set up.
 */
COOP_API int coop_program_run(const coop_program *program, int argc, char **argv,
                              const coop_run_options *opts, coop_run_result *res);

#ifdef __cplusplus
}
#endif

#endif
